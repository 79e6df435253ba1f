/* rpc.h - request and answer over one stream connection, for a daemon's
 * command-line clients (`mbatch` to mbatchd).
 *
 * The messenger's one-way envelopes suit daemons that live for hours; a
 * CLI process lives for milliseconds, and a reply that has to be dialled
 * back to it costs both sides a listener, a second connection, nng's
 * threads and the redial of a peer that is already gone. Here the client
 * connects, writes its request and reads the answer on the same
 * connection, with no thread at either end: the server runs on the
 * daemon's loop, the client blocks with a deadline.
 *
 * Wire (docs/PROTOCOL.md): each message is a 4-byte big-endian length and
 * then that many bytes of a Mosaic Envelope {type, from, seq, payload};
 * `from` is empty (the connection is the way back), `seq` the sender's
 * counter. Several requests may follow one another on a connection; an
 * answer may come late (a wait) and in any order, so the payloads carry
 * the ids that match answers to requests.
 *
 * Limits: RPC_MAX_MSG per message (the messenger's), RPC_MAX_CONNS
 * connections at once (more are closed at once, with a log line),
 * RPC_MAX_PENDING_OUT bytes of answers a client has not read (beyond that
 * its connection is closed), RPC_IDLE_SECONDS without traffic. A length
 * over the limit or an envelope that does not decode closes that
 * connection with a log line; nothing else is affected.
 *
 * The server is single-threaded: call it only from its loop's thread. */
#ifndef MOSAIC_RPC_H
#define MOSAIC_RPC_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "messenger.h"

#define RPC_MAX_MSG MESSENGER_MAX_MSG
#define RPC_MAX_CONNS 1024
#define RPC_MAX_PENDING_OUT (64u << 20)
#define RPC_IDLE_SECONDS 900.0

typedef struct rpc_server rpc_server;

/* A request: conn names its connection for rpc_server_reply; payload is
 * valid during the call only. */
typedef void (*rpc_handler)(void *ctx, uint64_t conn, uint32_t type, uint64_t seq,
                            const uint8_t *payload, size_t len);

/* rpc_server_open listens on url (tcp://host:port, port 0 for a free one;
 * or ipc:///path for a Unix socket) and calls fn for every request.
 * MOSAIC_ENET or MOSAIC_EINVAL with the reason in err. The caller owns
 * *out (rpc_server_close). */
int rpc_server_open(rpc_server **out, mosaic_loop *loop, const char *url, rpc_handler fn, void *ctx,
                    char *err, size_t errlen);
void rpc_server_close(rpc_server *s);
/* The address clients reach the server at (the url with the bound port). */
const char *rpc_server_address(const rpc_server *s);

/* rpc_server_reply queues an answer on conn and writes what the socket
 * takes now. MOSAIC_ENOENT if the connection is gone (the client left:
 * not an error worth more than a debug line), MOSAIC_ETOOBIG over
 * RPC_MAX_MSG. */
int rpc_server_reply(rpc_server *s, uint64_t conn, uint32_t type, uint64_t seq, const uint8_t *payload,
                     size_t len);

/* ---- client: blocking, one connection, no threads ---- */

typedef struct rpc_client rpc_client;

/* rpc_client_open connects to url within timeout seconds. MOSAIC_ENET
 * (refused, unreachable, timed out: err says why, e.g. "Connection
 * refused", for the caller to name what it could not reach) or
 * MOSAIC_EINVAL (not a tcp:// or ipc:// address) with a message in err.
 * The caller owns *out. */
int rpc_client_open(rpc_client **out, const char *url, double timeout, char *err, size_t errlen);
void rpc_client_close(rpc_client *c);

/* rpc_client_send writes one request; rpc_client_recv reads the next
 * answer, whatever its seq (the caller owns *payload: free()). Both give up
 * at the deadline (mosaic_mono_now() based): MOSAIC_ETIMEDOUT; a closed or
 * broken connection is MOSAIC_ENET; an oversized or undecodable answer
 * MOSAIC_EDECODE. After any error the connection is unusable. */
int rpc_client_send(rpc_client *c, uint32_t type, uint64_t seq, const uint8_t *payload, size_t len,
                    double deadline, char *err, size_t errlen);
int rpc_client_recv(rpc_client *c, uint32_t *type, uint64_t *seq, uint8_t **payload, size_t *len,
                    double deadline, char *err, size_t errlen);

#endif
