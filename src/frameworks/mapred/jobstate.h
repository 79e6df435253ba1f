/* jobstate.h - the bookkeeping of one MapReduce job, as a pure module: which
 * map and reduce tasks are pending, running or done, which attempt is the
 * current one, where each map's output lives, what must be redone when an
 * agent or an output is lost, and when the job must give up. No I/O, no
 * clock, no messaging: the mapred client feeds it events and asks it what
 * to do (delay.h chooses where pending maps go).
 *
 * Rules:
 *  - every launch is an attempt; a task gets at most max_attempts of them,
 *    whatever ended the earlier ones (failure, loss of its agent, loss of
 *    its output). One more needed past that fails the job, with the last
 *    attempt's error as the reason;
 *  - a map is done when its attempt finished: its output stays on its
 *    agent for the reducers to fetch. If that agent is lost, or a reducer
 *    finds the output gone, the map is redone -- but only while some reduce
 *    still needs map outputs (is pending or running);
 *  - reduces start once every map is done; a reduce's attempt that
 *    finished still has its output on its agent until the client has copied
 *    it (jobstate_fetched), and is redone if that agent is lost first;
 *  - updates of an attempt that is not the task's current one are stale
 *    and ignored.
 * Task ids are "m<index>.<attempt>" and "r<index>.<attempt>". Not
 * thread-safe. */
#ifndef MOSAIC_MAPRED_JOBSTATE_H
#define MOSAIC_MAPRED_JOBSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOBSTATE_ID_MAX 64
#define JOBSTATE_DEFAULT_ATTEMPTS 4

typedef enum jobstate_kind { JOBSTATE_MAP = 0, JOBSTATE_REDUCE = 1 } jobstate_kind;

typedef enum jobstate_phase {
	JOBSTATE_PENDING = 0,
	JOBSTATE_RUNNING = 1,
	JOBSTATE_FINISHED = 2, /* a reduce whose output is still to be copied back */
	JOBSTATE_DONE = 3
} jobstate_phase;

typedef struct jobstate_task {
	jobstate_phase phase;
	uint32_t attempts;              /* launches so far */
	char task_id[JOBSTATE_ID_MAX];  /* the current (or last) attempt; "" before the first */
	char agent_id[JOBSTATE_ID_MAX]; /* where it runs, or where its output is */
	char agent_http[128];           /* that agent's file server */
	char last_error[256];           /* why the last attempt did not succeed */
} jobstate_task;

typedef struct jobstate_counters {
	uint64_t launched;   /* attempts launched */
	uint64_t failed;     /* attempts that failed (FAILED, ERROR, KILLED ...) */
	uint64_t lost;       /* attempts lost with their agent */
	uint64_t recomputed; /* done tasks redone because their output was lost */
} jobstate_counters;

typedef struct jobstate jobstate;

/* jobstate_new: a job of nmaps maps and nreduces reduces, all pending.
 * max_attempts 0 takes JOBSTATE_DEFAULT_ATTEMPTS. Free with jobstate_free. */
void jobstate_new(jobstate **out, uint32_t nmaps, uint32_t nreduces, uint32_t max_attempts);
void jobstate_free(jobstate *js);

void jobstate_task_id(jobstate_kind kind, uint32_t idx, uint32_t attempt, char *out, size_t cap);
/* MOSAIC_EINVAL unless id is "m<n>.<a>" or "r<n>.<a>" (decimal). */
int jobstate_parse_task_id(const char *id, jobstate_kind *kind, uint32_t *idx, uint32_t *attempt);

uint32_t jobstate_count(const jobstate *js, jobstate_kind kind);
/* The task, or NULL for an index out of range. */
const jobstate_task *jobstate_task_get(const jobstate *js, jobstate_kind kind, uint32_t idx);

/* jobstate_launch: starts the next attempt of a pending task on an agent;
 * its id goes to task_id (JOBSTATE_ID_MAX bytes). MOSAIC_ESTATE if the task
 * is not pending (or a reduce while maps are not all done), MOSAIC_ENOSPC
 * when its attempts are used up (the job has failed: jobstate_failure). */
int jobstate_launch(jobstate *js, jobstate_kind kind, uint32_t idx, const char *agent_id,
                    const char *agent_http, char *task_id);

/* jobstate_finished: the attempt `task_id` ended well. False if stale or
 * unknown (nothing changed). */
bool jobstate_finished(jobstate *js, const char *task_id);
/* jobstate_fetched: reduce idx's output is safe with the client. */
bool jobstate_fetched(jobstate *js, uint32_t idx);
/* jobstate_ended: the attempt `task_id` ended without success, lost with
 * its agent when `lost`; why says how (copied). The task becomes pending
 * again, unless its attempts are used up: then the job fails. False if
 * stale or unknown. */
bool jobstate_ended(jobstate *js, const char *task_id, bool lost, const char *why);
/* jobstate_agent_lost: the agent is gone with everything on it: map
 * outputs still needed and reduce outputs not yet copied are redone
 * (running attempts there end by their own LOST updates). Returns the
 * number of tasks made pending. */
size_t jobstate_agent_lost(jobstate *js, const char *agent_id);
/* jobstate_output_lost: a task's output cannot be read: a map's (a reducer
 * found it gone), redone if still needed; or a finished reduce's (the
 * client could not copy it), redone. True if the task was made pending. */
bool jobstate_output_lost(jobstate *js, jobstate_kind kind, uint32_t idx, const char *why);

/* jobstate_take_pending_maps: the maps made pending since the last call
 * (by failures and losses; the initial ones are not listed), for the caller
 * to hand to its placement policy. Writes up to cap indexes; returns how
 * many it wrote. */
size_t jobstate_take_pending_maps(jobstate *js, uint32_t *out, size_t cap);

/* Progress: tasks done of each kind. */
uint32_t jobstate_done(const jobstate *js, jobstate_kind kind);
/* True once every map is done (reduces may start). */
bool jobstate_maps_done(const jobstate *js);
/* True once every reduce is done: the job succeeded. */
bool jobstate_complete(const jobstate *js);
/* The reason the job failed, or NULL while it has not. */
const char *jobstate_failure(const jobstate *js);
/* jobstate_fail: fails the job for a reason of the caller's (copied); the
 * first reason stays. */
void jobstate_fail(jobstate *js, const char *why);
void jobstate_get_counters(const jobstate *js, jobstate_counters *c);

#endif
