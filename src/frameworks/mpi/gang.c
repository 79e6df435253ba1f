/* gang.c - the gang assembly state machine (see gang.h).
 *
 * Held offers are kept in arrival order; each evaluation groups them by
 * agent (an agent may have sent several offers), sorts the agents so the
 * biggest come first (fewest nodes for the job), and asks rankmap whether
 * the job fits. The gang is small next to a cluster (one job's offers), so
 * an evaluation per batch of offers is cheap. */
#include "gang.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"

typedef struct held_offer {
	char id[MOSAIC_ID_MAX];
	char agent_id[MOSAIC_ID_MAX];
	char *hostname; /* owned; NULL if none */
	mosaic_resources res;
	unsigned nsockets;
	uint32_t cores[RANKMAP_MAX_SOCKETS];
} held_offer;

typedef struct offer_list {
	held_offer *items;
	size_t n, cap;
} offer_list;

struct gang {
	gang_config cfg;
	gang_state state;
	offer_list held;
	double since;        /* when gathering first started */
	double hold_started; /* first offer of the current hold; < 0: none */
	double backoff_until;
	unsigned releases;
	uint64_t rng;
};

static const char *state_names[] = {"idle", "gathering", "backoff", "launching", "launched"};

const char *
gang_state_name(gang_state s)
{
	return (unsigned)s < 5 ? state_names[s] : "?";
}

void
gang_config_init(gang_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	rankmap_opts_init(&cfg->map);
	cfg->hold_seconds = 10;
	cfg->backoff_min = 1;
	cfg->backoff_max = 30;
	cfg->refuse_seconds = 5;
}

int
gang_new(gang **out, const gang_config *cfg, char *err, size_t errlen)
{
	*out = NULL;
	int rv = rankmap_opts_check(&cfg->map, err, errlen);
	if (rv)
		return rv;
	if (!(cfg->hold_seconds >= 0) || !(cfg->backoff_min > 0) || !(cfg->backoff_max >= cfg->backoff_min) ||
	    !(cfg->refuse_seconds >= 0)) {
		if (err && errlen)
			snprintf(err, errlen, "gang: hold %g s, back-off %g..%g s, refuse %g s: out of range",
			    cfg->hold_seconds, cfg->backoff_min, cfg->backoff_max, cfg->refuse_seconds);
		return MOSAIC_EINVAL;
	}
	gang *g = xcalloc(1, sizeof(*g));
	g->cfg = *cfg;
	g->state = GANG_IDLE;
	g->hold_started = -1;
	g->rng = cfg->seed ? cfg->seed : 0x9e3779b97f4a7c15ULL;
	*out = g;
	return MOSAIC_OK;
}

static void
list_clear(offer_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i].hostname);
	l->n = 0;
}

void
gang_free(gang *g)
{
	if (!g)
		return;
	list_clear(&g->held);
	free(g->held.items);
	free(g);
}

gang_state
gang_get_state(const gang *g)
{
	return g->state;
}

size_t
gang_held(const gang *g)
{
	return g->held.n;
}

unsigned
gang_releases(const gang *g)
{
	return g->releases;
}

/* ---- actions ---- */

void
gang_actions_init(gang_actions *a)
{
	memset(a, 0, sizeof(*a));
}

static void
actions_reset(gang_actions *a)
{
	rankmap_fini(&a->plan);
	a->ndecline = a->nlaunch = 0;
	a->launch = a->released = false;
	a->backoff_seconds = 0;
	a->demand = GANG_DEMAND_KEEP;
	res_clear(&a->demand_per_task);
	a->demand_tasks = 0;
	a->demand_since = 0;
	a->wake_at = 0;
}

void
gang_actions_fini(gang_actions *a)
{
	rankmap_fini(&a->plan);
	free(a->decline);
	free(a->launch_ids);
	memset(a, 0, sizeof(*a));
}

static void
push_decline(gang_actions *a, const char *id, double refuse)
{
	if (a->ndecline == a->decline_cap) {
		a->decline_cap = a->decline_cap ? 2 * a->decline_cap : 16;
		a->decline = xrealloc(a->decline, a->decline_cap * sizeof(*a->decline));
	}
	gang_decline *d = &a->decline[a->ndecline++];
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->refuse_seconds = refuse;
}

static void
push_launch(gang_actions *a, const char *id)
{
	if (a->nlaunch == a->launch_cap) {
		a->launch_cap = a->launch_cap ? 2 * a->launch_cap : 16;
		a->launch_ids = xrealloc(a->launch_ids, a->launch_cap * sizeof(*a->launch_ids));
	}
	snprintf(a->launch_ids[a->nlaunch++], MOSAIC_ID_MAX, "%s", id);
}

static void
declare(const gang *g, gang_actions *out)
{
	out->demand = GANG_DEMAND_DECLARE;
	rankmap_demand(&g->cfg.map, &out->demand_per_task, &out->demand_tasks);
	out->demand_since = g->since;
}

/* When the caller must tick next. */
static void
set_wake(const gang *g, gang_actions *out)
{
	if (g->state == GANG_GATHERING && g->hold_started >= 0)
		out->wake_at = g->hold_started + g->cfg.hold_seconds;
	else if (g->state == GANG_BACKOFF)
		out->wake_at = g->backoff_until;
	else
		out->wake_at = 0;
}

/* ---- offers ---- */

static void
list_push(offer_list *l, const gang_offer *o)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
	}
	held_offer *h = &l->items[l->n++];
	memset(h, 0, sizeof(*h));
	snprintf(h->id, sizeof(h->id), "%s", o->id);
	snprintf(h->agent_id, sizeof(h->agent_id), "%s", o->agent_id);
	h->hostname = o->hostname && *o->hostname ? xstrdup(o->hostname) : NULL;
	h->res = o->resources;
	h->nsockets = o->nsockets > RANKMAP_MAX_SOCKETS ? RANKMAP_MAX_SOCKETS : o->nsockets;
	for (unsigned s = 0; s < h->nsockets; s++)
		h->cores[s] = o->free_cores_per_socket ? o->free_cores_per_socket[s] : 0;
}

static void
list_remove(offer_list *l, size_t i)
{
	free(l->items[i].hostname);
	memmove(&l->items[i], &l->items[i + 1], (l->n - i - 1) * sizeof(*l->items));
	l->n--;
}

static bool
list_has(const offer_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].id, id) == 0)
			return true;
	return false;
}

/* The agents of a set of offers, as rankmap sees them. The strings point
 * into the offers: valid while the offer list is unchanged. */
typedef struct node_set {
	rankmap_node *nodes;
	size_t n;
} node_set;

typedef struct sized_node {
	rankmap_node node;
	unsigned slots;
} sized_node;

static int
cmp_nodes(const void *x, const void *y)
{
	const sized_node *a = x, *b = y;
	if (a->slots != b->slots)
		return a->slots > b->slots ? -1 : 1;
	const char *ha = a->node.hostname ? a->node.hostname : "",
	           *hb = b->node.hostname ? b->node.hostname : "";
	int c = strcmp(ha, hb);
	return c ? c : strcmp(a->node.agent_id, b->node.agent_id);
}

static int
cmp_by_agent(const void *x, const void *y)
{
	const held_offer *a = *(const held_offer *const *)x, *b = *(const held_offer *const *)y;
	int c = strcmp(a->agent_id, b->agent_id);
	return c ? c : (a < b ? -1 : a > b); /* then arrival order */
}

/* Groups offers by agent: resources add up; the topology is the latest
 * offer's (it reflects the agent's most recent state). Biggest first.
 * O(n log n) in the offers. */
static void
nodes_build(node_set *ns, const gang *g, const offer_list *l)
{
	ns->nodes = xcalloc(l->n ? l->n : 1, sizeof(*ns->nodes));
	ns->n = 0;
	const held_offer **by_agent = xmalloc((l->n ? l->n : 1) * sizeof(*by_agent));
	for (size_t i = 0; i < l->n; i++)
		by_agent[i] = &l->items[i];
	qsort(by_agent, l->n, sizeof(*by_agent), cmp_by_agent);
	for (size_t i = 0; i < l->n; i++) {
		const held_offer *h = by_agent[i];
		rankmap_node *n = ns->n ? &ns->nodes[ns->n - 1] : NULL;
		if (!n || strcmp(n->agent_id, h->agent_id) != 0) {
			n = &ns->nodes[ns->n++];
			n->agent_id = h->agent_id;
			res_clear(&n->avail);
		}
		if (!n->hostname)
			n->hostname = h->hostname;
		mosaic_resources sum = n->avail;
		if (res_add(&sum, &h->res) != MOSAIC_OK) { /* ports too fragmented: scalars are what count */
			mosaic_resources scalars = h->res;
			scalars.nports = 0;
			res_add(&sum, &scalars);
		}
		n->avail = sum;
		n->nsockets = h->nsockets;
		memcpy(n->free_cores, h->cores, sizeof(n->free_cores));
	}
	free(by_agent);
	sized_node *sorted = xmalloc((ns->n ? ns->n : 1) * sizeof(*sorted));
	for (size_t k = 0; k < ns->n; k++)
		sorted[k] = (sized_node){ns->nodes[k], rankmap_node_slots(&g->cfg.map, &ns->nodes[k])};
	qsort(sorted, ns->n, sizeof(*sorted), cmp_nodes);
	for (size_t k = 0; k < ns->n; k++)
		ns->nodes[k] = sorted[k].node;
	free(sorted);
}

/* The least room a node must have to be worth holding. */
static unsigned
min_slots(const gang *g)
{
	return g->cfg.map.ppn ? g->cfg.map.ppn : 1;
}

/* Tries to launch from the offers in l. On success fills out (launch,
 * plan, launch ids, declines of the unused offers) and returns true. */
static bool
try_launch(gang *g, const offer_list *l, gang_actions *out)
{
	node_set ns;
	nodes_build(&ns, g, l);
	char err[256];
	rankmap plan;
	int rv = rankmap_place(&plan, &g->cfg.map, ns.nodes, ns.n, err, sizeof(err));
	free(ns.nodes); /* plan copied the strings it keeps */
	if (rv != MOSAIC_OK)
		return false;
	out->launch = true;
	out->plan = plan;
	for (size_t i = 0; i < l->n; i++) {
		bool used = false;
		for (size_t k = 0; k < plan.nplaces && !used; k++)
			used = strcmp(plan.places[k].agent_id, l->items[i].agent_id) == 0;
		if (used)
			push_launch(out, l->items[i].id);
		else
			push_decline(out, l->items[i].id, g->cfg.refuse_seconds);
	}
	out->demand = GANG_DEMAND_CLEAR;
	g->state = GANG_LAUNCHING;
	return true;
}

/* Declines (now) the offers on agents that cannot hold min_slots ranks
 * even with everything held there. */
static void
drop_useless(gang *g, gang_actions *out)
{
	node_set ns;
	nodes_build(&ns, g, &g->held);
	/* The nodes point into held: note the useless agents before removing. */
	char(*bad)[MOSAIC_ID_MAX] = xmalloc((ns.n ? ns.n : 1) * sizeof(*bad));
	size_t nbad = 0;
	for (size_t k = 0; k < ns.n; k++)
		if (rankmap_node_slots(&g->cfg.map, &ns.nodes[k]) < min_slots(g))
			snprintf(bad[nbad++], MOSAIC_ID_MAX, "%s", ns.nodes[k].agent_id);
	free(ns.nodes);
	for (size_t i = g->held.n; nbad && i-- > 0;)
		for (size_t b = 0; b < nbad; b++)
			if (strcmp(g->held.items[i].agent_id, bad[b]) == 0) {
				push_decline(out, g->held.items[i].id, g->cfg.refuse_seconds);
				list_remove(&g->held, i);
				break;
			}
	free(bad);
}

static double
uniform(gang *g)
{
	/* splitmix64: a seeded, reproducible stream. */
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53;
}

/* The hold ran out: give everything back and wait [b, 2b). */
static void
release(gang *g, double now, gang_actions *out)
{
	double b = g->cfg.backoff_min;
	for (unsigned i = 0; i < g->releases && b < g->cfg.backoff_max; i++)
		b *= 2;
	if (b > g->cfg.backoff_max)
		b = g->cfg.backoff_max;
	double delay = b * (1 + uniform(g));
	g->releases++;
	/* Filtered for the whole back-off: others get them meanwhile. */
	for (size_t i = 0; i < g->held.n; i++)
		push_decline(out, g->held.items[i].id, delay);
	list_clear(&g->held);
	g->hold_started = -1;
	g->state = GANG_BACKOFF;
	g->backoff_until = now + delay;
	out->released = true;
	out->backoff_seconds = delay;
}

/* Timers that are due, adding to out (the other events tick first). */
static void
tick(gang *g, double now, gang_actions *out)
{
	if (g->state == GANG_GATHERING && g->hold_started >= 0 &&
	    now >= g->hold_started + g->cfg.hold_seconds)
		release(g, now, out);
	else if (g->state == GANG_BACKOFF && now >= g->backoff_until)
		g->state = GANG_GATHERING;
	set_wake(g, out);
}

void
gang_start(gang *g, double now, gang_actions *out)
{
	actions_reset(out);
	if (g->state == GANG_IDLE) {
		g->since = now;
		g->state = GANG_GATHERING;
		declare(g, out);
	}
	set_wake(g, out);
}

static void
decline_all(const gang_offer *offers, size_t n, double refuse, gang_actions *out)
{
	for (size_t i = 0; i < n; i++)
		push_decline(out, offers[i].id, refuse);
}

void
gang_offers(gang *g, double now, const gang_offer *offers, size_t n, gang_actions *out)
{
	actions_reset(out);
	tick(g, now, out); /* a due timer first: it may change the state */
	switch (g->state) {
	case GANG_GATHERING:
		for (size_t i = 0; i < n; i++)
			if (!list_has(&g->held, offers[i].id))
				list_push(&g->held, &offers[i]);
			else
				push_decline(out, offers[i].id, g->cfg.refuse_seconds); /* a duplicate id */
		drop_useless(g, out);
		if (g->held.n && g->hold_started < 0)
			g->hold_started = now;
		if (try_launch(g, &g->held, out)) {
			list_clear(&g->held);
			g->hold_started = -1;
		}
		break;
	case GANG_BACKOFF: {
		/* Only a batch that holds the whole gang is taken now. */
		offer_list batch = {0};
		for (size_t i = 0; i < n; i++)
			if (!list_has(&batch, offers[i].id))
				list_push(&batch, &offers[i]);
		if (!try_launch(g, &batch, out))
			decline_all(offers, n, fmax(g->backoff_until - now, 0.1), out);
		list_clear(&batch);
		free(batch.items);
		break;
	}
	case GANG_LAUNCHED: decline_all(offers, n, GANG_DONE_REFUSE, out); break;
	default: /* idle, or a launch in flight */ decline_all(offers, n, g->cfg.refuse_seconds, out); break;
	}
	set_wake(g, out);
}

void
gang_rescind(gang *g, double now, const char *offer_id, gang_actions *out)
{
	actions_reset(out);
	for (size_t i = 0; i < g->held.n; i++)
		if (strcmp(g->held.items[i].id, offer_id) == 0) {
			list_remove(&g->held, i);
			break;
		}
	if (!g->held.n)
		g->hold_started = -1; /* nothing held: the next hold starts afresh */
	tick(g, now, out);
}

void
gang_tick(gang *g, double now, gang_actions *out)
{
	actions_reset(out);
	tick(g, now, out);
}

void
gang_launch_result(gang *g, double now, bool ok, gang_actions *out)
{
	actions_reset(out);
	if (g->state == GANG_LAUNCHING) {
		if (ok) {
			g->state = GANG_LAUNCHED;
		} else {
			/* The offers went stale (an agent lost, an offer rescinded
			 * in flight): they are gone; gather again, still waiting
			 * since the first start. */
			g->state = GANG_GATHERING;
			g->hold_started = -1;
			declare(g, out);
		}
	}
	set_wake(g, out);
}
