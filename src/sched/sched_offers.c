#include "sched_offers.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

void
sched_offers_init(sched_offers *o)
{
	memset(o, 0, sizeof(*o));
}

static void
entry_free(sched_offer_entry *e)
{
	free(e->id);
	free(e->agent_id);
}

void
sched_offers_fini(sched_offers *o)
{
	for (size_t i = 0; i < o->n; i++)
		entry_free(&o->v[i]);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

static ptrdiff_t
index_of(const sched_offers *o, const char *id)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->v[i].id, id) == 0)
			return (ptrdiff_t)i;
	return -1;
}

void
sched_offers_add(sched_offers *o, const char *id, const char *agent_id, const mosaic_resources *res)
{
	ptrdiff_t i = index_of(o, id);
	if (i >= 0) {
		free(o->v[i].agent_id);
		o->v[i].agent_id = xstrdup(agent_id);
		o->v[i].resources = *res;
		return;
	}
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 16;
		o->v = xrealloc(o->v, o->cap * sizeof(*o->v));
	}
	sched_offer_entry *e = &o->v[o->n++];
	e->id = xstrdup(id);
	e->agent_id = xstrdup(agent_id);
	e->resources = *res;
}

const sched_offer_entry *
sched_offers_find(const sched_offers *o, const char *id)
{
	ptrdiff_t i = index_of(o, id);
	return i >= 0 ? &o->v[i] : NULL;
}

bool
sched_offers_remove(sched_offers *o, const char *id)
{
	ptrdiff_t i = index_of(o, id);
	if (i < 0)
		return false;
	entry_free(&o->v[i]);
	o->v[i] = o->v[--o->n];
	return true;
}

size_t
sched_offers_count(const sched_offers *o)
{
	return o->n;
}

void
sched_offers_drain(sched_offers *o, const char *agent_id, void (*fn)(void *arg, const char *id), void *arg)
{
	size_t i = 0;
	while (i < o->n) {
		sched_offer_entry *e = &o->v[i];
		if (agent_id && strcmp(e->agent_id, agent_id) != 0) {
			i++;
			continue;
		}
		/* Take the entry out before the callback, which may call back
		 * into the scheduler and look offers up. */
		sched_offer_entry gone = *e;
		o->v[i] = o->v[--o->n];
		if (fn)
			fn(arg, gone.id);
		entry_free(&gone);
	}
}
