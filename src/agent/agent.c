/* agent.c - the agent's state machine: start-up and recovery, the one
 * dispatch table, registration with the master, pings, the group commit
 * of checkpoint writes, topology updates and stopping.
 *
 * Tasks and frameworks live in agent_tasks.c, executors in
 * agent_executors.c; all of it runs on the one loop. */
#include "agent.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent_checkpoint.h"
#include "agent_impl.h"
#include "codec.h"
#include "containerizer.h"
#include "errors.h"
#include "log.h"
#include "mem.h"
#include "util.h"

/* UpdateAgent goes out at most this often. */
#define TOPO_UPDATE_MIN_INTERVAL 0.2
/* Housekeeping: ping watchdog, executor liveness and time-outs. */
#define TICK_INTERVAL 1.0
/* How often overdue status updates are looked for. */
#define RETRY_SCAN_INTERVAL 0.25
#define REG_DELAY_MIN 1.0
#define REG_DELAY_MAX 5.0

static void on_registered(void *ctx, const char *from, const ProtobufCMessage *msg);
static void on_refused(void *ctx, const char *from, const ProtobufCMessage *msg);
static void on_ping(void *ctx, const char *from, const ProtobufCMessage *msg);
static void on_status_ack(void *ctx, const char *from, const ProtobufCMessage *msg);

/* Every message the agent accepts, master's and executors' alike. */
static const messenger_route agent_routes[] = {
    {.type = MOSAIC__MESSAGE_TYPE__MSG_AGENT_REGISTERED,
     .desc = &mosaic__agent_registered__descriptor,
     .fn = on_registered},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_AGENT_REFUSED,
     .desc = &mosaic__agent_refused__descriptor,
     .fn = on_refused},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_PING, .desc = &mosaic__ping__descriptor, .fn = on_ping},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_RUN_TASKS,
     .desc = &mosaic__run_tasks__descriptor,
     .fn = agent_on_run_tasks},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_KILL_TASK,
     .desc = &mosaic__kill_task__descriptor,
     .fn = agent_on_kill_task},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_STATUS_UPDATE_ACK,
     .desc = &mosaic__status_update_ack__descriptor,
     .fn = on_status_ack},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_SHUTDOWN_FRAMEWORK,
     .desc = &mosaic__shutdown_framework__descriptor,
     .fn = agent_on_shutdown_framework},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_REGISTER,
     .desc = &mosaic__executor_register__descriptor,
     .fn = agent_on_executor_register},
    {.type = MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_STATUS,
     .desc = &mosaic__executor_status__descriptor,
     .fn = agent_on_executor_status},
};

/* ---- status update manager ops: the checkpoint and the master ---- */

static int
status_save(void *ctx, const char *key, const uint8_t *data, size_t len)
{
	agent *a = ctx;
	agent_txn(a);
	return agent_checkpoint_put_update(a->store, key, data, len);
}

static void
status_drop(void *ctx, const char *key)
{
	agent *a = ctx;
	agent_txn(a);
	agent_checkpoint_del_update(a->store, key);
}

static void
status_send(void *ctx, const uint8_t *data, size_t len)
{
	agent *a = ctx;
	messenger_send_raw(a->msgr, a->cfg.master, MOSAIC__MESSAGE_TYPE__MSG_STATUS_UPDATE, data, len);
}

static const agent_status_ops status_ops = {
    .save = status_save,
    .drop = status_drop,
    .send = status_send,
    .acked = agent_tasks_status_acked,
};

/* ---- group commit ---- */

static void
agent_flush(mosaic_loop *loop, void *arg)
{
	agent *a = arg;
	a->flush_timer = 0;
	if (a->in_txn) {
		a->in_txn = false;
		if (store_commit(a->store) != 0)
			LOGE("checkpoint commit failed: state may not survive a restart");
	}
	for (agent_framework *fw = a->frameworks; fw; fw = fw->next)
		if (fw->launch_pending && fw->exec.state == EXEC_RUNNING && !fw->exec.shutdown_at)
			agent_executor_send_launches(a, fw);
	for (size_t i = 0; i < a->nacks; i++) {
		Mosaic__ExecutorStatusAck ack = MOSAIC__EXECUTOR_STATUS_ACK__INIT;
		ack.id = a->acks[i].id;
		agent_send(a, a->acks[i].to, MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_STATUS_ACK, &ack.base);
	}
	a->nacks = 0;
	agent_status_flush(a->updates, loop_now(loop));
}

void
agent_txn(agent *a)
{
	if (!a->in_txn && store_begin(a->store) == 0)
		a->in_txn = true;
	if (!a->flush_timer)
		a->flush_timer = loop_timer_start(a->loop, 0, agent_flush, a);
}

void
agent_queue_ack(agent *a, const char *to, uint64_t id)
{
	if (a->nacks == a->capacks) {
		a->capacks = a->capacks ? 2 * a->capacks : 64;
		a->acks = xrealloc(a->acks, a->capacks * sizeof(*a->acks));
	}
	snprintf(a->acks[a->nacks].to, sizeof(a->acks[a->nacks].to), "%s", to);
	a->acks[a->nacks].id = id;
	a->nacks++;
	agent_txn(a);
}

void
agent_send(agent *a, const char *to, uint32_t type, const ProtobufCMessage *msg)
{
	if (messenger_send(a->msgr, to, type, msg) != 0)
		LOGW("could not send %s to %s", msg->descriptor->short_name, to);
}

/* ---- registration ---- */

static void
topo_to_pb(const topology_summary *s, Mosaic__TopologySummary *pb, uint32_t *numa, uint32_t *sock)
{
	mosaic__topology_summary__init(pb);
	pb->has_sockets = pb->has_numa_nodes = pb->has_cores = pb->has_pus_per_core = 1;
	pb->sockets = s->sockets;
	pb->numa_nodes = s->numa_nodes;
	pb->cores = s->cores;
	pb->pus_per_core = s->pus_per_core;
	pb->n_free_cores_per_numa = s->numa_nodes < TOPO_MAX_NODES ? s->numa_nodes : TOPO_MAX_NODES;
	pb->n_free_cores_per_socket = s->sockets < TOPO_MAX_NODES ? s->sockets : TOPO_MAX_NODES;
	for (size_t i = 0; i < pb->n_free_cores_per_numa; i++)
		numa[i] = s->free_cores_per_numa[i];
	for (size_t i = 0; i < pb->n_free_cores_per_socket; i++)
		sock[i] = s->free_cores_per_socket[i];
	pb->free_cores_per_numa = numa;
	pb->free_cores_per_socket = sock;
	pb->source = (char *)s->source;
}

static void
send_registration(agent *a)
{
	topology_summary ts;
	topology_summary_get(a->topo, &ts);
	Mosaic__TopologySummary topo;
	uint32_t numa[TOPO_MAX_NODES], sock[TOPO_MAX_NODES];
	topo_to_pb(&ts, &topo, numa, sock);
	codec_res res;
	Mosaic__Attribute attrs[AGENT_MAX_ATTRS], *attr_ptrs[AGENT_MAX_ATTRS];
	for (size_t i = 0; i < a->cfg.nattrs; i++) {
		mosaic__attribute__init(&attrs[i]);
		attrs[i].name = a->cfg.attrs[i].name;
		attrs[i].value = a->cfg.attrs[i].value;
		attr_ptrs[i] = &attrs[i];
	}
	Mosaic__AgentInfo info = MOSAIC__AGENT_INFO__INIT;
	info.id = a->id[0] ? a->id : NULL;
	info.hostname = a->cfg.hostname;
	info.address = (char *)messenger_address(a->msgr);
	info.http_address = a->http_url;
	info.resources = codec_res_to_pb(&res, &a->total);
	info.n_attributes = a->cfg.nattrs;
	info.attributes = attr_ptrs;
	info.topology = &topo;
	info.has_pid = 1;
	info.pid = (uint32_t)getpid();
	info.work_dir = a->cfg.work_dir;
	/* This message carries the free cores: an UpdateAgent is needed only
	 * for changes after it. */
	a->topo_dirty = false;

	if (!a->id[0]) {
		Mosaic__RegisterAgent m = MOSAIC__REGISTER_AGENT__INIT;
		m.info = &info;
		agent_send(a, a->cfg.master, MOSAIC__MESSAGE_TYPE__MSG_REGISTER_AGENT, &m.base);
		return;
	}
	/* A re-registration tells the master every task we still have. */
	Mosaic__ReregisterAgent m = MOSAIC__REREGISTER_AGENT__INIT;
	m.info = &info;
	size_t nfw = 0;
	for (agent_framework *fw = a->frameworks; fw; fw = fw->next)
		nfw++;
	Mosaic__AgentTask *tasks = xcalloc(a->ntasks ? a->ntasks : 1, sizeof(*tasks));
	Mosaic__AgentTask **task_ptrs = xcalloc(a->ntasks ? a->ntasks : 1, sizeof(*task_ptrs));
	Mosaic__FrameworkInfo **fws = xcalloc(nfw ? nfw : 1, sizeof(*fws));
	size_t n = 0;
	for (agent_framework *fw = a->frameworks; fw; fw = fw->next) {
		fws[m.n_frameworks++] = fw->info;
		for (agent_task *t = fw->tasks_head; t && n < a->ntasks; t = t->fnext) {
			mosaic__agent_task__init(&tasks[n]);
			tasks[n].framework_id = fw->id;
			tasks[n].task = t->info;
			tasks[n].state = t->state;
			task_ptrs[n] = &tasks[n];
			n++;
		}
	}
	m.n_tasks = n;
	m.tasks = task_ptrs;
	m.frameworks = fws;
	agent_send(a, a->cfg.master, MOSAIC__MESSAGE_TYPE__MSG_REREGISTER_AGENT, &m.base);
	free(tasks);
	free(task_ptrs);
	free(fws);
}

static void
reg_timer_cb(mosaic_loop *loop, void *arg)
{
	agent *a = arg;
	a->reg_timer = 0;
	if (a->registered || a->stopping)
		return;
	LOGD("%s with %s", a->id[0] ? "re-registering" : "registering", a->cfg.master);
	/* Re-registering: the connection to the master may have been
	 * retransmitting into a partition, with TCP backing off for as long
	 * as the partition lasted; each try goes on a fresh one. */
	if (a->id[0])
		messenger_forget(a->msgr, a->cfg.master);
	send_registration(a);
	double delay = a->reg_delay;
	a->reg_delay = fmin(a->reg_delay * 2, REG_DELAY_MAX);
	a->reg_timer = loop_timer_start(loop, delay, reg_timer_cb, a);
}

static void
start_registering(agent *a)
{
	a->registered = false;
	agent_status_set_active(a->updates, false, loop_now(a->loop));
	a->reg_delay = REG_DELAY_MIN;
	loop_timer_cancel(a->loop, a->reg_timer);
	a->reg_timer = loop_timer_start(a->loop, 0, reg_timer_cb, a);
}

static void
on_registered(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	agent *a = ctx;
	const Mosaic__AgentRegistered *m = (const Mosaic__AgentRegistered *)msg;
	if (!id_valid(m->agent_id)) {
		LOGW("ignoring AgentRegistered from %s with a bad agent id", from);
		return;
	}
	if (a->stopping)
		return;
	if (a->id[0] && strcmp(a->id, m->agent_id) != 0)
		LOGW("the master gave a new agent id %s (was %s)", m->agent_id, a->id);
	bool was = a->registered;
	snprintf(a->id, sizeof(a->id), "%s", m->agent_id);
	a->ping_interval =
	    m->has_ping_interval && m->ping_interval > 0 && m->ping_interval < 3600 ? m->ping_interval : 1.0;
	a->max_missed = m->has_max_missed && m->max_missed > 0 && m->max_missed < 1000 ? m->max_missed : 5;
	a->last_ping = loop_now(a->loop);
	if (was)
		return;
	a->registered = true;
	loop_timer_cancel(a->loop, a->reg_timer);
	a->reg_timer = 0;
	agent_txn(a);
	agent_checkpoint_put_meta(a->store, "agent_id", a->id);
	agent_checkpoint_put_meta(a->store, "master", a->cfg.master);
	LOGI("registered with %s as %s (%zu tasks, %zu updates pending)", from, a->id, a->ntasks,
	     agent_status_pending(a->updates));
	/* A master that restarted knows none of our updates: resend them all. */
	agent_status_set_active(a->updates, true, loop_now(a->loop));
	if (a->topo_dirty)
		agent_topology_changed(a);
}

static void
on_refused(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	agent *a = ctx;
	const Mosaic__AgentRefused *m = (const Mosaic__AgentRefused *)msg;
	LOGE(
	    "master %s refused this agent%s%s: %s; retrying every %.0f s (if the master has removed agent %s "
	    "for good, stop this agent and remove %s/agent.db to join as a new one)",
	    from, a->id[0] ? " " : "", a->id, m->reason, REG_DELAY_MAX, a->id[0] ? a->id : "-",
	    a->cfg.work_dir);
	a->reg_delay = REG_DELAY_MAX;
}

static void
on_ping(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	agent *a = ctx;
	const Mosaic__Ping *m = (const Mosaic__Ping *)msg;
	a->last_ping = loop_now(a->loop);
	if (!a->id[0])
		return;
	Mosaic__Pong pong = MOSAIC__PONG__INIT;
	pong.agent_id = a->id;
	pong.has_seq = m->has_seq;
	pong.seq = m->seq;
	agent_send(a, from, MOSAIC__MESSAGE_TYPE__MSG_PONG, &pong.base);
}

static void
on_status_ack(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	agent *a = ctx;
	const Mosaic__StatusUpdateAck *m = (const Mosaic__StatusUpdateAck *)msg;
	if (!id_valid(m->framework_id) || !id_valid(m->task_id)) {
		LOGW("ignoring StatusUpdateAck from %s with bad ids", from);
		return;
	}
	if (agent_status_ack(a->updates, m->framework_id, m->task_id, m->uuid.data, m->uuid.len,
	                     loop_now(a->loop)) != 0) {
		LOGD("duplicate or unknown ack for %s/%s", m->framework_id, m->task_id);
		return;
	}
	agent_txn(a); /* the next update of the task goes at the flush */
	if (a->stopping && !agent_status_pending(a->updates))
		agent_check_stopped(a);
}

/* ---- topology updates, batched ---- */

static void
topo_timer_cb(mosaic_loop *loop, void *arg)
{
	agent *a = arg;
	a->topo_timer = 0;
	if (!a->topo_dirty || !a->registered)
		return;
	a->topo_dirty = false;
	a->topo_sent = loop_now(loop);
	topology_summary ts;
	topology_summary_get(a->topo, &ts);
	Mosaic__TopologySummary topo;
	uint32_t numa[TOPO_MAX_NODES], sock[TOPO_MAX_NODES];
	topo_to_pb(&ts, &topo, numa, sock);
	Mosaic__UpdateAgent m = MOSAIC__UPDATE_AGENT__INIT;
	m.agent_id = a->id;
	m.topology = &topo;
	agent_send(a, a->cfg.master, MOSAIC__MESSAGE_TYPE__MSG_UPDATE_AGENT, &m.base);
}

void
agent_topology_changed(agent *a)
{
	a->topo_dirty = true;
	if (a->topo_timer || !a->registered)
		return;
	double wait = a->topo_sent + TOPO_UPDATE_MIN_INTERVAL - loop_now(a->loop);
	a->topo_timer = loop_timer_start(a->loop, wait > 0 ? wait : 0, topo_timer_cb, a);
}

/* ---- timers ---- */

static void
retry_cb(mosaic_loop *loop, void *arg)
{
	agent *a = arg;
	agent_status_tick(a->updates, loop_now(loop));
	a->retry_timer = loop_timer_start(loop, RETRY_SCAN_INTERVAL, retry_cb, a);
}

static void
tick_cb(mosaic_loop *loop, void *arg)
{
	agent *a = arg;
	double now = loop_now(loop);
	if (a->registered && !a->stopping && now - a->last_ping > a->ping_interval * a->max_missed) {
		LOGW("no ping from the master for %.1f s: re-registering", now - a->last_ping);
		start_registering(a);
	}
	agent_executors_tick(a);
	if (a->stopping)
		agent_check_stopped(a);
	a->tick_timer = loop_timer_start(loop, TICK_INTERVAL, tick_cb, a);
}

/* ---- stopping ---- */

void
agent_check_stopped(agent *a)
{
	if (!a->stopping)
		return;
	double now = loop_now(a->loop);
	if (agent_executors_any(a)) {
		if (now < a->stop_deadline)
			return;
		LOGW("executors still running after %.0f s: killing them",
		     now - a->stop_deadline + AGENT_STOP_SLACK);
		agent_executors_kill_hard(a);
	} else if (!a->idle_since) {
		a->idle_since = now;
	}
	/* Give the last updates a moment to reach the master, no more. */
	if (agent_status_pending(a->updates) && a->registered && a->idle_since && now - a->idle_since < 2.0 &&
	    now < a->stop_deadline)
		return;
	LOGI("stopped: every task killed and every executor gone");
	loop_stop(a->loop);
}

void
agent_stop(agent *a, bool kill_all)
{
	if (!kill_all) {
		LOGI("stopping; executors keep running and are recovered by the next agent");
		loop_stop(a->loop);
		return;
	}
	if (a->stopping)
		return;
	LOGI("stopping: killing every task and executor");
	a->stopping = true;
	loop_timer_cancel(a->loop, a->reg_timer);
	a->reg_timer = 0;
	double grace = AGENT_KILL_GRACE;
	for (agent_framework *fw = a->frameworks; fw; fw = fw->next)
		for (agent_task *t = fw->tasks_head; t; t = t->fnext)
			if (t->info->has_kill_grace_seconds && t->info->kill_grace_seconds > grace)
				grace = fmin(t->info->kill_grace_seconds, 60);
	a->stop_deadline = loop_now(a->loop) + grace + AGENT_STOP_SLACK;
	agent_tasks_kill_all(a);
	agent_check_stopped(a);
}

static void
on_signal(mosaic_loop *loop, int signo, void *arg)
{
	agent *a = arg;
	if (signo == SIGCHLD)
		agent_executors_reap(a);
	else
		agent_stop(a, signo == SIGUSR1);
}

/* ---- start-up ---- */

static void
discover_resources(agent *a)
{
	mosaic_resources r = a->cfg.resources;
	unsigned given = a->cfg.res_given;
	if (!(given & AGENT_RES_CPUS))
		r.cpus = topology_pus(a->topo);
	if (!(given & AGENT_RES_MEM)) {
		/* Leave the system something: 1 GiB, or half of a small machine. */
		uint64_t mib = topology_memory_mib(a->topo);
		r.mem = (double)(mib >= 2048 ? mib - 1024 : mib / 2);
	}
	if (!(given & AGENT_RES_DISK)) {
		struct statvfs vfs;
		if (statvfs(a->cfg.work_dir, &vfs) == 0)
			r.disk = floor((double)vfs.f_bavail * (double)vfs.f_frsize / (1024.0 * 1024.0) * 0.9);
	}
	if (!(given & AGENT_RES_PORTS)) {
		r.nports = 1;
		r.ports[0].begin = 31000;
		r.ports[0].end = 32000;
	}
	a->total = r;
}

static void
recover_meta(void *ctx, const char *key, const char *value)
{
	agent *a = ctx;
	if (strcmp(key, "agent_id") == 0 && id_valid(value))
		snprintf(a->id, sizeof(a->id), "%s", value);
	else if (strcmp(key, "master") == 0 && strcmp(value, a->cfg.master) != 0)
		LOGI("checkpointed master was %s; now using %s", value, a->cfg.master);
}

static void
recover_update(void *ctx, const char *key, const uint8_t *data, size_t len)
{
	agent *a = ctx;
	if (agent_status_restore(a->updates, key, data, len) != 0) {
		LOGW("checkpoint: dropping undecodable status update %s", key);
		agent_checkpoint_del_update(a->store, key);
	}
}

static const agent_checkpoint_visitor recover_visitor = {
    .meta = recover_meta,
    .framework = agent_tasks_recover_framework,
    .executor = agent_executors_recover_row,
    .task = agent_tasks_recover_task,
    .update = recover_update,
};

int
agent_new(agent **out, mosaic_loop *loop, const agent_config *cfg, char *err, size_t errlen)
{
	agent *a = xcalloc(1, sizeof(*a));
	a->cfg = *cfg;
	a->loop = loop;
	a->ping_interval = 1.0;
	a->max_missed = 5;
	int rv;
	char why[512] = "";
	if ((rv = topology_open(&a->topo, cfg->topology[0] ? cfg->topology : NULL, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "topology: %s", why);
		goto fail;
	}
	discover_resources(a);
	if (cfg->isolation[0]) {
		/* A forced isolation this machine cannot give is a bad flag,
		 * found now rather than by every executor. */
		containerizer *probe = NULL;
		char group[300];
		snprintf(group, sizeof(group), "mosaic/%s", cfg->hostname);
		if (containerizer_open_with(&probe, group, cfg->isolation) != 0) {
			snprintf(err, errlen, "--isolation %s is not usable on this machine", cfg->isolation);
			rv = MOSAIC_EINVAL;
			goto fail;
		}
		containerizer_close(probe);
	}
	char *db = xasprintf("%s/agent.db", cfg->work_dir);
	rv = store_open(&a->store, db, why, sizeof(why));
	free(db);
	if (rv) {
		snprintf(err, errlen, "checkpoint: %s", why);
		goto fail;
	}
	/* The checkpoint must survive the agent being killed (it is what a
	 * restarted agent recovers from); if the machine goes down, its tasks
	 * go with it and the master reports them LOST, so an fsync per commit
	 * would buy nothing but a slower task path. */
	store_survive_process_crash_only(a->store);
	agent_status_new(&a->updates, &status_ops, a);

	/* Signals before any nng thread exists (loop.h). */
	loop_signal_add(loop, SIGCHLD, on_signal, a);
	if (cfg->handle_signals) {
		loop_signal_add(loop, SIGTERM, on_signal, a);
		loop_signal_add(loop, SIGINT, on_signal, a);
		loop_signal_add(loop, SIGUSR1, on_signal, a);
	}
	if ((rv = messenger_open(&a->msgr, loop, cfg->listen, agent_routes,
	                         sizeof(agent_routes) / sizeof(agent_routes[0]), a, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	if ((rv = agent_files_open(&a->files, cfg->http, cfg->work_dir, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	snprintf(a->http_url, sizeof(a->http_url), "%s", agent_files_url(a->files));
	char res[512];
	LOGI("agent %s on %s, files on %s, work dir %s, resources %s, topology %s, isolation %s",
	     cfg->hostname, messenger_address(a->msgr), a->http_url, cfg->work_dir,
	     res_format(&a->total, res, sizeof(res)), cfg->topology[0] ? cfg->topology : "hwloc",
	     cfg->isolation[0] ? cfg->isolation : "chosen by the executors");
	if (access(cfg->executor, X_OK) != 0)
		LOGW("executor %s is not executable: tasks will fail until it is", cfg->executor);

	agent_txn(a);
	if ((rv = agent_checkpoint_load(a->store, &recover_visitor, a)) != 0) {
		snprintf(err, errlen, "checkpoint: cannot read %s/agent.db", cfg->work_dir);
		goto fail;
	}
	if (a->id[0])
		LOGI("recovered agent %s: %zu tasks, %zu status updates to deliver", a->id, a->ntasks,
		     agent_status_pending(a->updates));
	agent_executors_recover(a);
	start_registering(a);
	a->tick_timer = loop_timer_start(loop, TICK_INTERVAL, tick_cb, a);
	a->retry_timer = loop_timer_start(loop, RETRY_SCAN_INTERVAL, retry_cb, a);
	agent_gc_start(a);
	*out = a;
	return MOSAIC_OK;
fail:
	agent_free(a);
	return rv ? rv : MOSAIC_EIO;
}

void
agent_free(agent *a)
{
	if (!a)
		return;
	agent_gc_free(a);
	if (a->loop) {
		loop_timer_cancel(a->loop, a->reg_timer);
		loop_timer_cancel(a->loop, a->tick_timer);
		loop_timer_cancel(a->loop, a->retry_timer);
		loop_timer_cancel(a->loop, a->gc_timer);
		loop_timer_cancel(a->loop, a->topo_timer);
		loop_timer_cancel(a->loop, a->flush_timer);
	}
	if (a->in_txn && store_commit(a->store) != 0)
		LOGE("checkpoint commit failed at exit");
	agent_files_close(a->files);
	messenger_close(a->msgr);
	while (a->frameworks) {
		agent_framework *fw = a->frameworks;
		while (fw->tasks_head)
			agent_task_remove(a, fw->tasks_head);
		a->frameworks = fw->next;
		pbmem_free(fw->info_mem);
		free(fw);
	}
	agent_status_free(a->updates);
	store_close(a->store);
	topology_close(a->topo);
	free(a->acks);
	free(a);
}

const char *
agent_address(const agent *a)
{
	return messenger_address(a->msgr);
}

const char *
agent_http_address(const agent *a)
{
	return a->http_url;
}

const char *
agent_id(const agent *a)
{
	return a->id;
}

bool
agent_registered(const agent *a)
{
	return a->registered;
}

const mosaic_resources *
agent_total(const agent *a)
{
	return &a->total;
}
