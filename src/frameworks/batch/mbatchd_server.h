/* mbatchd_server.h - mbatchd's CLI endpoint: a thread of its own running
 * an rpc server (src/common/rpc.h: request and answer on one connection,
 * no dial-back to a CLI process that lives for milliseconds) on the
 * daemon's listening address, because the scheduler library's loop is
 * not ours to add sockets to. A request's `from` names its connection
 * ("rpc:N"); an answer sent to it goes back on that connection.
 *
 * Requests travel to the daemon's loop through a queue and an eventfd that
 * loop watches; replies travel back through the server loop's loop_post.
 * Payloads cross as packed bytes, so no protobuf-c object is shared between
 * threads. */
#ifndef MOSAIC_BATCH_MBATCHD_SERVER_H
#define MOSAIC_BATCH_MBATCHD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

typedef struct mbatchd_server mbatchd_server;

/* One request, owned by whoever holds it (mbatchd_server_request_free). */
typedef struct mbatchd_server_request {
	uint32_t type;
	char *from;
	uint8_t *payload;
	size_t len;
} mbatchd_server_request;

/* mbatchd_server_open starts the thread and listens on url. Requests
 * are handed over as they came (type and payload bytes): the daemon's
 * dispatch checks the type and decodes, once. Blocks until listening.
 * MOSAIC_ENET with the reason in err. The caller owns *out
 * (mbatchd_server_close). */
int mbatchd_server_open(mbatchd_server **out, const char *url, char *err, size_t errlen);
/* mbatchd_server_close stops the thread (sending what is queued first,
 * within a second) and frees everything. NULL is a no-op. */
void mbatchd_server_close(mbatchd_server *srv);

const char *mbatchd_server_address(const mbatchd_server *srv);
/* The fd that becomes readable when requests are waiting (an eventfd). */
int mbatchd_server_fd(const mbatchd_server *srv);
/* mbatchd_server_take returns the next waiting request (the caller owns
 * it), or NULL; it also clears the fd's readiness once the queue is empty.
 * Thread-safe. */
mbatchd_server_request *mbatchd_server_take(mbatchd_server *srv);
void mbatchd_server_request_free(mbatchd_server_request *r);

/* mbatchd_server_send queues a packed reply of type for address to; the
 * server thread sends it. Copies payload. Thread-safe. */
void mbatchd_server_send(mbatchd_server *srv, const char *to, uint32_t type, const uint8_t *payload,
                         size_t len);

#endif
