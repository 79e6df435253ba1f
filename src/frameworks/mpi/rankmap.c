/* rankmap.c - placing MPI ranks on the gang's agents (see rankmap.h).
 *
 * Two steps: how many ranks each node can hold (its slots), then which
 * ranks go where - filling nodes in turn (slot, socket, core) or dealing
 * ranks round-robin (node) - and, within a node, which socket each rank
 * sits on. Errors read like mpirun's: they say what was asked and what
 * there is. */
#include "rankmap.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
rankmap_opts_init(rankmap_opts *o)
{
	*o = (rankmap_opts){
	    .np = 1, .map_by = RANKMAP_BY_SLOT, .bind_to = RANKMAP_BIND_NONE, .cpus_per_rank = 1};
}

static const char *by_names[] = {"slot", "node", "socket", "core"};
static const char *bind_names[] = {"none", "core", "socket"};

const char *
rankmap_by_name(rankmap_by by)
{
	return (unsigned)by < 4 ? by_names[by] : "?";
}

const char *
rankmap_bind_name(rankmap_bind bind)
{
	return (unsigned)bind < 3 ? bind_names[bind] : "?";
}

int
rankmap_parse_map_by(const char *s, rankmap_by *out)
{
	for (unsigned i = 0; s && i < 4; i++)
		if (strcmp(s, by_names[i]) == 0) {
			*out = (rankmap_by)i;
			return MOSAIC_OK;
		}
	return MOSAIC_EINVAL;
}

int
rankmap_parse_bind_to(const char *s, rankmap_bind *out)
{
	for (unsigned i = 0; s && i < 3; i++)
		if (strcmp(s, bind_names[i]) == 0) {
			*out = (rankmap_bind)i;
			return MOSAIC_OK;
		}
	return MOSAIC_EINVAL;
}

/* Mapping by socket or core, or binding, places ranks on cores. */
static bool
uses_cores(const rankmap_opts *o)
{
	return o->map_by == RANKMAP_BY_SOCKET || o->map_by == RANKMAP_BY_CORE ||
	    o->bind_to != RANKMAP_BIND_NONE;
}

static unsigned
cores_per_rank(const rankmap_opts *o)
{
	double c = ceil(o->cpus_per_rank - 1e-9);
	return c < 1 ? 1 : (unsigned)c;
}

int
rankmap_opts_check(const rankmap_opts *o, char *err, size_t errlen)
{
	if (o->np == 0) {
		seterr(err, errlen, "-n must be at least 1");
		return MOSAIC_EINVAL;
	}
	if (!(o->cpus_per_rank > 0) || !isfinite(o->cpus_per_rank)) {
		seterr(err, errlen, "--cpus-per-rank must be more than 0 (got %g)", o->cpus_per_rank);
		return MOSAIC_EINVAL;
	}
	if (!(o->mem_per_rank >= 0) || !isfinite(o->mem_per_rank)) {
		seterr(err, errlen, "--mem-per-rank must be 0 or more MiB (got %g)", o->mem_per_rank);
		return MOSAIC_EINVAL;
	}
	if ((unsigned)o->map_by > RANKMAP_BY_CORE || (unsigned)o->bind_to > RANKMAP_BIND_SOCKET) {
		seterr(err, errlen, "unknown --map-by or --bind-to value");
		return MOSAIC_EINVAL;
	}
	if (o->ppn && o->ppn > o->np) {
		seterr(err, errlen, "--ppn %u asks for more ranks per node than the job has (-n %u)", o->ppn,
		    o->np);
		return MOSAIC_EINVAL;
	}
	if (o->ppn && o->np % o->ppn) {
		seterr(err, errlen,
		    "-n %u is not a multiple of --ppn %u: every node runs exactly %u ranks, so -n must be "
		    "%u or %u",
		    o->np, o->ppn, o->ppn, o->np / o->ppn * o->ppn, (o->np / o->ppn + 1) * o->ppn);
		return MOSAIC_EINVAL;
	}
	if (uses_cores(o) && fabs(o->cpus_per_rank - round(o->cpus_per_rank)) > 1e-9) {
		seterr(err, errlen,
		    "--cpus-per-rank %g is not a whole number of cores, as --map-by %s --bind-to %s "
		    "needs",
		    o->cpus_per_rank, rankmap_by_name(o->map_by), rankmap_bind_name(o->bind_to));
		return MOSAIC_EINVAL;
	}
	return MOSAIC_OK;
}

/* Ranks each socket of n can hold; returns the number of sockets (1 with a
 * single pseudo-socket when the topology is unknown). */
static unsigned
socket_room(const rankmap_opts *o, const rankmap_node *n, uint32_t room[RANKMAP_MAX_SOCKETS])
{
	unsigned ns = n->nsockets > RANKMAP_MAX_SOCKETS ? RANKMAP_MAX_SOCKETS : n->nsockets;
	unsigned cpr = cores_per_rank(o);
	if (ns == 0) {
		room[0] = UINT32_MAX; /* cpus bound it; see rankmap_node_slots */
		return 1;
	}
	for (unsigned s = 0; s < ns; s++)
		room[s] = n->free_cores[s] / cpr;
	return ns;
}

unsigned
rankmap_node_slots(const rankmap_opts *o, const rankmap_node *n)
{
	if (!(o->cpus_per_rank > 0))
		return 0;
	double slots = floor((n->avail.cpus + 1e-9) / o->cpus_per_rank);
	if (o->mem_per_rank > 0)
		slots = fmin(slots, floor((n->avail.mem + 1e-9) / o->mem_per_rank));
	if (o->ports_per_rank || o->ports_per_node) {
		double ports = (double)res_port_count(&n->avail);
		if (ports < o->ports_per_node)
			return 0;
		if (o->ports_per_rank)
			slots = fmin(slots, floor((ports - o->ports_per_node) / o->ports_per_rank));
	}
	if (uses_cores(o) && n->nsockets) {
		uint32_t room[RANKMAP_MAX_SOCKETS];
		unsigned ns = socket_room(o, n, room);
		double sum = 0;
		for (unsigned s = 0; s < ns; s++)
			sum += room[s];
		slots = fmin(slots, sum);
	}
	if (!(slots > 0))
		return 0;
	return slots > UINT32_MAX ? UINT32_MAX : (unsigned)slots;
}

void
rankmap_demand(const rankmap_opts *o, mosaic_resources *per_task, unsigned *tasks)
{
	unsigned k = o->ppn ? o->ppn : 1;
	res_clear(per_task);
	per_task->cpus = k * o->cpus_per_rank;
	per_task->mem = k * o->mem_per_rank;
	*tasks = o->ppn ? o->np / o->ppn : o->np;
}

void
rankmap_fini(rankmap *m)
{
	for (size_t i = 0; i < m->nplaces; i++) {
		free(m->places[i].agent_id);
		free(m->places[i].host);
		free(m->places[i].ranks);
		free(m->places[i].socket);
	}
	free(m->places);
	free(m->rank_place);
	free(m->hostlist);
	memset(m, 0, sizeof(*m));
}

/* Which socket each local rank of a node sits on: round-robin over the
 * sockets with room (by socket), or socket 0 first (by core, and binding
 * without a socket mapping). -1 when ranks are not placed on cores. */
static void
assign_sockets(const rankmap_opts *o, const rankmap_node *n, rankmap_host *p)
{
	for (unsigned l = 0; l < p->nranks; l++)
		p->socket[l] = -1;
	if (!uses_cores(o) || !n->nsockets)
		return;
	uint32_t room[RANKMAP_MAX_SOCKETS];
	unsigned ns = socket_room(o, n, room), s = 0;
	for (unsigned l = 0; l < p->nranks; l++) {
		if (o->map_by == RANKMAP_BY_SOCKET) {
			unsigned tries = 0;
			while (!room[s] && tries++ < ns)
				s = (s + 1) % ns;
		} else {
			while (s < ns - 1 && !room[s])
				s++;
		}
		/* rankmap_node_slots counted this room, so it is there. */
		room[s]--;
		p->socket[l] = (int)s;
		p->socket_ranks[s]++;
		if (o->map_by == RANKMAP_BY_SOCKET)
			s = (s + 1) % ns;
	}
}

uint32_t
rankmap_place_port(const rankmap_host *p, uint64_t k)
{
	for (uint32_t i = 0; i < p->res.nports; i++) {
		uint64_t len = (uint64_t)p->res.ports[i].end - p->res.ports[i].begin + 1;
		if (k < len)
			return (uint32_t)(p->res.ports[i].begin + k);
		k -= len;
	}
	return 0;
}

/* The lowest `want` ports of have, as ranges (have's are sorted and
 * disjoint, so the result needs no more ranges than have has). */
static void
take_ports(mosaic_resources *out, const mosaic_resources *have, uint64_t want)
{
	out->nports = 0;
	for (uint32_t i = 0; i < have->nports && want; i++) {
		uint64_t len = (uint64_t)have->ports[i].end - have->ports[i].begin + 1;
		uint64_t k = len < want ? len : want;
		out->ports[out->nports++] =
		    (mosaic_range){have->ports[i].begin, (uint32_t)(have->ports[i].begin + k - 1)};
		want -= k;
	}
}

static char *
host_name(const rankmap_node *nodes, const size_t *used, size_t nused, size_t i)
{
	const char *h = nodes[i].hostname;
	if (!h || !*h)
		return xstrdup(nodes[i].agent_id);
	/* Agents sharing a host name (several agents on one machine) must
	 * still be told apart by mpirun: name them by agent id. */
	for (size_t k = 0; k < nused; k++) {
		size_t j = used[k];
		if (j != i && nodes[j].hostname && strcmp(nodes[j].hostname, h) == 0)
			return xstrdup(nodes[i].agent_id);
	}
	return xstrdup(h);
}

int
rankmap_place(
    rankmap *out, const rankmap_opts *o, const rankmap_node *nodes, size_t nnodes, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	int rv = rankmap_opts_check(o, err, errlen);
	if (rv)
		return rv;
	unsigned *cap = xcalloc(nnodes ? nnodes : 1, sizeof(*cap));
	uint64_t total = 0;
	size_t big_enough = 0;
	for (size_t i = 0; i < nnodes; i++) {
		cap[i] = rankmap_node_slots(o, &nodes[i]);
		if (o->ppn) {
			/* A node takes exactly ppn ranks or none; only as many
			 * nodes as the job needs, the first with room. */
			cap[i] = cap[i] >= o->ppn && big_enough < o->np / o->ppn ? o->ppn : 0;
			big_enough += cap[i] != 0;
		}
		total += cap[i];
	}
	if (total < o->np) {
		if (o->ppn)
			seterr(err, errlen,
			    "-n %u --ppn %u needs %u nodes with room for %u ranks (%g cpus, %g MiB each); "
			    "the offers have %zu",
			    o->np, o->ppn, o->np / o->ppn, o->ppn, o->cpus_per_rank, o->mem_per_rank,
			    big_enough);
		else
			seterr(err, errlen,
			    "-n %u needs room for %u ranks (%g cpus, %g MiB each); the offers have "
			    "room for %llu",
			    o->np, o->np, o->cpus_per_rank, o->mem_per_rank, (unsigned long long)total);
		free(cap);
		return MOSAIC_ENOSPC;
	}

	/* Deal the ranks: node[i] gets count[i] of them, in rank order. */
	unsigned *count = xcalloc(nnodes, sizeof(*count));
	size_t *node_of = xmalloc(o->np * sizeof(*node_of));
	if (o->map_by == RANKMAP_BY_NODE) {
		size_t i = 0;
		for (unsigned r = 0; r < o->np; r++) {
			while (count[i] >= cap[i])
				i = (i + 1) % nnodes; /* total >= np: one has room */
			node_of[r] = i;
			count[i]++;
			i = (i + 1) % nnodes;
		}
	} else {
		size_t i = 0;
		for (unsigned r = 0; r < o->np; r++) {
			while (count[i] >= cap[i])
				i++;
			node_of[r] = i;
			count[i]++;
		}
	}

	size_t *used = xmalloc(nnodes * sizeof(*used)), nused = 0,
	       *place_of = xmalloc(nnodes * sizeof(*place_of));
	for (size_t i = 0; i < nnodes; i++)
		if (count[i]) {
			place_of[i] = nused;
			used[nused++] = i;
		}
	out->np = o->np;
	out->nplaces = nused;
	out->places = xcalloc(nused, sizeof(*out->places));
	out->rank_place = xmalloc(o->np * sizeof(*out->rank_place));
	for (size_t k = 0; k < nused; k++) {
		rankmap_host *p = &out->places[k];
		size_t i = used[k];
		p->node = i;
		p->agent_id = xstrdup(nodes[i].agent_id);
		p->host = host_name(nodes, used, nused, i);
		p->ranks = xmalloc(count[i] * sizeof(*p->ranks));
		p->socket = xmalloc(count[i] * sizeof(*p->socket));
		res_clear(&p->res);
		p->res.cpus = count[i] * o->cpus_per_rank;
		p->res.mem = count[i] * o->mem_per_rank;
		p->cores = o->bind_to != RANKMAP_BIND_NONE ? count[i] * cores_per_rank(o) : 0;
		if (o->ports_per_rank || o->ports_per_node)
			take_ports(&p->res, &nodes[i].avail,
			           (uint64_t)count[i] * o->ports_per_rank + o->ports_per_node);
	}
	for (unsigned r = 0; r < o->np; r++) {
		rankmap_host *p = &out->places[place_of[node_of[r]]];
		p->ranks[p->nranks++] = r;
		out->rank_place[r] = place_of[node_of[r]];
	}
	size_t len = 1;
	for (size_t k = 0; k < nused; k++) {
		assign_sockets(o, &nodes[used[k]], &out->places[k]);
		len += strlen(out->places[k].host) + 12;
	}
	out->hostlist = xmalloc(len);
	size_t at = 0;
	for (size_t k = 0; k < nused; k++)
		at += (size_t)snprintf(out->hostlist + at, len - at, "%s%s:%u", k ? "," : "",
		    out->places[k].host, out->places[k].nranks);
	out->hostlist[at] = '\0';
	free(cap);
	free(count);
	free(node_of);
	free(used);
	free(place_of);
	return MOSAIC_OK;
}
