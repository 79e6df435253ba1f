/* test_backfill.c - the batch scheduling policy: priority order, EASY
 * backfill (a job that ends before the reservation jumps ahead, one that
 * would delay it does not, one that leaves the reserved resources alone
 * does), best fit, --exclusive, per-socket core wishes, jobs too big for
 * any agent, jobs without limits; then simulations over many rounds with a
 * clock: a stream of small jobs never postpones a large one, and random
 * workloads never overcommit an agent and never start a reserved job
 * later than its first reservation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backfill.h"
#include "check.h"
#include "errors.h"

static backfill_agent
agent(const char *id, double cpus, double mem, double gpus)
{
	backfill_agent a;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.total.cpus = a.free.cpus = cpus;
	a.total.mem = a.free.mem = mem;
	a.total.gpus = a.free.gpus = gpus;
	return a;
}

static void
sockets(backfill_agent *a, unsigned n, const unsigned *free)
{
	a->nsockets = n;
	memcpy(a->free_cores, free, n * sizeof(*free));
}

static backfill_job
job(uint64_t id, int64_t prio, double cpus, double mem, int64_t limit)
{
	backfill_job j;
	memset(&j, 0, sizeof(j));
	j.id = id;
	j.priority = prio;
	j.submit_time = (int64_t)id;
	j.need.cpus = cpus;
	j.need.mem = mem;
	j.time_limit = limit;
	j.eligible = true;
	return j;
}

/* A running job, taking what it holds off the agent's free resources. */
static backfill_running
running(uint64_t id, backfill_agent *a, double cpus, double mem, int64_t end)
{
	backfill_running r;
	memset(&r, 0, sizeof(r));
	r.id = id;
	r.agent_id = a->id;
	r.used.cpus = cpus;
	r.used.mem = mem;
	r.end_time = end;
	a->free.cpus -= cpus;
	a->free.mem -= mem;
	return r;
}

static backfill_result
run(const backfill_job *jobs, size_t nj, const backfill_running *r, size_t nr, const backfill_agent *ag,
    size_t na, int64_t now)
{
	backfill_input in = {jobs, nj, r, nr, ag, na, now};
	backfill_result out;
	int rv = backfill_schedule(&out, &in);
	CHECK(rv == MOSAIC_OK);
	return out;
}

/* The agent job j was started on, or -1. */
static int
where(const backfill_result *res, size_t j)
{
	for (size_t i = 0; i < res->count; i++)
		if (res->decisions[i].job == j)
			return (int)res->decisions[i].agent;
	return -1;
}

static bool
backfilled(const backfill_result *res, size_t j)
{
	for (size_t i = 0; i < res->count; i++)
		if (res->decisions[i].job == j)
			return res->decisions[i].backfilled;
	return false;
}

static void
test_priority_order(void)
{
	backfill_agent a[] = {agent("a", 4, 4000, 0)};
	/* Input order is not queue order: priority, then submit time, then id. */
	backfill_job jobs[] = {job(1, 10, 4, 100, 600), job(2, 20, 4, 100, 600), job(3, 10, 4, 100, 600)};
	jobs[2].submit_time = 0; /* submitted before job 1 */
	backfill_result r = run(jobs, 3, NULL, 0, a, 1, 1000);
	CHECK(r.count == 1 && where(&r, 1) == 0);
	CHECK(r.reasons[1] == BACKFILL_STARTED);
	CHECK(r.reserved && r.reserved_job == 2 && r.reserved_agent == 0 && r.reserved_start == 1600);
	CHECK(r.reasons[2] == BACKFILL_RESERVED && r.reasons[0] == BACKFILL_RESOURCES);
	CHECK(strcmp(backfill_reason_name(r.reasons[2]), "Resources") == 0);
	backfill_result_fini(&r);

	/* Equal priority and submit time: the lower id first. */
	backfill_job tie[] = {job(9, 5, 4, 100, 60), job(8, 5, 4, 100, 60)};
	tie[0].submit_time = tie[1].submit_time = 7;
	r = run(tie, 2, NULL, 0, a, 1, 0);
	CHECK(where(&r, 1) == 0 && where(&r, 0) == -1);
	backfill_result_fini(&r);
	CHECK(backfill_job_cmp(&tie[1], &tie[0]) < 0 && backfill_job_cmp(&tie[0], &tie[1]) > 0);
	CHECK(backfill_job_cmp(&tie[0], &tie[0]) == 0);

	/* An ineligible job is passed over and blocks nothing. */
	backfill_job held[] = {job(1, 100, 4, 100, 60), job(2, 1, 4, 100, 60)};
	held[0].eligible = false;
	r = run(held, 2, NULL, 0, a, 1, 0);
	CHECK(where(&r, 1) == 0 && r.reasons[0] == BACKFILL_INELIGIBLE && !r.reserved);
	CHECK(strcmp(backfill_reason_name(BACKFILL_INELIGIBLE), "") == 0);
	backfill_result_fini(&r);
}

static void
test_easy_backfill(void)
{
	/* 8 cpus; a running job holds 6 until t=100. The head job wants all 8:
	 * reserved at 100. */
	backfill_agent a[] = {agent("a", 8, 8000, 0)};
	backfill_running run0[] = {running(100, &a[0], 6, 1000, 100)};
	backfill_job jobs[] = {job(1, 10, 8, 1000, 3600), job(2, 5, 2, 100, 50), job(3, 6, 2, 100, 200),
	                       job(4, 6, 1, 100, -1)};
	backfill_result r = run(jobs, 4, run0, 1, a, 1, 0);
	CHECK(r.reserved && r.reserved_job == 0 && r.reserved_start == 100);
	/* Job 3 comes first but would still run at 100, when the head job
	 * needs every cpu: it waits. */
	CHECK(where(&r, 2) == -1 && r.reasons[2] == BACKFILL_PRIORITY);
	CHECK(strcmp(backfill_reason_name(r.reasons[2]), "Priority") == 0);
	/* A job without a limit never ends "before". */
	CHECK(where(&r, 3) == -1 && r.reasons[3] == BACKFILL_PRIORITY);
	/* Job 2 ends at 50, before the reservation: it jumps ahead. */
	CHECK(where(&r, 1) == 0 && backfilled(&r, 1) && r.reasons[1] == BACKFILL_STARTED);
	backfill_result_fini(&r);

	/* If the head job needs 6 of 8, 2 cpus at t=100 are spare: one long
	 * 2-cpu job may use them now, a second may not. */
	backfill_agent b[] = {agent("a", 8, 8000, 0)};
	backfill_running run1[] = {running(100, &b[0], 4, 1000, 100)};
	backfill_job j1[] = {job(1, 10, 6, 1000, 3600), job(2, 5, 2, 100, 1000), job(3, 5, 2, 100, 1000)};
	r = run(j1, 3, run1, 1, b, 1, 0);
	CHECK(r.reserved && r.reserved_job == 0 && r.reserved_start == 100);
	CHECK(where(&r, 1) == 0 && backfilled(&r, 1));
	CHECK(where(&r, 2) == -1 && r.reasons[2] == BACKFILL_PRIORITY);
	backfill_result_fini(&r);

	/* Memory is protected too: the head job will need 5000 of the 8000
	 * MiB, so a long job may take 3000 now but not 3001. */
	j1[0].need.mem = 5000;
	j1[1].need.cpus = 1;
	j1[1].need.mem = 3001;
	r = run(j1, 2, run1, 1, b, 1, 0);
	CHECK(r.reserved && where(&r, 1) == -1 && r.reasons[1] == BACKFILL_PRIORITY);
	backfill_result_fini(&r);
	j1[1].need.mem = 3000;
	r = run(j1, 2, run1, 1, b, 1, 0);
	CHECK(r.reserved && where(&r, 1) == 0);
	backfill_result_fini(&r);

	/* A second agent is free for anything. */
	backfill_agent two[] = {agent("a", 8, 8000, 0), agent("b", 2, 1000, 0)};
	backfill_running run2[] = {running(100, &two[0], 6, 1000, 100)};
	backfill_job j2[] = {job(1, 10, 8, 1000, 3600), job(2, 5, 2, 100, 99999)};
	r = run(j2, 2, run2, 1, two, 2, 0);
	CHECK(r.reserved && r.reserved_agent == 0 && where(&r, 1) == 1 && backfilled(&r, 1));
	backfill_result_fini(&r);
}

static void
test_reservation_choice(void)
{
	/* The earliest agent wins the reservation; a job that is never
	 * going to fit anywhere does not take it. */
	backfill_agent a[] = {agent("slow", 8, 8000, 0), agent("soon", 8, 8000, 0),
	                      agent("tiny", 2, 1000, 0)};
	backfill_running rr[] = {running(1, &a[0], 8, 100, 500), running(2, &a[1], 8, 100, 200),
	                         running(3, &a[2], 2, 100, 10)};
	backfill_job jobs[] = {job(1, 9, 64, 100, 60), job(2, 8, 8, 100, 60), job(3, 7, 4, 100, 60)};
	backfill_result r = run(jobs, 3, rr, 3, a, 3, 0);
	CHECK(r.reasons[0] == BACKFILL_TOO_BIG);
	CHECK(strcmp(backfill_reason_name(BACKFILL_TOO_BIG), "BadConstraints") == 0);
	CHECK(r.reserved && r.reserved_job == 1 && r.reserved_agent == 1 && r.reserved_start == 200);
	CHECK(r.reasons[2] == BACKFILL_RESOURCES && r.count == 0);
	backfill_result_fini(&r);

	/* Blocked only by a job without a limit: no reservation time exists,
	 * so the next job in line takes the reservation instead. */
	backfill_agent b[] = {agent("x", 8, 8000, 0), agent("y", 4, 4000, 0)};
	backfill_running rb[] = {running(1, &b[0], 8, 100, BACKFILL_NEVER), running(2, &b[1], 4, 100, 300)};
	backfill_job jb[] = {job(1, 9, 8, 100, 60), job(2, 8, 4, 100, 60)};
	r = run(jb, 2, rb, 2, b, 2, 0);
	CHECK(r.reasons[0] == BACKFILL_RESOURCES);
	CHECK(r.reserved && r.reserved_job == 1 && r.reserved_agent == 1 && r.reserved_start == 300);
	backfill_result_fini(&r);

	/* A job past its expected end is taken to end now; a running job on
	 * an agent nobody listed is ignored. */
	backfill_agent c[] = {agent("c", 4, 4000, 0)};
	backfill_running rc[] = {running(1, &c[0], 4, 100, 50),
	                         {.id = 2, .agent_id = "gone", .end_time = 10}};
	backfill_job jc[] = {job(1, 1, 4, 100, 60)};
	r = run(jc, 1, rc, 2, c, 1, 80);
	CHECK(r.reserved && r.reserved_start == 80);
	backfill_result_fini(&r);

	/* Jobs started earlier in the round count in the reservation. */
	backfill_agent d[] = {agent("d", 4, 4000, 0)};
	backfill_job jd[] = {job(1, 9, 3, 100, 100), job(2, 8, 4, 100, 60), job(3, 7, 1, 100, 200)};
	r = run(jd, 3, NULL, 0, d, 1, 1000);
	CHECK(where(&r, 0) == 0 && !backfilled(&r, 0));
	CHECK(r.reserved && r.reserved_job == 1 && r.reserved_start == 1100);
	CHECK(where(&r, 2) == -1 && r.reasons[2] == BACKFILL_PRIORITY); /* would end at 1200 */
	backfill_result_fini(&r);
}

static void
test_best_fit(void)
{
	backfill_agent a[] = {agent("big", 16, 16000, 0), agent("small", 4, 4000, 0),
	                      agent("mid", 8, 8000, 0)};
	backfill_job jobs[] = {job(1, 1, 4, 1000, 60), job(2, 1, 6, 1000, 60), job(3, 1, 10, 1000, 60)};
	backfill_result r = run(jobs, 3, NULL, 0, a, 3, 0);
	CHECK(where(&r, 0) == 1 && where(&r, 1) == 2 && where(&r, 2) == 0);
	CHECK(r.count == 3 && r.decisions[0].take.cpus == 4 && r.decisions[0].take.mem == 1000);
	backfill_result_fini(&r);

	/* Jobs without GPUs keep off GPU agents; GPU jobs go there. */
	backfill_agent g[] = {agent("gpu", 8, 8000, 4), agent("cpu", 8, 8000, 0)};
	backfill_job gj[] = {job(1, 2, 2, 100, 60), job(2, 1, 2, 100, 60)};
	gj[1].need.gpus = 2;
	r = run(gj, 2, NULL, 0, g, 2, 0);
	CHECK(where(&r, 0) == 1 && where(&r, 1) == 0);
	backfill_result_fini(&r);
	/* A GPU job never lands on an agent without GPUs. */
	gj[1].need.gpus = 5;
	r = run(gj, 2, NULL, 0, g, 2, 0);
	CHECK(where(&r, 1) == -1 && r.reasons[1] == BACKFILL_TOO_BIG);
	backfill_result_fini(&r);

	/* Within a round, what earlier jobs took is gone. */
	backfill_agent one[] = {agent("one", 4, 4000, 0)};
	backfill_job many[] = {job(1, 1, 2, 100, 60), job(2, 1, 2, 100, 60), job(3, 1, 2, 100, 60)};
	r = run(many, 3, NULL, 0, one, 1, 0);
	CHECK(r.count == 2 && where(&r, 2) == -1);
	backfill_result_fini(&r);
}

static void
test_exclusive(void)
{
	backfill_agent a[] = {agent("busy", 8, 8000, 0), agent("idle", 8, 8000, 0),
	                      agent("small", 4, 4000, 0)};
	backfill_running rr[] = {running(1, &a[0], 1, 100, 500)};
	backfill_job jobs[] = {job(1, 9, 2, 100, 60), job(2, 8, 1, 100, 60)};
	jobs[0].exclusive = true;
	backfill_result r = run(jobs, 2, rr, 1, a, 3, 0);
	/* The smallest idle agent that fits, taken whole. */
	CHECK(where(&r, 0) == 2);
	CHECK(r.count >= 1 && r.decisions[0].take.cpus == 4 && r.decisions[0].take.mem == 4000);
	/* Nothing else fits on an agent taken whole. */
	CHECK(where(&r, 1) == 0 || where(&r, 1) == 1);
	backfill_result_fini(&r);

	/* No idle agent: reserved for when the busy one empties, and no job
	 * that would outlast that may start there. */
	backfill_agent b[] = {agent("busy", 8, 8000, 0)};
	backfill_running rb[] = {running(1, &b[0], 1, 100, 500)};
	backfill_job jb[] = {job(1, 9, 2, 100, 60), job(2, 8, 1, 100, 400), job(3, 8, 1, 100, 600)};
	jb[0].exclusive = true;
	r = run(jb, 3, rb, 1, b, 1, 0);
	CHECK(r.reserved && r.reserved_job == 0 && r.reserved_start == 500);
	CHECK(where(&r, 1) == 0 && backfilled(&r, 1));
	CHECK(where(&r, 2) == -1 && r.reasons[2] == BACKFILL_PRIORITY);
	backfill_result_fini(&r);

	/* Taking a whole agent still needs an agent big enough: an exclusive
	 * GPU job skips an idle agent without GPUs. */
	backfill_agent g[] = {agent("cpu", 8, 8000, 0), agent("gpu", 8, 8000, 2)};
	backfill_job jg[] = {job(1, 1, 1, 100, 60)};
	jg[0].exclusive = true;
	jg[0].need.gpus = 1;
	r = run(jg, 1, NULL, 0, g, 2, 0);
	CHECK(where(&r, 0) == 1 && r.count == 1 && r.decisions[0].take.gpus == 2);
	backfill_result_fini(&r);
	r = run(jg, 1, NULL, 0, g, 1, 0);
	CHECK(r.count == 0 && r.reasons[0] == BACKFILL_TOO_BIG);
	backfill_result_fini(&r);

	/* An agent taken whole in this round has no room for the next job,
	 * though most of its cpus are unused. */
	backfill_agent c[] = {agent("solo", 8, 8000, 0)};
	backfill_job jc[] = {job(1, 9, 1, 100, 60), job(2, 8, 1, 100, 30)};
	jc[0].exclusive = true;
	r = run(jc, 2, NULL, 0, c, 1, 0);
	CHECK(where(&r, 0) == 0 && where(&r, 1) == -1 && r.reasons[1] == BACKFILL_RESERVED);
	CHECK(r.reserved_start == 60);
	backfill_result_fini(&r);
}

static void
test_topology(void)
{
	unsigned f26[] = {2, 6}, f44[] = {4, 4}, f35[] = {3, 5};
	backfill_agent a[] = {agent("lop", 8, 8000, 0), agent("even", 8, 8000, 0)};
	sockets(&a[0], 2, f26);
	sockets(&a[1], 2, f44);
	/* 4 cores on one socket: socket 1 of "lop" has 6 (less left over
	 * than "even" which fits too: best fit by resources, then cores). */
	backfill_job j1[] = {job(1, 1, 8, 100, 60)};
	j1[0].sockets = 2;
	j1[0].cores_per_socket = 4;
	backfill_result r = run(j1, 1, NULL, 0, a, 2, 0);
	CHECK(where(&r, 0) == 1); /* only "even" has 2 sockets with 4 free cores */
	CHECK(r.count == 1 && r.decisions[0].cores[0] == 4 && r.decisions[0].cores[1] == 4);
	backfill_result_fini(&r);

	backfill_job j2[] = {job(1, 1, 4, 100, 60), job(2, 1, 4, 100, 60), job(3, 1, 1, 100, 60)};
	j2[0].cores_per_socket = 4;
	j2[1].cores_per_socket = 4;
	j2[2].cores_per_socket = 4;
	backfill_agent one[] = {agent("even", 16, 8000, 0)};
	sockets(&one[0], 2, f44);
	r = run(j2, 3, NULL, 0, one, 1, 0);
	/* Two jobs take a socket each; the third finds no socket with 4. */
	CHECK(where(&r, 0) == 0 && where(&r, 1) == 0 && where(&r, 2) == -1);
	CHECK(r.count == 2 && r.decisions[0].cores[0] + r.decisions[1].cores[0] == 4 &&
	      r.decisions[0].cores[1] + r.decisions[1].cores[1] == 4);
	backfill_result_fini(&r);

	/* Whole cores pack onto the snuggest socket that holds them, else
	 * spread from the roomiest. */
	backfill_agent p[] = {agent("p", 8, 8000, 0)};
	sockets(&p[0], 2, f35);
	backfill_job pack[] = {job(1, 1, 3, 100, 60)};
	pack[0].whole_cores = true;
	r = run(pack, 1, NULL, 0, p, 1, 0);
	CHECK(r.count == 1 && r.decisions[0].cores[0] == 3 && r.decisions[0].cores[1] == 0);
	backfill_result_fini(&r);
	pack[0].need.cpus = 7;
	r = run(pack, 1, NULL, 0, p, 1, 0);
	CHECK(r.count == 1 && r.decisions[0].cores[0] == 2 && r.decisions[0].cores[1] == 5);
	backfill_result_fini(&r);
	pack[0].need.cpus = 8.5; /* 9 cores: more than free */
	p[0].total.cpus = p[0].free.cpus = 12;
	r = run(pack, 1, NULL, 0, p, 1, 0);
	CHECK(r.count == 0 && r.reasons[0] == BACKFILL_TOO_BIG);
	backfill_result_fini(&r);

	/* An agent without topology: whole cores by cpus alone, but a layout
	 * wish cannot be honoured there. */
	backfill_agent flat[] = {agent("flat", 8, 8000, 0)};
	backfill_job fj[] = {job(1, 2, 2, 100, 60), job(2, 1, 2, 100, 60)};
	fj[0].whole_cores = true;
	fj[1].cores_per_socket = 2;
	r = run(fj, 2, NULL, 0, flat, 1, 0);
	CHECK(where(&r, 0) == 0 && where(&r, 1) == -1 && r.reasons[1] == BACKFILL_TOO_BIG);
	backfill_result_fini(&r);

	/* A reservation on cores: socket 0's cores come back at t=50. */
	backfill_agent t[] = {agent("t", 16, 8000, 0)};
	unsigned f04[] = {0, 4};
	sockets(&t[0], 2, f04);
	backfill_running rt[] = {running(1, &t[0], 4, 100, 50)};
	rt[0].cores[0] = 4;
	backfill_job jt[] = {job(1, 9, 8, 100, 60), job(2, 1, 2, 100, 1000), job(3, 1, 2, 100, 40)};
	jt[0].sockets = 2;
	jt[0].cores_per_socket = 4;
	jt[1].whole_cores = true;
	jt[2].whole_cores = true;
	r = run(jt, 3, rt, 1, t, 1, 0);
	CHECK(r.reserved && r.reserved_job == 0 && r.reserved_start == 50);
	/* Job 2 would hold 2 of socket 1's 4 cores past t=50: refused, though
	 * cpus are plenty. Job 3 ends at 40: allowed. */
	CHECK(where(&r, 1) == -1 && r.reasons[1] == BACKFILL_PRIORITY);
	CHECK(where(&r, 2) == 0 && backfilled(&r, 2));
	backfill_result_fini(&r);

	/* Too many sockets in the input is an error, with nothing to free. */
	backfill_agent bad = agent("bad", 8, 8000, 0);
	bad.nsockets = BACKFILL_MAX_SOCKETS + 1;
	backfill_input in = {pack, 1, NULL, 0, &bad, 1, 0};
	backfill_result out;
	CHECK(backfill_schedule(&out, &in) == MOSAIC_EINVAL && out.decisions == NULL && out.reasons == NULL);
	backfill_job neg = job(1, 1, -1, 0, 60);
	backfill_input in2 = {&neg, 1, NULL, 0, a, 1, 0};
	CHECK(backfill_schedule(&out, &in2) == MOSAIC_EINVAL);
	backfill_input empty = {NULL, 0, NULL, 0, NULL, 0, 0};
	CHECK_OK(backfill_schedule(&out, &empty));
	CHECK(out.count == 0 && !out.reserved);
	backfill_result_fini(&out);
}

/* Simulation: a world of agents and jobs over a clock ticking one second;
 * each tick ends the jobs due, then schedules a round and applies it. */

#define SIM_MAX_JOBS 400
#define SIM_MAX_AGENTS 4

typedef struct sim_job {
	backfill_job j;
	int64_t arrive, runtime;
	int64_t start, end;                          /* start < 0: not started */
	int64_t first_reservation, last_reservation; /* < 0: never reserved */
	size_t agent;
	mosaic_resources take;
	unsigned cores[BACKFILL_MAX_SOCKETS];
} sim_job;

typedef struct sim {
	sim_job jobs[SIM_MAX_JOBS];
	size_t njobs;
	backfill_agent agents[SIM_MAX_AGENTS];
	size_t nagents;
	bool check_promises; /* all jobs equal in priority: reservations must hold */
	int violations;      /* overcommits or reservations broken */
	size_t backfills;
} sim;

static void
sim_tick(sim *s, int64_t now)
{
	/* Ends first: what they held comes back. */
	for (size_t i = 0; i < s->njobs; i++) {
		sim_job *sj = &s->jobs[i];
		if (sj->start >= 0 && sj->end == now) {
			backfill_agent *a = &s->agents[sj->agent];
			res_add(&a->free, &sj->take);
			for (unsigned k = 0; k < a->nsockets; k++)
				a->free_cores[k] += sj->cores[k];
		}
	}
	backfill_job pending[SIM_MAX_JOBS];
	size_t pidx[SIM_MAX_JOBS], np = 0, nr = 0;
	backfill_running run[SIM_MAX_JOBS];
	for (size_t i = 0; i < s->njobs; i++) {
		sim_job *sj = &s->jobs[i];
		if (sj->arrive <= now && sj->start < 0) {
			pidx[np] = i;
			pending[np++] = sj->j;
		} else if (sj->start >= 0 && sj->end > now) {
			backfill_running *r = &run[nr++];
			memset(r, 0, sizeof(*r));
			r->id = sj->j.id;
			r->agent_id = s->agents[sj->agent].id;
			r->used = sj->take;
			r->end_time = sj->start + sj->j.time_limit;
			memcpy(r->cores, sj->cores, sizeof(r->cores));
		}
	}
	backfill_input in = {pending, np, run, nr, s->agents, s->nagents, now};
	backfill_result res;
	if (backfill_schedule(&res, &in) != MOSAIC_OK) {
		s->violations++;
		return;
	}
	for (size_t d = 0; d < res.count; d++) {
		backfill_decision *dec = &res.decisions[d];
		sim_job *sj = &s->jobs[pidx[dec->job]];
		backfill_agent *a = &s->agents[dec->agent];
		if (res_sub(&a->free, &dec->take) != MOSAIC_OK) {
			s->violations++; /* overcommitted */
			fprintf(stderr, "  t=%lld job %llu overcommits %s\n", (long long)now,
			        (unsigned long long)sj->j.id, a->id);
		}
		for (unsigned k = 0; k < a->nsockets; k++) {
			if (dec->cores[k] > a->free_cores[k]) {
				s->violations++;
				fprintf(stderr, "  t=%lld job %llu takes %u cores of %u on socket %u\n",
				        (long long)now, (unsigned long long)sj->j.id, dec->cores[k],
				        a->free_cores[k], k);
			} else
				a->free_cores[k] -= dec->cores[k];
		}
		if (!res_contains(&dec->take, &sj->j.need)) {
			s->violations++;
			fprintf(stderr, "  t=%lld job %llu given less than it needs\n", (long long)now,
			        (unsigned long long)sj->j.id);
		}
		sj->start = now;
		sj->end = now + sj->runtime;
		sj->agent = dec->agent;
		sj->take = dec->take;
		memcpy(sj->cores, dec->cores, sizeof(sj->cores));
		s->backfills += dec->backfilled;
		/* Started no later than first promised. */
		if (s->check_promises && sj->first_reservation >= 0 && now > sj->first_reservation) {
			s->violations++;
			fprintf(stderr, "  job %llu reserved for %lld started at %lld\n",
			        (unsigned long long)sj->j.id, (long long)sj->first_reservation,
			        (long long)now);
		}
	}
	if (res.reserved) {
		sim_job *sj = &s->jobs[pidx[res.reserved_job]];
		if (res.reserved_start < now) {
			s->violations++;
			fprintf(stderr, "  t=%lld reservation in the past\n", (long long)now);
		}
		if (sj->first_reservation < 0)
			sj->first_reservation = res.reserved_start;
		else if (s->check_promises && res.reserved_start > sj->last_reservation) {
			s->violations++; /* a reservation slipped later */
			fprintf(stderr, "  job %llu reservation moved from %lld to %lld\n",
			        (unsigned long long)sj->j.id, (long long)sj->last_reservation,
			        (long long)res.reserved_start);
		}
		sj->last_reservation = res.reserved_start;
	}
	backfill_result_fini(&res);
}

static sim_job *
sim_add(sim *s, int64_t arrive, double cpus, double mem, int64_t limit, int64_t runtime)
{
	sim_job *sj = &s->jobs[s->njobs];
	memset(sj, 0, sizeof(*sj));
	sj->j = job(s->njobs + 1, 1, cpus, mem, limit);
	sj->j.submit_time = arrive;
	sj->arrive = arrive;
	sj->runtime = runtime;
	sj->start = -1;
	sj->first_reservation = sj->last_reservation = -1;
	s->njobs++;
	return sj;
}

static void
test_no_starvation(void)
{
	/* One 8-cpu agent; a 6-cpu job runs until t=100. A job wanting all 8
	 * arrives at t=0, then a small 1-cpu job every 10 s, each running
	 * 30 to 60 s. Greedy scheduling would always have a small job on the
	 * agent and never start the big one. */
	static sim s;
	memset(&s, 0, sizeof(s));
	s.agents[0] = agent("a", 8, 8000, 0);
	s.nagents = 1;
	sim_job *first = sim_add(&s, 0, 6, 1000, 100, 100);
	first->start = 0, first->end = 100, first->agent = 0;
	first->take = first->j.need;
	res_sub(&s.agents[0].free, &first->take);
	sim_job *big = sim_add(&s, 0, 8, 1000, 300, 300);
	for (int k = 0; k < 150; k++)
		sim_add(&s, 1 + 10 * k, 1, 100, 30 + (k * 7) % 31, 30 + (k * 7) % 31);
	for (int64_t now = 0; now < 3000; now++)
		sim_tick(&s, now);
	CHECK(s.violations == 0);
	CHECK(big->first_reservation == 100);
	CHECK(big->start >= 0 && big->start <= 100);
	CHECK(s.backfills > 0); /* small jobs did run ahead of it */
	size_t done = 0;
	for (size_t i = 0; i < s.njobs; i++)
		done += s.jobs[i].start >= 0;
	CHECK(done == s.njobs);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static bool
all_back(const backfill_agent *a)
{
	bool cores = true;
	for (unsigned k = 0; k < a->nsockets; k++)
		cores = cores && a->free_cores[k] * a->nsockets == (unsigned)(a->total.cpus + 0.5);
	return fabs(a->free.cpus - a->total.cpus) < 1e-6 && fabs(a->free.mem - a->total.mem) < 1e-6 &&
	       fabs(a->free.gpus - a->total.gpus) < 1e-6 && cores;
}

/* Random worlds: a few agents of random sizes and shapes, jobs arriving
 * over time with random needs, limits and wishes; jobs end at or before
 * their limits. With equal priorities every reservation must hold; with
 * random ones (a later job may rightly overtake), only that nothing is
 * overcommitted and everything that fits runs. */
static void
random_worlds(bool equal_priorities, int worlds)
{
	static sim s;
	for (int world = 0; world < worlds; world++) {
		memset(&s, 0, sizeof(s));
		s.check_promises = equal_priorities;
		static const char *names[SIM_MAX_AGENTS] = {"a0", "a1", "a2", "a3"};
		s.nagents = 1 + rnd(SIM_MAX_AGENTS);
		for (size_t a = 0; a < s.nagents; a++) {
			unsigned per = 2 + rnd(3), ns = 1 + rnd(2);
			s.agents[a] = agent(names[a], per * ns, 1000.0 * (2 + rnd(6)), rnd(2) * 2);
			unsigned f[2] = {per, per};
			sockets(&s.agents[a], ns, f);
		}
		size_t n = 60 + rnd(60);
		for (size_t i = 0; i < n; i++) {
			int64_t limit = 10 + rnd(200);
			sim_job *sj = sim_add(&s, rnd(400), 1 + rnd(6), 100.0 * (1 + rnd(30)), limit,
			                      1 + rnd((uint32_t)limit));
			sj->j.need.gpus = rnd(5) == 0 ? 1 : 0;
			sj->j.exclusive = rnd(12) == 0;
			sj->j.whole_cores = rnd(3) == 0;
			if (rnd(6) == 0)
				sj->j.cores_per_socket = 1 + rnd(2);
			if (!equal_priorities)
				sj->j.priority = rnd(4);
		}
		/* Jobs no agent can ever hold are set aside first. */
		size_t hopeless = 0;
		bool never[SIM_MAX_JOBS] = {false};
		for (size_t i = 0; i < s.njobs; i++) {
			backfill_input in = {&s.jobs[i].j, 1, NULL, 0, s.agents, s.nagents, 0};
			backfill_result r;
			CHECK_OK(backfill_schedule(&r, &in));
			never[i] = r.reasons[0] == BACKFILL_TOO_BIG;
			hopeless += never[i];
			backfill_result_fini(&r);
		}
		int64_t now = 0;
		for (;; now++) {
			sim_tick(&s, now);
			size_t done = 0;
			for (size_t i = 0; i < s.njobs; i++)
				done += s.jobs[i].start >= 0 && s.jobs[i].end <= now;
			if (done + hopeless == s.njobs || now > 100000)
				break;
		}
		CHECK(s.violations == 0);
		CHECK(now <= 100000);
		/* Everything that could fit has run, and everything held came back. */
		size_t stuck = 0;
		for (size_t i = 0; i < s.njobs; i++)
			stuck += s.jobs[i].start < 0 && !never[i];
		CHECK(stuck == 0);
		for (size_t a = 0; a < s.nagents; a++) {
			CHECK(all_back(&s.agents[a]));
		}
		if (s.violations || stuck)
			fprintf(stderr, "  world %d (%s priorities): %d violations, %zu stuck\n", world,
			        equal_priorities ? "equal" : "random", s.violations, stuck);
	}
}

static void
test_random_workloads(void)
{
	random_worlds(true, 40);
	random_worlds(false, 40);
}

int
main(void)
{
	test_priority_order();
	test_easy_backfill();
	test_reservation_choice();
	test_best_fit();
	test_exclusive();
	test_topology();
	test_no_starvation();
	test_random_workloads();
	return check_done();
}
