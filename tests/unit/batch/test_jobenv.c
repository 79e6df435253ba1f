/* test_jobenv.c - the job's environment: MBATCH_* and their SLURM_* twins,
 * array variables only for arrays, and a submitter's stale job variables
 * replaced rather than passed on. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jobenv.h"

static const char *
get(char **env, const char *name)
{
	size_t n = strlen(name);
	const char *found = NULL;
	int count = 0;
	for (char **p = env; *p; p++)
		if (strncmp(*p, name, n) == 0 && (*p)[n] == '=') {
			found = *p + n + 1;
			count++;
		}
	CHECK(count <= 1); /* never twice */
	return found;
}

static void
expect(char **env, const char *name, const char *want)
{
	const char *got = get(env, name);
	bool ok = want ? got && strcmp(got, want) == 0 : got == NULL;
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "  %s = %s, want %s\n", name, got ? got : "(unset)", want ? want : "(unset)");
}

int
main(void)
{
	char *base[] = {"PATH=/bin", "SLURM_JOB_ID=999", "SLURM_ARRAY_TASK_ID=5", "MBATCH_ARRAY_JOB_ID=3",
	                "HOME=/h"};
	jobenv_vars v = {.job_id = 42,
	                 .cpus_per_task = 2,
	                 .ntasks = 3,
	                 .cpus = 6,
	                 .mem_mb = 512,
	                 .job_name = "train",
	                 .user = "ana",
	                 .submit_dir = "/home/ana/run",
	                 .submit_host = "login1",
	                 .node = "agent2",
	                 .time_limit = 600};
	size_t n;
	char **env = jobenv_build(&v, base, 5, &n);
	CHECK(env[n] == NULL);
	expect(env, "PATH", "/bin");
	expect(env, "HOME", "/h");
	expect(env, "MBATCH_JOB_ID", "42");
	expect(env, "SLURM_JOB_ID", "42");
	expect(env, "SLURM_JOBID", "42");
	expect(env, "SLURM_JOB_NAME", "train");
	expect(env, "MBATCH_JOB_NAME", "train");
	expect(env, "SLURM_CPUS_PER_TASK", "2");
	expect(env, "MBATCH_CPUS_PER_TASK", "2");
	expect(env, "SLURM_NTASKS", "3");
	expect(env, "SLURM_NPROCS", "3");
	expect(env, "MBATCH_NTASKS", "3");
	expect(env, "SLURM_SUBMIT_DIR", "/home/ana/run");
	expect(env, "MBATCH_SUBMIT_DIR", "/home/ana/run");
	expect(env, "SLURM_SUBMIT_HOST", "login1");
	expect(env, "SLURM_JOB_NODELIST", "agent2");
	expect(env, "SLURM_CPUS_ON_NODE", "6");
	expect(env, "SLURM_MEM_PER_NODE", "512");
	expect(env, "SLURM_NNODES", "1");
	expect(env, "SLURM_RESTART_COUNT", "0");
	expect(env, "SLURM_JOB_USER", "ana");
	/* Not an array: no array variables, the stale ones removed. */
	expect(env, "SLURM_ARRAY_TASK_ID", NULL);
	expect(env, "MBATCH_ARRAY_JOB_ID", NULL);
	expect(env, "MBATCH_ARRAY_TASK_ID", NULL);
	jobenv_free(env);

	v.is_array = true;
	v.job_id = 45;
	v.array_job_id = 43;
	v.array_index = 7;
	v.array_count = 4;
	v.array_min = 1;
	v.array_max = 7;
	v.restart_count = 2;
	env = jobenv_build(&v, NULL, 0, &n);
	expect(env, "MBATCH_JOB_ID", "45");
	expect(env, "SLURM_ARRAY_JOB_ID", "43");
	expect(env, "MBATCH_ARRAY_JOB_ID", "43");
	expect(env, "SLURM_ARRAY_TASK_ID", "7");
	expect(env, "MBATCH_ARRAY_TASK_ID", "7");
	expect(env, "SLURM_ARRAY_TASK_COUNT", "4");
	expect(env, "SLURM_ARRAY_TASK_MIN", "1");
	expect(env, "SLURM_ARRAY_TASK_MAX", "7");
	expect(env, "SLURM_RESTART_COUNT", "2");
	expect(env, "PATH", NULL);
	jobenv_free(env);
	return check_done();
}
