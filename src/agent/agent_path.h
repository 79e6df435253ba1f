/* agent_path.h - bounded path formatting for the agent and the executor:
 * every path is built under the work directory, whose length the flags
 * cap, but a truncated path must still fail loudly rather than name a
 * different file. */
#ifndef MOSAIC_AGENT_PATH_H
#define MOSAIC_AGENT_PATH_H

#include <stddef.h>

/* agent_path formats into out; MOSAIC_ETOOBIG (out then holds "") when it
 * does not fit in cap. */
int agent_path(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* agent_msg formats a message (an error text) into out, cut short when it
 * does not fit. */
void agent_msg(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A task's sandboxes: <work_dir>/frameworks/<fw>/tasks/<task>.<n>, one
 * directory per run of the task on this agent, n counting up from 0 - one
 * inode per run (task ids are [A-Za-z0-9._-], so the digits after the
 * last '.' are always the run). At most AGENT_MAX_RUNS runs per task id. */
#define AGENT_MAX_RUNS 100000
/* This layout's number, which executors announce when they register: one
 * that predates it (tasks/<task>/runs/<n>) would refuse these paths. */
#define AGENT_SANDBOX_LAYOUT 1
int agent_sandbox_path(char *out, size_t cap, const char *work_dir, const char *fw, const char *task, long run);
/* The latest run of the task: n such that runs 0..n exist and n + 1 does
 * not, with its path in out; -1 when there is none. */
long agent_sandbox_latest(char *out, size_t cap, const char *work_dir, const char *fw, const char *task);
/* The run a sandbox directory's name ("<task>.<n>") stands for, with the
 * task id (of at most idcap - 1 characters) in id; -1 for other names. */
long agent_sandbox_parse(const char *name, char *id, size_t idcap);

#endif
