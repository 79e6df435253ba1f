/* test_gang.c - mmpirun's gang assembly: holding until the job fits,
 * launching all ranks with the leftovers declined, useless offers declined
 * at once, the bounded hold and the randomised exponential back-off, a
 * whole gang delivered during a back-off, rescinds, refused launches, the
 * demand declared and cleared at the right moments; two gangs that each
 * need most of a toy cluster both complete (no hoarding deadlock); and
 * random event sequences checked for every offer being answered once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "errors.h"
#include "gang.h"
#include "resources.h"

static gang_offer
offer(const char *id, const char *agent, const char *host, double cpus, double mem)
{
	gang_offer o;
	memset(&o, 0, sizeof(o));
	o.id = id;
	o.agent_id = agent;
	o.hostname = host;
	o.resources.cpus = cpus;
	o.resources.mem = mem;
	return o;
}

static gang *
make(unsigned np, unsigned ppn, double cpus, uint64_t seed)
{
	gang_config cfg;
	gang_config_init(&cfg);
	cfg.map.np = np;
	cfg.map.ppn = ppn;
	cfg.map.cpus_per_rank = cpus;
	cfg.hold_seconds = 10;
	cfg.backoff_min = 1;
	cfg.backoff_max = 8;
	cfg.seed = seed;
	gang *g;
	char err[256];
	if (gang_new(&g, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "gang_new: %s\n", err);
		abort();
	}
	return g;
}

static bool
declined(const gang_actions *a, const char *id, double *refuse)
{
	for (size_t i = 0; i < a->ndecline; i++)
		if (strcmp(a->decline[i].id, id) == 0) {
			if (refuse)
				*refuse = a->decline[i].refuse_seconds;
			return true;
		}
	return false;
}

static bool
launched(const gang_actions *a, const char *id)
{
	for (size_t i = 0; i < a->nlaunch; i++)
		if (strcmp(a->launch_ids[i], id) == 0)
			return true;
	return false;
}

static void
test_fits_and_launches(void)
{
	gang *g = make(8, 0, 1, 1);
	gang_actions a;
	gang_actions_init(&a);
	CHECK(gang_get_state(g) == GANG_IDLE);
	gang_start(g, 100, &a);
	CHECK(gang_get_state(g) == GANG_GATHERING);
	CHECK(a.demand == GANG_DEMAND_DECLARE && a.demand_tasks == 8 && a.demand_since == 100);
	CHECK_NEAR(a.demand_per_task.cpus, 1, 1e-9);
	CHECK(a.wake_at == 0);

	/* Half the job: held, the hold runs until 111. */
	gang_offer o1 = offer("o1", "a1", "node1", 4, 4096);
	gang_offers(g, 101, &o1, 1, &a);
	CHECK(!a.launch && a.ndecline == 0 && a.demand == GANG_DEMAND_KEEP);
	CHECK(gang_held(g) == 1);
	CHECK(a.wake_at == 111);
	/* A too-small offer is declined at once, not held (0.5 cpu). */
	gang_offer tiny = offer("o-tiny", "a9", "node9", 0.5, 128);
	gang_offers(g, 102, &tiny, 1, &a);
	double refuse = 0;
	CHECK(declined(&a, "o-tiny", &refuse) && refuse == 5);
	CHECK(gang_held(g) == 1 && a.wake_at == 111);

	/* Two more agents: 4 + 6 + 2 cpus. The mapping uses the biggest
	 * first (6, then 4 - 10 ranks of room for 8), the 2-cpu one goes back. */
	gang_offer more[2] = {offer("o2", "a2", "node2", 6, 4096), offer("o3", "a3", "node3", 2, 4096)};
	gang_offers(g, 103, more, 2, &a);
	CHECK(a.launch);
	CHECK(a.nlaunch == 2 && launched(&a, "o1") && launched(&a, "o2"));
	CHECK(a.ndecline == 1 && declined(&a, "o3", &refuse) && refuse == 5);
	CHECK(strcmp(a.plan.hostlist, "node2:6,node1:2") == 0);
	CHECK(a.plan.np == 8 && a.plan.nplaces == 2);
	CHECK(a.demand == GANG_DEMAND_CLEAR);
	CHECK(gang_get_state(g) == GANG_LAUNCHING && gang_held(g) == 0);
	CHECK(a.wake_at == 0);

	gang_launch_result(g, 104, true, &a);
	CHECK(gang_get_state(g) == GANG_LAUNCHED);
	CHECK(!a.launch && a.demand == GANG_DEMAND_KEEP);
	gang_offer late = offer("o4", "a4", "node4", 8, 4096);
	gang_offers(g, 105, &late, 1, &a);
	CHECK(declined(&a, "o4", &refuse) && refuse == GANG_DONE_REFUSE);
	CHECK(strcmp(gang_state_name(gang_get_state(g)), "launched") == 0);
	gang_actions_fini(&a);
	gang_free(g);
}

/* Two offers of one agent add up; --ppn needs that much on one node. */
static void
test_ppn_and_same_agent(void)
{
	gang *g = make(4, 2, 2, 1);
	gang_actions a;
	gang_actions_init(&a);
	gang_start(g, 0, &a);
	CHECK(a.demand_tasks == 2);
	CHECK_NEAR(a.demand_per_task.cpus, 4, 1e-9);
	/* 2 cpus on a1: room for one rank, not ppn 2 - declined. */
	gang_offer o1 = offer("o1", "a1", "h1", 2, 1024);
	gang_offers(g, 1, &o1, 1, &a);
	CHECK(declined(&a, "o1", NULL) && gang_held(g) == 0 && a.wake_at == 0);
	/* 2 + 2 on a2 in one batch: together room for 2: held. */
	gang_offer two[2] = {offer("o2", "a2", "h2", 2, 1024), offer("o3", "a2", "h2", 2, 1024)};
	gang_offers(g, 2, two, 2, &a);
	CHECK(a.ndecline == 0 && gang_held(g) == 2 && a.wake_at == 12);
	gang_offer o4 = offer("o4", "a3", "h3", 4, 1024);
	gang_offers(g, 3, &o4, 1, &a);
	CHECK(a.launch && a.nlaunch == 3);
	CHECK(strcmp(a.plan.hostlist, "h2:2,h3:2") == 0);
	CHECK_NEAR(a.plan.places[0].res.cpus, 4, 1e-9);
	gang_actions_fini(&a);
	gang_free(g);
}

static void
test_hold_timeout_backoff(void)
{
	gang *g = make(8, 0, 1, 42);
	gang_actions a;
	gang_actions_init(&a);
	gang_start(g, 0, &a);
	double now = 0, expect_b = 1;
	char id[32];
	for (int round = 0; round < 6; round++) {
		/* A partial gang arrives and is held. */
		snprintf(id, sizeof(id), "p%d", round);
		gang_offer p = offer(id, "a1", "h1", 4, 0);
		now += 1;
		gang_offers(g, now, &p, 1, &a);
		CHECK(gang_held(g) == 1 && a.wake_at == now + 10);
		double deadline = a.wake_at;
		gang_tick(g, deadline - 0.5, &a);
		CHECK(!a.released && a.wake_at == deadline);
		/* The hold runs out: everything back, filtered for the back-off. */
		gang_tick(g, deadline, &a);
		CHECK(a.released && gang_get_state(g) == GANG_BACKOFF);
		CHECK(a.backoff_seconds >= expect_b && a.backoff_seconds < 2 * expect_b);
		double refuse = 0;
		CHECK(declined(&a, id, &refuse) && refuse == a.backoff_seconds);
		CHECK(a.wake_at == deadline + a.backoff_seconds);
		CHECK(a.demand == GANG_DEMAND_KEEP); /* still the same wait */
		CHECK(gang_releases(g) == (unsigned)round + 1);
		double until = a.wake_at;
		/* Meanwhile a partial offer is declined for what is left. */
		gang_offer q = offer("q", "a2", "h2", 4, 0);
		gang_offers(g, deadline + 0.25 * a.backoff_seconds, &q, 1, &a);
		CHECK(declined(&a, "q", &refuse));
		CHECK_NEAR(refuse, until - (deadline + 0.25 * (until - deadline)), 1e-9);
		CHECK(gang_held(g) == 0);
		gang_tick(g, until, &a);
		CHECK(gang_get_state(g) == GANG_GATHERING && a.wake_at == 0);
		now = until;
		expect_b = expect_b * 2 > 8 ? 8 : expect_b * 2; /* 1, 2, 4, 8, 8, 8 */
	}
	gang_actions_fini(&a);
	gang_free(g);

	/* The waits are random: two gangs seeded differently soon differ;
	 * the same seed gives the same waits. */
	double w[3][4];
	uint64_t seeds[3] = {7, 8, 7};
	for (int k = 0; k < 3; k++) {
		g = make(8, 0, 1, seeds[k]);
		gang_actions_init(&a);
		gang_start(g, 0, &a);
		for (int r = 0; r < 4; r++) {
			gang_offer p = offer("p", "a1", "h1", 4, 0);
			gang_offers(g, 1000.0 * r, &p, 1, &a);
			gang_tick(g, 1000.0 * r + 10, &a);
			w[k][r] = a.backoff_seconds;
			gang_tick(g, 1000.0 * r + 500, &a);
		}
		gang_actions_fini(&a);
		gang_free(g);
	}
	CHECK(memcmp(w[0], w[2], sizeof(w[0])) == 0);
	CHECK(memcmp(w[0], w[1], sizeof(w[0])) != 0);
}

/* During a back-off a batch that holds the whole gang (the allocator's
 * reservation) is taken; rescinds drop held offers and reset the hold. */
static void
test_backoff_batch_and_rescind(void)
{
	gang *g = make(6, 0, 1, 3);
	gang_actions a;
	gang_actions_init(&a);
	gang_start(g, 0, &a);
	gang_offer p = offer("p", "a1", "h1", 2, 0);
	gang_offers(g, 1, &p, 1, &a);
	gang_tick(g, 11, &a);
	CHECK(gang_get_state(g) == GANG_BACKOFF);
	gang_offer batch[3] = {
	    offer("b1", "a1", "h1", 2, 0), offer("b2", "a2", "h2", 2, 0), offer("b3", "a3", "h3", 2, 0)};
	gang_offers(g, 11.5, batch, 3, &a);
	CHECK(a.launch && a.nlaunch == 3 && a.ndecline == 0);
	CHECK(a.demand == GANG_DEMAND_CLEAR);
	CHECK(gang_get_state(g) == GANG_LAUNCHING);
	/* The master refuses (an agent went away meanwhile): gather again,
	 * the demand declared again with the first start. */
	gang_launch_result(g, 12, false, &a);
	CHECK(gang_get_state(g) == GANG_GATHERING);
	CHECK(a.demand == GANG_DEMAND_DECLARE && a.demand_since == 0 && a.demand_tasks == 6);

	gang_offer two[2] = {offer("c1", "a1", "h1", 2, 0), offer("c2", "a2", "h2", 2, 0)};
	gang_offers(g, 13, two, 2, &a);
	CHECK(gang_held(g) == 2 && a.wake_at == 23);
	gang_rescind(g, 14, "c1", &a);
	CHECK(gang_held(g) == 1 && a.wake_at == 23);
	gang_rescind(g, 14, "nope", &a);
	CHECK(gang_held(g) == 1);
	gang_rescind(g, 15, "c2", &a);
	CHECK(gang_held(g) == 0 && a.wake_at == 0);
	/* Nothing held: the next offer starts a new hold. */
	gang_offer c3 = offer("c3", "a3", "h3", 2, 0);
	gang_offers(g, 20, &c3, 1, &a);
	CHECK(a.wake_at == 30);
	/* A duplicate id is answered, not held twice. */
	gang_offers(g, 21, &c3, 1, &a);
	CHECK(gang_held(g) == 1 && declined(&a, "c3", NULL));
	gang_actions_fini(&a);
	gang_free(g);

	/* Offers before start are declined. */
	g = make(2, 0, 1, 3);
	gang_actions_init(&a);
	gang_offers(g, 0, &c3, 1, &a);
	CHECK(declined(&a, "c3", NULL) && gang_held(g) == 0);
	gang_actions_fini(&a);
	gang_free(g);
}

static void
test_config_errors(void)
{
	gang_config cfg;
	gang_config_init(&cfg);
	cfg.map.np = 6;
	cfg.map.ppn = 4;
	gang *g = (gang *)&cfg; /* must be set to NULL on failure */
	char err[256] = "";
	CHECK(gang_new(&g, &cfg, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(g == NULL);
	CHECK(strstr(err, "not a multiple of --ppn 4") != NULL);
	gang_config_init(&cfg);
	cfg.hold_seconds = -1;
	CHECK(gang_new(&g, &cfg, err, sizeof(err)) == MOSAIC_EINVAL);
	gang_config_init(&cfg);
	cfg.backoff_max = 0.5; /* below backoff_min */
	CHECK(gang_new(&g, &cfg, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "back-off") != NULL);
}

/* ---- a toy master: 8 one-slot agents, two gangs of 6 ---- */

enum { TOY_AGENTS = 8, TOY_GANGS = 2 };

typedef struct toy {
	int owner[TOY_AGENTS]; /* -1 free, g offered to gang g, 10+g running g */
	double filter[TOY_GANGS][TOY_AGENTS];
	double run_until[TOY_GANGS];
	gang *g[TOY_GANGS];
	double wake[TOY_GANGS];
	double launched_at[TOY_GANGS], ended_at[TOY_GANGS];
	unsigned next_offer;
} toy;

static void
toy_apply(toy *t, int k, double now, const gang_actions *a)
{
	for (size_t i = 0; i < a->ndecline; i++) {
		int ag = atoi(a->decline[i].id + 1) % TOY_AGENTS; /* ids "o<seq*8+agent>" */
		CHECK(t->owner[ag] == k);
		t->owner[ag] = -1;
		t->filter[k][ag] = now + a->decline[i].refuse_seconds;
	}
	if (a->launch) {
		CHECK(a->plan.np == 6);
		for (size_t i = 0; i < a->nlaunch; i++) {
			int ag = atoi(a->launch_ids[i] + 1) % TOY_AGENTS;
			CHECK(t->owner[ag] == k);
			t->owner[ag] = 10 + k;
		}
		t->launched_at[k] = now;
		t->run_until[k] = now + 30;
		gang_actions r;
		gang_actions_init(&r);
		gang_launch_result(t->g[k], now, true, &r);
		gang_actions_fini(&r);
	}
	t->wake[k] = a->wake_at;
}

/* Free agents are offered one at a time each second to the gang holding
 * less (ties alternate), as DRF between two equal frameworks would. */
static void
test_two_gangs_no_deadlock(void)
{
	toy t;
	memset(&t, 0, sizeof(t));
	for (int ag = 0; ag < TOY_AGENTS; ag++)
		t.owner[ag] = -1;
	gang_actions a;
	gang_actions_init(&a);
	for (int k = 0; k < TOY_GANGS; k++) {
		t.g[k] = make(6, 0, 1, 1000 + (uint64_t)k);
		gang_start(t.g[k], 0, &a);
		t.launched_at[k] = t.ended_at[k] = -1;
	}
	unsigned seq = 0;
	for (double now = 1; now < 600; now += 1) {
		for (int k = 0; k < TOY_GANGS; k++) {
			if (t.launched_at[k] >= 0 && t.ended_at[k] < 0 && now >= t.run_until[k]) {
				for (int ag = 0; ag < TOY_AGENTS; ag++)
					if (t.owner[ag] == 10 + k)
						t.owner[ag] = -1;
				t.ended_at[k] = now;
			}
			if (t.wake[k] > 0 && now >= t.wake[k]) {
				gang_tick(t.g[k], now, &a);
				toy_apply(&t, k, now, &a);
			}
		}
		for (int ag = 0; ag < TOY_AGENTS; ag++) {
			if (t.owner[ag] != -1)
				continue;
			int held[TOY_GANGS] = {0};
			for (int x = 0; x < TOY_AGENTS; x++)
				if (t.owner[x] >= 0 && t.owner[x] < TOY_GANGS)
					held[t.owner[x]]++;
			int first = held[0] != held[1] ? (held[0] > held[1]) : (int)(t.next_offer++ % 2);
			for (int c = 0; c < TOY_GANGS; c++) {
				int k = (first + c) % TOY_GANGS;
				if (t.filter[k][ag] > now || gang_get_state(t.g[k]) == GANG_LAUNCHED)
					continue;
				char id[16];
				snprintf(id, sizeof(id), "o%u", seq++ * TOY_AGENTS + (unsigned)ag);
				gang_offer o = offer(id, "", "", 1, 0);
				char agent[8];
				snprintf(agent, sizeof(agent), "a%d", ag);
				o.agent_id = agent;
				t.owner[ag] = k;
				gang_offers(t.g[k], now, &o, 1, &a);
				toy_apply(&t, k, now, &a);
				break;
			}
		}
		/* Never more than the cluster. */
		int running = 0;
		for (int ag = 0; ag < TOY_AGENTS; ag++)
			running += t.owner[ag] >= 10;
		CHECK(running <= TOY_AGENTS);
		if (t.ended_at[0] >= 0 && t.ended_at[1] >= 0)
			break;
	}
	/* Both ran, one after the other (6 + 6 > 8), and at first both held
	 * part of the cluster and had to let go. */
	CHECK(t.launched_at[0] >= 0 && t.launched_at[1] >= 0);
	CHECK(t.ended_at[0] >= 0 && t.ended_at[1] >= 0);
	int f = t.launched_at[0] < t.launched_at[1] ? 0 : 1;
	CHECK(t.launched_at[1 - f] >= t.ended_at[f]);
	CHECK(gang_releases(t.g[0]) + gang_releases(t.g[1]) >= 1);
	for (int k = 0; k < TOY_GANGS; k++)
		gang_free(t.g[k]);
	gang_actions_fini(&a);
}

static uint64_t test_rng = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(uint32_t n)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 7;
	test_rng ^= test_rng << 17;
	return n ? (uint32_t)(test_rng % n) : 0;
}

enum { OUT_NONE, OUT_HELD, OUT_DONE };

/* Random events: every offer is answered exactly once (declined, launched,
 * or rescinded by the master), a launch is a complete, fitting mapping of
 * offers it was given, and a release gives back everything held. */
static void
test_random_events(void)
{
	enum { OFFERS = 400 };
	static int state[OFFERS];
	static gang_offer given[OFFERS];
	static char ids[OFFERS][16], agents[OFFERS][16];
	unsigned launches = 0, releases = 0;
	for (int run = 0; run < 40; run++) {
		memset(state, 0, sizeof(state));
		unsigned np = 1 + rnd(12), ppn = rnd(3) == 0 ? 1 + rnd(3) : 0;
		if (ppn)
			np = ppn * (1 + rnd(4));
		gang *g = make(np, ppn, 1 + rnd(2), 77 + (uint64_t)run);
		gang_actions a;
		gang_actions_init(&a);
		gang_start(g, 0, &a);
		int n = 0;
		double now = 0;
		while (n < OFFERS && gang_get_state(g) != GANG_LAUNCHED) {
			now += 0.5 * rnd(6);
			uint32_t ev = rnd(10);
			if (ev < 6) {
				size_t k = 1 + rnd(3), first = (size_t)n;
				for (size_t i = 0; i < k && n < OFFERS; i++, n++) {
					snprintf(ids[n], sizeof(ids[n]), "o%d", n);
					snprintf(agents[n], sizeof(agents[n]), "a%u", rnd(6));
					given[n] = offer(ids[n], agents[n], agents[n], rnd(5), 1024);
					state[n] = OUT_HELD;
				}
				gang_offers(g, now, &given[first], (size_t)n - first, &a);
			} else if (ev < 8 && n) {
				int r = (int)rnd((uint32_t)n);
				gang_rescind(g, now, ids[r], &a);
				if (state[r] == OUT_HELD)
					state[r] = OUT_DONE; /* the master took it back */
			} else if (ev == 8 && gang_get_state(g) == GANG_LAUNCHING) {
				gang_launch_result(g, now, rnd(2), &a);
			} else {
				gang_tick(g, now, &a);
			}
			for (size_t i = 0; i < a.ndecline; i++) {
				int o = atoi(a.decline[i].id + 1);
				CHECK(state[o] == OUT_HELD);
				state[o] = OUT_DONE;
			}
			if (a.released) {
				releases++;
				CHECK(gang_held(g) == 0);
				for (int o = 0; o < n; o++)
					CHECK(state[o] != OUT_HELD); /* all given back */
			}
			if (a.launch) {
				launches++;
				mosaic_resources per_agent[6];
				memset(per_agent, 0, sizeof(per_agent));
				for (size_t i = 0; i < a.nlaunch; i++) {
					int o = atoi(a.launch_ids[i] + 1);
					CHECK(state[o] == OUT_HELD);
					state[o] = OUT_DONE;
					CHECK_OK(
					    res_add(&per_agent[atoi(agents[o] + 1)], &given[o].resources));
				}
				for (int o = 0; o < n; o++)
					CHECK(state[o] != OUT_HELD); /* nothing kept back */
				unsigned placed = 0;
				for (size_t k = 0; k < a.plan.nplaces; k++) {
					const rankmap_host *p = &a.plan.places[k];
					CHECK(p->res.cpus <= per_agent[atoi(p->agent_id + 1)].cpus + 1e-9);
					if (ppn)
						CHECK(p->nranks == ppn);
					placed += p->nranks;
				}
				CHECK(placed == np && a.plan.np == np);
			}
			CHECK(a.wake_at == 0 || a.wake_at >= now);
			if (gang_get_state(g) == GANG_GATHERING && gang_held(g))
				CHECK(a.wake_at > 0 && a.wake_at <= now + 10);
		}
		gang_actions_fini(&a);
		gang_free(g);
	}
	CHECK(launches >= 10 && releases >= 10);
}

int
main(void)
{
	test_fits_and_launches();
	test_ppn_and_same_agent();
	test_hold_timeout_backoff();
	test_backoff_batch_and_rescind();
	test_config_errors();
	test_two_gangs_no_deadlock();
	test_random_events();
	return check_done();
}
