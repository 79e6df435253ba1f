#include "delay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"
#include "partition.h"

#define NONE UINT32_MAX

/* Agent and rack names interned to small integers, so matching a task to an
 * offer compares integers. Names are copied; ids are dense from 0. */
typedef struct intern {
	char **names;
	size_t n, cap;
	uint32_t *slots; /* id + 1, 0 for empty; open addressing */
	size_t mask;
} intern;

typedef struct delay_task {
	uint32_t id;
	uint32_t nprefs;
	uint32_t agent[DELAY_MAX_PREFS];
	uint32_t rack[DELAY_MAX_PREFS]; /* NONE when unknown */
} delay_task;

struct delay_policy {
	delay_config cfg;
	intern agents, racks;
	delay_task *tasks; /* pending, in arrival order */
	size_t ntasks, tcap;
	size_t npref;     /* pending tasks naming at least one agent */
	uint8_t *pending; /* by task id: 1 while pending */
	size_t pcap;
	bool use_racks; /* some task named a rack: the ladder has three rungs */
	delay_level level;
	double wait_start;
	bool skipped; /* an offer was turned away since wait_start */
	uint32_t nagents;
	delay_counters ctr;
};

static uint32_t
intern_find(const intern *in, const char *name)
{
	if (!in->slots)
		return NONE;
	for (size_t i = partition_hash(name, strlen(name)) & in->mask;; i = (i + 1) & in->mask) {
		uint32_t s = in->slots[i];
		if (s == 0)
			return NONE;
		if (strcmp(in->names[s - 1], name) == 0)
			return s - 1;
	}
}

static void
intern_rehash(intern *in, size_t nslots)
{
	free(in->slots);
	in->slots = xcalloc(nslots, sizeof(uint32_t));
	in->mask = nslots - 1;
	for (size_t id = 0; id < in->n; id++) {
		size_t i = partition_hash(in->names[id], strlen(in->names[id])) & in->mask;
		while (in->slots[i])
			i = (i + 1) & in->mask;
		in->slots[i] = (uint32_t)id + 1;
	}
}

static uint32_t
intern_add(intern *in, const char *name)
{
	uint32_t id = intern_find(in, name);
	if (id != NONE)
		return id;
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 16;
		in->names = xrealloc(in->names, in->cap * sizeof(char *));
	}
	in->names[in->n++] = xstrdup(name);
	if (!in->slots || 2 * in->n > in->mask + 1) {
		intern_rehash(in, in->slots ? 2 * (in->mask + 1) : 64);
	} else {
		size_t i = partition_hash(name, strlen(name)) & in->mask;
		while (in->slots[i])
			i = (i + 1) & in->mask;
		in->slots[i] = (uint32_t)in->n;
	}
	return (uint32_t)in->n - 1;
}

static void
intern_fini(intern *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->names[i]);
	free(in->names);
	free(in->slots);
}

void
delay_new(delay_policy **out, const delay_config *cfg, double now)
{
	delay_policy *d = xcalloc(1, sizeof(*d));
	d->cfg = *cfg;
	d->level = DELAY_NODE_LOCAL;
	d->wait_start = now;
	*out = d;
}

void
delay_free(delay_policy *d)
{
	if (!d)
		return;
	intern_fini(&d->agents);
	intern_fini(&d->racks);
	free(d->tasks);
	free(d->pending);
	free(d);
}

void
delay_set_agents(delay_policy *d, uint32_t agents)
{
	d->nagents = agents;
}

int
delay_add_task(delay_policy *d, uint32_t task, const delay_pref *prefs, size_t nprefs, double now)
{
	if (nprefs > DELAY_MAX_PREFS)
		return MOSAIC_EINVAL;
	for (size_t i = 0; i < nprefs; i++)
		if (!prefs[i].agent || !*prefs[i].agent)
			return MOSAIC_EINVAL;
	if (task >= d->pcap) {
		size_t ncap = d->pcap ? d->pcap : 64;
		while (ncap <= task)
			ncap *= 2;
		d->pending = xrealloc(d->pending, ncap);
		memset(d->pending + d->pcap, 0, ncap - d->pcap);
		d->pcap = ncap;
	}
	if (d->pending[task])
		return MOSAIC_EEXIST;
	/* Work arriving at an idle job starts a fresh wait: time spent with
	 * nothing to run was not time spent waiting for locality. */
	if (d->ntasks == 0) {
		d->level = DELAY_NODE_LOCAL;
		d->wait_start = now;
		d->skipped = false;
	}
	if (d->ntasks == d->tcap) {
		d->tcap = d->tcap ? d->tcap * 2 : 64;
		d->tasks = xrealloc(d->tasks, d->tcap * sizeof(delay_task));
	}
	delay_task *t = &d->tasks[d->ntasks++];
	t->id = task;
	t->nprefs = (uint32_t)nprefs;
	for (size_t i = 0; i < nprefs; i++) {
		t->agent[i] = intern_add(&d->agents, prefs[i].agent);
		t->rack[i] = NONE;
		if (prefs[i].rack && *prefs[i].rack) {
			t->rack[i] = intern_add(&d->racks, prefs[i].rack);
			d->use_racks = true;
		}
	}
	d->pending[task] = 1;
	if (nprefs)
		d->npref++;
	return MOSAIC_OK;
}

int
delay_remove_task(delay_policy *d, uint32_t task)
{
	if (task >= d->pcap || !d->pending[task])
		return MOSAIC_ENOENT;
	for (size_t i = 0; i < d->ntasks; i++) {
		if (d->tasks[i].id != task)
			continue;
		if (d->tasks[i].nprefs)
			d->npref--;
		memmove(&d->tasks[i], &d->tasks[i + 1], (d->ntasks - i - 1) * sizeof(delay_task));
		d->ntasks--;
		break;
	}
	d->pending[task] = 0;
	return MOSAIC_OK;
}

delay_level
delay_allowed_level(const delay_policy *d, double now)
{
	double w = d->cfg.locality_wait;
	if (w <= 0)
		return DELAY_OFF_RACK;
	double waited = now > d->wait_start ? now - d->wait_start : 0;
	double steps = floor(waited / w);
	if (!d->use_racks)
		return steps >= 1 ? DELAY_OFF_RACK : d->level;
	double l = (double)d->level + steps;
	return l >= DELAY_OFF_RACK ? DELAY_OFF_RACK : (delay_level)l;
}

double
delay_next_change(const delay_policy *d, double now)
{
	if (d->npref == 0 || delay_allowed_level(d, now) == DELAY_OFF_RACK)
		return INFINITY;
	double w = d->cfg.locality_wait;
	double waited = now > d->wait_start ? now - d->wait_start : 0;
	return d->wait_start + (floor(waited / w) + 1) * w;
}

size_t
delay_pending(const delay_policy *d)
{
	return d->ntasks;
}

void
delay_get_counters(const delay_policy *d, delay_counters *c)
{
	*c = d->ctr;
}

/* Whether pending task t may go at level lvl on the offering agent/rack. */
static bool
task_matches(const delay_task *t, delay_level lvl, uint32_t agent, uint32_t rack)
{
	switch (lvl) {
	case DELAY_NODE_LOCAL:
		for (uint32_t i = 0; i < t->nprefs; i++)
			if (t->agent[i] == agent)
				return true;
		return false;
	case DELAY_RACK_LOCAL:
		for (uint32_t i = 0; i < t->nprefs; i++)
			if (t->rack[i] == rack)
				return true;
		return false;
	case DELAY_NO_PREF: return t->nprefs == 0;
	default: return t->nprefs > 0;
	}
}

size_t
delay_on_offer(delay_policy *d, const delay_offer *o, double now, delay_launch *out)
{
	size_t npend = d->ntasks;
	if (npend == 0 || o->slots == 0)
		return 0;
	size_t cap = o->slots;
	if (d->cfg.spread && d->nagents > 0) {
		size_t share = (npend + d->nagents - 1) / d->nagents;
		if (share < cap)
			cap = share;
	}
	delay_level allowed = delay_allowed_level(d, now);
	uint32_t agent = o->agent ? intern_find(&d->agents, o->agent) : NONE;
	uint32_t rack = o->rack && *o->rack ? intern_find(&d->racks, o->rack) : NONE;

	/* The passes, most local first; a pass that cannot match is skipped. */
	const delay_level passes[] = {DELAY_NODE_LOCAL, DELAY_RACK_LOCAL, DELAY_NO_PREF, DELAY_OFF_RACK};
	size_t k = 0;
	int worst = -1; /* least local level launched, NO_PREF aside */
	for (size_t p = 0; p < sizeof(passes) / sizeof(passes[0]) && k < cap; p++) {
		delay_level lvl = passes[p];
		if ((lvl == DELAY_NODE_LOCAL && agent == NONE) || (lvl == DELAY_RACK_LOCAL && rack == NONE))
			continue;
		if (lvl != DELAY_NO_PREF && lvl > allowed)
			continue;
		for (size_t i = 0; i < d->ntasks && k < cap; i++) {
			delay_task *t = &d->tasks[i];
			if (!d->pending[t->id] || !task_matches(t, lvl, agent, rack))
				continue;
			d->pending[t->id] = 0; /* taken; compacted below */
			out[k].task = t->id;
			out[k].level = lvl;
			k++;
			if (t->nprefs)
				d->npref--;
			switch (lvl) {
			case DELAY_NODE_LOCAL: d->ctr.node_local++; break;
			case DELAY_RACK_LOCAL: d->ctr.rack_local++; break;
			case DELAY_NO_PREF: d->ctr.no_pref++; break;
			default: d->ctr.off_rack++; break;
			}
			if (lvl != DELAY_NO_PREF && (int)lvl > worst)
				worst = (int)lvl;
		}
	}
	size_t j = 0;
	for (size_t i = 0; i < d->ntasks; i++)
		if (d->pending[d->tasks[i].id])
			d->tasks[j++] = d->tasks[i];
	d->ntasks = j;

	/* Turned away for locality: slots left unused (and not by the spread
	 * cap) while tasks that want other agents wait. */
	bool rejected = k < cap && d->npref > 0;
	if (worst >= 0) {
		if (worst > (int)d->level) {
			d->level = (delay_level)worst;
			d->wait_start = now;
			d->skipped = rejected;
		} else if (d->cfg.reset_on_local_launch || (!d->skipped && !rejected)) {
			d->level = (delay_level)worst;
			d->wait_start = now;
			d->skipped = rejected;
		} else {
			d->skipped = true;
		}
	} else if (rejected) {
		d->skipped = true;
		if (k == 0)
			d->ctr.offers_skipped++;
	}
	return k;
}
