/* job_end.c - how an attempt ends (see job.h): task statuses, the first
 * failure, tearing the gang down, a restart or the exit code. */
#include "job.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define PENDING_WAIT 3.0 /* openmpi: mpirun's own account of a failed task comes first */
#define PENDING_LINK_WAIT 1.0 /* generic: so does the proxy's, over its link */

static job_task *
task_find(job *j, const char *id)
{
	for (size_t i = 0; i < j->ntasks; i++)
		if (strcmp(j->tasks[i].id, id) == 0)
			return &j->tasks[i];
	return NULL;
}

static void
cancel(job *j, uint64_t *timer)
{
	if (*timer)
		mosaic_sched_timer_cancel(j->s, *timer);
	*timer = 0;
}

void
job_finish(job *j, int code)
{
	if (j->phase == JOB_DONE)
		return;
	if (j->t_running > 0)
		job_verbose(j,
		            "done (exit %d): waited %.3f s for resources, %.3f s from launch to every task "
		            "up, ran %.3f s",
		            code, j->wait_total, j->t_running - j->t_launch,
		            mosaic_sched_now(j->s) - j->t_running);
	j->phase = JOB_DONE;
	j->exit_code = code;
	cancel(j, &j->end_timer);
	cancel(j, &j->drain_timer);
	cancel(j, &j->hello_timer);
	cancel(j, &j->pending_timer);
	cancel(j, &j->wake_timer);
	cancel(j, &j->after_timer);
	mosaic_sched_stop(j->s);
}

static int
final_code(const job *j)
{
	if (j->interrupted)
		return JOB_EXIT_INTERRUPTED;
	if (j->timed_out)
		return JOB_EXIT_TIMEOUT;
	if (j->failed)
		return j->fail_code;
	if (j->launcher == JOB_OPENMPI && j->mpirun_done)
		return j->mpirun_status;
	return 0;
}

/* Everything of the attempt is gone: restart, or the end. Run from a
 * timer of its own, so the tasks and their connections are never freed
 * under a callback still using them. */
static void
after_end_now(mosaic_sched *s, void *arg)
{
	job *j = arg;
	j->after_timer = 0;
	if (j->phase == JOB_DONE)
		return;
	cancel(j, &j->end_timer);
	cancel(j, &j->drain_timer);
	cancel(j, &j->hello_timer);
	cancel(j, &j->pending_timer);
	job_link_drop_all(j);
	job_tasks_free(j);
	mpiout_flush_all(j->out);
	if (j->failed && !j->interrupted && !j->timed_out && j->attempt <= j->o->restarts) {
		job_say(j, "restarting the whole gang (restart %u of %u)", j->attempt, j->o->restarts);
		j->failed = false;
		j->fail_pending = false;
		j->fail_code = 0;
		j->fail_msg[0] = '\0';
		j->mpirun_done = false;
		j->nexited = 0;
		memset(j->rank_exited, 0, j->o->map.np);
		job_attempt_start(j);
		return;
	}
	job_finish(j, final_code(j));
}

static void
after_end(job *j)
{
	if (!j->after_timer)
		j->after_timer = mosaic_sched_timer_add(j->s, 0, after_end_now, j);
}

static void
end_waited(mosaic_sched *s, void *arg)
{
	job *j = arg;
	j->end_timer = 0;
	size_t left = 0;
	for (size_t i = 0; i < j->ntasks; i++)
		left += !j->tasks[i].terminal && !j->tasks[i].gone;
	job_say(j, "gave up waiting after %.0f s for %zu task(s)%s to end", JOB_END_WAIT, left,
	        j->mpirun_running ? " and mpirun" : "");
	after_end(j);
}

void
job_end(job *j)
{
	if (j->phase == JOB_ENDING || j->phase == JOB_DONE)
		return;
	job_phase was = j->phase;
	j->phase = JOB_ENDING;
	cancel(j, &j->wake_timer);
	if (was == JOB_WAITING) {
		/* Nothing runs: give back what the gang holds and leave. */
		mosaic_sched_gang_demand_cancel(j->s);
		for (size_t i = 0; i < j->noffers; i++) {
			const char *id = j->offers[i].id;
			mosaic_sched_decline(j->s, &id, 1, -1);
		}
		j->noffers = 0;
		after_end(j);
		return;
	}
	job_link_abort(j, j->interrupted ? "interrupted" : j->timed_out ? "timeout" : "the gang failed");
	for (size_t i = 0; i < j->ntasks; i++)
		if (!j->tasks[i].terminal && !j->tasks[i].gone)
			mosaic_sched_kill(j->s, j->tasks[i].id, j->tasks[i].agent_id, -1);
	job_openmpi_kill(j);
	j->end_timer = mosaic_sched_timer_add(j->s, JOB_END_WAIT, end_waited, j);
	job_check(j);
}

void
job_fail(job *j, int code, const char *fmt, ...)
{
	if (j->phase == JOB_ENDING || j->phase == JOB_DONE)
		return; /* what we killed fails too: not news */
	j->failed = true;
	j->fail_code = code ? code : JOB_EXIT_FAIL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j->fail_msg, sizeof(j->fail_msg), fmt, ap);
	va_end(ap);
	job_say(j, "%s: ending the gang", j->fail_msg);
	job_end(j);
}

static void
drained(mosaic_sched *s, void *arg)
{
	job *j = arg;
	j->drain_timer = 0;
	if (j->phase != JOB_RUNNING && j->phase != JOB_STARTING)
		return;
	bool tasks_done = true;
	for (size_t i = 0; i < j->ntasks; i++)
		tasks_done &= j->tasks[i].terminal;
	if (tasks_done) {
		job_link_drop_all(j); /* output that did not come in time will not */
		job_check(j);
	} else {
		/* The ranks are done but their tasks linger: stop them. */
		job_verbose(j, "the job is over but some tasks still run: killing them");
		job_end(j);
	}
}

static void
arm_drain(job *j)
{
	if (!j->drain_timer)
		j->drain_timer = mosaic_sched_timer_add(j->s, JOB_DRAIN_WAIT, drained, j);
}

void
job_check(job *j)
{
	bool tasks_done = true, all_finished = true;
	for (size_t i = 0; i < j->ntasks; i++) {
		tasks_done &= j->tasks[i].terminal || j->tasks[i].gone;
		all_finished &= j->tasks[i].state == MOSAIC_SCHED_TASK_FINISHED;
	}
	switch (j->phase) {
	case JOB_STARTING: /* openmpi: mpirun starts with the launch (job_launch.c) */
	case JOB_RUNNING:
		if (j->launcher == JOB_GENERIC) {
			if (j->phase == JOB_STARTING)
				break;
			if (tasks_done && all_finished && job_links_closed(j))
				after_end(j);
			else if (tasks_done || j->nexited == j->o->map.np)
				arm_drain(j);
		} else if (j->mpirun_done) {
			if (j->mpirun_status != 0)
				job_fail(j, j->mpirun_status, "mpirun exited with status %d",
				         j->mpirun_status);
			else if (tasks_done)
				after_end(j);
			else
				arm_drain(j);
		}
		break;
	case JOB_ENDING:
		if (tasks_done && !j->mpirun_running)
			after_end(j);
		break;
	default: break;
	}
}

static void
pending_fire(mosaic_sched *s, void *arg)
{
	job *j = arg;
	j->pending_timer = 0;
	if (j->fail_pending)
		job_fail(j, j->pending_code, "%s", j->pending_msg);
}

static void
hello_late(mosaic_sched *s, void *arg)
{
	job *j = arg;
	j->hello_timer = 0;
	if (j->phase == JOB_STARTING)
		job_fail(j, JOB_EXIT_FAIL, "only %u of %zu gang task(s) reached mmpirun at %s within %.0f s",
		         j->nhello, j->ntasks, j->listen_addr, JOB_HELLO_WAIT);
}

void
job_task_ranks(const job_task *t, char *buf, size_t len)
{
	if (t->nranks == 1)
		snprintf(buf, len, "rank %u", t->ranks[0]);
	else
		snprintf(buf, len, "ranks %u-%u", t->ranks[0], t->ranks[t->nranks - 1]);
}

/* A task ended badly: words and an exit code. */
static void
task_failed(job *j, job_task *t, const mosaic_sched_status *st)
{
	char ranks[64];
	job_task_ranks(t, ranks, sizeof(ranks));
	const char *state = mosaic_sched_task_state_name(st->state);
	int code = st->term_signal > 0                  ? 128 + st->term_signal
	           : st->has_exit_code && st->exit_code ? st->exit_code
	                                                : 1;
	bool lost = st->state == MOSAIC_SCHED_TASK_LOST || st->state == MOSAIC_SCHED_TASK_UNREACHABLE ||
	            st->state == MOSAIC_SCHED_TASK_GONE;
	if (lost) {
		t->gone = true;
		job_fail(j, JOB_EXIT_FAIL, "agent %s running %s was lost (task %s %s%s%s)", t->hostname,
		         ranks, t->id, state, *st->message ? ": " : "", st->message);
		return;
	}
	char msg[512];
	snprintf(msg, sizeof(msg), "task %s on %s (%s) %s%s%s", t->id, t->hostname, ranks, state,
	         *st->message ? ": " : "", st->message);
	bool running = j->phase == JOB_RUNNING || j->phase == JOB_STARTING;
	/* openmpi: mpirun notices a dead orted and tells which rank failed
	 * and how. generic: the task's proxy reports its ranks' exits over
	 * its link before it exits, but the task's status travels another
	 * way and can come first. Either gets a moment to be first. */
	bool openmpi = j->launcher == JOB_OPENMPI && j->mpirun_running;
	bool linked = j->launcher == JOB_GENERIC && t->fd >= 0;
	if (running && (openmpi || linked)) {
		if (!j->fail_pending) {
			j->fail_pending = true;
			j->pending_code = code;
			snprintf(j->pending_msg, sizeof(j->pending_msg), "%s", msg);
			j->pending_timer = mosaic_sched_timer_add(
			    j->s, openmpi ? PENDING_WAIT : PENDING_LINK_WAIT, pending_fire, j);
		}
		return;
	}
	job_fail(j, code, "%s", msg);
}

void
job_on_status(mosaic_sched *s, void *arg, const mosaic_sched_status *st)
{
	job *j = arg;
	job_task *t = task_find(j, st->task_id);
	if (!t || t->terminal)
		return;
	t->state = st->state;
	t->seen = true;
	if (*st->cpus_bound)
		snprintf(t->cpus_bound, sizeof(t->cpus_bound), "%s", st->cpus_bound);
	if (j->phase == JOB_STARTING && j->g && gang_get_state(j->g) == GANG_LAUNCHING) {
		/* The master took the gang: no more offers wanted. */
		gang_launch_result(j->g, mosaic_sched_now(s), true, &j->act);
		mosaic_sched_suppress(s);
		j->hello_timer = mosaic_sched_timer_add(s, JOB_HELLO_WAIT, hello_late, j);
	}
	if (st->state == MOSAIC_SCHED_TASK_RUNNING)
		job_verbose(j, "task %s RUNNING on %s (pid %u%s%s)", t->id, t->hostname, st->pid,
		            *st->cpus_bound ? ", cpus " : "", st->cpus_bound);
	bool terminal = mosaic_sched_task_state_terminal(st->state);
	if (!terminal && st->state != MOSAIC_SCHED_TASK_UNREACHABLE)
		return;
	t->terminal = terminal;
	job_verbose(j, "task %s %s on %s%s%s", t->id, mosaic_sched_task_state_name(st->state), t->hostname,
	            *st->message ? ": " : "", st->message);
	if ((j->phase == JOB_STARTING || j->phase == JOB_RUNNING) && st->state != MOSAIC_SCHED_TASK_FINISHED)
		task_failed(j, t, st);
	else if (st->state == MOSAIC_SCHED_TASK_UNREACHABLE)
		t->gone = true;
	job_check(j);
}
