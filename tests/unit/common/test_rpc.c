/* test_rpc - the stream request/answer module: a real server on a loop
 * (its own thread here) and the blocking client, over loopback TCP and a
 * Unix socket: answers on the same connection, several requests on one
 * connection, late answers, bad frames closing only their connection, a
 * client that left, and a daemon that is not there. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "loop.h"
#include "rpc.h"

typedef struct fixture {
	mosaic_loop *loop;
	rpc_server *srv;
	pthread_t thread;
	atomic_int requests;
	uint64_t held_conn; /* a request answered only later ("hold") */
	uint64_t last_conn;
	int late_rv; /* what answering the held request gave */
} fixture;

/* Echo: answers type + 1 with the payload reversed; "hold" is answered
 * by the next request ("release") instead. */
static void
on_req(void *ctx, uint64_t conn, uint32_t type, uint64_t seq, const uint8_t *p, size_t len)
{
	fixture *f = ctx;
	atomic_fetch_add(&f->requests, 1);
	f->last_conn = conn;
	if (len == 4 && memcmp(p, "hold", 4) == 0) {
		f->held_conn = conn;
		return;
	}
	if (len == 7 && memcmp(p, "release", 7) == 0) {
		f->late_rv = rpc_server_reply(f->srv, f->held_conn, 99, 0, (const uint8_t *)"late", 4);
		CHECK(rpc_server_reply(f->srv, conn, type + 1, seq, (const uint8_t *)"done", 4) == 0);
		return;
	}
	uint8_t *r = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++)
		r[i] = p[len - 1 - i];
	CHECK(rpc_server_reply(f->srv, conn, type + 1, seq, r, len) == 0);
	free(r);
}

static void *
run(void *arg)
{
	fixture *f = arg;
	loop_run(f->loop);
	return NULL;
}

static void
stop_cb(mosaic_loop *loop, void *arg)
{
	fixture *f = arg;
	rpc_server_close(f->srv);
	loop_stop(loop);
}

static int
start(fixture *f, const char *url)
{
	memset(f, 0, sizeof(*f));
	char err[256];
	CHECK_OK(loop_new(&f->loop));
	int rv = rpc_server_open(&f->srv, f->loop, url, on_req, f, err, sizeof(err));
	if (rv != 0) {
		fprintf(stderr, "rpc_server_open %s: %s\n", url, err);
		return rv;
	}
	pthread_create(&f->thread, NULL, run, f);
	return 0;
}

static void
stop(fixture *f)
{
	loop_post(f->loop, stop_cb, f);
	pthread_join(f->thread, NULL);
	loop_free(f->loop);
}

static int
call(rpc_client *c, uint32_t type, const char *msg, uint32_t *rtype, char *out, size_t outlen)
{
	char err[256];
	double dl = mosaic_mono_now() + 5;
	int rv = rpc_client_send(c, type, 1, (const uint8_t *)msg, strlen(msg), dl, err, sizeof(err));
	if (rv != 0)
		return rv;
	uint8_t *p;
	size_t len;
	uint64_t seq;
	if ((rv = rpc_client_recv(c, rtype, &seq, &p, &len, dl, err, sizeof(err))) != 0)
		return rv;
	snprintf(out, outlen, "%.*s", (int)len, (const char *)p);
	free(p);
	return 0;
}

static void
round_trips(const char *url_in)
{
	fixture f;
	if (start(&f, url_in) != 0) {
		CHECK(!"server started");
		return;
	}
	const char *url = rpc_server_address(f.srv);
	char err[256], out[64];
	uint32_t rtype = 0;
	rpc_client *c = NULL;
	CHECK_OK(rpc_client_open(&c, url, 2, err, sizeof(err)));
	if (!c) {
		stop(&f);
		return;
	}
	CHECK_OK(call(c, 10, "abc", &rtype, out, sizeof(out)));
	CHECK(rtype == 11 && strcmp(out, "cba") == 0);
	/* Several requests on one connection, and an empty payload. */
	for (int i = 0; i < 100; i++)
		CHECK(call(c, 20, "xy", &rtype, out, sizeof(out)) == 0 && strcmp(out, "yx") == 0);
	CHECK_OK(call(c, 30, "", &rtype, out, sizeof(out)));
	CHECK(rtype == 31 && out[0] == '\0');

	/* A late answer: one client holds, another releases it. */
	rpc_client *c2 = NULL;
	CHECK_OK(rpc_client_open(&c2, url, 2, err, sizeof(err)));
	double dl = mosaic_mono_now() + 5;
	CHECK_OK(rpc_client_send(c, 40, 2, (const uint8_t *)"hold", 4, dl, err, sizeof(err)));
	usleep(50000);
	CHECK_OK(call(c2, 50, "release", &rtype, out, sizeof(out)));
	CHECK(rtype == 51 && strcmp(out, "done") == 0);
	CHECK(f.late_rv == 0);
	uint8_t *p = NULL;
	size_t len = 0;
	uint64_t seq;
	CHECK_OK(rpc_client_recv(c, &rtype, &seq, &p, &len, dl, err, sizeof(err)));
	CHECK(rtype == 99 && len == 4 && p && memcmp(p, "late", 4) == 0);
	free(p);

	/* A client that leaves before its answer: the answer finds no
	 * connection, and the server carries on. */
	CHECK_OK(rpc_client_send(c2, 40, 3, (const uint8_t *)"hold", 4, dl, err, sizeof(err)));
	usleep(50000);
	rpc_client_close(c2);
	usleep(50000);
	CHECK_OK(call(c, 50, "release", &rtype, out, sizeof(out)));
	CHECK(strcmp(out, "done") == 0);
	CHECK(f.late_rv == MOSAIC_ENOENT);

	/* A timeout is a timeout, not a hang. */
	CHECK_OK(rpc_client_send(c, 40, 4, (const uint8_t *)"hold", 4, dl, err, sizeof(err)));
	double t0 = mosaic_mono_now();
	CHECK(rpc_client_recv(c, &rtype, &seq, &p, &len, t0 + 0.2, err, sizeof(err)) == MOSAIC_ETIMEDOUT);
	CHECK(mosaic_mono_now() - t0 < 2);
	rpc_client_close(c);
	stop(&f);
}

/* Raw bytes on a connection: a length over the limit, then garbage that
 * is no envelope. Each closes its own connection only. */
static void
bad_frames(void)
{
	fixture f;
	if (start(&f, "tcp://127.0.0.1:0") != 0) {
		CHECK(!"server started");
		return;
	}
	const char *url = rpc_server_address(f.srv);
	int port = atoi(strrchr(url, ':') + 1);
	char err[256], out[64];
	uint32_t rtype;
	rpc_client *good = NULL;
	CHECK_OK(rpc_client_open(&good, url, 2, err, sizeof(err)));
	const uint8_t huge[4] = {0x7f, 0xff, 0xff, 0xff};
	const uint8_t junk[9] = {0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff};
	const uint8_t *bad[2] = {huge, junk};
	size_t badlen[2] = {sizeof(huge), sizeof(junk)};
	for (int k = 0; k < 2; k++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		CHECK(write(fd, bad[k], badlen[k]) == (ssize_t)badlen[k]);
		struct timeval tv = {.tv_sec = 5};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		char b;
		CHECK(read(fd, &b, 1) == 0); /* closed by the server */
		close(fd);
	}
	usleep(20000);
	CHECK(call(good, 1, "ok", &rtype, out, sizeof(out)) == 0 && strcmp(out, "ko") == 0);
	rpc_client_close(good);
	stop(&f);
}

static void
nobody_there(void)
{
	/* A port nothing listens on: bind one, note it, close it. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	socklen_t sl = sizeof(sa);
	CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
	close(fd);
	char url[64], err[256] = "";
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", ntohs(sa.sin_port));
	rpc_client *c = NULL;
	double t0 = mosaic_mono_now();
	CHECK(rpc_client_open(&c, url, 2, err, sizeof(err)) == MOSAIC_ENET);
	CHECK(mosaic_mono_now() - t0 < 1);
	CHECK(strstr(err, "refused") != NULL);
	CHECK(rpc_client_open(&c, "http://x:1", 2, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(rpc_client_open(&c, "tcp://127.0.0.1:99999", 2, err, sizeof(err)) == MOSAIC_EINVAL);
}

int
main(void)
{
	round_trips("tcp://127.0.0.1:0");
	char path[64];
	snprintf(path, sizeof(path), "ipc:///tmp/mosaic-test-rpc-%d.sock", (int)getpid());
	round_trips(path);
	CHECK(access(path + 6, F_OK) != 0); /* the socket file is removed on close */
	bad_frames();
	nobody_there();
	return check_done();
}
