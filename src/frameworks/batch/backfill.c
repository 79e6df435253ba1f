#include "backfill.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"

/* A time at which resources on an agent come back: a running job's
 * expected end, or that of a job started earlier in this round. */
typedef struct release {
	int64_t t;
	mosaic_resources res; /* scalars only */
	unsigned cores[BACKFILL_MAX_SOCKETS];
} release;

typedef struct agent_state {
	mosaic_resources avail; /* offered now, less what this round started */
	unsigned cores[BACKFILL_MAX_SOCKETS];
	unsigned all_cores[BACKFILL_MAX_SOCKETS]; /* free or held by our jobs: the most it can offer */
	release *rel;
	size_t nrel, cap;
} agent_state;

/* Where and how a job would go: what it takes, and how snugly. */
typedef struct plan {
	mosaic_resources take;
	unsigned cores[BACKFILL_MAX_SOCKETS];
	double leftover;
} plan;

/* Scalar arithmetic: ports are not modelled over time (jobs ask none). */
static double
clamp0(double v)
{
	return fabs(v) < MOSAIC_RES_EPSILON ? 0 : v;
}

static void
add_scalars(mosaic_resources *a, const mosaic_resources *b, double sign)
{
	a->cpus = clamp0(a->cpus + sign * b->cpus);
	a->mem = clamp0(a->mem + sign * b->mem);
	a->disk = clamp0(a->disk + sign * b->disk);
	a->gpus = clamp0(a->gpus + sign * b->gpus);
}

static void
add_cores(unsigned *a, const unsigned *b, unsigned n, int sign)
{
	for (unsigned s = 0; s < n; s++)
		a[s] = sign > 0 ? a[s] + b[s] : (a[s] > b[s] ? a[s] - b[s] : 0);
}

static bool
all_free(const mosaic_resources *have, const mosaic_resources *total)
{
	for (int i = 0; i < RES_NSCALARS; i++)
		if (res_scalar(have, i) + MOSAIC_RES_EPSILON < res_scalar(total, i))
			return false;
	return true;
}

/* Best fit: the sum over dimensions of the fraction of the agent that
 * would be left unused. A job without GPUs thus prefers agents without
 * them, and small jobs fill partly used agents first. */
static double
leftover(const mosaic_resources *have, const mosaic_resources *need, const mosaic_resources *total)
{
	double s = 0;
	for (int i = 0; i < RES_NSCALARS; i++) {
		double t = res_scalar(total, i);
		if (t > MOSAIC_RES_EPSILON)
			s += (res_scalar(have, i) - res_scalar(need, i)) / t;
	}
	return s;
}

static unsigned
job_cores(const backfill_job *j)
{
	double c = ceil(j->need.cpus - MOSAIC_RES_EPSILON);
	return c < 1 ? 1 : (unsigned)c;
}

/* socket_order lists socket indexes by free cores ascending (then index),
 * so that choices take the snuggest sockets and keep roomy ones whole. At
 * most BACKFILL_MAX_SOCKETS entries: an insertion sort is enough. */
static void
socket_order(const unsigned *cores, unsigned n, unsigned *order)
{
	for (unsigned s = 0; s < n; s++) {
		unsigned k = s;
		while (k > 0 && cores[order[k - 1]] > cores[s]) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = s;
	}
}

/* cores_fit: can the job's core wishes be met from the free cores per
 * socket? If so, take[] receives the cores the model holds for it. A
 * layout wish (sockets S, cores per socket C) means C cores on each of S
 * sockets (S defaults to ceil(cores / C), C to ceil(cores / S), and C
 * grows if S x C is short of the job's cores); a whole-core job without
 * one packs onto the snuggest socket that holds it, else spreads over the
 * roomiest. An agent that reports no topology satisfies whole-core jobs by
 * cpus alone but no layout wish. */
static bool
cores_fit(const backfill_job *j, unsigned nsockets, const unsigned *cores, unsigned *take)
{
	memset(take, 0, BACKFILL_MAX_SOCKETS * sizeof(*take));
	bool layout = j->cores_per_socket > 0 || j->sockets > 0;
	if (!layout && !j->whole_cores)
		return true;
	if (nsockets == 0)
		return !layout;
	unsigned need = job_cores(j), order[BACKFILL_MAX_SOCKETS];
	socket_order(cores, nsockets, order);
	if (layout) {
		unsigned S = j->sockets, C = j->cores_per_socket;
		if (S == 0)
			S = (need + C - 1) / C;
		if (S == 0)
			S = 1;
		if (C == 0 || (uint64_t)C * S < need)
			C = (need + S - 1) / S;
		if (S > nsockets)
			return false;
		/* C on each of S sockets, even past `need`: then "each socket
		 * still has what was taken" implies "the wish still fits", which
		 * the reservation's protection relies on. */
		unsigned chosen = 0;
		for (unsigned k = 0; k < nsockets && chosen < S; k++) {
			unsigned s = order[k];
			if (cores[s] < C)
				continue;
			take[s] = C;
			chosen++;
		}
		if (chosen < S) {
			memset(take, 0, BACKFILL_MAX_SOCKETS * sizeof(*take));
			return false;
		}
		return true;
	}
	for (unsigned k = 0; k < nsockets; k++) {
		if (cores[order[k]] >= need) {
			take[order[k]] = need;
			return true;
		}
	}
	unsigned left = need;
	for (unsigned k = nsockets; k-- > 0 && left > 0;) {
		unsigned s = order[k], n = cores[s] < left ? cores[s] : left;
		take[s] = n;
		left -= n;
	}
	if (left > 0) {
		memset(take, 0, BACKFILL_MAX_SOCKETS * sizeof(*take));
		return false;
	}
	return true;
}

/* place: would job j fit agent a with `have` free and `cores` free cores? */
static bool
place(const backfill_job *j, const backfill_agent *a, const mosaic_resources *have, const unsigned *cores,
      plan *out)
{
	if (j->exclusive) {
		if (!all_free(have, &a->total) || !res_contains(have, &j->need) ||
		    !cores_fit(j, a->nsockets, cores, out->cores))
			return false;
		out->take = *have;
		memset(out->cores, 0, sizeof(out->cores));
		memcpy(out->cores, cores, a->nsockets * sizeof(*cores));
	} else {
		if (!res_contains(have, &j->need) || !cores_fit(j, a->nsockets, cores, out->cores))
			return false;
		res_clear(&out->take);
		add_scalars(&out->take, &j->need, 1);
	}
	out->leftover = leftover(have, &j->need, &a->total);
	return true;
}

static void
add_release(agent_state *st, int64_t t, const mosaic_resources *res, const unsigned *cores, unsigned n)
{
	if (st->nrel == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 8;
		st->rel = xrealloc(st->rel, st->cap * sizeof(*st->rel));
	}
	release *r = &st->rel[st->nrel++];
	memset(r, 0, sizeof(*r));
	r->t = t;
	add_scalars(&r->res, res, 1);
	memcpy(r->cores, cores, n * sizeof(*cores));
}

static int
release_cmp(const void *a, const void *b)
{
	const release *x = a, *y = b;
	return x->t < y->t ? -1 : x->t > y->t;
}

/* The reservation: the earliest time some agent can take j, with the
 * agent's free resources and cores at that time. `upto` bounds the
 * releases counted: BACKFILL_NEVER - 1 for real ones, BACKFILL_NEVER to
 * also count jobs without limits (to tell "later" from "never"). */
typedef struct reservation {
	size_t agent;
	int64_t start;
	plan p;
	mosaic_resources have;
	unsigned cores[BACKFILL_MAX_SOCKETS];
} reservation;

static bool
earliest(const backfill_input *in, agent_state *st, const backfill_job *j, int64_t upto, reservation *best)
{
	bool found = false;
	for (size_t a = 0; a < in->nagents; a++) {
		const backfill_agent *ag = &in->agents[a];
		reservation r = {.agent = a, .start = in->now, .have = st[a].avail};
		memcpy(r.cores, st[a].cores, sizeof(r.cores));
		bool ok = place(j, ag, &r.have, r.cores, &r.p);
		for (size_t k = 0; !ok && k < st[a].nrel && st[a].rel[k].t <= upto; k++) {
			/* All releases at one instant together. */
			add_scalars(&r.have, &st[a].rel[k].res, 1);
			add_cores(r.cores, st[a].rel[k].cores, ag->nsockets, 1);
			if (k + 1 < st[a].nrel && st[a].rel[k + 1].t == st[a].rel[k].t)
				continue;
			r.start = st[a].rel[k].t;
			ok = place(j, ag, &r.have, r.cores, &r.p);
		}
		if (!ok)
			continue;
		if (!found || r.start < best->start ||
		    (r.start == best->start && r.p.leftover < best->p.leftover)) {
			*best = r;
			found = true;
		}
	}
	return found;
}

/* Larger than every agent even with nothing else on it. */
static bool
too_big(const backfill_input *in, const agent_state *st, const backfill_job *j)
{
	for (size_t a = 0; a < in->nagents; a++) {
		plan p;
		if (place(j, &in->agents[a], &in->agents[a].total, st[a].all_cores, &p))
			return false;
	}
	return true;
}

int
backfill_job_cmp(const backfill_job *a, const backfill_job *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	if (a->submit_time != b->submit_time)
		return a->submit_time < b->submit_time ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int
order_cmp(const void *a, const void *b, void *arg)
{
	const backfill_job *jobs = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = backfill_job_cmp(&jobs[x], &jobs[y]);
	return c ? c : (x < y ? -1 : x > y);
}

static int
agent_id_cmp(const void *a, const void *b, void *arg)
{
	const backfill_agent *agents = arg;
	return strcmp(agents[*(const size_t *)a].id, agents[*(const size_t *)b].id);
}

/* The agent index of id, by binary search over agents sorted by id. */
static bool
find_agent(const backfill_agent *agents, const size_t *by_id, size_t n, const char *id, size_t *out)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(agents[by_id[mid]].id, id);
		if (c == 0) {
			*out = by_id[mid];
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool
valid_input(const backfill_input *in)
{
	for (size_t a = 0; a < in->nagents; a++)
		if (in->agents[a].nsockets > BACKFILL_MAX_SOCKETS || in->agents[a].id == NULL)
			return false;
	for (size_t i = 0; i < in->njobs; i++)
		for (int d = 0; d < RES_NSCALARS; d++)
			if (res_scalar(&in->jobs[i].need, d) < 0)
				return false;
	return true;
}

/* Index lists and the agents' model, sorted once per round. */
static agent_state *
build_agents(const backfill_input *in)
{
	agent_state *st = xcalloc(in->nagents ? in->nagents : 1, sizeof(*st));
	size_t *by_id = xmalloc((in->nagents ? in->nagents : 1) * sizeof(*by_id));
	for (size_t a = 0; a < in->nagents; a++) {
		st[a].avail = in->agents[a].free;
		memcpy(st[a].cores, in->agents[a].free_cores, sizeof(st[a].cores));
		by_id[a] = a;
	}
	qsort_r(by_id, in->nagents, sizeof(*by_id), agent_id_cmp, (void *)in->agents);
	for (size_t r = 0; r < in->nrunning; r++) {
		const backfill_running *run = &in->running[r];
		size_t a;
		if (run->agent_id == NULL || !find_agent(in->agents, by_id, in->nagents, run->agent_id, &a))
			continue;
		int64_t end = run->end_time < in->now ? in->now : run->end_time;
		add_release(&st[a], end, &run->used, run->cores, in->agents[a].nsockets);
	}
	for (size_t a = 0; a < in->nagents; a++) {
		if (st[a].nrel > 1) /* rel is NULL when empty: qsort must not see it */
			qsort(st[a].rel, st[a].nrel, sizeof(*st[a].rel), release_cmp);
		/* Starting a job moves cores from free to held: this stays. */
		memcpy(st[a].all_cores, st[a].cores, sizeof(st[a].all_cores));
		for (size_t k = 0; k < st[a].nrel; k++)
			add_cores(st[a].all_cores, st[a].rel[k].cores, in->agents[a].nsockets, 1);
	}
	free(by_id);
	return st;
}

/* Insert a release keeping the list sorted (jobs started this round). */
static void
add_release_sorted(agent_state *st, int64_t t, const mosaic_resources *res, const unsigned *cores, unsigned n)
{
	add_release(st, t, res, cores, n);
	release r = st->rel[st->nrel - 1];
	size_t k = st->nrel - 1;
	while (k > 0 && st->rel[k - 1].t > t) {
		st->rel[k] = st->rel[k - 1];
		k--;
	}
	st->rel[k] = r;
}

/* One round: the agents' model, the result being built and, once a job
 * holds the reservation, what it leaves spare on its agent then. */
typedef struct round_state {
	const backfill_input *in;
	agent_state *st;
	backfill_result *out;
	size_t cap;
	reservation res;
	mosaic_resources spare;
	unsigned spare_cores[BACKFILL_MAX_SOCKETS];
} round_state;

/* Whether a plan on the reserved agent fits in what the reserved job
 * leaves: then it may hold its resources past the reservation's start. */
static bool
within_spare(const round_state *rd, const plan *p, unsigned nsockets)
{
	if (!res_contains(&rd->spare, &p->take))
		return false;
	for (unsigned k = 0; k < nsockets; k++)
		if (p->cores[k] > rd->spare_cores[k])
			return false;
	return true;
}

/* best_now chooses the best-fitting agent where j may start now, given
 * the reservation; *fits_now tells whether it fits anywhere at all. */
static bool
best_now(const round_state *rd, const backfill_job *j, int64_t end, size_t *agent, plan *best, bool *fits_now)
{
	const backfill_input *in = rd->in;
	bool found = false;
	*fits_now = false;
	for (size_t a = 0; a < in->nagents; a++) {
		plan p;
		if (!place(j, &in->agents[a], &rd->st[a].avail, rd->st[a].cores, &p))
			continue;
		*fits_now = true;
		bool protected = rd->out->reserved && a == rd->res.agent && end > rd->res.start;
		if (protected && !within_spare(rd, &p, in->agents[a].nsockets))
			continue;
		if (!found || p.leftover < best->leftover) {
			*best = p;
			*agent = a;
			found = true;
		}
	}
	return found;
}

static void
start(round_state *rd, size_t ji, size_t a, const plan *p, int64_t end)
{
	backfill_result *out = rd->out;
	unsigned ns = rd->in->agents[a].nsockets;
	if (out->count == rd->cap) {
		rd->cap = rd->cap ? rd->cap * 2 : 16;
		out->decisions = xrealloc(out->decisions, rd->cap * sizeof(*out->decisions));
	}
	backfill_decision *d = &out->decisions[out->count++];
	memset(d, 0, sizeof(*d));
	d->job = ji;
	d->agent = a;
	d->take = p->take;
	memcpy(d->cores, p->cores, sizeof(d->cores));
	d->backfilled = out->reserved;
	add_scalars(&rd->st[a].avail, &p->take, -1);
	add_cores(rd->st[a].cores, p->cores, ns, -1);
	add_release_sorted(&rd->st[a], end, &p->take, p->cores, ns);
	if (out->reserved && a == rd->res.agent && end > rd->res.start) {
		add_scalars(&rd->spare, &p->take, -1);
		add_cores(rd->spare_cores, p->cores, ns, -1);
	}
	out->reasons[ji] = BACKFILL_STARTED;
}

/* EASY: from now on this one job is protected. */
static void
reserve(round_state *rd, size_t ji, const reservation *r)
{
	backfill_result *out = rd->out;
	rd->res = *r;
	out->reserved = true;
	out->reserved_job = ji;
	out->reserved_agent = r->agent;
	out->reserved_start = r->start;
	out->reasons[ji] = BACKFILL_RESERVED;
	rd->spare = r->have;
	add_scalars(&rd->spare, &r->p.take, -1);
	memcpy(rd->spare_cores, r->cores, sizeof(rd->spare_cores));
	add_cores(rd->spare_cores, r->p.cores, rd->in->agents[r->agent].nsockets, -1);
}

int
backfill_schedule(backfill_result *out, const backfill_input *in)
{
	memset(out, 0, sizeof(*out));
	if (!valid_input(in))
		return MOSAIC_EINVAL;
	out->reasons = xcalloc(in->njobs ? in->njobs : 1, sizeof(*out->reasons));
	round_state rd = {.in = in, .out = out, .st = build_agents(in)};
	size_t *order = xmalloc((in->njobs ? in->njobs : 1) * sizeof(*order));
	for (size_t i = 0; i < in->njobs; i++)
		order[i] = i;
	qsort_r(order, in->njobs, sizeof(*order), order_cmp, (void *)in->jobs);

	for (size_t o = 0; o < in->njobs; o++) {
		size_t ji = order[o], a = 0;
		const backfill_job *j = &in->jobs[ji];
		if (!j->eligible) {
			out->reasons[ji] = BACKFILL_INELIGIBLE;
			continue;
		}
		int64_t end = j->time_limit < 0 ? BACKFILL_NEVER : in->now + j->time_limit;
		plan p;
		bool fits_now;
		reservation r;
		if (best_now(&rd, j, end, &a, &p, &fits_now))
			start(&rd, ji, a, &p, end);
		else if (fits_now)
			out->reasons[ji] = BACKFILL_PRIORITY;
		else if (too_big(in, rd.st, j))
			out->reasons[ji] = BACKFILL_TOO_BIG;
		else if (!out->reserved && earliest(in, rd.st, j, BACKFILL_NEVER - 1, &r))
			reserve(&rd, ji, &r);
		else
			out->reasons[ji] = BACKFILL_RESOURCES;
	}

	for (size_t a = 0; a < in->nagents; a++)
		free(rd.st[a].rel);
	free(rd.st);
	free(order);
	return MOSAIC_OK;
}

void
backfill_result_fini(backfill_result *r)
{
	free(r->decisions);
	free(r->reasons);
	memset(r, 0, sizeof(*r));
}

const char *
backfill_reason_name(backfill_reason r)
{
	switch (r) {
	case BACKFILL_STARTED: return "None";
	case BACKFILL_RESERVED:
	case BACKFILL_RESOURCES: return "Resources";
	case BACKFILL_PRIORITY: return "Priority";
	case BACKFILL_TOO_BIG: return "BadConstraints";
	default: return "";
	}
}
