/* allocator_gang.c - reservations for starving gangs (see allocator.h for
 * the rule and why it stays DRF-fair).
 *
 * State lives in allocator.gang: the frameworks with a declared demand (an
 * array, so a framework leaves it in O(1)), and at most one reservation -
 * its framework, its phase and the agents held for it. Each pass calls
 * allocator_gang_begin_ (start, end or complete the reservation),
 * allocator_gang_visit_ for each agent it visits while holding, and
 * allocator_gang_end_. Choosing a gang costs O(declared gangs); a pass that
 * holds costs O(held agents + the gang's holdings) more than an ordinary
 * one (the gang's outstanding offers count toward its reservation). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocator.h"
#include "allocator_impl.h"
#include "errors.h"
#include "mem.h"

#define CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* How many tasks of per_task fit in scalars have[] and have_ports ports.
 * per_task is never empty (allocator_set_demand checks it). */
static unsigned
fit_in(const double have[RES_NSCALARS], uint64_t have_ports, const mosaic_resources *per_task)
{
	double n = (double)UINT32_MAX;
	for (int i = 0; i < RES_NSCALARS; i++) {
		double want = res_scalar(per_task, i);
		if (want > MOSAIC_RES_EPSILON)
			n = fmin(n, floor((have[i] + MOSAIC_RES_EPSILON) / want));
	}
	uint64_t ports = res_port_count(per_task);
	if (ports)
		n = fmin(n, (double)(have_ports / ports));
	return n > 0 ? (unsigned)n : 0;
}

static unsigned
fit_count(const mosaic_resources *have, const mosaic_resources *per_task)
{
	double sc[RES_NSCALARS];
	for (int i = 0; i < RES_NSCALARS; i++)
		sc[i] = res_scalar(have, i);
	return fit_in(sc, res_port_count(have), per_task);
}

/* What the gang g holds in offers on ag, as scalars and a port count:
 * the outstanding part of its allocation there (never more than that). */
static uint64_t
offered_to(const allocator *a, const alloc_framework *g, const alloc_agent *ag, double sc[RES_NSCALARS])
{
	const alloc_holding *h = allocator_holding_find_(a, g, ag);
	for (int i = 0; i < RES_NSCALARS; i++)
		sc[i] = h ? fmin(h->offered[i], res_scalar(&h->res, i)) : 0;
	if (!h)
		return 0;
	uint64_t q = res_port_count(&h->res);
	return h->offered_ports < q ? h->offered_ports : q;
}

/* How many of the gang's tasks ag can hold now: its free resources plus
 * the offers the gang already holds there. A gang that gathers keeps the
 * partial offers it got (mmpirun holds them up to --hold) - they are as
 * much its own as anything the reservation will hold, and counting only
 * free resources would wait for it to let them go first. */
static unsigned
gang_fit(const allocator *a, const alloc_framework *g, const alloc_agent *ag)
{
	double sc[RES_NSCALARS];
	uint64_t ports = offered_to(a, g, ag, sc);
	for (int i = 0; i < RES_NSCALARS; i++)
		sc[i] += res_scalar(&ag->free, i);
	return fit_in(sc, ports + res_port_count(&ag->free), &g->demand->per_task);
}

static bool
holds_offers(const allocator *a, const alloc_framework *g, const alloc_agent *ag)
{
	double sc[RES_NSCALARS];
	uint64_t ports = offered_to(a, g, ag, sc);
	for (int i = 0; i < RES_NSCALARS; i++)
		if (sc[i] > MOSAIC_RES_EPSILON)
			return true;
	return ports > 0;
}

static bool
per_task_valid(const mosaic_resources *r)
{
	for (int i = 0; i < RES_NSCALARS; i++) {
		double v = res_scalar(r, i);
		if (!isfinite(v) || v < 0)
			return false;
	}
	for (int i = 0; i < RES_NSCALARS; i++)
		if (res_scalar(r, i) > MOSAIC_RES_EPSILON)
			return true;
	return res_port_count(r) > 0;
}

static double
role_key(const allocator *a, const alloc_role *r)
{
	return allocator_dominant_(a, r->alloc) / r->weight;
}

/* Where a gang queues: from when it started waiting, or from when its last
 * reservation ended unused, whichever is later. */
static double
queued_since(const alloc_demand *d)
{
	return fmax(d->since, d->requeued);
}

/* ---- the held agents ---- */

static void
held_add(allocator *a, alloc_agent *ag)
{
	if (a->gang.nheld == a->gang.held_cap) {
		a->gang.held_cap = a->gang.held_cap ? 2 * a->gang.held_cap : 16;
		a->gang.held = xrealloc(a->gang.held, a->gang.held_cap * sizeof(*a->gang.held));
	}
	ag->gang_held = true;
	ag->gang_pos = a->gang.nheld;
	a->gang.held[a->gang.nheld++] = ag;
}

static void
held_del(allocator *a, alloc_agent *ag)
{
	alloc_agent *last = a->gang.held[--a->gang.nheld];
	a->gang.held[ag->gang_pos] = last;
	last->gang_pos = ag->gang_pos;
	ag->gang_held = false;
}

static void
held_clear(allocator *a)
{
	for (size_t i = 0; i < a->gang.nheld; i++)
		a->gang.held[i]->gang_held = false;
	a->gang.nheld = 0;
	a->gang.fit = 0;
	a->gang.nfrag = 0;
}

/* Ends the reservation. requeue: the gang did not use its turn; if it still
 * has a demand, it queues again from now, behind the gangs already waiting. */
static void
reservation_end(allocator *a, double now, bool requeue)
{
	alloc_framework *fw = a->gang.fw;
	held_clear(a);
	a->gang.fw = NULL;
	a->gang.phase = ALLOCATOR_GANG_NONE;
	if (requeue && fw && fw->demand)
		fw->demand->requeued = now;
}

/* ---- demands ---- */

static alloc_framework *
framework_find(const allocator *a, const char *id)
{
	return id ? allocator_map_str_find(&a->frameworks, id) : NULL;
}

int
allocator_set_demand(
    allocator *a, const char *framework_id, const mosaic_resources *per_task, unsigned tasks, double since)
{
	alloc_framework *fw = framework_find(a, framework_id);
	if (!fw)
		return MOSAIC_ENOENT;
	if (!per_task || !per_task_valid(per_task) || tasks == 0 || !isfinite(since))
		return MOSAIC_EINVAL;
	alloc_demand *d = fw->demand;
	if (!d) {
		d = xcalloc(1, sizeof(*d));
		d->requeued = -INFINITY;
		if (a->gang.ndemands == a->gang.demands_cap) {
			a->gang.demands_cap = a->gang.demands_cap ? 2 * a->gang.demands_cap : 8;
			a->gang.demands =
			    xrealloc(a->gang.demands, a->gang.demands_cap * sizeof(*a->gang.demands));
		}
		d->pos = a->gang.ndemands;
		a->gang.demands[a->gang.ndemands++] = fw;
		fw->demand = d;
	}
	/* An update (a new size, or a re-declaration after a back-off) keeps
	 * the place a lost turn gave it: re-declaring must not jump the queue. */
	d->per_task = *per_task;
	d->tasks = tasks;
	d->since = since;
	return MOSAIC_OK;
}

static void
demand_drop(allocator *a, alloc_framework *fw)
{
	alloc_demand *d = fw->demand;
	if (!d)
		return;
	alloc_framework *last = a->gang.demands[--a->gang.ndemands];
	a->gang.demands[d->pos] = last;
	last->demand->pos = d->pos;
	free(d);
	fw->demand = NULL;
}

int
allocator_clear_demand(allocator *a, const char *framework_id)
{
	alloc_framework *fw = framework_find(a, framework_id);
	if (!fw)
		return MOSAIC_ENOENT;
	if (a->gang.fw == fw)
		reservation_end(a, 0, false);
	demand_drop(a, fw);
	return MOSAIC_OK;
}

void
allocator_gang_reservation(const allocator *a, allocator_gang_info *out)
{
	*out = (allocator_gang_info){.phase = ALLOCATOR_GANG_NONE};
	const alloc_framework *fw = a->gang.fw;
	if (!fw)
		return;
	out->phase = a->gang.phase;
	out->framework_id = fw->id;
	out->tasks = fw->demand->tasks;
	out->held_agents = a->gang.nheld;
	out->since = fw->demand->since;
	out->granted = a->gang.granted;
	unsigned fit = 0;
	for (size_t i = 0; a->gang.phase == ALLOCATOR_GANG_HOLDING && i < a->gang.nheld; i++)
		fit += gang_fit(a, fw, a->gang.held[i]);
	out->held_tasks = a->gang.phase == ALLOCATOR_GANG_HOLDING ? fit : fw->demand->tasks;
}

/* ---- hooks from the bookkeeping ---- */

void
allocator_gang_fini_(allocator *a)
{
	for (size_t i = 0; i < a->gang.ndemands; i++) {
		free(a->gang.demands[i]->demand);
		a->gang.demands[i]->demand = NULL;
	}
	free(a->gang.demands);
	free(a->gang.held);
}

void
allocator_gang_framework_gone_(allocator *a, alloc_framework *fw)
{
	if (a->gang.fw == fw)
		reservation_end(a, 0, false);
	demand_drop(a, fw);
}

void
allocator_gang_agent_gone_(allocator *a, alloc_agent *ag)
{
	if (ag->gang_held)
		held_del(a, ag);
}

void
allocator_gang_recovered_(allocator *a, alloc_framework *fw, alloc_agent *ag)
{
	/* The gang gave back part of what the reservation offered it: it
	 * declined (or launched and returned the rest - then it is done with
	 * the reservation anyway). Either way the next gang may go. The
	 * allocator has no clock of its own here; the pass that follows
	 * requeues from its own `now` (see allocator_gang_begin_). */
	if (a->gang.phase == ALLOCATOR_GANG_OFFERED && a->gang.fw == fw && ag->gang_held) {
		held_clear(a);
		a->gang.offered_at = -INFINITY; /* ends at the next pass */
	}
}

/* ---- the pass ---- */

static bool
offerable(const alloc_framework *fw)
{
	return fw->node.linked; /* active and not suppressed */
}

/* A gang may be reserved for: declared, offerable, starving, and not larger
 * than the whole cluster (which no waiting can cure). */
static bool
eligible(const allocator *a, const alloc_framework *fw, double now)
{
	const alloc_demand *d = fw->demand;
	if (!offerable(fw) || now - queued_since(d) < a->cfg.gang_starvation)
		return false;
	for (int i = 0; i < RES_NSCALARS; i++)
		if (res_scalar(&d->per_task, i) * d->tasks > a->total[i] + MOSAIC_RES_EPSILON)
			return false;
	return true;
}

/* The next gang: lowest weighted role share, then longest waiting, then id
 * (so the choice is deterministic). */
static alloc_framework *
choose(const allocator *a, double now)
{
	alloc_framework *best = NULL;
	double best_key = 0, best_since = 0;
	for (size_t i = 0; i < a->gang.ndemands; i++) {
		alloc_framework *fw = a->gang.demands[i];
		if (!eligible(a, fw, now))
			continue;
		double key = role_key(a, fw->role), since = queued_since(fw->demand);
		if (best &&
		    (key > best_key ||
		        (key == best_key &&
		            (since > best_since || (since == best_since && strcmp(fw->id, best->id) > 0)))))
			continue;
		best = fw;
		best_key = key;
		best_since = since;
	}
	return best;
}

/* Keeps fit + nfrag <= tasks, so at most `tasks` agents are ever held: a
 * fragment is let go when agents that already hold tasks make it needless. */
static void
fragments_trim(allocator *a)
{
	const alloc_demand *d = a->gang.fw->demand;
	for (size_t i = a->gang.nheld; i-- > 0 && a->gang.nfrag && a->gang.fit + a->gang.nfrag > d->tasks;) {
		alloc_agent *ag = a->gang.held[i];
		if (!gang_fit(a, a->gang.fw, ag)) {
			held_del(a, ag);
			a->gang.nfrag--;
		}
	}
}

/* Recounts what the held agents can hold now, dropping those that cannot
 * help: nothing free and no task's worth held by the gang, or fragments
 * beyond the bound. Agents where the gang's own offers already hold tasks
 * join the held set here, as the pass only visits agents with free
 * resources (cost: the gang's holdings). The gang's own filters do not
 * count here: they answered partial offers ("not enough", or "not during
 * my back-off"), and the reservation only ever offers a whole gang, which
 * its demand asks for. */
static void
held_recount(allocator *a)
{
	alloc_framework *g = a->gang.fw;
	a->gang.fit = 0;
	a->gang.nfrag = 0;
	memset(a->gang.own, 0, sizeof(a->gang.own));
	for (alloc_holding *h = g->holdings; h; h = h->fw_next) {
		double sc[RES_NSCALARS];
		offered_to(a, g, h->ag, sc);
		for (int i = 0; i < RES_NSCALARS; i++)
			a->gang.own[i] += sc[i];
	}
	for (size_t i = a->gang.nheld; i-- > 0;) {
		alloc_agent *ag = a->gang.held[i];
		unsigned f = gang_fit(a, g, ag);
		if (f)
			a->gang.fit += f;
		else if (res_is_empty(&ag->free))
			held_del(a, ag);
		else
			a->gang.nfrag++;
	}
	for (alloc_holding *h = g->holdings; h && a->gang.fit < g->demand->tasks; h = h->fw_next) {
		if (h->ag->gang_held || !holds_offers(a, g, h->ag))
			continue;
		unsigned f = gang_fit(a, g, h->ag);
		if (f) {
			held_add(a, h->ag);
			a->gang.fit += f;
		}
	}
	fragments_trim(a);
}

static int
cmp_fit_desc(const void *x, const void *y)
{
	const struct {
		unsigned fit;
		alloc_agent *ag;
	} *p = x, *q = y;
	if (p->fit != q->fit)
		return p->fit < q->fit ? 1 : -1;
	return strcmp(p->ag->id, q->ag->id);
}

/* The held agents can hold the gang: offer it enough of them, those that
 * hold most tasks first (fewer agents for one job), in this pass. The rest
 * go back to the pool. An agent whose part is all in offers the gang holds
 * already is counted, and offered nothing more. */
static void
deliver(allocator *a, double now, allocator_offers *out)
{
	alloc_framework *g = a->gang.fw;
	size_t n = a->gang.nheld;
	struct {
		unsigned fit;
		alloc_agent *ag;
	} *order = xmalloc(n * sizeof(*order));
	for (size_t i = 0; i < n; i++) {
		order[i].ag = a->gang.held[i];
		order[i].fit = gang_fit(a, g, order[i].ag);
	}
	qsort(order, n, sizeof(*order), cmp_fit_desc);
	held_clear(a);
	unsigned got = 0;
	for (size_t i = 0; i < n && got < g->demand->tasks && order[i].fit; i++) {
		got += order[i].fit;
		if (!res_is_empty(&order[i].ag->free))
			allocator_offer_(a, g, order[i].ag, out);
		held_add(a, order[i].ag); /* now: the agents offered (or held by the gang) */
	}
	free(order);
	a->gang.phase = ALLOCATOR_GANG_OFFERED;
	a->gang.offered_at = now;
}

void
allocator_gang_begin_(allocator *a, double now, allocator_offers *out)
{
	alloc_framework *g = a->gang.fw;
	if (g) {
		bool over = !offerable(g);
		if (a->gang.phase == ALLOCATOR_GANG_OFFERED)
			over |= !(now < a->gang.offered_at + a->cfg.gang_offer_timeout);
		else
			over |= !(now < a->gang.granted + a->cfg.gang_hold_timeout);
		if (over)
			reservation_end(a, now, true);
	}
	if (!a->gang.fw) {
		g = a->gang.ndemands ? choose(a, now) : NULL;
		if (!g)
			return;
		a->gang.fw = g;
		a->gang.phase = ALLOCATOR_GANG_HOLDING;
		a->gang.granted = now;
	}
	if (a->gang.phase != ALLOCATOR_GANG_HOLDING)
		return;
	/* Tasks ended on held agents since the last pass: it may fit now. */
	held_recount(a);
	if (a->gang.fit >= a->gang.fw->demand->tasks)
		deliver(a, now, out);
}

/* The first client, in hierarchical DRF order, that is strictly ahead of
 * the gang's role and not filtered for ag: a role further below its
 * weighted share. The gang's own role is first come, first served. The
 * gang's role's share leaves out the offers the gang holds, as it leaves
 * out what the reservation holds for it: both wait for the same launch,
 * and a gang that kept its offers must not fare worse than one that let
 * them go to have them held again. */
static alloc_framework *
pick_ahead(const allocator *a, const alloc_agent *ag, double now, const alloc_framework *g)
{
	double rest[RES_NSCALARS];
	for (int i = 0; i < RES_NSCALARS; i++)
		rest[i] = fmax(g->role->alloc[i] - a->gang.own[i], 0);
	double gkey = allocator_dominant_(a, rest) / g->role->weight;
	for (drf_node *rn = drf_sorter_first(&a->roles_order); rn; rn = drf_sorter_next(rn)) {
		if (rn == &g->role->node || !(rn->share < gkey))
			return NULL; /* sorted: no role after this one is ahead either */
		alloc_role *r = CONTAINER_OF(rn, alloc_role, node);
		for (drf_node *fn = drf_sorter_first(&r->frameworks); fn; fn = drf_sorter_next(fn)) {
			alloc_framework *fw = CONTAINER_OF(fn, alloc_framework, node);
			if (!allocator_filtered_(a, fw, ag, now))
				return fw;
		}
	}
	return NULL;
}

bool
allocator_gang_visit_(allocator *a, alloc_agent *ag, double now, allocator_offers *out)
{
	alloc_framework *g = a->gang.fw;
	const alloc_demand *d = g->demand;
	unsigned f = 0;
	if (!ag->gang_held) {
		if (a->gang.fit >= d->tasks || !fit_count(&ag->total, &d->per_task))
			return false; /* the gang does not need it, or cannot use it */
		f = gang_fit(a, g, ag);
		if (!f && a->gang.fit + a->gang.nfrag >= d->tasks)
			return false; /* enough fragments are growing already */
	}
	alloc_framework *ahead = pick_ahead(a, ag, now, g);
	if (ahead) {
		if (ag->gang_held) {
			unsigned had = gang_fit(a, g, ag);
			if (had)
				a->gang.fit -= had;
			else
				a->gang.nfrag--;
			held_del(a, ag);
		}
		allocator_offer_(a, ahead, ag, out);
		return true;
	}
	if (!ag->gang_held) {
		held_add(a, ag);
		if (f)
			a->gang.fit += f;
		else
			a->gang.nfrag++;
		fragments_trim(a);
	}
	return true;
}

void
allocator_gang_end_(allocator *a, double now, allocator_offers *out)
{
	if (a->gang.phase == ALLOCATOR_GANG_HOLDING && a->gang.fit >= a->gang.fw->demand->tasks)
		deliver(a, now, out);
}
