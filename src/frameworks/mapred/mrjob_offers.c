/* mrjob_offers.c - what the job does with offers.
 *
 * An offer that can hold a task runs what mrjob_place chooses. One turned
 * away by delay scheduling goes back with a filter of one wait (the revive
 * when the allowed level widens lifts it early). While nothing can run
 * (maps all launched, reduces waiting for maps) offers are suppressed.
 *
 * An offer too small for any task (memory left over on an agent whose
 * cpus are busy) goes straight back with no filter, for two reasons that
 * both come from the master: its filters shut a whole agent rather than
 * the resources refused (as Mesos's do), so a filter on a leftover would
 * hide from us the cpus the agent frees next; and an offer held counts in
 * our dominant share, so keeping leftovers would hand every freed cpu to
 * the other frameworks. The price is a decline per allocation pass while
 * the job is short of cpus. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mrjob_impl.h"

static void
one_offer(mrjob *j, const mosaic_sched_offer *o, const char **small, size_t *nsmall)
{
	mosaic_sched *s = j->s;
	mrjob_agent_note(j, o);
	bool want = delay_pending(j->dp) > 0 || mrjob_reduces_pending(j) > 0;
	if (want && !mrjob_fits(j, &o->resources)) {
		small[(*nsmall)++] = o->id;
		return;
	}
	mrjob_placed p = want ? mrjob_place(j, o, &o->resources, &o->id, 1) : MRJOB_NOTHING;
	if (p != MRJOB_LAUNCHED) {
		/* Turned away for locality: back after a wait (the revive at the
		 * next widening lifts it sooner). Nothing to run: longer. */
		double w = j->cfg->locality_wait;
		mosaic_sched_decline(s, &o->id, 1, p == MRJOB_TURNED_AWAY ? fmax(0.2, fmin(w, 5)) : 5);
	}
}

void
mrjob_on_offers(mosaic_sched *s, void *arg, const mosaic_sched_offer *offers, size_t n)
{
	mrjob *j = arg;
	const char **small = xcalloc(n ? n : 1, sizeof(char *));
	size_t nsmall = 0;
	for (size_t i = 0; i < n; i++) {
		if (j->ended || !j->dp) {
			mosaic_sched_decline(s, &offers[i].id, 1, 30);
			continue;
		}
		one_offer(j, &offers[i], small, &nsmall);
	}
	if (nsmall)
		mosaic_sched_decline(s, small, nsmall, 0);
	free(small);
	size_t live = 0;
	for (size_t i = 0; i < j->nagents; i++)
		live += !j->agents[i].lost;
	if (j->dp)
		delay_set_agents(j->dp, (uint32_t)live);
	mrjob_sync(j);
}

static void
on_revive(mosaic_sched *s, void *arg)
{
	mrjob *j = arg;
	j->revive_timer = 0;
	if (j->ended)
		return;
	mosaic_sched_revive(s);
	j->suppressed = false;
	mrjob_update_offers(j);
}

void
mrjob_update_offers(mrjob *j)
{
	if (j->ended || !j->subscribed)
		return;
	bool want = delay_pending(j->dp) > 0 || mrjob_reduces_pending(j) > 0;
	/* When a task of ours ends its agent has room: lift the filters of
	 * earlier declines rather than wait them out. */
	if (want && (j->suppressed || j->freed)) {
		mosaic_sched_revive(j->s);
		j->suppressed = false;
		j->freed = false;
	} else if (!want && !j->suppressed) {
		mosaic_sched_suppress(j->s);
		j->suppressed = true;
	}
	double now = mosaic_sched_now(j->s), at = delay_next_change(j->dp, now);
	if (!j->revive_timer && isfinite(at))
		j->revive_timer = mosaic_sched_timer_add(j->s, fmax(at - now, 0.01), on_revive, j);
}
