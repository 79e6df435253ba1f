/* agent_impl.h - the agent's state, shared by agent.c (registration,
 * dispatch, signals), agent_tasks.c (tasks and frameworks) and
 * agent_executors.c (executors). Nothing outside the agent includes it.
 *
 * Everything here is owned and touched by the agent's loop thread only. */
#ifndef MOSAIC_AGENT_IMPL_H
#define MOSAIC_AGENT_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent.h"
#include "agent.pb-c.h"
#include "agent_files.h"
#include "agent_status.h"
#include "executor.pb-c.h"
#include "ids.h"
#include "messenger.h"
#include "pbmem.h"
#include "resources.h"
#include "store.h"
#include "topology.h"

#define AGENT_TASK_BUCKETS 4096
/* The agent's own kill grace default (docs/PROTOCOL.md). */
#define AGENT_KILL_GRACE 3.0
/* How long SIGUSR1 waits for executors beyond the longest kill grace. */
#define AGENT_STOP_SLACK 5.0
/* Sandbox garbage collection (agent_gc.c): how often, and how many trees
 * one scan removes at most. */
#define AGENT_GC_INTERVAL 60.0
#define AGENT_GC_MAX_REMOVALS 10000
#define AGENT_GC_MAX_QUEUED 1000000 /* past this many, the oldest go early */
typedef struct agent_gc agent_gc;

typedef enum agent_exec_state {
	EXEC_NONE = 0,   /* none: never started, or gone */
	EXEC_LAUNCHING,  /* spawned, ExecutorRegister not yet in */
	EXEC_RECOVERING, /* from the checkpoint: ExecutorReconnect sent, waiting */
	EXEC_RUNNING,    /* registered: launches go straight to it */
} agent_exec_state;

typedef struct agent_executor {
	agent_exec_state state;
	char id[MOSAIC_ID_MAX];
	char address[MESSENGER_ADDR_MAX]; /* where it listens, once registered */
	pid_t pid;
	bool child;              /* spawned by this process: reaped on SIGCHLD */
	double since;            /* loop time of the spawn or of the recovery */
	double last_reconnect;   /* loop time ExecutorReconnect was last sent */
	double term_sent;        /* loop time SIGTERM was sent; 0 = not */
	double kill_sent;        /* loop time SIGKILL was sent; 0 = not */
	double shutdown_at;      /* loop time ExecutorShutdown was sent; 0 = not */
	double shutdown_grace;   /* the kill grace it was given */
	bool gone_pending;       /* it ended; handled shortly (agent_executors.c) */
	bool retiring;           /* it predates the sandbox layout: no new tasks, replaced when idle */
	const char *gone_reason; /* static text: why its tasks fail if it ends */
} agent_executor;

typedef struct agent_task agent_task;

typedef struct agent_framework {
	char id[MOSAIC_ID_MAX];
	Mosaic__FrameworkInfo *info; /* a copy, in info_mem */
	pbmem *info_mem;
	char address[MESSENGER_ADDR_MAX];
	agent_executor exec;
	bool shutting_down;  /* ShutdownFramework (or agent stop) received */
	bool idle_stop;      /* its executor is being stopped for idleness */
	double idle_since;   /* loop time it last had no live task; 0 = busy */
	bool launch_pending; /* tasks wait for the next flush */
	agent_task *tasks_head, *tasks_tail;
	size_t ntasks;
	struct agent_framework *next;
} agent_framework;

struct agent_task {
	agent_framework *fw;
	char id[MOSAIC_ID_MAX];
	Mosaic__TaskInfo *info; /* a copy, in info_mem */
	pbmem *info_mem;
	mosaic_resources res;
	int state;     /* a Mosaic__TaskState */
	bool launched; /* sent to the executor (or recovered) */
	bool kill_requested;
	bool holds_cores; /* cores reserved under "fw/task" */
	bool counted;     /* res is counted in agent.used */
	int uid, gid;     /* -1: the executor's */
	uint32_t pid;
	char *sandbox; /* heap; NULL before it exists */
	char *cpus;    /* topology numbering; NULL = not bound */
	char *numa;
	bool numa_bind; /* ask the executor to bind memory to numa */
	struct agent_task *hnext;
	struct agent_task *fprev, *fnext;
};

typedef struct agent_ack {
	char to[MESSENGER_ADDR_MAX];
	uint64_t id;
} agent_ack;

struct agent {
	agent_config cfg;
	mosaic_loop *loop;
	messenger *msgr;
	store *store;
	topology *topo;
	agent_files *files;
	agent_status *updates;
	char id[MOSAIC_ID_MAX];
	char http_url[300];
	mosaic_resources total, used;

	bool registered;
	double reg_delay;
	uint64_t reg_timer;
	double ping_interval;
	unsigned max_missed;
	double last_ping;
	uint64_t tick_timer;
	uint64_t retry_timer;

	bool topo_dirty;
	uint64_t topo_timer;
	double topo_sent;

	/* Group commit: writes of one loop round share a transaction; what
	 * must not be sent before it is durable waits for agent_flush. */
	bool in_txn;
	uint64_t flush_timer;
	agent_ack *acks;
	size_t nacks, capacks;

	agent_framework *frameworks;
	agent_task *tasks[AGENT_TASK_BUCKETS];
	size_t ntasks;

	uint64_t gone_timer;
	uint64_t gc_timer;
	agent_gc *gc;

	bool stopping;
	double stop_deadline;
	double idle_since; /* stopping: when the last executor went */
};

/* agent.c */
void agent_txn(agent *a);
void agent_topology_changed(agent *a);
void agent_send(agent *a, const char *to, uint32_t type, const ProtobufCMessage *msg);
void agent_queue_ack(agent *a, const char *to, uint64_t id);
void agent_check_stopped(agent *a);

/* agent_gc.c */
void agent_gc_start(agent *a); /* after the checkpoint's recovery */
void agent_gc_free(agent *a);
/* The delay now (the disk's fullness shortens it), and one scan: the
 * number of directory trees removed. */
double agent_gc_delay(const agent *a);
size_t agent_gc_scan(agent *a, double now_wall);
/* The agent forgot an ended task / a framework left it: queued from now. */
void agent_gc_task_ended(agent *a, const char *fw_id, const char *task_id, const char *sandbox);
void agent_gc_framework_left(agent *a, const char *fw_id);

/* agent_tasks.c */
agent_framework *agent_framework_find(agent *a, const char *id);
agent_framework *agent_framework_get(agent *a, const Mosaic__FrameworkInfo *info, const char *address);
void agent_framework_maybe_remove(agent *a, agent_framework *fw);
agent_task *agent_task_find(agent *a, const char *fw, const char *task);
agent_task *agent_task_new(agent *a, agent_framework *fw, const Mosaic__TaskInfo *info);
void agent_task_remove(agent *a, agent_task *t);
/* agent_task_transition records st->state (and the fields the executor
 * set) for t, checkpoints it and queues the update; terminal states give
 * back the task's resources and cores. */
void agent_task_transition(agent *a, agent_task *t, Mosaic__TaskStatus *st);
void agent_task_fail(agent *a, agent_task *t, int state, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void agent_task_checkpoint(agent *a, agent_task *t);
void agent_tasks_status_acked(void *ctx, const char *fw, const char *task, int state, size_t more);
void agent_on_run_tasks(void *ctx, const char *from, const ProtobufCMessage *msg);
void agent_on_kill_task(void *ctx, const char *from, const ProtobufCMessage *msg);
void agent_on_shutdown_framework(void *ctx, const char *from, const ProtobufCMessage *msg);
void agent_tasks_recover_framework(void *ctx, const Mosaic__FrameworkInfo *info, const char *address);
void agent_tasks_recover_task(void *ctx, const char *fw, const Mosaic__TaskInfo *info,
                              const Mosaic__TaskStatus *latest);
/* Kill every task and shut down every executor (agent stop). */
void agent_tasks_kill_all(agent *a);

/* agent_executors.c */
void agent_executor_ensure(agent *a, agent_framework *fw);
void agent_executor_send_launches(agent *a, agent_framework *fw);
void agent_executor_kill_task(agent *a, agent_framework *fw, agent_task *t, double grace);
void agent_executor_shutdown(agent *a, agent_framework *fw, double grace);
void agent_executors_reap(agent *a);
void agent_executors_tick(agent *a);
void agent_executors_recover_row(void *ctx, const Mosaic__ExecutorRegister *exec);
void agent_executors_recover(agent *a);
void agent_executors_kill_hard(agent *a);
bool agent_executors_any(const agent *a);
void agent_on_executor_register(void *ctx, const char *from, const ProtobufCMessage *msg);
void agent_on_executor_status(void *ctx, const char *from, const ProtobufCMessage *msg);

#endif
