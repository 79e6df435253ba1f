/* executor_impl.h - the executor's state, shared by executor.c (agent
 * protocol, statuses, lifetime) and executor_tasks.c (starting, killing and
 * reaping tasks). Loop thread only. */
#ifndef MOSAIC_EXECUTOR_IMPL_H
#define MOSAIC_EXECUTOR_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "containerizer.h"
#include "executor.h"
#include "executor.pb-c.h"
#include "pbmem.h"

typedef struct exec_task {
	executor *owner;
	char id[MOSAIC_ID_MAX];
	char *sandbox;
	char *cpus; /* OS CPUs it is bound to, or NULL */
	char *numa;
	pid_t pid; /* 0: never started */
	bool live; /* started and not yet reaped */
	int state; /* a Mosaic__TaskState */
	bool kill_requested;
	double grace; /* SIGTERM -> SIGKILL for this task */
	uint64_t kill_timer;
	struct exec_task *prev, *next;
} exec_task;

typedef struct exec_status {
	uint64_t id;
	char task[MOSAIC_ID_MAX];
	int state;
	uint8_t *data; /* packed ExecutorStatus */
	size_t len;
	double last_sent;
	struct exec_status *next;
} exec_status;

/* An ExecutorLaunch being worked through a few tasks per loop round, so a
 * large batch does not keep acks, kills and reaping waiting. */
typedef struct exec_batch {
	Mosaic__ExecutorLaunch *msg; /* in mem */
	pbmem *mem;
	bool *dropped;               /* killed while queued */
	size_t next;
	struct exec_batch *link;
} exec_batch;

struct executor {
	executor_config cfg;
	mosaic_loop *loop;
	messenger *msgr;
	containerizer *cont;
	char agent_id[MOSAIC_ID_MAX];
	bool registered;
	double last_register;
	bool agent_lost;
	double agent_lost_at;
	bool shutting_down;
	double kill_deadline; /* shutting down: SIGKILL what is left */
	double exit_deadline; /* shutting down: leave, acked or not */
	exec_task *tasks;
	size_t ntasks, nlive;
	exec_status *pending, *pending_tail;
	size_t npending;
	uint64_t next_status_id;
	double last_ack; /* loop time of the agent's latest ack */
	exec_batch *batches, *batches_tail;
	uint64_t launch_timer;
	uint64_t tick_timer;
	int exit_code;
	bool done;
};

/* executor.c */
void executor_report(executor *e, exec_task *t, Mosaic__TaskStatus *st);
void executor_check_done(executor *e);

/* executor_tasks.c */
exec_task *executor_task_find(executor *e, const char *id);
exec_task *executor_task_add(executor *e, const char *id);
void executor_task_free(executor *e, exec_task *t);
/* Queues m's tasks to start a few per loop round; takes m and mem, the
 * arena it lives in (the agent's message, kept with messenger_keep). */
void executor_queue_launch(executor *e, Mosaic__ExecutorLaunch *m, pbmem *mem);
/* executor_unqueue takes a task out of the launch queue; true if it was there. */
bool executor_unqueue(executor *e, const char *task);
/* Each queued task id, for ExecutorRegister (fn returns nothing). */
void executor_queued_each(executor *e, void (*fn)(void *arg, const char *task), void *arg);
void executor_drop_queue(executor *e, bool report);
void executor_kill(executor *e, exec_task *t, double grace);
void executor_reap(executor *e);
void executor_kill_all_now(executor *e);

#endif
