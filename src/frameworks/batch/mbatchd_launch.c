/* mbatchd_launch.c - the decisions of a round as tasks, launched after the
 * round's commit: one launch per agent with all of its offers, each job's
 * command (its script, inline, executed in the sandbox so its #! line
 * chooses the interpreter) and environment (--export, then MBATCH_* /
 * SLURM_*). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "jobenv.h"
#include "log.h"
#include "mbatchd_impl.h"

void
launch_add(mbatchd *d, const char *agent_id, bjob *j)
{
	for (size_t i = 0; i < d->launches.n; i++)
		if (strcmp(d->launches.v[i].agent_id, agent_id) == 0) {
			VEC_PUSH(d->launches.v[i].jobs, j);
			return;
		}
	blaunch g = {.agent_id = xstrdup(agent_id)};
	/* Every offer of the agent goes in: what the tasks leave comes back
	 * to the master at once (refuse 0) and is offered again. */
	sched_take_offers(d, agent_id, &g.offers.v, &g.offers.n, &g.offers.cap);
	VEC_PUSH(g.jobs, j);
	VEC_PUSH(d->launches, g);
}

_Static_assert(MBATCHD_MAX_SCRIPT <= MOSAIC_SCHED_MAX_SCRIPT, "a job's script fits CommandInfo.script");

typedef struct task_mem {
	char **argv;
	char **env;
} task_mem;

/* The job's script goes inline (CommandInfo.script): the executor writes
 * it into the sandbox and the task execs it, so the kernel runs the
 * interpreter of its #! line ("interp [arg] <sandbox>/script args") - one
 * exec per job, no shell before it. argv[0] only names it. */
static void
build_task(mbatchd *d, bjob *j, mosaic_sched_task *t, task_mem *m)
{
	bsub *sub = j->sub;
	m->argv = xcalloc(sub->nargs + 2, sizeof(char *));
	size_t k = 0;
	m->argv[k++] = xstrdup("mbatch-job");
	for (size_t a = 0; a < sub->nargs; a++)
		m->argv[k++] = xstrdup(sub->args[a]);
	size_t nbase;
	char **base = directives_export_env(&sub->spec, sub->env, &nbase);
	jobenv_vars v = {
	    .job_id = j->id,
	    .is_array = jobs_is_array(sub),
	    .array_job_id = sub->id,
	    .array_index = j->index == MBATCHD_NO_INDEX ? 0 : j->index,
	    .array_count = sub->count,
	    .array_min = jobs_is_array(sub) ? sub->spec.array.ids[0] : 0,
	    .array_max = jobs_is_array(sub) ? sub->spec.array.ids[sub->spec.array.count - 1] : 0,
	    .cpus_per_task = sub->spec.cpus_per_task,
	    .ntasks = sub->spec.ntasks,
	    .cpus = (uint32_t)ceil(j->used.cpus),
	    .mem_mb = (uint64_t)sub->mem_mb,
	    .job_name = sub->spec.job_name,
	    .user = sub->user,
	    .submit_dir = sub->cwd,
	    .submit_host = sub->submit_host,
	    .node = j->hostname,
	    .restart_count = j->restarts,
	    .time_limit = sub->time_limit,
	};
	m->env = jobenv_build(&v, base, nbase, NULL);
	for (size_t i = 0; i < nbase; i++)
		free(base[i]);
	free(base);
	memset(t, 0, sizeof(*t));
	t->id = j->task_id;
	t->name = sub->spec.job_name;
	t->agent_id = j->agent_id;
	t->resources = j->used;
	/* directives_parse refused scripts without "#!" or over the limit */
	t->script = sub->run_script;
	t->argv = (const char *const *)m->argv;
	t->env = (const char *const *)m->env;
	t->user = sub->user;
	t->cwd = sub->workdir;
	t->stdout_path = j->stdout_path;
	t->stderr_path = j->stderr_path;
	t->placement = sub->place.placement;
}

static void
task_mem_fini(task_mem *m)
{
	jobenv_free(m->argv);
	jobenv_free(m->env);
}

static void
launch_failed(mbatchd *d, blaunch *g, const char *why)
{
	LOGW("cannot launch %zu job(s) on agent %s: %s; they wait again", g->jobs.n, g->agent_id, why);
	for (size_t i = 0; i < g->offers.n; i++) {
		const char *id = g->offers.v[i];
		mosaic_sched_decline(d->s, &id, 1, 0);
	}
	for (size_t i = 0; i < g->jobs.n; i++) {
		bjob *j = g->jobs.v[i];
		if (j->state != JOBSTATE_RUNNING || j->start_time > 0)
			continue;
		jobs_clear_run(j);
		jobs_set_str(&j->message, why);
		jobs_set_state(d, j, JOBSTATE_PENDING);
	}
	sched_wake(d);
}

static void
group_free(blaunch *g)
{
	for (size_t i = 0; i < g->offers.n; i++)
		free(g->offers.v[i]);
	free(g->offers.v);
	free(g->jobs.v);
	free(g->agent_id);
}

void
launch_all(mbatchd *d)
{
	for (size_t gi = 0; gi < d->launches.n; gi++) {
		blaunch *g = &d->launches.v[gi];
		/* Jobs cancelled between the decision and now are left out. */
		size_t n = 0;
		for (size_t i = 0; i < g->jobs.n; i++)
			if (g->jobs.v[i]->state == JOBSTATE_RUNNING && g->jobs.v[i]->kill_reason == KILL_NONE)
				g->jobs.v[n++] = g->jobs.v[i];
		g->jobs.n = n;
		mosaic_sched_task *tasks = xcalloc(n ? n : 1, sizeof(*tasks));
		task_mem *mem = xcalloc(n ? n : 1, sizeof(*mem));
		for (size_t i = 0; i < n; i++)
			build_task(d, g->jobs.v[i], &tasks[i], &mem[i]);
		int rv = MOSAIC_OK;
		if (n > 0)
			rv = mosaic_sched_launch(d->s, (const char *const *)g->offers.v, g->offers.n, tasks,
			                         n, 0);
		else
			for (size_t i = 0; i < g->offers.n; i++) {
				const char *id = g->offers.v[i];
				mosaic_sched_decline(d->s, &id, 1, 0);
			}
		if (rv != 0)
			launch_failed(d, g, mosaic_sched_last_error(d->s));
		else
			d->stats.launched += n;
		for (size_t i = 0; i < n; i++)
			task_mem_fini(&mem[i]);
		free(mem);
		free(tasks);
		sched_drop_used_offers(d, g->agent_id);
		group_free(g);
	}
	d->launches.n = 0;
}

void
launch_free(mbatchd *d)
{
	for (size_t i = 0; i < d->launches.n; i++)
		group_free(&d->launches.v[i]);
	d->launches.n = 0;
}
