#include "mbatchd_server.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "loop.h"
#include "mem.h"
#include "rpc.h"

#define CONN_PREFIX "rpc:" /* a request's `from`: the connection it came on */

typedef struct outmsg {
	char *to;
	uint32_t type;
	uint8_t *payload;
	size_t len;
	struct outmsg *next;
} outmsg;

typedef struct inmsg {
	mbatchd_server_request *req;
	struct inmsg *next;
} inmsg;

struct mbatchd_server {
	pthread_t thread;
	mosaic_loop *loop; /* the server thread's */
	rpc_server *rpc;
	char url[MESSENGER_ADDR_MAX];
	char address[MESSENGER_ADDR_MAX];
	int efd; /* readable while requests wait for the daemon */

	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool started; /* the thread finished opening (ok or not) */
	int open_rv;
	char open_err[512];
	inmsg *in_head, *in_tail;
	outmsg *out_head, *out_tail;
	bool flush_posted;
};

void
mbatchd_server_request_free(mbatchd_server_request *r)
{
	if (!r)
		return;
	free(r->from);
	free(r->payload);
	free(r);
}

/* Server thread: a request arrived; it goes to the daemon's loop as the
 * bytes that came. */
static void
on_request(void *ctx, uint64_t conn, uint32_t type, uint64_t seq, const uint8_t *payload, size_t len)
{
	mbatchd_server *srv = ctx;
	(void)seq;
	mbatchd_server_request *r = xcalloc(1, sizeof(*r));
	r->type = type;
	r->from = xasprintf(CONN_PREFIX "%llu", (unsigned long long)conn);
	r->len = len;
	r->payload = xmalloc(len ? len : 1);
	if (len)
		memcpy(r->payload, payload, len);
	inmsg *m = xcalloc(1, sizeof(*m));
	m->req = r;
	pthread_mutex_lock(&srv->mu);
	if (srv->in_tail)
		srv->in_tail->next = m;
	else
		srv->in_head = m;
	srv->in_tail = m;
	pthread_mutex_unlock(&srv->mu);
	uint64_t one = 1;
	ssize_t n = write(srv->efd, &one, sizeof(one));
	(void)n;
}

/* Server thread: send every queued reply on its connection. A client
 * that left (Ctrl-C during a wait) is no error. */
static void
flush_out(mosaic_loop *loop, void *arg)
{
	mbatchd_server *srv = arg;
	(void)loop;
	pthread_mutex_lock(&srv->mu);
	outmsg *list = srv->out_head;
	srv->out_head = srv->out_tail = NULL;
	srv->flush_posted = false;
	pthread_mutex_unlock(&srv->mu);
	while (list) {
		outmsg *next = list->next;
		char *end = NULL;
		unsigned long long conn = 0;
		if (strncmp(list->to, CONN_PREFIX, strlen(CONN_PREFIX)) == 0)
			conn = strtoull(list->to + strlen(CONN_PREFIX), &end, 10);
		if (!end || *end) {
			LOGW("cannot answer '%s': not a connection of this server", list->to);
		} else {
			int rv = rpc_server_reply(srv->rpc, conn, list->type, 0, list->payload, list->len);
			if (rv == MOSAIC_ENOENT)
				LOGD("the client of connection %llu left before its answer", conn);
			else if (rv != 0)
				LOGW("cannot answer connection %llu: %s", conn, mosaic_strerror(rv));
		}
		free(list->to);
		free(list->payload);
		free(list);
		list = next;
	}
}

static void *
server_main(void *arg)
{
	mbatchd_server *srv = arg;
	char err[512] = "";
	int rv = loop_new(&srv->loop);
	if (rv == 0)
		rv = rpc_server_open(&srv->rpc, srv->loop, srv->url, on_request, srv, err, sizeof(err));
	pthread_mutex_lock(&srv->mu);
	srv->open_rv = rv;
	snprintf(srv->open_err, sizeof(srv->open_err), "%s", err);
	if (rv == 0)
		snprintf(srv->address, sizeof(srv->address), "%s", rpc_server_address(srv->rpc));
	srv->started = true;
	pthread_cond_signal(&srv->cond);
	pthread_mutex_unlock(&srv->mu);
	if (rv != 0)
		return NULL;
	loop_run(srv->loop);
	/* Replies queued just before the stop still go out; the sockets get a
	 * moment to take them. */
	flush_out(srv->loop, srv);
	double end = mosaic_mono_now() + 0.2;
	while (mosaic_mono_now() < end)
		loop_run_once(srv->loop, 0.05);
	rpc_server_close(srv->rpc);
	srv->rpc = NULL;
	return NULL;
}

int
mbatchd_server_open(mbatchd_server **out, const char *url, char *err, size_t errlen)
{
	mbatchd_server *srv = xcalloc(1, sizeof(*srv));
	snprintf(srv->url, sizeof(srv->url), "%s", url);
	pthread_mutex_init(&srv->mu, NULL);
	pthread_cond_init(&srv->cond, NULL);
	srv->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv->efd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		free(srv);
		return MOSAIC_EIO;
	}
	if (pthread_create(&srv->thread, NULL, server_main, srv) != 0) {
		snprintf(err, errlen, "cannot start the CLI thread: %s", strerror(errno));
		close(srv->efd);
		free(srv);
		return MOSAIC_EIO;
	}
	pthread_mutex_lock(&srv->mu);
	while (!srv->started)
		pthread_cond_wait(&srv->cond, &srv->mu);
	int rv = srv->open_rv;
	pthread_mutex_unlock(&srv->mu);
	if (rv != 0) {
		snprintf(err, errlen, "%s", srv->open_err);
		pthread_join(srv->thread, NULL);
		if (srv->loop)
			loop_free(srv->loop);
		close(srv->efd);
		free(srv);
		return MOSAIC_ENET;
	}
	*out = srv;
	return MOSAIC_OK;
}

void
mbatchd_server_close(mbatchd_server *srv)
{
	if (!srv)
		return;
	loop_stop(srv->loop);
	pthread_join(srv->thread, NULL);
	loop_free(srv->loop);
	for (inmsg *m = srv->in_head, *next; m; m = next) {
		next = m->next;
		mbatchd_server_request_free(m->req);
		free(m);
	}
	for (outmsg *m = srv->out_head, *next; m; m = next) {
		next = m->next;
		free(m->to);
		free(m->payload);
		free(m);
	}
	close(srv->efd);
	pthread_mutex_destroy(&srv->mu);
	pthread_cond_destroy(&srv->cond);
	free(srv);
}

const char *
mbatchd_server_address(const mbatchd_server *srv)
{
	return srv->address;
}

int
mbatchd_server_fd(const mbatchd_server *srv)
{
	return srv->efd;
}

mbatchd_server_request *
mbatchd_server_take(mbatchd_server *srv)
{
	pthread_mutex_lock(&srv->mu);
	inmsg *m = srv->in_head;
	if (m) {
		srv->in_head = m->next;
		if (!srv->in_head)
			srv->in_tail = NULL;
	}
	if (!srv->in_head) {
		/* Drain the counter under the lock: a request queued after this
		 * writes it again, so no wake-up is lost. */
		uint64_t v;
		ssize_t n = read(srv->efd, &v, sizeof(v));
		(void)n;
	}
	pthread_mutex_unlock(&srv->mu);
	if (!m)
		return NULL;
	mbatchd_server_request *r = m->req;
	free(m);
	return r;
}

void
mbatchd_server_send(mbatchd_server *srv, const char *to, uint32_t type, const uint8_t *payload, size_t len)
{
	outmsg *m = xcalloc(1, sizeof(*m));
	m->to = xstrdup(to);
	m->type = type;
	m->payload = xmalloc(len ? len : 1);
	if (len)
		memcpy(m->payload, payload, len);
	m->len = len;
	pthread_mutex_lock(&srv->mu);
	if (srv->out_tail)
		srv->out_tail->next = m;
	else
		srv->out_head = m;
	srv->out_tail = m;
	bool post = !srv->flush_posted;
	srv->flush_posted = true;
	pthread_mutex_unlock(&srv->mu);
	if (post)
		loop_post(srv->loop, flush_out, srv);
}
