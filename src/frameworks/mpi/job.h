/* job.h - mmpirun's one job: a framework of its own on libmosaic-sched,
 * driving the gang policy (gang.h), launching the gang, talking to the
 * gang's proxies and, under OpenMPI, to its mpirun. Internal to mmpirun.
 *
 * Life of a job (one "attempt" per launch; --restarts N allows N more):
 *   waiting   the gang is assembled from offers (gang.h); the master knows
 *             its demand (mosaic_sched_gang_demand) against starvation
 *   starting  one LAUNCH_GANG went out: one task per agent, each running
 *             mosaic-mpi-proxy, which connects back and says HELLO
 *   running   all proxies said hello: GO to each (generic) or OpenMPI's
 *             mpirun started with the gang's agents as hosts (openmpi)
 *   ending    a rank or task failed, an agent was lost, Ctrl-C, --timeout:
 *             ABORT to every proxy, a Kill for every task, SIGTERM to
 *             mpirun; then, once all is gone (bounded), a restart or the end
 *   done      the loop stops; mmpirun tears the framework down and exits
 *
 * Everything runs on the library's loop: its timers, its fd watches (the
 * listener, the proxies' connections, mpirun's output) and its signals.
 * The modules: job.c (the framework and the gang), job_end.c (statuses,
 * failure, restart, the exit code), job_launch.c (the tasks), job_link.c
 * (the proxies), job_openmpi.c (mpirun). */
#ifndef MOSAIC_MPI_JOB_H
#define MOSAIC_MPI_JOB_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <mosaic/sched.h>

#include "gang.h"
#include "mpiopts.h"
#include "mpiout.h"
#include "mpiwire.h"
#include "rankmap.h"

#define JOB_EXIT_FAIL 1
#define JOB_EXIT_TIMEOUT 124
#define JOB_EXIT_INTERRUPTED 130
#define JOB_KILL_GRACE 5.0  /* a task's SIGTERM -> SIGKILL (the proxy's own is 2 s) */
#define JOB_END_WAIT 20.0   /* longest wait for a gang's tasks to go after the kill */
#define JOB_DRAIN_WAIT 3.0  /* output still coming after the tasks ended */
#define JOB_HELLO_WAIT 60.0 /* from the first RUNNING task to every proxy's HELLO */

typedef enum job_phase {
	JOB_WAITING = 0,
	JOB_STARTING,
	JOB_RUNNING,
	JOB_ENDING,
	JOB_DONE,
} job_phase;

typedef enum job_launcher {
	JOB_GENERIC = 0,
	JOB_OPENMPI,
} job_launcher;

/* One gang task: the ranks of one agent. */
typedef struct job_task {
	char id[MOSAIC_ID_MAX];
	char agent_id[MOSAIC_ID_MAX];
	char hostname[256]; /* the agent's name */
	char host[256];     /* its name in this job (host list, map file) */
	char addr[256];     /* the agent's address host (from its file server URL) */
	unsigned nranks;
	unsigned *ranks;
	uint32_t first_port; /* generic: rank i's port is the i-th of the task's; openmpi: the proxy's */
	mosaic_sched_resources res;
	/* what the master said */
	int state;
	bool seen, terminal, gone; /* gone: lost or unreachable, no more news expected */
	char cpus_bound[256];
	/* the proxy's connection */
	int fd;
	mpiwire_buf in, out;
	bool hello, link_closed;
} job_task;

/* An offer as the gang may launch on it. */
typedef struct job_offer {
	char id[MOSAIC_ID_MAX];
	char agent_id[MOSAIC_ID_MAX];
	char hostname[256];
	char agent_http[256];
	mosaic_resources res;
} job_offer;

/* A connection that has not said HELLO yet. */
typedef struct job_pending {
	int fd;
	mpiwire_buf in;
	double since;
} job_pending;

typedef struct job {
	const mpiopts *o;
	rankmap_opts map; /* o's, with the ports the launcher needs */
	job_launcher launcher;
	char mpirun[PATH_MAX]; /* OpenMPI's */
	char bindir[PATH_MAX]; /* where mosaic-mpi-proxy, -rsh, -bind are */
	char cwd[PATH_MAX];
	char **env; /* -x entries resolved: "VAR=value" */
	size_t nenv;
	mosaic_sched *s;
	/* the gang */
	gang *g;
	gang_actions act;
	uint64_t wake_timer;
	job_offer *offers;
	size_t noffers;
	unsigned best_room; /* most ranks the held offers had room for (for --timeout) */
	unsigned attempt;
	job_phase phase;
	job_task *tasks;
	size_t ntasks;
	char (*launch_ids)[MOSAIC_ID_MAX];
	size_t nlaunch;
	unsigned nhello;
	/* the listener the proxies connect to */
	int lfd;
	char listen_addr[300]; /* host:port */
	char token[MPIWIRE_TOKEN_LEN + 1];
	job_pending *pending;
	size_t npending;
	/* the output */
	mpiout *out;
	/* generic: exits seen per rank */
	unsigned char *rank_exited;
	unsigned nexited;
	/* openmpi */
	pid_t mpirun_pid;
	bool mpirun_running;
	int mpirun_status; /* exit status as a code (128+N for signal N) */
	bool mpirun_done;  /* it exited this attempt */
	int mpirun_fd[2];  /* its stdout/stderr under --tag-output; -1 none */
	char tmpdir[PATH_MAX];
	uint64_t mpirun_kill_timer;
	/* the outcome */
	bool failed;
	int fail_code;
	char fail_msg[512];
	bool interrupted, timed_out;
	unsigned ninterrupts;
	double t_interrupt;
	int exit_code;
	bool fail_pending; /* a task failed; mpirun (or its proxy's link) gets a moment to say why */
	int pending_code;
	char pending_msg[512];
	uint64_t pending_timer;
	double t_start, t_launch, t_running;
	double wait_total; /* seconds spent waiting for gangs, all attempts */
	uint64_t end_timer, drain_timer, hello_timer;
	uint64_t after_timer; /* the deferred end of an attempt (never inside a callback's own loop) */
} job;

/* ---- job.c ---- */
/* job_init fills j for o; MOSAIC_OK or MOSAIC_EINVAL with the reason in err. */
int job_init(job *j, const mpiopts *o, job_launcher launcher, const char *mpirun, const char *bindir,
             char *err, size_t errlen);
/* job_run subscribes and runs the loop to the end; returns the exit status. */
int job_run(job *j);
void job_fini(job *j);
void job_say(const job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void job_verbose(const job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Starts an attempt: a new gang, gathering. */
void job_attempt_start(job *j);

/* ---- job_end.c ---- */
void job_on_status(mosaic_sched *s, void *arg, const mosaic_sched_status *st);
/* job_fail records the first failure of this attempt and ends the gang. */
void job_fail(job *j, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* job_end tears the gang down (after a failure, Ctrl-C, --timeout, or
 * when mpirun is done and tasks linger). */
void job_end(job *j);
/* job_check re-evaluates whether the attempt is over. */
void job_check(job *j);
void job_finish(job *j, int code);
/* "rank 3" or "ranks 2-3" (a task's ranks are consecutive unless --map-by node). */
void job_task_ranks(const job_task *t, char *buf, size_t len);

/* ---- job_launch.c ---- */
/* job_launch launches the plan with one LAUNCH_GANG on the offers named:
 * 0; -1 when the library refused at once because an offer is gone (gather
 * again); -2 when it refused the tasks themselves (said; give up). */
int job_launch(job *j, const rankmap *plan, const char (*ids)[MOSAIC_ID_MAX], size_t nids);
void job_tasks_free(job *j);

/* ---- job_link.c ---- */
int job_link_open(job *j, char *err, size_t errlen);
/* job_link_start watches the listener on the loop (once it exists). */
void job_link_start(job *j);
void job_link_close(job *j);
void job_link_go(job *j);
void job_link_abort(job *j, const char *why);
bool job_links_closed(const job *j);
void job_link_drop_all(job *j);

/* ---- job_openmpi.c ---- */
/* job_openmpi_find: OpenMPI's mpirun (hint, or PATH) into out; true if
 * found and it looks like OpenMPI's (or the hint says so). */
bool job_openmpi_find(const char *hint, char *out, size_t len, bool *is_openmpi);
int job_openmpi_start(job *j);
void job_openmpi_kill(job *j);
void job_openmpi_reap(job *j);
/* job_openmpi_stop_now: SIGKILL mpirun's group and reap it (a launch the
 * master refused: nothing of it runs yet). */
void job_openmpi_stop_now(job *j);
void job_openmpi_cleanup(job *j);

#endif
