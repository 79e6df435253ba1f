/* gang.h - mmpirun's gang assembly: all ranks or none.
 *
 * The policy, as a state machine the framework feeds with events (offers,
 * rescinds, timer ticks, the master's answer to the launch) and that
 * answers with actions for the framework to carry out through
 * libmosaic-sched:
 *   gathering  Useful offers (on agents with room for at least one rank,
 *              or --ppn ranks) are held; useless ones are declined at
 *              once. As soon as the held offers fit the whole job under
 *              its rank mapping (rankmap.h), launch: accept the offers the
 *              mapping uses (one LAUNCH_GANG), decline the rest. A partial
 *              gang is held at most hold_seconds from its first offer.
 *   backoff    When the hold time runs out, everything held is declined
 *              (filtered for the back-off, so others get it) and the gang
 *              waits a random time in [b, 2b), b = backoff_min doubling on
 *              each release up to backoff_max. Two gangs that each hold
 *              half of what both need thus let go, and the random waits
 *              make one of them come back first (no hoarding deadlock).
 *              Offers arriving meanwhile are declined, unless they fit the
 *              whole gang by themselves (the allocator's reservation hands
 *              a starving gang its resources in one batch - see
 *              allocator.h): then it launches.
 *   launching  The launch was sent; gang_launch_result tells how it went.
 *              Refused (the offers went stale), the gang gathers again.
 *   launched   Done: further offers are declined for GANG_DONE_REFUSE s
 *              (the caller should also suppress offers).
 * The gang's demand (for the allocator's anti-starvation reservation) is
 * declared when gathering starts, with `since` = the first start, kept
 * through back-offs and refused launches, and cleared at launch.
 *
 * Pure: time is passed in (seconds, any clock the caller keeps using),
 * randomness comes from a generator seeded in the config, no I/O, no
 * globals; not thread-safe. Each event function first empties `out`, so
 * carry out one answer before the next event. Offer data is copied in. */
#ifndef MOSAIC_MPI_GANG_H
#define MOSAIC_MPI_GANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ids.h"
#include "rankmap.h"
#include "resources.h"

#define GANG_DONE_REFUSE 3600.0 /* seconds: offers after the launch */

typedef struct gang gang;

typedef struct gang_config {
	rankmap_opts map;
	double hold_seconds;   /* longest a partial gang is held (10) */
	double backoff_min;    /* b after the first release (1) */
	double backoff_max;    /* b never grows past this (30) */
	double refuse_seconds; /* filter for offers declined as useless or left over (5) */
	uint64_t seed;         /* back-off randomness: give each job its own (pid, time) */
} gang_config;

typedef enum gang_state {
	GANG_IDLE = 0, /* before gang_start */
	GANG_GATHERING,
	GANG_BACKOFF,
	GANG_LAUNCHING,
	GANG_LAUNCHED,
} gang_state;

/* One offer, as the framework got it. */
typedef struct gang_offer {
	const char *id;       /* 1-63 characters */
	const char *agent_id; /* 1-63 characters */
	const char *hostname; /* may be NULL */
	mosaic_resources resources;
	unsigned nsockets;                     /* 0 when the agent sent no topology */
	const uint32_t *free_cores_per_socket; /* nsockets entries */
} gang_offer;

typedef struct gang_decline {
	char id[MOSAIC_ID_MAX];
	double refuse_seconds;
} gang_decline;

typedef enum gang_demand_op {
	GANG_DEMAND_KEEP = 0, /* no change */
	GANG_DEMAND_DECLARE,  /* tell the master: demand_tasks x demand_per_task since demand_since */
	GANG_DEMAND_CLEAR,    /* withdraw it */
} gang_demand_op;

/* What to do after an event. Several parts may be set at once; carry out
 * declines before the launch. */
typedef struct gang_actions {
	gang_decline *decline; /* give these offers back now */
	size_t ndecline, decline_cap;
	bool launch; /* accept launch_ids with one LAUNCH_GANG per plan */
	char (*launch_ids)[MOSAIC_ID_MAX];
	size_t nlaunch, launch_cap;
	rankmap plan;  /* when launch: ranks per agent, resources, host list */
	bool released; /* the hold timed out: all declined, backing off */
	double backoff_seconds;
	gang_demand_op demand;
	mosaic_resources demand_per_task;
	unsigned demand_tasks;
	double demand_since;
	double wake_at; /* call gang_tick at this time; 0: no timer needed */
} gang_actions;

void gang_config_init(gang_config *cfg);

/* gang_new: *out is a new gang the caller owns (gang_free). MOSAIC_EINVAL
 * with the reason in err when the mapping is impossible (rankmap_opts_check)
 * or a time is negative; *out is then NULL. */
int gang_new(gang **out, const gang_config *cfg, char *err, size_t errlen);
void gang_free(gang *g);

void gang_actions_init(gang_actions *a);
void gang_actions_fini(gang_actions *a);

/* gang_start begins gathering (declares the demand). */
void gang_start(gang *g, double now, gang_actions *out);
/* gang_offers: a batch of offers (as one Offers message brought them). */
void gang_offers(gang *g, double now, const gang_offer *offers, size_t n, gang_actions *out);
/* gang_rescind: the master took an offer back. Unknown ids are ignored. */
void gang_rescind(gang *g, double now, const char *offer_id, gang_actions *out);
/* gang_tick: time passed (call it at wake_at, or any time). */
void gang_tick(gang *g, double now, gang_actions *out);
/* gang_launch_result: the master's answer to the launch. */
void gang_launch_result(gang *g, double now, bool ok, gang_actions *out);

gang_state gang_get_state(const gang *g);
size_t gang_held(const gang *g);       /* offers held now */
unsigned gang_releases(const gang *g); /* hold timeouts so far */
const char *gang_state_name(gang_state s);

#endif
