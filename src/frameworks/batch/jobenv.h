/* jobenv.h - the variables a batch job finds in its environment, under
 * Mosaic's names (MBATCH_JOB_ID ...) and under the SLURM_* names that
 * existing scripts read (SLURM_JOB_ID, SLURM_ARRAY_TASK_ID,
 * SLURM_CPUS_PER_TASK, SLURM_SUBMIT_DIR ...), added to what --export
 * passes.
 *
 * Pure; the returned array and its strings are the caller's. */
#ifndef MOSAIC_BATCH_JOBENV_H
#define MOSAIC_BATCH_JOBENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct jobenv_vars {
	uint32_t job_id;
	bool is_array;
	uint32_t array_job_id, array_index; /* when is_array */
	uint32_t array_count, array_min, array_max;
	uint32_t cpus_per_task, ntasks, cpus;
	uint64_t mem_mb;
	const char *job_name;
	const char *user;
	const char *submit_dir; /* where mbatch submit ran */
	const char *submit_host;
	const char *node;       /* the agent's host name */
	uint32_t restart_count; /* times requeued */
	int64_t time_limit;     /* seconds, negative: none */
} jobenv_vars;

/* jobenv_build returns a NULL-terminated heap array: base (n entries of
 * "NAME=value", copied) with the job's variables set on top, replacing any
 * of the same name (a submitter's stale SLURM_JOB_ID must not leak into
 * the job). *count (if non-NULL) gets the number of entries. */
char **jobenv_build(const jobenv_vars *v, char *const *base, size_t n, size_t *count);
/* jobenv_free frees an array from jobenv_build. */
void jobenv_free(char **env);

#endif
