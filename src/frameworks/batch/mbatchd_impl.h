/* mbatchd_impl.h - what mbatchd's files share; nothing else includes it.
 *
 *   mbatchd.c          life cycle, the round (commit, then replies,
 *                      launches, acknowledgements), the tick
 *   mbatchd_jobs.c     the job table: records, states, arrays, loading
 *   mbatchd_submit.c   Submit: checks, ids, storing
 *   mbatchd_sched.c    offers, agents, the backfill round
 *   mbatchd_launch.c   decisions as tasks: command, environment, launching
 *   mbatchd_status.c   status updates, reconciliation, time limits, kills
 *   mbatchd_rpc.c      the dispatch table and the other requests
 *   batch_codec.c      jobs as batch.proto messages
 *
 * Every function here runs on the scheduler library's loop thread. */
#ifndef MOSAIC_BATCH_MBATCHD_IMPL_H
#define MOSAIC_BATCH_MBATCHD_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backfill.h"
#include "batch.pb-c.h"
#include "directives.h"
#include "jobplace.h"
#include "jobstate.h"
#include "jobstore.h"
#include "mem.h"
#include "mbatchd.h"
#include "mbatchd_server.h"
#include "mosaic/sched.h"

#define MBATCHD_NO_INDEX UINT32_MAX
#define MBATCHD_MAX_SCRIPT (1u << 20) /* it travels as CommandInfo.script (MOSAIC_SCHED_MAX_SCRIPT) */
#define MBATCHD_MAX_RETRIES 10            /* launches that did not start (a raced placement) */
/* Eligible jobs given to one backfill round, as Slurm's bf_max_job_test. */
#define MBATCHD_CONSIDER 500
#define MBATCHD_KILL_GRACE 3.0        /* SIGTERM -> SIGKILL for cancels and time limits */
#define MBATCHD_KILL_RETRY 10.0       /* ask again if no end was reported */
#define MBATCHD_RECHECK_DELAY 10.0    /* an "unknown task" is asked about again after this */
#define MBATCHD_INFLIGHT_HOLD 1.0     /* cores of a new task, counted busy after it runs */
#define MBATCHD_DECLINE_IDLE 30.0     /* refuse_seconds when nothing waits */
#define MBATCHD_DECLINE_HELD 1.0      /* refuse_seconds for an offer held too long */
#define MBATCHD_ROUND_GAP 0.002      /* seconds between rounds (group commit) while changes stream in */
#define MBATCHD_LIST_PAGE 2000        /* jobs in one ListReply at most */
#define MBATCHD_LIST_BYTES (2u << 20) /* and about this many bytes (scripts with detail) */

#define VEC(T)                                                                                               \
	struct {                                                                                             \
		T *v;                                                                                        \
		size_t n, cap;                                                                               \
	}
#define VEC_PUSH(vec, x)                                                                                     \
	do {                                                                                                 \
		if ((vec).n == (vec).cap) {                                                                  \
			(vec).cap = (vec).cap ? 2 * (vec).cap : 16;                                          \
			(vec).v = xrealloc((vec).v, (vec).cap * sizeof(*(vec).v));                           \
		}                                                                                            \
		(vec).v[(vec).n++] = (x);                                                                    \
	} while (0)

/* Why mbatchd asked for a job's task to be killed (persisted). */
enum { KILL_NONE = 0, KILL_CANCEL = 1, KILL_TIMEOUT = 2 };

/* A submission: one job, or an array's tasks (job ids id .. id+count-1). */
typedef struct bsub {
	struct mbatchd *d;
	uint32_t id, count;
	double submit_time;
	char *script; /* as submitted; NULL for --wrap */
	size_t script_len;
	char *run_script; /* what runs: the script, or the --wrap one */
	char *script_name;
	char **options, **args, **env;
	size_t noptions, nargs, nenv;
	char *cwd, *user, *submit_host;
	char *workdir; /* -D against cwd, absolute */
	batch_job_spec spec;
	jobplace place;
	double mem_mb;
	int64_t time_limit; /* seconds; negative: none */
	char *dependency_text, *array_text;
	/* The tasks' states, for dependencies on a whole array and --array's %N. */
	uint32_t npending, nrunning, ncompleted, nfailed;
	double first_start;
	uint32_t nloaded;     /* jobs of it in memory */
	uint64_t round;       /* the round round_taken counts for */
	uint32_t round_taken; /* tasks started or chosen in that round (for %N) */
	bool dirty;           /* to be written this round */
	bool broken;          /* its options no longer parse: its jobs cannot run */
} bsub;

typedef struct bjob {
	uint32_t id;
	bsub *sub;
	uint32_t index; /* array index, MBATCHD_NO_INDEX for a plain job */
	jobstate state;
	bool held;
	uint32_t attempt, restarts, retries;
	int kill_reason;
	double launch_time, start_time, end_time;
	bool has_exit;
	int exit_code, term_signal;
	uint32_t pid;
	char *task_id, *agent_id, *hostname, *agent_http;
	char *cpus_bound, *numa_bound, *sandbox, *message;
	char *stdout_path, *stderr_path;
	/* Not stored. */
	const char *reason; /* squeue's pending reason (a static string) */
	bool dirty;         /* to be written this round */
	bool queued;        /* in d->pending */
	size_t run_slot;    /* its index in d->running while running */
	double kill_sent;   /* when a kill was last asked (monotonic), 0: never */
	bool recheck;       /* the master answered "unknown task" once */
	double recheck_at;  /* monotonic time to ask again */
	bool inflight;      /* its cores may not show in offers yet */
	double inflight_until;
	mosaic_sched_resources used;
	unsigned *cores; /* BACKFILL_MAX_SOCKETS cores per socket the model placed, or NULL */
} bjob;

typedef struct boffer {
	char *id;
	char *agent_id;
	mosaic_sched_resources res;
	double received; /* monotonic */
	bool used;
} boffer;

typedef struct bagent {
	char *id, *hostname, *http;
	mosaic_sched_resources total; /* the largest it was seen to be */
	unsigned nsockets;
	unsigned cores_per_socket[BACKFILL_MAX_SOCKETS]; /* its whole size per socket */
	unsigned free_cores[BACKFILL_MAX_SOCKETS];       /* from its newest offer */
	double free_cores_at;                            /* when that offer came */
	bool gone;
} bagent;

/* Something to do once this round's commit is done. */
typedef struct breply {
	char *to;
	uint32_t type;
	uint8_t *payload;
	size_t len;
} breply;

typedef struct back {
	char *agent_id, *task_id, *uuid;
} back;

/* Tasks for one agent, launched after the round's commit. */
typedef struct blaunch {
	char *agent_id;
	VEC(char *) offers;
	VEC(bjob *) jobs;
} blaunch;

typedef struct bwaiter {
	char *to;
	uint64_t request_id;
	uint32_t *ids; /* job ids, arrays expanded */
	size_t nids;
	double deadline; /* monotonic */
} bwaiter;

typedef struct mbatchd_stats {
	uint64_t submitted, launched, finished, requeued, rounds, commits, offers;
} mbatchd_stats;

struct mbatchd {
	mbatchd_config cfg;
	char own_user[64];
	char hostname[256];
	mosaic_sched *s;
	jobstore *store;
	mbatchd_server *server;
	char framework_id[MOSAIC_SCHED_ID_MAX];
	bool subscribed;
	bool anew; /* the master forgot us: subscribe again without an id */
	int exit_status;

	uint32_t next_id;
	bjob **jobs; /* by id */
	size_t jobs_cap;
	uint32_t min_id;     /* no job below it is in memory */
	size_t nlive;        /* pending + running */
	VEC(bjob *) pending; /* queue order once sorted; ended ones are skipped */
	bool pending_sorted;
	size_t pending_stale; /* entries of pending that left PENDING */
	VEC(bjob *) running;
	VEC(boffer) offers;
	VEC(bagent) agents;
	bool suppressed;
	bool want_schedule;
	uint64_t round_no;
	int64_t next_begin; /* earliest --begin among pending jobs, 0: none */

	/* The round: what changed, and what waits for the commit. */
	bool round_armed;
	double last_round; /* monotonic time the last round began */
	VEC(bjob *) dirty;
	VEC(bsub *) dirty_subs;
	bool meta_dirty;
	VEC(breply) replies;
	VEC(back) acks;
	VEC(blaunch) launches;
	VEC(bwaiter) waiters;
	bool waiters_check;

	uint64_t tick_timer;
	double last_purge;
	mbatchd_stats stats, stats_logged;
	double stats_at;
};

/* ---- mbatchd.c ---- */
/* mbatchd_touch: run a round at the end of this loop iteration. */
void mbatchd_touch(mbatchd *d);
/* mbatchd_reply queues a reply to send after the round's commit. */
void mbatchd_reply(mbatchd *d, const char *to, uint32_t type, const ProtobufCMessage *msg);

/* ---- mbatchd_jobs.c ---- */
bjob *jobs_find(mbatchd *d, uint32_t id);
/* jobs_find_task: the task of an array at an index, or NULL. */
bjob *jobs_find_task(mbatchd *d, const bsub *sub, uint32_t index);
bool jobs_is_array(const bsub *sub);
/* jobs_mark: this job is to be written at the end of the round. */
void jobs_mark(mbatchd *d, bjob *j);
void jobs_mark_sub(mbatchd *d, bsub *sub);
/* jobs_set_state moves a job, keeping the counters, lists and its array's
 * aggregate right, and marks it. */
void jobs_set_state(mbatchd *d, bjob *j, jobstate st);
/* jobs_add_pending puts a pending job (back) in the queue. */
void jobs_add_pending(mbatchd *d, bjob *j);
void jobs_set_str(char **field, const char *value);
/* jobs_sub_new parses a submission's options (at its submit time); NULL
 * with the message in err. Takes nothing from rec (copies). */
bsub *jobs_sub_new(mbatchd *d, const jobstore_sub *rec, char *err, size_t errlen);
void jobs_sub_free(bsub *sub);
/* jobs_new creates job id of sub (index: its array index). */
bjob *jobs_new(mbatchd *d, bsub *sub, uint32_t id, uint32_t index);
void jobs_to_record(const bjob *j, jobstore_job *out);
/* jobs_clear_run forgets where and how the job ran (agent, cores, pid, times). */
void jobs_clear_run(bjob *j);
/* jobs_load reads the store into memory. */
int jobs_load(mbatchd *d, char *err, size_t errlen);
/* jobs_dep_eval: the job's dependency now; why (may be NULL) says why. */
depspec_result jobs_dep_eval(mbatchd *d, const bjob *j, char *why, size_t whylen);
/* jobs_purge forgets finished jobs older than purge_after. */
void jobs_purge(mbatchd *d, double now);
void jobs_free_all(mbatchd *d);
/* The array's aggregate state, as dependencies see a whole array. */
jobstate jobs_sub_state(const bsub *sub);

/* ---- mbatchd_submit.c ---- */
void submit_handle(mbatchd *d, const char *from, const Mbatch__Submit *req);

/* ---- mbatchd_sched.c ---- */
void sched_on_offers(mosaic_sched *s, void *arg, const mosaic_sched_offer *offers, size_t n);
void sched_on_rescinded(mosaic_sched *s, void *arg, const char *offer_id);
void sched_on_agent_lost(mosaic_sched *s, void *arg, const char *agent_id, const char *hostname);
/* sched_round places what can start now (called by the round before its
 * commit); launches wait for launch_all after the commit. */
void sched_round(mbatchd *d);
/* The unused offers of an agent, marked used, their ids appended to *ids. */
void sched_take_offers(mbatchd *d, const char *agent_id, char ***ids, size_t *n, size_t *cap);
/* Forget the offers of an agent a launch used. */
void sched_drop_used_offers(mbatchd *d, const char *agent_id);
/* sched_tick declines offers held too long, suppresses or revives. */
void sched_tick(mbatchd *d, double mono);
void sched_forget_offers(mbatchd *d);
/* Whether the job could ever fit one of the agents seen: 1 yes, 0 no (why
 * in buf), -1 no agent seen yet. */
int sched_fits_ever(mbatchd *d, const bsub *sub, char *buf, size_t len);
/* The job's eligibility now, with its reason when not. */
bool sched_eligible(mbatchd *d, bjob *j, int64_t now);
void sched_wake(mbatchd *d); /* pending work appeared: revive if needed */
void sched_free(mbatchd *d);

/* ---- mbatchd_launch.c ---- */
/* launch_add puts a job decided this round in its agent's launch. */
void launch_add(mbatchd *d, const char *agent_id, bjob *j);
/* launch_all launches what the round decided (after its commit); jobs of
 * a launch the library refuses wait again. */
void launch_all(mbatchd *d);
void launch_free(mbatchd *d);

/* ---- mbatchd_status.c ---- */
void status_on_update(mosaic_sched *s, void *arg, const mosaic_sched_status *st);
/* status_reconcile asks the master about every job it may be running. */
void status_reconcile(mbatchd *d);
/* status_tick: time limits, kills to repeat, "unknown task" rechecks. */
void status_tick(mbatchd *d, double wall, double mono);
/* status_kill asks for the job's task to be killed, for reason. */
void status_kill(mbatchd *d, bjob *j, int reason);
/* status_forget_running: the master removed us; every running job's task
 * is gone with it. */
void status_forget_running(mbatchd *d);
/* status_task_id formats "mbatch-<job>-<attempt>". */
char *status_task_id(char *buf, size_t len, uint32_t job_id, uint32_t attempt);

/* ---- mbatchd_rpc.c ---- */
/* The dispatch table: every request type mbatchd answers. */
typedef struct rpc_entry {
	uint32_t type;
	const ProtobufCMessageDescriptor *desc;
	void (*fn)(mbatchd *d, const char *from, const ProtobufCMessage *msg);
} rpc_entry;
extern const rpc_entry rpc_table[];
extern const size_t rpc_table_len;
/* rpc_dispatch unpacks and handles one request from the server. */
void rpc_dispatch(mbatchd *d, const mbatchd_server_request *r);
/* rpc_check_waiters answers the Wait requests whose jobs all ended or
 * whose time is up. */
void rpc_check_waiters(mbatchd *d, double mono, bool force_time);
void rpc_free_waiters(mbatchd *d);

/* ---- batch_codec.c ---- */
/* batch_codec_job fills pb from j (strings point into j; detail adds the
 * script and options). Free with batch_codec_job_fini. */
void batch_codec_job(Mbatch__Job *pb, const mbatchd *d, const bjob *j, bool detail);
void batch_codec_job_fini(Mbatch__Job *pb);

#endif
