/* delay: the delay-scheduling policy's scenarios: node-local only while
 * the wait runs, off-rack after it; the rack rung in between; most local
 * first within an offer; reset after a local launch; the pitfall of short
 * tasks on a hot agent (spread); the spread cap; bookkeeping. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "delay.h"

static const delay_pref ON_A[] = {{"A", NULL}};

static size_t
offer(delay_policy *d, const char *agent, const char *rack, uint32_t slots, double now, delay_launch *out)
{
	delay_offer o = {agent, rack, slots};
	return delay_on_offer(d, &o, now, out);
}

/* Data on A only: A's offers get node-local tasks, B's get nothing until
 * the wait (from the last reset) is over, then off-rack tasks. */
static void
test_wait_then_off_rack(void)
{
	delay_config cfg = {.locality_wait = 1.0};
	delay_policy *d;
	delay_new(&d, &cfg, 0);
	for (uint32_t i = 0; i < 6; i++)
		CHECK_OK(delay_add_task(d, i, ON_A, 1, 0));
	delay_launch l[4];
	CHECK(offer(d, "A", NULL, 2, 0.1, l) == 2);
	CHECK(l[0].task == 0 && l[1].task == 1 && l[0].level == DELAY_NODE_LOCAL &&
	      l[1].level == DELAY_NODE_LOCAL);
	/* A's launch at 0.1 restarted the wait (nobody had been turned away). */
	CHECK(delay_allowed_level(d, 1.05) == DELAY_NODE_LOCAL);
	CHECK(offer(d, "B", NULL, 2, 0.2, l) == 0);
	CHECK_NEAR(delay_next_change(d, 0.2), 1.1, 1e-9);
	CHECK(offer(d, "A", NULL, 1, 0.5, l) == 1 && l[0].level == DELAY_NODE_LOCAL && l[0].task == 2);
	/* B was turned away: A's local launch at 0.5 did not restart the wait. */
	CHECK(offer(d, "B", NULL, 2, 1.05, l) == 0);
	CHECK(offer(d, "B", NULL, 2, 1.15, l) == 2);
	CHECK(l[0].level == DELAY_OFF_RACK && l[1].level == DELAY_OFF_RACK && l[0].task == 3);
	CHECK(delay_pending(d) == 1);
	delay_counters c;
	delay_get_counters(d, &c);
	CHECK(c.node_local == 3 && c.off_rack == 2 && c.rack_local == 0 && c.offers_skipped == 2);
	delay_free(d);

	/* The paper's rule restarts the wait at 0.5, so B waits until 1.5. */
	cfg.reset_on_local_launch = true;
	delay_new(&d, &cfg, 0);
	for (uint32_t i = 0; i < 6; i++)
		CHECK_OK(delay_add_task(d, i, ON_A, 1, 0));
	CHECK(offer(d, "A", NULL, 2, 0.1, l) == 2);
	CHECK(offer(d, "B", NULL, 2, 0.2, l) == 0);
	CHECK(offer(d, "A", NULL, 1, 0.5, l) == 1);
	CHECK(offer(d, "B", NULL, 2, 1.15, l) == 0);
	CHECK(offer(d, "B", NULL, 2, 1.55, l) == 2 && l[0].level == DELAY_OFF_RACK);
	delay_free(d);
}

/* With racks: node-local, then rack-local after W, then any after 2W. */
static void
test_rack_ladder(void)
{
	delay_config cfg = {.locality_wait = 1.0};
	delay_policy *d;
	delay_new(&d, &cfg, 0);
	const delay_pref p[] = {{"A", "r1"}};
	for (uint32_t i = 0; i < 4; i++)
		CHECK_OK(delay_add_task(d, i, p, 1, 0));
	delay_launch l[4];
	CHECK(delay_allowed_level(d, 0.99) == DELAY_NODE_LOCAL);
	CHECK(delay_allowed_level(d, 1.0) == DELAY_RACK_LOCAL);
	CHECK(delay_allowed_level(d, 2.0) == DELAY_OFF_RACK);
	CHECK(offer(d, "C", "r1", 1, 0.1, l) == 0);
	CHECK(offer(d, "D", "r2", 1, 0.2, l) == 0);
	CHECK(offer(d, "D", "r2", 1, 1.0, l) == 0); /* rack level: D is off-rack */
	CHECK(offer(d, "C", "r1", 1, 1.0, l) == 1 && l[0].level == DELAY_RACK_LOCAL);
	/* The rack-local launch moved the job to the rack level, wait anew. */
	CHECK(delay_allowed_level(d, 1.5) == DELAY_RACK_LOCAL);
	CHECK_NEAR(delay_next_change(d, 1.5), 2.0, 1e-9);
	CHECK(offer(d, "D", "r2", 1, 1.5, l) == 0);
	CHECK(offer(d, "D", "r2", 1, 2.0, l) == 1 && l[0].level == DELAY_OFF_RACK);
	CHECK(delay_next_change(d, 2.0) == INFINITY);
	/* An offer without a rack attribute is never rack-local. */
	delay_free(d);
	delay_new(&d, &cfg, 0);
	CHECK_OK(delay_add_task(d, 0, p, 1, 0));
	CHECK(offer(d, "E", NULL, 1, 1.5, l) == 0);
	CHECK(offer(d, "E", "", 1, 1.6, l) == 0);
	CHECK(offer(d, "E", NULL, 1, 2.0, l) == 1 && l[0].level == DELAY_OFF_RACK);
	delay_free(d);

	/* Within one offer: node-local, rack-local, no preference, off-rack. */
	delay_new(&d, &cfg, 0);
	const delay_pref px[] = {{"X", "r2"}}, pb[] = {{"B", "r1"}}, pa[] = {{"Z", "r3"}, {"A", "r1"}};
	CHECK_OK(delay_add_task(d, 10, px, 1, 0));
	CHECK_OK(delay_add_task(d, 11, pb, 1, 0));
	CHECK_OK(delay_add_task(d, 12, NULL, 0, 0));
	CHECK_OK(delay_add_task(d, 13, pa, 2, 0));
	CHECK(offer(d, "A", "r1", 4, 5.0, l) == 4);
	CHECK(l[0].task == 13 && l[0].level == DELAY_NODE_LOCAL);
	CHECK(l[1].task == 11 && l[1].level == DELAY_RACK_LOCAL);
	CHECK(l[2].task == 12 && l[2].level == DELAY_NO_PREF);
	CHECK(l[3].task == 10 && l[3].level == DELAY_OFF_RACK);
	delay_counters c;
	delay_get_counters(d, &c);
	CHECK(c.node_local == 1 && c.rack_local == 1 && c.no_pref == 1 && c.off_rack == 1);
	delay_free(d);
}

/* Off-rack launches widen the job; a local launch with nobody turned away
 * brings it back to node-local and restarts the wait. */
static void
test_reset_after_local(void)
{
	delay_config cfg = {.locality_wait = 1.0};
	delay_policy *d;
	delay_new(&d, &cfg, 0);
	for (uint32_t i = 0; i < 10; i++)
		CHECK_OK(delay_add_task(d, i, ON_A, 1, 0));
	delay_launch l[2];
	CHECK(offer(d, "B", NULL, 1, 1.5, l) == 1 && l[0].level == DELAY_OFF_RACK);
	CHECK(offer(d, "B", NULL, 1, 1.6, l) == 1 && l[0].level == DELAY_OFF_RACK);
	CHECK(offer(d, "A", NULL, 1, 1.7, l) == 1 && l[0].level == DELAY_NODE_LOCAL);
	CHECK(delay_allowed_level(d, 1.8) == DELAY_NODE_LOCAL);
	CHECK(offer(d, "B", NULL, 1, 1.8, l) == 0);
	CHECK(offer(d, "B", NULL, 1, 2.69, l) == 0);
	CHECK(offer(d, "B", NULL, 1, 2.71, l) == 1 && l[0].level == DELAY_OFF_RACK);
	delay_free(d);
}

/* Tasks without preferences never wait and leave the job's level alone;
 * W = 0 means no delay at all. */
static void
test_no_wait_cases(void)
{
	delay_config cfg = {.locality_wait = 3.0};
	delay_policy *d;
	delay_new(&d, &cfg, 0);
	CHECK_OK(delay_add_task(d, 0, NULL, 0, 0));
	CHECK_OK(delay_add_task(d, 1, ON_A, 1, 0));
	delay_launch l[2];
	CHECK(offer(d, "B", NULL, 2, 0.1, l) == 1 && l[0].task == 0 && l[0].level == DELAY_NO_PREF);
	CHECK(offer(d, "B", NULL, 2, 0.2, l) == 0);
	CHECK(delay_allowed_level(d, 0.2) == DELAY_NODE_LOCAL);
	delay_free(d);

	cfg.locality_wait = 0;
	delay_new(&d, &cfg, 0);
	CHECK_OK(delay_add_task(d, 1, ON_A, 1, 0));
	CHECK(offer(d, "B", NULL, 2, 0, l) == 1 && l[0].level == DELAY_OFF_RACK);
	CHECK(delay_next_change(d, 0) == INFINITY);
	delay_free(d);
}

static void
test_bookkeeping(void)
{
	delay_config cfg = {.locality_wait = 1.0};
	delay_policy *d;
	delay_new(&d, &cfg, 0);
	delay_pref many[DELAY_MAX_PREFS + 1];
	for (int i = 0; i <= DELAY_MAX_PREFS; i++)
		many[i] = (delay_pref){"A", "r"};
	CHECK(delay_add_task(d, 0, many, DELAY_MAX_PREFS + 1, 0) == MOSAIC_EINVAL);
	const delay_pref noagent[] = {{NULL, "r"}}, empty[] = {{"", NULL}};
	CHECK(delay_add_task(d, 0, noagent, 1, 0) == MOSAIC_EINVAL);
	CHECK(delay_add_task(d, 0, empty, 1, 0) == MOSAIC_EINVAL);
	CHECK_OK(delay_add_task(d, 0, ON_A, 1, 0));
	CHECK(delay_add_task(d, 0, ON_A, 1, 0) == MOSAIC_EEXIST);
	CHECK_OK(delay_add_task(d, 5000, ON_A, 1, 0));
	CHECK(delay_pending(d) == 2);
	CHECK(delay_remove_task(d, 7) == MOSAIC_ENOENT);
	CHECK(delay_remove_task(d, 1u << 30) == MOSAIC_ENOENT);
	CHECK_OK(delay_remove_task(d, 5000));
	CHECK(delay_pending(d) == 1);
	delay_launch l[1];
	CHECK(offer(d, "A", NULL, 0, 0.1, l) == 0); /* no slots */
	CHECK(offer(d, "A", NULL, 1, 0.1, l) == 1 && l[0].task == 0);
	CHECK(delay_pending(d) == 0 && delay_next_change(d, 0.2) == INFINITY);
	CHECK(offer(d, "A", NULL, 1, 0.2, l) == 0);
	/* Re-added after a failure: pending again. Arriving at an idle job at
	 * t = 100, it waits a fresh W, not one long expired. */
	CHECK_OK(delay_add_task(d, 0, ON_A, 1, 100));
	CHECK(delay_allowed_level(d, 100.5) == DELAY_NODE_LOCAL);
	CHECK(offer(d, "B", NULL, 1, 100.5, l) == 0);
	CHECK(offer(d, "B", NULL, 1, 101.0, l) == 1);
	delay_counters c;
	delay_get_counters(d, &c);
	CHECK(c.node_local == 1 && c.off_rack == 1 && c.offers_skipped == 1);
	delay_free(d);
	delay_free(NULL);
}

/* The spread cap: four tasks, four agents, one offer takes one. */
static void
test_spread_cap(void)
{
	delay_config cfg = {.locality_wait = 1.0, .spread = true};
	for (int spread = 0; spread < 2; spread++) {
		cfg.spread = spread;
		delay_policy *d;
		delay_new(&d, &cfg, 0);
		delay_set_agents(d, 4);
		for (uint32_t i = 0; i < 4; i++)
			CHECK_OK(delay_add_task(d, i, ON_A, 1, 0));
		delay_launch l[8];
		size_t k = offer(d, "A", NULL, 8, 0.1, l);
		CHECK(k == (spread ? 1u : 4u));
		if (spread) {
			/* A cap, not locality, left slots unused: not a skip. */
			delay_counters c;
			delay_get_counters(d, &c);
			CHECK(c.offers_skipped == 0);
			CHECK(offer(d, "A", NULL, 8, 0.2, l) == 1); /* ceil(3/4) */
		}
		delay_free(d);
	}
}

/* Simulation: 8 agents of 2 slots on two racks, 200 tasks of 0.3 s whose
 * blocks are all on a0 and a1, W = 1 s, every agent with a free slot
 * offering every 50 ms. Returns the makespan; fills launches per agent. */
static double
simulate(bool paper_rule, int per_agent[8], delay_counters *c)
{
	const int NA = 8, SLOTS = 2, NT = 200;
	const double DUR = 0.3, TICK = 0.05;
	char names[8][8], racks[8][8];
	for (int a = 0; a < NA; a++) {
		snprintf(names[a], sizeof(names[a]), "a%d", a);
		snprintf(racks[a], sizeof(racks[a]), "r%d", a / 4);
		per_agent[a] = 0;
	}
	delay_config cfg = {.locality_wait = 1.0, .reset_on_local_launch = paper_rule};
	delay_policy *d;
	delay_new(&d, &cfg, 0);
	delay_set_agents(d, NA);
	const delay_pref p[] = {{"a0", "r0"}, {"a1", "r0"}};
	for (int i = 0; i < NT; i++)
		delay_add_task(d, (uint32_t)i, p, 2, 0);
	double ends[8][2];
	int busy[8] = {0};
	int done = 0;
	double now = 0, makespan = 0;
	for (int tick = 0; done < NT && tick < 100000; tick++) {
		now = tick * TICK;
		for (int a = 0; a < NA; a++)
			for (int s = 0; s < busy[a];)
				if (ends[a][s] <= now + 1e-9) {
					makespan = ends[a][s];
					ends[a][s] = ends[a][--busy[a]];
					done++;
				} else {
					s++;
				}
		for (int k = 0; k < NA; k++) {
			int a = (k + tick) % NA; /* offers arrive in varying order */
			if (busy[a] == SLOTS)
				continue;
			delay_launch l[2];
			size_t n = offer(d, names[a], racks[a], (uint32_t)(SLOTS - busy[a]), now, l);
			for (size_t i = 0; i < n; i++) {
				ends[a][busy[a]++] = now + DUR;
				per_agent[a]++;
			}
		}
	}
	delay_get_counters(d, c);
	delay_free(d);
	return makespan;
}

static void
test_short_tasks_spread(void)
{
	int ours[8], paper[8];
	delay_counters co, cp;
	double t_ours = simulate(false, ours, &co);
	double t_paper = simulate(true, paper, &cp);
	int used_ours = 0, used_paper = 0;
	for (int a = 0; a < 8; a++) {
		used_ours += ours[a] > 0;
		used_paper += paper[a] > 0;
	}
	printf("short tasks on a hot agent pair: makespan %.2f s on %d agents (paper's rule: %.2f s on %d)\n",
	       t_ours, used_ours, t_paper, used_paper);
	printf("  launches: node-local %llu, rack-local %llu, off-rack %llu\n",
	       (unsigned long long)co.node_local, (unsigned long long)co.rack_local,
	       (unsigned long long)co.off_rack);
	/* The pitfall is real: with the paper's rule the data holders' own
	 * launches keep restarting the wait and the six others stay idle. */
	CHECK(used_paper == 2);
	CHECK(used_ours == 8);
	CHECK(t_ours < 0.8 * t_paper);
	CHECK(co.node_local + co.rack_local + co.off_rack == 200);
	CHECK(co.rack_local > 0 && co.off_rack > 0);
	/* Locality still dominates: most tasks ran where their data is. */
	CHECK(co.node_local > 100);
}

int
main(void)
{
	test_wait_then_off_rack();
	test_rack_ladder();
	test_reset_after_local();
	test_no_wait_cases();
	test_bookkeeping();
	test_spread_cap();
	test_short_tasks_spread();
	return check_done();
}
