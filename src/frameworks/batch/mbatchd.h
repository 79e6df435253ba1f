/* mbatchd.h - the batch framework daemon: a long-running Mosaic framework
 * (libmosaic-sched) that keeps a Slurm-like job queue in SQLite
 * (jobstore), schedules it by priority with EASY backfill (backfill.h) and
 * places jobs on cores by their topology options (jobplace.h), and answers
 * the `mbatch` CLI on its own address (batch.proto).
 *
 * A job is durable before its submitter learns its id: every change of a
 * loop round is written in one transaction, and replies, launches and
 * status acknowledgements leave only after its commit. mbatchd re-subscribes
 * with its stored framework id, so a restarted daemon keeps its running
 * tasks and reconciles their states with the master.
 *
 * Threads: the scheduler library's loop runs everything; a second thread
 * only moves CLI messages between the network and that loop
 * (mbatchd_server.h). */
#ifndef MOSAIC_BATCH_MBATCHD_H
#define MOSAIC_BATCH_MBATCHD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mbatchd mbatchd;

typedef struct mbatchd_config {
	char master[256];             /* "" : $MOSAIC_MASTER, else tcp://127.0.0.1:5050 */
	char listen[256];             /* the CLI address; "" : derived (batchaddr.h) */
	char state_dir[PATH_MAX];     /* jobs.db lives here */
	char role[64];                /* default "batch" */
	char name[64];                /* default "mbatch" */
	double failover_timeout;      /* seconds the master keeps our tasks while we are away */
	uint32_t max_jobs;            /* pending + running jobs at most */
	uint64_t default_mem_per_cpu; /* MiB, when a job gives no --mem */
	int64_t default_time;         /* seconds, SLURM_TIME_UNLIMITED: none */
	uint32_t max_requeues;        /* lost-agent requeues of one job before NODE_FAIL */
	double purge_after;           /* seconds a finished job is kept (history), 0: forever */
	double offer_hold;            /* seconds an unused offer is kept while jobs wait */
	bool any_user;                /* trust the user name clients send */
	char log_level[16];
	char log_file[PATH_MAX];
} mbatchd_config;

/* mbatchd_config_init fills the defaults. */
void mbatchd_config_init(mbatchd_config *cfg);

/* mbatchd_new opens the job store, loads the jobs and prepares the
 * scheduler and the CLI endpoint (listening already, so a busy address is
 * reported here). MOSAIC_EIO / MOSAIC_ENET / MOSAIC_EINVAL with the reason
 * in err. The caller owns *out (mbatchd_free). */
int mbatchd_new(mbatchd **out, const mbatchd_config *cfg, char *err, size_t errlen);
/* mbatchd_run serves until SIGTERM or SIGINT; returns 0, or an error if
 * the framework could not start. */
int mbatchd_run(mbatchd *d);
/* mbatchd_free commits what is pending and releases everything; the
 * framework stays registered with the master (failover). NULL is a no-op. */
void mbatchd_free(mbatchd *d);

/* The address the CLI endpoint listens on. */
const char *mbatchd_address(const mbatchd *d);

#endif
