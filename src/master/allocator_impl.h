/* allocator_impl.h - the allocator's internal state, shared by allocator.c
 * (bookkeeping: agents, frameworks, roles, holdings, filters) and
 * allocator_pass.c (the allocation pass). Nothing outside src/master/
 * allocator*.c includes it; the public interface is allocator.h. */
#ifndef MOSAIC_ALLOCATOR_IMPL_H
#define MOSAIC_ALLOCATOR_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "allocator.h"
#include "allocator_map.h"
#include "drf_sorter.h"

typedef struct alloc_role alloc_role;
typedef struct alloc_framework alloc_framework;
typedef struct alloc_agent alloc_agent;
typedef struct alloc_holding alloc_holding;
typedef struct alloc_demand alloc_demand;

struct alloc_role {
	char *name;
	double weight;
	bool weight_set;            /* keep the role when its last framework goes */
	size_t nframeworks;         /* all of them, offerable or not */
	double alloc[RES_NSCALARS]; /* sum over its frameworks */
	drf_sorter frameworks;      /* its offerable frameworks, by dominant share */
	drf_node node;              /* in allocator.roles_order while frameworks is non-empty */
};

struct alloc_framework {
	char *id;
	uint32_t serial; /* never reused: keys holdings and stale filter entries */
	alloc_role *role;
	bool active, suppressed;
	double alloc[RES_NSCALARS];
	drf_node node;           /* in role->frameworks while active and not suppressed */
	alloc_holding *holdings; /* via fw_next */
	alloc_demand *demand;    /* its declared gang, or NULL (allocator_gang.c) */
};

/* A declared gang (allocator_set_demand). */
struct alloc_demand {
	mosaic_resources per_task;
	unsigned tasks;
	double since;    /* when the gang started waiting, as declared */
	double requeued; /* its reservation ended unused at this time (-inf: never) */
	size_t pos;      /* index in allocator.gang.demands */
};

#define AGENT_NOT_OFFERABLE SIZE_MAX

struct alloc_agent {
	char *id;
	uint32_t serial;
	mosaic_resources total, free;
	size_t offerable_pos;    /* index in allocator.offerable, or AGENT_NOT_OFFERABLE */
	size_t nfilters;         /* holdings on this agent with a filter set */
	alloc_holding *holdings; /* via ag_next */
	bool gang_held;          /* in allocator.gang.held */
	size_t gang_pos;         /* its index there, while gang_held */
};

/* What one framework has on one agent: its allocation there and its filter
 * for that agent. Exists while either is non-empty. */
struct alloc_holding {
	alloc_framework *fw;
	alloc_agent *ag;
	mosaic_resources res;
	/* How much of res is in offers still outstanding (allocator_offer_
	 * adds, allocator_offer_ended takes away), as scalars and a port
	 * count: what a gang holds toward its reservation. Read it through
	 * its minimum with res (the master may recover an offer just before
	 * it ends it). */
	double offered[RES_NSCALARS];
	uint64_t offered_ports;
	double filter_until;
	bool filtered;
	alloc_holding *fw_prev, *fw_next, *ag_prev, *ag_next;
};

/* A filter's expiry, in a min-heap on until. Entries whose filter has since
 * been replaced, cleared or removed are stale and skipped when popped. */
typedef struct alloc_filter_entry {
	double until;
	uint32_t fw_serial, ag_serial;
} alloc_filter_entry;

struct allocator {
	allocator_config cfg;
	allocator_map roles, frameworks, agents, holdings;
	drf_sorter roles_order; /* roles with offerable frameworks, by weighted share */
	double total[RES_NSCALARS];
	/* The cluster total changed since the sorters' keys were computed:
	 * every share is off, so the next pass re-keys them once. */
	bool shares_stale;
	alloc_agent **offerable; /* agents whose free resources pass the minimum */
	size_t nofferable, offerable_cap;
	alloc_filter_entry *filter_heap;
	size_t nheap, heap_cap, live_filters;
	uint64_t rng;
	uint32_t next_serial;
	/* Gang reservations (allocator_gang.c). */
	struct {
		alloc_framework **demands; /* frameworks with a demand */
		size_t ndemands, demands_cap;
		alloc_framework *fw; /* the reservation's gang, or NULL */
		allocator_gang_phase phase;
		double granted, offered_at;
		alloc_agent **held; /* held (holding) or offered (offered) agents */
		size_t nheld, held_cap;
		unsigned fit;             /* tasks the held agents hold now (holding) */
		size_t nfrag;             /* held agents too full for one task yet */
		double own[RES_NSCALARS]; /* the gang's outstanding offers (holding; each pass) */
	} gang;
};

/* allocator.c, used by the pass */
uint64_t allocator_rng_next_(allocator *a);
double allocator_dominant_(const allocator *a, const double alloc[RES_NSCALARS]);
void allocator_rekey_all_(allocator *a);
alloc_holding *allocator_holding_find_(const allocator *a, const alloc_framework *fw, const alloc_agent *ag);
alloc_holding *allocator_holding_get_(allocator *a, alloc_framework *fw, alloc_agent *ag);
void allocator_holding_tidy_(allocator *a, alloc_holding *h);
void allocator_account_(allocator *a, alloc_framework *fw, const mosaic_resources *res, double sign);
void allocator_agent_refresh_(allocator *a, alloc_agent *ag);
void allocator_filter_clear_(allocator *a, alloc_holding *h);
void allocator_expire_filters_(allocator *a, double now);

/* allocator_pass.c, used by allocator_gang.c */
bool allocator_filtered_(const allocator *a, const alloc_framework *fw, const alloc_agent *ag, double now);
void allocator_offer_(allocator *a, alloc_framework *fw, alloc_agent *ag, allocator_offers *out);

/* allocator_gang.c: hooks for the bookkeeping and the pass. */
void allocator_gang_fini_(allocator *a);
void allocator_gang_framework_gone_(allocator *a, alloc_framework *fw);
void allocator_gang_agent_gone_(allocator *a, alloc_agent *ag);
void allocator_gang_recovered_(allocator *a, alloc_framework *fw, alloc_agent *ag);
/* Before the pass walks the agents: starts, ends or completes the
 * reservation; may append the gang's offers to out. */
void allocator_gang_begin_(allocator *a, double now, allocator_offers *out);
/* For each agent the pass visits while a reservation is holding: true if
 * the gang logic dealt with the agent (held it, or offered it to a client
 * ahead of the gang); false to let the pass offer it as usual. */
bool allocator_gang_visit_(allocator *a, alloc_agent *ag, double now, allocator_offers *out);
/* After the walk: offers the held set to the gang once it fits. */
void allocator_gang_end_(allocator *a, double now, allocator_offers *out);
/* The framework the pass must not offer to (the holding gang), or NULL. */
static inline const alloc_framework *
allocator_gang_skip_(const allocator *a)
{
	return a->gang.phase == ALLOCATOR_GANG_HOLDING ? a->gang.fw : NULL;
}

#endif
