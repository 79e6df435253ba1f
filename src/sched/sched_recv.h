/* sched_recv.h - handlers of the master's messages other than Subscribed
 * and Heartbeat (sched.c): each decodes at the boundary (sched_codec) and
 * calls the framework's callback. */
#ifndef MOSAIC_SCHED_RECV_H
#define MOSAIC_SCHED_RECV_H

#include <stdbool.h>

#include <protobuf-c/protobuf-c.h>

#include "sched_internal.h"

/* Whether messages from the master are taken now (started, not torn down,
 * not being freed). */
bool sched_recv_accepting(const mosaic_sched *s);

void sched_recv_offers(void *ctx, const char *from, const ProtobufCMessage *m);
void sched_recv_rescind(void *ctx, const char *from, const ProtobufCMessage *m);
void sched_recv_update(void *ctx, const char *from, const ProtobufCMessage *m);
void sched_recv_agent_lost(void *ctx, const char *from, const ProtobufCMessage *m);
void sched_recv_error(void *ctx, const char *from, const ProtobufCMessage *m);
void sched_recv_accept_result(void *ctx, const char *from, const ProtobufCMessage *m);
/* The answer to the GetState mosaic_sched_free sends to flush. */
void sched_recv_state(void *ctx, const char *from, const ProtobufCMessage *m);

#endif
