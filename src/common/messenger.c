#include "messenger.h"

#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>

#include "errors.h"
#include "log.h"
#include "mem.h"
#include "mosaic.pb-c.h"
#include "pbmem.h"
#include "util.h"

/* nng closes a connection that sends more than its receive limit, and we
 * cannot count that; so nng's limit is twice ours and everything between
 * the two is dropped and counted here. */
#define NNG_RECV_LIMIT (2 * (size_t)MESSENGER_MAX_MSG)
/* Messages handled per wake-up, so one busy peer cannot starve timers. */
#define RECV_BUDGET 512
#define PEER_BUCKETS 1024
/* A batch is sent once it holds this much, without waiting for the end
 * of the loop's turn; an envelope larger than this goes alone. */
#define BATCH_BYTES (256u << 10)
#define SWEEP_SECONDS 5.0 /* how often idle and unreachable peers are looked for */

typedef struct peer {
	char *addr;
	nng_socket sock;
	double last_used;
	/* Written by nng's pipe callbacks (its threads): connections up now,
	 * and since when none has been (mosaic_mono_now() in ms; from the dial). */
	atomic_int up;
	atomic_llong down_since_ms;
	struct peer *next;
	/* Envelopes queued during this turn of the loop, as the body of an
	 * EnvelopeBatch: each is field 1's tag, a varint length, the bytes. */
	uint8_t *pend;
	size_t pend_len, pend_cap;
	uint32_t npend;
	size_t first_hdr; /* the first envelope's tag + length bytes */
} peer;

struct messenger {
	mosaic_loop *loop;
	nng_socket pull;
	nng_listener listener;
	int recv_fd;
	char address[MESSENGER_ADDR_MAX];
	const messenger_route *routes;
	size_t nroutes;
	void *ctx;
	uint64_t seq;
	peer *buckets[PEER_BUCKETS];
	uint64_t idle_timer;
	uint64_t flush_timer; /* armed while some peer has envelopes queued */
	size_t npending_peers;
	messenger_stats stats;
};

static void flush_all(mosaic_loop *loop, void *arg);

static const messenger_route *
route_of(const messenger_route *routes, size_t n, uint32_t type)
{
	for (size_t i = 0; i < n; i++)
		if (routes[i].type == type)
			return &routes[i];
	return NULL;
}

/* The arena of the message being handled (NULL outside a handler, or once
 * messenger_keep took it). */
static _Thread_local pbmem **handling;

pbmem *
messenger_keep(void)
{
	pbmem *mem = handling ? *handling : NULL;
	if (handling)
		*handling = NULL;
	return mem;
}

/* Decode one envelope and hand its payload to its route. nested: it came
 * inside a batch (where another batch is not allowed). The envelope and
 * the payload are unpacked into arenas of their own (pbmem.h), so that a
 * handler can keep the payload without the envelope. */
static void
decode(const messenger_route *routes, size_t nroutes, const uint8_t *body, size_t len, bool nested,
       messenger_stats *st, void *ctx)
{
	if (len > MESSENGER_MAX_MSG) {
		st->dropped_oversized++;
		LOGW("dropped a %zu-byte message: over the %u-byte limit", len, MESSENGER_MAX_MSG);
		return;
	}
	pbmem *envmem;
	Mosaic__Envelope *env = (Mosaic__Envelope *)pbmem_unpack(&mosaic__envelope__descriptor, len, body, &envmem);
	if (!env) {
		st->dropped_undecodable++;
		LOGW("dropped an undecodable %zu-byte message", len);
		return;
	}
	const uint8_t *payload = env->has_payload ? env->payload.data : (const uint8_t *)"";
	size_t plen = env->has_payload ? env->payload.len : 0;
	if (env->type == MOSAIC__MESSAGE_TYPE__MSG_BATCH && !nested) {
		pbmem *bmem;
		Mosaic__EnvelopeBatch *b =
		    (Mosaic__EnvelopeBatch *)pbmem_unpack(&mosaic__envelope_batch__descriptor, plen, payload, &bmem);
		if (!b) {
			st->dropped_undecodable++;
			LOGW("dropped an undecodable batch of %zu bytes from %s", len, env->from);
		} else {
			for (size_t i = 0; i < b->n_envelopes; i++)
				decode(routes, nroutes, b->envelopes[i].data, b->envelopes[i].len, true, st, ctx);
			pbmem_free(bmem);
		}
		pbmem_free(envmem);
		return;
	}
	const messenger_route *r =
	    env->type == MOSAIC__MESSAGE_TYPE__MSG_BATCH ? NULL : route_of(routes, nroutes, env->type);
	if (!r) {
		st->dropped_unknown_type++;
		LOGW("dropped a message of %s type %u from %s", nested ? "unexpected (in a batch)" : "unknown",
		    env->type, env->from);
		pbmem_free(envmem);
		return;
	}
	pbmem *mem;
	ProtobufCMessage *msg = pbmem_unpack(r->desc, plen, payload, &mem);
	if (!msg) {
		st->dropped_undecodable++;
		LOGW("dropped message type %u from %s: payload does not decode as %s", env->type, env->from,
		    r->desc->name);
		pbmem_free(envmem);
		return;
	}
	st->received++;
	pbmem **outer = handling;
	handling = &mem;
	r->fn(ctx, env->from, msg);
	handling = outer;
	pbmem_free(mem); /* NULL if the handler kept it */
	pbmem_free(envmem);
}

void
messenger_decode(const messenger_route *routes, size_t nroutes, const uint8_t *body, size_t len,
                 messenger_stats *stats, void *ctx)
{
	decode(routes, nroutes, body, len, false, stats, ctx);
}

static void
on_readable(mosaic_loop *loop, int fd, int revents, void *arg)
{
	messenger *m = arg;
	for (int i = 0; i < RECV_BUDGET; i++) {
		nng_msg *msg;
		int rv = nng_recvmsg(m->pull, &msg, NNG_FLAG_NONBLOCK);
		if (rv != 0) {
			if (rv != NNG_EAGAIN)
				LOGW("receive: %s", nng_strerror(rv));
			return;
		}
		decode(m->routes, m->nroutes, nng_msg_body(msg), nng_msg_len(msg), false, &m->stats, m->ctx);
		nng_msg_free(msg);
	}
}

static void
peer_close(peer *p)
{
	nng_close(p->sock);
	free(p->addr);
	free(p->pend);
	free(p);
}

static long long
mono_ms(void)
{
	return (long long)(mosaic_mono_now() * 1000);
}

/* nng's threads: a connection to the peer came or went. */
static void
on_pipe(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
	peer *p = arg;
	(void)pipe;
	if (ev == NNG_PIPE_EV_ADD_POST)
		atomic_fetch_add(&p->up, 1);
	else if (ev == NNG_PIPE_EV_REM_POST && atomic_fetch_sub(&p->up, 1) == 1)
		atomic_store(&p->down_since_ms, mono_ms());
}

/* Peers unused for MESSENGER_IDLE_SECONDS are closed; so are peers nng has
 * not reached for MESSENGER_DEAD_SECONDS (a CLI or a framework that has
 * exited: nng would redial it every second for as long as we keep it). A
 * later send dials again. */
static void
idle_sweep(mosaic_loop *loop, void *arg)
{
	messenger *m = arg;
	double now = loop_now(loop);
	long long now_ms = mono_ms();
	for (size_t b = 0; b < PEER_BUCKETS; b++) {
		peer **pp = &m->buckets[b];
		while (*pp) {
			peer *p = *pp;
			bool idle = now - p->last_used > MESSENGER_IDLE_SECONDS;
			bool dead = atomic_load(&p->up) == 0 &&
			    now_ms - atomic_load(&p->down_since_ms) > (long long)(MESSENGER_DEAD_SECONDS * 1000);
			if ((idle || dead) && p->npend == 0) {
				*pp = p->next;
				LOGD("closing %s peer %s", idle ? "idle" : "unreachable", p->addr);
				peer_close(p);
				m->stats.peers--;
			} else {
				pp = &p->next;
			}
		}
	}
	m->idle_timer = loop_timer_start(loop, SWEEP_SECONDS, idle_sweep, m);
}

/* Replace the port of a tcp url with the bound one ("tcp://h:0" -> "tcp://h:5050"). */
static void
fill_address(messenger *m, const char *url)
{
	snprintf(m->address, sizeof(m->address), "%s", url);
	if (strncmp(url, "tcp://", 6) != 0)
		return;
	int port = 0;
	if (nng_listener_get_int(m->listener, NNG_OPT_TCP_BOUND_PORT, &port) != 0)
		return;
	char *colon = strrchr(m->address, ':');
	if (colon && colon > m->address + 5)
		snprintf(colon, sizeof(m->address) - (size_t)(colon - m->address), ":%d", port);
}

int
messenger_open(messenger **out, mosaic_loop *loop, const char *url, const messenger_route *routes,
    size_t nroutes, void *ctx, char *err, size_t errlen)
{
	messenger *m = xcalloc(1, sizeof(*m));
	m->loop = loop;
	m->routes = routes;
	m->nroutes = nroutes;
	m->ctx = ctx;
	int rv;
	const char *step = "open";
	if ((rv = nng_pull0_open(&m->pull)) != 0)
		goto fail;
	step = "set receive limit";
	if ((rv = nng_socket_set_size(m->pull, NNG_OPT_RECVMAXSZ, NNG_RECV_LIMIT)) != 0)
		goto fail_close;
	nng_socket_set_int(m->pull, NNG_OPT_RECVBUF, 1024);
	step = "listen";
	if ((rv = nng_listener_create(&m->listener, m->pull, url)) != 0)
		goto fail_close;
	if ((rv = nng_listener_start(m->listener, 0)) != 0)
		goto fail_close;
	step = "get receive fd";
	if ((rv = nng_socket_get_int(m->pull, NNG_OPT_RECVFD, &m->recv_fd)) != 0)
		goto fail_close;
	fill_address(m, url);
	loop_fd_add(loop, m->recv_fd, POLLIN, on_readable, m);
	m->idle_timer = loop_timer_start(loop, SWEEP_SECONDS, idle_sweep, m);
	*out = m;
	return MOSAIC_OK;
fail_close:
	nng_close(m->pull);
fail:
	if (err && errlen)
		snprintf(err, errlen, "cannot %s on %s: %s", step, url, nng_strerror(rv));
	free(m);
	return MOSAIC_ENET;
}

void
messenger_close(messenger *m)
{
	if (!m)
		return;
	flush_all(m->loop, m); /* what this turn queued still goes */
	loop_timer_cancel(m->loop, m->flush_timer);
	loop_fd_remove(m->loop, m->recv_fd);
	loop_timer_cancel(m->loop, m->idle_timer);
	for (size_t b = 0; b < PEER_BUCKETS; b++) {
		peer *p = m->buckets[b];
		while (p) {
			peer *n = p->next;
			peer_close(p);
			p = n;
		}
	}
	nng_close(m->pull);
	free(m);
}

const char *
messenger_address(const messenger *m)
{
	return m->address;
}

static peer *
peer_get(messenger *m, const char *to)
{
	uint32_t b = util_hash_str(to) % PEER_BUCKETS;
	for (peer *p = m->buckets[b]; p; p = p->next)
		if (strcmp(p->addr, to) == 0)
			return p;
	peer *p = xcalloc(1, sizeof(*p));
	int rv;
	if ((rv = nng_push0_open(&p->sock)) != 0) {
		LOGE("cannot open a socket to %s: %s", to, nng_strerror(rv));
		free(p);
		return NULL;
	}
	atomic_init(&p->up, 0);
	atomic_init(&p->down_since_ms, mono_ms());
	nng_pipe_notify(p->sock, NNG_PIPE_EV_ADD_POST, on_pipe, p);
	nng_pipe_notify(p->sock, NNG_PIPE_EV_REM_POST, on_pipe, p);
	nng_socket_set_int(p->sock, NNG_OPT_SENDBUF, MESSENGER_SENDBUF);
	nng_socket_set_ms(p->sock, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(p->sock, NNG_OPT_RECONNMAXT, 1000);
	/* Non-blocking dial: nng keeps retrying in the background. */
	if ((rv = nng_dial(p->sock, to, NULL, NNG_FLAG_NONBLOCK)) != 0) {
		LOGW("cannot dial %s: %s", to, nng_strerror(rv));
		nng_close(p->sock);
		free(p);
		return NULL;
	}
	p->addr = xstrdup(to);
	p->next = m->buckets[b];
	m->buckets[b] = p;
	m->stats.peers++;
	return p;
}

/* Hand one nng message (an envelope, or a batch of count) to the peer's
 * socket; drops and counts it when nng will not take it. */
static void
peer_push(messenger *m, peer *p, const uint8_t *body, size_t size, uint32_t count)
{
	nng_msg *msg;
	if (nng_msg_alloc(&msg, size) != 0)
		abort();
	memcpy(nng_msg_body(msg), body, size);
	int rv = nng_sendmsg(p->sock, msg, NNG_FLAG_NONBLOCK);
	if (rv != 0) {
		nng_msg_free(msg);
		m->stats.send_failed += count;
		LOGW("dropped %u message%s to %s: %s", count, count == 1 ? "" : "s", p->addr, nng_strerror(rv));
		return;
	}
	m->stats.sent += count;
}

static size_t
varint_len(size_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Send what the peer has queued: one envelope as itself, several as one
 * MSG_BATCH envelope. */
static void
peer_flush(messenger *m, peer *p)
{
	if (p->npend == 0)
		return;
	if (p->npend == 1) {
		size_t hdr = p->first_hdr; /* tag + length */
		peer_push(m, p, p->pend + hdr, p->pend_len - hdr, 1);
	} else {
		Mosaic__Envelope env = MOSAIC__ENVELOPE__INIT;
		env.type = MOSAIC__MESSAGE_TYPE__MSG_BATCH;
		env.from = m->address;
		env.has_seq = 1;
		env.seq = ++m->seq;
		env.has_payload = 1;
		env.payload.data = p->pend;
		env.payload.len = p->pend_len;
		size_t size = mosaic__envelope__get_packed_size(&env);
		nng_msg *msg;
		if (nng_msg_alloc(&msg, size) != 0)
			abort();
		mosaic__envelope__pack(&env, nng_msg_body(msg));
		int rv = nng_sendmsg(p->sock, msg, NNG_FLAG_NONBLOCK);
		if (rv != 0) {
			nng_msg_free(msg);
			m->stats.send_failed += p->npend;
			LOGW("dropped %u messages to %s: %s", p->npend, p->addr, nng_strerror(rv));
		} else {
			m->stats.sent += p->npend;
			m->stats.batches++;
		}
	}
	p->pend_len = 0;
	p->npend = 0;
	m->npending_peers--;
	if (p->pend_cap > 4 * BATCH_BYTES) { /* after a burst */
		free(p->pend);
		p->pend = NULL;
		p->pend_cap = 0;
	}
}

static void
flush_all(mosaic_loop *loop, void *arg)
{
	messenger *m = arg;
	(void)loop;
	m->flush_timer = 0;
	for (size_t b = 0; b < PEER_BUCKETS && m->npending_peers; b++)
		for (peer *p = m->buckets[b]; p; p = p->next)
			peer_flush(m, p);
}

int
messenger_send_raw(messenger *m, const char *to, uint32_t type, const uint8_t *payload, size_t len)
{
	Mosaic__Envelope env = MOSAIC__ENVELOPE__INIT;
	env.type = type;
	env.from = m->address;
	env.has_seq = 1;
	env.seq = ++m->seq;
	if (payload) {
		env.has_payload = 1;
		env.payload.data = (uint8_t *)payload;
		env.payload.len = len;
	}
	size_t size = mosaic__envelope__get_packed_size(&env);
	if (size > MESSENGER_MAX_MSG) {
		m->stats.send_failed++;
		LOGW("not sending a %zu-byte message of type %u to %s: over the %u-byte limit", size, type, to,
		    MESSENGER_MAX_MSG);
		return MOSAIC_ETOOBIG;
	}
	peer *p = peer_get(m, to);
	if (!p) {
		m->stats.send_failed++;
		return MOSAIC_ENET;
	}
	p->last_used = loop_now(m->loop);
	size_t need = 1 + varint_len(size) + size;
	if (p->npend && p->pend_len + need > BATCH_BYTES)
		peer_flush(m, p);
	if (need > BATCH_BYTES) { /* large: alone, after what was queued */
		uint8_t *buf = xmalloc(size);
		mosaic__envelope__pack(&env, buf);
		peer_push(m, p, buf, size, 1);
		free(buf);
		return MOSAIC_OK;
	}
	if (p->pend_len + need > p->pend_cap) {
		p->pend_cap = p->pend_cap ? 2 * p->pend_cap : 4096;
		while (p->pend_cap < p->pend_len + need)
			p->pend_cap *= 2;
		p->pend = xrealloc(p->pend, p->pend_cap);
	}
	uint8_t *w = p->pend + p->pend_len;
	if (p->npend == 0)
		p->first_hdr = need - size;
	*w++ = 0x0a; /* field 1, length-delimited */
	for (size_t v = size; ; v >>= 7) {
		if (v < 0x80) {
			*w++ = (uint8_t)v;
			break;
		}
		*w++ = (uint8_t)(v | 0x80);
	}
	mosaic__envelope__pack(&env, w);
	p->pend_len += need;
	if (p->npend++ == 0)
		m->npending_peers++;
	if (!m->flush_timer) /* at the end of this turn of the loop */
		m->flush_timer = loop_timer_start(m->loop, 0, flush_all, m);
	return MOSAIC_OK;
}

int
messenger_send(messenger *m, const char *to, uint32_t type, const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	if (len > MESSENGER_MAX_MSG) {
		m->stats.send_failed++;
		LOGW("not sending a %zu-byte %s to %s: over the %u-byte limit", len, msg->descriptor->name, to,
		    MESSENGER_MAX_MSG);
		return MOSAIC_ETOOBIG;
	}
	uint8_t stackbuf[4096];
	uint8_t *buf = len <= sizeof(stackbuf) ? stackbuf : xmalloc(len);
	protobuf_c_message_pack(msg, buf);
	int rv = messenger_send_raw(m, to, type, buf, len);
	if (buf != stackbuf)
		free(buf);
	return rv;
}

void
messenger_forget(messenger *m, const char *to)
{
	uint32_t b = util_hash_str(to) % PEER_BUCKETS;
	for (peer **pp = &m->buckets[b]; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->addr, to) == 0) {
			peer *p = *pp;
			peer_flush(m, p);
			*pp = p->next;
			peer_close(p);
			m->stats.peers--;
			return;
		}
	}
}

void
messenger_stats_get(const messenger *m, messenger_stats *out)
{
	*out = m->stats;
}
