/* mbatchd_sched.c - mbatchd's second level: offers held as the free part
 * of each agent, the pending jobs in queue order, and backfill_schedule
 * deciding what starts where. Offers nobody can use go back with a filter;
 * with nothing eligible to run, offers are suppressed until there is. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "mbatchd_impl.h"
#include "outpattern.h"

/* ---- resources in both vocabularies (the same fields) ---- */

static void
to_res(mosaic_resources *out, const mosaic_sched_resources *in)
{
	res_clear(out);
	out->cpus = in->cpus;
	out->mem = in->mem;
	out->disk = in->disk;
	out->gpus = in->gpus;
}

static void
to_sched(mosaic_sched_resources *out, const mosaic_resources *in)
{
	memset(out, 0, sizeof(*out));
	out->cpus = in->cpus;
	out->mem = in->mem;
	out->disk = in->disk;
	out->gpus = in->gpus;
}

static void
add_scalars(mosaic_sched_resources *a, const mosaic_sched_resources *b)
{
	a->cpus += b->cpus;
	a->mem += b->mem;
	a->disk += b->disk;
	a->gpus += b->gpus;
}

static void
max_scalars(mosaic_sched_resources *a, const mosaic_sched_resources *b)
{
	a->cpus = fmax(a->cpus, b->cpus);
	a->mem = fmax(a->mem, b->mem);
	a->disk = fmax(a->disk, b->disk);
	a->gpus = fmax(a->gpus, b->gpus);
}

/* ---- agents and offers ---- */

static bagent *
agent_find(mbatchd *d, const char *id)
{
	for (size_t i = 0; i < d->agents.n; i++)
		if (strcmp(d->agents.v[i].id, id) == 0)
			return &d->agents.v[i];
	return NULL;
}

static void
remove_offer(mbatchd *d, size_t i)
{
	free(d->offers.v[i].id);
	free(d->offers.v[i].agent_id);
	d->offers.v[i] = d->offers.v[--d->offers.n];
}

/* What is ours on an agent: its offers held and our jobs running there.
 * The largest this was ever seen is the best known size of the agent (the
 * library tells frameworks no agent's total). */
static void
agent_update_total(mbatchd *d, bagent *a)
{
	mosaic_sched_resources sum = {0};
	for (size_t i = 0; i < d->offers.n; i++)
		if (!d->offers.v[i].used && strcmp(d->offers.v[i].agent_id, a->id) == 0)
			add_scalars(&sum, &d->offers.v[i].res);
	for (size_t i = 0; i < d->running.n; i++) {
		const bjob *j = d->running.v[i];
		if (j->agent_id && strcmp(j->agent_id, a->id) == 0)
			add_scalars(&sum, &j->used);
	}
	max_scalars(&a->total, &sum);
}

void
sched_on_offers(mosaic_sched *s, void *arg, const mosaic_sched_offer *offers, size_t n)
{
	mbatchd *d = arg;
	double mono = mosaic_sched_now(s);
	d->stats.offers += n;
	for (size_t i = 0; i < n; i++) {
		const mosaic_sched_offer *o = &offers[i];
		bagent *a = agent_find(d, o->agent_id);
		if (!a) {
			bagent na = {.id = xstrdup(o->agent_id)};
			VEC_PUSH(d->agents, na);
			a = &d->agents.v[d->agents.n - 1];
		}
		a->gone = false;
		jobs_set_str(&a->hostname, o->hostname);
		jobs_set_str(&a->http, o->agent_http);
		const mosaic_sched_topology *t = &o->topology;
		if (t->present && t->nsockets > 0 && t->nsockets <= BACKFILL_MAX_SOCKETS) {
			a->nsockets = (unsigned)t->nsockets;
			unsigned per = t->sockets ? t->cores / t->sockets : 0;
			for (unsigned k = 0; k < a->nsockets; k++) {
				a->free_cores[k] = t->free_cores_per_socket[k];
				a->cores_per_socket[k] = per > a->free_cores[k] ? per : a->free_cores[k];
			}
			a->free_cores_at = mono;
		}
		boffer b = {.id = xstrdup(o->id),
		            .agent_id = xstrdup(o->agent_id),
		            .res = o->resources,
		            .received = mono};
		VEC_PUSH(d->offers, b);
		agent_update_total(d, a);
	}
	d->want_schedule = true;
	mbatchd_touch(d);
}

void
sched_on_rescinded(mosaic_sched *s, void *arg, const char *offer_id)
{
	mbatchd *d = arg;
	for (size_t i = 0; i < d->offers.n; i++)
		if (strcmp(d->offers.v[i].id, offer_id) == 0) {
			remove_offer(d, i);
			return;
		}
}

void
sched_on_agent_lost(mosaic_sched *s, void *arg, const char *agent_id, const char *hostname)
{
	mbatchd *d = arg;
	LOGW("agent %s (%s) was lost; its jobs are requeued as their updates come", agent_id, hostname);
	bagent *a = agent_find(d, agent_id);
	if (a)
		a->gone = true;
	for (size_t i = 0; i < d->offers.n;)
		if (strcmp(d->offers.v[i].agent_id, agent_id) == 0)
			remove_offer(d, i);
		else
			i++;
}

void
sched_take_offers(mbatchd *d, const char *agent_id, char ***ids, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < d->offers.n; i++) {
		boffer *o = &d->offers.v[i];
		if (!o->used && strcmp(o->agent_id, agent_id) == 0) {
			o->used = true;
			if (*n == *cap) {
				*cap = *cap ? 2 * *cap : 4;
				*ids = xrealloc(*ids, *cap * sizeof(char *));
			}
			(*ids)[(*n)++] = xstrdup(o->id);
		}
	}
}

void
sched_drop_used_offers(mbatchd *d, const char *agent_id)
{
	for (size_t i = 0; i < d->offers.n;)
		if (d->offers.v[i].used && strcmp(d->offers.v[i].agent_id, agent_id) == 0)
			remove_offer(d, i);
		else
			i++;
}

void
sched_forget_offers(mbatchd *d)
{
	while (d->offers.n)
		remove_offer(d, d->offers.n - 1);
}

static void
decline_offer(mbatchd *d, size_t i, double refuse)
{
	const char *id = d->offers.v[i].id;
	if (mosaic_sched_decline(d->s, &id, 1, refuse) != 0)
		LOGD("cannot decline offer %s: %s", id, mosaic_sched_last_error(d->s));
	remove_offer(d, i);
}

static void
decline_unused(mbatchd *d, double refuse)
{
	for (size_t i = 0; i < d->offers.n;)
		if (!d->offers.v[i].used)
			decline_offer(d, i, refuse);
		else
			i++;
}

static void
suppress(mbatchd *d)
{
	if (!d->suppressed && d->subscribed && mosaic_sched_suppress(d->s) == 0) {
		d->suppressed = true;
		LOGD("nothing to run: offers suppressed");
	}
}

void
sched_wake(mbatchd *d)
{
	d->want_schedule = true;
	mbatchd_touch(d);
	if (d->suppressed && d->subscribed && mosaic_sched_revive(d->s) == 0) {
		d->suppressed = false;
		LOGD("jobs to run: offers revived");
	}
}

/* ---- eligibility ---- */

bool
sched_eligible(mbatchd *d, bjob *j, int64_t now)
{
	const bsub *sub = j->sub;
	if (j->held) {
		j->reason = "Held";
		return false;
	}
	if (sub->spec.begin > now) {
		j->reason = "BeginTime";
		if (d->next_begin == 0 || sub->spec.begin < d->next_begin)
			d->next_begin = sub->spec.begin;
		return false;
	}
	switch (jobs_dep_eval(d, j, NULL, 0)) {
	case DEPSPEC_WAIT: j->reason = "Dependency"; return false;
	case DEPSPEC_NEVER: j->reason = "DependencyNeverSatisfied"; return false;
	default: break;
	}
	if (j->reason && strcmp(j->reason, "Dependency") == 0)
		j->reason = "None";
	return true;
}

static int
pending_cmp(const void *a, const void *b)
{
	const bjob *x = *(bjob *const *)a, *y = *(bjob *const *)b;
	int64_t px = x->sub->spec.priority_given ? x->sub->spec.priority : 0;
	int64_t py = y->sub->spec.priority_given ? y->sub->spec.priority : 0;
	if (px != py)
		return px > py ? -1 : 1;
	if (x->sub->submit_time != y->sub->submit_time)
		return x->sub->submit_time < y->sub->submit_time ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Drop the jobs that left PENDING (once they are many: the scan skips
 * them meanwhile) and sort the rest in queue order. */
static void
pending_prepare(mbatchd *d)
{
	if (d->pending_sorted && d->pending_stale * 4 < d->pending.n)
		return;
	d->pending_stale = 0;
	size_t k = 0;
	for (size_t i = 0; i < d->pending.n; i++) {
		bjob *j = d->pending.v[i];
		if (j->state == JOBSTATE_PENDING)
			d->pending.v[k++] = j;
		else
			j->queued = false;
	}
	d->pending.n = k;
	if (!d->pending_sorted) {
		if (d->pending.n > 1)
			qsort(d->pending.v, d->pending.n, sizeof(bjob *), pending_cmp);
		d->pending_sorted = true;
	}
}

static void
fill_job(backfill_job *b, const bjob *j)
{
	const bsub *sub = j->sub;
	memset(b, 0, sizeof(*b));
	b->id = j->id;
	b->priority = sub->spec.priority_given ? sub->spec.priority : 0;
	b->submit_time = (int64_t)sub->submit_time;
	b->need.cpus = sub->place.cpus;
	b->need.mem = sub->mem_mb;
	b->need.gpus = sub->spec.gpus;
	b->time_limit = sub->time_limit;
	b->eligible = true;
	b->exclusive = sub->spec.exclusive;
	b->whole_cores = sub->place.whole_cores;
	b->cores_per_socket = sub->place.cores_per_socket;
	b->sockets = sub->place.sockets;
}

static void
fill_agent(mbatchd *d, backfill_agent *b, const bagent *a, bool whole, double mono)
{
	memset(b, 0, sizeof(*b));
	b->id = a->id;
	to_res(&b->total, &a->total);
	b->nsockets = a->nsockets;
	if (whole) {
		b->free = b->total;
		memcpy(b->free_cores, a->cores_per_socket, sizeof(b->free_cores));
		return;
	}
	mosaic_sched_resources free = {0};
	bool any = false;
	for (size_t i = 0; i < d->offers.n; i++)
		if (!d->offers.v[i].used && strcmp(d->offers.v[i].agent_id, a->id) == 0) {
			add_scalars(&free, &d->offers.v[i].res);
			any = true;
		}
	to_res(&b->free, &free);
	if (!any)
		return;
	memcpy(b->free_cores, a->free_cores, sizeof(b->free_cores));
	/* Cores of tasks just launched may not show in this agent's offers
	 * yet (its topology updates are rate-limited): count them busy. */
	for (size_t i = 0; i < d->running.n; i++) {
		const bjob *j = d->running.v[i];
		if (!j->cores || !j->inflight || j->inflight_until < mono || strcmp(j->agent_id, a->id) != 0)
			continue;
		for (unsigned k = 0; k < a->nsockets; k++)
			b->free_cores[k] =
			    b->free_cores[k] > j->cores[k] ? b->free_cores[k] - j->cores[k] : 0;
	}
}

int
sched_fits_ever(mbatchd *d, const bsub *sub, char *buf, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < d->agents.n; i++)
		n += !d->agents.v[i].gone;
	if (n == 0)
		return -1;
	backfill_agent *agents = xcalloc(n, sizeof(*agents));
	const bagent *largest = NULL;
	n = 0;
	for (size_t i = 0; i < d->agents.n; i++) {
		const bagent *a = &d->agents.v[i];
		if (a->gone)
			continue;
		fill_agent(d, &agents[n++], a, true, 0);
		if (!largest || a->total.cpus > largest->total.cpus)
			largest = a;
	}
	backfill_job job;
	bjob tmp = {.sub = (bsub *)sub};
	fill_job(&job, &tmp);
	backfill_input in = {.jobs = &job, .njobs = 1, .agents = agents, .nagents = n, .now = 0};
	backfill_result res;
	int fits = 1;
	if (backfill_schedule(&res, &in) == 0) {
		if (res.reasons[0] == BACKFILL_TOO_BIG) {
			char want[256], have[256];
			mosaic_sched_resources w = {
			    .cpus = job.need.cpus, .mem = job.need.mem, .gpus = job.need.gpus};
			mosaic_sched_resources_format(&w, want, sizeof(want));
			mosaic_sched_resources_format(&largest->total, have, sizeof(have));
			int k =
			    snprintf(buf, len,
			             "the job needs %s%s%s%s, more than any agent can ever give: the largest "
			             "seen, %s, has %s",
			             want, sub->place.whole_cores ? " as " : "",
			             sub->place.whole_cores ? sub->place.text : "",
			             sub->spec.exclusive ? " (exclusive)" : "",
			             largest->hostname ? largest->hostname : largest->id, have);
			if (largest->nsockets && k > 0 && (size_t)k < len)
				snprintf(buf + k, len - (size_t)k, " (%u socket%s x %u cores)",
				         largest->nsockets, largest->nsockets == 1 ? "" : "s",
				         largest->cores_per_socket[0]);
			fits = 0;
		}
		backfill_result_fini(&res);
	}
	free(agents);
	return fits;
}

/* ---- starting jobs ---- */

static char *
expand_output(const bjob *j, const char *pattern, const char *node)
{
	const bsub *sub = j->sub;
	outpattern_vars v = {.job_id = j->id,
	                     .job_name = sub->spec.job_name,
	                     .user = sub->user,
	                     .is_array = jobs_is_array(sub),
	                     .array_job_id = sub->id,
	                     .array_index = j->index == MBATCHD_NO_INDEX ? 0 : j->index,
	                     .node = node};
	return outpattern_expand(pattern, &v);
}

static void
start_job(mbatchd *d, bjob *j, const bagent *a, const backfill_decision *dec, double wall)
{
	char tid[MOSAIC_SCHED_ID_MAX];
	j->attempt++;
	jobs_set_str(&j->task_id, status_task_id(tid, sizeof(tid), j->id, j->attempt));
	jobs_clear_run(j);
	jobs_set_str(&j->agent_id, a->id);
	jobs_set_str(&j->hostname, a->hostname);
	jobs_set_str(&j->agent_http, a->http);
	j->launch_time = wall;
	j->end_time = 0;
	j->has_exit = false;
	j->exit_code = j->term_signal = 0;
	j->kill_reason = KILL_NONE;
	j->kill_sent = 0;
	j->recheck = false;
	to_sched(&j->used, &dec->take);
	if (j->sub->place.whole_cores) {
		j->cores = xcalloc(BACKFILL_MAX_SOCKETS, sizeof(unsigned));
		memcpy(j->cores, dec->cores, BACKFILL_MAX_SOCKETS * sizeof(unsigned));
		j->inflight = true;
		j->inflight_until = INFINITY;
	}
	const char *node = a->hostname ? a->hostname : a->id;
	char *out = expand_output(j, j->sub->spec.output, node);
	char *err = j->sub->spec.error ? expand_output(j, j->sub->spec.error, node) : xstrdup(out);
	free(j->stdout_path);
	free(j->stderr_path);
	j->stdout_path = out;
	j->stderr_path = err;
	j->reason = "None";
	jobs_set_state(d, j, JOBSTATE_RUNNING);
	launch_add(d, a->id, j);
}

void
sched_round(mbatchd *d)
{
	d->want_schedule = false;
	/* Nothing to place with: job ends give nothing back by themselves
	 * (their resources come as offers), so a round waits for offers. */
	bool offered = false;
	for (size_t i = 0; i < d->offers.n && !offered; i++)
		offered = !d->offers.v[i].used;
	if (!offered)
		return;
	double wall = mosaic_sched_wall_now(), mono = mosaic_sched_now(d->s);
	int64_t now = (int64_t)wall;
	uint64_t round_no = ++d->round_no;
	pending_prepare(d);
	d->next_begin = 0;

	/* The queue in order, until MBATCHD_CONSIDER candidates: a job further
	 * down could not start before them anyway (and keeps its reason). */
	VEC(bjob *) cand = {0};
	VEC(backfill_job) jobs = {0};
	for (size_t i = 0; i < d->pending.n && cand.n < MBATCHD_CONSIDER; i++) {
		bjob *j = d->pending.v[i];
		if (j->state != JOBSTATE_PENDING || j->sub->broken || !sched_eligible(d, j, now))
			continue;
		bsub *sub = j->sub;
		if (sub->round != round_no) {
			sub->round = round_no;
			sub->round_taken = 0;
		}
		uint32_t throttle = jobs_is_array(sub) ? sub->spec.array.throttle : 0;
		if (throttle && sub->nrunning + sub->round_taken >= throttle) {
			j->reason = "JobArrayTaskLimit";
			continue;
		}
		sub->round_taken++;
		backfill_job b;
		fill_job(&b, j);
		VEC_PUSH(cand, j);
		VEC_PUSH(jobs, b);
	}
	if (cand.n == 0) {
		/* Nothing can start whatever is offered: give it back for a
		 * while and stop the offers until a job becomes eligible. */
		decline_unused(d, MBATCHD_DECLINE_IDLE);
		suppress(d);
		free(cand.v);
		free(jobs.v);
		return;
	}

	backfill_agent *agents = xcalloc(d->agents.n ? d->agents.n : 1, sizeof(*agents));
	const bagent **arec = xcalloc(d->agents.n ? d->agents.n : 1, sizeof(*arec));
	size_t na = 0;
	for (size_t i = 0; i < d->agents.n; i++) {
		if (d->agents.v[i].gone)
			continue;
		arec[na] = &d->agents.v[i];
		fill_agent(d, &agents[na++], &d->agents.v[i], false, mono);
	}
	backfill_running *run = xcalloc(d->running.n ? d->running.n : 1, sizeof(*run));
	for (size_t i = 0; i < d->running.n; i++) {
		const bjob *j = d->running.v[i];
		run[i].id = j->id;
		run[i].agent_id = j->agent_id;
		to_res(&run[i].used, &j->used);
		double start = j->start_time > 0 ? j->start_time : j->launch_time;
		run[i].end_time =
		    j->sub->time_limit < 0 ? BACKFILL_NEVER : (int64_t)start + j->sub->time_limit;
		if (j->cores)
			memcpy(run[i].cores, j->cores, sizeof(run[i].cores));
	}
	backfill_input in = {.jobs = jobs.v,
	                     .njobs = jobs.n,
	                     .running = run,
	                     .nrunning = d->running.n,
	                     .agents = agents,
	                     .nagents = na,
	                     .now = now};
	backfill_result res;
	if (backfill_schedule(&res, &in) == 0) {
		for (size_t k = 0; k < res.count; k++) {
			const backfill_decision *dec = &res.decisions[k];
			start_job(d, cand.v[dec->job], arec[dec->agent], dec, wall);
		}
		for (size_t k = 0; k < cand.n; k++)
			if (res.reasons[k] != BACKFILL_STARTED)
				cand.v[k]->reason = backfill_reason_name(res.reasons[k]);
		backfill_result_fini(&res);
	} else {
		LOGE("the backfill round refused its input (an agent with more than %d sockets?)",
		     BACKFILL_MAX_SOCKETS);
	}
	free(run);
	free(agents);
	free(arec);
	free(cand.v);
	free(jobs.v);
}

/* ---- the tick ---- */

void
sched_tick(mbatchd *d, double mono)
{
	if (!d->subscribed)
		return;
	int64_t now = (int64_t)mosaic_sched_wall_now();
	if (d->next_begin && now >= d->next_begin) {
		d->next_begin = 0;
		sched_wake(d);
	}
	/* An offer kept for a job that waits (a reservation, or a job that
	 * may fit once more comes free) goes back after a while, so other
	 * frameworks see it too. */
	for (size_t i = 0; i < d->offers.n;)
		if (!d->offers.v[i].used && mono - d->offers.v[i].received > d->cfg.offer_hold)
			decline_offer(d, i, MBATCHD_DECLINE_HELD);
		else
			i++;
	/* Time moves dependencies (after:N+M) and the model's ends along. */
	if (d->pending.n > 0 && d->offers.n > 0) {
		d->want_schedule = true;
		mbatchd_touch(d);
	}
}

void
sched_free(mbatchd *d)
{
	sched_forget_offers(d);
	free(d->offers.v);
	d->offers.v = NULL;
	d->offers.cap = 0;
	launch_free(d);
	for (size_t i = 0; i < d->agents.n; i++) {
		free(d->agents.v[i].id);
		free(d->agents.v[i].hostname);
		free(d->agents.v[i].http);
	}
	free(d->agents.v);
	d->agents.v = NULL;
	d->agents.n = d->agents.cap = 0;
}
