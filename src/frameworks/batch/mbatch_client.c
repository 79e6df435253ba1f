#include "mbatch_client.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.pb-c.h"
#include "errors.h"
#include "loop.h"
#include "mem.h"
#include "rpc.h"

#define CONNECT_TIMEOUT 5.0 /* seconds */

struct mbatch_client {
	rpc_client *rpc; /* NULL until the first call, and after a broken one */
	char address[MESSENGER_ADDR_MAX];
	uint64_t next_id;
	uint64_t seq;
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

static const struct {
	uint32_t type;
	const ProtobufCMessageDescriptor *desc;
} replies[] = {
    {MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_SUBMIT_REPLY, &mbatch__submit_reply__descriptor},
    {MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_LIST_REPLY, &mbatch__list_reply__descriptor},
    {MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_CONTROL_REPLY, &mbatch__control_reply__descriptor},
    {MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_WAIT_REPLY, &mbatch__wait_reply__descriptor},
};

int
mbatch_client_open(mbatch_client **out, const char *address, char *err, size_t errlen)
{
	if (strncmp(address, "tcp://", 6) != 0 || !strrchr(address + 6, ':')) {
		snprintf(err, errlen, "'%s' is not a tcp://host:port address", address);
		return MOSAIC_EINVAL;
	}
	mbatch_client *c = xcalloc(1, sizeof(*c));
	snprintf(c->address, sizeof(c->address), "%s", address);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->next_id = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec;
	*out = c;
	return MOSAIC_OK;
}

void
mbatch_client_close(mbatch_client *c)
{
	if (!c)
		return;
	rpc_client_close(c->rpc);
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

static void
drop_connection(mbatch_client *c)
{
	rpc_client_close(c->rpc);
	c->rpc = NULL;
}

/* The connection broke before the answer. A daemon killed a moment ago
 * can still take a connection into its backlog and then reset it: when
 * nothing listens any more, say so plainly. Whether a request that was
 * sent got taken, only mbatchd can tell once it is back. */
static void
went_away(mbatch_client *c, const char *why, char *err, size_t errlen)
{
	rpc_client *probe = NULL;
	char perr[256];
	usleep(200 * 1000);
	if (rpc_client_open(&probe, c->address, 1.0, perr, sizeof(perr)) != 0) {
		snprintf(err, errlen,
		         "cannot reach mbatchd at %s: %s (it went away during the request: `mbatch queue` "
		         "shows whether it was taken once mbatchd is back; `mosaic cluster up` starts it)",
		         c->address, perr);
		return;
	}
	rpc_client_close(probe);
	snprintf(err, errlen, "mbatchd at %s closed the connection before answering: %s", c->address, why);
}

int
mbatch_client_call(mbatch_client *c, uint32_t type, const ProtobufCMessage *req, uint64_t id,
                   const ProtobufCMessageDescriptor *reply_desc, double timeout, ProtobufCMessage **reply,
                   char *err, size_t errlen)
{
	char why[512];
	double deadline = mosaic_mono_now() + timeout;
	if (!c->rpc && rpc_client_open(&c->rpc, c->address, timeout < CONNECT_TIMEOUT ? timeout : CONNECT_TIMEOUT,
	                               why, sizeof(why)) != 0) {
		snprintf(err, errlen,
		         "cannot reach mbatchd at %s: %s (is it running? `mosaic cluster up` starts it; set "
		         "MBATCH_ADDRESS or MOSAIC_MASTER to find another)",
		         c->address, why);
		return MOSAIC_ENET;
	}
	size_t len = protobuf_c_message_get_packed_size(req);
	uint8_t *buf = xmalloc(len ? len : 1);
	protobuf_c_message_pack(req, buf);
	int rv = rpc_client_send(c->rpc, type, ++c->seq, buf, len, deadline, why, sizeof(why));
	free(buf);
	if (rv != 0) {
		drop_connection(c);
		if (rv == MOSAIC_ETOOBIG)
			snprintf(err, errlen, "mbatchd at %s: %s", c->address, why);
		else
			went_away(c, why, err, errlen);
		return rv == MOSAIC_ETOOBIG ? rv : MOSAIC_ENET;
	}
	for (;;) {
		uint32_t rtype;
		uint64_t rseq;
		uint8_t *payload;
		size_t plen;
		rv = rpc_client_recv(c->rpc, &rtype, &rseq, &payload, &plen, deadline, why, sizeof(why));
		if (rv != 0) {
			drop_connection(c);
			if (rv == MOSAIC_ETIMEDOUT)
				snprintf(err, errlen, "mbatchd at %s did not answer within %.0f s", c->address,
				         timeout);
			else
				went_away(c, why, err, errlen);
			return rv;
		}
		const ProtobufCMessageDescriptor *desc = NULL;
		for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
			if (replies[i].type == rtype)
				desc = replies[i].desc;
		ProtobufCMessage *m = desc == reply_desc ? protobuf_c_message_unpack(desc, NULL, plen, payload) : NULL;
		free(payload);
		if (desc == reply_desc && !m) {
			drop_connection(c);
			snprintf(err, errlen, "undecodable answer from mbatchd");
			return MOSAIC_EDECODE;
		}
		if (m && request_id_of(m) == id) {
			*reply = m;
			return MOSAIC_OK;
		}
		if (m) /* a late answer to an earlier request */
			protobuf_c_message_free_unpacked(m, NULL);
	}
}
