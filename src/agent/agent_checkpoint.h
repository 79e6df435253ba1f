/* agent_checkpoint.h - the agent's durable state (<work_dir>/agent.db),
 * what a restarted agent recovers: its id and master, frameworks,
 * executors, tasks with their latest state, and unacknowledged status
 * updates. Values are packed protobuf messages of the agent's own wire
 * types, so no second format exists:
 *
 *   meta        "agent_id", "master"         -> text
 *   frameworks  fw                           -> RunTasks {framework, framework_address}
 *   executors   fw                           -> ExecutorRegister {fw, executor_id, address, pid}
 *   tasks       "fw/task"                    -> AgentTask {fw, task} (written once)
 *   task_status "fw/task"                    -> TaskStatus (latest state, sandbox, cores)
 *   updates     zero-padded sequence number  -> StatusUpdate (see agent_status.h)
 *
 * Rows that do not decode or name invalid ids are skipped with a warning
 * on load, never trusted. Not thread-safe (the store's rule). */
#ifndef MOSAIC_AGENT_CHECKPOINT_H
#define MOSAIC_AGENT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "agent.pb-c.h"
#include "executor.pb-c.h"
#include "store.h"

/* Everything a visitor is handed is freed when it returns: copy it. Any
 * member may be NULL. */
typedef struct agent_checkpoint_visitor {
	void (*meta)(void *ctx, const char *key, const char *value);
	void (*framework)(void *ctx, const Mosaic__FrameworkInfo *info, const char *address);
	void (*executor)(void *ctx, const Mosaic__ExecutorRegister *exec);
	/* latest is NULL when only the task row survived. */
	void (*task)(void *ctx, const char *fw, const Mosaic__TaskInfo *info,
	             const Mosaic__TaskStatus *latest);
	void (*update)(void *ctx, const char *key, const uint8_t *data, size_t len);
} agent_checkpoint_visitor;

int agent_checkpoint_put_meta(store *s, const char *key, const char *value);
int agent_checkpoint_put_framework(store *s, const Mosaic__FrameworkInfo *info, const char *address);
int agent_checkpoint_del_framework(store *s, const char *fw);
int agent_checkpoint_put_executor(store *s, const char *fw, const char *executor_id, const char *address,
                                  uint32_t pid);
int agent_checkpoint_del_executor(store *s, const char *fw);
int agent_checkpoint_put_task(store *s, const char *fw, const Mosaic__TaskInfo *info);
int agent_checkpoint_put_task_status(store *s, const char *fw, const Mosaic__TaskStatus *latest);
int agent_checkpoint_del_task(store *s, const char *fw, const char *task);
int agent_checkpoint_put_update(store *s, const char *key, const uint8_t *data, size_t len);
int agent_checkpoint_del_update(store *s, const char *key);

/* agent_checkpoint_load calls v for every row: meta, frameworks,
 * executors, tasks, then updates in key order. */
int agent_checkpoint_load(store *s, const agent_checkpoint_visitor *v, void *ctx);

#endif
