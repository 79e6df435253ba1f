/* mbatchd_status.c - what happens to a launched job: its task's status
 * updates (acknowledged only after the round that records them is
 * committed, so an update is never lost between the master and the disk),
 * reconciliation after a (re)start, time limits, kills, and requeues of
 * jobs whose agent was lost. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "mbatchd_impl.h"

#define RECONCILE_CHUNK 2000

char *
status_task_id(char *buf, size_t len, uint32_t job_id, uint32_t attempt)
{
	snprintf(buf, len, "mbatch-%u-%u", job_id, attempt);
	return buf;
}

static bool
parse_task_id(const char *id, uint32_t *job, uint32_t *attempt)
{
	unsigned j, a;
	int n = 0;
	if (sscanf(id, "mbatch-%u-%u%n", &j, &a, &n) != 2 || id[n] != '\0')
		return false;
	*job = j;
	*attempt = a;
	return true;
}

static void
queue_ack(mbatchd *d, const mosaic_sched_status *st)
{
	if (!st->uuid)
		return;
	back a = {
	    .agent_id = xstrdup(st->agent_id), .task_id = xstrdup(st->task_id), .uuid = xstrdup(st->uuid)};
	VEC_PUSH(d->acks, a);
	mbatchd_touch(d);
}

static void
set_message(bjob *j, const char *fmt, const char *detail)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), fmt, detail && *detail ? detail : "");
	jobs_set_str(&j->message, buf);
}

static void
reset_run(bjob *j)
{
	jobs_clear_run(j);
	j->kill_reason = KILL_NONE;
	j->kill_sent = 0;
	j->recheck = false;
}

static void
finish(mbatchd *d, bjob *j, jobstate state, const mosaic_sched_status *st)
{
	j->has_exit = st->has_exit_code;
	j->exit_code = st->exit_code;
	j->term_signal = st->term_signal;
	if (state == JOBSTATE_COMPLETED && !j->has_exit) {
		j->has_exit = true;
		j->exit_code = 0;
	}
	j->end_time = st->timestamp > 0 ? st->timestamp : mosaic_sched_wall_now();
	if (st->message && *st->message)
		jobs_set_str(&j->message, st->message);
	jobs_set_state(d, j, state);
	d->stats.finished++;
	LOGD("job %u %s (%s)", j->id, jobstate_name(state), st->message);
}

/* Back in the queue without counting as a restart: the task never ran
 * (the agent's cores were taken meanwhile, or it was dropped). */
static void
retry(mbatchd *d, bjob *j, const mosaic_sched_status *st)
{
	if (++j->retries > MBATCHD_MAX_RETRIES) {
		set_message(j, "could not be started %s", "");
		finish(d, j, JOBSTATE_FAILED, st);
		return;
	}
	set_message(j, "not started, waiting again: %s", st->message);
	reset_run(j);
	jobs_set_state(d, j, JOBSTATE_PENDING);
	d->stats.requeued++;
	sched_wake(d);
}

/* Its agent (or the framework) went away with the task. */
static void
lost(mbatchd *d, bjob *j, const char *why)
{
	bool requeue = j->sub->spec.requeue != 0 && j->restarts < d->cfg.max_requeues;
	if (!requeue) {
		mosaic_sched_status st = {.message = why, .timestamp = mosaic_sched_wall_now()};
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s on %s%s", why, j->hostname ? j->hostname : "its agent",
		         j->sub->spec.requeue == 0 ? " (--no-requeue)" : " (requeued too often)");
		st.message = msg;
		finish(d, j, JOBSTATE_NODE_FAIL, &st);
		return;
	}
	char msg[1024];
	snprintf(msg, sizeof(msg), "requeued: %s on %s", why, j->hostname ? j->hostname : "its agent");
	LOGI("job %u %s", j->id, msg);
	jobs_set_str(&j->message, msg);
	j->restarts++;
	reset_run(j);
	jobs_set_state(d, j, JOBSTATE_PENDING);
	d->stats.requeued++;
	sched_wake(d);
}

static void
running(mbatchd *d, bjob *j, const mosaic_sched_status *st)
{
	/* A reconciliation answer repeats RUNNING: the start stays the first. */
	if (j->start_time == 0)
		j->start_time = st->timestamp > 0 ? st->timestamp : mosaic_sched_wall_now();
	if (st->pid)
		j->pid = st->pid;
	if (*st->cpus_bound)
		jobs_set_str(&j->cpus_bound, st->cpus_bound);
	if (*st->numa_bound)
		jobs_set_str(&j->numa_bound, st->numa_bound);
	if (*st->sandbox)
		jobs_set_str(&j->sandbox, st->sandbox);
	if (*st->agent_http)
		jobs_set_str(&j->agent_http, st->agent_http);
	if (*st->agent_hostname)
		jobs_set_str(&j->hostname, st->agent_hostname);
	j->inflight_until = mosaic_sched_now(d->s) + MBATCHD_INFLIGHT_HOLD;
	j->recheck = false;
	if (j->sub->first_start == 0 || j->start_time < j->sub->first_start)
		j->sub->first_start = j->start_time;
	jobs_mark(d, j);
}

static bool
is_unknown_answer(const mosaic_sched_status *st)
{
	/* The master answers a reconciliation for a task it does not know
	 * with LOST (or UNKNOWN), no uuid, reason REASON_RECONCILIATION. */
	return !st->uuid && st->source == MOSAIC_SCHED_SOURCE_MASTER &&
	       (st->state == MOSAIC_SCHED_TASK_UNKNOWN ||
	        (st->state == MOSAIC_SCHED_TASK_LOST && strcmp(st->reason, "REASON_RECONCILIATION") == 0));
}

static void
ended(mbatchd *d, bjob *j, const mosaic_sched_status *st)
{
	bool started = j->start_time > 0;
	switch (st->state) {
	case MOSAIC_SCHED_TASK_FINISHED: finish(d, j, JOBSTATE_COMPLETED, st); return;
	case MOSAIC_SCHED_TASK_FAILED:
		if (!started && strcmp(st->reason, "REASON_RESOURCES_UNAVAILABLE") == 0)
			retry(d, j, st);
		else
			finish(d, j,
			       j->kill_reason == KILL_TIMEOUT  ? JOBSTATE_TIMEOUT
			       : j->kill_reason == KILL_CANCEL ? JOBSTATE_CANCELLED
			                                       : JOBSTATE_FAILED,
			       st);
		return;
	case MOSAIC_SCHED_TASK_KILLED:
		if (j->kill_reason == KILL_CANCEL)
			finish(d, j, JOBSTATE_CANCELLED, st);
		else if (j->kill_reason == KILL_TIMEOUT)
			finish(d, j, JOBSTATE_TIMEOUT, st);
		else
			lost(d, j, *st->message ? st->message : "killed by its agent");
		return;
	case MOSAIC_SCHED_TASK_ERROR:
		set_message(j, "could not be launched: %s", st->message);
		{
			mosaic_sched_status copy = *st;
			copy.message = j->message;
			finish(d, j, JOBSTATE_FAILED, &copy);
		}
		return;
	case MOSAIC_SCHED_TASK_DROPPED: retry(d, j, st); return;
	default: break; /* LOST, GONE, UNKNOWN */
	}
	if (j->kill_reason == KILL_CANCEL) {
		finish(d, j, JOBSTATE_CANCELLED, st);
		return;
	}
	if (is_unknown_answer(st) && !j->recheck) {
		/* After a master restart the agents bring their tasks back within
		 * seconds: ask once more before taking the job as lost. */
		j->recheck = true;
		j->recheck_at = mosaic_sched_now(d->s) + MBATCHD_RECHECK_DELAY;
		LOGI("job %u: the master does not know task %s; asking again in %.0f s", j->id, j->task_id,
		     MBATCHD_RECHECK_DELAY);
		return;
	}
	if (j->kill_reason == KILL_TIMEOUT) {
		finish(d, j, JOBSTATE_TIMEOUT, st);
		return;
	}
	char why[512];
	snprintf(why, sizeof(why), "%s (%s)", mosaic_sched_task_state_name(st->state),
	         *st->message ? st->message : "its agent was lost");
	lost(d, j, why);
}

/* An update of a task that is not the job's current one. */
static void
stale(mbatchd *d, bjob *j, uint32_t attempt, const mosaic_sched_status *st)
{
	bool terminal = mosaic_sched_task_state_terminal(st->state) || st->state == MOSAIC_SCHED_TASK_UNKNOWN;
	if (j && attempt == j->attempt) {
		/* Requeued on a reconciliation answer, and then its task turns
		 * out to have completed: take the completion, never a rerun. */
		if (j->state == JOBSTATE_PENDING && st->state == MOSAIC_SCHED_TASK_FINISHED) {
			LOGI("job %u: its task %s completed after all; not running it again", j->id,
			     st->task_id);
			jobs_set_str(&j->agent_id, st->agent_id);
			jobs_set_str(&j->hostname, st->agent_hostname);
			finish(d, j, JOBSTATE_COMPLETED, st);
			return;
		}
		/* The real update after a reconciliation answer: its exit code. */
		if (jobstate_is_terminal(j->state) && terminal && st->has_exit_code && !j->has_exit) {
			j->has_exit = true;
			j->exit_code = st->exit_code;
			j->term_signal = st->term_signal;
			jobs_mark(d, j);
			return;
		}
	}
	if (!terminal) {
		LOGI("killing task %s: %s", st->task_id,
		     j ? "its job has moved on" : "no job of this mbatchd has it");
		mosaic_sched_kill(d->s, st->task_id, *st->agent_id ? st->agent_id : NULL, MBATCHD_KILL_GRACE);
	}
}

void
status_on_update(mosaic_sched *s, void *arg, const mosaic_sched_status *st)
{
	mbatchd *d = arg;
	queue_ack(d, st);
	uint32_t id, attempt;
	if (!parse_task_id(st->task_id, &id, &attempt)) {
		LOGW("update of task %s, which is not one of mbatchd's", st->task_id);
		return;
	}
	bjob *j = jobs_find(d, id);
	if (!j || attempt != j->attempt || j->state != JOBSTATE_RUNNING) {
		stale(d, j, attempt, st);
		return;
	}
	LOGD("job %u: %s %s", id, mosaic_sched_task_state_name(st->state), st->message);
	switch (st->state) {
	case MOSAIC_SCHED_TASK_STAGING:
	case MOSAIC_SCHED_TASK_STARTING:
	case MOSAIC_SCHED_TASK_KILLING: return;
	case MOSAIC_SCHED_TASK_RUNNING: running(d, j, st); return;
	case MOSAIC_SCHED_TASK_UNREACHABLE:
		set_message(j, "its agent is unreachable: %s", st->message);
		jobs_mark(d, j);
		return;
	default: ended(d, j, st); return;
	}
}

void
status_reconcile(mbatchd *d)
{
	size_t n = 0;
	mosaic_sched_task_ref *refs = xcalloc(RECONCILE_CHUNK, sizeof(*refs));
	for (size_t i = 0; i < d->running.n; i++) {
		const bjob *j = d->running.v[i];
		if (!j->task_id)
			continue;
		refs[n].task_id = j->task_id;
		refs[n].agent_id = j->agent_id;
		if (++n == RECONCILE_CHUNK || i + 1 == d->running.n) {
			if (mosaic_sched_reconcile(d->s, refs, n) != 0)
				LOGW("cannot reconcile: %s", mosaic_sched_last_error(d->s));
			n = 0;
		}
	}
	if (n && mosaic_sched_reconcile(d->s, refs, n) != 0)
		LOGW("cannot reconcile: %s", mosaic_sched_last_error(d->s));
	free(refs);
}

void
status_kill(mbatchd *d, bjob *j, int reason)
{
	if (j->kill_reason != reason) {
		j->kill_reason = reason;
		jobs_mark(d, j);
	}
	j->kill_sent = mosaic_sched_now(d->s);
	if (!d->subscribed || !j->task_id)
		return; /* the tick asks again once subscribed */
	if (mosaic_sched_kill(d->s, j->task_id, j->agent_id, MBATCHD_KILL_GRACE) != 0)
		LOGW("cannot kill job %u (%s): %s", j->id, j->task_id, mosaic_sched_last_error(d->s));
}

void
status_tick(mbatchd *d, double wall, double mono)
{
	VEC(mosaic_sched_task_ref) refs = {0};
	for (size_t i = 0; i < d->running.n; i++) {
		bjob *j = d->running.v[i];
		int64_t limit = j->sub->time_limit;
		double base = j->start_time > 0 ? j->start_time : j->launch_time;
		if (limit >= 0 && j->kill_reason == KILL_NONE && base > 0 && wall >= base + (double)limit) {
			LOGI("job %u reached its time limit of %lld s: killing it", j->id, (long long)limit);
			set_message(j, "killed at its time limit%s", "");
			status_kill(d, j, KILL_TIMEOUT);
			continue;
		}
		if (j->kill_reason != KILL_NONE && d->subscribed && mono - j->kill_sent >= MBATCHD_KILL_RETRY)
			status_kill(d, j, j->kill_reason);
		if (j->recheck && d->subscribed && mono >= j->recheck_at) {
			j->recheck_at = INFINITY;
			mosaic_sched_task_ref r = {.task_id = j->task_id, .agent_id = j->agent_id};
			VEC_PUSH(refs, r);
		}
	}
	if (refs.n && mosaic_sched_reconcile(d->s, refs.v, refs.n) != 0)
		LOGW("cannot reconcile: %s", mosaic_sched_last_error(d->s));
	free(refs.v);
}

void
status_forget_running(mbatchd *d)
{
	size_t n = d->running.n;
	bjob **copy = xcalloc(n ? n : 1, sizeof(*copy));
	memcpy(copy, d->running.v, n * sizeof(*copy));
	for (size_t i = 0; i < n; i++) {
		bjob *j = copy[i];
		if (j->kill_reason == KILL_CANCEL) {
			mosaic_sched_status st = {.message = "cancelled; its framework was removed",
			                          .timestamp = mosaic_sched_wall_now()};
			finish(d, j, JOBSTATE_CANCELLED, &st);
		} else {
			lost(d, j, "the master removed mbatchd's framework (and its tasks)");
		}
	}
	free(copy);
}
