/* mbatch_client.h - the `mbatch` CLI's line to mbatchd: one rpc
 * connection (src/common/rpc.h; answers come back on it), opened at the
 * first call and again after a broken one, one request at a time, each
 * bounded by a timeout. Requests and replies are batch.proto
 * messages; every one carries a request_id (field 1) that matches them.
 *
 * Blocking; single-threaded. */
#ifndef MOSAIC_BATCH_MBATCH_CLIENT_H
#define MOSAIC_BATCH_MBATCH_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

typedef struct mbatch_client mbatch_client;

/* mbatch_client_open checks the address; the connection is made by the
 * first call (a daemon that is not running is found out there, at once).
 * MOSAIC_ENET or MOSAIC_EINVAL with a message for people in err. The caller owns
 * *out (mbatch_client_close). */
int mbatch_client_open(mbatch_client **out, const char *address, char *err, size_t errlen);
void mbatch_client_close(mbatch_client *c);

/* A fresh request id for the next call. */
uint64_t mbatch_client_next_id(mbatch_client *c);

/* mbatch_client_call sends req (of type, with request_id already set to
 * id) and waits at most timeout seconds for the reply (a reply_desc
 * message) with that id (MOSAIC_ENET at once when nothing listens). On success *reply is the unpacked reply
 * (the caller frees it with protobuf_c_message_free_unpacked). MOSAIC_ETIMEDOUT or MOSAIC_ENET with a message
 * in err. */
int mbatch_client_call(mbatch_client *c, uint32_t type, const ProtobufCMessage *req, uint64_t id,
                       const ProtobufCMessageDescriptor *reply_desc, double timeout, ProtobufCMessage **reply,
                       char *err, size_t errlen);

/* The daemon's address the client talks to. */
const char *mbatch_client_address(const mbatch_client *c);

#endif
