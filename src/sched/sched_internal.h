/* sched_internal.h - the scheduler object, shared by sched.c (lifecycle,
 * loop, subscription, messages in) and sched_calls.c (messages out). Not
 * installed: frameworks see only mosaic/sched.h. */
#ifndef MOSAIC_SCHED_INTERNAL_H
#define MOSAIC_SCHED_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "ids.h"
#include "loop.h"
#include "messenger.h"
#include "mosaic/sched.h"
#include "sched_dedup.h"
#include "sched_offers.h"

/* Updates remembered for deduplication: resends come within ~30 s of each
 * other, so ten minutes and 64k updates is ample. */
#define SCHED_DEDUP_CAPACITY 65536
#define SCHED_DEDUP_TTL 600.0
/* Heartbeats missed before the master counts as gone (docs/PROTOCOL.md). */
#define SCHED_MISSED_HEARTBEATS 3
/* How long mosaic_sched_free waits for the master to take what was sent. */
#define SCHED_FLUSH_SECONDS 2.0

typedef enum sched_state {
	SCHED_NEW,         /* created, not started */
	SCHED_SUBSCRIBING, /* Subscribe sent, retrying until Subscribed */
	SCHED_SUBSCRIBED,
	SCHED_TORN_DOWN
} sched_state;

typedef struct sched_rec sched_rec; /* a framework's timer, fd or signal */

struct mosaic_sched {
	mosaic_loop *loop;
	messenger *msgr;
	mosaic_sched_callbacks cb;
	void *arg;

	/* FrameworkInfo, owned copies */
	char *name, *role, *principal, *user, *hostname;
	double failover_timeout;
	char fw_id[MOSAIC_ID_MAX];
	char master[MESSENGER_ADDR_MAX];
	char listen[MESSENGER_ADDR_MAX];
	bool explicit_acks;
	bool suppressed;

	sched_state state;
	bool ever_subscribed; /* the next Subscribed is a reconnection */
	double heartbeat_interval;
	double last_heard; /* monotonic time of the master's last message */
	double last_keepalive;
	unsigned attempt; /* unanswered Subscribes in a row */
	uint64_t subscribe_timer, tick_timer;
	bool flushed; /* the master answered the flush's GetState */
	bool closing; /* in mosaic_sched_free: messages are dropped */

	sched_offers offers;
	sched_dedup dedup;
	sched_rec *recs;        /* the framework's timers and fds */
	sched_rec *signal_recs; /* its signal handlers (live as long as the loop) */
	char errmsg[256];
};

/* sched_fail records a message for mosaic_sched_last_error and returns err. */
int sched_fail(mosaic_sched *s, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* sched_send sends msg to the master; MOSAIC_ESTATE before start. */
int sched_send(mosaic_sched *s, uint32_t type, const ProtobufCMessage *msg);
/* sched_ack acknowledges an update and remembers it was. */
int sched_ack(mosaic_sched *s, const char *agent_id, const char *task_id, const uint8_t *uuid, size_t len);

#endif
