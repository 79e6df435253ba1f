/* The master on real sockets: the HTTP server (/api/state, /metrics,
 * /health, / with and without a web UI directory), answered from the loop
 * while a client thread waits, and GetState over the messenger, with
 * undecodable input counted. */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>

#include "check.h"
#include "harness.h"
#include "master_impl.h"
#include "messenger.h"
#include "util.h"

typedef struct fetch {
	int port;
	const char *paths[8];
	char *bodies[8];
	int status[8];
	int n;
	atomic_int done;
} fetch;

static char *
http_get(int port, const char *path, int *status)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return NULL;
	}
	char req[256];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(fd, req, (size_t)n) != n) {
		close(fd);
		return NULL;
	}
	size_t cap = 65536, len = 0;
	char *buf = xmalloc(cap);
	ssize_t r;
	while ((r = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (len + 1 == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	close(fd);
	buf[len] = '\0';
	*status = atoi(buf + 9);
	char *body = strstr(buf, "\r\n\r\n");
	char *out = xstrdup(body ? body + 4 : "");
	free(buf);
	return out;
}

static void *
fetch_run(void *arg)
{
	fetch *f = arg;
	for (int i = 0; i < f->n; i++)
		f->bodies[i] = http_get(f->port, f->paths[i], &f->status[i]);
	atomic_store(&f->done, 1);
	return NULL;
}

static void
fetch_all(mosaic_loop *loop, fetch *f)
{
	pthread_t th;
	atomic_init(&f->done, 0);
	pthread_create(&th, NULL, fetch_run, f);
	double end = mosaic_mono_now() + 10;
	while (!atomic_load(&f->done) && mosaic_mono_now() < end)
		loop_run_once(loop, 0.01);
	pthread_join(th, NULL);
}

static int
port_of(const char *http)
{
	const char *colon = strrchr(http, ':');
	return colon ? atoi(colon + 1) : 0;
}

typedef struct client {
	int states;
	double undecodable;
	size_t agents;
} client;

static void
on_state(void *arg, const char *from, const ProtobufCMessage *msg)
{
	client *c = arg;
	const Mosaic__State *st = (const Mosaic__State *)msg;
	c->states++;
	c->agents = st->n_agents;
	for (size_t i = 0; i < st->n_counters; i++)
		if (strcmp(st->counters[i]->name, "dropped_undecodable") == 0)
			c->undecodable = st->counters[i]->value;
}

static const messenger_route client_routes[] = {
    {.type = MOSAIC__MESSAGE_TYPE__MSG_STATE, .desc = &mosaic__state__descriptor, .fn = on_state},
};

int
main(void)
{
	char base[] = "/tmp/mosaic-test-http-XXXXXX";
	CHECK(mkdtemp(base) != NULL);
	char work[300], ui[300], index[320];
	snprintf(work, sizeof(work), "%s/master", base);
	snprintf(ui, sizeof(ui), "%s/web", base);
	snprintf(index, sizeof(index), "%s/index.html", ui);
	mosaic_loop *loop;
	CHECK_OK(loop_new(&loop));

	/* Real messenger and HTTP, ports chosen by the system. */
	master_config cfg;
	master_config_init(&cfg);
	cfg.listen = "tcp://127.0.0.1:0";
	cfg.http = "127.0.0.1:0";
	cfg.work_dir = work;
	master *m;
	char err[256];
	CHECK_OK(master_new(&m, loop, &cfg, err, sizeof(err)));
	CHECK_OK(master_start(m, err, sizeof(err)));
	CHECK(strncmp(master_address(m), "tcp://127.0.0.1:", 16) == 0 && port_of(master_address(m)) > 0);
	CHECK(strncmp(master_http_address(m), "http://127.0.0.1:", 17) == 0);
	int port = port_of(master_http_address(m));
	CHECK(port > 0);

	fetch f = {.port = port, .paths = {"/api/state", "/metrics", "/health", "/", "/nope"}, .n = 5};
	fetch_all(loop, &f);
	CHECK(f.status[0] == 200 && f.bodies[0] && strncmp(f.bodies[0], "{\"master_id\":\"master-", 21) == 0);
	CHECK(f.bodies[0] && strstr(f.bodies[0], "\"agents\":[]") != NULL);
	CHECK(f.status[1] == 200 && f.bodies[1] && strstr(f.bodies[1], "# TYPE mosaic_agents gauge") != NULL);
	CHECK(f.status[2] == 200 && f.bodies[2] && strcmp(f.bodies[2], "ok\n") == 0);
	CHECK(f.status[3] == 200 && f.bodies[3] && strstr(f.bodies[3], "/api/state") != NULL);
	CHECK(f.status[4] == 404);
	for (int i = 0; i < f.n; i++)
		free(f.bodies[i]);

	/* GetState over the messenger, after some garbage. */
	client cl = {0};
	messenger *cm;
	CHECK_OK(messenger_open(&cm, loop, "tcp://127.0.0.1:0", client_routes, 1, &cl, err, sizeof(err)));
	nng_socket raw;
	CHECK(nng_push0_open(&raw) == 0);
	CHECK(nng_dial(raw, master_address(m), NULL, 0) == 0);
	CHECK(nng_send(raw, "not an envelope", 15, 0) == 0);
	h_run(loop, 0.2);
	Mosaic__GetState gs = MOSAIC__GET_STATE__INIT;
	CHECK_OK(messenger_send(cm, master_address(m), MOSAIC__MESSAGE_TYPE__MSG_GET_STATE, &gs.base));
	double end = mosaic_mono_now() + 5;
	while (cl.states == 0 && mosaic_mono_now() < end)
		loop_run_once(loop, 0.01);
	CHECK(cl.states == 1 && cl.agents == 0);
	CHECK(cl.undecodable == 1);
	nng_close(raw);
	messenger_close(cm);
	master_free(m);

	/* With a web UI directory, / serves it; the API still answers. */
	CHECK_OK(util_mkdir_p(ui));
	CHECK_OK(util_write_file_atomic(index, "<html>mosaic ui</html>\n", 23));
	cfg.listen = NULL;
	cfg.webui_dir = ui;
	CHECK_OK(master_new(&m, loop, &cfg, err, sizeof(err)));
	if (master_start(m, err, sizeof(err)) != 0)
		fprintf(stderr, "master_start: %s\n", err);
	fetch g = {
	    .port = port_of(master_http_address(m)), .paths = {"/", "/index.html", "/api/state"}, .n = 3};
	fetch_all(loop, &g);
	CHECK(g.status[0] == 200 && g.bodies[0] && strstr(g.bodies[0], "mosaic ui") != NULL);
	CHECK(g.status[1] == 200 && g.bodies[1] && strstr(g.bodies[1], "mosaic ui") != NULL);
	CHECK(g.status[2] == 200 && g.bodies[2] && strstr(g.bodies[2], "\"frameworks\":[]") != NULL);
	for (int i = 0; i < g.n; i++)
		free(g.bodies[i]);
	master_free(m);

	/* A port in use is a clear error. */
	cfg.webui_dir = NULL;
	cfg.http = "127.0.0.1:0";
	master *m2;
	CHECK_OK(master_new(&m, loop, &cfg, err, sizeof(err)));
	CHECK_OK(master_start(m, err, sizeof(err)));
	char busy[64];
	snprintf(busy, sizeof(busy), "127.0.0.1:%d", port_of(master_http_address(m)));
	cfg.http = busy;
	char work2[320];
	snprintf(work2, sizeof(work2), "%s/master2", base);
	cfg.work_dir = work2;
	CHECK_OK(master_new(&m2, loop, &cfg, err, sizeof(err)));
	CHECK(master_start(m2, err, sizeof(err)) == MOSAIC_ENET);
	CHECK(strstr(err, busy) != NULL);
	master_free(m2);
	master_free(m);

	loop_free(loop);
	util_remove_tree(base);
	return check_done();
}
