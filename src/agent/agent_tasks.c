/* agent_tasks.c - frameworks and tasks on the agent: RunTasks (checks,
 * sandbox, cores, limits), KillTask, ShutdownFramework, state transitions
 * with their status updates, and recovery of tasks from the checkpoint.
 *
 * A task record lives from RunTasks until its terminal update has been
 * acknowledged; its cores and resources are given back as soon as it
 * reaches a terminal state. */
#include <errno.h>
#include <dirent.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_checkpoint.h"
#include "agent_impl.h"
#include "agent_path.h"
#include "codec.h"
#include "errors.h"
#include "log.h"
#include "mem.h"
#include "util.h"

static uint32_t
task_hash(const char *fw, const char *task)
{
	return util_hash_pair(fw, task) % AGENT_TASK_BUCKETS;
}

static void
core_key(char *out, size_t cap, const agent_task *t)
{
	snprintf(out, cap, "%s/%s", t->fw->id, t->id);
}

/* ---- frameworks ---- */

agent_framework *
agent_framework_find(agent *a, const char *id)
{
	for (agent_framework *fw = a->frameworks; fw; fw = fw->next)
		if (strcmp(fw->id, id) == 0)
			return fw;
	return NULL;
}

static agent_framework *
framework_add(agent *a, const Mosaic__FrameworkInfo *info, const char *address)
{
	agent_framework *fw = xcalloc(1, sizeof(*fw));
	snprintf(fw->id, sizeof(fw->id), "%s", info->id);
	fw->info = (Mosaic__FrameworkInfo *)pbmem_copy(&info->base, &fw->info_mem);
	snprintf(fw->address, sizeof(fw->address), "%s", address ? address : "");
	fw->next = a->frameworks;
	a->frameworks = fw;
	return fw;
}

agent_framework *
agent_framework_get(agent *a, const Mosaic__FrameworkInfo *info, const char *address)
{
	agent_framework *fw = agent_framework_find(a, info->id);
	if (!fw) {
		fw = framework_add(a, info, address);
	} else {
		pbmem *old = fw->info_mem;
		fw->info = (Mosaic__FrameworkInfo *)pbmem_copy(&info->base, &fw->info_mem);
		pbmem_free(old);
		if (address)
			snprintf(fw->address, sizeof(fw->address), "%s", address);
	}
	agent_txn(a);
	agent_checkpoint_put_framework(a->store, fw->info, fw->address);
	return fw;
}

void
agent_framework_maybe_remove(agent *a, agent_framework *fw)
{
	if (fw->ntasks || fw->exec.state != EXEC_NONE || !(fw->shutting_down || fw->idle_stop))
		return;
	LOGI("framework %s removed from this agent", fw->id);
	agent_gc_framework_left(a, fw->id);
	agent_txn(a);
	agent_checkpoint_del_framework(a->store, fw->id);
	agent_checkpoint_del_executor(a->store, fw->id);
	for (agent_framework **pp = &a->frameworks; *pp; pp = &(*pp)->next) {
		if (*pp == fw) {
			*pp = fw->next;
			break;
		}
	}
	pbmem_free(fw->info_mem);
	free(fw);
}

/* ---- task records ---- */

agent_task *
agent_task_find(agent *a, const char *fw, const char *task)
{
	for (agent_task *t = a->tasks[task_hash(fw, task)]; t; t = t->hnext)
		if (strcmp(t->id, task) == 0 && strcmp(t->fw->id, fw) == 0)
			return t;
	return NULL;
}

agent_task *
agent_task_new(agent *a, agent_framework *fw, const Mosaic__TaskInfo *info)
{
	agent_task *t = xcalloc(1, sizeof(*t));
	t->fw = fw;
	snprintf(t->id, sizeof(t->id), "%s", info->task_id);
	t->info = (Mosaic__TaskInfo *)pbmem_copy(&info->base, &t->info_mem);
	t->state = MOSAIC__TASK_STATE__TASK_STAGING;
	t->uid = t->gid = -1;
	uint32_t b = task_hash(fw->id, t->id);
	t->hnext = a->tasks[b];
	a->tasks[b] = t;
	t->fprev = fw->tasks_tail;
	if (fw->tasks_tail)
		fw->tasks_tail->fnext = t;
	else
		fw->tasks_head = t;
	fw->tasks_tail = t;
	fw->ntasks++;
	a->ntasks++;
	return t;
}

void
agent_task_remove(agent *a, agent_task *t)
{
	agent_framework *fw = t->fw;
	for (agent_task **pp = &a->tasks[task_hash(fw->id, t->id)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	}
	if (t->fprev)
		t->fprev->fnext = t->fnext;
	else
		fw->tasks_head = t->fnext;
	if (t->fnext)
		t->fnext->fprev = t->fprev;
	else
		fw->tasks_tail = t->fprev;
	fw->ntasks--;
	a->ntasks--;
	pbmem_free(t->info_mem);
	free(t->sandbox);
	free(t->cpus);
	free(t->numa);
	free(t);
}

/* Floating-point sums drift: when a subtraction does not fit, recount. */
static void
used_sub(agent *a, const mosaic_resources *r)
{
	if (res_sub(&a->used, r) == 0)
		return;
	res_clear(&a->used);
	for (agent_framework *fw = a->frameworks; fw; fw = fw->next)
		for (agent_task *t = fw->tasks_head; t; t = t->fnext)
			if (t->counted)
				res_add(&a->used, &t->res);
}

static void
release(agent *a, agent_task *t)
{
	if (t->holds_cores) {
		char key[2 * MOSAIC_ID_MAX];
		core_key(key, sizeof(key), t);
		topology_release(a->topo, key);
		t->holds_cores = false;
		agent_topology_changed(a);
	}
	if (t->counted) {
		t->counted = false;
		used_sub(a, &t->res);
	}
}

void
agent_task_checkpoint(agent *a, agent_task *t)
{
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.task_id = t->id;
	st.state = t->state;
	st.framework_id = t->fw->id;
	st.sandbox = t->sandbox;
	st.cpus_bound = t->cpus;
	st.numa_bound = t->numa;
	st.has_pid = t->pid != 0;
	st.pid = t->pid;
	agent_txn(a);
	agent_checkpoint_put_task_status(a->store, t->fw->id, &st);
}

void
agent_task_transition(agent *a, agent_task *t, Mosaic__TaskStatus *st)
{
	st->task_id = t->id;
	st->framework_id = t->fw->id;
	st->agent_id = a->id[0] ? a->id : NULL;
	st->agent_hostname = a->cfg.hostname;
	st->agent_http = a->http_url;
	st->has_timestamp = 1;
	st->timestamp = mosaic_wall_now();
	if (!st->has_source) {
		st->has_source = 1;
		st->source = MOSAIC__STATUS_SOURCE__SOURCE_AGENT;
	}
	if (st->has_pid && st->pid)
		t->pid = st->pid;
	st->has_pid = t->pid != 0;
	st->pid = t->pid;
	st->sandbox = t->sandbox;
	/* The cores in topology numbering, as the placement chose them: on a
	 * real machine the same as the OS list, on a synthetic one the only
	 * meaningful answer. */
	st->cpus_bound = t->cpus;
	st->numa_bound = t->numa;
	t->state = st->state;
	agent_txn(a);
	agent_checkpoint_put_task_status(a->store, t->fw->id, st);
	if (agent_status_add(a->updates, t->fw->id, st, loop_now(a->loop)) != 0)
		LOGE("cannot checkpoint the %s update of %s/%s", codec_task_state_name(st->state), t->fw->id,
		     t->id);
	if (codec_task_state_terminal(st->state)) {
		LOGI("task %s/%s %s%s%s", t->fw->id, t->id, codec_task_state_name(st->state),
		     st->message ? ": " : "", st->message ? st->message : "");
		release(a, t);
	} else {
		LOGD("task %s/%s %s", t->fw->id, t->id, codec_task_state_name(st->state));
	}
}

void
agent_task_fail(agent *a, agent_task *t, int state, const char *reason, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.state = state;
	st.message = msg;
	st.reason = (char *)reason;
	agent_task_transition(a, t, &st);
}

/* An update about a task this agent has no record of (a kill of a task it
 * never had): no record, only the update. */
static void
report_unknown(agent *a, const char *fw, const char *task, int state, const char *msg)
{
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.task_id = (char *)task;
	st.state = state;
	st.message = (char *)msg;
	st.framework_id = (char *)fw;
	st.agent_id = a->id[0] ? a->id : NULL;
	st.agent_hostname = a->cfg.hostname;
	st.agent_http = a->http_url;
	st.has_timestamp = 1;
	st.timestamp = mosaic_wall_now();
	st.has_source = 1;
	st.source = MOSAIC__STATUS_SOURCE__SOURCE_AGENT;
	agent_txn(a);
	agent_status_add(a->updates, fw, &st, loop_now(a->loop));
}

void
agent_tasks_status_acked(void *ctx, const char *fw, const char *task, int state, size_t more)
{
	agent *a = ctx;
	if (!codec_task_state_terminal(state) || more)
		return;
	agent_task *t = agent_task_find(a, fw, task);
	if (!t || !codec_task_state_terminal(t->state))
		return;
	agent_framework *f = t->fw;
	agent_txn(a);
	agent_checkpoint_del_task(a->store, fw, task);
	agent_gc_task_ended(a, fw, task, t->sandbox);
	agent_task_remove(a, t);
	agent_framework_maybe_remove(a, f);
}

/* ---- RunTasks ---- */

/* <work_dir>/frameworks/<fw>/tasks/<task>.<n> (agent_path.h), n the
 * first run not there yet: one directory per task, where a tree of them
 * cost an ext4 inode each. */
static int
make_sandbox(agent *a, agent_task *t, char *err, size_t errlen)
{
	char path[PATH_MAX];
	for (long n = 0;; n++) {
		if (n == AGENT_MAX_RUNS) {
			agent_msg(err, errlen, "task %s has had %d runs on this agent; no more", t->id,
			          AGENT_MAX_RUNS);
			return MOSAIC_ENOSPC;
		}
		if (agent_sandbox_path(path, sizeof(path), a->cfg.work_dir, t->fw->id, t->id, n)) {
			agent_msg(err, errlen, "sandbox path under %s too long", a->cfg.work_dir);
			return MOSAIC_ETOOBIG;
		}
		if (mkdir(path, 0755) == 0)
			break;
		if (errno == ENOENT) { /* the framework's first task here */
			char *slash = strrchr(path, '/');
			*slash = '\0';
			int rv = util_mkdir_p(path);
			*slash = '/';
			if (rv == 0 && mkdir(path, 0755) == 0)
				break;
		}
		if (errno != EEXIST) {
			agent_msg(err, errlen, "cannot create %s: %s", path, strerror(errno));
			return MOSAIC_EIO;
		}
	}
	/* the task's user's (a chown to ourselves would only dirty the inode) */
	if (t->uid >= 0 && ((uid_t)t->uid != geteuid() || (gid_t)t->gid != getegid()) &&
	    chown(path, (uid_t)t->uid, (gid_t)t->gid) != 0) {
		agent_msg(err, errlen, "cannot give %s to uid %d: %s", path, t->uid, strerror(errno));
		return MOSAIC_EIO;
	}
	t->sandbox = xstrdup(path);
	return MOSAIC_OK;
}

static topology_kind
placement_kind(int k)
{
	switch (k) {
	case MOSAIC__PLACEMENT_KIND__PLACE_PACK: return TOPO_PACK;
	case MOSAIC__PLACEMENT_KIND__PLACE_SPREAD: return TOPO_SPREAD;
	case MOSAIC__PLACEMENT_KIND__PLACE_NUMA: return TOPO_NUMA;
	default: return TOPO_NONE;
	}
}

/* Whole cores when the task's placement asks: placement.cores, or its cpus
 * rounded up. */
static int
reserve_cores(agent *a, agent_task *t, char *err, size_t errlen)
{
	const Mosaic__Placement *pl = t->info->placement;
	if (!pl || (pl->kind == MOSAIC__PLACEMENT_KIND__PLACE_NONE && pl->cores == 0))
		return MOSAIC_OK;
	topology_request req = {0};
	double want = pl->cores ? (double)pl->cores : ceil(t->res.cpus - MOSAIC_RES_EPSILON);
	req.cores = want < 1 ? 1 : want > 65536 ? 65536 : (unsigned)want;
	req.kind = placement_kind(pl->kind);
	req.cores_per_socket = pl->cores_per_socket;
	req.sockets = pl->sockets;
	req.mem_bind = pl->mem_bind;
	char key[2 * MOSAIC_ID_MAX];
	core_key(key, sizeof(key), t);
	topology_alloc alloc;
	int rv = topology_reserve(a->topo, key, &req, &alloc);
	if (rv) {
		topology_summary ts;
		topology_summary_get(a->topo, &ts);
		unsigned free_cores = 0;
		for (unsigned i = 0; i < ts.sockets && i < TOPO_MAX_NODES; i++)
			free_cores += ts.free_cores_per_socket[i];
		snprintf(err, errlen, "no placement of %u whole cores fits (%u of %u cores free): %s",
		         req.cores, free_cores, ts.cores, mosaic_strerror(rv));
		return rv;
	}
	t->holds_cores = true;
	t->cpus = xstrdup(alloc.cpus);
	t->numa = xstrdup(alloc.numa);
	t->numa_bind = pl->mem_bind || pl->kind == MOSAIC__PLACEMENT_KIND__PLACE_NUMA;
	agent_topology_changed(a);
	return MOSAIC_OK;
}

static void
run_one(agent *a, agent_framework *fw, const Mosaic__TaskInfo *ti)
{
	if (!id_valid(ti->task_id)) {
		LOGW("framework %s: ignoring a task with an invalid id", fw->id);
		return;
	}
	agent_task *old = agent_task_find(a, fw->id, ti->task_id);
	if (old && !codec_task_state_terminal(old->state)) {
		LOGW("framework %s: task %s is already %s here; ignoring the second launch", fw->id,
		     ti->task_id, codec_task_state_name(old->state));
		return;
	}
	if (old) {
		/* A relaunch of a finished id: its last update stays queued ahead. */
		agent_checkpoint_del_task(a->store, fw->id, old->id);
		agent_task_remove(a, old);
	}
	agent_task *t = agent_task_new(a, fw, ti);
	agent_checkpoint_put_task(a->store, fw->id, t->info);
	/* Busy again: an executor stopping for idleness is replaced once gone. */
	fw->idle_stop = false;
	fw->idle_since = 0;
	char err[512];
	if (fw->shutting_down) {
		agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_LOST, "REASON_FRAMEWORK_TERMINATING",
		                "framework %s is shutting down on this agent", fw->id);
		return;
	}
	if (codec_res_from_pb(&t->res, ti->resources) != 0) {
		agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_ERROR, "REASON_TASK_INVALID",
		                "invalid resources");
		return;
	}
	mosaic_resources free_res = a->total;
	if (res_sub(&free_res, &a->used) != 0)
		res_clear(&free_res);
	if (!res_contains(&free_res, &t->res)) {
		char want[256], have[256];
		agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_FAILED, "REASON_RESOURCES_UNAVAILABLE",
		                "not enough free resources on agent %s: task wants %s, free %s",
		                a->cfg.hostname, res_format(&t->res, want, sizeof(want)),
		                res_format(&free_res, have, sizeof(have)));
		return;
	}
	const char *user = ti->command->user;
	if (user && *user && geteuid() == 0) {
		struct passwd *pw = getpwnam(user);
		if (!pw) {
			agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_ERROR, "REASON_TASK_INVALID",
			                "unknown user '%.64s' on agent %s", user, a->cfg.hostname);
			return;
		}
		t->uid = (int)pw->pw_uid;
		t->gid = (int)pw->pw_gid;
	}
	if (make_sandbox(a, t, err, sizeof(err)) != 0) {
		agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_FAILED, "REASON_SANDBOX_FAILED", "%s", err);
		return;
	}
	if (reserve_cores(a, t, err, sizeof(err)) != 0) {
		agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_FAILED, "REASON_RESOURCES_UNAVAILABLE", "%s",
		                err);
		return;
	}
	res_add(&a->used, &t->res);
	t->counted = true;
	agent_task_checkpoint(a, t);
	fw->launch_pending = true;
}

void
agent_on_run_tasks(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	agent *a = ctx;
	const Mosaic__RunTasks *m = (const Mosaic__RunTasks *)msg;
	if (!m->framework->id || !id_valid(m->framework->id)) {
		LOGW("ignoring RunTasks from %s: invalid framework id", from);
		return;
	}
	if (a->stopping) {
		LOGW("ignoring RunTasks for framework %s: the agent is stopping", m->framework->id);
		return;
	}
	agent_framework *fw = agent_framework_get(a, m->framework, m->framework_address);
	for (size_t i = 0; i < m->n_tasks; i++)
		run_one(a, fw, m->tasks[i]);
	LOGD("RunTasks: %zu tasks for framework %s", m->n_tasks, fw->id);
	if (fw->launch_pending)
		agent_executor_ensure(a, fw);
}

/* ---- KillTask, ShutdownFramework ---- */

static void
kill_one(agent *a, agent_task *t, double grace)
{
	if (codec_task_state_terminal(t->state))
		return;
	if (!t->launched) {
		agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_KILLED, NULL, "killed before it was launched");
		return;
	}
	t->kill_requested = true;
	agent_executor_kill_task(a, t->fw, t, grace);
}

void
agent_on_kill_task(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	agent *a = ctx;
	const Mosaic__KillTask *m = (const Mosaic__KillTask *)msg;
	if (!id_valid(m->framework_id) || !id_valid(m->task_id)) {
		LOGW("ignoring KillTask from %s with invalid ids", from);
		return;
	}
	agent_framework *fw = agent_framework_find(a, m->framework_id);
	if (!fw) {
		LOGW("ignoring KillTask of %s: no framework %s on this agent", m->task_id, m->framework_id);
		return;
	}
	agent_task *t = agent_task_find(a, m->framework_id, m->task_id);
	if (!t) {
		LOGI("KillTask of unknown task %s/%s: reporting it lost", m->framework_id, m->task_id);
		report_unknown(a, m->framework_id, m->task_id, MOSAIC__TASK_STATE__TASK_LOST,
		               "task unknown to the agent");
		return;
	}
	double grace =
	    m->has_grace_seconds && m->grace_seconds >= 0 && m->grace_seconds < 3600 ? m->grace_seconds : -1;
	kill_one(a, t, grace);
}

static void
shutdown_framework(agent *a, agent_framework *fw)
{
	fw->shutting_down = true;
	double grace = AGENT_KILL_GRACE;
	for (agent_task *t = fw->tasks_head, *next; t; t = next) {
		next = t->fnext;
		if (codec_task_state_terminal(t->state))
			continue;
		if (!t->launched) {
			agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_KILLED, NULL,
			                "framework shut down before launch");
			continue;
		}
		t->kill_requested = true;
		if (t->info->has_kill_grace_seconds && t->info->kill_grace_seconds > grace)
			grace = fmin(t->info->kill_grace_seconds, 60);
	}
	fw->launch_pending = false;
	agent_executor_shutdown(a, fw, grace);
	agent_framework_maybe_remove(a, fw);
}

void
agent_on_shutdown_framework(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	agent *a = ctx;
	const Mosaic__ShutdownFramework *m = (const Mosaic__ShutdownFramework *)msg;
	if (!id_valid(m->framework_id)) {
		LOGW("ignoring ShutdownFramework from %s: invalid framework id", from);
		return;
	}
	agent_framework *fw = agent_framework_find(a, m->framework_id);
	if (!fw) {
		LOGD("ShutdownFramework of %s: not on this agent", m->framework_id);
		return;
	}
	LOGI("shutting down framework %s (%zu tasks)", fw->id, fw->ntasks);
	shutdown_framework(a, fw);
}

void
agent_tasks_kill_all(agent *a)
{
	for (agent_framework *fw = a->frameworks, *next; fw; fw = next) {
		next = fw->next;
		shutdown_framework(a, fw);
	}
}

/* ---- recovery ---- */

void
agent_tasks_recover_framework(void *ctx, const Mosaic__FrameworkInfo *info, const char *address)
{
	agent *a = ctx;
	if (!agent_framework_find(a, info->id))
		framework_add(a, info, address);
}

void
agent_tasks_recover_task(void *ctx, const char *fwid, const Mosaic__TaskInfo *info,
                         const Mosaic__TaskStatus *latest)
{
	agent *a = ctx;
	agent_framework *fw = agent_framework_find(a, fwid);
	if (!fw) {
		/* Its framework row was lost: keep the task under a stand-in. */
		Mosaic__FrameworkInfo fi = MOSAIC__FRAMEWORK_INFO__INIT;
		fi.id = (char *)fwid;
		fi.name = "(recovered)";
		fw = framework_add(a, &fi, NULL);
	}
	if (agent_task_find(a, fwid, info->task_id))
		return;
	agent_task *t = agent_task_new(a, fw, info);
	/* Whether it reached the executor, the executor tells when it
	 * re-registers; until then it counts as launched. */
	t->launched = true;
	if (latest) {
		t->state = latest->state;
		t->pid = latest->has_pid ? latest->pid : 0;
		t->sandbox = latest->sandbox ? xstrdup(latest->sandbox) : NULL;
		t->numa = latest->numa_bound ? xstrdup(latest->numa_bound) : NULL;
		if (latest->cpus_bound && *latest->cpus_bound)
			t->cpus = xstrdup(latest->cpus_bound);
	}
	if (codec_task_state_terminal(t->state))
		return;
	if (codec_res_from_pb(&t->res, info->resources) == 0) {
		res_add(&a->used, &t->res);
		t->counted = true;
	}
	if (t->cpus) {
		char key[2 * MOSAIC_ID_MAX];
		core_key(key, sizeof(key), t);
		if (topology_restore(a->topo, key, t->cpus) == 0)
			t->holds_cores = true;
		else
			LOGW("task %s/%s: cannot hold its cores %s again", fwid, t->id, t->cpus);
	}
}
