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
#include "messenger.h"

#define MAX_TYPES 16
#define PEER_IDLE 1.0 /* seconds: CLI processes come and go; their pipes need not linger */
#define PEER_SWEEP 0.5

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

/* A CLI process answered lately (server thread only). */
typedef struct recent {
	char *addr;
	double last;
} recent;

struct mbatchd_server {
	pthread_t thread;
	mosaic_loop *loop; /* the server thread's */
	messenger *msgr;
	char url[MESSENGER_ADDR_MAX];
	char address[MESSENGER_ADDR_MAX];
	messenger_route routes[MAX_TYPES];
	size_t nroutes;
	int efd;        /* readable while requests wait for the daemon */
	recent *recent; /* server thread only */
	size_t nrecent, caprecent;

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

/* Server thread: a request arrived, already checked by unpacking it. It is
 * packed again (a few hundred bytes, or the script) and handed over. */
static void
on_request(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	mbatchd_server *srv = ctx;
	uint32_t type = 0;
	for (size_t i = 0; i < srv->nroutes; i++)
		if (srv->routes[i].desc == msg->descriptor)
			type = srv->routes[i].type;
	mbatchd_server_request *r = xcalloc(1, sizeof(*r));
	r->type = type;
	r->from = xstrdup(from);
	r->len = protobuf_c_message_get_packed_size(msg);
	r->payload = xmalloc(r->len ? r->len : 1);
	protobuf_c_message_pack(msg, r->payload);
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

/* The messenger keeps a pipe to every peer for minutes, redialling a
 * peer that went away; a CLI process is gone a moment after its answer,
 * so its pipe is closed once it has been idle a while. */
static void
note_peer(mbatchd_server *srv, const char *addr, double now)
{
	for (size_t i = 0; i < srv->nrecent; i++)
		if (strcmp(srv->recent[i].addr, addr) == 0) {
			srv->recent[i].last = now;
			return;
		}
	if (srv->nrecent == srv->caprecent) {
		srv->caprecent = srv->caprecent ? 2 * srv->caprecent : 64;
		srv->recent = xrealloc(srv->recent, srv->caprecent * sizeof(*srv->recent));
	}
	srv->recent[srv->nrecent++] = (recent){.addr = xstrdup(addr), .last = now};
}

static void
sweep_peers(mosaic_loop *loop, void *arg)
{
	mbatchd_server *srv = arg;
	double now = loop_now(loop);
	size_t k = 0;
	for (size_t i = 0; i < srv->nrecent; i++) {
		if (now - srv->recent[i].last > PEER_IDLE) {
			messenger_forget(srv->msgr, srv->recent[i].addr);
			free(srv->recent[i].addr);
		} else {
			srv->recent[k++] = srv->recent[i];
		}
	}
	srv->nrecent = k;
	loop_timer_start(loop, PEER_SWEEP, sweep_peers, srv);
}

/* Server thread: send every queued reply. */
static void
flush_out(mosaic_loop *loop, void *arg)
{
	mbatchd_server *srv = arg;
	pthread_mutex_lock(&srv->mu);
	outmsg *list = srv->out_head;
	srv->out_head = srv->out_tail = NULL;
	srv->flush_posted = false;
	pthread_mutex_unlock(&srv->mu);
	while (list) {
		outmsg *next = list->next;
		int rv = messenger_send_raw(srv->msgr, list->to, list->type, list->payload, list->len);
		if (rv != 0)
			LOGW("cannot answer %s: %s", list->to, mosaic_strerror(rv));
		note_peer(srv, list->to, loop_now(loop));
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
		rv = messenger_open(&srv->msgr, srv->loop, srv->url, srv->routes, srv->nroutes, srv, err,
		                    sizeof(err));
	pthread_mutex_lock(&srv->mu);
	srv->open_rv = rv;
	snprintf(srv->open_err, sizeof(srv->open_err), "%s", err);
	if (rv == 0)
		snprintf(srv->address, sizeof(srv->address), "%s", messenger_address(srv->msgr));
	srv->started = true;
	pthread_cond_signal(&srv->cond);
	pthread_mutex_unlock(&srv->mu);
	if (rv != 0)
		return NULL;
	loop_timer_start(srv->loop, PEER_SWEEP, sweep_peers, srv);
	loop_run(srv->loop);
	/* Replies queued just before the stop still go out; the messenger
	 * gets a moment to hand them to the network. */
	flush_out(srv->loop, srv);
	double end = mosaic_mono_now() + 0.2;
	while (mosaic_mono_now() < end)
		loop_run_once(srv->loop, 0.05);
	messenger_close(srv->msgr);
	srv->msgr = NULL;
	for (size_t i = 0; i < srv->nrecent; i++)
		free(srv->recent[i].addr);
	free(srv->recent);
	return NULL;
}

int
mbatchd_server_open(mbatchd_server **out, const char *url, const uint32_t *types,
                    const ProtobufCMessageDescriptor *const *descs, size_t ntypes, char *err, size_t errlen)
{
	if (ntypes > MAX_TYPES) {
		snprintf(err, errlen, "too many message types");
		return MOSAIC_EINVAL;
	}
	mbatchd_server *srv = xcalloc(1, sizeof(*srv));
	snprintf(srv->url, sizeof(srv->url), "%s", url);
	for (size_t i = 0; i < ntypes; i++)
		srv->routes[i] = (messenger_route){.type = types[i], .desc = descs[i], .fn = on_request};
	srv->nroutes = ntypes;
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
		snprintf(err, errlen, "cannot listen on %s: %s", url, srv->open_err);
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
