/* registry.h - the master's persistent state, so that a restarted master
 * recognises the agents it admitted, the frameworks it knew (with their
 * failover timeouts) and the role weights. Kept in SQLite through store.h
 * at <work_dir>/registry.db; every write is durable when it returns.
 *
 * Tables: agents (id -> packed AgentInfo), frameworks (id -> packed
 * FrameworkInfo), weights (role -> weight as text), removed_frameworks
 * (id -> removal time as text; the newest REGISTRY_MAX_REMOVED are kept, so
 * tasks of a removed framework that an agent reports later are killed
 * rather than brought back).
 *
 * Not thread-safe: the master's loop owns the registry. Writes block on
 * fsync, so they happen on registrations, never per task. */
#ifndef MOSAIC_REGISTRY_H
#define MOSAIC_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "agent.pb-c.h"
#include "mosaic.pb-c.h"

#define REGISTRY_MAX_REMOVED 10000

typedef struct registry registry;

/* registry_open creates work_dir if needed and opens its database. On
 * failure MOSAIC_EIO with the reason in err. The caller owns *out
 * (registry_close). */
int registry_open(registry **out, const char *work_dir, char *err, size_t errlen);
void registry_close(registry *r);

/* Agents, keyed by info->id (which must be set). */
int registry_agent_put(registry *r, const Mosaic__AgentInfo *info);
int registry_agent_del(registry *r, const char *id);
bool registry_agent_known(const registry *r, const char *id);
size_t registry_agent_count(const registry *r);

/* Frameworks, keyed by info->id (which must be set). registry_framework_del
 * also records the id as removed. */
int registry_framework_put(registry *r, const Mosaic__FrameworkInfo *info);
int registry_framework_del(registry *r, const char *id, double now);
bool registry_framework_removed(const registry *r, const char *id);

/* registry_frameworks_scan calls fn with each stored framework (the info is
 * freed after the call; copy what you keep). Undecodable rows are skipped
 * with a warning. */
typedef void (*registry_framework_fn)(void *arg, const Mosaic__FrameworkInfo *info);
int registry_frameworks_scan(registry *r, registry_framework_fn fn, void *arg);

/* Role weights (> 0). */
int registry_weight_put(registry *r, const char *role, double weight);
typedef void (*registry_weight_fn)(void *arg, const char *role, double weight);
int registry_weights_scan(registry *r, registry_weight_fn fn, void *arg);

#endif
