/* agent_checkpoint.c - the agent's store tables (see agent_checkpoint.h). */
#include "agent_checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ids.h"
#include "log.h"
#include "mem.h"

#define T_META "meta"
#define T_FRAMEWORKS "frameworks"
#define T_EXECUTORS "executors"
#define T_TASKS "tasks"
#define T_TASK_STATUS "task_status"
#define T_UPDATES "updates"

static int
put_msg(store *s, const char *table, const char *key, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t stackbuf[4096];
	uint8_t *buf = len <= sizeof(stackbuf) ? stackbuf : xmalloc(len);
	protobuf_c_message_pack(m, buf);
	int rv = store_put(s, table, key, buf, len);
	if (buf != stackbuf)
		free(buf);
	return rv;
}

static void
task_key(char *out, size_t cap, const char *fw, const char *task)
{
	snprintf(out, cap, "%s/%s", fw, task);
}

int
agent_checkpoint_put_meta(store *s, const char *key, const char *value)
{
	return store_put(s, T_META, key, value, strlen(value));
}

int
agent_checkpoint_put_framework(store *s, const Mosaic__FrameworkInfo *info, const char *address)
{
	Mosaic__RunTasks rt = MOSAIC__RUN_TASKS__INIT;
	rt.framework = (Mosaic__FrameworkInfo *)info;
	rt.framework_address = (char *)address;
	return put_msg(s, T_FRAMEWORKS, info->id, &rt.base);
}

int
agent_checkpoint_del_framework(store *s, const char *fw)
{
	return store_del(s, T_FRAMEWORKS, fw);
}

int
agent_checkpoint_put_executor(store *s, const char *fw, const char *executor_id, const char *address,
                              uint32_t pid)
{
	Mosaic__ExecutorRegister r = MOSAIC__EXECUTOR_REGISTER__INIT;
	r.framework_id = (char *)fw;
	r.executor_id = (char *)executor_id;
	r.address = (char *)address;
	r.has_pid = 1;
	r.pid = pid;
	return put_msg(s, T_EXECUTORS, fw, &r.base);
}

int
agent_checkpoint_del_executor(store *s, const char *fw)
{
	return store_del(s, T_EXECUTORS, fw);
}

int
agent_checkpoint_put_task(store *s, const char *fw, const Mosaic__TaskInfo *info)
{
	char key[2 * MOSAIC_ID_MAX];
	task_key(key, sizeof(key), fw, info->task_id);
	Mosaic__AgentTask t = MOSAIC__AGENT_TASK__INIT;
	t.framework_id = (char *)fw;
	t.task = (Mosaic__TaskInfo *)info;
	t.state = MOSAIC__TASK_STATE__TASK_STAGING;
	return put_msg(s, T_TASKS, key, &t.base);
}

int
agent_checkpoint_put_task_status(store *s, const char *fw, const Mosaic__TaskStatus *latest)
{
	char key[2 * MOSAIC_ID_MAX];
	task_key(key, sizeof(key), fw, latest->task_id);
	return put_msg(s, T_TASK_STATUS, key, &latest->base);
}

int
agent_checkpoint_del_task(store *s, const char *fw, const char *task)
{
	char key[2 * MOSAIC_ID_MAX];
	task_key(key, sizeof(key), fw, task);
	int rv = store_del(s, T_TASKS, key);
	int rv2 = store_del(s, T_TASK_STATUS, key);
	return rv ? rv : rv2;
}

int
agent_checkpoint_put_update(store *s, const char *key, const uint8_t *data, size_t len)
{
	return store_put(s, T_UPDATES, key, data, len);
}

int
agent_checkpoint_del_update(store *s, const char *key)
{
	return store_del(s, T_UPDATES, key);
}

typedef struct load_ctx {
	store *s;
	const agent_checkpoint_visitor *v;
	void *ctx;
} load_ctx;

static int
load_meta(void *arg, const char *key, const void *val, size_t len)
{
	load_ctx *l = arg;
	char *text = xstrndup(val, len);
	if (l->v->meta)
		l->v->meta(l->ctx, key, text);
	free(text);
	return 0;
}

static int
load_framework(void *arg, const char *key, const void *val, size_t len)
{
	load_ctx *l = arg;
	Mosaic__RunTasks *rt = mosaic__run_tasks__unpack(NULL, len, val);
	if (!rt || !rt->framework->id || !id_valid(rt->framework->id) ||
	    strcmp(rt->framework->id, key) != 0) {
		LOGW("checkpoint: skipping undecodable framework row '%s'", key);
	} else if (l->v->framework) {
		l->v->framework(l->ctx, rt->framework, rt->framework_address ? rt->framework_address : "");
	}
	if (rt)
		mosaic__run_tasks__free_unpacked(rt, NULL);
	return 0;
}

static int
load_executor(void *arg, const char *key, const void *val, size_t len)
{
	load_ctx *l = arg;
	Mosaic__ExecutorRegister *r = mosaic__executor_register__unpack(NULL, len, val);
	if (!r || !id_valid(r->framework_id) || strcmp(r->framework_id, key) != 0 ||
	    !id_valid(r->executor_id)) {
		LOGW("checkpoint: skipping undecodable executor row '%s'", key);
	} else if (l->v->executor) {
		l->v->executor(l->ctx, r);
	}
	if (r)
		mosaic__executor_register__free_unpacked(r, NULL);
	return 0;
}

static int
load_task(void *arg, const char *key, const void *val, size_t len)
{
	load_ctx *l = arg;
	Mosaic__AgentTask *t = mosaic__agent_task__unpack(NULL, len, val);
	char want[2 * MOSAIC_ID_MAX];
	if (t)
		task_key(want, sizeof(want), t->framework_id, t->task->task_id);
	if (!t || !id_valid(t->framework_id) || !id_valid(t->task->task_id) || strcmp(want, key) != 0) {
		LOGW("checkpoint: skipping undecodable task row '%s'", key);
		if (t)
			mosaic__agent_task__free_unpacked(t, NULL);
		return 0;
	}
	void *sv = NULL;
	size_t slen = 0;
	Mosaic__TaskStatus *latest = NULL;
	if (store_get(l->s, T_TASK_STATUS, key, &sv, &slen) == 0) {
		latest = mosaic__task_status__unpack(NULL, slen, sv);
		if (!latest || strcmp(latest->task_id, t->task->task_id) != 0) {
			LOGW("checkpoint: ignoring undecodable state of task '%s'", key);
			if (latest)
				mosaic__task_status__free_unpacked(latest, NULL);
			latest = NULL;
		}
		free(sv);
	}
	if (l->v->task)
		l->v->task(l->ctx, t->framework_id, t->task, latest);
	if (latest)
		mosaic__task_status__free_unpacked(latest, NULL);
	mosaic__agent_task__free_unpacked(t, NULL);
	return 0;
}

static int
load_update(void *arg, const char *key, const void *val, size_t len)
{
	load_ctx *l = arg;
	if (l->v->update)
		l->v->update(l->ctx, key, val, len);
	return 0;
}

int
agent_checkpoint_load(store *s, const agent_checkpoint_visitor *v, void *ctx)
{
	load_ctx l = {s, v, ctx};
	int rv;
	/* load_task reads task_status while scanning tasks: have the table
	 * exist first, so no CREATE runs under an open SELECT. */
	void *unused = NULL;
	size_t unused_len = 0;
	if (store_get(s, T_TASK_STATUS, "", &unused, &unused_len) == 0)
		free(unused);
	if ((rv = store_scan(s, T_META, load_meta, &l)) ||
	    (rv = store_scan(s, T_FRAMEWORKS, load_framework, &l)) ||
	    (rv = store_scan(s, T_EXECUTORS, load_executor, &l)) ||
	    (rv = store_scan(s, T_TASKS, load_task, &l)) || (rv = store_scan(s, T_UPDATES, load_update, &l)))
		return rv;
	return MOSAIC_OK;
}
