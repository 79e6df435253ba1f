/* master_tasks.c - the task table (active and recently completed tasks of
 * each framework), Kill, status update routing and acknowledgements
 * (docs/PROTOCOL.md "Status updates"), and reconciliation. */
#include "master_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "log.h"
#include "mem.h"

#define KILL_GRACE_MAX 3600.0
#define STATUS_TEXT_MAX 4096

master_task *
master_task_find(master_framework *fw, const char *task_id)
{
	return strmap_find(&fw->tasks, task_id);
}

static void
task_unlink_agent(master_task *t)
{
	master_agent *a = t->agent;
	if (!a)
		return;
	if (t->ag_prev)
		t->ag_prev->ag_next = t->ag_next;
	else
		a->tasks = t->ag_next;
	if (t->ag_next)
		t->ag_next->ag_prev = t->ag_prev;
	a->ntasks--;
	t->agent = NULL;
	t->ag_prev = t->ag_next = NULL;
}

static void
task_unlink_done(master_framework *fw, master_task *t)
{
	if (t->done_prev)
		t->done_prev->done_next = t->done_next;
	else
		fw->done_head = t->done_next;
	if (t->done_next)
		t->done_next->done_prev = t->done_prev;
	else
		fw->done_tail = t->done_prev;
	fw->ndone--;
	t->done_prev = t->done_next = NULL;
}

static void
task_free(master_task *t)
{
	free(t->name);
	free(t->message);
	free(t->reason);
	free(t);
}

static char *
task_dup(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

master_task *
master_task_add(master *m, master_framework *fw, master_agent *a, const char *task_id, const char *name,
                const mosaic_resources *res, int state)
{
	master_task *old = strmap_del(&fw->tasks, task_id);
	if (old) {
		if (old->completed) {
			task_unlink_done(fw, old);
		} else {
			LOGE("task %s of framework %s replaced while active", task_id, fw->id);
			master_task_recover(m, old);
			task_unlink_agent(old);
			fw->nactive--;
		}
		task_free(old);
	}
	master_task *t = xcalloc(1, sizeof(*t));
	snprintf(t->id, sizeof(t->id), "%s", task_id);
	snprintf(t->agent_id, sizeof(t->agent_id), "%s", a->id);
	snprintf(t->fw_id, sizeof(t->fw_id), "%s", fw->id);
	t->fw = fw;
	t->agent = a;
	t->name = task_dup(name);
	t->res = *res;
	t->state = state;
	t->updated = mosaic_wall_now();
	t->launched = master_now(m);
	t->ag_next = a->tasks;
	if (a->tasks)
		a->tasks->ag_prev = t;
	a->tasks = t;
	a->ntasks++;
	strmap_put(&fw->tasks, t->id, t);
	fw->nactive++;
	return t;
}

void
master_task_set(master_task *t, int state, const char *message, const char *reason)
{
	char *msg = task_dup(message), *why = task_dup(reason);
	free(t->message);
	free(t->reason);
	t->message = msg;
	t->reason = why;
	t->state = state;
	t->updated = mosaic_wall_now();
}

void
master_task_recover(master *m, master_task *t)
{
	if (!t->accounted)
		return;
	t->accounted = false;
	if (!t->agent || !t->agent->in_allocator)
		return;
	int rv = allocator_recover(m->alloc, t->fw->id, t->agent->id, &t->res);
	if (rv)
		LOGE("allocator: cannot recover task %s of framework %s on agent %s: %s", t->id, t->fw->id,
		     t->agent->id, mosaic_strerror(rv));
	master_allocate_soon(m);
}

void
master_task_terminal(master *m, master_task *t)
{
	if (t->completed)
		return;
	master_framework *fw = t->fw;
	master_task_recover(m, t);
	task_unlink_agent(t);
	t->completed = true;
	fw->nactive--;
	if (t->state >= 0 && t->state < MASTER_NSTATES)
		m->counters.tasks_terminal[t->state]++;
	LOGD("task %s of framework %s: %s%s%s", t->id, fw->id, codec_task_state_name(t->state),
	     t->message ? ": " : "", t->message ? t->message : "");
	t->done_prev = fw->done_tail;
	t->done_next = NULL;
	if (fw->done_tail)
		fw->done_tail->done_next = t;
	else
		fw->done_head = t;
	fw->done_tail = t;
	fw->ndone++;
	while (fw->ndone > m->cfg.completed_tasks) {
		master_task *old = fw->done_head;
		task_unlink_done(fw, old);
		strmap_del(&fw->tasks, old->id);
		task_free(old);
	}
}

void
master_task_send_update(master *m, master_framework *fw, const char *task_id, const char *agent_id, int state,
                        const char *message, const char *reason)
{
	if (!fw->connected)
		return;
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.task_id = (char *)task_id;
	st.state = (Mosaic__TaskState)state;
	st.agent_id = agent_id && *agent_id ? (char *)agent_id : NULL;
	st.message = (char *)message;
	st.reason = (char *)reason;
	st.has_source = 1;
	st.source = MOSAIC__STATUS_SOURCE__SOURCE_MASTER;
	st.has_timestamp = 1;
	st.timestamp = mosaic_wall_now();
	st.framework_id = fw->id;
	master_agent *a = st.agent_id ? master_agent_find(m, st.agent_id) : NULL;
	if (a) {
		st.agent_hostname = a->info->hostname;
		st.agent_http = a->info->http_address;
	}
	Mosaic__Update u = MOSAIC__UPDATE__INIT;
	u.status = &st;
	master_send(m, fw->address, MOSAIC__MESSAGE_TYPE__MSG_UPDATE, &u.base);
}

void
master_task_lost(master *m, master_task *t, const char *reason, const char *message)
{
	master_task_set(t, MOSAIC__TASK_STATE__TASK_LOST, message, reason);
	master_task_send_update(m, t->fw, t->id, t->agent_id, t->state, t->message, t->reason);
	master_task_terminal(m, t);
}

void
master_tasks_free(master_framework *fw)
{
	strmap_iter it;
	strmap_iter_init(&it, &fw->tasks);
	master_task *t;
	while ((t = strmap_iter_next(&it, NULL)) != NULL) {
		task_unlink_agent(t);
		task_free(t);
	}
	fw->done_head = fw->done_tail = NULL;
	fw->ndone = fw->nactive = 0;
}

/* Put a task that left its framework at the end of the master's archive. */
static void
archive_append(master *m, master_task *t)
{
	t->fw = NULL;
	t->done_prev = m->archive_tail;
	t->done_next = NULL;
	if (m->archive_tail)
		m->archive_tail->done_next = t;
	else
		m->archive_head = t;
	m->archive_tail = t;
	m->narchive++;
}

void
master_tasks_archive(master *m, master_framework *fw, const char *why)
{
	strmap_iter it;
	strmap_iter_init(&it, &fw->tasks);
	master_task *t;
	/* Completed ones first, in the order they ended. */
	master_task *next;
	for (t = fw->done_head; t; t = next) {
		next = t->done_next;
		archive_append(m, t);
	}
	while ((t = strmap_iter_next(&it, NULL)) != NULL) {
		if (t->completed) /* archived above */
			continue;
		/* Still alive on its agent until the shutdown reaches it. */
		if (t->accounted && t->agent && t->agent->active)
			master_agent_orphan_add(m, t->agent, t->fw_id, t->id, &t->res);
		task_unlink_agent(t);
		master_task_set(t, MOSAIC__TASK_STATE__TASK_KILLED, why, "REASON_FRAMEWORK_REMOVED");
		t->completed = true;
		t->accounted = false;
		archive_append(m, t);
	}
	strmap_fini(&fw->tasks);
	strmap_init(&fw->tasks);
	fw->done_head = fw->done_tail = NULL;
	fw->ndone = fw->nactive = 0;
	while (m->narchive > m->cfg.completed_tasks) {
		master_task *old = m->archive_head;
		m->archive_head = old->done_next;
		if (m->archive_head)
			m->archive_head->done_prev = NULL;
		else
			m->archive_tail = NULL;
		m->narchive--;
		task_free(old);
	}
}

void
master_archive_free(master *m)
{
	while (m->archive_head) {
		master_task *next = m->archive_head->done_next;
		task_free(m->archive_head);
		m->archive_head = next;
	}
	m->archive_tail = NULL;
	m->narchive = 0;
}

/* ---- Kill ---- */

static void
task_send_kill(master *m, master_agent *a, master_framework *fw, const char *task_id, const Mosaic__Kill *k)
{
	Mosaic__KillTask kt = MOSAIC__KILL_TASK__INIT;
	kt.framework_id = fw->id;
	kt.task_id = (char *)task_id;
	kt.has_grace_seconds = k->has_grace_seconds;
	kt.grace_seconds = k->grace_seconds;
	master_send(m, a->address, MOSAIC__MESSAGE_TYPE__MSG_KILL_TASK, &kt.base);
}

void
master_on_kill(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__Kill *k = (const Mosaic__Kill *)msg;
	char safe[96];
	master_framework *fw = master_framework_from(m, from, "Kill");
	if (!fw)
		return;
	if (!id_valid(k->task_id) || (k->agent_id && !id_valid(k->agent_id)) ||
	    (k->has_grace_seconds &&
	     (!isfinite(k->grace_seconds) || k->grace_seconds < 0 || k->grace_seconds > KILL_GRACE_MAX))) {
		master_reject(m, from, "Kill of task '%s' from framework %s: bad task id, agent id or grace",
		              master_safe(k->task_id, safe, sizeof(safe)), fw->id);
		master_send_error(m, from, "Kill: bad task id, agent id or grace_seconds (0-%.0f)",
		                  KILL_GRACE_MAX);
		return;
	}
	master_task *t = master_task_find(fw, k->task_id);
	if (t && !t->completed && t->agent && t->agent->active) {
		LOGD("framework %s kills task %s on agent %s", fw->id, t->id, t->agent->id);
		task_send_kill(m, t->agent, fw, t->id, k);
		return;
	}
	if (t && t->completed) {
		/* Already over: tell the framework how it ended. */
		master_task_send_update(m, fw, t->id, t->agent_id, t->state, t->message,
		                        "REASON_RECONCILIATION");
		return;
	}
	/* Unknown to us; the agent it names may still know it (as Mesos). */
	master_agent *a = k->agent_id ? master_agent_find(m, k->agent_id) : NULL;
	if (a && a->active) {
		task_send_kill(m, a, fw, k->task_id, k);
		return;
	}
	master_task_send_update(m, fw, k->task_id, k->agent_id, MOSAIC__TASK_STATE__TASK_LOST,
	                        "Attempted to kill an unknown task", "REASON_RECONCILIATION");
}

/* ---- status updates ---- */

static void
task_send_ack(master *m, master_agent *a, const char *framework_id, const char *task_id,
              const ProtobufCBinaryData *uuid)
{
	Mosaic__StatusUpdateAck ack = MOSAIC__STATUS_UPDATE_ACK__INIT;
	ack.framework_id = (char *)framework_id;
	ack.task_id = (char *)task_id;
	if (uuid)
		ack.uuid = *uuid;
	master_send(m, a->address, MOSAIC__MESSAGE_TYPE__MSG_STATUS_UPDATE_ACK, &ack.base);
}

static void
task_shutdown_removed(master *m, master_agent *a, const char *framework_id, const char *task_id)
{
	LOGI("agent %s: shutting down framework %s, which was removed (its task %s reports alive)", a->id,
	     framework_id, task_id);
	Mosaic__ShutdownFramework s = MOSAIC__SHUTDOWN_FRAMEWORK__INIT;
	s.framework_id = (char *)framework_id;
	master_send(m, a->address, MOSAIC__MESSAGE_TYPE__MSG_SHUTDOWN_FRAMEWORK, &s.base);
}

static bool
status_text_ok(const char *s)
{
	return !s || strnlen(s, STATUS_TEXT_MAX + 1) <= STATUS_TEXT_MAX;
}

void
master_on_status_update(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__StatusUpdate *su = (const Mosaic__StatusUpdate *)msg;
	const Mosaic__TaskStatus *st = su->status;
	char s1[96], s2[96];
	master_agent *a = strmap_find(&m->agents_by_addr, from);
	if (!a || !a->active) {
		/* Not acknowledged: the agent keeps it and resends once it has
		 * re-registered. */
		LOGD("status update from %s, which is not a registered agent",
		     master_safe(from, s1, sizeof(s1)));
		return;
	}
	a->missed = 0;
	if (!id_valid(su->framework_id) || !id_valid(st->task_id) || (int)st->state < 0 ||
	    (int)st->state >= MASTER_NSTATES || (st->has_uuid && (st->uuid.len == 0 || st->uuid.len > 64)) ||
	    !status_text_ok(st->message) || !status_text_ok(st->reason)) {
		master_reject(
		    m, from, "status update from agent %s with bad ids, state, uuid or text (%s/%s)", a->id,
		    master_safe(su->framework_id, s1, sizeof(s1)), master_safe(st->task_id, s2, sizeof(s2)));
		return;
	}
	m->counters.updates_from_agents++;
	master_framework *fw = master_framework_find(m, su->framework_id);
	bool alive = !codec_task_state_terminal(st->state);
	if (!fw) {
		/* A task of a removed framework alive on the agent: a RunTask
		 * that reached it late (after a partition). As at
		 * re-registration, the framework is shut down there. */
		if (alive && registry_framework_removed(m->reg, su->framework_id))
			task_shutdown_removed(m, a, su->framework_id, st->task_id);
		else if (!alive)
			master_agent_orphan_ended(m, a, su->framework_id, st->task_id);
		/* Its framework is gone: nobody will acknowledge, so we do. */
		LOGD("acknowledging update of task %s of framework %s, which is not known", st->task_id,
		     su->framework_id);
		task_send_ack(m, a, su->framework_id, st->task_id, st->has_uuid ? &st->uuid : NULL);
		return;
	}
	master_task *t = master_task_find(fw, st->task_id);
	if (t && !t->completed) {
		if (t->agent == a) {
			master_task_set(t, st->state, st->message, st->reason);
			if (codec_task_state_terminal(t->state))
				master_task_terminal(m, t);
		} else {
			LOGW("agent %s reports task %s of framework %s, which runs on agent %s; forwarding "
			     "only",
			     a->id, t->id, fw->id, t->agent_id);
		}
	} else if (alive) {
		/* Alive, but we gave it up (lost with its agent, say): its
		 * RunTask reached the agent late, after a partition, when the
		 * agent had already re-registered without it. As at
		 * re-registration, it is killed. */
		LOGI("agent %s: killing task %s of framework %s: it reports %s, but the master gave it up",
		     a->id, st->task_id, fw->id, codec_task_state_name(st->state));
		Mosaic__Kill k = MOSAIC__KILL__INIT;
		task_send_kill(m, a, fw, st->task_id, &k);
	}
	/* Forward every copy, retries included: only the framework's
	 * acknowledgement stops the agent resending. */
	if (fw->connected) {
		Mosaic__TaskStatus fwd = *st;
		fwd.agent_id = a->id;
		fwd.framework_id = fw->id;
		if (!fwd.agent_hostname)
			fwd.agent_hostname = a->info->hostname;
		if (!fwd.agent_http)
			fwd.agent_http = a->info->http_address;
		Mosaic__Update u = MOSAIC__UPDATE__INIT;
		u.status = &fwd;
		if (master_send(m, fw->address, MOSAIC__MESSAGE_TYPE__MSG_UPDATE, &u.base) == 0)
			m->counters.updates_forwarded++;
	}
	if (!st->has_uuid)
		task_send_ack(m, a, fw->id, st->task_id, NULL);
}

void
master_on_acknowledge(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__Acknowledge *ack = (const Mosaic__Acknowledge *)msg;
	char s1[96], s2[96];
	master_framework *fw = master_framework_from(m, from, "Acknowledge");
	if (!fw)
		return;
	if (!id_valid(ack->agent_id) || !id_valid(ack->task_id) || ack->uuid.len == 0 || ack->uuid.len > 64) {
		master_reject(m, from,
		              "Acknowledge from framework %s with a bad agent id, task id or uuid (%s/%s)",
		              fw->id, master_safe(ack->agent_id, s1, sizeof(s1)),
		              master_safe(ack->task_id, s2, sizeof(s2)));
		master_send_error(m, from, "Acknowledge: bad agent id, task id or uuid");
		return;
	}
	master_agent *a = master_agent_find(m, ack->agent_id);
	if (!a) {
		LOGD("framework %s acknowledged an update from unknown agent %s", fw->id, ack->agent_id);
		return;
	}
	task_send_ack(m, a, fw->id, ack->task_id, &ack->uuid);
	m->counters.acks_relayed++;
}

/* ---- reconciliation ---- */

/* Seconds after a master start during which agents of the registry may
 * still re-register with their tasks. */
#define AGENT_REREGISTER_GRACE 30.0

static void reconcile_tick(mosaic_loop *loop, void *arg);

static void
deferred_tick(mosaic_loop *loop, void *arg)
{
	master *m = arg;
	m->deferred_timer = 0;
	/* Ask again: the agent may be back, or its grace over. */
	while (m->rjobs_deferred) {
		reconcile_job *job = m->rjobs_deferred;
		m->rjobs_deferred = job->link;
		job->link = NULL;
		if (m->rjobs_tail)
			m->rjobs_tail->link = job;
		else
			m->rjobs_head = job;
		m->rjobs_tail = job;
	}
	if (!m->reconcile_timer)
		m->reconcile_timer = loop_timer_start(loop, 0, reconcile_tick, m);
}

static void
reconcile_defer(master *m, master_framework *fw, const char *task_id, const char *agent_id)
{
	reconcile_job *job = xcalloc(1, sizeof(*job));
	snprintf(job->framework_id, sizeof(job->framework_id), "%s", fw->id);
	job->task_ids = xcalloc(1, sizeof(*job->task_ids));
	job->agent_ids = xcalloc(1, sizeof(*job->agent_ids));
	snprintf(job->task_ids[0], MOSAIC_ID_MAX, "%s", task_id);
	snprintf(job->agent_ids[0], MOSAIC_ID_MAX, "%s", agent_id);
	job->n = 1;
	job->link = m->rjobs_deferred;
	m->rjobs_deferred = job;
	if (!m->deferred_timer)
		m->deferred_timer = loop_timer_start(m->loop, 1.0, deferred_tick, m);
}

static void
reconcile_answer(master *m, master_framework *fw, const char *task_id, const char *agent_id)
{
	master_task *t = master_task_find(fw, task_id);
	if (t) {
		master_task_send_update(m, fw, t->id, t->agent_id, t->state, t->message,
		                        "REASON_RECONCILIATION");
		return;
	}
	if (m->started && agent_id && *agent_id && !master_agent_find(m, agent_id) &&
	    registry_agent_known(m->reg, agent_id) && mosaic_wall_now() - m->start_time < AGENT_REREGISTER_GRACE) {
		reconcile_defer(m, fw, task_id, agent_id);
		return;
	}
	/* Frameworks here are not partition-aware: Mesos answers them LOST. */
	master_task_send_update(m, fw, task_id, agent_id, MOSAIC__TASK_STATE__TASK_LOST, "unknown task",
	                        "REASON_RECONCILIATION");
}

/* Answer up to budget entries of job; true when the job is done. */
static bool
reconcile_run(master *m, reconcile_job *job, size_t *budget)
{
	master_framework *fw = master_framework_find(m, job->framework_id);
	if (!fw)
		return true;
	while (job->next<job->n && * budget> 0) {
		reconcile_answer(m, fw, job->task_ids[job->next], job->agent_ids[job->next]);
		job->next++;
		(*budget)--;
	}
	return job->next == job->n;
}

static void
reconcile_job_free(reconcile_job *job)
{
	free(job->task_ids);
	free(job->agent_ids);
	free(job);
}

static void
reconcile_tick(mosaic_loop *loop, void *arg)
{
	master *m = arg;
	m->reconcile_timer = 0;
	size_t budget = MASTER_RECONCILE_CHUNK;
	while (m->rjobs_head && budget > 0) {
		reconcile_job *job = m->rjobs_head;
		if (!reconcile_run(m, job, &budget))
			break;
		m->rjobs_head = job->link;
		if (!m->rjobs_head)
			m->rjobs_tail = NULL;
		reconcile_job_free(job);
	}
	/* The rest waits for the next loop turn, after other messages. */
	if (m->rjobs_head && m->started)
		m->reconcile_timer = loop_timer_start(loop, 0, reconcile_tick, m);
}

void
master_on_reconcile(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__Reconcile *r = (const Mosaic__Reconcile *)msg;
	char safe[96];
	master_framework *fw = master_framework_from(m, from, "Reconcile");
	if (!fw)
		return;
	reconcile_job *job = xcalloc(1, sizeof(*job));
	snprintf(job->framework_id, sizeof(job->framework_id), "%s", fw->id);
	if (r->n_tasks == 0) {
		/* Implicit: every task of the framework still running. */
		job->task_ids = xcalloc(fw->nactive ? fw->nactive : 1, sizeof(*job->task_ids));
		job->agent_ids = xcalloc(fw->nactive ? fw->nactive : 1, sizeof(*job->agent_ids));
		strmap_iter it;
		strmap_iter_init(&it, &fw->tasks);
		master_task *t;
		while ((t = strmap_iter_next(&it, NULL)) != NULL && job->n < fw->nactive) {
			if (t->completed)
				continue;
			memcpy(job->task_ids[job->n], t->id, sizeof(t->id));
			memcpy(job->agent_ids[job->n], t->agent_id, sizeof(t->agent_id));
			job->n++;
		}
	} else {
		job->task_ids = xcalloc(r->n_tasks, sizeof(*job->task_ids));
		job->agent_ids = xcalloc(r->n_tasks, sizeof(*job->agent_ids));
		size_t bad = 0;
		for (size_t i = 0; i < r->n_tasks; i++) {
			const Mosaic__ReconcileTask *rt = r->tasks[i];
			if (!id_valid(rt->task_id) || (rt->agent_id && !id_valid(rt->agent_id))) {
				if (!bad++)
					master_reject(m, from,
					              "Reconcile from framework %s names a bad id '%s'",
					              fw->id, master_safe(rt->task_id, safe, sizeof(safe)));
				continue;
			}
			snprintf(job->task_ids[job->n], MOSAIC_ID_MAX, "%s", rt->task_id);
			snprintf(job->agent_ids[job->n], MOSAIC_ID_MAX, "%s",
			         rt->agent_id ? rt->agent_id : "");
			job->n++;
		}
		if (bad)
			master_send_error(
			    m, from, "Reconcile: %zu task or agent ids are not valid and were skipped", bad);
	}
	LOGD("framework %s reconciles %zu tasks (%s)", fw->id, job->n, r->n_tasks ? "explicit" : "implicit");
	/* Without a running loop (tests) there is no later turn to wait for. */
	size_t budget = m->started ? MASTER_RECONCILE_CHUNK : SIZE_MAX;
	if (!m->rjobs_head && reconcile_run(m, job, &budget)) {
		reconcile_job_free(job);
		return;
	}
	if (m->rjobs_tail)
		m->rjobs_tail->link = job;
	else
		m->rjobs_head = job;
	m->rjobs_tail = job;
	if (!m->reconcile_timer && m->started)
		m->reconcile_timer = loop_timer_start(m->loop, 0, reconcile_tick, m);
}

void
master_reconcile_jobs_free(master *m)
{
	while (m->rjobs_deferred) {
		reconcile_job *job = m->rjobs_deferred;
		m->rjobs_deferred = job->link;
		reconcile_job_free(job);
	}
	loop_timer_cancel(m->loop, m->deferred_timer);
	m->deferred_timer = 0;
	while (m->rjobs_head) {
		reconcile_job *job = m->rjobs_head;
		m->rjobs_head = job->link;
		reconcile_job_free(job);
	}
	m->rjobs_tail = NULL;
}
