#include "mbatch_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "batch.pb-c.h"
#include "errors.h"
#include "loop.h"
#include "mem.h"
#include "messenger.h"

#define PROBE_TIMEOUT_MS 2000
#define PROBE_AFTER 0.5 /* seconds without an answer before looking whether mbatchd listens */

struct mbatch_client {
	mosaic_loop *loop;
	messenger *m;
	char address[MESSENGER_ADDR_MAX];
	uint64_t next_id;
	/* The reply being waited for, packed again by the handler. */
	uint64_t want_id;
	const ProtobufCMessageDescriptor *want_desc;
	bool probed;
	uint8_t *got;
	size_t got_len;
	bool have;
};

/* The reply's request_id: field 1 of every batch.proto reply. */
static uint64_t
request_id_of(const ProtobufCMessage *msg)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, "request_id");
	if (!f || f->type != PROTOBUF_C_TYPE_UINT64)
		return 0;
	return *(const uint64_t *)((const char *)msg + f->offset);
}

static void
on_reply(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	mbatch_client *c = ctx;
	if (c->have || msg->descriptor != c->want_desc || request_id_of(msg) != c->want_id)
		return; /* a late answer to an earlier try */
	c->got_len = protobuf_c_message_get_packed_size(msg);
	c->got = xmalloc(c->got_len ? c->got_len : 1);
	protobuf_c_message_pack(msg, c->got);
	c->have = true;
}

static const messenger_route routes[] = {
    {MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_SUBMIT_REPLY, &mbatch__submit_reply__descriptor, on_reply},
    {MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_LIST_REPLY, &mbatch__list_reply__descriptor, on_reply},
    {MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_CONTROL_REPLY, &mbatch__control_reply__descriptor, on_reply},
    {MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_WAIT_REPLY, &mbatch__wait_reply__descriptor, on_reply},
};

/* A plain TCP connect: nng would retry a refused dial quietly for ever,
 * and "mbatchd is not running" deserves a clear line soon. Only when an
 * answer is late: nng's listener, after a connection that closes before
 * its handshake (this one), stops accepting for 100 ms, so probing before
 * every request would delay every request by that much. */
static int
probe(const char *address, char *err, size_t errlen)
{
	const char *p = strncmp(address, "tcp://", 6) == 0 ? address + 6 : NULL;
	const char *colon = p ? strrchr(p, ':') : NULL;
	if (!p || !colon) {
		snprintf(err, errlen, "'%s' is not a tcp://host:port address", address);
		return MOSAIC_EINVAL;
	}
	char host[256], port[16];
	snprintf(host, sizeof(host), "%.*s", (int)(colon - p), p);
	snprintf(port, sizeof(port), "%s", colon + 1);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	int gai = getaddrinfo(host, port, &hints, &ai);
	if (gai != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(gai));
		return MOSAIC_ENET;
	}
	int rv = MOSAIC_ENET, e = ECONNREFUSED;
	for (struct addrinfo *a = ai; a && rv != 0; a = a->ai_next) {
		int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			rv = 0;
		} else if (errno == EINPROGRESS) {
			struct pollfd pf = {.fd = fd, .events = POLLOUT};
			int soerr = ETIMEDOUT;
			socklen_t sl = sizeof(soerr);
			if (poll(&pf, 1, PROBE_TIMEOUT_MS) == 1)
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			if (soerr == 0)
				rv = 0;
			else
				e = soerr;
		} else {
			e = errno;
		}
		close(fd);
	}
	freeaddrinfo(ai);
	if (rv != 0)
		snprintf(err, errlen,
		         "cannot reach mbatchd at %s: %s (is it running? `mosaic cluster up` starts it; set "
		         "MBATCH_ADDRESS or MOSAIC_MASTER to find another)",
		         address, strerror(e));
	return rv;
}

int
mbatch_client_open(mbatch_client **out, const char *address, char *err, size_t errlen)
{
	int rv;
	if (strncmp(address, "tcp://", 6) != 0 || !strrchr(address + 6, ':')) {
		snprintf(err, errlen, "'%s' is not a tcp://host:port address", address);
		return MOSAIC_EINVAL;
	}
	mbatch_client *c = xcalloc(1, sizeof(*c));
	snprintf(c->address, sizeof(c->address), "%s", address);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->next_id = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec;
	const char *host = getenv("MOSAIC_LISTEN_HOST");
	char url[300];
	snprintf(url, sizeof(url), "tcp://%s:0", host && *host ? host : "127.0.0.1");
	if ((rv = loop_new(&c->loop)) == 0)
		rv = messenger_open(&c->m, c->loop, url, routes, sizeof(routes) / sizeof(routes[0]), c, err,
		                    errlen);
	if (rv != 0) {
		if (c->loop)
			loop_free(c->loop);
		free(c);
		return MOSAIC_ENET;
	}
	*out = c;
	return MOSAIC_OK;
}

void
mbatch_client_close(mbatch_client *c)
{
	if (!c)
		return;
	messenger_close(c->m);
	loop_free(c->loop);
	free(c->got);
	free(c);
}

uint64_t
mbatch_client_next_id(mbatch_client *c)
{
	return ++c->next_id;
}

const char *
mbatch_client_address(const mbatch_client *c)
{
	return c->address;
}

int
mbatch_client_call(mbatch_client *c, uint32_t type, const ProtobufCMessage *req, uint64_t id,
                   const ProtobufCMessageDescriptor *reply_desc, double timeout, ProtobufCMessage **reply,
                   char *err, size_t errlen)
{
	free(c->got);
	c->got = NULL;
	c->have = false;
	c->want_id = id;
	c->want_desc = reply_desc;
	int rv = messenger_send(c->m, c->address, type, req);
	if (rv != 0) {
		snprintf(err, errlen, "cannot send to mbatchd at %s: %s", c->address, mosaic_strerror(rv));
		return rv;
	}
	double start = mosaic_mono_now(), end = start + timeout;
	while (!c->have) {
		double now = mosaic_mono_now(), left = end - now;
		if (left <= 0) {
			snprintf(err, errlen, "mbatchd at %s did not answer within %.0f s", c->address,
			         timeout);
			return MOSAIC_ETIMEDOUT;
		}
		if (!c->probed && now - start >= PROBE_AFTER) {
			c->probed = true;
			if ((rv = probe(c->address, err, errlen)) != 0)
				return rv;
		}
		double wait = c->probed ? 0.5 : start + PROBE_AFTER - now;
		loop_run_once(c->loop, left < wait ? left : wait);
	}
	*reply = protobuf_c_message_unpack(reply_desc, NULL, c->got_len, c->got);
	if (!*reply) {
		snprintf(err, errlen, "undecodable answer from mbatchd");
		return MOSAIC_EDECODE;
	}
	return MOSAIC_OK;
}
