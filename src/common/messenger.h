/* messenger.h - one-way protobuf envelopes between daemons, over nng.
 * The only module that knows nng.
 *
 * Each daemon listens on one address (tcp://host:port, ipc://path) with a
 * pull socket; a peer is named by its address. Envelopes sent to one peer
 * during one turn of the loop leave together at its end, as one MSG_BATCH
 * envelope when there are several (each nng message costs thread hand-offs
 * at both ends; a busy daemon sends hundreds of updates and acks to the
 * same peer per turn); order per peer is kept, and the receiver handles
 * each as if it came alone. messenger_close sends what is queued. Sending
 * goes through one push socket per peer, dialed on first use; nng
 * reconnects it by itself and
 * buffers up to MESSENGER_SENDBUF messages while the peer is away (beyond
 * that a send is dropped and counted: the protocols above retry what
 * matters). Peers unused for MESSENGER_IDLE_SECONDS are closed, and so are
 * peers unreachable for MESSENGER_DEAD_SECONDS (a process that exited:
 * nng would redial it every second); a later send dials again.
 *
 * Receiving runs on the daemon's loop (nng's receive fd is watched): each
 * envelope is decoded, its payload unpacked with the descriptor the routes
 * table names for its type, and the route's handler called with the
 * unpacked message, which is freed when the handler returns unless the
 * handler took it with messenger_keep. Messages over
 * MESSENGER_MAX_MSG, undecodable envelopes or payloads and unknown types are
 * dropped with a log line and a counter, never a crash.
 *
 * Single-threaded: call only from the loop's thread. */
#ifndef MOSAIC_MESSENGER_H
#define MOSAIC_MESSENGER_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "loop.h"

#define MESSENGER_MAX_MSG (4u << 20) /* 4 MiB, envelope included */
#define MESSENGER_SENDBUF 4096       /* messages queued per peer */
#define MESSENGER_IDLE_SECONDS 120.0
#define MESSENGER_DEAD_SECONDS 10.0 /* a peer unreachable this long is closed (redialled on the next send) */
#define MESSENGER_ADDR_MAX 256

typedef struct messenger messenger;

/* A handler gets its context, the sender's address (valid during the call)
 * and the unpacked payload (freed after the call: copy what you keep, or
 * keep it all with messenger_keep). */
typedef void (*messenger_handler)(void *ctx, const char *from, const ProtobufCMessage *msg);

typedef struct pbmem pbmem;
/* Called by a handler: the payload it was given is now its own, with
 * every part of it in the returned arena (free it with pbmem_free; never
 * protobuf_c_message_free_unpacked). NULL outside a handler. */
pbmem *messenger_keep(void);

typedef struct messenger_route {
	uint32_t type;                          /* a MOSAIC__MESSAGE_TYPE__* value */
	const ProtobufCMessageDescriptor *desc; /* how to unpack its payload */
	messenger_handler fn;
} messenger_route;

typedef struct messenger_stats {
	uint64_t received;
	uint64_t sent;
	uint64_t dropped_oversized;
	uint64_t dropped_undecodable;
	uint64_t dropped_unknown_type;
	uint64_t send_failed; /* queue full or peer address unusable */
	uint64_t batches;     /* MSG_BATCH envelopes sent (each counted in sent per envelope) */
	uint64_t peers;
} messenger_stats;

/* messenger_decode is what a received message goes through: body (an
 * Envelope, or an Envelope of MSG_BATCH holding several) is decoded and
 * each payload handed, unpacked, to its route's fn with ctx; what is too
 * large, does not decode or has no route is dropped, logged and counted in
 * stats. Exposed for tests and fuzzing. */
void messenger_decode(const messenger_route *routes, size_t nroutes, const uint8_t *body, size_t len,
                      messenger_stats *stats, void *ctx);

/* messenger_open listens on url (port 0 picks a free port: see
 * messenger_address) and dispatches with routes (nroutes entries; the array
 * must outlive the messenger). On failure returns MOSAIC_ENET with the
 * reason in err. The caller owns *out (messenger_close). */
int messenger_open(messenger **out, mosaic_loop *loop, const char *url, const messenger_route *routes,
    size_t nroutes, void *ctx, char *err, size_t errlen);
void messenger_close(messenger *m);

/* The address peers reach this daemon at (the url with the bound port). */
const char *messenger_address(const messenger *m);

/* messenger_send packs msg into an envelope of type and queues it for to.
 * Never blocks. MOSAIC_ETOOBIG over MESSENGER_MAX_MSG, MOSAIC_ENET if the
 * address is unusable or the peer's queue is full (counted). */
int messenger_send(messenger *m, const char *to, uint32_t type, const ProtobufCMessage *msg);
/* Send an already packed payload (or none: payload NULL, len 0). */
int messenger_send_raw(messenger *m, const char *to, uint32_t type, const uint8_t *payload, size_t len);

/* Close the pipe to a peer that is gone for good (no more reconnects). */
void messenger_forget(messenger *m, const char *to);

void messenger_stats_get(const messenger *m, messenger_stats *out);

#endif
