/* mrfiles_rm.c - removing replicas: one unstore task per agent (the block
 * store may only delete inside its own sandboxes on that agent, which
 * mapred-task checks), launched on the first offer of each agent holding
 * replicas. Agents that do not answer, or offer nothing within RM_WAIT
 * seconds, keep their replicas: they are named, and the catalog forgets
 * them anyway (nothing reads them again). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "errors.h"
#include "mem.h"
#include "mrfiles_impl.h"
#include "mrstore.h"

#define RM_WAIT 15.0
#define RM_MAX_ARGS 2000 /* paths per unstore task */

typedef enum { U_WAIT = 0, U_RUNNING, U_DONE, U_SKIPPED } ustate;

typedef struct rm_agent {
	const char *id, *hostname, *http; /* borrowed from the catalog files */
	const char **paths;
	size_t npaths;
	ustate state;
	unsigned tasks_left;
	bool failed;
} rm_agent;

typedef struct rm {
	const mrclient *c;
	mrstore *st;
	rm_agent *agents;
	size_t n;
	char rm_id[12];
	unsigned warned;
} rm;

static void
maybe_finish(rm *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->agents[i].state == U_WAIT || r->agents[i].state == U_RUNNING)
			return;
	mrstore_finish(r->st);
}

static void
launch(rm *r, size_t ai, const mosaic_sched_offer *o)
{
	rm_agent *a = &r->agents[ai];
	mosaic_sched *s = mrstore_sched(r->st);
	size_t ntasks = (a->npaths + RM_MAX_ARGS - 1) / RM_MAX_ARGS;
	size_t fit = (size_t)fmin(o->resources.cpus / MRSTORE_TASK_CPUS + 1e-9,
	                          o->resources.mem / MRSTORE_TASK_MEM + 1e-9);
	if (fit < ntasks) {
		mosaic_sched_decline(s, &o->id, 1, 0.5);
		return;
	}
	mosaic_sched_task *tasks = xcalloc(ntasks, sizeof(*tasks));
	char(*ids)[MOSAIC_SCHED_ID_MAX] = xcalloc(ntasks, MOSAIC_SCHED_ID_MAX);
	const char ***argvs = xcalloc(ntasks, sizeof(char **));
	for (size_t t = 0; t < ntasks; t++) {
		size_t from = t * RM_MAX_ARGS,
		       k = a->npaths - from < RM_MAX_ARGS ? a->npaths - from : RM_MAX_ARGS;
		argvs[t] = xcalloc(k + 3, sizeof(char *));
		argvs[t][0] = r->c->task_program;
		argvs[t][1] = "unstore";
		for (size_t j = 0; j < k; j++)
			argvs[t][2 + j] = a->paths[from + j];
		snprintf(ids[t], MOSAIC_SCHED_ID_MAX, "u.%s.%zu.%zu", r->rm_id, ai, t);
		tasks[t] =
		    (mosaic_sched_task){.id = ids[t],
		                        .agent_id = a->id,
		                        .argv = argvs[t],
		                        .resources = {.cpus = MRSTORE_TASK_CPUS, .mem = MRSTORE_TASK_MEM}};
	}
	if (mosaic_sched_launch(s, &o->id, 1, tasks, ntasks, 0) == 0) {
		a->state = U_RUNNING;
		a->tasks_left = (unsigned)ntasks;
	} else {
		fprintf(stderr, "mapred rm: launch on %s: %s\n", a->hostname, mosaic_sched_last_error(s));
		mosaic_sched_decline(s, &o->id, 1, 0);
	}
	for (size_t t = 0; t < ntasks; t++)
		free(argvs[t]);
	free(argvs);
	free(ids);
	free(tasks);
}

static void
on_offers(mrstore *st, void *arg, const mosaic_sched_offer *o, size_t n)
{
	rm *r = arg;
	for (size_t i = 0; i < n; i++) {
		size_t ai = r->n;
		for (size_t k = 0; k < r->n; k++)
			if (strcmp(r->agents[k].id, o[i].agent_id) == 0 && r->agents[k].state == U_WAIT)
				ai = k;
		if (ai < r->n)
			launch(r, ai, &o[i]);
		else
			mosaic_sched_decline(mrstore_sched(st), &o[i].id, 1, 30);
	}
}

static void
on_status(mrstore *st, void *arg, const mosaic_sched_status *s)
{
	rm *r = arg;
	char prefix[32];
	int np = snprintf(prefix, sizeof(prefix), "u.%s.", r->rm_id);
	if (!mosaic_sched_task_state_terminal(s->state) || strncmp(s->task_id, prefix, (size_t)np) != 0)
		return;
	size_t ai = strtoul(s->task_id + np, NULL, 10);
	if (ai >= r->n || r->agents[ai].state != U_RUNNING)
		return;
	rm_agent *a = &r->agents[ai];
	if (s->state != MOSAIC_SCHED_TASK_FINISHED) {
		a->failed = true;
		fprintf(stderr,
		        "mapred rm: warning: removing blocks on %s: %s: %s (see %s/files/%s/%s/stderr)\n",
		        a->hostname, mosaic_sched_task_state_name(s->state), s->message, a->http,
		        mrstore_framework_id(st), s->task_id);
	}
	if (--a->tasks_left == 0)
		a->state = U_DONE;
	maybe_finish(r);
}

static void
on_deadline(mosaic_sched *s, void *arg)
{
	rm *r = arg;
	for (size_t i = 0; i < r->n; i++) {
		if (r->agents[i].state != U_WAIT)
			continue;
		r->agents[i].state = U_SKIPPED;
		fprintf(stderr,
		        "mapred rm: warning: %s offered nothing in %.0f s: %zu replicas left on it, unused\n",
		        r->agents[i].hostname, RM_WAIT, r->agents[i].npaths);
	}
	maybe_finish(r);
}

static void
on_ready(mrstore *st, void *arg)
{
	rm *r = arg;
	r->st = st;
	mosaic_sched_timer_add(mrstore_sched(st), RM_WAIT, on_deadline, r);
	maybe_finish(r);
}

static void
on_interrupted(mrstore *st, void *arg)
{
	fprintf(stderr, "mapred rm: interrupted; the catalog still lists the files\n");
	exit(MRCLIENT_EXIT_FAIL);
}

int
mrfiles_unstore(const mrclient *c, catalog *cat, const catalog_file *files, size_t n)
{
	rm r = {.c = c};
	agent_probe ap = {0};
	mrfiles_probe(&ap, files, n);
	for (size_t f = 0; f < n; f++)
		for (size_t b = 0; b < files[f].nblocks; b++)
			for (size_t k = 0; k < files[f].blocks[b].nreplicas; k++) {
				const catalog_replica *rp = &files[f].blocks[b].replicas[k];
				size_t ai = r.n;
				for (size_t i = 0; i < r.n; i++)
					if (strcmp(r.agents[i].id, rp->agent_id) == 0)
						ai = i;
				if (ai == r.n) {
					r.agents = xrealloc(r.agents, (r.n + 1) * sizeof(rm_agent));
					r.agents[r.n++] = (rm_agent){
					    .id = rp->agent_id,
					    .hostname = rp->hostname,
					    .http = rp->agent_http,
					    .state = mrfiles_up(&ap, rp->agent_http) ? U_WAIT : U_SKIPPED};
				}
				rm_agent *a = &r.agents[ai];
				a->paths = xrealloc(a->paths, (a->npaths + 1) * sizeof(char *));
				a->paths[a->npaths++] = rp->path;
			}
	mrfiles_probe_fini(&ap);
	bool work = false;
	for (size_t i = 0; i < r.n; i++) {
		if (r.agents[i].state == U_SKIPPED)
			fprintf(stderr,
			        "mapred rm: warning: %s does not answer: %zu replicas left on it, unused\n",
			        r.agents[i].hostname, r.agents[i].npaths);
		work |= r.agents[i].state == U_WAIT;
	}
	int rv = 0;
	if (work) {
		unsigned char rnd[4];
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		snprintf(r.rm_id, sizeof(r.rm_id), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
		mrstore_ops ops = {.ready = on_ready,
		                   .offers = on_offers,
		                   .status = on_status,
		                   .interrupted = on_interrupted};
		char err[512];
		if (mrstore_run(c, cat, &ops, &r, err, sizeof(err)) != 0) {
			fprintf(stderr, "mapred rm: %s\n", err);
			rv = -1;
		}
	}
	for (size_t i = 0; i < r.n; i++)
		free(r.agents[i].paths);
	free(r.agents);
	return rv;
}
