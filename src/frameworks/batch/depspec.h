/* depspec.h - job dependencies as sbatch --dependency reads them, and
 * their evaluation.
 *
 * Syntax (Slurm's): a list of terms "type:job_id[:job_id...]" joined by ','
 * (all must be satisfied) or by '?' (any one is enough) - only one of the
 * two separators in a list. Types: after (the job started or was
 * cancelled; "after:12+5" waits 5 more minutes), afterany (terminated),
 * afterok (completed with exit code 0), afternotok (terminated in a failed
 * state), aftercorr (the task of the same array index completed with exit
 * code 0), and "singleton" (alone: no other job of the same user and name
 * running). A job id may name one task of an array, "12_3"; "12" or "12_*"
 * is the whole array. A bare job id ("12") means afterany, as in Slurm.
 *
 * Pure: evaluation takes a look-up callback and `now`, reads no clock and
 * keeps no state. A depspec owns its term array (depspec_fini); format
 * functions return heap strings the caller frees. */
#ifndef MOSAIC_BATCH_DEPSPEC_H
#define MOSAIC_BATCH_DEPSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jobstate.h"

/* array_index of a term (or a job) that means the whole job. */
#define DEPSPEC_WHOLE_JOB UINT32_MAX

typedef enum depspec_type {
	DEPSPEC_AFTER,
	DEPSPEC_AFTERANY,
	DEPSPEC_AFTEROK,
	DEPSPEC_AFTERNOTOK,
	DEPSPEC_AFTERCORR,
	DEPSPEC_SINGLETON, /* job_id, array_index and delay unused */
} depspec_type;

typedef struct depspec_term {
	depspec_type type;
	uint32_t job_id;
	uint32_t array_index; /* DEPSPEC_WHOLE_JOB unless "12_3" */
	int64_t delay;        /* after:12+N: N minutes, in seconds; 0 otherwise */
} depspec_term;

typedef enum depspec_op {
	DEPSPEC_AND, /* ',' (also a single term) */
	DEPSPEC_OR,  /* '?' */
} depspec_op;

typedef struct depspec {
	depspec_term *terms;
	size_t count;
	depspec_op op;
} depspec;

/* depspec_parse reads text into out. Returns 0 (the caller then owns
 * out->terms: depspec_fini), or MOSAIC_EINVAL with out zeroed and, when err
 * is non-NULL, a message naming the bad part. An empty text parses to no
 * terms (no dependency). */
int depspec_parse(depspec *out, const char *text, char *err, size_t errlen);
void depspec_fini(depspec *d);
/* depspec_format writes the canonical text depspec_parse reads back to the
 * same terms: "afterok:12:13_2,afterany:14", "after:7+5?singleton".
 * Returns a heap string (the caller frees); "" for no terms. */
char *depspec_format(const depspec *d);

typedef enum depspec_result {
	DEPSPEC_SATISFIED, /* may run */
	DEPSPEC_WAIT,      /* not yet: squeue reason "Dependency" */
	DEPSPEC_NEVER,     /* can never be satisfied: "DependencyNeverSatisfied" */
} depspec_result;

/* What the evaluator needs to know of a job a term names. */
typedef struct depspec_job_info {
	jobstate state;     /* JOBSTATE_UNKNOWN: no such job */
	int64_t start_time; /* when it started running; for a job that ended
	                     * without running (cancelled while pending), when
	                     * it ended; unused while pending */
} depspec_job_info;

/* The look-up: fill *out for job_id, or for one task of it when
 * array_index is not DEPSPEC_WHOLE_JOB. For a whole array, report the
 * aggregate: PENDING or RUNNING while any task is, else COMPLETED if every
 * task completed, else a failed state; start_time the earliest start. */
typedef void (*depspec_lookup_fn)(void *arg, uint32_t job_id, uint32_t array_index, depspec_job_info *out);

/* Another live (pending or running) job, for singleton. */
typedef struct depspec_peer {
	uint32_t job_id;
	uint32_t array_index; /* DEPSPEC_WHOLE_JOB if not an array task */
	const char *user;
	const char *name;
	jobstate state; /* PENDING or RUNNING (others are ignored) */
	bool singleton; /* it has a singleton dependency too */
} depspec_peer;

typedef struct depspec_ctx {
	/* The job whose dependency is evaluated. */
	uint32_t job_id;
	uint32_t array_index; /* its task index (for aftercorr), or DEPSPEC_WHOLE_JOB */
	const char *user;
	const char *name;
	int64_t now;
	depspec_lookup_fn lookup;
	void *lookup_arg;
	const depspec_peer *peers; /* for singleton; may include the job itself */
	size_t npeers;
} depspec_ctx;

/* depspec_eval decides whether d is satisfied now. Per term:
 *   after       SATISFIED once the job has started (or ended) and its delay
 *               has passed; WAIT while it is pending.
 *   afterany    SATISFIED once it has terminated in any state.
 *   afterok     SATISFIED if COMPLETED, NEVER if it ended any other way.
 *   afternotok  SATISFIED if it ended in a failed state (FAILED, CANCELLED,
 *               TIMEOUT, NODE_FAIL, OUT_OF_MEMORY), NEVER if COMPLETED.
 *   aftercorr   afterok on the task of the job's own array index (the
 *               whole job when the job is not an array task).
 *   singleton   WAIT while a peer of the same user and name is RUNNING, or
 *               is PENDING with a singleton dependency and a lower id (so
 *               that two held-back jobs never start in the same round).
 * A job the look-up does not know is taken as gone, as Slurm does: after
 * and afterany are SATISFIED (it surely ended), afterok, afternotok and
 * aftercorr are NEVER (how it ended is lost).
 * AND: NEVER if any term is, else WAIT if any is, else SATISFIED. OR:
 * SATISFIED if any term is, else WAIT if any is, else NEVER. No terms:
 * SATISFIED. When why is non-NULL it receives a short explanation of the
 * term that decided, e.g. "afterok:12: job 12 is FAILED". The callback is
 * called synchronously, only during this call. */
depspec_result depspec_eval(const depspec *d, const depspec_ctx *ctx, char *why, size_t whylen);

/* squeue's REASON for a result: "None", "Dependency",
 * "DependencyNeverSatisfied". */
const char *depspec_reason(depspec_result r);

#endif
