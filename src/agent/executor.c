/* executor.c - the executor's side of the agent protocol (executor.proto):
 * registration, launches, kills, statuses resent until acknowledged,
 * shutdown, and surviving an agent restart.
 *
 * Lifetime: it exits when asked to shut down (ExecutorShutdown, SIGTERM)
 * once every task is gone and every status acknowledged, or after a bounded
 * wait; and when its agent has been gone for recovery_timeout, after
 * killing its tasks. */
#include "executor.h"

#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_path.h"
#include "agent_proc.h"
#include "codec.h"
#include "errors.h"
#include "executor_impl.h"
#include "log.h"
#include "mem.h"

#define TICK_INTERVAL 1.0
#define REGISTER_INTERVAL 1.0
#define STATUS_RESEND 1.0
/* Shutting down: how long past the kill grace before SIGKILL, and how
 * long after that the executor leaves whatever is unacknowledged. */
#define SHUTDOWN_SLACK 5.0
#define EXIT_SLACK 2.0

static void on_registered(void *ctx, const char *from, const ProtobufCMessage *msg);
static void on_launch(void *ctx, const char *from, const ProtobufCMessage *msg);
static void on_kill(void *ctx, const char *from, const ProtobufCMessage *msg);
static void on_status_ack(void *ctx, const char *from, const ProtobufCMessage *msg);
static void on_shutdown(void *ctx, const char *from, const ProtobufCMessage *msg);
static void on_reconnect(void *ctx, const char *from, const ProtobufCMessage *msg);

static const messenger_route executor_routes[] = {
    {.type = MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_REGISTERED,
     .desc = &mosaic__executor_registered__descriptor,
     .fn = on_registered},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_LAUNCH,
     .desc = &mosaic__executor_launch__descriptor,
     .fn = on_launch},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_KILL,
     .desc = &mosaic__executor_kill__descriptor,
     .fn = on_kill},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_STATUS_ACK,
     .desc = &mosaic__executor_status_ack__descriptor,
     .fn = on_status_ack},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_SHUTDOWN,
     .desc = &mosaic__executor_shutdown__descriptor,
     .fn = on_shutdown},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_RECONNECT,
     .desc = &mosaic__executor_reconnect__descriptor,
     .fn = on_reconnect},
};

static void
finish_executor(executor *e, int code)
{
	if (e->done)
		return;
	e->done = true;
	e->exit_code = code;
	loop_stop(e->loop);
}

/* ---- statuses ---- */

static void
send_status(executor *e, exec_status *s)
{
	s->last_sent = loop_now(e->loop);
	messenger_send_raw(e->msgr, e->cfg.agent, MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_STATUS, s->data, s->len);
}

void
executor_report(executor *e, exec_task *t, Mosaic__TaskStatus *st)
{
	st->task_id = t->id;
	st->framework_id = e->cfg.framework_id;
	st->has_source = 1;
	st->source = MOSAIC__STATUS_SOURCE__SOURCE_EXECUTOR;
	st->has_timestamp = 1;
	st->timestamp = mosaic_wall_now();
	st->has_pid = t->pid != 0;
	st->pid = (uint32_t)t->pid;
	st->sandbox = t->sandbox;
	st->cpus_bound = t->cpus;
	st->numa_bound = t->numa;
	t->state = st->state;

	exec_status *s = xcalloc(1, sizeof(*s));
	s->id = ++e->next_status_id;
	snprintf(s->task, sizeof(s->task), "%s", t->id);
	s->state = st->state;
	Mosaic__ExecutorStatus m = MOSAIC__EXECUTOR_STATUS__INIT;
	m.status = st;
	m.has_id = 1;
	m.id = s->id;
	s->len = mosaic__executor_status__get_packed_size(&m);
	s->data = xmalloc(s->len);
	mosaic__executor_status__pack(&m, s->data);
	if (e->pending_tail)
		e->pending_tail->next = s;
	else
		e->pending = s;
	e->pending_tail = s;
	e->npending++;
	if (e->registered && !e->agent_lost)
		send_status(e, s);
}

static size_t
pending_for(const executor *e, const char *task)
{
	size_t n = 0;
	for (const exec_status *s = e->pending; s; s = s->next)
		if (strcmp(s->task, task) == 0)
			n++;
	return n;
}

static void
on_status_ack(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	executor *e = ctx;
	const Mosaic__ExecutorStatusAck *m = (const Mosaic__ExecutorStatusAck *)msg;
	exec_status *prev = NULL, *s = e->pending;
	while (s && s->id != m->id) {
		prev = s;
		s = s->next;
	}
	if (!s)
		return;
	if (prev)
		prev->next = s->next;
	else
		e->pending = s->next;
	if (e->pending_tail == s)
		e->pending_tail = prev;
	e->npending--;
	e->last_ack = loop_now(e->loop);
	/* A finished task is forgotten once its last status is safe with
	 * the agent. */
	exec_task *t = executor_task_find(e, s->task);
	if (t && !t->live && codec_task_state_terminal(t->state) && pending_for(e, s->task) == 0)
		executor_task_free(e, t);
	free(s->data);
	free(s);
	executor_check_done(e);
}

/* ---- registration ---- */

typedef struct queued {
	Mosaic__ExecutorTask *tasks;
	Mosaic__ExecutorTask **ptrs;
	size_t n;
} queued;

static void
count_queued(void *arg, const char *task)
{
	((queued *)arg)->n++;
}

static void
add_queued(void *arg, const char *task)
{
	queued *q = arg;
	mosaic__executor_task__init(&q->tasks[q->n]);
	q->tasks[q->n].task_id = (char *)task;
	q->tasks[q->n].state = MOSAIC__TASK_STATE__TASK_STAGING;
	q->ptrs[q->n] = &q->tasks[q->n];
	q->n++;
}

static void
send_register(executor *e)
{
	Mosaic__ExecutorRegister m = MOSAIC__EXECUTOR_REGISTER__INIT;
	m.framework_id = e->cfg.framework_id;
	m.executor_id = e->cfg.executor_id;
	m.address = (char *)messenger_address(e->msgr);
	m.has_pid = 1;
	m.pid = (uint32_t)getpid();
	m.has_sandbox_layout = e->cfg.sandbox_layout != 0;
	m.sandbox_layout = e->cfg.sandbox_layout < 0 ? AGENT_SANDBOX_LAYOUT : (uint32_t)e->cfg.sandbox_layout;
	Mosaic__ExecutorTask *tasks = xcalloc(e->ntasks ? e->ntasks : 1, sizeof(*tasks));
	Mosaic__ExecutorTask **ptrs = xcalloc(e->ntasks ? e->ntasks : 1, sizeof(*ptrs));
	size_t n = 0;
	for (exec_task *t = e->tasks; t && n < e->ntasks; t = t->next) {
		mosaic__executor_task__init(&tasks[n]);
		tasks[n].task_id = t->id;
		tasks[n].state = t->state;
		tasks[n].has_pid = t->pid != 0;
		tasks[n].pid = (uint32_t)t->pid;
		ptrs[n] = &tasks[n];
		n++;
	}
	/* Tasks still queued count as known (STAGING) to a restarted agent. */
	queued q = {0};
	executor_queued_each(e, count_queued, &q);
	if (q.n) {
		tasks = xrealloc(tasks, (n + q.n) * sizeof(*tasks));
		ptrs = xrealloc(ptrs, (n + q.n) * sizeof(*ptrs));
		for (size_t i = 0; i < n; i++)
			ptrs[i] = &tasks[i];
		q.tasks = tasks;
		q.ptrs = ptrs;
		q.n = n;
		executor_queued_each(e, add_queued, &q);
		n = q.n;
	}
	m.n_tasks = n;
	m.tasks = ptrs;
	e->last_register = loop_now(e->loop);
	if (messenger_send(e->msgr, e->cfg.agent, MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_REGISTER, &m.base) != 0)
		LOGW("cannot send ExecutorRegister to %s", e->cfg.agent);
	free(tasks);
	free(ptrs);
}

/* Only the agent we belong to may drive us. */
static bool
from_agent(executor *e, const char *from, const char *what)
{
	if (strcmp(from, e->cfg.agent) == 0)
		return true;
	LOGW("ignoring %s from %s: not our agent (%s)", what, from, e->cfg.agent);
	return false;
}

static void
on_registered(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	executor *e = ctx;
	const Mosaic__ExecutorRegistered *m = (const Mosaic__ExecutorRegistered *)msg;
	if (!from_agent(e, from, "ExecutorRegistered"))
		return;
	if (m->agent_id && id_valid(m->agent_id))
		snprintf(e->agent_id, sizeof(e->agent_id), "%s", m->agent_id);
	if (e->registered)
		return;
	e->registered = true;
	LOGI("registered with agent %s (%s), %zu tasks, %zu statuses to resend",
	     e->agent_id[0] ? e->agent_id : "-", from, e->ntasks, e->npending);
	for (exec_status *s = e->pending; s; s = s->next)
		send_status(e, s);
}

static void
on_reconnect(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	executor *e = ctx;
	const Mosaic__ExecutorReconnect *m = (const Mosaic__ExecutorReconnect *)msg;
	if (m->agent_id && e->agent_id[0] && strcmp(m->agent_id, e->agent_id) != 0) {
		LOGW("ignoring ExecutorReconnect from %s: agent %s is not ours (%s)", from, m->agent_id,
		     e->agent_id);
		return;
	}
	if (strncmp(from, "tcp://", 6) != 0 && strncmp(from, "ipc://", 6) != 0 &&
	    strncmp(from, "tls+tcp://", 10) != 0)
		return;
	if (strcmp(from, e->cfg.agent) != 0) {
		messenger_forget(e->msgr, e->cfg.agent);
		snprintf(e->cfg.agent, sizeof(e->cfg.agent), "%s", from);
	}
	if (m->has_agent_pid && m->agent_pid)
		e->cfg.agent_pid = (pid_t)m->agent_pid;
	LOGI("agent restarted at %s (pid %d): re-registering with %zu tasks", from, (int)e->cfg.agent_pid,
	     e->ntasks);
	e->agent_lost = false;
	e->registered = false;
	send_register(e);
}

/* ---- launches, kills, shutdown ---- */

static void
on_launch(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	executor *e = ctx;
	const Mosaic__ExecutorLaunch *m = (const Mosaic__ExecutorLaunch *)msg;
	if (!from_agent(e, from, "ExecutorLaunch"))
		return;
	executor_queue_launch(e, (Mosaic__ExecutorLaunch *)m, messenger_keep());
}

static void
on_kill(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	executor *e = ctx;
	const Mosaic__ExecutorKill *m = (const Mosaic__ExecutorKill *)msg;
	if (!from_agent(e, from, "ExecutorKill"))
		return;
	exec_task *t = id_valid(m->task_id) ? executor_task_find(e, m->task_id) : NULL;
	if (!t && id_valid(m->task_id) && executor_unqueue(e, m->task_id)) {
		exec_task *k = executor_task_add(e, m->task_id);
		Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
		st.state = MOSAIC__TASK_STATE__TASK_KILLED;
		st.message = "killed before it started";
		executor_report(e, k, &st);
		return;
	}
	if (!t) {
		LOGD("kill of unknown task %s", m->task_id);
		return;
	}
	double grace =
	    m->has_grace_seconds && m->grace_seconds >= 0 && m->grace_seconds < 3600 ? m->grace_seconds : -1;
	executor_kill(e, t, grace);
}

static void
begin_shutdown(executor *e, double grace, const char *why)
{
	double now = loop_now(e->loop);
	if (!e->shutting_down) {
		LOGI("shutting down (%s): killing %zu tasks", why, e->nlive);
		e->shutting_down = true;
		double longest = grace >= 0 ? grace : EXECUTOR_KILL_GRACE;
		for (exec_task *t = e->tasks; t; t = t->next)
			if (grace < 0 && t->live && t->grace > longest)
				longest = t->grace;
		e->kill_deadline = now + longest + SHUTDOWN_SLACK;
		e->exit_deadline = e->kill_deadline + EXIT_SLACK;
		executor_drop_queue(e, true);
	}
	for (exec_task *t = e->tasks, *next; t; t = next) {
		next = t->next;
		if (t->live)
			executor_kill(e, t, grace);
	}
	executor_check_done(e);
}

static void
on_shutdown(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	executor *e = ctx;
	const Mosaic__ExecutorShutdown *m = (const Mosaic__ExecutorShutdown *)msg;
	if (!from_agent(e, from, "ExecutorShutdown"))
		return;
	double grace =
	    m->has_grace_seconds && m->grace_seconds >= 0 && m->grace_seconds < 3600 ? m->grace_seconds : -1;
	begin_shutdown(e, grace, "asked by the agent");
}

void
executor_check_done(executor *e)
{
	if (!e->shutting_down || e->done)
		return;
	/* Without an agent nobody would take the statuses: leave as soon
	 * as the tasks are gone. */
	if (e->nlive == 0 && (e->npending == 0 || e->agent_lost)) {
		LOGI("every task is gone%s: exiting", e->npending ? "" : " and reported");
		finish_executor(e, 0);
	}
}

/* ---- time ---- */

static void
tick_cb(mosaic_loop *loop, void *arg)
{
	executor *e = arg;
	e->tick_timer = 0;
	double now = loop_now(loop);
	if (e->cfg.agent_pid > 0 && !e->agent_lost && !agent_proc_alive(e->cfg.agent_pid)) {
		e->agent_lost = true;
		e->agent_lost_at = now;
		e->registered = false;
		LOGW("agent (pid %d) is gone: keeping %zu tasks running for up to %.0f s for a restarted "
		     "agent",
		     (int)e->cfg.agent_pid, e->nlive, e->cfg.recovery_timeout);
	}
	if (e->agent_lost && !e->shutting_down && now - e->agent_lost_at > e->cfg.recovery_timeout)
		begin_shutdown(e, -1, "no agent came back within the recovery timeout");
	if (!e->registered && !e->agent_lost && now - e->last_register >= REGISTER_INTERVAL)
		send_register(e);
	/* Resend when the agent has been silent: an agent working through a
	 * backlog acks in order over a reliable pipe, and a resend storm
	 * would only lengthen its queue. */
	if (e->registered && !e->agent_lost && now - e->last_ack >= STATUS_RESEND)
		for (exec_status *s = e->pending; s; s = s->next)
			if (now - s->last_sent >= STATUS_RESEND)
				send_status(e, s);
	if (e->shutting_down && now >= e->kill_deadline && e->nlive) {
		LOGW("%zu tasks still alive after the kill grace: SIGKILL", e->nlive);
		executor_kill_all_now(e);
		e->kill_deadline = INFINITY;
	}
	if (e->shutting_down && now >= e->exit_deadline) {
		LOGW("leaving with %zu tasks alive and %zu statuses unacknowledged", e->nlive, e->npending);
		finish_executor(e, e->nlive ? 1 : 0);
	}
	executor_check_done(e);
	if (!e->done)
		e->tick_timer = loop_timer_start(loop, TICK_INTERVAL, tick_cb, e);
}

static void
on_signal(mosaic_loop *loop, int signo, void *arg)
{
	executor *e = arg;
	if (signo == SIGCHLD)
		executor_reap(e);
	else
		begin_shutdown(e, -1, signo == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ---- life ---- */

int
executor_new(executor **out, mosaic_loop *loop, const executor_config *cfg, char *err, size_t errlen)
{
	executor *e = xcalloc(1, sizeof(*e));
	e->cfg = *cfg;
	e->loop = loop;
	char group[300];
	snprintf(group, sizeof(group), "mosaic/%s", cfg->hostname);
	int rv = containerizer_open_with(&e->cont, group, cfg->isolation[0] ? cfg->isolation : NULL);
	if (rv) {
		snprintf(err, errlen, "cannot open the containerizer%s%s: %s",
		         cfg->isolation[0] ? " with " : "", cfg->isolation, mosaic_strerror(rv));
		free(e);
		return rv;
	}
	LOGI("executor %s of framework %s: isolation %s (%s)", cfg->executor_id, cfg->framework_id,
	     containerizer_isolation(e->cont), group);
	/* tasks with the same inline script (an array job's) share one file */
	char scripts[PATH_MAX];
	if (agent_path(scripts, sizeof(scripts), "%s/executors/%s/scripts", cfg->work_dir, cfg->framework_id) ||
	    containerizer_cache_scripts(e->cont, scripts) != 0)
		LOGW("cannot keep scripts in %s: every task's is written", scripts);
	/* Before nng's threads exist, or they would take our signals. */
	loop_signal_add(loop, SIGCHLD, on_signal, e);
	if (cfg->handle_signals) {
		loop_signal_add(loop, SIGTERM, on_signal, e);
		loop_signal_add(loop, SIGINT, on_signal, e);
	}
	if ((rv = messenger_open(&e->msgr, loop, cfg->address, executor_routes,
	                         sizeof(executor_routes) / sizeof(executor_routes[0]), e, err, errlen)) !=
	    0) {
		containerizer_close(e->cont);
		free(e);
		return rv;
	}
	send_register(e);
	e->tick_timer = loop_timer_start(loop, TICK_INTERVAL, tick_cb, e);
	*out = e;
	return MOSAIC_OK;
}

void
executor_free(executor *e)
{
	if (!e)
		return;
	loop_timer_cancel(e->loop, e->tick_timer);
	messenger_close(e->msgr);
	executor_drop_queue(e, false);
	while (e->tasks)
		executor_task_free(e, e->tasks);
	while (e->pending) {
		exec_status *s = e->pending;
		e->pending = s->next;
		free(s->data);
		free(s);
	}
	containerizer_close(e->cont);
	free(e);
}

int
executor_exit_code(const executor *e)
{
	return e->exit_code;
}
