/* allocator.c - the allocator's bookkeeping: agents, frameworks, roles, what
 * each framework holds on each agent, filters, and the shares that order
 * them. The pass itself is in allocator_pass.c.
 *
 * Every change to an allocation goes through allocator_account_, which moves
 * the framework (and its role) in their sorters at once, so a pass never has
 * to sort anything. Cluster totals change only when agents come and go; then
 * every share changes, and the sorters are re-keyed once at the next pass
 * (as Mesos's sorter does), not on each agent. */
#include "allocator.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "allocator_impl.h"
#include "errors.h"
#include "mem.h"

void
allocator_config_init(allocator_config *cfg)
{
	/* Mesos's MIN_CPUS and MIN_MEM: smaller remainders are not worth an offer. */
	cfg->min_cpus = 0.01;
	cfg->min_mem = 32;
	cfg->gang_starvation = 10;
	cfg->gang_hold_timeout = 300;
	cfg->gang_offer_timeout = 30;
}

uint64_t
allocator_rng_next_(allocator *a)
{
	/* xorshift64*: a pure, seeded generator so a given sequence of calls
	 * always yields the same offers. */
	a->rng ^= a->rng >> 12;
	a->rng ^= a->rng << 25;
	a->rng ^= a->rng >> 27;
	return a->rng * 0x2545f4914f6cdd1dULL;
}

allocator *
allocator_new(const allocator_config *cfg)
{
	allocator *a = xcalloc(1, sizeof(*a));
	if (cfg)
		a->cfg = *cfg;
	else
		allocator_config_init(&a->cfg);
	allocator_map_init(&a->roles);
	allocator_map_init(&a->frameworks);
	allocator_map_init(&a->agents);
	allocator_map_init(&a->holdings);
	a->rng = 0x853c49e6748fea9bULL;
	drf_sorter_init(&a->roles_order, allocator_rng_next_(a));
	a->next_serial = 1;
	return a;
}

void
allocator_free(allocator *a)
{
	if (!a)
		return;
	allocator_gang_fini_(a);
	size_t pos = 0;
	alloc_holding *h;
	while ((h = allocator_map_next(&a->holdings, &pos)))
		free(h);
	pos = 0;
	alloc_agent *ag;
	while ((ag = allocator_map_next(&a->agents, &pos))) {
		free(ag->id);
		free(ag);
	}
	pos = 0;
	alloc_framework *fw;
	while ((fw = allocator_map_next(&a->frameworks, &pos))) {
		free(fw->id);
		free(fw);
	}
	pos = 0;
	alloc_role *r;
	while ((r = allocator_map_next(&a->roles, &pos))) {
		free(r->name);
		free(r);
	}
	allocator_map_fini(&a->holdings);
	allocator_map_fini(&a->agents);
	allocator_map_fini(&a->frameworks);
	allocator_map_fini(&a->roles);
	free(a->offerable);
	free(a->filter_heap);
	free(a);
}

/* ---- shares and sorters ---- */

double
allocator_dominant_(const allocator *a, const double alloc[RES_NSCALARS])
{
	double share = 0;
	for (int i = 0; i < RES_NSCALARS; i++) {
		if (a->total[i] <= MOSAIC_RES_EPSILON)
			continue; /* a dimension the cluster lacks cannot dominate */
		double s = alloc[i] / a->total[i];
		if (s > share)
			share = s;
	}
	return share;
}

static double
role_key(const allocator *a, const alloc_role *r)
{
	return allocator_dominant_(a, r->alloc) / r->weight;
}

static void
rekey_role(allocator *a, alloc_role *r)
{
	if (r->node.linked)
		drf_sorter_update(&a->roles_order, &r->node, role_key(a, r));
}

static void
rekey_framework(allocator *a, alloc_framework *fw)
{
	if (fw->node.linked)
		drf_sorter_update(&fw->role->frameworks, &fw->node, allocator_dominant_(a, fw->alloc));
	rekey_role(a, fw->role);
}

void
allocator_rekey_all_(allocator *a)
{
	size_t pos = 0;
	alloc_framework *fw;
	while ((fw = allocator_map_next(&a->frameworks, &pos)))
		if (fw->node.linked)
			drf_sorter_update(&fw->role->frameworks, &fw->node,
			    allocator_dominant_(a, fw->alloc));
	pos = 0;
	alloc_role *r;
	while ((r = allocator_map_next(&a->roles, &pos)))
		rekey_role(a, r);
	a->shares_stale = false;
}

/* A framework is in its role's sorter exactly while it may get offers, and a
 * role is in the roles' sorter while it has such a framework: the pass then
 * never steps over inactive or suppressed clients, only filtered ones. */
static void
framework_sync_offerable(allocator *a, alloc_framework *fw)
{
	alloc_role *r = fw->role;
	bool want = fw->active && !fw->suppressed;
	if (want && !fw->node.linked) {
		drf_sorter_insert(&r->frameworks, &fw->node, allocator_dominant_(a, fw->alloc));
		if (!r->node.linked)
			drf_sorter_insert(&a->roles_order, &r->node, role_key(a, r));
	} else if (!want && fw->node.linked) {
		drf_sorter_remove(&r->frameworks, &fw->node);
		if (r->frameworks.count == 0 && r->node.linked)
			drf_sorter_remove(&a->roles_order, &r->node);
	}
}

static void
add_scalars(double dst[RES_NSCALARS], const mosaic_resources *res, double sign)
{
	for (int i = 0; i < RES_NSCALARS; i++) {
		dst[i] += sign * res_scalar(res, i);
		/* Sums of fractional cpus drift; an empty sum must read 0. */
		if (fabs(dst[i]) < MOSAIC_RES_EPSILON)
			dst[i] = 0;
	}
}

void
allocator_account_(allocator *a, alloc_framework *fw, const mosaic_resources *res, double sign)
{
	add_scalars(fw->alloc, res, sign);
	add_scalars(fw->role->alloc, res, sign);
	rekey_framework(a, fw);
}

/* ---- roles ---- */

static alloc_role *
role_get(allocator *a, const char *name)
{
	alloc_role *r = allocator_map_str_find(&a->roles, name);
	if (r)
		return r;
	r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(name);
	r->weight = 1.0;
	r->node.name = r->name;
	drf_sorter_init(&r->frameworks, allocator_rng_next_(a));
	allocator_map_str_put(&a->roles, r->name, r);
	return r;
}

static void
role_tidy(allocator *a, alloc_role *r)
{
	if (r->nframeworks || r->weight_set)
		return;
	allocator_map_str_del(&a->roles, r->name);
	free(r->name);
	free(r);
}

int
allocator_set_weight(allocator *a, const char *role, double weight)
{
	if (!role || !*role || !(weight > 0) || !isfinite(weight))
		return MOSAIC_EINVAL;
	alloc_role *r = role_get(a, role);
	r->weight = weight;
	r->weight_set = true;
	rekey_role(a, r);
	return MOSAIC_OK;
}

double
allocator_weight(const allocator *a, const char *role)
{
	const alloc_role *r = role ? allocator_map_str_find(&a->roles, role) : NULL;
	return r ? r->weight : 1.0;
}

/* ---- offerable agents ---- */

static bool
agent_offerable(const allocator *a, const alloc_agent *ag)
{
	if (res_is_empty(&ag->free))
		return false;
	return ag->free.cpus + MOSAIC_RES_EPSILON >= a->cfg.min_cpus ||
	    ag->free.mem + MOSAIC_RES_EPSILON >= a->cfg.min_mem;
}

/* Keeps a->offerable (the agents a pass visits) in step with ag->free, so a
 * pass costs in proportion to the agents that have something to offer. */
void
allocator_agent_refresh_(allocator *a, alloc_agent *ag)
{
	bool want = agent_offerable(a, ag);
	if (want && ag->offerable_pos == AGENT_NOT_OFFERABLE) {
		if (a->nofferable == a->offerable_cap) {
			a->offerable_cap = a->offerable_cap ? 2 * a->offerable_cap : 64;
			a->offerable = xrealloc(a->offerable, a->offerable_cap * sizeof(*a->offerable));
		}
		ag->offerable_pos = a->nofferable;
		a->offerable[a->nofferable++] = ag;
	} else if (!want && ag->offerable_pos != AGENT_NOT_OFFERABLE) {
		/* Swap with the last. The pass relies on this: it walks the
		 * array downwards, so the last entry is always one it has
		 * already visited (or ag itself). */
		alloc_agent *last = a->offerable[--a->nofferable];
		a->offerable[ag->offerable_pos] = last;
		last->offerable_pos = ag->offerable_pos;
		ag->offerable_pos = AGENT_NOT_OFFERABLE;
	}
}

/* ---- holdings ---- */

static uint64_t
holding_key(const alloc_framework *fw, const alloc_agent *ag)
{
	return (uint64_t)fw->serial << 32 | ag->serial;
}

alloc_holding *
allocator_holding_find_(const allocator *a, const alloc_framework *fw, const alloc_agent *ag)
{
	return allocator_map_u64_find(&a->holdings, holding_key(fw, ag));
}

alloc_holding *
allocator_holding_get_(allocator *a, alloc_framework *fw, alloc_agent *ag)
{
	alloc_holding *h = allocator_holding_find_(a, fw, ag);
	if (h)
		return h;
	h = xcalloc(1, sizeof(*h));
	h->fw = fw;
	h->ag = ag;
	h->fw_next = fw->holdings;
	if (fw->holdings)
		fw->holdings->fw_prev = h;
	fw->holdings = h;
	h->ag_next = ag->holdings;
	if (ag->holdings)
		ag->holdings->ag_prev = h;
	ag->holdings = h;
	allocator_map_u64_put(&a->holdings, holding_key(fw, ag), h);
	return h;
}

static void
holding_free(allocator *a, alloc_holding *h)
{
	allocator_filter_clear_(a, h);
	if (h->fw_prev)
		h->fw_prev->fw_next = h->fw_next;
	else
		h->fw->holdings = h->fw_next;
	if (h->fw_next)
		h->fw_next->fw_prev = h->fw_prev;
	if (h->ag_prev)
		h->ag_prev->ag_next = h->ag_next;
	else
		h->ag->holdings = h->ag_next;
	if (h->ag_next)
		h->ag_next->ag_prev = h->ag_prev;
	allocator_map_u64_del(&a->holdings, holding_key(h->fw, h->ag));
	free(h);
}

/* Drops a holding that no longer holds anything. */
void
allocator_holding_tidy_(allocator *a, alloc_holding *h)
{
	if (!h->filtered && res_is_empty(&h->res))
		holding_free(a, h);
}

/* ---- filters ---- */

static bool
heap_less(const alloc_filter_entry *x, const alloc_filter_entry *y)
{
	return x->until < y->until;
}

static void
heap_sift_down(alloc_filter_entry *heap, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < n && heap_less(&heap[l], &heap[m]))
			m = l;
		if (l + 1 < n && heap_less(&heap[l + 1], &heap[m]))
			m = l + 1;
		if (m == i)
			return;
		alloc_filter_entry t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

static bool
entry_live(const allocator *a, const alloc_filter_entry *e, alloc_holding **hp)
{
	alloc_holding *h = allocator_map_u64_find(&a->holdings, (uint64_t)e->fw_serial << 32 | e->ag_serial);
	if (hp)
		*hp = h;
	return h && h->filtered && h->filter_until == e->until;
}

/* Revive and removals leave stale entries behind; when they outnumber the
 * live ones, drop them, so the heap stays proportional to live filters. */
static void
heap_compact(allocator *a)
{
	size_t k = 0;
	for (size_t i = 0; i < a->nheap; i++)
		if (entry_live(a, &a->filter_heap[i], NULL))
			a->filter_heap[k++] = a->filter_heap[i];
	a->nheap = k;
	for (size_t i = k / 2; i-- > 0;)
		heap_sift_down(a->filter_heap, k, i);
}

static void
heap_push(allocator *a, alloc_filter_entry e)
{
	if (a->nheap > 2 * a->live_filters + 1024)
		heap_compact(a);
	if (a->nheap == a->heap_cap) {
		a->heap_cap = a->heap_cap ? 2 * a->heap_cap : 64;
		a->filter_heap = xrealloc(a->filter_heap, a->heap_cap * sizeof(*a->filter_heap));
	}
	size_t i = a->nheap++;
	while (i > 0 && heap_less(&e, &a->filter_heap[(i - 1) / 2])) {
		a->filter_heap[i] = a->filter_heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	a->filter_heap[i] = e;
}

void
allocator_filter_clear_(allocator *a, alloc_holding *h)
{
	if (!h->filtered)
		return;
	h->filtered = false;
	h->ag->nfilters--;
	a->live_filters--;
}

/* Drops the filters whose time has come; called at the start of a pass. */
void
allocator_expire_filters_(allocator *a, double now)
{
	while (a->nheap && a->filter_heap[0].until <= now) {
		alloc_filter_entry e = a->filter_heap[0];
		a->filter_heap[0] = a->filter_heap[--a->nheap];
		heap_sift_down(a->filter_heap, a->nheap, 0);
		alloc_holding *h;
		if (entry_live(a, &e, &h)) {
			allocator_filter_clear_(a, h);
			allocator_holding_tidy_(a, h);
		}
	}
}

/* ---- agents ---- */

static alloc_agent *
agent_find(const allocator *a, const char *id)
{
	return id ? allocator_map_str_find(&a->agents, id) : NULL;
}

static alloc_framework *
framework_find(const allocator *a, const char *id)
{
	return id ? allocator_map_str_find(&a->frameworks, id) : NULL;
}

int
allocator_add_agent(allocator *a, const char *agent_id, const mosaic_resources *total)
{
	if (!agent_id || !*agent_id || !total)
		return MOSAIC_EINVAL;
	if (agent_find(a, agent_id))
		return MOSAIC_EEXIST;
	alloc_agent *ag = xcalloc(1, sizeof(*ag));
	ag->id = xstrdup(agent_id);
	ag->serial = a->next_serial++;
	ag->total = *total;
	ag->free = *total;
	ag->offerable_pos = AGENT_NOT_OFFERABLE;
	allocator_map_str_put(&a->agents, ag->id, ag);
	add_scalars(a->total, total, 1);
	a->shares_stale = true;
	allocator_agent_refresh_(a, ag);
	return MOSAIC_OK;
}

int
allocator_remove_agent(allocator *a, const char *agent_id)
{
	alloc_agent *ag = agent_find(a, agent_id);
	if (!ag)
		return MOSAIC_ENOENT;
	allocator_gang_agent_gone_(a, ag);
	while (ag->holdings) {
		alloc_holding *h = ag->holdings;
		allocator_account_(a, h->fw, &h->res, -1);
		holding_free(a, h);
	}
	res_clear(&ag->free);
	allocator_agent_refresh_(a, ag);
	add_scalars(a->total, &ag->total, -1);
	a->shares_stale = true;
	allocator_map_str_del(&a->agents, ag->id);
	free(ag->id);
	free(ag);
	return MOSAIC_OK;
}

int
allocator_agent_free(const allocator *a, const char *agent_id, mosaic_resources *out)
{
	const alloc_agent *ag = agent_find(a, agent_id);
	if (!ag)
		return MOSAIC_ENOENT;
	*out = ag->free;
	return MOSAIC_OK;
}

void
allocator_total(const allocator *a, mosaic_resources *out)
{
	res_clear(out);
	out->cpus = a->total[RES_CPUS];
	out->mem = a->total[RES_MEM];
	out->disk = a->total[RES_DISK];
	out->gpus = a->total[RES_GPUS];
}

/* ---- frameworks ---- */

int
allocator_add_framework(allocator *a, const char *framework_id, const char *role)
{
	if (!framework_id || !*framework_id || !role || !*role)
		return MOSAIC_EINVAL;
	if (framework_find(a, framework_id))
		return MOSAIC_EEXIST;
	alloc_framework *fw = xcalloc(1, sizeof(*fw));
	fw->id = xstrdup(framework_id);
	fw->serial = a->next_serial++;
	fw->role = role_get(a, role);
	fw->role->nframeworks++;
	fw->active = true;
	fw->node.name = fw->id;
	allocator_map_str_put(&a->frameworks, fw->id, fw);
	framework_sync_offerable(a, fw);
	return MOSAIC_OK;
}

int
allocator_remove_framework(allocator *a, const char *framework_id)
{
	alloc_framework *fw = framework_find(a, framework_id);
	if (!fw)
		return MOSAIC_ENOENT;
	allocator_gang_framework_gone_(a, fw);
	while (fw->holdings) {
		alloc_holding *h = fw->holdings;
		alloc_agent *ag = h->ag;
		if (res_add(&ag->free, &h->res) != MOSAIC_OK) {
			/* Too fragmented a port set to merge back (over
			 * MOSAIC_MAX_PORT_RANGES ranges): keep the scalars;
			 * those ports come back when the agent re-registers. */
			mosaic_resources scalars = h->res;
			scalars.nports = 0;
			res_add(&ag->free, &scalars);
		}
		allocator_account_(a, fw, &h->res, -1);
		holding_free(a, h);
		allocator_agent_refresh_(a, ag);
	}
	fw->active = false;
	framework_sync_offerable(a, fw);
	alloc_role *r = fw->role;
	r->nframeworks--;
	allocator_map_str_del(&a->frameworks, fw->id);
	free(fw->id);
	free(fw);
	role_tidy(a, r);
	return MOSAIC_OK;
}

static int
framework_set(allocator *a, const char *framework_id, int active, int suppressed)
{
	alloc_framework *fw = framework_find(a, framework_id);
	if (!fw)
		return MOSAIC_ENOENT;
	if (active >= 0)
		fw->active = active;
	if (suppressed >= 0)
		fw->suppressed = suppressed;
	framework_sync_offerable(a, fw);
	return MOSAIC_OK;
}

int
allocator_activate_framework(allocator *a, const char *framework_id)
{
	return framework_set(a, framework_id, 1, -1);
}

int
allocator_deactivate_framework(allocator *a, const char *framework_id)
{
	return framework_set(a, framework_id, 0, -1);
}

int
allocator_suppress(allocator *a, const char *framework_id)
{
	return framework_set(a, framework_id, -1, 1);
}

int
allocator_revive(allocator *a, const char *framework_id)
{
	int rv = framework_set(a, framework_id, -1, 0);
	if (rv)
		return rv;
	/* Mesos: Revive removes the framework's filters, so agents it declined
	 * are offered to it again at the next pass. */
	alloc_framework *fw = framework_find(a, framework_id);
	for (alloc_holding *h = fw->holdings, *next; h; h = next) {
		next = h->fw_next;
		allocator_filter_clear_(a, h);
		allocator_holding_tidy_(a, h);
	}
	return MOSAIC_OK;
}

int
allocator_filter(allocator *a, const char *framework_id, const char *agent_id, double until)
{
	alloc_framework *fw = framework_find(a, framework_id);
	alloc_agent *ag = agent_find(a, agent_id);
	if (!fw || !ag)
		return MOSAIC_ENOENT;
	if (isnan(until))
		return MOSAIC_EINVAL;
	alloc_holding *h = allocator_holding_get_(a, fw, ag);
	if (!h->filtered) {
		h->filtered = true;
		ag->nfilters++;
		a->live_filters++;
	}
	/* The latest Decline wins, as a new refuse_seconds replaces the old. */
	h->filter_until = until;
	heap_push(a, (alloc_filter_entry){until, fw->serial, ag->serial});
	return MOSAIC_OK;
}

/* ---- allocations ---- */

int
allocator_use(allocator *a, const char *framework_id, const char *agent_id, const mosaic_resources *res)
{
	alloc_framework *fw = framework_find(a, framework_id);
	alloc_agent *ag = agent_find(a, agent_id);
	if (!fw || !ag)
		return MOSAIC_ENOENT;
	if (!res_contains(&ag->free, res))
		return MOSAIC_ENOSPC;
	alloc_holding *h = allocator_holding_get_(a, fw, ag);
	mosaic_resources held = h->res, freed = ag->free;
	if (res_add(&held, res) != MOSAIC_OK || res_sub(&freed, res) != MOSAIC_OK) {
		allocator_holding_tidy_(a, h);
		return MOSAIC_ENOSPC; /* port ranges too fragmented to record */
	}
	h->res = held;
	ag->free = freed;
	allocator_account_(a, fw, res, 1);
	allocator_holding_tidy_(a, h);
	allocator_agent_refresh_(a, ag);
	return MOSAIC_OK;
}

int
allocator_recover(allocator *a, const char *framework_id, const char *agent_id, const mosaic_resources *res)
{
	alloc_framework *fw = framework_find(a, framework_id);
	alloc_agent *ag = agent_find(a, agent_id);
	if (!fw || !ag)
		return MOSAIC_ENOENT;
	alloc_holding *h = allocator_holding_find_(a, fw, ag);
	if (!h)
		return res_is_empty(res) ? MOSAIC_OK : MOSAIC_EINVAL;
	if (!res_contains(&h->res, res))
		return MOSAIC_EINVAL;
	/* Work on copies so a failure leaves everything as it was. */
	mosaic_resources held = h->res, freed = ag->free;
	int rv = res_sub(&held, res);
	if (rv != MOSAIC_OK)
		return rv;
	if (res_add(&freed, res) != MOSAIC_OK)
		return MOSAIC_ENOSPC; /* port ranges too fragmented to merge */
	h->res = held;
	ag->free = freed;
	allocator_account_(a, fw, res, -1);
	allocator_holding_tidy_(a, h);
	allocator_agent_refresh_(a, ag);
	allocator_gang_recovered_(a, fw, ag);
	return MOSAIC_OK;
}

int
allocator_withhold(allocator *a, const char *agent_id, const mosaic_resources *res)
{
	alloc_agent *ag = agent_find(a, agent_id);
	if (!ag)
		return MOSAIC_ENOENT;
	if (res_sub(&ag->free, res) != MOSAIC_OK) /* not contained: nothing changes */
		return MOSAIC_ENOSPC;
	allocator_agent_refresh_(a, ag);
	return MOSAIC_OK;
}

int
allocator_unwithhold(allocator *a, const char *agent_id, const mosaic_resources *res)
{
	alloc_agent *ag = agent_find(a, agent_id);
	if (!ag)
		return MOSAIC_ENOENT;
	mosaic_resources freed = ag->free;
	if (res_add(&freed, res) != MOSAIC_OK)
		return MOSAIC_ENOSPC; /* port ranges too fragmented to merge */
	if (!res_contains(&ag->total, &freed))
		return MOSAIC_EINVAL; /* more than was withheld: nothing changes */
	ag->free = freed;
	allocator_agent_refresh_(a, ag);
	return MOSAIC_OK;
}

int
allocator_offer_ended(allocator *a, const char *framework_id, const char *agent_id,
    const mosaic_resources *res)
{
	alloc_framework *fw = framework_find(a, framework_id);
	alloc_agent *ag = agent_find(a, agent_id);
	if (!fw || !ag)
		return MOSAIC_ENOENT;
	alloc_holding *h = allocator_holding_find_(a, fw, ag);
	if (!h)
		return MOSAIC_OK; /* recovered whole already */
	for (int i = 0; i < RES_NSCALARS; i++) {
		h->offered[i] -= res_scalar(res, i);
		if (h->offered[i] < MOSAIC_RES_EPSILON)
			h->offered[i] = 0; /* sums of fractions drift; never below 0 */
	}
	uint64_t ports = res_port_count(res);
	h->offered_ports = h->offered_ports > ports ? h->offered_ports - ports : 0;
	return MOSAIC_OK;
}

/* ---- queries ---- */

double
allocator_framework_share(const allocator *a, const char *framework_id)
{
	const alloc_framework *fw = framework_find(a, framework_id);
	return fw ? allocator_dominant_(a, fw->alloc) : -1.0;
}

double
allocator_role_share(const allocator *a, const char *role)
{
	const alloc_role *r = role ? allocator_map_str_find(&a->roles, role) : NULL;
	return r ? allocator_dominant_(a, r->alloc) : -1.0;
}

int
allocator_framework_allocated(const allocator *a, const char *framework_id, mosaic_resources *out)
{
	const alloc_framework *fw = framework_find(a, framework_id);
	if (!fw)
		return MOSAIC_ENOENT;
	res_clear(out);
	out->cpus = fw->alloc[RES_CPUS];
	out->mem = fw->alloc[RES_MEM];
	out->disk = fw->alloc[RES_DISK];
	out->gpus = fw->alloc[RES_GPUS];
	return MOSAIC_OK;
}
