/* mosaic/sched.h - libmosaic-sched: the framework side of Mosaic.
 *
 * A framework (a second-level scheduler: batch queue, MPI, MapReduce ...)
 * creates one mosaic_sched, fills callbacks, and runs its event loop. The
 * library subscribes to the master (retrying with back-off until it is
 * answered), sends a Keepalive every heartbeat interval, notices a master
 * that went silent (no Heartbeat for three intervals: failover or restart),
 * re-subscribes with the same framework id and reports disconnected /
 * reconnected. Status updates are delivered at least once by the agents, so
 * the library drops duplicates (by update uuid) and acknowledges updates
 * after the status callback returns, unless explicit acknowledgements were
 * asked for.
 *
 * Threading: everything runs on the library's own loop, on the thread that
 * calls mosaic_sched_run (or mosaic_sched_run_once). Every callback runs
 * there, and every function here must be called from there, except
 * mosaic_sched_stop and mosaic_sched_post, which are thread-safe. The
 * framework adds its own timers, file descriptors and signals to the same
 * loop, so it needs no locks.
 *
 * Memory: data passed to a callback (offers, statuses, strings) is valid
 * only during the call; copy what you keep. Data passed to a call (tasks,
 * offer ids) is read during the call only; the caller keeps ownership.
 *
 * Errors: functions return 0 (MOSAIC_SCHED_OK) or a mosaic_sched_err; a
 * call that fails sends nothing and changes nothing. mosaic_sched_last_error
 * gives the detail of the most recent failure in words.
 *
 * The master is reached at the address given in the config, else the
 * MOSAIC_MASTER environment variable, else tcp://127.0.0.1:5050. The
 * framework listens on tcp://<MOSAIC_LISTEN_HOST or 127.0.0.1>:0 (the port
 * is chosen by the system) unless the config names a listen address.
 *
 * Minimal use:
 *
 *	static void on_offers(mosaic_sched *s, void *arg, const mosaic_sched_offer *o, size_t n) { ... }
 *	mosaic_sched_callbacks cb = {.offers = on_offers, .status = on_status};
 *	mosaic_sched_config cfg = {.framework = {.name = "hello"}, .callbacks = &cb};
 *	mosaic_sched *s;
 *	if (mosaic_sched_new(&s, &cfg, err, sizeof(err)) != 0) ...
 *	mosaic_sched_run(s);     // until a callback calls mosaic_sched_stop(s)
 *	mosaic_sched_teardown(s); // when the framework is done for good
 *	mosaic_sched_free(s);
 *
 * Link with `pkg-config --libs mosaic-sched`. */
#ifndef MOSAIC_SCHED_H
#define MOSAIC_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------- */

/* The same numbers as Mosaic's one error enum. */
typedef enum mosaic_sched_err {
	MOSAIC_SCHED_OK = 0,
	MOSAIC_SCHED_EINVAL,    /* malformed argument (a task spec, an id) */
	MOSAIC_SCHED_ENOENT,    /* unknown or gone (an offer id already used or rescinded) */
	MOSAIC_SCHED_EEXIST,    /* already exists (an fd watched twice) */
	MOSAIC_SCHED_ENOSPC,    /* a named limit was reached */
	MOSAIC_SCHED_EIO,       /* operating system error */
	MOSAIC_SCHED_ENET,      /* messaging error (cannot listen, cannot queue) */
	MOSAIC_SCHED_ETOOBIG,   /* message over the 4 MiB limit */
	MOSAIC_SCHED_EDECODE,   /* undecodable data */
	MOSAIC_SCHED_EPERM,     /* not permitted */
	MOSAIC_SCHED_ESTATE,    /* not now: not subscribed, torn down, not started */
	MOSAIC_SCHED_ETIMEDOUT, /* deadline passed */
	MOSAIC_SCHED_EAGAIN,    /* try again later */
	MOSAIC_SCHED_ENOTSUP    /* not supported */
} mosaic_sched_err;

/* mosaic_sched_strerror: a static text for err. */
const char *mosaic_sched_strerror(int err);

/* ---- resources ------------------------------------------------------- */

#define MOSAIC_SCHED_MAX_PORT_RANGES 16
#define MOSAIC_SCHED_ID_MAX 64             /* ids are 1-63 of [A-Za-z0-9._-] */
#define MOSAIC_SCHED_MAX_SCRIPT (1u << 20) /* bytes of a task's inline script */

typedef struct mosaic_sched_range {
	uint32_t begin; /* inclusive */
	uint32_t end;   /* inclusive */
} mosaic_sched_range;

/* A plain value: copy it freely. Zero-initialised means "nothing". */
typedef struct mosaic_sched_resources {
	double cpus; /* fractional */
	double mem;  /* MiB */
	double disk; /* MiB */
	double gpus;
	uint32_t nports;
	mosaic_sched_range ports[MOSAIC_SCHED_MAX_PORT_RANGES]; /* sorted, disjoint */
} mosaic_sched_resources;

/* mosaic_sched_resources_parse reads "cpus:2;mem:1024;disk:0;gpus:0;ports:[31000-31009]".
 * MOSAIC_SCHED_EINVAL with a message naming the bad part in err (may be NULL). */
int mosaic_sched_resources_parse(mosaic_sched_resources *out, const char *text, char *err, size_t errlen);
/* mosaic_sched_resources_format writes the syntax parse reads into buf; returns buf. */
char *mosaic_sched_resources_format(const mosaic_sched_resources *r, char *buf, size_t len);
/* True when every scalar and every port of want is in have. */
bool mosaic_sched_resources_contains(const mosaic_sched_resources *have, const mosaic_sched_resources *want);
/* a += b: MOSAIC_SCHED_ENOSPC when the ports need too many ranges (a unchanged). */
int mosaic_sched_resources_add(mosaic_sched_resources *a, const mosaic_sched_resources *b);
/* a -= b: MOSAIC_SCHED_EINVAL unless a contains b (a unchanged). */
int mosaic_sched_resources_subtract(mosaic_sched_resources *a, const mosaic_sched_resources *b);

/* ---- task states ----------------------------------------------------- */

typedef enum mosaic_sched_task_state {
	MOSAIC_SCHED_TASK_STAGING = 0,
	MOSAIC_SCHED_TASK_STARTING = 1,
	MOSAIC_SCHED_TASK_RUNNING = 2,
	MOSAIC_SCHED_TASK_KILLING = 3,
	MOSAIC_SCHED_TASK_FINISHED = 4,    /* exited 0 */
	MOSAIC_SCHED_TASK_FAILED = 5,      /* exited non-zero, or by a signal it was not sent */
	MOSAIC_SCHED_TASK_KILLED = 6,      /* killed on request */
	MOSAIC_SCHED_TASK_ERROR = 7,       /* could not be launched (bad spec, does not fit) */
	MOSAIC_SCHED_TASK_LOST = 8,        /* its agent went away */
	MOSAIC_SCHED_TASK_UNREACHABLE = 9, /* its agent is unreachable, may come back */
	MOSAIC_SCHED_TASK_DROPPED = 10,    /* never started */
	MOSAIC_SCHED_TASK_UNKNOWN = 11,    /* reconciliation: the master knows nothing of it */
	MOSAIC_SCHED_TASK_GONE = 12        /* reconciliation: its agent was removed for good */
} mosaic_sched_task_state;

/* "TASK_RUNNING" etc.; "TASK_UNKNOWN" for an out-of-range value. */
const char *mosaic_sched_task_state_name(int state);
/* FINISHED, FAILED, KILLED, ERROR, LOST, DROPPED, GONE: no update follows. */
bool mosaic_sched_task_state_terminal(int state);

/* ---- what the master sends ------------------------------------------- */

typedef struct mosaic_sched_attribute {
	const char *name;  /* "rack" */
	const char *value; /* "r1" */
} mosaic_sched_attribute;

/* An agent's hardware and what of it is free, so a framework can pick an
 * agent whose free cores fit its layout. present is false when the agent
 * sent none. */
typedef struct mosaic_sched_topology {
	bool present;
	uint32_t sockets;
	uint32_t numa_nodes;
	uint32_t cores;
	uint32_t pus_per_core;
	size_t nnuma;                          /* entries in free_cores_per_numa */
	const uint32_t *free_cores_per_numa;   /* index = NUMA node */
	size_t nsockets;                       /* entries in free_cores_per_socket */
	const uint32_t *free_cores_per_socket; /* index = socket */
	const char *source;                    /* "hwloc", "synthetic:<desc>", "flags", or "" */
} mosaic_sched_topology;

typedef struct mosaic_sched_offer {
	const char *id;
	const char *agent_id;
	const char *hostname;   /* the agent's name */
	const char *agent_http; /* the agent's file server, "http://host:port", or "" */
	mosaic_sched_resources resources;
	size_t nattributes;
	const mosaic_sched_attribute *attributes;
	mosaic_sched_topology topology;
} mosaic_sched_offer;

/* mosaic_sched_offer_attribute: the value of the named attribute, or NULL. */
const char *mosaic_sched_offer_attribute(const mosaic_sched_offer *offer, const char *name);

typedef enum mosaic_sched_source {
	MOSAIC_SCHED_SOURCE_MASTER = 0, /* made by the master (LOST, reconciliation ...) */
	MOSAIC_SCHED_SOURCE_AGENT = 1,
	MOSAIC_SCHED_SOURCE_EXECUTOR = 2
} mosaic_sched_source;

/* A task's state change. Strings are never NULL ("" when absent), except
 * uuid, which is NULL for updates that need no acknowledgement (the
 * master's own, reconciliation answers). */
typedef struct mosaic_sched_status {
	const char *task_id;
	mosaic_sched_task_state state;
	const char *agent_id;
	const char *agent_hostname;
	const char *agent_http; /* "http://host:port": GET /files/<framework>/<task>/stdout */
	const char *message;    /* for people: why it failed, what exited */
	const char *reason;     /* for programs: "REASON_AGENT_REMOVED" ... */
	mosaic_sched_source source;
	bool has_exit_code;
	int exit_code;   /* when has_exit_code: the process exited with it */
	int term_signal; /* non-zero: a signal ended the process */
	uint32_t pid;
	const char *sandbox;    /* the sandbox path on the agent */
	const char *cpus_bound; /* OS PUs the task was bound to ("0-3,8"), "" if none */
	const char *numa_bound; /* NUMA nodes its memory was bound to */
	double timestamp;       /* seconds since the epoch, 0 if unknown */
	const char *uuid;       /* 32 hex characters, or NULL */
} mosaic_sched_status;

/* ---- what a framework sends ------------------------------------------ */

typedef enum mosaic_sched_placement_kind {
	MOSAIC_SCHED_PLACE_NONE = 0,   /* no binding */
	MOSAIC_SCHED_PLACE_PACK = 1,   /* fill one socket/NUMA node before the next */
	MOSAIC_SCHED_PLACE_SPREAD = 2, /* round-robin over sockets */
	MOSAIC_SCHED_PLACE_NUMA = 3    /* all cores on one NUMA node, memory bound there */
} mosaic_sched_placement_kind;

typedef struct mosaic_sched_placement {
	mosaic_sched_placement_kind kind;
	uint32_t cores;            /* whole cores to bind; 0: cpus rounded up */
	uint32_t cores_per_socket; /* 0: no constraint */
	uint32_t sockets;          /* 0: no constraint */
	bool mem_bind;             /* bind memory to the chosen NUMA nodes */
} mosaic_sched_placement;

/* One task to launch. Zero-initialise and fill what you need; every
 * pointer is read during the launch call only. */
typedef struct mosaic_sched_task {
	const char *id;       /* required; unique within the framework, 1-63 of [A-Za-z0-9._-] */
	const char *name;     /* for people; default: the id */
	const char *agent_id; /* required: the agent of one of the offers being accepted */
	mosaic_sched_resources resources;
	/* The command: exactly one of shell (run by /bin/sh -c) and argv
	 * (NULL-terminated, argv[0] the program, executed directly); or a
	 * script, with or without argv. */
	const char *shell;
	const char *const *argv;
	/* An inline script (CommandInfo.script): at most MOSAIC_SCHED_MAX_SCRIPT
	 * bytes, starting with "#!". The executor writes it to
	 * <sandbox>/script (the task's user's, mode 0700) and the task execs
	 * it, so its #! line chooses the interpreter - one process, no shell
	 * in between. argv, when given, is its argv: argv[0] a name (the
	 * kernel puts the interpreter and the script's path there), then the
	 * script's arguments ($1...). shell must be NULL. */
	const char *script;
	const char *const *env;  /* NULL-terminated "NAME=value" entries, or NULL */
	const char *user;        /* run as this user when the agent runs as root */
	const char *cwd;         /* default: the sandbox */
	const char *stdout_path; /* also copy stdout here (absolute, or relative to cwd) */
	const char *stderr_path;
	mosaic_sched_placement placement;
	double kill_grace; /* SIGTERM -> SIGKILL delay in seconds; 0: the agent's default (3 s) */
	size_t nlabels;
	const mosaic_sched_attribute *labels;
	const void *data; /* opaque bytes carried with the task */
	size_t data_len;
} mosaic_sched_task;

typedef enum mosaic_sched_op_kind {
	MOSAIC_SCHED_OP_LAUNCH = 1,     /* each task on its own, on its agent's offers */
	MOSAIC_SCHED_OP_LAUNCH_GANG = 2 /* all tasks start staging, or none does */
} mosaic_sched_op_kind;

typedef struct mosaic_sched_operation {
	mosaic_sched_op_kind kind;
	const mosaic_sched_task *tasks;
	size_t ntasks;
} mosaic_sched_operation;

/* A task named for reconciliation; agent_id may be NULL. */
typedef struct mosaic_sched_task_ref {
	const char *task_id;
	const char *agent_id;
} mosaic_sched_task_ref;

/* ---- the scheduler object -------------------------------------------- */

typedef struct mosaic_sched mosaic_sched;

/* Every callback gets the scheduler and the config's arg. Any may be NULL.
 * A callback may call anything here except mosaic_sched_free. */
typedef struct mosaic_sched_callbacks {
	/* The master accepted the first subscription of this process. */
	void (*subscribed)(mosaic_sched *s, void *arg, const char *framework_id);
	/* Resources to use (mosaic_sched_launch / _accept) or give back
	 * (mosaic_sched_decline). An offer stays valid until used, declined
	 * or rescinded. */
	void (*offers)(mosaic_sched *s, void *arg, const mosaic_sched_offer *offers, size_t n);
	/* An offer is gone (timed out, its agent lost, the master disconnected). */
	void (*rescinded)(mosaic_sched *s, void *arg, const char *offer_id);
	/* A task changed state. Without explicit_acks the update is
	 * acknowledged when this returns; with them, call
	 * mosaic_sched_acknowledge for every status with a uuid. */
	void (*status)(mosaic_sched *s, void *arg, const mosaic_sched_status *status);
	/* An agent was removed; its tasks' LOST updates come separately. */
	void (*agent_lost)(mosaic_sched *s, void *arg, const char *agent_id, const char *hostname);
	/* The master refused an Accept as a whole (e.g. a gang that no longer fits). */
	void (*accept_failed)(mosaic_sched *s, void *arg, const char *const *offer_ids, size_t n,
	                      const char *reason);
	/* The master sent an Error (an invalid call, a refused subscription). */
	void (*error)(mosaic_sched *s, void *arg, const char *message);
	/* No Heartbeat for three intervals: the library re-subscribes by
	 * itself; outstanding offers were rescinded just before this. */
	void (*disconnected)(mosaic_sched *s, void *arg);
	/* Subscribed again with the same framework id after a disconnection. */
	void (*reconnected)(mosaic_sched *s, void *arg, const char *framework_id);
} mosaic_sched_callbacks;

typedef struct mosaic_sched_framework {
	const char *name;        /* required */
	const char *role;        /* default "*" */
	const char *principal;   /* optional */
	const char *user;        /* tasks' default user; default: the current user */
	const char *hostname;    /* default: gethostname() */
	double failover_timeout; /* seconds the master keeps the framework's tasks after it disconnects */
	const char *id;          /* an existing framework id to subscribe as (framework failover) */
	bool suppressed;         /* subscribe with offers suppressed */
} mosaic_sched_framework;

typedef struct mosaic_sched_config {
	mosaic_sched_framework framework;
	const mosaic_sched_callbacks *callbacks; /* copied */
	void *arg;                               /* passed to every callback */
	const char *master;                      /* NULL: $MOSAIC_MASTER, else tcp://127.0.0.1:5050 */
	const char *listen; /* NULL: tcp://$MOSAIC_LISTEN_HOST:0, host default 127.0.0.1 */
	bool explicit_acks; /* true: the framework calls mosaic_sched_acknowledge itself */
} mosaic_sched_config;

/* mosaic_sched_new checks cfg and creates the scheduler and its loop; no
 * network traffic yet. On failure returns MOSAIC_SCHED_EINVAL (or EIO) with
 * the reason in err. The caller owns *out (mosaic_sched_free). */
int mosaic_sched_new(mosaic_sched **out, const mosaic_sched_config *cfg, char *err, size_t errlen);

/* mosaic_sched_start opens the framework's listening address and starts
 * subscribing (retried with back-off until the master answers). Called by
 * mosaic_sched_run when needed; call it yourself to use run_once, or to
 * learn about a listen failure early (MOSAIC_SCHED_ENET, detail in
 * mosaic_sched_last_error). Idempotent. */
int mosaic_sched_start(mosaic_sched *s);

/* mosaic_sched_run starts (if not yet) and runs the loop until
 * mosaic_sched_stop; returns 0, or the error of mosaic_sched_start. It may
 * be run again after it returns. */
int mosaic_sched_run(mosaic_sched *s);
/* mosaic_sched_run_once waits at most timeout seconds for one round of
 * events and runs their callbacks. */
void mosaic_sched_run_once(mosaic_sched *s, double timeout);
/* mosaic_sched_stop makes mosaic_sched_run return soon. Thread-safe. The
 * framework stays subscribed (the master keeps it for failover_timeout
 * once keepalives stop); use mosaic_sched_teardown to leave for good. */
void mosaic_sched_stop(mosaic_sched *s);

/* mosaic_sched_free releases everything. If the master is connected, it
 * first waits (at most 2 s) until the master has taken every message sent
 * so far, so a Teardown or Kill just sent is not lost. Never call it from
 * a callback. NULL is a no-op. */
void mosaic_sched_free(mosaic_sched *s);

/* ---- the loop, for the framework's own work -------------------------- */

typedef void (*mosaic_sched_timer_fn)(mosaic_sched *s, void *arg);
typedef void (*mosaic_sched_fd_fn)(mosaic_sched *s, int fd, int revents, void *arg);
typedef void (*mosaic_sched_signal_fn)(mosaic_sched *s, int signo, void *arg);

/* mosaic_sched_timer_add runs fn once after delay seconds; returns a
 * non-zero id for mosaic_sched_timer_cancel (cancelling a fired or unknown
 * id is a no-op). */
uint64_t mosaic_sched_timer_add(mosaic_sched *s, double delay, mosaic_sched_timer_fn fn, void *arg);
void mosaic_sched_timer_cancel(mosaic_sched *s, uint64_t id);

/* Watch fd for POLLIN/POLLOUT; one watch per fd (MOSAIC_SCHED_EEXIST).
 * The fd stays the caller's: remove the watch before closing it. */
int mosaic_sched_fd_add(mosaic_sched *s, int fd, int events, mosaic_sched_fd_fn fn, void *arg);
int mosaic_sched_fd_modify(mosaic_sched *s, int fd, int events);
int mosaic_sched_fd_remove(mosaic_sched *s, int fd);

/* mosaic_sched_signal_add delivers signo through the loop (it is blocked
 * for the process and read from a signalfd). Call it before
 * mosaic_sched_start and before creating any thread, so that every thread
 * inherits the blocked signal. */
int mosaic_sched_signal_add(mosaic_sched *s, int signo, mosaic_sched_signal_fn fn, void *arg);

/* mosaic_sched_post runs fn on the loop thread soon. Thread-safe: the way
 * for other threads to hand work to the framework. */
void mosaic_sched_post(mosaic_sched *s, mosaic_sched_timer_fn fn, void *arg);

/* Monotonic seconds, as the loop saw them at this round. */
double mosaic_sched_now(mosaic_sched *s);
/* Seconds since the epoch. */
double mosaic_sched_wall_now(void);

/* ---- what the scheduler knows ---------------------------------------- */

/* The framework id once subscribed (or the configured one), else NULL. */
const char *mosaic_sched_framework_id(const mosaic_sched *s);
/* True while subscribed and hearing the master's heartbeats. */
bool mosaic_sched_connected(const mosaic_sched *s);
const char *mosaic_sched_master(const mosaic_sched *s);
/* The framework's own address ("tcp://127.0.0.1:40123"); "" before start. */
const char *mosaic_sched_address(const mosaic_sched *s);
/* The detail of the last failed call (or ""). */
const char *mosaic_sched_last_error(const mosaic_sched *s);

/* ---- calls to the master --------------------------------------------- */

/* The calls below fail with MOSAIC_SCHED_ESTATE unless subscribed (between
 * disconnected and reconnected the master does not know the framework).
 * refuse_seconds: how long resources given back are not offered to this
 * framework again; negative means the master's default (5 s). */

/* mosaic_sched_launch uses the named offers (possibly of several agents)
 * to launch tasks, each on the agent its agent_id names. Unused resources
 * go back to the master. Checked first: every offer outstanding, every
 * task valid (id, command, an agent among the offers'), and the tasks of
 * each agent fitting in that agent's offers (MOSAIC_SCHED_EINVAL,
 * MOSAIC_SCHED_ENOENT, detail in mosaic_sched_last_error). Tasks may still
 * end in TASK_ERROR if the agent cannot start them. */
int mosaic_sched_launch(mosaic_sched *s, const char *const *offer_ids, size_t noffers,
                        const mosaic_sched_task *tasks, size_t ntasks, double refuse_seconds);
/* mosaic_sched_launch_gang: as launch, but all tasks start staging or none
 * does (the master checks them together). */
int mosaic_sched_launch_gang(mosaic_sched *s, const char *const *offer_ids, size_t noffers,
                             const mosaic_sched_task *tasks, size_t ntasks, double refuse_seconds);
/* mosaic_sched_accept: the general form (several operations in one Accept). */
int mosaic_sched_accept(mosaic_sched *s, const char *const *offer_ids, size_t noffers,
                        const mosaic_sched_operation *ops, size_t nops, double refuse_seconds);

/* mosaic_sched_decline gives offers back unused. */
int mosaic_sched_decline(mosaic_sched *s, const char *const *offer_ids, size_t n, double refuse_seconds);

/* Stop / resume receiving offers (kept across re-subscriptions). Revive
 * also clears the refuse filters of earlier declines. */
int mosaic_sched_suppress(mosaic_sched *s);
int mosaic_sched_revive(mosaic_sched *s);

/* mosaic_sched_kill asks for a task to be killed: SIGTERM, then SIGKILL
 * after grace_seconds (negative: the task's kill_grace). agent_id may be
 * NULL. The outcome arrives as a status (TASK_KILLED, or TASK_UNKNOWN ...). */
int mosaic_sched_kill(mosaic_sched *s, const char *task_id, const char *agent_id, double grace_seconds);

/* mosaic_sched_acknowledge acknowledges a status (explicit_acks mode):
 * the agent then sends the task's next update. A NULL uuid is a no-op
 * (that status needed no acknowledgement). */
int mosaic_sched_acknowledge(mosaic_sched *s, const char *agent_id, const char *task_id, const char *uuid);

/* mosaic_sched_reconcile asks for the latest state of tasks: the named
 * ones (explicit), or with n == 0 every task the master knows of this
 * framework (implicit). Answers arrive as statuses without uuid. */
int mosaic_sched_reconcile(mosaic_sched *s, const mosaic_sched_task_ref *tasks, size_t n);

/* mosaic_sched_gang_demand tells the master a gang of ntasks tasks of
 * per_task each has waited since `since` (seconds since the epoch), so it
 * may hold freed resources for it; _cancel withdraws it. */
int mosaic_sched_gang_demand(mosaic_sched *s, const mosaic_sched_resources *per_task, uint32_t ntasks,
                             double since);
int mosaic_sched_gang_demand_cancel(mosaic_sched *s);

/* mosaic_sched_teardown removes the framework from the master for good:
 * its tasks are killed. Afterwards the library stops keepalives and
 * re-subscriptions and every other call fails with MOSAIC_SCHED_ESTATE.
 * The loop keeps running until mosaic_sched_stop. Allowed while
 * disconnected (the message waits for the master). */
int mosaic_sched_teardown(mosaic_sched *s);

/* ---- logging --------------------------------------------------------- */

/* mosaic_sched_log_init sets the library's log: component name, level
 * ("error", "warn", "info" (default), "debug") and file (NULL: stderr).
 * Process-wide. MOSAIC_SCHED_EINVAL for an unknown level, EIO if the file
 * cannot be opened. */
int mosaic_sched_log_init(const char *component, const char *level, const char *path);

#ifdef __cplusplus
}
#endif

#endif
