/* agent_status.h - the agent's status update manager: every task state
 * change the master must hear of, checkpointed before it is sent, sent one
 * at a time per task (the next only once the previous is acknowledged) and
 * resent with back-off (1 s doubling to 30 s) until its StatusUpdateAck.
 *
 * The manager owns no I/O: it is handed a save/drop/send ops table and the
 * current time, so tests drive it with a fake clock. Sending is split from
 * adding so that the agent can commit its checkpoint transaction first
 * (group commit): agent_status_add only saves and queues, agent_status_flush
 * sends what became sendable, agent_status_tick resends what is overdue.
 *
 * Not thread-safe: the agent's loop owns it. */
#ifndef MOSAIC_AGENT_STATUS_H
#define MOSAIC_AGENT_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.pb-c.h"

#define AGENT_STATUS_RETRY_MIN 1.0
#define AGENT_STATUS_RETRY_MAX 30.0
/* Checkpoint keys are this long (zero-padded sequence numbers sort in
 * arrival order). */
#define AGENT_STATUS_KEY_LEN 24

typedef struct agent_status agent_status;

typedef struct agent_status_ops {
	/* Make the packed StatusUpdate durable under key; non-zero fails the add. */
	int (*save)(void *ctx, const char *key, const uint8_t *data, size_t len);
	/* The update under key was acknowledged: forget it. */
	void (*drop)(void *ctx, const char *key);
	/* Send a packed StatusUpdate to the master. */
	void (*send)(void *ctx, const uint8_t *data, size_t len);
	/* An update of (fw, task) in state was acknowledged; more is how many
	 * of that task's updates are still queued. May be NULL. */
	void (*acked)(void *ctx, const char *fw, const char *task, int state, size_t more);
} agent_status_ops;

/* agent_status_new: the caller owns *out (agent_status_free); ops must
 * outlive it. Starts inactive (nothing is sent before agent_status_set_active). */
void agent_status_new(agent_status **out, const agent_status_ops *ops, void *ctx);
void agent_status_free(agent_status *s);

/* agent_status_add gives status a fresh uuid (set in status only while it
 * is packed; the caller's fields are left as they were), packs
 * StatusUpdate{fw, status}, saves it and queues it behind the task's
 * earlier updates. MOSAIC_EIO if saving failed (nothing queued). */
int agent_status_add(agent_status *s, const char *fw, Mosaic__TaskStatus *status, double now);

/* agent_status_restore queues a checkpointed update again after a restart
 * (no save). Keys must come in key order. MOSAIC_EDECODE for a row that
 * does not decode (the caller drops it). */
int agent_status_restore(agent_status *s, const char *key, const uint8_t *data, size_t len);

/* agent_status_ack handles StatusUpdateAck: when uuid is the head of the
 * task's queue it is dropped and the next one becomes sendable (sent at the
 * next flush). MOSAIC_ENOENT for an ack of nothing in flight (a duplicate). */
int agent_status_ack(agent_status *s, const char *fw, const char *task, const uint8_t *uuid, size_t len,
                     double now);

/* While inactive (no master) nothing is sent. Activating makes every head
 * sendable at once with its back-off reset (a new master knows nothing). */
void agent_status_set_active(agent_status *s, bool active, double now);

/* Send every head that became sendable since the last flush. */
void agent_status_flush(agent_status *s, double now);
/* Resend every head whose retry time has come; returns the earliest next
 * retry time (INFINITY when nothing waits). */
double agent_status_tick(agent_status *s, double now);

/* Updates queued in all, and for one task. */
size_t agent_status_pending(const agent_status *s);
size_t agent_status_pending_task(const agent_status *s, const char *fw, const char *task);

/* Forget every queued update, calling drop for each (the agent was refused
 * and starts afresh). */
void agent_status_clear(agent_status *s);

#endif
