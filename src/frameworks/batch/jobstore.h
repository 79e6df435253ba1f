/* jobstore.h - mbatchd's durable memory: every submission and every job's
 * state, in SQLite (WAL, synchronous=FULL). The only batch module that
 * knows SQLite.
 *
 * A submission is stored as the user handed it in (script, options,
 * environment, directory), so that on start mbatchd reads its options again
 * exactly as at submission; a job row holds what changes as it runs.
 * Writes between jobstore_begin and jobstore_commit form one transaction:
 * mbatchd groups a whole loop round into one, and tells nobody about a
 * change (a job id, a launch) before the commit returned.
 *
 * Not thread-safe: one loop owns a store. Records passed in are read during
 * the call; records passed to load callbacks are valid during the call. */
#ifndef MOSAIC_BATCH_JOBSTORE_H
#define MOSAIC_BATCH_JOBSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct jobstore jobstore;

/* A submission: a job, or the tasks of an array (ids id .. id+count-1). */
typedef struct jobstore_sub {
	uint32_t id;
	uint32_t count;
	double submit_time;
	const char *script; /* NULL for --wrap */
	size_t script_len;
	const char *script_name;
	const char *const *options;
	size_t noptions;
	const char *const *args;
	size_t nargs;
	const char *const *env;
	size_t nenv;
	const char *cwd;
	const char *user;
	const char *submit_host;
} jobstore_sub;

/* A job's state. Strings may be NULL (stored as empty). */
typedef struct jobstore_job {
	uint32_t id;
	uint32_t sub_id;
	int64_t array_index; /* -1: not an array task */
	int state;           /* jobstate */
	bool held;
	uint32_t attempt;  /* launches so far: the task id's suffix */
	uint32_t restarts; /* requeues after a lost agent */
	uint32_t retries;  /* launches that did not start (placement raced) */
	int kill_reason;   /* why mbatchd killed it: cancel, timeout ... */
	double launch_time, start_time, end_time;
	bool has_exit;
	int exit_code, term_signal;
	uint32_t pid;
	const char *task_id, *agent_id, *hostname, *agent_http;
	const char *cpus_bound, *numa_bound, *sandbox, *message;
	const char *stdout_path, *stderr_path; /* expanded at launch */
} jobstore_job;

/* jobstore_open opens or creates path. MOSAIC_EIO with the reason in err.
 * The caller owns *out (jobstore_close). */
int jobstore_open(jobstore **out, const char *path, char *err, size_t errlen);
void jobstore_close(jobstore *st);

/* One transaction; begin while one is open is a no-op (MOSAIC_OK).
 * MOSAIC_EIO on failure (the reason in jobstore_last_error). */
int jobstore_begin(jobstore *st);
int jobstore_commit(jobstore *st);
bool jobstore_in_transaction(const jobstore *st);
const char *jobstore_last_error(const jobstore *st);

/* Small settings: the framework id, the next job id. *val is a heap string
 * the caller frees; MOSAIC_ENOENT when absent. */
int jobstore_meta_get(jobstore *st, const char *key, char **val);
int jobstore_meta_set(jobstore *st, const char *key, const char *val);

int jobstore_put_sub(jobstore *st, const jobstore_sub *sub);
int jobstore_put_job(jobstore *st, const jobstore_job *job);
/* jobstore_delete_sub forgets a submission and all its jobs. */
int jobstore_delete_sub(jobstore *st, uint32_t id);

/* jobstore_load calls sub_fn for every submission (by id), then job_fn for
 * every job (by id). A callback returning non-zero stops the load with
 * that value. */
typedef int (*jobstore_sub_fn)(void *arg, const jobstore_sub *sub);
typedef int (*jobstore_job_fn)(void *arg, const jobstore_job *job);
int jobstore_load(jobstore *st, jobstore_sub_fn sub_fn, jobstore_job_fn job_fn, void *arg);

#endif
