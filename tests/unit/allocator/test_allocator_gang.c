/* test_allocator_gang.c - gang reservations in the allocator: a gang that a
 * stream of small jobs would starve gets the whole cluster it needs, two
 * gangs larger than half the cluster complete one after the other, unused
 * reservations expire and let the next gang go, roles below the gang's share
 * are still served while it holds, and nothing changes for anyone while no
 * gang starves.
 *
 * The frameworks are simulated on a simulated clock, one pass per second:
 * "stream" frameworks launch a 1-slot task on every free slot they are
 * offered (tasks end after a few seconds), "gang" frameworks accept offers
 * only when one pass brings enough for the whole gang and decline
 * everything otherwise (a 5 s filter), "holder" gangs keep partial offers
 * (as mmpirun does, up to its --hold) and launch once what they hold fits,
 * "polite" frameworks keep at most a few tasks running. Answered offers
 * end (allocator_offer_ended) as the master ends them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocator.h"
#include "check.h"
#include "errors.h"
#include "resources.h"

static mosaic_resources
R(const char *text)
{
	mosaic_resources r;
	if (res_parse(&r, text, NULL, 0) != 0) {
		fprintf(stderr, "bad resources in test: %s\n", text);
		abort();
	}
	return r;
}

static uint64_t test_rng = 88172645463325252ULL;

static uint32_t
rnd(uint32_t n)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 7;
	test_rng ^= test_rng << 17;
	return n ? (uint32_t)(test_rng % n) : 0;
}

static size_t
count_for(const allocator_offers *out, const char *fw)
{
	size_t n = 0;
	for (size_t i = 0; i < out->count; i++)
		n += strcmp(out->items[i].framework_id, fw) == 0;
	return n;
}

static void
recover_all(allocator *a, const allocator_offers *out)
{
	for (size_t i = 0; i < out->count; i++)
		CHECK_OK(allocator_recover(
		    a, out->items[i].framework_id, out->items[i].agent_id, &out->items[i].resources));
}

/* ---- a small simulated cluster ---- */

enum { MAX_FWS = 8, MAX_TASKS = 4096 };
enum kind { STREAM, GANG, POLITE, HOLDER };
enum { MAX_KEPT = 64 };

typedef struct sim_fw {
	const char *id, *role;
	enum kind kind;
	mosaic_resources task; /* one task (a slot, or a gang's per-task size) */
	unsigned gang_tasks;   /* GANG: tasks in the gang */
	double gang_since;     /* GANG: declared demand since (negative: none) */
	double run_for;        /* GANG: how long the gang runs; POLITE/STREAM: max task length */
	unsigned max_running;  /* POLITE */
	double hold;           /* HOLDER: longest it keeps a partial gang */
	double hold_started;   /* HOLDER: first offer of the current hold, -1: none */
	allocator_offer kept[MAX_KEPT]; /* HOLDER: the offers it keeps */
	size_t nkept;
	/* results */
	double launched_at;   /* GANG: when it launched, -1 before */
	size_t launch_offers; /* GANG: offers in the pass it launched from */
	unsigned running, launches, declines;
} sim_fw;

typedef struct sim_task {
	int fw;
	char agent[32];
	mosaic_resources res;
	double ends;
} sim_task;

typedef struct sim {
	allocator *a;
	sim_fw fws[MAX_FWS];
	int nfws;
	sim_task tasks[MAX_TASKS];
	int ntasks;
	double now;
	allocator_offers out;
	unsigned max_held_agents; /* largest held set seen */
} sim;

static void
sim_init(sim *s, const allocator_config *cfg, int nagents, const char *agent_res)
{
	memset(s, 0, sizeof(*s));
	s->a = allocator_new(cfg);
	mosaic_resources t = R(agent_res);
	char id[32];
	for (int i = 0; i < nagents; i++) {
		snprintf(id, sizeof(id), "agent-%02d", i);
		CHECK_OK(allocator_add_agent(s->a, id, &t));
	}
}

static int
sim_add(sim *s, sim_fw f)
{
	f.launched_at = -1;
	f.hold_started = -1;
	s->fws[s->nfws] = f;
	CHECK_OK(allocator_add_framework(s->a, f.id, f.role));
	if ((f.kind == GANG || f.kind == HOLDER) && f.gang_since >= 0)
		CHECK_OK(allocator_set_demand(s->a, f.id, &f.task, f.gang_tasks, f.gang_since));
	return s->nfws++;
}

static int
fw_index(const sim *s, const char *id)
{
	for (int i = 0; i < s->nfws; i++)
		if (strcmp(s->fws[i].id, id) == 0)
			return i;
	abort();
}

static void
task_start(sim *s, int f, const char *agent, const mosaic_resources *res, double ends)
{
	if (s->ntasks == MAX_TASKS)
		abort();
	sim_task *t = &s->tasks[s->ntasks++];
	t->fw = f;
	snprintf(t->agent, sizeof(t->agent), "%s", agent);
	t->res = *res;
	t->ends = ends;
	s->fws[f].running++;
}

/* Tasks whose time has come finish: their resources go back. */
static void
sim_end_tasks(sim *s)
{
	for (int i = 0; i < s->ntasks;) {
		sim_task *t = &s->tasks[i];
		if (t->ends > s->now) {
			i++;
			continue;
		}
		CHECK_OK(allocator_recover(s->a, s->fws[t->fw].id, t->agent, &t->res));
		s->fws[t->fw].running--;
		*t = s->tasks[--s->ntasks];
	}
}

static void
decline(sim *s, const allocator_offer *o, double refuse)
{
	CHECK_OK(allocator_recover(s->a, o->framework_id, o->agent_id, &o->resources));
	CHECK_OK(allocator_filter(s->a, o->framework_id, o->agent_id, s->now + refuse));
}

/* A stream or polite framework: a task per slot it may use, the rest back. */
static void
take_slots(sim *s, int f, const allocator_offer *o)
{
	sim_fw *fw = &s->fws[f];
	mosaic_resources rest = o->resources;
	while (res_contains(&rest, &fw->task) && (fw->kind == STREAM || fw->running < fw->max_running)) {
		CHECK_OK(res_sub(&rest, &fw->task));
		task_start(s, f, o->agent_id, &fw->task, s->now + 1 + rnd((uint32_t)fw->run_for));
		fw->launches++;
	}
	if (res_contains(&rest, &fw->task)) /* a polite one has enough */
		decline(s, &(allocator_offer){o->framework_id, o->agent_id, rest}, 1);
	else if (!res_is_empty(&rest))
		CHECK_OK(allocator_recover(s->a, fw->id, o->agent_id, &rest));
}

/* A gang framework answers all its offers of one pass together: launch if
 * they hold the whole gang (the rest goes back), else decline them all. */
static void
gang_answer(sim *s, int f)
{
	sim_fw *fw = &s->fws[f];
	unsigned fit = 0;
	size_t mine = 0;
	for (size_t i = 0; i < s->out.count; i++) {
		const allocator_offer *o = &s->out.items[i];
		if (strcmp(o->framework_id, fw->id) != 0)
			continue;
		mine++;
		mosaic_resources rest = o->resources;
		while (res_contains(&rest, &fw->task) && res_sub(&rest, &fw->task) == 0)
			fit++;
	}
	if (!mine)
		return;
	bool go = fw->launched_at < 0 && fit >= fw->gang_tasks;
	unsigned left = fw->gang_tasks;
	for (size_t i = 0; i < s->out.count; i++) {
		const allocator_offer *o = &s->out.items[i];
		if (strcmp(o->framework_id, fw->id) != 0)
			continue;
		if (!go) {
			decline(s, o, 5); /* Mesos's default refuse_seconds */
			fw->declines++;
			continue;
		}
		mosaic_resources rest = o->resources;
		while (left && res_contains(&rest, &fw->task)) {
			CHECK_OK(res_sub(&rest, &fw->task));
			task_start(s, f, o->agent_id, &fw->task, s->now + fw->run_for);
			left--;
		}
		if (!res_is_empty(&rest))
			CHECK_OK(allocator_recover(s->a, fw->id, o->agent_id, &rest));
	}
	if (go) {
		fw->launched_at = s->now;
		fw->launch_offers = mine;
		CHECK_OK(allocator_clear_demand(s->a, fw->id));
	}
}

static void
offer_end(sim *s, const allocator_offer *o)
{
	CHECK_OK(allocator_offer_ended(s->a, o->framework_id, o->agent_id, &o->resources));
}

/* A holder keeps what it is offered; once the kept offers fit the gang it
 * launches on them (the rest goes back); a partial gang kept for `hold`
 * seconds is declined whole (a 1 s back-off filter). */
static void
holder_answer(sim *s, int f)
{
	sim_fw *fw = &s->fws[f];
	for (size_t i = 0; i < s->out.count; i++)
		if (strcmp(s->out.items[i].framework_id, fw->id) == 0) {
			if (fw->nkept == MAX_KEPT)
				abort();
			fw->kept[fw->nkept++] = s->out.items[i];
		}
	unsigned fit = 0;
	for (size_t i = 0; i < fw->nkept; i++) {
		mosaic_resources rest = fw->kept[i].resources;
		while (res_contains(&rest, &fw->task) && res_sub(&rest, &fw->task) == 0)
			fit++;
	}
	if (fw->launched_at < 0 && fit >= fw->gang_tasks) {
		unsigned left = fw->gang_tasks;
		for (size_t i = 0; i < fw->nkept; i++) {
			const allocator_offer *o = &fw->kept[i];
			mosaic_resources rest = o->resources;
			while (left && res_contains(&rest, &fw->task)) {
				CHECK_OK(res_sub(&rest, &fw->task));
				task_start(s, f, o->agent_id, &fw->task, s->now + fw->run_for);
				left--;
			}
			if (!res_is_empty(&rest))
				CHECK_OK(allocator_recover(s->a, fw->id, o->agent_id, &rest));
			offer_end(s, o);
		}
		fw->nkept = 0;
		fw->launched_at = s->now;
		CHECK_OK(allocator_clear_demand(s->a, fw->id));
		return;
	}
	if (fw->nkept && fw->hold_started < 0)
		fw->hold_started = s->now;
	if (fw->nkept && (fw->launched_at >= 0 || s->now >= fw->hold_started + fw->hold)) {
		for (size_t i = 0; i < fw->nkept; i++) {
			decline(s, &fw->kept[i], 1);
			offer_end(s, &fw->kept[i]);
			fw->declines++;
		}
		fw->nkept = 0;
		fw->hold_started = -1;
	}
}

/* One pass, and every framework answers its offers. */
static void
sim_pass(sim *s)
{
	allocator_offers_clear(&s->out);
	allocator_allocate(s->a, s->now, &s->out);
	allocator_gang_info gi;
	allocator_gang_reservation(s->a, &gi);
	if (gi.held_agents > s->max_held_agents)
		s->max_held_agents = (unsigned)gi.held_agents;
	for (int f = 0; f < s->nfws; f++)
		if (s->fws[f].kind == GANG)
			gang_answer(s, f);
		else if (s->fws[f].kind == HOLDER)
			holder_answer(s, f);
	for (size_t i = 0; i < s->out.count; i++) {
		const allocator_offer *o = &s->out.items[i];
		int f = fw_index(s, o->framework_id);
		if (s->fws[f].kind != GANG && s->fws[f].kind != HOLDER)
			take_slots(s, f, o);
		if (s->fws[f].kind != HOLDER)
			offer_end(s, o);
	}
}

/* One second: tasks end, then a pass. */
static void
sim_step(sim *s)
{
	s->now += 1;
	sim_end_tasks(s);
	sim_pass(s);
}

static void
sim_fini(sim *s)
{
	allocator_offers_fini(&s->out);
	allocator_free(s->a);
}

static allocator_config
gang_config(double starvation)
{
	allocator_config cfg;
	allocator_config_init(&cfg);
	cfg.gang_starvation = starvation;
	return cfg;
}

/* ---- scenarios ---- */

/* One gang against a stream of 1-slot jobs that takes each freed slot at
 * once: the stream fills the cluster at 0, the gang arrives then. Returns
 * when the gang launched (-1: not within the horizon). */
static double
run_stream(bool declare, int nagents, const char *agent_res, const char *gang_task, unsigned gang_tasks,
    double horizon, sim *s)
{
	allocator_config cfg = gang_config(10);
	sim_init(s, &cfg, nagents, agent_res);
	sim_add(s,
	    (sim_fw){
	        .id = "stream", .role = "batch", .kind = STREAM, .task = R("cpus:1;mem:1024"), .run_for = 4});
	sim_pass(s);
	int g = sim_add(s,
	    (sim_fw){.id = "gang",
	        .role = "mpi",
	        .kind = GANG,
	        .task = R(gang_task),
	        .gang_tasks = gang_tasks,
	        .gang_since = declare ? 0 : -1,
	        .run_for = 1000});
	while (s->now < horizon && s->fws[g].launched_at < 0)
		sim_step(s);
	return s->fws[g].launched_at;
}

static void
test_gang_beats_stream(void)
{
	sim s;
	/* 8 slots on 4 agents; the gang needs all 8. Without a demand the
	 * stream keeps the cluster busy and the gang never sees 8 at once. */
	CHECK(run_stream(false, 4, "cpus:2;mem:2048", "cpus:1;mem:1024", 8, 120, &s) < 0);
	CHECK(s.fws[1].declines > 0);
	sim_fini(&s);

	/* With it: the reservation starts at the 10 s threshold; the stream's
	 * tasks (at most 4 s) end and their slots are held; the gang gets all
	 * 8 slots in one pass. */
	double t = run_stream(true, 4, "cpus:2;mem:2048", "cpus:1;mem:1024", 8, 120, &s);
	CHECK(t >= 10);
	CHECK(t <= 10 + 4 + 1);
	CHECK(s.fws[1].launch_offers == 4); /* every agent, in one pass */
	CHECK(s.fws[1].running == 8);
	CHECK(s.max_held_agents <= 4);
	allocator_gang_info gi;
	allocator_gang_reservation(s.a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_NONE); /* the demand was cleared */
	/* The stream gets the cluster back as the gang's tasks end. */
	sim_fini(&s);

	/* Gang tasks of 2 slots on 4-slot agents: freed single slots are
	 * fragments that must be held until they pair up. 16 slots, the gang
	 * needs 6 tasks = 12 slots. */
	t = run_stream(true, 4, "cpus:4;mem:4096", "cpus:2;mem:2048", 6, 120, &s);
	CHECK(t >= 10 && t <= 10 + 4 + 2);
	CHECK(s.fws[1].running == 6);
	CHECK(s.max_held_agents <= 4);
	sim_fini(&s);
	t = run_stream(false, 4, "cpus:4;mem:4096", "cpus:2;mem:2048", 6, 120, &s);
	CHECK(t < 0);
	sim_fini(&s);
}

/* A gang that keeps the partial offers it gets (as mmpirun does for up to
 * --hold) holds about half the cluster through DRF, the stream the other
 * half. Its reservation counts what it holds: the stream's freed slots
 * top it up and it launches by the threshold plus a task's length, rather
 * than after letting go of its own offers when its hold runs out (here
 * never: 1000 s). */
static void
test_gang_keeps_offers(void)
{
	sim s;
	allocator_config cfg = gang_config(10);
	sim_init(&s, &cfg, 4, "cpus:2;mem:2048");
	mosaic_resources slot = R("cpus:1;mem:1024");
	sim_add(&s, (sim_fw){.id = "stream", .role = "batch", .kind = STREAM, .task = slot, .run_for = 4});
	sim_pass(&s);
	int g = sim_add(&s,
	    (sim_fw){.id = "gang",
	        .role = "mpi",
	        .kind = HOLDER,
	        .task = slot,
	        .gang_tasks = 8,
	        .gang_since = 0,
	        .hold = 1000,
	        .run_for = 1000});
	size_t most_kept = 0;
	while (s.now < 120 && s.fws[g].launched_at < 0) {
		sim_step(&s);
		if (s.fws[g].nkept > most_kept)
			most_kept = s.fws[g].nkept;
		allocator_gang_info gi;
		allocator_gang_reservation(s.a, &gi);
		if (gi.phase == ALLOCATOR_GANG_HOLDING)
			CHECK(gi.held_tasks < 8);
	}
	CHECK(most_kept >= 1); /* it did keep offers before its turn */
	CHECK(s.fws[g].launched_at >= 10 && s.fws[g].launched_at <= 10 + 4 + 1);
	CHECK(s.fws[g].running == 8);
	CHECK(s.max_held_agents <= 4);
	CHECK(s.fws[g].declines == 0);
	sim_fini(&s);
}

/* A larger cluster and a gang of 8 whole agents out of 40: each freed slot
 * is a fragment of a task. Held agents stay within the gang's size instead
 * of every agent where a slot frees being frozen. */
static void
test_held_set_bounded(void)
{
	sim s;
	CHECK(run_stream(false, 40, "cpus:4;mem:4096", "cpus:4;mem:4096", 8, 120, &s) < 0);
	sim_fini(&s);
	double t = run_stream(true, 40, "cpus:4;mem:4096", "cpus:4;mem:4096", 8, 120, &s);
	CHECK(t >= 10 && t <= 10 + 4 + 1);
	CHECK(s.fws[1].running == 8);
	CHECK(s.max_held_agents >= 1 && s.max_held_agents <= 8);
	sim_fini(&s);
}

/* Two gangs each needing 6 of 8 slots: declining whatever does not fit,
 * they split the cluster 4:4 forever without reservations. With them, the
 * older goes first, then the other once the first ends. */
static void
test_two_gangs(void)
{
	for (int with = 0; with < 2; with++) {
		sim s;
		allocator_config cfg = gang_config(10);
		sim_init(&s, &cfg, 8, "cpus:1;mem:1024");
		int g1 = sim_add(&s,
		    (sim_fw){.id = "mpi-job-1",
		        .role = "mpi",
		        .kind = GANG,
		        .task = R("cpus:1;mem:1024"),
		        .gang_tasks = 6,
		        .gang_since = with ? 0 : -1,
		        .run_for = 20});
		int g2 = sim_add(&s,
		    (sim_fw){.id = "mpi-job-2",
		        .role = "mpi",
		        .kind = GANG,
		        .task = R("cpus:1;mem:1024"),
		        .gang_tasks = 6,
		        .gang_since = with ? 1 : -1,
		        .run_for = 20});
		while (s.now < 200 && (s.fws[g1].launched_at < 0 || s.fws[g2].launched_at < 0))
			sim_step(&s);
		if (!with) {
			CHECK(s.fws[g1].launched_at < 0 && s.fws[g2].launched_at < 0);
			CHECK(s.fws[g1].declines > 20 && s.fws[g2].declines > 20);
		} else {
			double t1 = s.fws[g1].launched_at, t2 = s.fws[g2].launched_at;
			CHECK(t1 >= 10 && t1 <= 12);
			/* The second needs the first's slots: it runs 20 s. */
			CHECK(t2 >= t1 + 20 && t2 <= t1 + 20 + 2);
			CHECK(s.fws[g1].launch_offers == 6 && s.fws[g2].launch_offers == 6);
		}
		sim_fini(&s);
	}
}

/* A role further below its weighted share than the gang's role keeps
 * being served from the agents held for the gang. Here role mpi already
 * runs 2 of 10 slots, so "dev" (one task at a time: 0.1) stays below it
 * and is never blocked, and the stream's role "batch" may grow to mpi's
 * 0.2 before it waits. That leaves the 7-slot gang 5 slots: more than DRF
 * gives mpi while the others want them. When mpi's old job ends (30 s),
 * mpi is the poorest role, everyone else waits, and the gang goes. */
static void
test_poorer_role_not_blocked(void)
{
	sim s;
	allocator_config cfg = gang_config(10);
	sim_init(&s, &cfg, 10, "cpus:1;mem:1024");
	mosaic_resources slot = R("cpus:1;mem:1024");
	CHECK_OK(allocator_add_framework(s.a, "mpi-old", "mpi"));
	CHECK_OK(allocator_use(s.a, "mpi-old", "agent-00", &slot));
	CHECK_OK(allocator_use(s.a, "mpi-old", "agent-01", &slot));
	CHECK_OK(allocator_suppress(s.a, "mpi-old"));
	sim_add(&s, (sim_fw){.id = "stream", .role = "batch", .kind = STREAM, .task = slot, .run_for = 4});
	int p = sim_add(&s,
	    (sim_fw){
	        .id = "poor", .role = "dev", .kind = POLITE, .task = slot, .run_for = 2, .max_running = 1});
	int g = sim_add(&s,
	    (sim_fw){.id = "gang",
	        .role = "mpi",
	        .kind = GANG,
	        .task = slot,
	        .gang_tasks = 7,
	        .gang_since = 0,
	        .run_for = 1000});
	unsigned poor_during_hold = 0, poor_after = 0, stream_over = 0, stream_under = 0;
	double held_since = -1;
	while (s.now < 60) {
		if (s.now == 30) {
			CHECK_OK(allocator_remove_framework(s.a, "mpi-old"));
			CHECK(allocator_role_share(s.a, "mpi") == 0);
		}
		unsigned before = s.fws[p].launches, stream_before = s.fws[0].launches;
		s.now += 1;
		sim_end_tasks(&s);
		double batch_share = allocator_role_share(s.a, "batch"); /* as the pass sees it */
		sim_pass(&s);
		allocator_gang_info gi;
		allocator_gang_reservation(s.a, &gi);
		if (gi.phase == ALLOCATOR_GANG_HOLDING) {
			if (held_since < 0)
				held_since = s.now;
			if (s.now <= 30)
				poor_during_hold += s.fws[p].launches - before;
			/* Below mpi's 0.2, batch may take held agents; at or
			 * above it, it gets nothing while the gang holds. */
			if (s.now <= 30 && batch_share >= 0.2 - 1e-9)
				stream_over += s.fws[0].launches - stream_before;
			if (s.now <= 30 && batch_share < 0.2 - 1e-9)
				stream_under += s.fws[0].launches - stream_before;
		}
		if (s.fws[g].launched_at >= 0)
			poor_after += s.fws[p].launches - before;
		CHECK(allocator_role_share(s.a, "dev") <= 0.1 + 1e-9);
	}
	CHECK(held_since == 10);
	CHECK(stream_over == 0);
	CHECK(stream_under >= 1);
	CHECK(poor_during_hold >= 3); /* its 1-2 s tasks kept being replaced */
	CHECK(s.fws[g].launched_at > 30 && s.fws[g].launched_at <= 30 + 4 + 2);
	CHECK(s.fws[g].running == 7);
	CHECK(poor_after >= 3); /* dev, poorer again, is served again */
	sim_fini(&s);
}

/* Nothing changes for anyone while no gang starves: the same allocator with
 * and without a declared demand (young, then larger than the cluster) makes
 * exactly the same offers, pass by pass. */
static void
test_no_starving_gang_no_change(void)
{
	enum { MAXREC = 8192 };
	static char rec[MAXREC][48];
	size_t nrec = 0, mismatches = 0, compared = 0;
	mosaic_resources per = R("cpus:1;mem:512"), huge = R("cpus:100;mem:512");
	uint64_t seed = test_rng;
	for (int k = 0; k < 2; k++) {
		allocator_config cfg = gang_config(10);
		allocator *a = allocator_new(&cfg);
		mosaic_resources t = R("cpus:4;mem:4096");
		char id[32];
		for (int i = 0; i < 20; i++) {
			snprintf(id, sizeof(id), "agent-%02d", i);
			CHECK_OK(allocator_add_agent(a, id, &t));
		}
		CHECK_OK(allocator_add_framework(a, "f1", "r1"));
		CHECK_OK(allocator_add_framework(a, "f2", "r2"));
		CHECK_OK(allocator_add_framework(a, "gang", "mpi"));
		if (k == 1)
			CHECK_OK(allocator_set_demand(a, "gang", &per, 8, 5)); /* starves at 15 */
		test_rng = seed; /* the same declines and returns in both runs */
		allocator_offers out = {0};
		size_t n = 0;
		struct {
			allocator_offer o;
			double until;
		} kept[64];
		size_t nkept = 0;
		for (double now = 0; now < 40; now += 0.5) {
			/* Kept offers stand for tasks: they end after a while. */
			for (size_t i = 0; i < nkept;) {
				if (kept[i].until > now) {
					i++;
					continue;
				}
				CHECK_OK(allocator_recover(
				    a, kept[i].o.framework_id, kept[i].o.agent_id, &kept[i].o.resources));
				kept[i] = kept[--nkept];
			}
			if (k == 1 && now == 14.5) /* before it starves: too big from now on */
				CHECK_OK(allocator_set_demand(a, "gang", &huge, 1, 5));
			allocator_offers_clear(&out);
			allocator_allocate(a, now, &out);
			for (size_t i = 0; i < out.count; i++) {
				allocator_offer *o = &out.items[i];
				char sig[48];
				snprintf(sig, sizeof(sig), "%s/%s/%g", o->framework_id, o->agent_id,
				    o->resources.cpus);
				if (k == 0 && nrec < MAXREC)
					snprintf(rec[nrec++], sizeof(rec[0]), "%s", sig);
				else if (k == 1 && n < nrec) {
					compared++;
					mismatches += strcmp(rec[n], sig) != 0;
				}
				n++;
				uint32_t what = rnd(3);
				if (what == 0) {
					CHECK_OK(allocator_recover(
					    a, o->framework_id, o->agent_id, &o->resources));
					CHECK_OK(
					    allocator_filter(a, o->framework_id, o->agent_id, now + rnd(3)));
				} else if (what == 1 || nkept == 64) {
					CHECK_OK(allocator_recover(
					    a, o->framework_id, o->agent_id, &o->resources));
				} else {
					kept[nkept].o = *o;
					kept[nkept++].until = now + 0.5 * (1 + rnd(6));
				}
			}
			allocator_gang_info gi;
			allocator_gang_reservation(a, &gi);
			CHECK(gi.phase == ALLOCATOR_GANG_NONE && gi.framework_id == NULL);
		}
		if (k == 1)
			CHECK(n == nrec);
		allocator_offers_fini(&out);
		allocator_free(a);
	}
	CHECK(compared > 300);
	CHECK(mismatches == 0);
}

/* A reservation the gang does not use ends, and the next gang gets its
 * turn: declined offers, no answer in time, holding that cannot fill. */
static void
test_expiry(void)
{
	allocator_config cfg = gang_config(10);
	cfg.gang_offer_timeout = 5;
	cfg.gang_hold_timeout = 30;
	allocator *a = allocator_new(&cfg);
	mosaic_resources agent = R("cpus:4;mem:4096"), per = R("cpus:1;mem:1024");
	CHECK_OK(allocator_add_agent(a, "a1", &agent));
	CHECK_OK(allocator_add_agent(a, "a2", &agent));
	CHECK_OK(allocator_add_framework(a, "g1", "mpi"));
	CHECK_OK(allocator_add_framework(a, "g2", "mpi"));
	CHECK_OK(allocator_add_framework(a, "other", "batch"));
	CHECK_OK(allocator_set_demand(a, "g1", &per, 6, 0));
	CHECK_OK(allocator_set_demand(a, "g2", &per, 6, 2));
	allocator_offers out = {0};
	allocator_gang_info gi;

	/* At 10 g1 starves: everything is free, it is offered both agents
	 * in that very pass, and nothing else is offered. */
	CHECK(allocator_allocate(a, 10, &out) == 2);
	CHECK(count_for(&out, "g1") == 2);
	allocator_gang_reservation(a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_OFFERED && strcmp(gi.framework_id, "g1") == 0);
	CHECK(gi.held_agents == 2 && gi.tasks == 6);

	/* g1 declines: the next pass ends its turn; g2 (starving since 12)
	 * gets the reservation and the two agents. */
	for (size_t i = 0; i < out.count; i++) {
		CHECK_OK(allocator_recover(a, "g1", out.items[i].agent_id, &out.items[i].resources));
		CHECK_OK(allocator_filter(a, "g1", out.items[i].agent_id, 11));
	}
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 12, &out) == 2);
	CHECK(count_for(&out, "g2") == 2);
	allocator_gang_reservation(a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_OFFERED && strcmp(gi.framework_id, "g2") == 0);

	/* g2 sits on its offers: at 17 (offer timeout 5) its turn is over.
	 * g1 queued again from 12, so it starves again at 22, not before. */
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 16, &out) == 0);
	allocator_gang_reservation(a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_OFFERED);
	CHECK(allocator_allocate(a, 17, &out) == 0);
	allocator_gang_reservation(a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_NONE);
	/* (nothing offered: g2 still has both agents; now it declines) */
	CHECK_OK(allocator_recover(a, "g2", "a1", &agent));
	CHECK_OK(allocator_recover(a, "g2", "a2", &agent));

	/* "other" runs 3 of 4 cpus on both agents for good. From 22 g1 (from
	 * 12) holds the two free cpus: 2 of 6 tasks, and no more ever come. */
	mosaic_resources busy = R("cpus:3;mem:3072");
	CHECK_OK(allocator_use(a, "other", "a1", &busy));
	CHECK_OK(allocator_use(a, "other", "a2", &busy));
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 22, &out) == 0);
	allocator_gang_reservation(a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_HOLDING && strcmp(gi.framework_id, "g1") == 0);
	CHECK(gi.held_agents == 2 && gi.held_tasks == 2);
	/* "other" is richer than mpi: held agents are not offered to it. */
	for (double now = 23; now < 52; now += 1)
		CHECK(allocator_allocate(a, now, &out) == 0);
	/* Holding timed out at 52 (30 s): g2 (from 17) goes next. */
	CHECK(allocator_allocate(a, 52, &out) == 0);
	allocator_gang_reservation(a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_HOLDING && strcmp(gi.framework_id, "g2") == 0);

	/* Clearing the demand ends the reservation; the free cpus are
	 * offered as usual again (g1 requeued from 52: starves at 62). */
	CHECK_OK(allocator_clear_demand(a, "g2"));
	allocator_gang_reservation(a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_NONE);
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 53, &out) == 2);
	allocator_offers_fini(&out);
	allocator_free(a);
}

/* The reservation ends when the gang framework goes away, is suppressed or
 * deactivated; a held agent may disappear; bad arguments are refused. */
static void
test_lifecycle_and_errors(void)
{
	allocator_config cfg = gang_config(0);
	allocator *a = allocator_new(&cfg);
	mosaic_resources agent = R("cpus:2;mem:2048"), per = R("cpus:1;mem:1024"), empty;
	res_clear(&empty);
	CHECK_OK(allocator_add_agent(a, "a1", &agent));
	CHECK_OK(allocator_add_agent(a, "a2", &agent));
	CHECK_OK(allocator_add_framework(a, "g", "mpi"));
	CHECK_OK(allocator_add_framework(a, "b", "batch"));
	CHECK(allocator_set_demand(a, "nobody", &per, 2, 0) == MOSAIC_ENOENT);
	CHECK(allocator_set_demand(a, "g", &per, 0, 0) == MOSAIC_EINVAL);
	CHECK(allocator_set_demand(a, "g", &empty, 2, 0) == MOSAIC_EINVAL);
	CHECK(allocator_set_demand(a, "g", NULL, 2, 0) == MOSAIC_EINVAL);
	CHECK(allocator_clear_demand(a, "nobody") == MOSAIC_ENOENT);
	CHECK_OK(allocator_clear_demand(a, "g")); /* none: fine */

	/* b holds a1 whole; g needs 3 tasks: holds a2 (2), waits for a1. */
	CHECK_OK(allocator_use(a, "b", "a1", &agent));
	CHECK_OK(allocator_set_demand(a, "g", &per, 3, 0));
	allocator_offers out = {0};
	allocator_gang_info gi;
	CHECK(allocator_allocate(a, 1, &out) == 0);
	allocator_gang_reservation(a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_HOLDING && gi.held_agents == 1 && gi.held_tasks == 2);
	/* The held agent goes away, then comes back. */
	CHECK_OK(allocator_remove_agent(a, "a2"));
	allocator_gang_reservation(a, &gi);
	CHECK(gi.held_agents == 0);
	CHECK_OK(allocator_add_agent(a, "a2", &agent));
	CHECK(allocator_allocate(a, 2, &out) == 0);
	allocator_gang_reservation(a, &gi);
	CHECK(gi.held_agents == 1);
	/* Suppressed: the reservation ends, b is offered a2. */
	CHECK_OK(allocator_suppress(a, "g"));
	CHECK(allocator_allocate(a, 3, &out) == 1);
	CHECK(count_for(&out, "b") == 1);
	recover_all(a, &out);
	allocator_offers_clear(&out);
	allocator_gang_reservation(a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_NONE);
	/* Revived and starving again (threshold 0): holding again; then b
	 * frees a1 and g is offered both agents in one pass. */
	CHECK_OK(allocator_revive(a, "g"));
	CHECK(allocator_allocate(a, 4, &out) == 0);
	allocator_gang_reservation(a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_HOLDING);
	CHECK_OK(allocator_recover(a, "b", "a1", &agent));
	CHECK(allocator_allocate(a, 5, &out) == 2);
	CHECK(count_for(&out, "g") == 2);
	recover_all(a, &out); /* g declines: its turn ends at the next pass */
	allocator_offers_clear(&out);
	/* Deactivated, then removed: nothing is left behind. */
	CHECK_OK(allocator_deactivate_framework(a, "g"));
	CHECK(allocator_allocate(a, 6, &out) == 2);
	CHECK(count_for(&out, "b") == 2);
	recover_all(a, &out);
	allocator_offers_clear(&out);
	CHECK_OK(allocator_activate_framework(a, "g"));
	CHECK(allocator_allocate(a, 7, &out) == 2);
	CHECK(count_for(&out, "g") == 2); /* threshold 0: its turn again */
	CHECK_OK(allocator_remove_framework(a, "g"));
	allocator_gang_reservation(a, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_NONE);
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 8, &out) == 2);
	CHECK(count_for(&out, "b") == 2);
	allocator_offers_fini(&out);
	allocator_free(a);
}

int
main(void)
{
	test_gang_beats_stream();
	test_held_set_bounded();
	test_gang_keeps_offers();
	test_two_gangs();
	test_poorer_role_not_blocked();
	test_no_starving_gang_no_change();
	test_expiry();
	test_lifecycle_and_errors();
	return check_done();
}
