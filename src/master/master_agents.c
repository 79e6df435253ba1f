/* master_agents.c - agents: registration, re-registration (after their
 * restart, a partition, or the master's restart), ping/pong health checks,
 * and what happens when an agent is lost. */
#include "master_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "log.h"
#include "mem.h"

#define AGENT_MAX_ATTRIBUTES 64

master_agent *
master_agent_find(master *m, const char *id)
{
	return strmap_find(&m->agents, id);
}

/* Everything in AgentInfo comes from the wire: check what we keep. */
static bool
agent_info_check(const Mosaic__AgentInfo *info, mosaic_resources *total, char *why, size_t len)
{
	if (!master_text_ok(info->hostname, MASTER_NAME_MAX) || !info->hostname[0]) {
		snprintf(why, len, "hostname missing, too long or not printable");
		return false;
	}
	if (!master_addr_valid(info->address)) {
		snprintf(why, len, "address is not a tcp:// or ipc:// address");
		return false;
	}
	if (info->http_address && !master_text_ok(info->http_address, MASTER_NAME_MAX)) {
		snprintf(why, len, "http_address too long or not printable");
		return false;
	}
	if (info->work_dir && !master_text_ok(info->work_dir, 4096)) {
		snprintf(why, len, "work_dir too long or not printable");
		return false;
	}
	if (codec_res_from_pb(total, info->resources) != 0) {
		snprintf(why, len, "resources are negative, not finite or malformed");
		return false;
	}
	if (info->n_attributes > AGENT_MAX_ATTRIBUTES) {
		snprintf(why, len, "more than %d attributes", AGENT_MAX_ATTRIBUTES);
		return false;
	}
	for (size_t i = 0; i < info->n_attributes; i++) {
		if (!master_text_ok(info->attributes[i]->name, MASTER_NAME_MAX) ||
		    !master_text_ok(info->attributes[i]->value, MASTER_NAME_MAX)) {
			snprintf(why, len, "attribute %zu too long or not printable", i);
			return false;
		}
	}
	return true;
}

static void
agent_refuse(master *m, const char *from, const char *why)
{
	master_reject(m, from, "agent refused: %s", why);
	if (!master_addr_valid(from))
		return;
	Mosaic__AgentRefused r = MOSAIC__AGENT_REFUSED__INIT;
	r.reason = (char *)why;
	master_send(m, from, MOSAIC__MESSAGE_TYPE__MSG_AGENT_REFUSED, &r.base);
}

/* Our copy of info, with the agent's id (info may be the copy it replaces). */
static void
agent_set_info(master_agent *a, const Mosaic__AgentInfo *info)
{
	Mosaic__AgentInfo tmp = *info;
	tmp.id = a->id;
	pbmem *old = a->info_mem;
	a->info = (Mosaic__AgentInfo *)pbmem_copy(&tmp.base, &a->info_mem);
	pbmem_free(old);
}

/* The agents_by_addr key is a->address itself, so the entry goes before
 * the address changes. */
static void
agent_set_address(master *m, master_agent *a, const char *addr)
{
	if (strcmp(a->address, addr) == 0 && strmap_find(&m->agents_by_addr, addr) == a)
		return;
	if (a->address[0] && strmap_find(&m->agents_by_addr, a->address) == a)
		strmap_del(&m->agents_by_addr, a->address);
	snprintf(a->address, sizeof(a->address), "%s", addr);
	strmap_del(&m->agents_by_addr, a->address);
	strmap_put(&m->agents_by_addr, a->address, a);
}

static master_agent *
agent_create(master *m, const char *id, const Mosaic__AgentInfo *info, const char *from,
             const mosaic_resources *total)
{
	master_agent *a = xcalloc(1, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id);
	agent_set_info(a, info);
	a->total = *total;
	a->registered_time = mosaic_wall_now();
	strmap_init(&a->orphans);
	strmap_put(&m->agents, a->id, a);
	if (m->agent_tail)
		m->agent_tail->next = a;
	else
		m->agent_head = a;
	m->agent_tail = a;
	agent_set_address(m, a, from);
	return a;
}

typedef struct master_orphan {
	char key[2 * MOSAIC_ID_MAX + 1]; /* framework/task */
	mosaic_resources res;
} master_orphan;

static void
orphan_key(char *key, size_t len, const char *framework_id, const char *task_id)
{
	snprintf(key, len, "%s/%s", framework_id, task_id);
}

void
master_agent_orphan_add(master *m, master_agent *a, const char *framework_id, const char *task_id,
                        const mosaic_resources *res)
{
	char key[2 * MOSAIC_ID_MAX + 1];
	orphan_key(key, sizeof(key), framework_id, task_id);
	if (strmap_find(&a->orphans, key))
		return; /* withheld already */
	/* Not free any more (its RunTask reached the agent late, after the
	 * master had given its resources away): the agent refuses what does
	 * not fit, so there is nothing to hold back. */
	int rv = a->in_allocator ? allocator_withhold(m->alloc, a->id, res) : MOSAIC_ENOENT;
	if (rv != MOSAIC_OK) {
		LOGD("agent %s: not withholding the resources of task %s: %s", a->id, key,
		     mosaic_strerror(rv));
		return;
	}
	master_orphan *o = xcalloc(1, sizeof(*o));
	memcpy(o->key, key, sizeof(key));
	o->res = *res;
	strmap_put(&a->orphans, o->key, o);
	LOGD("agent %s: withholding the resources of task %s of a removed framework until it ends",
	     a->id, o->key);
}

void
master_agent_orphan_ended(master *m, master_agent *a, const char *framework_id,
                          const char *task_id)
{
	char key[2 * MOSAIC_ID_MAX + 1];
	orphan_key(key, sizeof(key), framework_id, task_id);
	master_orphan *o = strmap_del(&a->orphans, key);
	if (!o)
		return;
	if (a->in_allocator) {
		int rv = allocator_unwithhold(m->alloc, a->id, &o->res);
		if (rv != MOSAIC_OK)
			LOGW("agent %s: cannot return the resources of task %s: %s", a->id, o->key,
			     mosaic_strerror(rv));
		master_allocate_soon(m);
	}
	free(o);
}

/* Forget the withheld tasks (their resources leave the pool with the agent,
 * or the agent re-registers and reports what still runs). */
static void
agent_orphans_clear(master_agent *a)
{
	strmap_iter it;
	strmap_iter_init(&it, &a->orphans);
	master_orphan *o;
	while ((o = strmap_iter_next(&it, NULL)) != NULL)
		free(o);
	strmap_fini(&a->orphans);
	strmap_init(&a->orphans);
}

/* Put the agent's resources (back) into the pool from scratch: its offers
 * are rescinded and its allocator entry rebuilt with its current total;
 * the caller then accounts for the tasks it keeps. Re-registration is rare,
 * and starting clean is simpler than patching a total that changed. */
static void
agent_pool_reset(master *m, master_agent *a)
{
	master_offers_rescind_agent(m, a, false);
	if (a->in_allocator)
		allocator_remove_agent(m->alloc, a->id);
	for (master_task *t = a->tasks; t; t = t->ag_next)
		t->accounted = false;
	agent_orphans_clear(a);
	int rv = allocator_add_agent(m->alloc, a->id, &a->total);
	if (rv)
		LOGE("allocator: cannot add agent %s: %s", a->id, mosaic_strerror(rv));
	a->in_allocator = rv == 0;
}

static void
agent_account_task(master *m, master_agent *a, master_task *t)
{
	if (t->accounted || !a->in_allocator)
		return;
	int rv = allocator_use(m->alloc, t->fw->id, a->id, &t->res);
	if (rv) {
		char buf[128];
		LOGW("task %s of framework %s does not fit agent %s (%s): %s; left unaccounted", t->id,
		     t->fw->id, a->id, res_format(&t->res, buf, sizeof(buf)), mosaic_strerror(rv));
		return;
	}
	t->accounted = true;
}

static void
agent_send_registered(master *m, master_agent *a)
{
	Mosaic__AgentRegistered r = MOSAIC__AGENT_REGISTERED__INIT;
	r.agent_id = a->id;
	r.has_ping_interval = 1;
	r.ping_interval = m->cfg.ping_interval;
	r.has_max_missed = 1;
	r.max_missed = m->cfg.max_missed_pings;
	r.master_id = m->id;
	master_send(m, a->address, MOSAIC__MESSAGE_TYPE__MSG_AGENT_REGISTERED, &r.base);
}

void
master_on_register_agent(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__RegisterAgent *req = (const Mosaic__RegisterAgent *)msg;
	char why[256], res[256];
	mosaic_resources total;
	if (!master_addr_valid(from)) {
		master_reject(m, from, "RegisterAgent from an address we cannot answer");
		return;
	}
	if (!agent_info_check(req->info, &total, why, sizeof(why))) {
		agent_refuse(m, from, why);
		return;
	}
	master_agent *a = strmap_find(&m->agents_by_addr, from);
	if (a && a->active) {
		/* The same process asking again (our answer was lost) gets the
		 * same id; a new process at that address means the old one is
		 * gone, and with it its tasks. */
		bool same = strcmp(a->info->hostname, req->info->hostname) == 0 &&
		            a->info->has_pid == req->info->has_pid && a->info->pid == req->info->pid;
		if (same) {
			LOGD("agent %s at %s registered again; repeating its id", a->id, from);
			agent_send_registered(m, a);
			return;
		}
		master_agent_lost(m, a, "a new agent process registered at its address");
	}
	char id[MOSAIC_ID_MAX];
	do
		id_new(id, "agent");
	while (master_agent_find(m, id) || registry_agent_known(m->reg, id));
	a = agent_create(m, id, req->info, from, &total);
	if (registry_agent_put(m->reg, a->info) != 0)
		LOGE("registry: cannot record agent %s; a restarted master will admit it as unknown", id);
	agent_pool_reset(m, a);
	a->active = true;
	a->missed = 0;
	m->counters.agents_registered++;
	agent_send_registered(m, a);
	LOGI("agent %s (%s) registered from %s with %s", a->id, a->info->hostname, from,
	     res_format(&total, res, sizeof(res)));
	master_allocate_soon(m);
}

static const Mosaic__FrameworkInfo *
agent_reported_framework(const Mosaic__ReregisterAgent *req, const char *framework_id)
{
	for (size_t i = 0; i < req->n_frameworks; i++)
		if (req->frameworks[i]->id && strcmp(req->frameworks[i]->id, framework_id) == 0)
			return req->frameworks[i];
	return NULL;
}

static void
agent_kill_task(master *m, master_agent *a, const char *framework_id, const char *task_id, const char *why)
{
	LOGI("agent %s: killing task %s of framework %s: %s", a->id, task_id, framework_id, why);
	Mosaic__KillTask k = MOSAIC__KILL_TASK__INIT;
	k.framework_id = (char *)framework_id;
	k.task_id = (char *)task_id;
	master_send(m, a->address, MOSAIC__MESSAGE_TYPE__MSG_KILL_TASK, &k.base);
}

/* Match the tasks a re-registering agent reports with ours. known_here:
 * this master process has seen the agent before, so it knows every task it
 * launched there; a task it does not know was given up (lost, or its
 * framework removed) and is killed. Otherwise (the master restarted, or
 * lost its registry) the agent's tasks are adopted. */
static void
agent_reconcile_tasks(master *m, master_agent *a, const Mosaic__ReregisterAgent *req, bool known_here)
{
	char s1[96], s2[96];
	for (master_task *t = a->tasks; t; t = t->ag_next)
		t->seen = false;
	strmap shut; /* framework ids (borrowed from req) to shut down on this agent */
	strmap_init(&shut);
	for (size_t i = 0; i < req->n_tasks; i++) {
		const Mosaic__AgentTask *at = req->tasks[i];
		const Mosaic__TaskInfo *ti = at->task;
		if (!id_valid(at->framework_id) || !id_valid(ti->task_id) || (int)at->state < 0 ||
		    (int)at->state >= MASTER_NSTATES) {
			master_reject(m, a->address,
			              "agent %s reported a task with a bad id or state (%s/%s)", a->id,
			              master_safe(at->framework_id, s1, sizeof(s1)),
			              master_safe(ti->task_id, s2, sizeof(s2)));
			continue;
		}
		master_framework *fw = master_framework_find(m, at->framework_id);
		master_task *t = fw ? master_task_find(fw, ti->task_id) : NULL;
		if (t && !t->completed && t->agent == a) {
			t->seen = true;
			continue;
		}
		/* A finished task needs nothing: its status update, resent
		 * until acknowledged, tells the framework. */
		if (codec_task_state_terminal(at->state))
			continue;
		if (registry_framework_removed(m->reg, at->framework_id)) {
			strmap_put(&shut, at->framework_id, (void *)at->framework_id);
			continue;
		}
		if (!known_here && (!t || t->completed)) {
			if (!fw) {
				const Mosaic__FrameworkInfo *fi =
				    agent_reported_framework(req, at->framework_id);
				if (fi)
					fw = master_framework_recover(m, fi, true);
			}
			mosaic_resources res;
			if (fw && codec_res_from_pb(&res, ti->resources) == 0) {
				const char *name =
				    ti->name && master_text_ok(ti->name, MASTER_NAME_MAX) ? ti->name : NULL;
				master_task *nt =
				    master_task_add(m, fw, a, ti->task_id, name, &res, at->state);
				nt->seen = true;
				m->counters.tasks_adopted++;
				LOGD("agent %s: adopted task %s of framework %s (%s)", a->id, nt->id, fw->id,
				     codec_task_state_name(nt->state));
				continue;
			}
		}
		agent_kill_task(m, a, at->framework_id, ti->task_id,
		                known_here ? "the master gave it up" : "its framework is unknown");
	}
	strmap_iter it;
	strmap_iter_init(&it, &shut);
	const char *fid;
	while (strmap_iter_next(&it, &fid) != NULL) {
		LOGI("agent %s: shutting down framework %s, which was removed", a->id, fid);
		Mosaic__ShutdownFramework s = MOSAIC__SHUTDOWN_FRAMEWORK__INIT;
		s.framework_id = (char *)fid;
		master_send(m, a->address, MOSAIC__MESSAGE_TYPE__MSG_SHUTDOWN_FRAMEWORK, &s.base);
	}

	double now = master_now(m);
	char why[256];
	snprintf(why, sizeof(why), "task not reported by agent %s (%s) when it re-registered", a->id,
	         a->info->hostname);
	master_task *next;
	for (master_task *t = a->tasks; t; t = next) {
		next = t->ag_next;
		/* A STAGING task may be in a RunTasks the agent has not read yet. */
		if (t->seen || (t->state == MOSAIC__TASK_STATE__TASK_STAGING &&
		                now - t->launched < m->cfg.staging_grace))
			agent_account_task(m, a, t);
		else
			master_task_lost(m, t, "REASON_AGENT_REREGISTERED", why);
	}
	/* The tasks of removed frameworks, being shut down, keep what they
	 * use until they end; withheld after ours are accounted. */
	for (size_t i = 0; i < req->n_tasks; i++) {
		const Mosaic__AgentTask *at = req->tasks[i];
		mosaic_resources res;
		if (id_valid(at->framework_id) && id_valid(at->task->task_id) &&
		    strmap_find(&shut, at->framework_id) && !codec_task_state_terminal(at->state) &&
		    codec_res_from_pb(&res, at->task->resources) == 0)
			master_agent_orphan_add(m, a, at->framework_id, at->task->task_id, &res);
	}
	strmap_fini(&shut);
}

void
master_on_reregister_agent(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__ReregisterAgent *req = (const Mosaic__ReregisterAgent *)msg;
	char why[256], safe[96];
	mosaic_resources total;
	if (!master_addr_valid(from)) {
		master_reject(m, from, "ReregisterAgent from an address we cannot answer");
		return;
	}
	if (!agent_info_check(req->info, &total, why, sizeof(why))) {
		agent_refuse(m, from, why);
		return;
	}
	const char *id = req->info->id;
	if (!id || !id_valid(id)) {
		snprintf(why, sizeof(why), "re-registration needs a valid agent id, not '%s'",
		         master_safe(id ? id : "", safe, sizeof(safe)));
		agent_refuse(m, from, why);
		return;
	}
	master_agent *a = master_agent_find(m, id);
	bool known_here = a != NULL;
	master_agent *other = strmap_find(&m->agents_by_addr, from);
	if (other && other != a && other->active)
		master_agent_lost(m, other, "another agent re-registered at its address");
	if (!a) {
		if (registry_agent_known(m->reg, id))
			LOGI("agent %s (%s) re-registered from %s after a master restart", id,
			     req->info->hostname, from);
		else
			LOGW("agent %s (%s) re-registered from %s but is not in the registry; admitting it",
			     id, req->info->hostname, from);
		a = agent_create(m, id, req->info, from, &total);
	} else {
		LOGI("agent %s (%s) re-registered from %s (it was %s)", id, req->info->hostname, from,
		     a->active ? "registered" : "unreachable");
		/* Back from a partition: our connection to it has been
		 * retransmitting into the void, and TCP backs off (its next try
		 * can be as far away as the partition was long). Answer, ping
		 * and kill on a fresh connection, dialled now that it is
		 * reachable, or it would be lost again while the old one waits.
		 * Only then: a duplicate ReregisterAgent of an agent we already
		 * took back must not drop what we queued for it since. */
		if (!a->active && m->msgr)
			messenger_forget(m->msgr, from);
		agent_set_info(a, req->info);
		a->total = total;
		agent_set_address(m, a, from);
	}
	if (registry_agent_put(m->reg, a->info) != 0)
		LOGE("registry: cannot record agent %s", id);
	agent_pool_reset(m, a);
	a->active = true;
	a->missed = 0;
	agent_reconcile_tasks(m, a, req, known_here);
	m->counters.agents_reregistered++;
	agent_send_registered(m, a);
	master_allocate_soon(m);
}

void
master_on_pong(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__Pong *p = (const Mosaic__Pong *)msg;
	char safe[96];
	if (!id_valid(p->agent_id)) {
		master_reject(m, from, "Pong with a bad agent id '%s'",
		              master_safe(p->agent_id, safe, sizeof(safe)));
		return;
	}
	master_agent *a = master_agent_find(m, p->agent_id);
	if (!a || !a->active) {
		/* It will notice the missing pings and re-register. */
		LOGD("pong from agent %s, which is not registered", p->agent_id);
		return;
	}
	a->missed = 0;
}

void
master_on_update_agent(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__UpdateAgent *u = (const Mosaic__UpdateAgent *)msg;
	char safe[96];
	master_agent *a = id_valid(u->agent_id) ? master_agent_find(m, u->agent_id) : NULL;
	if (!a || !a->active || strcmp(a->address, from) != 0) {
		master_reject(m, from, "UpdateAgent for agent '%s', not registered from this address",
		              master_safe(u->agent_id, safe, sizeof(safe)));
		return;
	}
	a->missed = 0;
	if (u->topology) {
		Mosaic__AgentInfo tmp = *a->info;
		tmp.topology = u->topology;
		agent_set_info(a, &tmp);
	}
}

void
master_agents_ping_tick(master *m)
{
	for (master_agent *a = m->agent_head; a; a = a->next) {
		if (!a->active)
			continue;
		if (a->missed >= m->cfg.max_missed_pings) {
			char why[96];
			snprintf(why, sizeof(why), "no pong to %u pings in a row", a->missed);
			master_agent_lost(m, a, why);
			continue;
		}
		a->missed++;
		Mosaic__Ping p = MOSAIC__PING__INIT;
		p.has_seq = 1;
		p.seq = ++a->ping_seq;
		master_send(m, a->address, MOSAIC__MESSAGE_TYPE__MSG_PING, &p.base);
	}
}

void
master_agent_lost(master *m, master_agent *a, const char *why)
{
	if (!a->active)
		return;
	a->active = false;
	m->counters.agents_lost++;
	LOGI("agent %s (%s) lost: %s; %zu tasks lost", a->id, a->info->hostname, why, a->ntasks);
	/* Its resources leave the pool: offers on it are rescinded without
	 * recovery, and removing it from the allocator takes everything it
	 * had allocated off the frameworks. */
	master_offers_rescind_agent(m, a, false);
	if (a->in_allocator) {
		allocator_remove_agent(m->alloc, a->id);
		a->in_allocator = false;
	}
	for (master_task *t = a->tasks; t; t = t->ag_next)
		t->accounted = false;
	agent_orphans_clear(a);
	char message[256];
	snprintf(message, sizeof(message), "agent %s (%s) lost: %s", a->id, a->info->hostname, why);
	while (a->tasks)
		master_task_lost(m, a->tasks, "REASON_AGENT_REMOVED", message);
	Mosaic__AgentLost lost = MOSAIC__AGENT_LOST__INIT;
	lost.agent_id = a->id;
	lost.hostname = a->info->hostname;
	for (master_framework *fw = m->fw_head; fw; fw = fw->next)
		if (fw->connected)
			master_send(m, fw->address, MOSAIC__MESSAGE_TYPE__MSG_AGENT_LOST, &lost.base);
}

void
master_agents_free(master *m)
{
	master_agent *a = m->agent_head;
	while (a) {
		master_agent *next = a->next;
		pbmem_free(a->info_mem);
		agent_orphans_clear(a);
		strmap_fini(&a->orphans);
		free(a);
		a = next;
	}
	m->agent_head = m->agent_tail = NULL;
}
