/* test_agent_flow - the agent library in-process against a fake master on
 * loopback, with the real mosaic-executor and real tasks: registration and
 * pongs, RunTasks with placement and a task that does not fit, exit codes,
 * the sandbox over HTTP, kills, one update in flight per task until acked,
 * an agent restart that recovers its executor and running task, and
 * framework shutdown. Every wait is bounded. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent.h"
#include "agent_impl.h"
#include "agent.pb-c.h"
#include "check.h"
#include "codec.h"
#include "log.h"
#include "loop.h"
#include "messenger.h"
#include "util.h"

#ifndef MOSAIC_EXECUTOR_PATH
#error "MOSAIC_EXECUTOR_PATH must name the mosaic-executor binary"
#endif

#define MAXUP 512

typedef struct update {
	char fw[64];
	char task[64];
	int state;
	uint8_t uuid[16];
	int has_exit, exit_code;
	char message[256];
	char cpus[64];
	char sandbox[512];
	char http[128];
	char agent_id[64];
	unsigned pid;
} update;

typedef struct master {
	messenger *m;
	int registers, reregisters, pongs, agent_updates;
	char agent_addr[256];
	int rereg_tasks;
	char rereg_task[64];
	int rereg_state;
	update up[MAXUP];
	int nup;
	int auto_ack;
} master;

static master M;

static void
ack(const char *to, const update *u)
{
	Mosaic__StatusUpdateAck a = MOSAIC__STATUS_UPDATE_ACK__INIT;
	a.framework_id = (char *)u->fw;
	a.task_id = (char *)u->task;
	a.uuid.data = (uint8_t *)u->uuid;
	a.uuid.len = 16;
	messenger_send(M.m, to, MOSAIC__MESSAGE_TYPE__MSG_STATUS_UPDATE_ACK, &a.base);
}

static void
on_register(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	const Mosaic__RegisterAgent *r = (const Mosaic__RegisterAgent *)msg;
	M.registers++;
	snprintf(M.agent_addr, sizeof(M.agent_addr), "%s", r->info->address);
}

static void
on_reregister(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	const Mosaic__ReregisterAgent *r = (const Mosaic__ReregisterAgent *)msg;
	M.reregisters++;
	snprintf(M.agent_addr, sizeof(M.agent_addr), "%s", r->info->address);
	M.rereg_tasks = (int)r->n_tasks;
	if (r->n_tasks) {
		snprintf(M.rereg_task, sizeof(M.rereg_task), "%s", r->tasks[0]->task->task_id);
		M.rereg_state = r->tasks[0]->state;
	}
}

static void
on_pong(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	const Mosaic__Pong *p = (const Mosaic__Pong *)msg;
	if (p->seq == 7 && strcmp(p->agent_id, "agent-test") == 0)
		M.pongs++;
}

static void
on_update_agent(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	M.agent_updates++;
}

static void
on_status(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	const Mosaic__StatusUpdate *su = (const Mosaic__StatusUpdate *)msg;
	const Mosaic__TaskStatus *s = su->status;
	if (M.nup == MAXUP)
		return;
	update *u = &M.up[M.nup++];
	memset(u, 0, sizeof(*u));
	snprintf(u->fw, sizeof(u->fw), "%s", su->framework_id);
	snprintf(u->task, sizeof(u->task), "%s", s->task_id);
	u->state = s->state;
	if (s->has_uuid && s->uuid.len == 16)
		memcpy(u->uuid, s->uuid.data, 16);
	u->has_exit = s->has_exit_code;
	u->exit_code = s->exit_code;
	snprintf(u->message, sizeof(u->message), "%s", s->message ? s->message : "");
	snprintf(u->cpus, sizeof(u->cpus), "%s", s->cpus_bound ? s->cpus_bound : "");
	snprintf(u->sandbox, sizeof(u->sandbox), "%s", s->sandbox ? s->sandbox : "");
	snprintf(u->http, sizeof(u->http), "%s", s->agent_http ? s->agent_http : "");
	snprintf(u->agent_id, sizeof(u->agent_id), "%s", s->agent_id ? s->agent_id : "");
	u->pid = s->pid;
	if (M.auto_ack)
		ack(from, u);
}

static const messenger_route routes[] = {
    {MOSAIC__MESSAGE_TYPE__MSG_REGISTER_AGENT, &mosaic__register_agent__descriptor, on_register},
    {MOSAIC__MESSAGE_TYPE__MSG_REREGISTER_AGENT, &mosaic__reregister_agent__descriptor, on_reregister},
    {MOSAIC__MESSAGE_TYPE__MSG_PONG, &mosaic__pong__descriptor, on_pong},
    {MOSAIC__MESSAGE_TYPE__MSG_STATUS_UPDATE, &mosaic__status_update__descriptor, on_status},
    {MOSAIC__MESSAGE_TYPE__MSG_UPDATE_AGENT, &mosaic__update_agent__descriptor, on_update_agent},
};

/* The latest update of task in state, or NULL. */
static const update *
find(const char *task, int state)
{
	for (int i = M.nup - 1; i >= 0; i--)
		if (strcmp(M.up[i].task, task) == 0 && M.up[i].state == state)
			return &M.up[i];
	return NULL;
}

static int
count(const char *task, int state)
{
	int n = 0;
	for (int i = 0; i < M.nup; i++)
		n += strcmp(M.up[i].task, task) == 0 && M.up[i].state == state;
	return n;
}

typedef int (*cond_fn)(void *arg);

static int
wait_for(mosaic_loop *loop, cond_fn fn, void *arg, double seconds)
{
	double end = mosaic_mono_now() + seconds;
	while (!fn(arg) && mosaic_mono_now() < end)
		loop_run_once(loop, 0.05);
	return fn(arg);
}

static int
has_registered(void *arg)
{
	return M.registers > 0;
}

static int
has_reregistered(void *arg)
{
	return M.reregisters > 0;
}

static int
agent_is_registered(void *arg)
{
	return agent_registered(arg);
}

static int
has_pong(void *arg)
{
	return M.pongs > 0;
}

typedef struct want {
	const char *task;
	int state;
} want;

static int
has_update(void *arg)
{
	const want *w = arg;
	return find(w->task, w->state) != NULL;
}

static int
wait_update(mosaic_loop *loop, const char *task, int state, double seconds)
{
	want w = {task, state};
	int ok = wait_for(loop, has_update, &w, seconds);
	if (!ok)
		fprintf(stderr, "no %s for task %s within %.0f s\n", codec_task_state_name(state), task,
		        seconds);
	return ok;
}

static Mosaic__TaskInfo *
task(const char *id, const char *cmd, double cpus, double mem)
{
	Mosaic__TaskInfo *t = calloc(1, sizeof(*t));
	mosaic__task_info__init(t);
	t->task_id = (char *)id;
	Mosaic__CommandInfo *c = calloc(1, sizeof(*c));
	mosaic__command_info__init(c);
	c->value = (char *)cmd;
	t->command = c;
	Mosaic__Resources *r = calloc(1, sizeof(*r));
	mosaic__resources__init(r);
	r->has_cpus = 1;
	r->cpus = cpus;
	r->has_mem = 1;
	r->mem = mem;
	t->resources = r;
	return t;
}

static void
task_free(Mosaic__TaskInfo *t)
{
	free(t->command);
	free(t->resources);
	free(t->placement);
	free(t);
}

static void
run_tasks(const char *fwid, Mosaic__TaskInfo **tasks, size_t n)
{
	Mosaic__FrameworkInfo fi = MOSAIC__FRAMEWORK_INFO__INIT;
	fi.id = (char *)fwid;
	fi.name = "test";
	Mosaic__RunTasks rt = MOSAIC__RUN_TASKS__INIT;
	rt.framework = &fi;
	rt.framework_address = "tcp://127.0.0.1:1";
	rt.n_tasks = n;
	rt.tasks = tasks;
	CHECK_OK(messenger_send(M.m, M.agent_addr, MOSAIC__MESSAGE_TYPE__MSG_RUN_TASKS, &rt.base));
}

static void
registered_reply(void)
{
	Mosaic__AgentRegistered r = MOSAIC__AGENT_REGISTERED__INIT;
	r.agent_id = "agent-test";
	r.has_ping_interval = 1;
	r.ping_interval = 1;
	r.has_max_missed = 1;
	r.max_missed = 30;
	CHECK_OK(messenger_send(M.m, M.agent_addr, MOSAIC__MESSAGE_TYPE__MSG_AGENT_REGISTERED, &r.base));
}

static int
http_get(const char *url, const char *path, char *body, size_t cap)
{
	int port = atoi(strrchr(url, ':') + 1);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {5, 0};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(s);
		return -1;
	}
	char req[512];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	if (write(s, req, (size_t)n) != n) {
		close(s);
		return -1;
	}
	char buf[8192];
	size_t got = 0;
	ssize_t r;
	while (got < sizeof(buf) - 1 && (r = read(s, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	close(s);
	int status = 0;
	sscanf(buf, "HTTP/1.1 %d", &status);
	char *b = strstr(buf, "\r\n\r\n");
	snprintf(body, cap, "%s", b ? b + 4 : "");
	return status;
}

static void
kill_task(const char *id, double grace)
{
	Mosaic__KillTask k = MOSAIC__KILL_TASK__INIT;
	k.framework_id = "fw-1";
	k.task_id = (char *)id;
	k.has_grace_seconds = 1;
	k.grace_seconds = grace;
	CHECK_OK(messenger_send(M.m, M.agent_addr, MOSAIC__MESSAGE_TYPE__MSG_KILL_TASK, &k.base));
}

static int
pid_file_gone(void *arg)
{
	return access(arg, F_OK) != 0;
}

static int
fw1_gone(void *arg)
{
	return agent_framework_find(arg, "fw-1") == NULL;
}

static void
stop_watchdog(mosaic_loop *loop, void *arg)
{
	*(int *)arg = 1;
	loop_stop(loop);
}

static void
open_master(mosaic_loop *loop)
{
	char err[256];
	int rv = messenger_open(&M.m, loop, "tcp://127.0.0.1:0", routes, sizeof(routes) / sizeof(routes[0]),
	                        &M, err, sizeof(err));
	if (rv) {
		fprintf(stderr, "fake master: %s\n", err);
		exit(1);
	}
}

int
main(void)
{
	log_init("test", LOG_WARN, NULL);
	/* The fake master's nng threads start before agent_new routes
	 * SIGCHLD through the loop: block it first, as a daemon's main does
	 * by ordering, or a thread of theirs would swallow it. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, NULL);
	char work[] = "/tmp/mosaic-flow-XXXXXX";
	if (!mkdtemp(work))
		return 1;
	mosaic_loop *loop;
	CHECK_OK(loop_new(&loop));
	open_master(loop);

	agent_config cfg;
	agent_config_init(&cfg);
	snprintf(cfg.master, sizeof(cfg.master), "%s", messenger_address(M.m));
	snprintf(cfg.work_dir, sizeof(cfg.work_dir), "%s", work);
	snprintf(cfg.hostname, sizeof(cfg.hostname), "agent-t");
	/* The executor, through a wrapper that makes framework fw-old's first
	 * one announce no sandbox layout, as an executor from before it did. */
	char wrapper[600], mark[600];
	snprintf(wrapper, sizeof(wrapper), "%s/executor-wrapper", work);
	snprintf(mark, sizeof(mark), "%s/old-executor-started", work);
	FILE *wf = fopen(wrapper, "w");
	CHECK(wf != NULL);
	fprintf(wf,
	        "#!/bin/sh\n"
	        "case \" $* \" in *\" fw-old \"*) [ -e '%s' ] || { : > '%s'; exec '%s' \"$@\" --sandbox-layout 0; } ;; esac\n"
	        "exec '%s' \"$@\"\n",
	        mark, mark, MOSAIC_EXECUTOR_PATH, MOSAIC_EXECUTOR_PATH);
	fclose(wf);
	chmod(wrapper, 0755);
	snprintf(cfg.executor, sizeof(cfg.executor), "%s", wrapper);
	snprintf(cfg.topology, sizeof(cfg.topology), "pack:2 numa:1 core:4 pu:1");
	char err[512];
	CHECK_OK(
	    res_parse(&cfg.resources, "cpus:8;mem:1024;disk:1000;ports:[31000-31010]", err, sizeof(err)));
	cfg.res_given = AGENT_RES_CPUS | AGENT_RES_MEM | AGENT_RES_DISK | AGENT_RES_PORTS;
	cfg.recovery_timeout = 30;
	cfg.log_level = LOG_INFO; /* passed on to the executor, whose log is checked */

	agent *a;
	int rv = agent_new(&a, loop, &cfg, err, sizeof(err));
	if (rv) {
		fprintf(stderr, "agent_new: %s\n", err);
		return 1;
	}
	CHECK(wait_for(loop, has_registered, NULL, 5));
	CHECK(strcmp(M.agent_addr, agent_address(a)) == 0);
	registered_reply();
	CHECK(wait_for(loop, agent_is_registered, a, 5));
	Mosaic__Ping ping = MOSAIC__PING__INIT;
	ping.has_seq = 1;
	ping.seq = 7;
	CHECK_OK(messenger_send(M.m, M.agent_addr, MOSAIC__MESSAGE_TYPE__MSG_PING, &ping.base));
	CHECK(wait_for(loop, has_pong, NULL, 5));

	/* One batch: a success, a failure, a bound sleeper, one too big, one
	 * with an id that would escape the sandbox tree. */
	M.auto_ack = 1;
	Mosaic__TaskInfo *t[5];
	t[0] = task("ok", "echo hello; echo err >&2", 0.5, 32);
	t[1] = task("fail3", "exit 3", 0.5, 32);
	t[2] = task("sleeper", "sleep 30", 2, 32);
	t[2]->placement = calloc(1, sizeof(Mosaic__Placement));
	mosaic__placement__init(t[2]->placement);
	t[2]->placement->has_kind = 1;
	t[2]->placement->kind = MOSAIC__PLACEMENT_KIND__PLACE_PACK;
	t[3] = task("huge", "true", 100, 32);
	t[4] = task("../evil", "true", 0.1, 1);
	run_tasks("fw-1", t, 5);
	CHECK(wait_update(loop, "ok", MOSAIC__TASK_STATE__TASK_FINISHED, 15));
	CHECK(wait_update(loop, "fail3", MOSAIC__TASK_STATE__TASK_FAILED, 10));
	CHECK(wait_update(loop, "sleeper", MOSAIC__TASK_STATE__TASK_RUNNING, 10));
	CHECK(wait_update(loop, "huge", MOSAIC__TASK_STATE__TASK_FAILED, 5));
	const update *u = find("ok", MOSAIC__TASK_STATE__TASK_RUNNING);
	CHECK(u && u->pid > 0 && strstr(u->sandbox, "/frameworks/fw-1/tasks/ok.0") != NULL);
	CHECK(u && strcmp(u->agent_id, "agent-test") == 0 && strcmp(u->http, agent_http_address(a)) == 0);
	u = find("ok", MOSAIC__TASK_STATE__TASK_FINISHED);
	CHECK(u && u->has_exit && u->exit_code == 0);
	u = find("fail3", MOSAIC__TASK_STATE__TASK_FAILED);
	CHECK(u && u->exit_code == 3 && strcmp(u->message, "Command exited with status 3") == 0);
	u = find("sleeper", MOSAIC__TASK_STATE__TASK_RUNNING);
	CHECK(u && strcmp(u->cpus, "0-1") == 0);
	u = find("huge", MOSAIC__TASK_STATE__TASK_FAILED);
	CHECK(u && strstr(u->message, "not enough free resources") != NULL);
	CHECK(count("../evil", MOSAIC__TASK_STATE__TASK_FINISHED) == 0);
	/* The placement changed the free cores: an UpdateAgent went out. */
	CHECK(M.agent_updates > 0);

	char body[4096];
	CHECK(http_get(agent_http_address(a), "/files/fw-1/ok/stdout", body, sizeof(body)) == 200);
	CHECK(strcmp(body, "hello\n") == 0);
	CHECK(http_get(agent_http_address(a), "/files/fw-1/ok/stderr", body, sizeof(body)) == 200);
	CHECK(strcmp(body, "err\n") == 0);
	char pidfile[600];
	snprintf(pidfile, sizeof(pidfile), "%s/executors/fw-1/pid", work);
	CHECK(access(pidfile, F_OK) == 0);

	kill_task("sleeper", 1);
	CHECK(wait_update(loop, "sleeper", MOSAIC__TASK_STATE__TASK_KILLED, 10));

	/* Inline scripts (CommandInfo.script): written into the sandbox and
	 * exec'd with their arguments; one without "#!" fails with the reason. */
	Mosaic__TaskInfo *sc[2] = {task("scripted", "job", 0.1, 8), task("noshebang", "job", 0.1, 8)};
	char *sargs[] = {"job", "x", "y z"};
	sc[0]->command->script = "#!/bin/sh\necho \"$# $1|$2 ${0##*/}\"\n";
	sc[0]->command->arguments = sargs;
	sc[0]->command->n_arguments = 3;
	sc[1]->command->script = "echo no interpreter\n";
	run_tasks("fw-1", sc, 2);
	CHECK(wait_update(loop, "scripted", MOSAIC__TASK_STATE__TASK_FINISHED, 10));
	CHECK(wait_update(loop, "noshebang", MOSAIC__TASK_STATE__TASK_FAILED, 10));
	CHECK(http_get(agent_http_address(a), "/files/fw-1/scripted/stdout", body, sizeof(body)) == 200);
	CHECK(strcmp(body, "2 x|y z script\n") == 0);
	u = find("noshebang", MOSAIC__TASK_STATE__TASK_FAILED);
	CHECK(u && strstr(u->message, "#! line") != NULL);
	task_free(sc[0]);
	task_free(sc[1]);

	/* Unacknowledged, RUNNING is resent and FINISHED waits behind it. */
	M.auto_ack = 0;
	Mosaic__TaskInfo *q[1] = {task("quick", "true", 0.1, 8)};
	run_tasks("fw-1", q, 1);
	CHECK(wait_update(loop, "quick", MOSAIC__TASK_STATE__TASK_RUNNING, 10));
	double end = mosaic_mono_now() + 2.5;
	while (mosaic_mono_now() < end)
		loop_run_once(loop, 0.05);
	CHECK(count("quick", MOSAIC__TASK_STATE__TASK_RUNNING) >= 2);
	CHECK(count("quick", MOSAIC__TASK_STATE__TASK_FINISHED) == 0);
	ack(M.agent_addr, find("quick", MOSAIC__TASK_STATE__TASK_RUNNING));
	M.auto_ack = 1;
	CHECK(wait_update(loop, "quick", MOSAIC__TASK_STATE__TASK_FINISHED, 10));
	ack(M.agent_addr, find("quick", MOSAIC__TASK_STATE__TASK_FINISHED));

	/* A long task survives an agent restart (and a new master). */
	Mosaic__TaskInfo *l[1] = {task("long", "sleep 60", 0.5, 8)};
	run_tasks("fw-1", l, 1);
	CHECK(wait_update(loop, "long", MOSAIC__TASK_STATE__TASK_RUNNING, 10));
	unsigned long_pid = find("long", MOSAIC__TASK_STATE__TASK_RUNNING)->pid;
	end = mosaic_mono_now() + 0.5;
	while (mosaic_mono_now() < end)
		loop_run_once(loop, 0.05);
	agent_free(a);
	messenger_close(M.m);
	loop_free(loop);
	memset(&M, 0, sizeof(M));
	M.auto_ack = 1;

	CHECK_OK(loop_new(&loop));
	open_master(loop);
	snprintf(cfg.master, sizeof(cfg.master), "%s", messenger_address(M.m));
	cfg.executor_idle_timeout = 2;
	rv = agent_new(&a, loop, &cfg, err, sizeof(err));
	if (rv) {
		fprintf(stderr, "agent_new again: %s\n", err);
		return 1;
	}
	CHECK(wait_for(loop, has_reregistered, NULL, 10));
	CHECK(M.registers == 0);
	CHECK(M.rereg_tasks == 1 && strcmp(M.rereg_task, "long") == 0 &&
	      M.rereg_state == MOSAIC__TASK_STATE__TASK_RUNNING);
	registered_reply();
	CHECK(wait_for(loop, agent_is_registered, a, 5));
	CHECK(strcmp(agent_id(a), "agent-test") == 0);
	CHECK(long_pid > 0 && kill((pid_t)long_pid, 0) == 0);
	/* Give the executor its reconnect, then kill through it. */
	end = mosaic_mono_now() + 1.5;
	while (mosaic_mono_now() < end)
		loop_run_once(loop, 0.05);
	kill_task("long", 1);
	CHECK(wait_update(loop, "long", MOSAIC__TASK_STATE__TASK_KILLED, 10));

	Mosaic__ShutdownFramework sd = MOSAIC__SHUTDOWN_FRAMEWORK__INIT;
	sd.framework_id = "fw-1";
	CHECK_OK(messenger_send(M.m, M.agent_addr, MOSAIC__MESSAGE_TYPE__MSG_SHUTDOWN_FRAMEWORK, &sd.base));
	CHECK(wait_for(loop, pid_file_gone, pidfile, 15));

	char logpath[600], *log = NULL;
	snprintf(logpath, sizeof(logpath), "%s/executors/fw-1/executor.log", work);
	CHECK(util_read_file(logpath, 1 << 20, &log, NULL) == 0 && strstr(log, "isolation") != NULL);
	free(log);

	/* Sandbox GC: fw-1's sandboxes stay while young; a week and a day
	 * on they go, and (fw-1 has left the agent) its directories too. */
	char sb[600], fwdir[600], execdir[600];
	snprintf(sb, sizeof(sb), "%s/frameworks/fw-1/tasks/ok.0", work);
	snprintf(fwdir, sizeof(fwdir), "%s/frameworks/fw-1", work);
	snprintf(execdir, sizeof(execdir), "%s/executors/fw-1", work);
	CHECK(wait_for(loop, fw1_gone, a, 10));
	CHECK(agent_gc_scan(a, mosaic_wall_now()) == 0);
	CHECK(access(sb, F_OK) == 0);
	CHECK(agent_gc_delay(a) > 0 && agent_gc_delay(a) <= 7 * 86400);
	CHECK(agent_gc_scan(a, mosaic_wall_now() + 8 * 86400) >= 6);
	CHECK(access(sb, F_OK) != 0 && access(fwdir, F_OK) != 0 && access(execdir, F_OK) != 0);

	/* An executor left without tasks goes after the idle timeout. */
	Mosaic__TaskInfo *i1[1] = {task("brief", "true", 0.1, 8)};
	run_tasks("fw-2", i1, 1);
	CHECK(wait_update(loop, "brief", MOSAIC__TASK_STATE__TASK_FINISHED, 10));

	/* An executor that predates the sandbox layout gets no task: it is
	 * replaced, and the task runs on its successor. */
	Mosaic__TaskInfo *o1[1] = {task("old1", "true", 0.1, 8)};
	run_tasks("fw-old", o1, 1);
	CHECK(wait_update(loop, "old1", MOSAIC__TASK_STATE__TASK_FINISHED, 20));
	CHECK(access(mark, F_OK) == 0);
	char oldlog[600], *olog = NULL;
	snprintf(oldlog, sizeof(oldlog), "%s/executors/fw-old/executor.log", work);
	CHECK(util_read_file(oldlog, 1 << 20, &olog, NULL) == 0 && olog);
	/* two executors registered; the task ran on the second */
	const char *reg1 = olog ? strstr(olog, "registered with agent") : NULL;
	const char *reg2 = reg1 ? strstr(reg1 + 1, "registered with agent") : NULL;
	const char *ran = reg1 ? strstr(reg1, "task old1 (pid") : NULL;
	CHECK(reg2 != NULL && ran != NULL && ran > reg2);
	free(olog);
	char pidfile2[600];
	snprintf(pidfile2, sizeof(pidfile2), "%s/executors/fw-2/pid", work);
	CHECK(access(pidfile2, F_OK) == 0);
	CHECK(wait_for(loop, pid_file_gone, pidfile2, 10));

	/* SIGUSR1's stop: every task killed, every executor gone, then the
	 * loop ends by itself. */
	Mosaic__TaskInfo *s1[1] = {task("stay", "sleep 60", 0.1, 8)};
	run_tasks("fw-3", s1, 1);
	CHECK(wait_update(loop, "stay", MOSAIC__TASK_STATE__TASK_RUNNING, 10));
	pid_t stay_pid = (pid_t)find("stay", MOSAIC__TASK_STATE__TASK_RUNNING)->pid;
	char pidfile3[600];
	snprintf(pidfile3, sizeof(pidfile3), "%s/executors/fw-3/pid", work);
	agent_stop(a, true);
	int timed_out = 0;
	uint64_t watchdog = loop_timer_start(loop, 20, stop_watchdog, &timed_out);
	loop_run(loop);
	loop_timer_cancel(loop, watchdog);
	CHECK(!timed_out);
	CHECK(find("stay", MOSAIC__TASK_STATE__TASK_KILLED) != NULL);
	CHECK(stay_pid > 0 && kill(stay_pid, 0) != 0);
	CHECK(access(pidfile3, F_OK) != 0);

	agent_free(a);
	messenger_close(M.m);
	loop_free(loop);
	for (int i = 0; i < 5; i++)
		task_free(t[i]);
	task_free(q[0]);
	task_free(l[0]);
	task_free(i1[0]);
	task_free(o1[0]);
	task_free(s1[0]);
	/* MOSAIC_TEST_KEEP=1 leaves the work dir (executor logs) to look at. */
	if (getenv("MOSAIC_TEST_KEEP"))
		fprintf(stderr, "kept %s\n", work);
	else
		util_remove_tree(work);
	return check_done();
}
