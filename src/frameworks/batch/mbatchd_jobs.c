/* mbatchd_jobs.c - the job table: submissions and jobs in memory, their
 * states with the counters that depend on them, and the store's rows. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrayspec.h"
#include "depspec.h"
#include "errors.h"
#include "log.h"
#include "mbatchd_impl.h"
#include "slurm_time.h"

bjob *
jobs_find(mbatchd *d, uint32_t id)
{
	return id < d->jobs_cap ? d->jobs[id] : NULL;
}

bool
jobs_is_array(const bsub *sub)
{
	return sub->spec.has_array;
}

bjob *
jobs_find_task(mbatchd *d, const bsub *sub, uint32_t index)
{
	if (!jobs_is_array(sub))
		return NULL;
	const uint32_t *ids = sub->spec.array.ids;
	size_t lo = 0, hi = sub->spec.array.count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] == index)
			return jobs_find(d, sub->id + (uint32_t)mid);
		if (ids[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
jobs_set_str(char **field, const char *value)
{
	if (*field && value && strcmp(*field, value) == 0)
		return;
	free(*field);
	*field = value && *value ? xstrdup(value) : NULL;
}

void
jobs_mark(mbatchd *d, bjob *j)
{
	if (!j->dirty) {
		j->dirty = true;
		VEC_PUSH(d->dirty, j);
	}
	mbatchd_touch(d);
}

void
jobs_mark_sub(mbatchd *d, bsub *sub)
{
	if (!sub->dirty) {
		sub->dirty = true;
		VEC_PUSH(d->dirty_subs, sub);
	}
	mbatchd_touch(d);
}

static bool
is_live(jobstate s)
{
	return s == JOBSTATE_PENDING || s == JOBSTATE_RUNNING;
}

/* The counters that depend on a job's state: its array's buckets, the
 * number of live jobs, the running list. */
static void
account(mbatchd *d, bjob *j, jobstate from, jobstate to)
{
	bsub *sub = j->sub;
	uint32_t *bucket[JOBSTATE_COUNT] = {0};
	bucket[JOBSTATE_PENDING] = &sub->npending;
	bucket[JOBSTATE_RUNNING] = &sub->nrunning;
	bucket[JOBSTATE_COMPLETED] = &sub->ncompleted;
	for (int s = JOBSTATE_FAILED; s < JOBSTATE_COUNT; s++)
		bucket[s] = &sub->nfailed;
	if (from > JOBSTATE_UNKNOWN && from < JOBSTATE_COUNT && bucket[from] && *bucket[from] > 0)
		(*bucket[from])--;
	if (to > JOBSTATE_UNKNOWN && to < JOBSTATE_COUNT && bucket[to])
		(*bucket[to])++;
	if (is_live(from) && d->nlive > 0)
		d->nlive--;
	if (is_live(to))
		d->nlive++;
	if (from == JOBSTATE_RUNNING && to != JOBSTATE_RUNNING) {
		size_t k = j->run_slot;
		if (k < d->running.n && d->running.v[k] == j) {
			d->running.v[k] = d->running.v[--d->running.n];
			d->running.v[k]->run_slot = k;
		}
	}
	if (to == JOBSTATE_RUNNING && from != JOBSTATE_RUNNING) {
		j->run_slot = d->running.n;
		VEC_PUSH(d->running, j);
	}
	j->state = to;
	if (to == JOBSTATE_PENDING)
		jobs_add_pending(d, j);
	else if (from == JOBSTATE_PENDING && j->queued)
		d->pending_stale++;
}

void
jobs_add_pending(mbatchd *d, bjob *j)
{
	if (!j->queued) {
		j->queued = true;
		VEC_PUSH(d->pending, j);
		d->pending_sorted = false;
	}
	int64_t begin = j->sub->spec.begin;
	if (begin > 0 && (d->next_begin == 0 || begin < d->next_begin))
		d->next_begin = begin;
	d->want_schedule = true;
}

void
jobs_set_state(mbatchd *d, bjob *j, jobstate st)
{
	jobstate from = j->state;
	account(d, j, from, st);
	if (jobstate_is_terminal(st)) {
		free(j->cores);
		j->cores = NULL;
		j->inflight = false;
		j->reason = NULL;
		d->waiters_check = true;
		/* Jobs waiting on this one may run now. */
		if (d->pending.n > 0)
			sched_wake(d);
	}
	jobs_mark(d, j);
}

static char **
copy_list(const char *const *v, size_t n)
{
	char **out = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

static void
free_list(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

bsub *
jobs_sub_new(mbatchd *d, const jobstore_sub *rec, char *err, size_t errlen)
{
	bsub *sub = xcalloc(1, sizeof(*sub));
	sub->d = d;
	sub->id = rec->id;
	sub->count = rec->count;
	sub->submit_time = rec->submit_time;
	if (rec->script) {
		sub->script = xmalloc(rec->script_len + 1);
		memcpy(sub->script, rec->script, rec->script_len);
		sub->script[rec->script_len] = '\0';
		sub->script_len = rec->script_len;
	}
	sub->script_name = xstrdup(rec->script_name ? rec->script_name : "");
	sub->options = copy_list(rec->options, rec->noptions);
	sub->noptions = rec->noptions;
	sub->args = copy_list(rec->args, rec->nargs);
	sub->nargs = rec->nargs;
	sub->env = copy_list(rec->env, rec->nenv);
	sub->nenv = rec->nenv;
	sub->cwd = xstrdup(rec->cwd && *rec->cwd ? rec->cwd : "/");
	sub->user = xstrdup(rec->user ? rec->user : "");
	sub->submit_host = xstrdup(rec->submit_host ? rec->submit_host : "");
	/* Read at its submit time, so --begin=now+60 means the same again. */
	int rv =
	    directives_parse(&sub->spec, sub->script ? sub->script_name : NULL, sub->script, sub->script_len,
	                     (int)sub->noptions, sub->options, (int64_t)sub->submit_time, err, errlen);
	if (rv != 0) {
		jobs_sub_free(sub);
		return NULL;
	}
	sub->run_script = sub->script ? xstrdup(sub->script) : directives_wrap_script(sub->spec.wrap);
	const char *dir = sub->spec.chdir;
	if (!dir)
		sub->workdir = xstrdup(sub->cwd);
	else if (dir[0] == '/')
		sub->workdir = xstrdup(dir);
	else
		sub->workdir = xasprintf("%s/%s", sub->cwd, dir);
	jobplace_from_spec(&sub->place, &sub->spec);
	sub->mem_mb = (double)directives_spec_mem_mb(&sub->spec, d->cfg.default_mem_per_cpu);
	sub->time_limit = sub->spec.time_given ? sub->spec.time_limit : d->cfg.default_time;
	sub->dependency_text = depspec_format(&sub->spec.dependency);
	sub->array_text = sub->spec.has_array ? arrayspec_format(&sub->spec.array) : NULL;
	return sub;
}

void
jobs_sub_free(bsub *sub)
{
	if (!sub)
		return;
	free(sub->script);
	free(sub->run_script);
	free(sub->script_name);
	free_list(sub->options, sub->noptions);
	free_list(sub->args, sub->nargs);
	free_list(sub->env, sub->nenv);
	free(sub->cwd);
	free(sub->user);
	free(sub->submit_host);
	free(sub->workdir);
	free(sub->dependency_text);
	free(sub->array_text);
	directives_spec_fini(&sub->spec);
	free(sub);
}

bjob *
jobs_new(mbatchd *d, bsub *sub, uint32_t id, uint32_t index)
{
	if (id >= d->jobs_cap) {
		size_t cap = d->jobs_cap ? d->jobs_cap : 1024;
		while (cap <= id)
			cap *= 2;
		d->jobs = xrealloc(d->jobs, cap * sizeof(bjob *));
		memset(d->jobs + d->jobs_cap, 0, (cap - d->jobs_cap) * sizeof(bjob *));
		d->jobs_cap = cap;
	}
	bjob *j = xcalloc(1, sizeof(*j));
	j->id = id;
	j->sub = sub;
	j->index = index;
	j->state = JOBSTATE_UNKNOWN;
	d->jobs[id] = j;
	sub->nloaded++;
	if (d->min_id == 0 || id < d->min_id)
		d->min_id = id;
	return j;
}

static void
job_free(mbatchd *d, bjob *j)
{
	d->jobs[j->id] = NULL;
	free(j->task_id);
	free(j->agent_id);
	free(j->hostname);
	free(j->agent_http);
	free(j->cpus_bound);
	free(j->numa_bound);
	free(j->sandbox);
	free(j->message);
	free(j->stdout_path);
	free(j->stderr_path);
	free(j->cores);
	free(j);
}

/* What a launch set, gone: the job waits again (or never ran). */
void
jobs_clear_run(bjob *j)
{
	jobs_set_str(&j->agent_id, NULL);
	jobs_set_str(&j->hostname, NULL);
	jobs_set_str(&j->agent_http, NULL);
	jobs_set_str(&j->cpus_bound, NULL);
	jobs_set_str(&j->numa_bound, NULL);
	jobs_set_str(&j->sandbox, NULL);
	free(j->cores);
	j->cores = NULL;
	j->inflight = false;
	j->pid = 0;
	j->launch_time = j->start_time = 0;
	memset(&j->used, 0, sizeof(j->used));
}

void
jobs_to_record(const bjob *j, jobstore_job *o)
{
	memset(o, 0, sizeof(*o));
	o->id = j->id;
	o->sub_id = j->sub->id;
	o->array_index = j->index == MBATCHD_NO_INDEX ? -1 : (int64_t)j->index;
	o->state = j->state;
	o->held = j->held;
	o->attempt = j->attempt;
	o->restarts = j->restarts;
	o->retries = j->retries;
	o->kill_reason = j->kill_reason;
	o->launch_time = j->launch_time;
	o->start_time = j->start_time;
	o->end_time = j->end_time;
	o->has_exit = j->has_exit;
	o->exit_code = j->exit_code;
	o->term_signal = j->term_signal;
	o->pid = j->pid;
	o->task_id = j->task_id;
	o->agent_id = j->agent_id;
	o->hostname = j->hostname;
	o->agent_http = j->agent_http;
	o->cpus_bound = j->cpus_bound;
	o->numa_bound = j->numa_bound;
	o->sandbox = j->sandbox;
	o->message = j->message;
	o->stdout_path = j->stdout_path;
	o->stderr_path = j->stderr_path;
}

/* ---- loading ---- */

typedef struct load_ctx {
	mbatchd *d;
	VEC(bsub *) subs; /* in id order */
	size_t bad;
} load_ctx;

static int
load_sub(void *arg, const jobstore_sub *rec)
{
	load_ctx *lc = arg;
	char err[1024];
	bsub *sub = jobs_sub_new(lc->d, rec, err, sizeof(err));
	if (!sub) {
		/* Options that no longer read (a newer mbatchd refusing what an
		 * older one took): the jobs stay visible, and cannot run. */
		LOGE("job %u: its options no longer read: %s", rec->id, err);
		jobstore_sub copy = *rec;
		copy.options = NULL;
		copy.noptions = 0;
		sub = jobs_sub_new(lc->d, &copy, NULL, 0);
		if (!sub) {
			copy.script = NULL;
			copy.noptions = 2;
			copy.options = (const char *const[]){"--wrap", "false"};
			sub = jobs_sub_new(lc->d, &copy, NULL, 0);
		}
		if (!sub)
			return MOSAIC_EIO;
		sub->broken = true;
		lc->bad++;
	}
	VEC_PUSH(lc->subs, sub);
	return MOSAIC_OK;
}

static bsub *
find_sub(load_ctx *lc, uint32_t id)
{
	size_t lo = 0, hi = lc->subs.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (lc->subs.v[mid]->id == id)
			return lc->subs.v[mid];
		if (lc->subs.v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
load_job(void *arg, const jobstore_job *r)
{
	load_ctx *lc = arg;
	mbatchd *d = lc->d;
	bsub *sub = find_sub(lc, r->sub_id);
	if (!sub || r->state <= JOBSTATE_UNKNOWN || r->state >= JOBSTATE_COUNT) {
		LOGE("job %u in the store has no submission or a bad state (%d): skipped", r->id, r->state);
		return MOSAIC_OK;
	}
	bjob *j = jobs_new(d, sub, r->id, r->array_index < 0 ? MBATCHD_NO_INDEX : (uint32_t)r->array_index);
	j->held = r->held;
	j->attempt = r->attempt;
	j->restarts = r->restarts;
	j->retries = r->retries;
	j->kill_reason = r->kill_reason;
	j->launch_time = r->launch_time;
	j->start_time = r->start_time;
	j->end_time = r->end_time;
	j->has_exit = r->has_exit;
	j->exit_code = r->exit_code;
	j->term_signal = r->term_signal;
	j->pid = r->pid;
	jobs_set_str(&j->task_id, r->task_id);
	jobs_set_str(&j->agent_id, r->agent_id);
	jobs_set_str(&j->hostname, r->hostname);
	jobs_set_str(&j->agent_http, r->agent_http);
	jobs_set_str(&j->cpus_bound, r->cpus_bound);
	jobs_set_str(&j->numa_bound, r->numa_bound);
	jobs_set_str(&j->sandbox, r->sandbox);
	jobs_set_str(&j->message, r->message);
	jobs_set_str(&j->stdout_path, r->stdout_path);
	jobs_set_str(&j->stderr_path, r->stderr_path);
	account(d, j, JOBSTATE_UNKNOWN, (jobstate)r->state);
	if (j->state == JOBSTATE_RUNNING) {
		j->used.cpus = sub->place.cpus;
		j->used.mem = sub->mem_mb;
		j->used.gpus = sub->spec.gpus;
	}
	if (j->start_time > 0 && (sub->first_start == 0 || j->start_time < sub->first_start))
		sub->first_start = j->start_time;
	return MOSAIC_OK;
}

int
jobs_load(mbatchd *d, char *err, size_t errlen)
{
	char *v = NULL;
	if (jobstore_meta_get(d->store, "framework_id", &v) == 0) {
		snprintf(d->framework_id, sizeof(d->framework_id), "%s", v);
		free(v);
	}
	d->next_id = 1;
	if (jobstore_meta_get(d->store, "next_job_id", &v) == 0) {
		unsigned long n = strtoul(v, NULL, 10);
		if (n > 0 && n < UINT32_MAX)
			d->next_id = (uint32_t)n;
		free(v);
	}
	load_ctx lc = {.d = d};
	int rv = jobstore_load(d->store, load_sub, load_job, &lc);
	if (rv != 0) {
		snprintf(err, errlen, "cannot load the jobs: %s", jobstore_last_error(d->store));
		for (size_t i = 0; i < lc.subs.n; i++)
			if (lc.subs.v[i]->nloaded == 0)
				jobs_sub_free(lc.subs.v[i]);
		free(lc.subs.v);
		return rv;
	}
	for (size_t i = 0; i < lc.subs.n; i++) {
		bsub *sub = lc.subs.v[i];
		if (sub->nloaded == 0) {
			jobs_sub_free(sub);
			continue;
		}
		if (sub->id + sub->count > d->next_id)
			d->next_id = sub->id + sub->count;
		if (!sub->broken)
			continue;
		for (uint32_t k = 0; k < sub->count; k++) {
			bjob *j = jobs_find(d, sub->id + k);
			if (j && j->state == JOBSTATE_PENDING) {
				jobs_set_str(&j->message,
				             "its options no longer read in this version of mbatchd");
				j->end_time = mosaic_sched_wall_now();
				jobs_set_state(d, j, JOBSTATE_FAILED);
			}
		}
	}
	free(lc.subs.v);
	LOGI("loaded %zu live jobs (%zu running), next job id %u%s", d->nlive, d->running.n, d->next_id,
	     lc.bad ? "; some submissions no longer read (see above)" : "");
	return MOSAIC_OK;
}

/* ---- dependencies ---- */

jobstate
jobs_sub_state(const bsub *sub)
{
	if (sub->nrunning)
		return JOBSTATE_RUNNING;
	if (sub->npending)
		return JOBSTATE_PENDING;
	if (sub->ncompleted >= sub->count)
		return JOBSTATE_COMPLETED;
	return JOBSTATE_FAILED;
}

static int64_t
started_or_ended(const bjob *j)
{
	double t = j->start_time > 0 ? j->start_time : j->end_time;
	return (int64_t)t;
}

static void
dep_lookup(void *arg, uint32_t job_id, uint32_t index, depspec_job_info *out)
{
	mbatchd *d = arg;
	memset(out, 0, sizeof(*out));
	out->state = JOBSTATE_UNKNOWN;
	bjob *j = jobs_find(d, job_id);
	if (!j)
		return;
	bsub *sub = j->sub;
	if (index != DEPSPEC_WHOLE_JOB) {
		bjob *t = sub->id == job_id ? jobs_find_task(d, sub, index) : NULL;
		if (t) {
			out->state = t->state;
			out->start_time = started_or_ended(t);
		}
		return;
	}
	if (jobs_is_array(sub) && sub->id == job_id) {
		out->state = jobs_sub_state(sub);
		out->start_time = (int64_t)sub->first_start;
		if (out->start_time == 0 && jobstate_is_terminal(out->state))
			out->start_time = started_or_ended(j);
		return;
	}
	out->state = j->state;
	out->start_time = started_or_ended(j);
}

depspec_result
jobs_dep_eval(mbatchd *d, const bjob *j, char *why, size_t whylen)
{
	const bsub *sub = j->sub;
	if (sub->spec.dependency.count == 0)
		return DEPSPEC_SATISFIED;
	depspec_ctx ctx = {
	    .job_id = j->id,
	    .array_index = j->index == MBATCHD_NO_INDEX ? DEPSPEC_WHOLE_JOB : j->index,
	    .user = sub->user,
	    .name = sub->spec.job_name,
	    .now = (int64_t)mosaic_sched_wall_now(),
	    .lookup = dep_lookup,
	    .lookup_arg = d,
	};
	bool singleton = false;
	for (size_t i = 0; i < sub->spec.dependency.count; i++)
		singleton |= sub->spec.dependency.terms[i].type == DEPSPEC_SINGLETON;
	VEC(depspec_peer) peers = {0};
	if (singleton) {
		/* Only singleton needs the other live jobs of this user and name. */
		for (int pass = 0; pass < 2; pass++) {
			bjob **list = pass ? d->running.v : d->pending.v;
			size_t n = pass ? d->running.n : d->pending.n;
			for (size_t i = 0; i < n; i++) {
				const bjob *p = list[i];
				if (p->state != (pass ? JOBSTATE_RUNNING : JOBSTATE_PENDING) ||
				    strcmp(p->sub->user, sub->user) != 0 ||
				    strcmp(p->sub->spec.job_name, sub->spec.job_name) != 0)
					continue;
				bool ps = false;
				for (size_t k = 0; k < p->sub->spec.dependency.count; k++)
					ps |= p->sub->spec.dependency.terms[k].type == DEPSPEC_SINGLETON;
				depspec_peer peer = {.job_id = p->id,
				                     .array_index = p->index == MBATCHD_NO_INDEX
				                                        ? DEPSPEC_WHOLE_JOB
				                                        : p->index,
				                     .user = p->sub->user,
				                     .name = p->sub->spec.job_name,
				                     .state = p->state,
				                     .singleton = ps};
				VEC_PUSH(peers, peer);
			}
		}
		ctx.peers = peers.v;
		ctx.npeers = peers.n;
	}
	depspec_result r = depspec_eval(&sub->spec.dependency, &ctx, why, whylen);
	free(peers.v);
	return r;
}

/* ---- forgetting ---- */

void
jobs_purge(mbatchd *d, double now)
{
	if (d->cfg.purge_after <= 0)
		return;
	size_t purged = 0;
	for (uint32_t id = d->min_id; id && id < d->next_id && id < d->jobs_cap; id++) {
		bjob *j = d->jobs[id];
		if (!j || j->sub->id != id)
			continue;
		bsub *sub = j->sub;
		bool old = true;
		for (uint32_t k = 0; k < sub->count && old; k++) {
			bjob *t = jobs_find(d, sub->id + k);
			old = !t || (jobstate_is_terminal(t->state) && !t->dirty && !t->queued &&
			             t->end_time > 0 && now - t->end_time > d->cfg.purge_after);
		}
		if (!old || sub->dirty)
			continue;
		if (jobstore_begin(d->store) != 0 || jobstore_delete_sub(d->store, sub->id) != 0)
			break;
		for (uint32_t k = 0; k < sub->count; k++) {
			bjob *t = jobs_find(d, sub->id + k);
			if (t)
				job_free(d, t);
		}
		jobs_sub_free(sub);
		purged++;
	}
	while (d->min_id && d->min_id < d->next_id && d->min_id < d->jobs_cap && !d->jobs[d->min_id])
		d->min_id++;
	if (purged) {
		LOGI("forgot %zu finished submissions older than %.0f s", purged, d->cfg.purge_after);
		mbatchd_touch(d);
	}
}

void
jobs_free_all(mbatchd *d)
{
	for (size_t id = 0; id < d->jobs_cap; id++) {
		bjob *j = d->jobs[id];
		if (!j)
			continue;
		bsub *sub = j->sub;
		job_free(d, j);
		if (--sub->nloaded == 0)
			jobs_sub_free(sub);
	}
	free(d->jobs);
	d->jobs = NULL;
	d->jobs_cap = 0;
	free(d->pending.v);
	free(d->running.v);
	free(d->dirty.v);
	free(d->dirty_subs.v);
}
