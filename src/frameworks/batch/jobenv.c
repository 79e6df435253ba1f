#include "jobenv.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

typedef struct envbuf {
	char **v;
	size_t n, cap;
} envbuf;

static void
push(envbuf *e, char *entry)
{
	if (e->n + 1 >= e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->v = xrealloc(e->v, e->cap * sizeof(char *));
	}
	e->v[e->n++] = entry;
	e->v[e->n] = NULL;
}

/* Set name=value, replacing an entry of that name from base. */
static void
set(envbuf *e, const char *name, const char *value)
{
	size_t len = strlen(name);
	char *entry = xasprintf("%s=%s", name, value ? value : "");
	for (size_t i = 0; i < e->n; i++) {
		if (strncmp(e->v[i], name, len) == 0 && e->v[i][len] == '=') {
			free(e->v[i]);
			e->v[i] = entry;
			return;
		}
	}
	push(e, entry);
}

/* The same value under MBATCH_<suffix> and every SLURM_ alias given. */
static void
both(envbuf *e, const char *suffix, const char *value, const char *const *slurm)
{
	char name[64];
	snprintf(name, sizeof(name), "MBATCH_%s", suffix);
	set(e, name, value);
	for (; *slurm; slurm++) {
		snprintf(name, sizeof(name), "SLURM_%s", *slurm);
		set(e, name, value);
	}
}

#define ALIASES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void
num(envbuf *e, const char *suffix, uint64_t v, const char *const *slurm)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	both(e, suffix, buf, slurm);
}

char **
jobenv_build(const jobenv_vars *v, char *const *base, size_t n, size_t *count)
{
	envbuf e = {0};
	for (size_t i = 0; i < n; i++)
		push(&e, xstrdup(base[i]));
	/* Variables of an earlier job (a job submitted from inside a job)
	 * would mislead this one: the array ones are only set for arrays. */
	static const char *const stale[] = {"ARRAY_JOB_ID", "ARRAY_TASK_ID", "ARRAY_TASK_COUNT",
	                                    "ARRAY_TASK_MIN", "ARRAY_TASK_MAX"};
	size_t keep = 0;
	for (size_t i = 0; i < e.n; i++) {
		const char *s = e.v[i];
		const char *suffix = strncmp(s, "SLURM_", 6) == 0    ? s + 6
		                     : strncmp(s, "MBATCH_", 7) == 0 ? s + 7
		                                                     : NULL;
		bool drop = false;
		for (size_t k = 0; suffix && k < sizeof(stale) / sizeof(stale[0]); k++) {
			size_t len = strlen(stale[k]);
			drop = drop || (strncmp(suffix, stale[k], len) == 0 && suffix[len] == '=');
		}
		if (drop)
			free(e.v[i]);
		else
			e.v[keep++] = e.v[i];
	}
	e.n = keep;
	if (e.v)
		e.v[e.n] = NULL;
	num(&e, "JOB_ID", v->job_id, ALIASES("JOB_ID", "JOBID"));
	both(&e, "JOB_NAME", v->job_name, ALIASES("JOB_NAME"));
	both(&e, "JOB_USER", v->user, ALIASES("JOB_USER"));
	num(&e, "CPUS_PER_TASK", v->cpus_per_task, ALIASES("CPUS_PER_TASK"));
	num(&e, "NTASKS", v->ntasks, ALIASES("NTASKS", "NPROCS"));
	num(&e, "CPUS_ON_NODE", v->cpus, ALIASES("CPUS_ON_NODE", "JOB_CPUS_PER_NODE"));
	if (v->mem_mb)
		num(&e, "MEM_PER_NODE", v->mem_mb, ALIASES("MEM_PER_NODE"));
	both(&e, "SUBMIT_DIR", v->submit_dir, ALIASES("SUBMIT_DIR"));
	if (v->submit_host && *v->submit_host)
		both(&e, "SUBMIT_HOST", v->submit_host, ALIASES("SUBMIT_HOST"));
	if (v->node && *v->node) {
		both(&e, "JOB_NODELIST", v->node, ALIASES("JOB_NODELIST", "NODELIST"));
		both(&e, "NODENAME", v->node, ALIASES("NODENAME"));
	}
	num(&e, "NNODES", 1, ALIASES("NNODES", "JOB_NUM_NODES"));
	num(&e, "NODEID", 0, ALIASES("NODEID", "PROCID", "LOCALID"));
	num(&e, "TASKS_PER_NODE", v->ntasks, ALIASES("TASKS_PER_NODE"));
	num(&e, "RESTART_COUNT", v->restart_count, ALIASES("RESTART_COUNT"));
	if (v->time_limit > 0)
		num(&e, "TIME_LIMIT", (uint64_t)v->time_limit, ALIASES("JOB_TIME_LIMIT"));
	if (v->is_array) {
		num(&e, "ARRAY_JOB_ID", v->array_job_id, ALIASES("ARRAY_JOB_ID"));
		num(&e, "ARRAY_TASK_ID", v->array_index, ALIASES("ARRAY_TASK_ID"));
		num(&e, "ARRAY_TASK_COUNT", v->array_count, ALIASES("ARRAY_TASK_COUNT"));
		num(&e, "ARRAY_TASK_MIN", v->array_min, ALIASES("ARRAY_TASK_MIN"));
		num(&e, "ARRAY_TASK_MAX", v->array_max, ALIASES("ARRAY_TASK_MAX"));
	}
	if (count)
		*count = e.n;
	return e.v;
}

void
jobenv_free(char **env)
{
	if (!env)
		return;
	for (char **p = env; *p; p++)
		free(*p);
	free(env);
}
