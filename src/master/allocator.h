/* allocator.h - the master's first-level allocator: hierarchical Dominant
 * Resource Fairness (roles with weights, then frameworks within a role).
 *
 * Pure: no I/O, no clock (callers pass `now`, in seconds), no globals, not
 * thread-safe (the master's event loop owns it). Identifiers are the
 * master's strings, copied in; the strings in allocator_offer point into the
 * allocator and stay valid until that agent or framework is removed.
 *
 * Accounting: every agent has a total; what is offered or used by a
 * framework's tasks is "allocated" to that framework (Mesos semantics: an
 * outstanding offer counts against the framework's share). The master gives
 * resources back with allocator_recover (declined or rescinded offers, the
 * unused part of an Accept, finished tasks).
 *
 * Allocation: allocator_allocate visits agents with free resources (at least
 * min_cpus cpus or min_mem MiB) and offers all of an agent's free resources
 * to the framework first in hierarchical DRF order (lowest weighted dominant
 * share of its role, then lowest dominant share within the role) that is
 * active, not suppressed and not filtered for that agent. A pass costs
 * about O(agents with free resources x log frameworks); it never re-sorts
 * every client from scratch nor copies the cluster. */
#ifndef MOSAIC_ALLOCATOR_H
#define MOSAIC_ALLOCATOR_H

#include <stddef.h>

#include "resources.h"

typedef struct allocator allocator;

typedef struct allocator_config {
	double min_cpus; /* an agent is offered when it has this many free cpus ... */
	double min_mem;  /* ... or this much free memory (MiB); Mesos: 0.01, 32 */
} allocator_config;

typedef struct allocator_offer {
	const char *framework_id;
	const char *agent_id;
	mosaic_resources resources;
} allocator_offer;

/* A growable list of offers, filled by allocator_allocate. */
typedef struct allocator_offers {
	allocator_offer *items;
	size_t count;
	size_t cap;
} allocator_offers;

void allocator_config_init(allocator_config *cfg);

/* allocator_new returns an allocator the caller owns (allocator_free). */
allocator *allocator_new(const allocator_config *cfg);
void allocator_free(allocator *a);

/* Weight of a role (default 1.0). MOSAIC_EINVAL unless weight > 0. */
int allocator_set_weight(allocator *a, const char *role, double weight);
double allocator_weight(const allocator *a, const char *role);

/* Agents. MOSAIC_EEXIST if the id is known. Removing an agent takes what it
 * had allocated off every framework. MOSAIC_ENOENT for unknown ids. */
int allocator_add_agent(allocator *a, const char *agent_id, const mosaic_resources *total);
int allocator_remove_agent(allocator *a, const char *agent_id);

/* Frameworks. A new framework is active and not suppressed. Removing one
 * returns all it had allocated to the agents' free pools. A deactivated
 * framework (disconnected) keeps its allocation but gets no offers. */
int allocator_add_framework(allocator *a, const char *framework_id, const char *role);
int allocator_remove_framework(allocator *a, const char *framework_id);
int allocator_activate_framework(allocator *a, const char *framework_id);
int allocator_deactivate_framework(allocator *a, const char *framework_id);
/* Suppress: no offers until revive. Revive also clears its filters. */
int allocator_suppress(allocator *a, const char *framework_id);
int allocator_revive(allocator *a, const char *framework_id);

/* allocator_use records res on agent as allocated to framework (tasks found
 * running when an agent re-registers). MOSAIC_ENOSPC if the agent's free
 * resources do not contain res. */
int allocator_use(allocator *a, const char *framework_id, const char *agent_id,
    const mosaic_resources *res);

/* allocator_recover gives res, allocated to framework on agent, back to the
 * agent's free pool. MOSAIC_EINVAL if the framework did not hold that much
 * there (nothing changes). */
int allocator_recover(allocator *a, const char *framework_id, const char *agent_id,
    const mosaic_resources *res);

/* allocator_filter: no offers of agent to framework before `until`
 * (Decline's refuse_seconds: until = now + refuse_seconds). */
int allocator_filter(allocator *a, const char *framework_id, const char *agent_id, double until);

/* allocator_allocate appends the offers of one pass to out (which it grows)
 * and marks their resources allocated. Filters whose time has passed are
 * dropped. Returns the number of offers appended. */
size_t allocator_allocate(allocator *a, double now, allocator_offers *out);
void allocator_offers_clear(allocator_offers *out); /* count = 0, keeps memory */
void allocator_offers_fini(allocator_offers *out);  /* frees memory */

/* Shares, for state and metrics: a framework's dominant share of the
 * cluster total, and a role's (sum of its frameworks' allocations; not
 * divided by the weight). Negative if unknown. */
double allocator_framework_share(const allocator *a, const char *framework_id);
double allocator_role_share(const allocator *a, const char *role);
/* What a framework holds in total, and the cluster's total. */
int allocator_framework_allocated(const allocator *a, const char *framework_id, mosaic_resources *out);
void allocator_total(const allocator *a, mosaic_resources *out);
/* Free (unallocated) resources of an agent. */
int allocator_agent_free(const allocator *a, const char *agent_id, mosaic_resources *out);

#endif
