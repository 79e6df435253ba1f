/* allocator_pass.c - one allocation pass: each agent with enough free
 * resources goes, whole, to the first client in hierarchical DRF order that
 * may take it.
 *
 * Cost: the sorters are kept in order by allocator_account_ as allocations
 * change, so choosing a framework for an agent reads the front of two
 * treaps, stepping past only the frameworks that filtered this agent (at
 * most ag->nfilters of them), and the offer re-keys one framework and one
 * role: O(log) each. Only agents in a->offerable are visited. While a gang
 * reservation is holding (allocator_gang.c), each visited agent goes to
 * allocator_gang_visit_ first, which costs no more than a pick. */
#include <stddef.h>
#include <stdlib.h>

#include "allocator.h"
#include "allocator_impl.h"
#include "errors.h"
#include "mem.h"

#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

bool
allocator_filtered_(const allocator *a, const alloc_framework *fw, const alloc_agent *ag, double now)
{
	if (!ag->nfilters)
		return false;
	const alloc_holding *h = allocator_holding_find_(a, fw, ag);
	return h && h->filtered && h->filter_until > now;
}

/* skip: a gang whose reservation is holding gets its offers from the
 * reservation only (allocator_gang.c), or NULL. */
static alloc_framework *
pick(const allocator *a, const alloc_agent *ag, double now, const alloc_framework *skip)
{
	for (drf_node *rn = drf_sorter_first(&a->roles_order); rn; rn = drf_sorter_next(rn)) {
		alloc_role *r = CONTAINER_OF(rn, alloc_role, node);
		for (drf_node *fn = drf_sorter_first(&r->frameworks); fn; fn = drf_sorter_next(fn)) {
			alloc_framework *fw = CONTAINER_OF(fn, alloc_framework, node);
			if (fw != skip && !allocator_filtered_(a, fw, ag, now))
				return fw;
		}
	}
	return NULL;
}

static void
offers_push(allocator_offers *out, const alloc_framework *fw, const alloc_agent *ag,
    const mosaic_resources *res)
{
	if (out->count == out->cap) {
		out->cap = out->cap ? 2 * out->cap : 64;
		out->items = xrealloc(out->items, out->cap * sizeof(*out->items));
	}
	out->items[out->count++] = (allocator_offer){fw->id, ag->id, *res};
}

void
allocator_offer_(allocator *a, alloc_framework *fw, alloc_agent *ag, allocator_offers *out)
{
	alloc_holding *h = allocator_holding_get_(a, fw, ag);
	mosaic_resources res = ag->free, held = h->res;
	if (res_add(&held, &res) != MOSAIC_OK) {
		/* The framework's ports here and the free ones would need more
		 * than MOSAIC_MAX_PORT_RANGES ranges together: offer the
		 * scalars now; the ports stay free for a later offer. */
		res.nports = 0;
		held = h->res;
		res_add(&held, &res);
	}
	h->res = held;
	for (int i = 0; i < RES_NSCALARS; i++)
		h->offered[i] += res_scalar(&res, i);
	h->offered_ports += res_port_count(&res);
	res_sub(&ag->free, &res); /* res is ag->free or its scalars: cannot fail */
	allocator_account_(a, fw, &res, 1);
	allocator_agent_refresh_(a, ag);
	offers_push(out, fw, ag, &res);
}

static size_t
rand_below(allocator *a, size_t n)
{
	/* Lemire's multiply-shift: no division, negligible bias at these sizes. */
	return (size_t)(((allocator_rng_next_(a) >> 32) * (uint64_t)n) >> 32);
}

size_t
allocator_allocate(allocator *a, double now, allocator_offers *out)
{
	allocator_expire_filters_(a, now);
	if (a->shares_stale)
		allocator_rekey_all_(a);
	if (!a->roles_order.count)
		return 0;
	size_t before = out->count;
	allocator_gang_begin_(a, now, out);
	/* Visit the offerable agents in a fresh random order each pass (as
	 * Mesos shuffles them), by an inside-out Fisher-Yates walk from the
	 * end: positions above i hold the agents already visited. An agent
	 * that runs out of free resources leaves the array by swapping with
	 * the last entry - a visited one - so the walk is undisturbed. */
	for (size_t i = a->nofferable; i-- > 0;) {
		size_t j = rand_below(a, i + 1);
		alloc_agent *ag = a->offerable[j];
		a->offerable[j] = a->offerable[i];
		a->offerable[j]->offerable_pos = j;
		a->offerable[i] = ag;
		ag->offerable_pos = i;
		if (a->gang.phase == ALLOCATOR_GANG_HOLDING && allocator_gang_visit_(a, ag, now, out))
			continue;
		alloc_framework *fw = pick(a, ag, now, allocator_gang_skip_(a));
		if (fw)
			allocator_offer_(a, fw, ag, out);
	}
	allocator_gang_end_(a, now, out);
	return out->count - before;
}

void
allocator_offers_clear(allocator_offers *out)
{
	out->count = 0;
}

void
allocator_offers_fini(allocator_offers *out)
{
	free(out->items);
	out->items = NULL;
	out->count = out->cap = 0;
}
