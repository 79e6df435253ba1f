/* executor_tasks.c - the executor's tasks: start each one directly with
 * the containerizer (one spawn per task, no intermediate process), kill
 * it (SIGTERM to its process group, SIGKILL after the grace), reap it and
 * turn its end into a final state. */
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_path.h"
#include "codec.h"
#include "errors.h"
#include "executor_impl.h"
#include "log.h"
#include "mem.h"
#include "util.h"

extern char **environ;

exec_task *
executor_task_find(executor *e, const char *id)
{
	for (exec_task *t = e->tasks; t; t = t->next)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

static exec_task *
task_by_pid(executor *e, pid_t pid)
{
	for (exec_task *t = e->tasks; t; t = t->next)
		if (t->live && t->pid == pid)
			return t;
	return NULL;
}

exec_task *
executor_task_add(executor *e, const char *id)
{
	exec_task *t = xcalloc(1, sizeof(*t));
	t->owner = e;
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->state = MOSAIC__TASK_STATE__TASK_STAGING;
	t->grace = EXECUTOR_KILL_GRACE;
	t->next = e->tasks;
	if (e->tasks)
		e->tasks->prev = t;
	e->tasks = t;
	e->ntasks++;
	return t;
}

void
executor_task_free(executor *e, exec_task *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		e->tasks = t->next;
	if (t->next)
		t->next->prev = t->prev;
	e->ntasks--;
	if (t->live)
		e->nlive--;
	loop_timer_cancel(e->loop, t->kill_timer);
	free(t->sandbox);
	free(t->cpus);
	free(t->numa);
	free(t);
}

static void fail(executor *e, exec_task *t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
fail(executor *e, exec_task *t, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.state = MOSAIC__TASK_STATE__TASK_FAILED;
	st.message = msg;
	st.reason = "REASON_COMMAND_EXECUTOR_FAILED";
	LOGW("task %s: %s", t->id, msg);
	executor_report(e, t, &st);
}

/* The task's environment: the executor's own (PATH, locale, what the
 * operator gave the agent), the MOSAIC_* facts of the task, the user's
 * identity when it runs as someone else, then CommandInfo.environment. */
typedef struct envlist {
	char **v; /* "name=value", NULL-terminated */
	size_t n, cap;
	uint32_t *idx; /* open addressing by name: index + 1, 0 empty */
	size_t icap;   /* a power of two, at least 2 * cap */
} envlist;

/* The slot of name in the index: its entry's, or the empty one it would
 * take. A task's environment is ~100 variables, set one by one: a scan
 * of the list for each was most of what building it cost. */
static uint32_t *
env_slot(const envlist *l, const char *name, size_t nlen)
{
	size_t mask = l->icap - 1;
	for (size_t i = util_fnv1a(UTIL_FNV1A_SEED, name, nlen) & mask;; i = (i + 1) & mask) {
		uint32_t k = l->idx[i];
		if (!k || (strncmp(l->v[k - 1], name, nlen) == 0 && l->v[k - 1][nlen] == '='))
			return &l->idx[i];
	}
}

/* Takes entry ("name=value", name nlen long). */
static void
env_put(envlist *l, char *entry, size_t nlen)
{
	if (l->n + 2 > l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->v = xrealloc(l->v, l->cap * sizeof(char *));
		free(l->idx);
		l->icap = 2 * l->cap;
		l->idx = xcalloc(l->icap, sizeof(uint32_t));
		for (size_t i = 0; i < l->n; i++)
			*env_slot(l, l->v[i], (size_t)(strchr(l->v[i], '=') - l->v[i])) = (uint32_t)i + 1;
	}
	uint32_t *slot = env_slot(l, entry, nlen);
	if (*slot) {
		free(l->v[*slot - 1]);
		l->v[*slot - 1] = entry;
		return;
	}
	l->v[l->n] = entry;
	*slot = (uint32_t)++l->n;
	l->v[l->n] = NULL;
}

/* Not xasprintf: its formatting machinery, a hundred calls per task,
 * showed in perf profiles of the executor. */
static void
env_set(envlist *l, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	char *entry = xmalloc(nlen + vlen + 2);
	memcpy(entry, name, nlen);
	entry[nlen] = '=';
	memcpy(entry + nlen + 1, value, vlen + 1);
	env_put(l, entry, nlen);
}

static void
env_free(envlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->idx);
}

static void
env_build(executor *e, const Mosaic__TaskLaunch *tl, envlist *l)
{
	memset(l, 0, sizeof(*l));
	for (char **p = environ; *p; p++) {
		const char *eq = strchr(*p, '=');
		if (eq && eq != *p)
			env_put(l, xstrdup(*p), (size_t)(eq - *p));
	}
	const Mosaic__TaskInfo *ti = tl->task;
	env_set(l, "MOSAIC_TASK_ID", ti->task_id);
	if (ti->name)
		env_set(l, "MOSAIC_TASK_NAME", ti->name);
	env_set(l, "MOSAIC_FRAMEWORK_ID", e->cfg.framework_id);
	env_set(l, "MOSAIC_EXECUTOR_ID", e->cfg.executor_id);
	env_set(l, "MOSAIC_SANDBOX", tl->sandbox);
	env_set(l, "MOSAIC_AGENT_HOSTNAME", e->cfg.hostname);
	if (tl->cpus_bound)
		env_set(l, "MOSAIC_CPUS_BOUND", tl->cpus_bound);
	if (ti->resources && ti->resources->has_cpus) {
		char cpus[32];
		snprintf(cpus, sizeof(cpus), "%g", ti->resources->cpus);
		env_set(l, "MOSAIC_CPUS", cpus);
	}
	container_user u;
	if (tl->has_uid && containerizer_user(e->cont, (uid_t)tl->uid, &u) == 0) {
		env_set(l, "HOME", u.home);
		env_set(l, "USER", u.name);
		env_set(l, "LOGNAME", u.name);
	}
	const Mosaic__CommandInfo *c = ti->command;
	for (size_t i = 0; i < c->n_environment; i++) {
		const Mosaic__EnvVar *v = c->environment[i];
		if (*v->name && !strchr(v->name, '='))
			env_set(l, v->name, v->value);
	}
}

/* The agent made the sandbox <work_dir>/frameworks/<fw>/tasks/<task>.<n>
 * (agent_path.h); anything else is refused rather than trusted. Its run n,
 * or -1. */
static long
sandbox_run(executor *e, const char *task, const char *sandbox)
{
	char prefix[PATH_MAX], id[MOSAIC_ID_MAX];
	if (!sandbox || agent_path(prefix, sizeof(prefix), "%s/frameworks/%s/tasks/", e->cfg.work_dir,
	                           e->cfg.framework_id))
		return -1;
	size_t n = strlen(prefix);
	if (strncmp(sandbox, prefix, n) != 0 || strchr(sandbox + n, '/'))
		return -1;
	long run = agent_sandbox_parse(sandbox + n, id, sizeof(id));
	return run >= 0 && strcmp(id, task) == 0 ? run : -1;
}

static void
launch(executor *e, const Mosaic__TaskLaunch *tl)
{
	const Mosaic__TaskInfo *ti = tl->task;
	if (!id_valid(ti->task_id)) {
		LOGW("ignoring a launch with an invalid task id");
		return;
	}
	exec_task *t = executor_task_find(e, ti->task_id);
	if (t && !codec_task_state_terminal(t->state)) {
		LOGW("task %s is already running here: ignoring the second launch", ti->task_id);
		return;
	}
	if (t)
		executor_task_free(e, t);
	t = executor_task_add(e, ti->task_id);
	if (ti->has_kill_grace_seconds && ti->kill_grace_seconds >= 0 && ti->kill_grace_seconds < 3600)
		t->grace = ti->kill_grace_seconds;
	if (e->shutting_down) {
		fail(e, t, "executor is shutting down");
		return;
	}
	long run = sandbox_run(e, ti->task_id, tl->sandbox);
	if (run < 0) {
		fail(e, t, "sandbox %s is not under %s", tl->sandbox ? tl->sandbox : "(none)",
		     e->cfg.work_dir);
		return;
	}
	if (tl->isolation && strcmp(tl->isolation, containerizer_isolation(e->cont)) != 0)
		LOGW("task %s asks for %s isolation; this executor has %s", ti->task_id, tl->isolation,
		     containerizer_isolation(e->cont));
	t->sandbox = xstrdup(tl->sandbox);
	t->cpus = tl->cpus_bound ? xstrdup(tl->cpus_bound) : NULL;
	t->numa = tl->numa_bound ? xstrdup(tl->numa_bound) : NULL;
	const Mosaic__CommandInfo *c = ti->command;
	/* With a script, shell is ignored and value only names it. */
	bool shell = !c->script && (!c->has_shell || c->shell);
	if (!c->script && !c->value && (shell || c->n_arguments == 0)) {
		fail(e, t, "task has no command");
		return;
	}
	char **argv = NULL;
	if (!shell && c->n_arguments) {
		argv = xcalloc(c->n_arguments + 1, sizeof(char *));
		for (size_t i = 0; i < c->n_arguments; i++)
			argv[i] = c->arguments[i];
	}
	envlist env = {0};
	env_build(e, tl, &env);
	char cid[3 * MOSAIC_ID_MAX + 32];
	snprintf(cid, sizeof(cid), "%s.%s.%ld", e->cfg.framework_id, ti->task_id, run);
	container_spec spec = {
	    .id = cid,
	    .sandbox = tl->sandbox,
	    .cwd = c->cwd,
	    .shell = shell,
	    .command = c->value         ? c->value
	               : c->n_arguments ? c->arguments[0]
	                                : CONTAINER_SCRIPT_NAME,
	    .argv = argv,
	    .script = c->script,
	    .env = env.v,
	    .stdout_path = c->stdout_path,
	    .stderr_path = c->stderr_path,
	    .cpus =
	        ti->resources && ti->resources->has_cpus && ti->resources->cpus > 0 ? ti->resources->cpus : 0,
	    .mem_bytes = tl->has_mem_limit_bytes ? tl->mem_limit_bytes : 0,
	    .cpu_list = tl->cpus_bound,
	    .mem_nodes = tl->numa_bound,
	    .uid = tl->has_uid ? (int)tl->uid : -1,
	    .gid = tl->has_gid ? (int)tl->gid : -1,
	};
	char err[512] = "";
	pid_t pid;
	int rv = containerizer_launch(e->cont, &spec, &pid, err, sizeof(err));
	env_free(&env);
	free(argv);
	if (rv != 0) {
		fail(e, t, "%s", err[0] ? err : mosaic_strerror(rv));
		return;
	}
	t->pid = pid;
	t->live = true;
	e->nlive++;
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.state = MOSAIC__TASK_STATE__TASK_RUNNING;
	LOGD("task %s running as pid %d", t->id, (int)pid);
	executor_report(e, t, &st);
}

/* Tasks started per loop round. */
#define LAUNCH_BUDGET 32

static void
batch_free(exec_batch *b)
{
	pbmem_free(b->mem);
	free(b->dropped);
	free(b);
}

static void
launch_cb(mosaic_loop *loop, void *arg)
{
	executor *e = arg;
	e->launch_timer = 0;
	for (int n = 0; n < LAUNCH_BUDGET && e->batches;) {
		exec_batch *b = e->batches;
		if (b->next == b->msg->n_tasks) {
			e->batches = b->link;
			if (!e->batches)
				e->batches_tail = NULL;
			batch_free(b);
			continue;
		}
		size_t i = b->next++;
		if (!b->dropped[i]) {
			launch(e, b->msg->tasks[i]);
			n++;
		}
	}
	if (e->batches)
		e->launch_timer = loop_timer_start(loop, 0, launch_cb, e);
}

void
executor_queue_launch(executor *e, Mosaic__ExecutorLaunch *m, pbmem *mem)
{
	if (!m->n_tasks) {
		pbmem_free(mem);
		return;
	}
	exec_batch *b = xcalloc(1, sizeof(*b));
	b->msg = m;
	b->mem = mem;
	b->dropped = xcalloc(b->msg->n_tasks, sizeof(bool));
	if (e->batches_tail)
		e->batches_tail->link = b;
	else
		e->batches = b;
	e->batches_tail = b;
	if (!e->launch_timer)
		e->launch_timer = loop_timer_start(e->loop, 0, launch_cb, e);
}

bool
executor_unqueue(executor *e, const char *task)
{
	for (exec_batch *b = e->batches; b; b = b->link)
		for (size_t i = b->next; i < b->msg->n_tasks; i++)
			if (!b->dropped[i] && strcmp(b->msg->tasks[i]->task->task_id, task) == 0) {
				b->dropped[i] = true;
				return true;
			}
	return false;
}

void
executor_queued_each(executor *e, void (*fn)(void *arg, const char *task), void *arg)
{
	for (exec_batch *b = e->batches; b; b = b->link)
		for (size_t i = b->next; i < b->msg->n_tasks; i++)
			if (!b->dropped[i] && id_valid(b->msg->tasks[i]->task->task_id))
				fn(arg, b->msg->tasks[i]->task->task_id);
}

/* Shutting down: what never started is reported killed (report), or
 * just forgotten (the executor is being freed). */
void
executor_drop_queue(executor *e, bool report)
{
	while (e->batches) {
		exec_batch *b = e->batches;
		e->batches = b->link;
		for (size_t i = b->next; i < b->msg->n_tasks; i++) {
			const char *id = b->msg->tasks[i]->task->task_id;
			if (!report || b->dropped[i] || !id_valid(id) || executor_task_find(e, id))
				continue;
			exec_task *t = executor_task_add(e, id);
			Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
			st.state = MOSAIC__TASK_STATE__TASK_KILLED;
			st.message = "killed before it started";
			executor_report(e, t, &st);
		}
		batch_free(b);
	}
	e->batches_tail = NULL;
	loop_timer_cancel(e->loop, e->launch_timer);
	e->launch_timer = 0;
}

static void
kill_timer_cb(mosaic_loop *loop, void *arg)
{
	exec_task *t = arg;
	t->kill_timer = 0;
	if (!t->live)
		return;
	LOGI("task %s did not stop after SIGTERM: SIGKILL", t->id);
	containerizer_signal(t->owner->cont, t->pid, SIGKILL);
}

void
executor_kill(executor *e, exec_task *t, double grace)
{
	if (!t->live) {
		/* Killed before (or instead of) starting. */
		if (!codec_task_state_terminal(t->state)) {
			Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
			st.state = MOSAIC__TASK_STATE__TASK_KILLED;
			st.message = "killed before it started";
			executor_report(e, t, &st);
		}
		return;
	}
	if (t->kill_requested) {
		/* A second kill with no grace (a forced one) does not wait. */
		if (grace == 0) {
			loop_timer_cancel(e->loop, t->kill_timer);
			t->kill_timer = 0;
			containerizer_signal(e->cont, t->pid, SIGKILL);
		}
		return;
	}
	t->kill_requested = true;
	if (grace < 0)
		grace = t->grace;
	LOGI("killing task %s (pid %d, grace %.1f s)", t->id, (int)t->pid, grace);
	if (grace <= 0) {
		containerizer_signal(e->cont, t->pid, SIGKILL);
		return;
	}
	containerizer_signal(e->cont, t->pid, SIGTERM);
	t->kill_timer = loop_timer_start(e->loop, grace, kill_timer_cb, t);
}

void
executor_kill_all_now(executor *e)
{
	for (exec_task *t = e->tasks; t; t = t->next) {
		if (!t->live)
			continue;
		t->kill_requested = true;
		containerizer_signal(e->cont, t->pid, SIGKILL);
	}
}

static void
finish(executor *e, exec_task *t, const container_exit *x)
{
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	char msg[256];
	if (x->exited) {
		st.has_exit_code = 1;
		st.exit_code = x->exit_code;
		snprintf(msg, sizeof(msg), "Command exited with status %d", x->exit_code);
		st.state =
		    x->exit_code == 0 ? MOSAIC__TASK_STATE__TASK_FINISHED : MOSAIC__TASK_STATE__TASK_FAILED;
	} else {
		st.has_term_signal = 1;
		st.term_signal = x->term_signal;
		snprintf(msg, sizeof(msg), "Command terminated by signal %d (%s)", x->term_signal,
		         strsignal(x->term_signal));
		st.state = MOSAIC__TASK_STATE__TASK_FAILED;
	}
	/* A kill we were asked for ends as KILLED, however the task took it. */
	if (t->kill_requested)
		st.state = MOSAIC__TASK_STATE__TASK_KILLED;
	st.message = msg;
	LOGI("task %s (pid %d): %s -> %s", t->id, (int)t->pid, msg, codec_task_state_name(st.state));
	executor_report(e, t, &st);
}

void
executor_reap(executor *e)
{
	container_exit x;
	while (containerizer_reap(e->cont, &x) == 0) {
		exec_task *t = task_by_pid(e, x.pid);
		if (!t)
			continue;
		t->live = false;
		e->nlive--;
		loop_timer_cancel(e->loop, t->kill_timer);
		t->kill_timer = 0;
		finish(e, t, &x);
	}
	executor_check_done(e);
}
