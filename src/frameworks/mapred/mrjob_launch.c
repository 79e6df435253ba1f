/* mrjob_launch.c - the job's second-level scheduling: what an agent's
 * offered resources run. Maps by delay scheduling (delay.h); reduces, once
 * the maps are done, anywhere, at most their fair share per agent per
 * offer so they spread. mrjob_offers.c decides what to do with offers
 * that run nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocksum.h"
#include "errors.h"
#include "kvfile.h"
#include "mem.h"
#include "mrclient.h"
#include "mrjob_impl.h"

/* Strings of the tasks of one launch, freed together after it. */
typedef struct scratch {
	char **s;
	size_t n, cap;
} scratch;

static const char *
keep(scratch *sc, char *s)
{
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? 2 * sc->cap : 64;
		sc->s = xrealloc(sc->s, sc->cap * sizeof(char *));
	}
	return sc->s[sc->n++] = s;
}

static void
scratch_free(scratch *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		free(sc->s[i]);
	free(sc->s);
}

mrjob_agent *
mrjob_agent_note(mrjob *j, const mosaic_sched_offer *o)
{
	mrjob_agent *a = mrjob_agent_find(j, o->agent_id);
	if (!a) {
		j->agents = xrealloc(j->agents, (j->nagents + 1) * sizeof(mrjob_agent));
		a = &j->agents[j->nagents++];
		memset(a, 0, sizeof(*a));
		snprintf(a->id, sizeof(a->id), "%s", o->agent_id);
	}
	const char *rack = mosaic_sched_offer_attribute(o, "rack");
	snprintf(a->hostname, sizeof(a->hostname), "%s", o->hostname);
	snprintf(a->http, sizeof(a->http), "%s", o->agent_http);
	snprintf(a->rack, sizeof(a->rack), "%s", rack ? rack : "");
	a->lost = false; /* it offers: it is back (its old outputs stay lost) */
	return a;
}

static bool
replica_live(mrjob *j, const catalog_replica *r)
{
	mrjob_agent *a = mrjob_agent_find(j, r->agent_id);
	return !a || !a->lost;
}

bool
mrjob_add_map(mrjob *j, uint32_t i)
{
	const catalog_block *b = j->maps[i].b;
	delay_pref prefs[DELAY_MAX_PREFS];
	size_t n = 0;
	for (size_t r = 0; r < b->nreplicas && n < DELAY_MAX_PREFS; r++)
		if (replica_live(j, &b->replicas[r]))
			prefs[n++] = (delay_pref){b->replicas[r].agent_id, b->replicas[r].rack};
	if (n == 0) {
		char why[512];
		snprintf(why, sizeof(why), "block %u of %s has no replica left on an agent that is up",
		         j->maps[i].block, j->maps[i].file->name);
		jobstate_fail(j->js, why);
		mrjob_end(j, false, why);
		return false;
	}
	int rv = delay_add_task(j->dp, i, prefs, n, mosaic_sched_now(j->s));
	return rv == MOSAIC_OK || rv == MOSAIC_EEXIST;
}

static size_t
slots(const mosaic_sched_resources *r, double cpus, double mem)
{
	return (size_t)fmin(r->cpus / cpus + 1e-9, r->mem / mem + 1e-9);
}

static void
map_task(mrjob *j, uint32_t i, const mosaic_sched_offer *o, const char *task_id, scratch *sc,
         mosaic_sched_task *t)
{
	const mrjob_config *cfg = j->cfg;
	const catalog_block *b = j->maps[i].b;
	const char **av = xcalloc(24 + 2 * b->nreplicas, sizeof(char *));
	keep(sc, (char *)av);
	size_t n = 0;
	av[n++] = j->c->task_program;
	av[n++] = "map";
	av[n++] = "--kind";
	av[n++] = cfg->kind == MRJOB_WORDCOUNT ? "wordcount" : "stream";
	av[n++] = "--reducers";
	av[n++] = keep(sc, xasprintf("%u", j->nreds));
	av[n++] = "--length";
	av[n++] = keep(sc, xasprintf("%llu", (unsigned long long)b->length));
	char hex[17];
	blocksum_hex(b->sum, hex);
	av[n++] = "--sum";
	av[n++] = keep(sc, xstrdup(hex));
	/* The table or sort buffer may use half the task's memory. */
	av[n++] = "--mem-limit";
	av[n++] = keep(sc, xasprintf("%llu", (unsigned long long)(cfg->map_mem * 1048576.0 / 2)));
	const char *rack = mosaic_sched_offer_attribute(o, "rack");
	/* The local replica first, then same-rack ones, then the rest. */
	for (size_t r = 0; r < b->nreplicas; r++) {
		if (strcmp(b->replicas[r].agent_id, o->agent_id) == 0) {
			av[n++] = "--local";
			av[n++] = b->replicas[r].path;
			break;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t r = 0; r < b->nreplicas; r++) {
			const catalog_replica *rp = &b->replicas[r];
			bool same_rack = rack && *rack && strcmp(rp->rack, rack) == 0;
			if (strcmp(rp->agent_id, o->agent_id) == 0 || !replica_live(j, rp) ||
			    same_rack != (pass == 0))
				continue;
			/* The agent's file server as its offers give it now (it may
			 * have restarted on another port since the put). */
			mrjob_agent *ra = mrjob_agent_find(j, rp->agent_id);
			const char *http = ra && ra->http[0] ? ra->http : rp->agent_http;
			av[n++] = "--url";
			av[n++] =
			    keep(sc, xasprintf("%s/files/%s/%s/blk", http, rp->framework_id, rp->task_id));
		}
	}
	if (cfg->kind == MRJOB_STREAM) {
		av[n++] = "--mapper";
		av[n++] = cfg->mapper;
		if (cfg->combiner) {
			av[n++] = "--combiner";
			av[n++] = cfg->combiner;
		}
	}
	av[n] = NULL;
	*t = (mosaic_sched_task){
	    .id = task_id,
	    .name = keep(sc, xasprintf("map %u: %s block %u", i, j->maps[i].file->name, j->maps[i].block)),
	    .agent_id = o->agent_id,
	    .argv = av,
	    .resources = {.cpus = cfg->map_cpus, .mem = cfg->map_mem}};
}

static void
reduce_task(mrjob *j, uint32_t r, const mosaic_sched_offer *o, const char *task_id, scratch *sc,
            mosaic_sched_task *t)
{
	const mrjob_config *cfg = j->cfg;
	const char **av = xcalloc(10 + j->nmaps, sizeof(char *));
	keep(sc, (char *)av);
	size_t n = 0;
	av[n++] = j->c->task_program;
	av[n++] = "reduce";
	av[n++] = "--kind";
	av[n++] = cfg->kind == MRJOB_WORDCOUNT ? "wordcount" : "stream";
	av[n++] = "--partition";
	av[n++] = keep(sc, xasprintf("%u", r));
	if (cfg->kind == MRJOB_STREAM) {
		av[n++] = "--reducer";
		av[n++] = cfg->reducer;
	}
	for (uint32_t m = 0; m < j->nmaps; m++) {
		const jobstate_task *mt = jobstate_task_get(j->js, JOBSTATE_MAP, m);
		av[n++] =
		    keep(sc, xasprintf("%s/files/%s/%s/part-%u", mt->agent_http, j->fw_id, mt->task_id, r));
	}
	av[n] = NULL;
	*t = (mosaic_sched_task){.id = task_id,
	                         .name = keep(sc, xasprintf("reduce %u", r)),
	                         .agent_id = o->agent_id,
	                         .argv = av,
	                         .resources = {.cpus = cfg->reduce_cpus, .mem = cfg->reduce_mem}};
}

uint32_t
mrjob_reduces_pending(mrjob *j)
{
	if (!jobstate_maps_done(j->js))
		return 0;
	uint32_t n = 0;
	for (uint32_t r = 0; r < j->nreds; r++)
		n += jobstate_task_get(j->js, JOBSTATE_REDUCE, r)->phase == JOBSTATE_PENDING &&
		     !j->reds[r].probing;
	return n;
}

bool
mrjob_fits(const mrjob *j, const mosaic_sched_resources *r)
{
	return slots(r, j->cfg->map_cpus, j->cfg->map_mem) > 0 ||
	       slots(r, j->cfg->reduce_cpus, j->cfg->reduce_mem) > 0;
}

mrjob_placed
mrjob_place(mrjob *j, const mosaic_sched_offer *o, const mosaic_sched_resources *res,
            const char *const *offer_ids, size_t noffers)
{
	mosaic_sched *s = j->s;
	mrjob_agent *a = mrjob_agent_note(j, o);
	const mrjob_config *cfg = j->cfg;
	double now = mosaic_sched_now(s);
	mosaic_sched_resources left = *res;
	size_t cap =
	    slots(&left, cfg->map_cpus, cfg->map_mem) + slots(&left, cfg->reduce_cpus, cfg->reduce_mem) + 1;
	mosaic_sched_task *tasks = xcalloc(cap, sizeof(*tasks));
	char(*ids)[JOBSTATE_ID_MAX] = xcalloc(cap, JOBSTATE_ID_MAX);
	scratch sc = {0};
	size_t nt = 0;
	bool turned_away = false;

	size_t mslots = slots(&left, cfg->map_cpus, cfg->map_mem);
	if (mslots && delay_pending(j->dp)) {
		delay_launch *l = xcalloc(mslots, sizeof(*l));
		delay_offer d = {.agent = o->agent_id, .rack = a->rack, .slots = (uint32_t)mslots};
		size_t nl = delay_on_offer(j->dp, &d, now, l);
		turned_away = nl == 0;
		for (size_t k = 0; k < nl; k++) {
			int rv = jobstate_launch(j->js, JOBSTATE_MAP, l[k].task, o->agent_id, o->agent_http,
			                         ids[nt]);
			if (rv)
				continue; /* ENOSPC: the job has failed; mrjob_sync ends it */
			j->maps[l[k].task].level = l[k].level;
			j->locality[l[k].level]++;
			map_task(j, l[k].task, o, ids[nt], &sc, &tasks[nt]);
			left.cpus -= cfg->map_cpus;
			left.mem -= cfg->map_mem;
			nt++;
		}
		free(l);
	}
	uint32_t rp = mrjob_reduces_pending(j);
	if (rp) {
		size_t live = 0;
		for (size_t i = 0; i < j->nagents; i++)
			live += !j->agents[i].lost;
		size_t share = (rp + live - 1) / (live ? live : 1), put = 0;
		size_t rslots = slots(&left, cfg->reduce_cpus, cfg->reduce_mem);
		for (uint32_t r = 0; r < j->nreds && put < rslots && put < share; r++) {
			if (jobstate_task_get(j->js, JOBSTATE_REDUCE, r)->phase != JOBSTATE_PENDING ||
			    j->reds[r].probing)
				continue;
			if (jobstate_launch(j->js, JOBSTATE_REDUCE, r, o->agent_id, o->agent_http, ids[nt]) !=
			    0)
				continue;
			reduce_task(j, r, o, ids[nt], &sc, &tasks[nt]);
			nt++;
			put++;
		}
	}
	bool launched = nt > 0;
	if (nt && mosaic_sched_launch(s, offer_ids, noffers, tasks, nt, 0) != 0) {
		/* Checked before sending: a bug of ours, or a rescinded offer.
		 * The attempts count as lost; the offers are the caller's still. */
		char why[600];
		snprintf(why, sizeof(why), "cannot launch on %s: %s", o->hostname,
		         mosaic_sched_last_error(s));
		for (size_t k = 0; k < nt; k++)
			jobstate_ended(j->js, ids[k], true, why);
		launched = false;
	}
	scratch_free(&sc);
	free(tasks);
	free(ids);
	return launched ? MRJOB_LAUNCHED : turned_away ? MRJOB_TURNED_AWAY : MRJOB_NOTHING;
}
