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
 * every client from scratch nor copies the cluster.
 *
 * Gangs (allocator_gang.c): a framework that must start N tasks together
 * (an MPI job) declares its demand with allocator_set_demand. Offering
 * agent by agent, DRF would hand each freed slot to whoever is first at
 * that moment - often a stream of small jobs - and a large gang would
 * never see enough at once. So the oldest declared gang that has waited
 * at least cfg.gang_starvation seconds gets a reservation:
 *   - holding: each pass, free resources on agents that can hold at least
 *     one of its tasks are held for it (offered to no one) until the held
 *     agents can hold all its tasks; then, in that pass, they are offered
 *     to it together (enough of them for the gang, those holding most
 *     tasks first) and the reservation turns to "offered". Offers the
 *     gang still holds from before (a gathering gang keeps partial offers
 *     for a while) count as held: an agent holds what is free there plus
 *     what the gang was offered there and has not answered
 *     (allocator_offer_ended), and the gang gets only the free part. The
 *     framework's filters do not keep agents out of its reservation: they
 *     answered partial offers (or asked for quiet during a back-off), and
 *     the reservation only ever offers the whole gang its demand asks for.
 *     An agent whose free part is too small for one task yet (a fragment)
 *     is held only while fragments are fewer than the tasks still missing,
 *     so at most `tasks` agents are ever held.
 *   - fairness: a held agent still goes, as usual, to a framework whose
 *     role is strictly further below its weighted share than the gang's
 *     role (weighted dominant share of what the roles hold now, resources
 *     held for the gang and offers the gang holds not counted). Roles at or above the gang's role's
 *     share, and the other frameworks of the gang's own role (first come,
 *     first served among them), wait. This is hierarchical DRF with the
 *     gang treated as a client that accepts partial offers and keeps them:
 *     nobody DRF would serve before the gang is ever blocked by it, and the
 *     gang's role only gains what richer roles would have got.
 *   - one at a time: only one gang holds a reservation, so gangs never
 *     each hold part of the cluster (no hoarding deadlock). Among starving
 *     gangs the one whose role has the lowest weighted share goes first,
 *     then the one waiting longest.
 *   - expiry: the reservation ends when the gang framework clears its
 *     demand (it launched or gave up), gives back any of the offered
 *     resources (a decline), does not answer within cfg.gang_offer_timeout
 *     of the offer, is deactivated, suppressed or removed, or when holding
 *     has not filled the gang within cfg.gang_hold_timeout. If its demand is
 *     still declared it then queues again as if it had started waiting at
 *     that moment, so the next gang gets its turn.
 * While a gang's reservation is holding, that framework gets no other
 * offers (what it would get is being held for it anyway). Frameworks
 * without a demand are untouched while no gang is starving, and the pass
 * cost stays O(agents visited x log frameworks) plus O(held agents + the gang's holdings). */
#ifndef MOSAIC_ALLOCATOR_H
#define MOSAIC_ALLOCATOR_H

#include <stddef.h>

#include "resources.h"

typedef struct allocator allocator;

typedef struct allocator_config {
	double min_cpus; /* an agent is offered when it has this many free cpus ... */
	double min_mem;  /* ... or this much free memory (MiB); Mesos: 0.01, 32 */
	/* Gang reservations (see above), in seconds: */
	double gang_starvation;    /* a declared gang waits this long before a reservation (10) */
	double gang_hold_timeout;  /* holding that has not filled the gang by then ends (300) */
	double gang_offer_timeout; /* the gang must use the reserved offers within this (30) */
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

/* allocator_withhold takes res off an agent's free pool without giving it to
 * any framework: the tasks of a removed framework, still being killed
 * there, keep their resources until they end (allocator_unwithhold), so
 * nothing is offered that the agent still has in use. MOSAIC_ENOSPC if the
 * free pool does not contain res; MOSAIC_ENOENT for an unknown agent. */
int allocator_withhold(allocator *a, const char *agent_id, const mosaic_resources *res);
int allocator_unwithhold(allocator *a, const char *agent_id, const mosaic_resources *res);

/* allocator_offer_ended: an offer of res to framework on agent (as
 * allocator_allocate made it) is no longer outstanding - accepted,
 * declined, rescinded, expired or never sent. What of it is still
 * allocated is now its tasks' (allocator_recover gives back the rest, before
 * or after this call). The allocator tells outstanding offers from tasks
 * only to count what a starving gang already holds toward its reservation.
 * MOSAIC_ENOENT for unknown ids; MOSAIC_OK if nothing was outstanding. */
int allocator_offer_ended(allocator *a, const char *framework_id, const char *agent_id,
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

/* allocator_set_demand declares (or updates) a framework's gang: `tasks`
 * tasks of per_task each, all needed at once, waiting since `since` (the
 * allocator's clock, as `now`). Keep declaring the same `since` while the
 * same gang waits - its age is its place in the queue. per_task must be
 * non-empty and tasks >= 1 (MOSAIC_EINVAL); MOSAIC_ENOENT for an unknown
 * framework. per_task is copied. */
int allocator_set_demand(allocator *a, const char *framework_id, const mosaic_resources *per_task,
    unsigned tasks, double since);
/* allocator_clear_demand withdraws it (launched, or gave up), ending its
 * reservation if it has one. MOSAIC_OK if there was none. */
int allocator_clear_demand(allocator *a, const char *framework_id);

typedef enum allocator_gang_phase {
	ALLOCATOR_GANG_NONE = 0, /* no reservation */
	ALLOCATOR_GANG_HOLDING,  /* freed resources are being held for the gang */
	ALLOCATOR_GANG_OFFERED,  /* the held set was offered; waiting for it to be used */
} allocator_gang_phase;

/* The current reservation, for state and metrics. framework_id points into
 * the allocator (valid until that framework is removed); NULL when none. */
typedef struct allocator_gang_info {
	allocator_gang_phase phase;
	const char *framework_id;
	unsigned tasks;      /* the gang's size */
	unsigned held_tasks; /* how many of its tasks the held agents can hold now */
	size_t held_agents;  /* agents held (holding) or offered (offered) */
	double since;        /* when the gang started waiting */
	double granted;      /* when the reservation began */
} allocator_gang_info;

void allocator_gang_reservation(const allocator *a, allocator_gang_info *out);

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
