/* agent_executors.c - one long-lived mosaic-executor per framework: spawn
 * (posix_spawn, own session), registration, batched launches, kills,
 * shutdown, status relay, liveness, and reconnection after an agent
 * restart.
 *
 * An executor's end is noticed by SIGCHLD (one this process spawned) or by
 * polling /proc (one recovered from the checkpoint, no longer our child);
 * its remaining tasks are failed a moment later, once whatever it sent
 * before dying has been read. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_checkpoint.h"
#include "agent_impl.h"
#include "agent_path.h"
#include "agent_proc.h"
#include "codec.h"
#include "errors.h"
#include "log.h"
#include "mem.h"
#include "util.h"

extern char **environ;

/* A launch message is split well below MESSENGER_MAX_MSG. */
#define LAUNCH_CHUNK_BYTES (3u << 20)
/* Seconds between ExecutorReconnect resends. */
#define RECONNECT_INTERVAL 1.0
/* After SIGTERM, how long an executor has before SIGKILL. */
#define TERM_GRACE 10.0
/* Messages an executor sent before it died are read before its tasks fail. */
#define GONE_DELAY 0.2

static int
exec_dir(const agent *a, const char *fw, char *out, size_t cap)
{
	return agent_path(out, cap, "%s/executors/%s", a->cfg.work_dir, fw);
}

static int
spawn_executor(agent *a, agent_framework *fw, char *err, size_t errlen)
{
	static const char *levels[] = {"error", "warn", "info", "debug"};
	agent_executor *e = &fw->exec;
	char dir[PATH_MAX], sock[PATH_MAX], addr[MESSENGER_ADDR_MAX], logf[PATH_MAX], pidf[PATH_MAX];
	if (exec_dir(a, fw->id, dir, sizeof(dir)) || agent_path(sock, sizeof(sock), "%s/executor.ipc", dir) ||
	    agent_path(logf, sizeof(logf), "%s/executor.log", dir) ||
	    agent_path(pidf, sizeof(pidf), "%s/pid", dir)) {
		snprintf(err, errlen, "executor paths under %s are too long", a->cfg.work_dir);
		return MOSAIC_ETOOBIG;
	}
	if (util_mkdir_p(dir) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return MOSAIC_EIO;
	}
	/* A unix socket path has ~108 bytes; past that the executor listens
	 * on loopback tcp and tells us where in ExecutorRegister. */
	if (strlen(sock) < 100) {
		unlink(sock);
		snprintf(addr, sizeof(addr), "ipc://%s", sock);
	} else {
		snprintf(addr, sizeof(addr), "tcp://127.0.0.1:0");
	}
	char id[MOSAIC_ID_MAX], rt[32], apid[32];
	id_new(id, "exec");
	snprintf(rt, sizeof(rt), "%g", a->cfg.recovery_timeout);
	snprintf(apid, sizeof(apid), "%d", (int)getpid());
	int lvl = a->cfg.log_level < 0 ? 0 : a->cfg.log_level > 3 ? 3 : a->cfg.log_level;
	/* Flag and value pairs, one per line; --isolation only when forced. */
	char *argv[32];
	int argc = 0;
#define ARG(flag, value) (argv[argc++] = (char *)(flag), argv[argc++] = (char *)(value))
	argv[argc++] = a->cfg.executor;
	ARG("--agent", messenger_address(a->msgr));
	ARG("--framework-id", fw->id);
	ARG("--executor-id", id);
	ARG("--address", addr);
	ARG("--work-dir", a->cfg.work_dir);
	ARG("--hostname", a->cfg.hostname);
	ARG("--recovery-timeout", rt);
	ARG("--agent-pid", apid);
	ARG("--log-file", logf);
	ARG("--log-level", levels[lvl]);
	if (a->cfg.isolation[0])
		ARG("--isolation", a->cfg.isolation);
#undef ARG
	argv[argc] = NULL;

	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_init(&fa);
	/* Its own session (terminal signals and our process group leave it
	 * alone), and the signals the loop blocks unblocked and defaulted. */
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/* stderr too: sanitizer reports and crashes land beside its log. */
	posix_spawn_file_actions_addopen(&fa, 1, logf, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	pid_t pid;
	int rv = posix_spawn(&pid, a->cfg.executor, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rv != 0) {
		snprintf(err, errlen, "cannot start %s: %s", a->cfg.executor, strerror(rv));
		return MOSAIC_EIO;
	}
	memset(e, 0, sizeof(*e));
	e->state = EXEC_LAUNCHING;
	snprintf(e->id, sizeof(e->id), "%s", id);
	snprintf(e->address, sizeof(e->address), "%s", addr);
	e->pid = pid;
	e->child = true;
	e->since = loop_now(a->loop);
	char pidtext[32];
	int n = snprintf(pidtext, sizeof(pidtext), "%d\n", (int)pid);
	if (util_write_file_atomic(pidf, pidtext, (size_t)n) != 0)
		LOGW("cannot write %s", pidf);
	agent_txn(a);
	agent_checkpoint_put_executor(a->store, fw->id, e->id, e->address, (uint32_t)pid);
	LOGI("started executor %s for framework %s (pid %d, log %s)", id, fw->id, (int)pid, logf);
	return MOSAIC_OK;
}

void
agent_executor_ensure(agent *a, agent_framework *fw)
{
	if (fw->exec.state == EXEC_RUNNING) {
		agent_txn(a); /* launches go out at the flush, after the commit */
		return;
	}
	if (fw->exec.state != EXEC_NONE || a->stopping || fw->shutting_down)
		return;
	char err[PATH_MAX + 128];
	if (spawn_executor(a, fw, err, sizeof(err)) == 0)
		return;
	LOGE("framework %s: %s", fw->id, err);
	fw->launch_pending = false;
	for (agent_task *t = fw->tasks_head, *next; t; t = next) {
		next = t->fnext;
		if (!t->launched && !codec_task_state_terminal(t->state))
			agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_FAILED, "REASON_EXECUTOR_FAILED", "%s",
			                err);
	}
}

static void
send_chunk(agent *a, agent_framework *fw, Mosaic__TaskLaunch **launches, size_t n)
{
	if (!n)
		return;
	Mosaic__ExecutorLaunch m = MOSAIC__EXECUTOR_LAUNCH__INIT;
	m.n_tasks = n;
	m.tasks = launches;
	agent_send(a, fw->exec.address, MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_LAUNCH, &m.base);
}

void
agent_executor_send_launches(agent *a, agent_framework *fw)
{
	fw->launch_pending = false;
	if (fw->exec.retiring)
		return; /* they wait for its successor (check_retired) */
	size_t n = 0;
	for (agent_task *t = fw->tasks_head; t; t = t->fnext)
		if (!t->launched && t->state == MOSAIC__TASK_STATE__TASK_STAGING)
			n++;
	if (!n)
		return;
	Mosaic__TaskLaunch *tl = xcalloc(n, sizeof(*tl));
	Mosaic__TaskLaunch **ptrs = xcalloc(n, sizeof(*ptrs));
	char **os_cpus = xcalloc(n, sizeof(*os_cpus));
	bool real_topology = a->cfg.topology[0] == '\0';
	size_t i = 0, first = 0, bytes = 0;
	for (agent_task *t = fw->tasks_head; t && i < n; t = t->fnext) {
		if (t->launched || t->state != MOSAIC__TASK_STATE__TASK_STAGING)
			continue;
		mosaic__task_launch__init(&tl[i]);
		tl[i].task = t->info;
		tl[i].sandbox = t->sandbox;
		tl[i].isolation = a->cfg.isolation[0] ? a->cfg.isolation : NULL;
		if (t->cpus) {
			os_cpus[i] = xmalloc(TOPO_LIST_MAX);
			if (topology_os_cpus(a->topo, t->cpus, os_cpus[i], TOPO_LIST_MAX) == 0)
				tl[i].cpus_bound = os_cpus[i];
		}
		/* NUMA nodes of a synthetic layout do not exist on this
		 * machine: bind memory only on a real one. */
		if (t->numa_bind && t->numa && real_topology)
			tl[i].numa_bound = t->numa;
		if (t->uid >= 0) {
			tl[i].has_uid = tl[i].has_gid = 1;
			tl[i].uid = (uint32_t)t->uid;
			tl[i].gid = (uint32_t)t->gid;
		}
		if (t->res.mem > 0) {
			tl[i].has_mem_limit_bytes = 1;
			tl[i].mem_limit_bytes = (uint64_t)(t->res.mem * 1024.0 * 1024.0);
		}
		size_t sz = mosaic__task_launch__get_packed_size(&tl[i]) + 8;
		if (bytes + sz > LAUNCH_CHUNK_BYTES && i > first) {
			send_chunk(a, fw, ptrs + first, i - first);
			first = i;
			bytes = 0;
		}
		bytes += sz;
		ptrs[i] = &tl[i];
		t->launched = true;
		i++;
	}
	send_chunk(a, fw, ptrs + first, i - first);
	LOGD("framework %s: launched %zu tasks on executor %s", fw->id, i, fw->exec.id);
	for (size_t k = 0; k < n; k++)
		free(os_cpus[k]);
	free(os_cpus);
	free(ptrs);
	free(tl);
}

void
agent_executor_kill_task(agent *a, agent_framework *fw, agent_task *t, double grace)
{
	/* Not registered (yet, or again): the kill goes out when it is. */
	if (fw->exec.state != EXEC_RUNNING)
		return;
	Mosaic__ExecutorKill k = MOSAIC__EXECUTOR_KILL__INIT;
	k.task_id = t->id;
	k.has_grace_seconds = grace >= 0;
	k.grace_seconds = grace;
	agent_send(a, fw->exec.address, MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_KILL, &k.base);
}

static void
term_executor(agent *a, agent_executor *e, const char *reason)
{
	if (e->term_sent || e->pid <= 0)
		return;
	e->gone_reason = reason;
	e->term_sent = loop_now(a->loop);
	kill(e->pid, SIGTERM);
}

void
agent_executor_shutdown(agent *a, agent_framework *fw, double grace)
{
	agent_executor *e = &fw->exec;
	if (e->state == EXEC_NONE || e->shutdown_at)
		return;
	e->shutdown_at = loop_now(a->loop);
	e->shutdown_grace = grace;
	if (e->state == EXEC_RUNNING) {
		Mosaic__ExecutorShutdown m = MOSAIC__EXECUTOR_SHUTDOWN__INIT;
		m.has_grace_seconds = 1;
		m.grace_seconds = grace;
		agent_send(a, e->address, MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_SHUTDOWN, &m.base);
	} else {
		/* It cannot hear us yet; it kills its tasks on SIGTERM. */
		term_executor(a, e, "executor shut down");
	}
}

/* ---- an executor's end ---- */

static void
executor_gone(agent *a, agent_framework *fw)
{
	agent_executor *e = &fw->exec;
	const char *reason = e->gone_reason ? e->gone_reason : "executor terminated";
	for (agent_task *t = fw->tasks_head, *next; t; t = next) {
		next = t->fnext;
		if (codec_task_state_terminal(t->state))
			continue;
		if (!t->launched && !fw->shutting_down && !a->stopping)
			continue; /* goes to the next executor */
		if (t->kill_requested)
			agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_KILLED, "REASON_EXECUTOR_TERMINATED",
			                "%s", reason);
		else
			agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_FAILED, "REASON_EXECUTOR_TERMINATED",
			                "%s", reason);
	}
	char dir[PATH_MAX], path[PATH_MAX];
	if (exec_dir(a, fw->id, dir, sizeof(dir)) == 0 && agent_path(path, sizeof(path), "%s/pid", dir) == 0)
		unlink(path);
	if (strncmp(e->address, "ipc://", 6) == 0)
		unlink(e->address + 6);
	if (e->address[0])
		messenger_forget(a->msgr, e->address);
	agent_txn(a);
	agent_checkpoint_del_executor(a->store, fw->id);
	memset(e, 0, sizeof(*e));
	for (agent_task *t = fw->tasks_head; t; t = t->fnext)
		if (!t->launched && !codec_task_state_terminal(t->state))
			fw->launch_pending = true;
	if (fw->launch_pending)
		agent_executor_ensure(a, fw);
	agent_framework_maybe_remove(a, fw);
	agent_check_stopped(a);
}

static void
gone_cb(mosaic_loop *loop, void *arg)
{
	agent *a = arg;
	a->gone_timer = 0;
	for (agent_framework *fw = a->frameworks, *next; fw; fw = next) {
		next = fw->next;
		if (fw->exec.state != EXEC_NONE && fw->exec.gone_pending)
			executor_gone(a, fw);
	}
}

static void
mark_gone(agent *a, agent_framework *fw, const char *reason)
{
	if (fw->exec.gone_pending)
		return;
	fw->exec.gone_pending = true;
	if (reason && !fw->exec.gone_reason)
		fw->exec.gone_reason = reason;
	if (!a->gone_timer)
		a->gone_timer = loop_timer_start(a->loop, GONE_DELAY, gone_cb, a);
}

void
agent_executors_reap(agent *a)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (agent_framework *fw = a->frameworks; fw; fw = fw->next) {
			if (fw->exec.state == EXEC_NONE || fw->exec.pid != pid)
				continue;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				LOGI("executor of framework %s (pid %d) exited", fw->id, (int)pid);
			else if (WIFEXITED(status))
				LOGW("executor of framework %s (pid %d) exited with status %d (see its "
				     "executor.log)",
				     fw->id, (int)pid, WEXITSTATUS(status));
			else
				LOGW("executor of framework %s (pid %d) killed by signal %d", fw->id,
				     (int)pid, WTERMSIG(status));
			mark_gone(a, fw, NULL);
			break;
		}
	}
}

static void
send_reconnect(agent *a, agent_executor *e)
{
	Mosaic__ExecutorReconnect m = MOSAIC__EXECUTOR_RECONNECT__INIT;
	m.agent_id = a->id[0] ? a->id : NULL;
	m.has_agent_pid = 1;
	m.agent_pid = (uint32_t)getpid();
	e->last_reconnect = loop_now(a->loop);
	agent_send(a, e->address, MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_RECONNECT, &m.base);
}

/* The master shuts a framework down only where it has tasks; an executor
 * whose framework went quiet (or away) would otherwise live forever. */
static void
check_idle(agent *a, agent_framework *fw, double now)
{
	bool busy = fw->launch_pending;
	for (agent_task *t = fw->tasks_head; t && !busy; t = t->fnext)
		busy = !codec_task_state_terminal(t->state);
	if (busy) {
		fw->idle_since = 0;
		return;
	}
	if (!fw->idle_since) {
		fw->idle_since = now;
		return;
	}
	if (now - fw->idle_since < a->cfg.executor_idle_timeout)
		return;
	LOGI("executor of framework %s ran no task for %.0f s: shutting it down", fw->id,
	     now - fw->idle_since);
	fw->idle_stop = true;
	agent_executor_shutdown(a, fw, AGENT_KILL_GRACE);
}

/* An executor older than the sandbox layout is given no task (it would
 * refuse the paths); once the tasks it runs have ended it is shut down, and
 * the tasks waiting for it start on a new one (executor_gone). */
static void
check_retired(agent *a, agent_framework *fw)
{
	for (agent_task *t = fw->tasks_head; t; t = t->fnext)
		if (t->launched && !codec_task_state_terminal(t->state))
			return;
	LOGI("executor of framework %s (pid %d) predates the sandbox layout and runs no task: replacing it",
	     fw->id, (int)fw->exec.pid);
	agent_executor_shutdown(a, fw, AGENT_KILL_GRACE);
}

void
agent_executors_tick(agent *a)
{
	double now = loop_now(a->loop);
	for (agent_framework *fw = a->frameworks; fw; fw = fw->next) {
		agent_executor *e = &fw->exec;
		if (e->state == EXEC_NONE || e->gone_pending)
			continue;
		if (!e->child && (!agent_proc_alive(e->pid) || !agent_proc_has_arg(e->pid, e->id))) {
			log_msg(e->shutdown_at || e->term_sent ? LOG_INFO : LOG_WARN,
			        "executor of framework %s (pid %d) is gone", fw->id, (int)e->pid);
			mark_gone(a, fw, NULL);
			continue;
		}
		if (e->state == EXEC_LAUNCHING && now - e->since > a->cfg.executor_register_timeout &&
		    !e->kill_sent) {
			LOGW("executor of framework %s (pid %d) did not register within %.0f s: killing it",
			     fw->id, (int)e->pid, a->cfg.executor_register_timeout);
			e->gone_reason = "executor did not register in time";
			e->kill_sent = now;
			kill(-e->pid, SIGKILL);
		}
		if (e->state == EXEC_RECOVERING && !e->term_sent) {
			if (now - e->since > a->cfg.reconnect_timeout) {
				LOGW("executor of framework %s (pid %d) did not re-register within %.0f s: "
				     "stopping it",
				     fw->id, (int)e->pid, a->cfg.reconnect_timeout);
				term_executor(a, e, "executor did not re-register after the agent restarted");
			} else if (now - e->last_reconnect >= RECONNECT_INTERVAL) {
				send_reconnect(a, e);
			}
		}
		if (e->state == EXEC_RUNNING && !e->shutdown_at) {
			if (e->retiring)
				check_retired(a, fw);
			else
				check_idle(a, fw, now);
		}
		if (e->shutdown_at && !e->term_sent &&
		    now - e->shutdown_at > e->shutdown_grace + AGENT_STOP_SLACK) {
			LOGW("executor of framework %s (pid %d) still runs after its shutdown: stopping it",
			     fw->id, (int)e->pid);
			term_executor(a, e, "executor shut down");
		}
		if (e->term_sent && !e->kill_sent && now - e->term_sent > TERM_GRACE) {
			e->kill_sent = now;
			kill(-e->pid, SIGKILL);
		}
	}
}

bool
agent_executors_any(const agent *a)
{
	for (const agent_framework *fw = a->frameworks; fw; fw = fw->next)
		if (fw->exec.state != EXEC_NONE)
			return true;
	return false;
}

void
agent_executors_kill_hard(agent *a)
{
	for (agent_framework *fw = a->frameworks; fw; fw = fw->next) {
		if (fw->exec.state != EXEC_NONE && fw->exec.pid > 0)
			kill(-fw->exec.pid, SIGKILL);
		/* Tasks lead their own process groups. */
		for (agent_task *t = fw->tasks_head; t; t = t->fnext)
			if (t->pid > 0 && !codec_task_state_terminal(t->state))
				kill(-(pid_t)t->pid, SIGKILL);
	}
}

/* ---- recovery ---- */

void
agent_executors_recover_row(void *ctx, const Mosaic__ExecutorRegister *r)
{
	agent *a = ctx;
	agent_framework *fw = agent_framework_find(a, r->framework_id);
	if (!fw) {
		LOGW("checkpoint: executor %s of unknown framework %s: stopping it", r->executor_id,
		     r->framework_id);
		if (r->has_pid && agent_proc_alive((pid_t)r->pid) &&
		    agent_proc_has_arg((pid_t)r->pid, r->executor_id))
			kill((pid_t)r->pid, SIGTERM);
		agent_checkpoint_del_executor(a->store, r->framework_id);
		return;
	}
	agent_executor *e = &fw->exec;
	e->state = EXEC_RECOVERING;
	snprintf(e->id, sizeof(e->id), "%s", r->executor_id);
	snprintf(e->address, sizeof(e->address), "%s", r->address);
	e->pid = r->has_pid ? (pid_t)r->pid : 0;
	e->child = false;
}

void
agent_executors_recover(agent *a)
{
	double now = loop_now(a->loop);
	for (agent_framework *fw = a->frameworks, *next; fw; fw = next) {
		next = fw->next;
		agent_executor *e = &fw->exec;
		if (e->state == EXEC_NONE) {
			for (agent_task *t = fw->tasks_head, *tn; t; t = tn) {
				tn = t->fnext;
				if (!codec_task_state_terminal(t->state))
					agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_LOST,
					                "REASON_AGENT_RESTARTED",
					                "the agent restarted before the task was launched");
			}
			continue;
		}
		e->since = now;
		size_t alen = strlen(e->address);
		bool reachable = alen > 2 && strcmp(e->address + alen - 2, ":0") != 0;
		if (e->pid > 0 && agent_proc_alive(e->pid) && agent_proc_has_arg(e->pid, e->id) &&
		    reachable) {
			LOGI("reconnecting to executor %s of framework %s (pid %d)", e->id, fw->id,
			     (int)e->pid);
			send_reconnect(a, e);
		} else if (e->pid > 0 && agent_proc_alive(e->pid) && agent_proc_has_arg(e->pid, e->id)) {
			term_executor(a, e, "executor unreachable after the agent restarted");
		} else {
			LOGW("executor %s of framework %s is gone", e->id, fw->id);
			e->gone_reason = "executor terminated while the agent was down";
			executor_gone(a, fw);
		}
	}
}

/* ---- messages from executors ---- */

static agent_framework *
framework_of_executor(agent *a, const char *from)
{
	for (agent_framework *fw = a->frameworks; fw; fw = fw->next)
		if (fw->exec.state == EXEC_RUNNING && strcmp(fw->exec.address, from) == 0)
			return fw;
	return NULL;
}

/* After an agent restart the executor lists what it still has; tasks it
 * does not know never reached it (or were lost with it). */
static void
reconcile(agent *a, agent_framework *fw, const Mosaic__ExecutorRegister *m)
{
	for (size_t i = 0; i < m->n_tasks; i++) {
		const Mosaic__ExecutorTask *et = m->tasks[i];
		agent_task *t = id_valid(et->task_id) ? agent_task_find(a, fw->id, et->task_id) : NULL;
		if (!t) {
			LOGW("executor of %s runs task %s this agent does not know: killing it", fw->id,
			     et->task_id);
			Mosaic__ExecutorKill k = MOSAIC__EXECUTOR_KILL__INIT;
			k.task_id = et->task_id;
			agent_send(a, fw->exec.address, MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_KILL, &k.base);
			continue;
		}
		if (et->has_pid && et->pid && t->pid != et->pid) {
			t->pid = et->pid;
			agent_task_checkpoint(a, t);
		}
	}
	for (agent_task *t = fw->tasks_head, *next; t; t = next) {
		next = t->fnext;
		if (!t->launched || codec_task_state_terminal(t->state))
			continue;
		bool known = false;
		for (size_t i = 0; i < m->n_tasks && !known; i++)
			known = strcmp(m->tasks[i]->task_id, t->id) == 0;
		if (!known)
			agent_task_fail(a, t, MOSAIC__TASK_STATE__TASK_LOST, "REASON_AGENT_RESTARTED",
			                "task unknown to its executor after the agent restarted");
		else if (t->kill_requested)
			agent_executor_kill_task(a, fw, t, -1);
	}
}

void
agent_on_executor_register(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	agent *a = ctx;
	const Mosaic__ExecutorRegister *m = (const Mosaic__ExecutorRegister *)msg;
	agent_framework *fw = id_valid(m->framework_id) ? agent_framework_find(a, m->framework_id) : NULL;
	agent_executor *e = fw ? &fw->exec : NULL;
	if (!e || e->state == EXEC_NONE || strcmp(e->id, m->executor_id) != 0 || e->gone_pending) {
		/* A stray (its framework ended, or a checkpoint was lost):
		 * nobody will run tasks on it, so let it go. */
		LOGW("unexpected executor %s of framework %s at %s: telling it to shut down", m->executor_id,
		     m->framework_id, from);
		Mosaic__ExecutorShutdown sd = MOSAIC__EXECUTOR_SHUTDOWN__INIT;
		agent_send(a, from, MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_SHUTDOWN, &sd.base);
		return;
	}
	bool recovering = e->state == EXEC_RECOVERING;
	if (e->state == EXEC_RUNNING && strcmp(e->address, from) == 0 && !recovering && m->n_tasks == 0) {
		/* Our ExecutorRegistered was lost: answer again. */
		Mosaic__ExecutorRegistered r = MOSAIC__EXECUTOR_REGISTERED__INIT;
		r.agent_id = a->id[0] ? a->id : NULL;
		agent_send(a, from, MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_REGISTERED, &r.base);
		return;
	}
	if (strcmp(e->address, from) != 0 && e->address[0])
		messenger_forget(a->msgr, e->address);
	snprintf(e->address, sizeof(e->address), "%s", from);
	if (m->has_pid && m->pid && !e->child)
		e->pid = (pid_t)m->pid;
	e->state = EXEC_RUNNING;
	e->retiring = !m->has_sandbox_layout || m->sandbox_layout != AGENT_SANDBOX_LAYOUT;
	if (e->retiring)
		LOGW("executor %s of framework %s predates this agent's sandbox layout: it keeps the tasks "
		     "it runs, gets no new ones, and is replaced once they have ended",
		     e->id, fw->id);
	agent_txn(a);
	agent_checkpoint_put_executor(a->store, fw->id, e->id, e->address, (uint32_t)e->pid);
	LOGI("executor %s of framework %s registered from %s%s", e->id, fw->id, from,
	     recovering ? " again after the agent restart" : "");
	Mosaic__ExecutorRegistered r = MOSAIC__EXECUTOR_REGISTERED__INIT;
	r.agent_id = a->id[0] ? a->id : NULL;
	agent_send(a, from, MOSAIC__MESSAGE_TYPE__MSG_EXECUTOR_REGISTERED, &r.base);
	if (recovering || m->n_tasks)
		reconcile(a, fw, m);
	if (fw->shutting_down || a->stopping) {
		e->shutdown_at = 0;
		agent_executor_shutdown(a, fw, AGENT_KILL_GRACE);
		return;
	}
	for (agent_task *t = fw->tasks_head; t; t = t->fnext)
		if (!t->launched && t->state == MOSAIC__TASK_STATE__TASK_STAGING)
			fw->launch_pending = true;
	if (fw->launch_pending)
		agent_txn(a);
}

static bool
executor_state_ok(int s)
{
	return s == MOSAIC__TASK_STATE__TASK_STARTING || s == MOSAIC__TASK_STATE__TASK_RUNNING ||
	       s == MOSAIC__TASK_STATE__TASK_KILLING || s == MOSAIC__TASK_STATE__TASK_FINISHED ||
	       s == MOSAIC__TASK_STATE__TASK_FAILED || s == MOSAIC__TASK_STATE__TASK_KILLED ||
	       s == MOSAIC__TASK_STATE__TASK_ERROR || s == MOSAIC__TASK_STATE__TASK_LOST;
}

void
agent_on_executor_status(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	agent *a = ctx;
	const Mosaic__ExecutorStatus *m = (const Mosaic__ExecutorStatus *)msg;
	const Mosaic__TaskStatus *in = m->status;
	agent_framework *fw = framework_of_executor(a, from);
	if (!fw) {
		LOGW("ignoring ExecutorStatus from %s: not a registered executor", from);
		return;
	}
	agent_task *t = id_valid(in->task_id) ? agent_task_find(a, fw->id, in->task_id) : NULL;
	/* Duplicates (a resend whose ack was lost, or after an agent
	 * restart) are acknowledged again and otherwise ignored: a task's
	 * states only move forward. */
	if (t && executor_state_ok(in->state) && !codec_task_state_terminal(t->state) &&
	    in->state != (Mosaic__TaskState)t->state) {
		Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
		st.state = in->state;
		st.message = in->message;
		st.reason = in->reason;
		st.has_source = 1;
		st.source = MOSAIC__STATUS_SOURCE__SOURCE_EXECUTOR;
		st.has_exit_code = in->has_exit_code;
		st.exit_code = in->exit_code;
		st.has_term_signal = in->has_term_signal;
		st.term_signal = in->term_signal;
		st.has_pid = in->has_pid;
		st.pid = in->pid;
		agent_task_transition(a, t, &st);
	} else if (!t) {
		/* A resend of a task whose last update was already acknowledged. */
		LOGD("executor of %s reports unknown task %s", fw->id, in->task_id);
	} else if (!executor_state_ok(in->state)) {
		LOGW("executor of %s reports task %s in state %d: ignored", fw->id, t->id, in->state);
	}
	if (m->has_id)
		agent_queue_ack(a, from, m->id);
}
