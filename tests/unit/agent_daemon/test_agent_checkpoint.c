/* test_agent_checkpoint - every table of the agent's checkpoint survives a
 * close and reopen, deletes stick, and rows that are garbage or name
 * invalid ids are skipped rather than trusted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_checkpoint.h"
#include "check.h"
#include "util.h"

typedef struct seen {
	char agent_id[64], master[128];
	int frameworks, executors, tasks, updates;
	char fw_name[64], fw_addr[128];
	char exec_id[64], exec_addr[128];
	unsigned exec_pid;
	char task_cmd[128];
	int task_state;
	int task_has_latest;
	char task_sandbox[128], task_cpus[64];
	char update_keys[4][32];
} seen;

static void
v_meta(void *ctx, const char *key, const char *value)
{
	seen *s = ctx;
	if (strcmp(key, "agent_id") == 0)
		snprintf(s->agent_id, sizeof(s->agent_id), "%s", value);
	if (strcmp(key, "master") == 0)
		snprintf(s->master, sizeof(s->master), "%s", value);
}

static void
v_framework(void *ctx, const Mosaic__FrameworkInfo *info, const char *address)
{
	seen *s = ctx;
	s->frameworks++;
	snprintf(s->fw_name, sizeof(s->fw_name), "%s", info->name);
	snprintf(s->fw_addr, sizeof(s->fw_addr), "%s", address);
}

static void
v_executor(void *ctx, const Mosaic__ExecutorRegister *e)
{
	seen *s = ctx;
	s->executors++;
	snprintf(s->exec_id, sizeof(s->exec_id), "%s", e->executor_id);
	snprintf(s->exec_addr, sizeof(s->exec_addr), "%s", e->address);
	s->exec_pid = e->pid;
}

static void
v_task(void *ctx, const char *fw, const Mosaic__TaskInfo *info, const Mosaic__TaskStatus *latest)
{
	seen *s = ctx;
	s->tasks++;
	snprintf(s->task_cmd, sizeof(s->task_cmd), "%s", info->command->value);
	s->task_has_latest = latest != NULL;
	if (latest) {
		s->task_state = latest->state;
		snprintf(s->task_sandbox, sizeof(s->task_sandbox), "%s",
		         latest->sandbox ? latest->sandbox : "");
		snprintf(s->task_cpus, sizeof(s->task_cpus), "%s",
		         latest->cpus_bound ? latest->cpus_bound : "");
	}
}

static void
v_update(void *ctx, const char *key, const uint8_t *data, size_t len)
{
	seen *s = ctx;
	if (s->updates < 4)
		snprintf(s->update_keys[s->updates], sizeof(s->update_keys[0]), "%s", key);
	s->updates++;
}

static const agent_checkpoint_visitor visitor = {v_meta, v_framework, v_executor, v_task, v_update};

static store *
reopen(store *st, const char *path)
{
	store_close(st);
	char err[256];
	store *s = NULL;
	CHECK_OK(store_open(&s, path, err, sizeof(err)));
	return s;
}

int
main(void)
{
	char dir[] = "/tmp/mosaic-ckpt-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[256];
	snprintf(path, sizeof(path), "%s/agent.db", dir);
	char err[256];
	store *st;
	CHECK_OK(store_open(&st, path, err, sizeof(err)));

	CHECK_OK(agent_checkpoint_put_meta(st, "agent_id", "agent-1"));
	CHECK_OK(agent_checkpoint_put_meta(st, "master", "tcp://127.0.0.1:5050"));
	Mosaic__FrameworkInfo fi = MOSAIC__FRAMEWORK_INFO__INIT;
	fi.id = "fw-1";
	fi.name = "batch";
	CHECK_OK(agent_checkpoint_put_framework(st, &fi, "tcp://127.0.0.1:7000"));
	CHECK_OK(agent_checkpoint_put_executor(st, "fw-1", "exec-1", "ipc:///tmp/x.ipc", 4242));

	Mosaic__CommandInfo cmd = MOSAIC__COMMAND_INFO__INIT;
	cmd.value = "echo hi";
	Mosaic__Resources res = MOSAIC__RESOURCES__INIT;
	res.has_cpus = 1;
	res.cpus = 1;
	Mosaic__TaskInfo ti = MOSAIC__TASK_INFO__INIT;
	ti.task_id = "t1";
	ti.resources = &res;
	ti.command = &cmd;
	CHECK_OK(agent_checkpoint_put_task(st, "fw-1", &ti));
	Mosaic__TaskStatus ts = MOSAIC__TASK_STATUS__INIT;
	ts.task_id = "t1";
	ts.state = MOSAIC__TASK_STATE__TASK_RUNNING;
	ts.sandbox = "/w/frameworks/fw-1/tasks/t1.0";
	ts.cpus_bound = "0-3";
	CHECK_OK(agent_checkpoint_put_task_status(st, "fw-1", &ts));
	/* A second task with only its info row. */
	ti.task_id = "t2";
	CHECK_OK(agent_checkpoint_put_task(st, "fw-1", &ti));
	CHECK_OK(agent_checkpoint_put_update(st, "00000000000000000002", (const uint8_t *)"b", 1));
	CHECK_OK(agent_checkpoint_put_update(st, "00000000000000000001", (const uint8_t *)"a", 1));
	/* Garbage where protobuf is expected, and an id that could escape. */
	CHECK_OK(store_put(st, "frameworks", "fw-bad", "\xff\xff\xff", 3));
	fi.id = "../etc";
	CHECK_OK(agent_checkpoint_put_framework(st, &fi, "x"));
	CHECK_OK(store_put(st, "tasks", "fw-1/t9", "\x08", 1));

	st = reopen(st, path);
	seen s;
	memset(&s, 0, sizeof(s));
	CHECK_OK(agent_checkpoint_load(st, &visitor, &s));
	CHECK(strcmp(s.agent_id, "agent-1") == 0);
	CHECK(strcmp(s.master, "tcp://127.0.0.1:5050") == 0);
	CHECK(s.frameworks == 1);
	CHECK(strcmp(s.fw_name, "batch") == 0);
	CHECK(strcmp(s.fw_addr, "tcp://127.0.0.1:7000") == 0);
	CHECK(s.executors == 1);
	CHECK(strcmp(s.exec_id, "exec-1") == 0 && s.exec_pid == 4242);
	CHECK(s.tasks == 2);
	CHECK(strcmp(s.task_cmd, "echo hi") == 0);
	CHECK(s.updates == 2);
	CHECK(strcmp(s.update_keys[0], "00000000000000000001") == 0);

	/* Only t1 (loaded first, key order) had a latest state. */
	memset(&s, 0, sizeof(s));
	CHECK_OK(agent_checkpoint_del_task(st, "fw-1", "t2"));
	CHECK_OK(agent_checkpoint_load(st, &visitor, &s));
	CHECK(s.tasks == 1);
	CHECK(s.task_has_latest);
	CHECK(s.task_state == MOSAIC__TASK_STATE__TASK_RUNNING);
	CHECK(strcmp(s.task_sandbox, "/w/frameworks/fw-1/tasks/t1.0") == 0);
	CHECK(strcmp(s.task_cpus, "0-3") == 0);

	CHECK_OK(agent_checkpoint_del_update(st, "00000000000000000001"));
	CHECK_OK(agent_checkpoint_del_executor(st, "fw-1"));
	CHECK_OK(agent_checkpoint_del_framework(st, "fw-1"));
	CHECK_OK(agent_checkpoint_del_task(st, "fw-1", "t1"));
	st = reopen(st, path);
	memset(&s, 0, sizeof(s));
	CHECK_OK(agent_checkpoint_load(st, &visitor, &s));
	CHECK(s.frameworks == 0 && s.executors == 0 && s.tasks == 0 && s.updates == 1);

	store_close(st);
	util_remove_tree(dir);
	return check_done();
}
