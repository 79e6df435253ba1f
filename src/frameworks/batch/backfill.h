/* backfill.h - the batch framework's scheduling policy: priority order with
 * EASY backfill, best-fit placement, whole-agent (--exclusive) and
 * per-socket core (--cores-per-socket, --sockets-per-node) wishes.
 *
 * One call decides one round: given the pending jobs, the framework's own
 * running jobs with their expected ends, and every agent the framework
 * knows with what is offered on it now, it returns which jobs to start
 * where. Jobs start in priority order (priority desc, submit time asc, id
 * asc) while they fit somewhere. The first eligible job that fits nowhere
 * gets a reservation: the earliest time at which, on some agent, enough
 * frees up as running jobs reach their expected ends (agent by agent; what
 * other frameworks hold is taken as never freed). Later jobs may still
 * start now if they fit now and either end before the reservation starts or
 * leave on the reserved agent what the reserved job needs then. Since no
 * job starts that would take those resources, the reserved job's start
 * never slips later from one round to the next (as long as jobs end by
 * their limits): a stream of small jobs cannot starve a large one.
 *
 * Pure: no I/O, no clock (the caller passes `now`), no globals; calls
 * share nothing, so they may run on any thread. Agent
 * ids are the caller's strings and are never copied; decisions refer to
 * jobs and agents by their index in the input arrays. */
#ifndef MOSAIC_BATCH_BACKFILL_H
#define MOSAIC_BATCH_BACKFILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resources.h"

#define BACKFILL_MAX_SOCKETS 64
/* The expected end of a job without a time limit. */
#define BACKFILL_NEVER INT64_MAX

typedef struct backfill_agent {
	const char *id;
	mosaic_resources free;                     /* offered now; zero when the agent has no offer out */
	mosaic_resources total;                    /* the agent's whole size */
	unsigned nsockets;                         /* 0: topology unknown */
	unsigned free_cores[BACKFILL_MAX_SOCKETS]; /* free whole cores per socket, now */
} backfill_agent;

typedef struct backfill_job {
	uint64_t id;               /* the caller's key; ties in order break on it */
	int64_t priority;          /* higher first */
	int64_t submit_time;       /* earlier first */
	mosaic_resources need;     /* cpus, mem, gpus (disk if wanted); no ports */
	int64_t time_limit;        /* seconds; negative (SLURM_TIME_UNLIMITED): none */
	bool eligible;             /* false: held, --begin in the future, dependency
	                            * not satisfied, array throttle reached ... */
	bool exclusive;            /* the whole agent: starts only where nothing runs */
	bool whole_cores;          /* binds whole cores: ceil(cpus) free cores needed */
	unsigned cores_per_socket; /* 0: no wish */
	unsigned sockets;          /* 0: no wish */
} backfill_job;

typedef struct backfill_running {
	uint64_t id;
	const char *agent_id;                 /* an agent not in the input is ignored */
	mosaic_resources used;                /* what it holds (the agent's total if exclusive) */
	int64_t end_time;                     /* start + limit; BACKFILL_NEVER without a limit.
	                                       * A past end (an overrun about to be killed) is
	                                       * taken as now. */
	unsigned cores[BACKFILL_MAX_SOCKETS]; /* whole cores held per socket */
} backfill_running;

typedef struct backfill_input {
	const backfill_job *jobs; /* pending jobs, in any order */
	size_t njobs;
	const backfill_running *running;
	size_t nrunning;
	const backfill_agent *agents; /* every agent known, offered or not */
	size_t nagents;
	int64_t now;
} backfill_input;

/* Why a pending job did not start (or that it did), one per input job. */
typedef enum backfill_reason {
	BACKFILL_STARTED = 0, /* in the decisions */
	BACKFILL_INELIGIBLE,  /* eligible was false: the caller's reason stands */
	BACKFILL_RESERVED,    /* holds the reservation ("Resources") */
	BACKFILL_RESOURCES,   /* fits nowhere now ("Resources") */
	BACKFILL_PRIORITY,    /* fits now but would delay the reserved job ("Priority") */
	BACKFILL_TOO_BIG,     /* larger than any agent, even empty ("BadConstraints") */
} backfill_reason;

typedef struct backfill_decision {
	size_t job;                           /* index into jobs */
	size_t agent;                         /* index into agents */
	mosaic_resources take;                /* the job's need; all of the agent's offer if exclusive */
	unsigned cores[BACKFILL_MAX_SOCKETS]; /* cores the model placed per socket */
	bool backfilled;                      /* started ahead of the reserved job */
} backfill_decision;

typedef struct backfill_result {
	backfill_decision *decisions; /* in the order the jobs were started */
	size_t count;
	backfill_reason *reasons; /* njobs entries, in input order */
	bool reserved;
	size_t reserved_job;   /* index into jobs */
	size_t reserved_agent; /* index into agents */
	int64_t reserved_start;
} backfill_result;

/* backfill_schedule fills *out for one round. Returns 0 (the caller then
 * owns out's arrays: backfill_result_fini), or MOSAIC_EINVAL if an agent
 * reports more than BACKFILL_MAX_SOCKETS sockets or a need is negative
 * (out is then empty and needs no fini). */
int backfill_schedule(backfill_result *out, const backfill_input *in);
void backfill_result_fini(backfill_result *r);

/* The queue order: negative if a goes before b. */
int backfill_job_cmp(const backfill_job *a, const backfill_job *b);
/* squeue's REASON for r: "None", "Resources", "Priority", "BadConstraints"
 * (INELIGIBLE gives "" - the caller knows why). */
const char *backfill_reason_name(backfill_reason r);

#endif
