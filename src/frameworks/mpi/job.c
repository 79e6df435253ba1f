/* job.c - mmpirun's framework and its gang (see job.h): subscribing,
 * offers into the gang policy, the policy's answers carried out through
 * libmosaic-sched, timers and signals. */
#include "job.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

void
job_say(const job *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mmpirun: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void
job_verbose(const job *j, const char *fmt, ...)
{
	if (!j->o->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "mmpirun: [%.3f] ", j->s ? mosaic_sched_now(j->s) - j->t_start : 0.0);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- the offers the gang may launch on ---- */

static void
offer_forget(job *j, const char *id)
{
	for (size_t i = 0; i < j->noffers; i++)
		if (strcmp(j->offers[i].id, id) == 0) {
			j->offers[i] = j->offers[--j->noffers];
			return;
		}
}

static void
res_in(mosaic_resources *out, const mosaic_sched_resources *in)
{
	res_clear(out);
	out->cpus = in->cpus;
	out->mem = in->mem;
	out->disk = in->disk;
	out->gpus = in->gpus;
	out->nports = in->nports > MOSAIC_MAX_PORT_RANGES ? MOSAIC_MAX_PORT_RANGES : in->nports;
	for (uint32_t i = 0; i < out->nports; i++)
		out->ports[i] = (mosaic_range){in->ports[i].begin, in->ports[i].end};
}

/* How many ranks the offers held now have room for (agents summed). */
static unsigned
held_room(const job *j)
{
	unsigned room = 0;
	bool *done = xcalloc(j->noffers + 1, sizeof(*done));
	for (size_t i = 0; i < j->noffers; i++) {
		if (done[i])
			continue;
		rankmap_node n;
		memset(&n, 0, sizeof(n));
		n.agent_id = j->offers[i].agent_id;
		for (size_t k = i; k < j->noffers; k++)
			if (!done[k] && strcmp(j->offers[k].agent_id, n.agent_id) == 0) {
				mosaic_resources sum = n.avail;
				if (res_add(&sum, &j->offers[k].res) == MOSAIC_OK)
					n.avail = sum;
				done[k] = true;
			}
		room += rankmap_node_slots(&j->map, &n);
	}
	free(done);
	return room;
}

/* ---- carrying out the gang's answers ---- */

static void on_wake(mosaic_sched *s, void *arg);

static void
declines(job *j, const gang_actions *a)
{
	for (size_t i = 0; i < a->ndecline; i++) {
		const char *id = a->decline[i].id;
		if (mosaic_sched_decline(j->s, &id, 1, a->decline[i].refuse_seconds) != 0)
			job_verbose(j, "decline %s: %s", id, mosaic_sched_last_error(j->s));
		offer_forget(j, id);
	}
}

static void
demand(job *j, const gang_actions *a)
{
	if (a->demand == GANG_DEMAND_DECLARE) {
		mosaic_sched_resources per = {0};
		per.cpus = a->demand_per_task.cpus;
		per.mem = a->demand_per_task.mem;
		per.disk = a->demand_per_task.disk;
		per.gpus = a->demand_per_task.gpus;
		/* The gang's clock is the loop's; the master wants the epoch. */
		double since = mosaic_sched_wall_now() - (mosaic_sched_now(j->s) - a->demand_since);
		if (mosaic_sched_gang_demand(j->s, &per, a->demand_tasks, since) != 0)
			job_verbose(j, "gang demand: %s", mosaic_sched_last_error(j->s));
		else
			job_verbose(j, "declared the gang's demand: %u task(s) of %g cpus, %g MiB",
			            a->demand_tasks, per.cpus, per.mem);
	} else if (a->demand == GANG_DEMAND_CLEAR) {
		mosaic_sched_gang_demand_cancel(j->s);
	}
}

static void
apply(job *j)
{
	gang_actions *a = &j->act;
	declines(j, a);
	demand(j, a);
	if (a->released)
		job_verbose(j, "a partial gang was held %.0f s: gave it back, trying again in %.1f s",
		            j->o->hold, a->backoff_seconds);
	if (a->launch) {
		j->t_launch = mosaic_sched_now(j->s);
		j->wait_total += j->t_launch - j->t_start;
		job_verbose(j, "the gang fits: launching %u rank(s) on %zu agent(s): %s", a->plan.np,
		            a->plan.nplaces, a->plan.hostlist);
		int rv = job_launch(j, &a->plan, (const char(*)[MOSAIC_ID_MAX])a->launch_ids, a->nlaunch);
		if (rv == -2) {
			job_finish(j,
			           JOB_EXIT_FAIL); /* the tasks themselves are wrong: retrying cannot help */
			return;
		}
		if (rv != 0) {
			/* Refused before it left (an offer went stale): gather again. */
			gang_launch_result(j->g, mosaic_sched_now(j->s), false, a);
			apply(j);
			return;
		}
		for (size_t i = 0; i < a->nlaunch; i++)
			offer_forget(j, a->launch_ids[i]);
	}
	mosaic_sched_timer_cancel(j->s, j->wake_timer);
	j->wake_timer = 0;
	if (a->wake_at > 0) {
		double d = a->wake_at - mosaic_sched_now(j->s);
		j->wake_timer = mosaic_sched_timer_add(j->s, d > 0.001 ? d : 0.001, on_wake, j);
	}
}

static void
on_wake(mosaic_sched *s, void *arg)
{
	job *j = arg;
	j->wake_timer = 0;
	if (!j->g || j->phase != JOB_WAITING)
		return;
	gang_tick(j->g, mosaic_sched_now(s), &j->act);
	apply(j);
}

void
job_attempt_start(job *j)
{
	gang_free(j->g);
	j->g = NULL;
	gang_config gc;
	gang_config_init(&gc);
	gc.map = j->map;
	gc.hold_seconds = j->o->hold;
	gc.backoff_min = j->o->backoff;
	if (gc.backoff_max < gc.backoff_min)
		gc.backoff_max = gc.backoff_min;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	gc.seed = (uint64_t)getpid() << 32 ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec ^ j->attempt;
	char err[256];
	if (gang_new(&j->g, &gc, err, sizeof(err)) != 0) {
		job_say(j, "%s", err); /* checked by mpiopts already */
		job_finish(j, JOB_EXIT_FAIL);
		return;
	}
	j->attempt++;
	j->phase = JOB_WAITING;
	j->t_start = mosaic_sched_now(j->s);
	mpiwire_token(j->token);
	if (j->attempt > 1)
		mosaic_sched_revive(j->s);
	gang_start(j->g, mosaic_sched_now(j->s), &j->act);
	apply(j);
}

/* ---- callbacks ---- */

static void
on_subscribed(mosaic_sched *s, void *arg, const char *framework_id)
{
	job *j = arg;
	job_verbose(j, "framework %s subscribed (role %s); gathering offers for %u rank(s)", framework_id,
	            j->o->role, j->o->map.np);
	job_attempt_start(j);
}

static void
on_offers(mosaic_sched *s, void *arg, const mosaic_sched_offer *offers, size_t n)
{
	job *j = arg;
	if (j->phase != JOB_WAITING || !j->g) {
		for (size_t i = 0; i < n; i++)
			mosaic_sched_decline(s, &offers[i].id, 1, GANG_DONE_REFUSE);
		return;
	}
	gang_offer *go = xcalloc(n, sizeof(*go));
	j->offers = xrealloc(j->offers, (j->noffers + n) * sizeof(*j->offers));
	for (size_t i = 0; i < n; i++) {
		const mosaic_sched_offer *o = &offers[i];
		job_offer *jo = &j->offers[j->noffers++];
		snprintf(jo->id, sizeof(jo->id), "%s", o->id);
		snprintf(jo->agent_id, sizeof(jo->agent_id), "%s", o->agent_id);
		snprintf(jo->hostname, sizeof(jo->hostname), "%s", o->hostname ? o->hostname : "");
		snprintf(jo->agent_http, sizeof(jo->agent_http), "%s", o->agent_http ? o->agent_http : "");
		res_in(&jo->res, &o->resources);
		go[i].id = o->id;
		go[i].agent_id = o->agent_id;
		go[i].hostname = o->hostname;
		go[i].resources = jo->res;
		if (o->topology.present) {
			go[i].nsockets = (unsigned)o->topology.nsockets;
			go[i].free_cores_per_socket = o->topology.free_cores_per_socket;
		}
	}
	gang_offers(j->g, mosaic_sched_now(s), go, n, &j->act);
	free(go);
	apply(j);
	unsigned room = held_room(j);
	if (room > j->best_room)
		j->best_room = room;
	if (j->phase == JOB_WAITING && j->noffers)
		job_verbose(j, "holding %zu offer(s) with room for %u of %u rank(s)", j->noffers, room,
		            j->o->map.np);
}

static void
on_rescinded(mosaic_sched *s, void *arg, const char *offer_id)
{
	job *j = arg;
	offer_forget(j, offer_id);
	if (!j->g)
		return;
	gang_rescind(j->g, mosaic_sched_now(s), offer_id, &j->act);
	apply(j);
}

static void
on_accept_failed(mosaic_sched *s, void *arg, const char *const *ids, size_t n, const char *reason)
{
	job *j = arg;
	if (j->phase != JOB_STARTING || !j->g || gang_get_state(j->g) != GANG_LAUNCHING)
		return;
	bool ours = false;
	for (size_t i = 0; i < n && !ours; i++)
		for (size_t k = 0; k < j->nlaunch && !ours; k++)
			ours = strcmp(ids[i], j->launch_ids[k]) == 0;
	if (!ours)
		return;
	job_verbose(j, "the master refused the gang's launch (%s): gathering again", reason);
	job_openmpi_stop_now(j);
	job_tasks_free(j);
	j->phase = JOB_WAITING;
	j->t_start = mosaic_sched_now(s);
	gang_launch_result(j->g, mosaic_sched_now(s), false, &j->act);
	apply(j);
}

static void
on_agent_lost(mosaic_sched *s, void *arg, const char *agent_id, const char *hostname)
{
	job *j = arg;
	for (size_t i = 0; i < j->ntasks; i++) {
		job_task *t = &j->tasks[i];
		if (strcmp(t->agent_id, agent_id) != 0 || t->terminal)
			continue;
		t->gone = true; /* its LOST update may never come: do not wait for it */
		char ranks[64];
		job_task_ranks(t, ranks, sizeof(ranks));
		if (j->phase == JOB_STARTING || j->phase == JOB_RUNNING)
			job_fail(j, JOB_EXIT_FAIL, "agent %s running %s was lost (agent %s removed)",
			         hostname, ranks, agent_id);
		else
			job_check(j);
	}
}

static void
on_error(mosaic_sched *s, void *arg, const char *message)
{
	job *j = arg;
	job_say(j, "the master reports an error: %s", message);
	if (!mosaic_sched_framework_id(s))
		job_finish(j, JOB_EXIT_FAIL); /* a refused subscription */
}

static void
on_disconnected(mosaic_sched *s, void *arg)
{
	job_say(arg, "lost the master at %s; reconnecting (the ranks keep running)", mosaic_sched_master(s));
}

static void
on_reconnected(mosaic_sched *s, void *arg, const char *framework_id)
{
	job *j = arg;
	job_say(j, "reconnected to the master");
	if (j->phase == JOB_WAITING && j->g) {
		/* A new master may not know our demand: declare it again. */
		gang_actions a;
		gang_actions_init(&a);
		rankmap_demand(&j->map, &a.demand_per_task, &a.demand_tasks);
		a.demand = GANG_DEMAND_DECLARE;
		a.demand_since = j->t_start;
		demand(j, &a);
		gang_actions_fini(&a);
	}
}

static void
on_timeout(mosaic_sched *s, void *arg)
{
	job *j = arg;
	if (j->phase == JOB_DONE)
		return;
	j->timed_out = true;
	if (j->phase == JOB_WAITING)
		job_say(
		    j,
		    "--timeout %gs reached while waiting for resources: the gang needs room for %u rank(s) "
		    "(%g cpus, %g MiB%s each%s%s); the most the offers ever had room for at once was %u",
		    j->o->timeout, j->o->map.np, j->o->map.cpus_per_rank, j->o->map.mem_per_rank,
		    j->map.ports_per_rank ? ", 1 port" : "", j->map.ppn ? ", --ppn" : "",
		    j->map.ports_per_node ? "; 1 port per agent" : "", j->best_room);
	else
		job_say(j, "--timeout %gs reached while the gang was %s: stopping it", j->o->timeout,
		        j->phase == JOB_STARTING ? "starting" : "running");
	job_end(j);
}

static void
on_signal(mosaic_sched *s, int signo, void *arg)
{
	job *j = arg;
	if (signo == SIGCHLD) {
		job_openmpi_reap(j);
		return;
	}
	double now = mosaic_sched_now(s);
	/* One Ctrl-C often arrives twice (a wrapper such as timeout(1)
	 * passes on what the terminal also sent us): a second within a
	 * second is the same. */
	if (j->ninterrupts && now - j->t_interrupt < 1.0)
		return;
	if (j->ninterrupts++ || j->phase == JOB_DONE) {
		job_say(j, "interrupted again: leaving now (the master kills what is left)");
		job_finish(j, JOB_EXIT_INTERRUPTED);
		return;
	}
	j->interrupted = true;
	j->t_interrupt = now;
	job_say(j, "%s: stopping the gang (again to leave at once)", strsignal(signo));
	job_end(j);
}

/* ---- set-up ---- */

int
job_init(job *j, const mpiopts *o, job_launcher launcher, const char *mpirun, const char *bindir, char *err,
         size_t errlen)
{
	memset(j, 0, sizeof(*j));
	j->o = o;
	j->launcher = launcher;
	j->map = o->map;
	/* Generic: a port per rank (its MOSAIC_PEERS entry); OpenMPI: one for
	 * the proxy, where the launch agent reaches it. */
	if (launcher == JOB_GENERIC)
		j->map.ports_per_rank = 1;
	else
		j->map.ports_per_node = 1;
	j->lfd = -1;
	j->mpirun_fd[0] = j->mpirun_fd[1] = -1;
	snprintf(j->mpirun, sizeof(j->mpirun), "%s", mpirun ? mpirun : "");
	snprintf(j->bindir, sizeof(j->bindir), "%s", bindir);
	if (!getcwd(j->cwd, sizeof(j->cwd)))
		j->cwd[0] = '\0';
	gang_actions_init(&j->act);
	for (size_t i = 0; i < o->nenv; i++) {
		const char *e = o->env[i];
		char *entry;
		if (strchr(e, '=')) {
			entry = xstrdup(e);
		} else {
			const char *v = getenv(e);
			if (!v) {
				snprintf(err, errlen,
				         "-x %s: %s is not set in this environment (use -x %s=VALUE)", e, e,
				         e);
				return MOSAIC_EINVAL;
			}
			entry = xasprintf("%s=%s", e, v);
		}
		j->env = xrealloc(j->env, (j->nenv + 1) * sizeof(*j->env));
		j->env[j->nenv++] = entry;
	}
	j->out = mpiout_new(o->map.np, 1, 2, o->tag_output);
	j->rank_exited = xcalloc(o->map.np, 1);
	return job_link_open(j, err, errlen);
}

int
job_run(job *j)
{
	mosaic_sched_callbacks cb = {.subscribed = on_subscribed,
	                             .offers = on_offers,
	                             .rescinded = on_rescinded,
	                             .status = job_on_status,
	                             .agent_lost = on_agent_lost,
	                             .accept_failed = on_accept_failed,
	                             .error = on_error,
	                             .disconnected = on_disconnected,
	                             .reconnected = on_reconnected};
	mosaic_sched_config cfg = {.framework = {.name = j->o->name, .role = j->o->role},
	                           .callbacks = &cb,
	                           .arg = j,
	                           .master = j->o->master};
	char err[512];
	if (mosaic_sched_new(&j->s, &cfg, err, sizeof(err)) != 0) {
		job_say(j, "%s", err);
		return JOB_EXIT_FAIL;
	}
	/* Signals first: every thread the library starts must inherit the mask. */
	/* A reader of our output that goes away (| head) must not kill us
	 * before the gang is torn down: the write fails, the job goes on. */
	signal(SIGPIPE, SIG_IGN);
	mosaic_sched_signal_add(j->s, SIGINT, on_signal, j);
	mosaic_sched_signal_add(j->s, SIGTERM, on_signal, j);
	mosaic_sched_signal_add(j->s, SIGHUP, on_signal, j);
	mosaic_sched_signal_add(j->s, SIGCHLD, on_signal, j);
	if (mosaic_sched_start(j->s) != 0) {
		job_say(j, "%s", mosaic_sched_last_error(j->s));
		return JOB_EXIT_FAIL;
	}
	j->t_start = mosaic_sched_now(j->s);
	if (j->o->timeout > 0)
		mosaic_sched_timer_add(j->s, j->o->timeout, on_timeout, j);
	job_link_start(j);
	mosaic_sched_run(j->s);
	mpiout_flush_all(j->out);
	if (mosaic_sched_framework_id(j->s))
		mosaic_sched_teardown(j->s);
	return j->exit_code;
}

void
job_fini(job *j)
{
	job_openmpi_cleanup(j);
	job_link_close(j);
	job_tasks_free(j);
	mpiout_free(j->out);
	mosaic_sched_free(j->s);
	gang_free(j->g);
	gang_actions_fini(&j->act);
	for (size_t i = 0; i < j->nenv; i++)
		free(j->env[i]);
	free(j->env);
	free(j->offers);
	free(j->rank_exited);
	memset(j, 0, sizeof(*j));
}
