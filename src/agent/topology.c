/* topology.c - hwloc discovery reduced to a flat table of cores (socket,
 * NUMA node, PUs, holder), and the choice of whole cores for a task.
 *
 * hwloc is only used at open: the choice itself works on the table, so it
 * costs no hwloc calls and is the same for real and synthetic layouts. */
#include "topology.h"

#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

#define BIT_SET(b, i) ((b)[(i) / 8] |= (uint8_t)(1u << ((i) % 8)))
#define BIT_GET(b, i) (((b)[(i) / 8] >> ((i) % 8)) & 1u)

typedef struct core {
	unsigned socket; /* dense index 0..nsockets-1 */
	unsigned numa;   /* dense index 0..nnuma-1 */
	unsigned *pus;   /* PU numbers (topology numbering) */
	unsigned npus;
	int holder; /* index into holders, -1 when free */
} core;

struct topology {
	core *cores;
	unsigned ncores, nsockets, nnuma, npus;
	unsigned max_pu;    /* largest PU number + 1 (bitmap size) */
	unsigned *numa_ids; /* dense NUMA index -> topology number */
	unsigned max_numa;  /* largest NUMA number + 1 */
	unsigned *online;   /* CPUs this process may run on, for synthetic mapping */
	unsigned nonline;
	bool synthetic;
	uint64_t hwloc_mem;
	char **holders; /* key per holder slot; NULL slot is unused */
	unsigned nholders;
	char source[128];
};

/* Topology numbering: OS indexes on a real machine (what sched_setaffinity
 * and set_mempolicy take); logical indexes on a synthetic one, which has no
 * real OS numbering to honour. */
static unsigned
obj_number(const topology *t, hwloc_obj_t o)
{
	return t->synthetic ? o->logical_index : o->os_index;
}

static void
read_online(topology *t)
{
	cpu_set_t set;
	unsigned n = 0;
	t->online = xcalloc(CPU_SETSIZE, sizeof(unsigned));
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (unsigned i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &set))
				t->online[n++] = i;
	}
	if (n == 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		for (long i = 0; i < (c > 0 ? c : 1) && i < CPU_SETSIZE; i++)
			t->online[n++] = (unsigned)i;
	}
	t->nonline = n;
}

/* Build the core table. A machine where hwloc sees no cores (some VMs)
 * gets one core per PU. */
static void
build_table(topology *t, hwloc_topology_t h)
{
	int nc = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_CORE);
	hwloc_obj_type_t ctype = nc > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
	int ns = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PACKAGE);
	int nn = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_NUMANODE);

	t->ncores = (unsigned)hwloc_get_nbobjs_by_type(h, ctype);
	t->nsockets = ns > 0 ? (unsigned)ns : 1;
	t->nnuma = nn > 0 ? (unsigned)nn : 1;
	t->cores = xcalloc(t->ncores, sizeof(core));
	t->numa_ids = xcalloc(t->nnuma, sizeof(unsigned));
	for (unsigned i = 0; i < t->nnuma; i++) {
		hwloc_obj_t o = nn > 0 ? hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, i) : NULL;
		t->numa_ids[i] = o ? obj_number(t, o) : i;
		if (t->numa_ids[i] + 1 > t->max_numa)
			t->max_numa = t->numa_ids[i] + 1;
	}
	for (unsigned i = 0; i < t->ncores; i++) {
		hwloc_obj_t o = hwloc_get_obj_by_type(h, ctype, i);
		core *c = &t->cores[i];
		hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_PACKAGE, o);
		c->socket = pkg ? pkg->logical_index : 0;
		c->holder = -1;
		/* NUMA nodes are memory children in hwloc 2, not ancestors:
		 * the core's node is the one whose cpuset covers it. */
		for (int j = 0; j < nn; j++) {
			hwloc_obj_t m = hwloc_get_obj_by_type(h, HWLOC_OBJ_NUMANODE, (unsigned)j);
			if (hwloc_bitmap_isincluded(o->cpuset, m->cpuset)) {
				c->numa = (unsigned)j;
				break;
			}
		}
		c->npus = (unsigned)hwloc_get_nbobjs_inside_cpuset_by_type(h, o->cpuset, HWLOC_OBJ_PU);
		c->pus = xcalloc(c->npus ? c->npus : 1, sizeof(unsigned));
		for (unsigned k = 0; k < c->npus; k++) {
			hwloc_obj_t pu = hwloc_get_obj_inside_cpuset_by_type(h, o->cpuset, HWLOC_OBJ_PU, k);
			c->pus[k] = obj_number(t, pu);
			if (c->pus[k] + 1 > t->max_pu)
				t->max_pu = c->pus[k] + 1;
		}
		t->npus += c->npus;
	}
}

int
topology_open(topology **out, const char *synthetic, char *err, size_t errlen)
{
	hwloc_topology_t h;
	bool syn = synthetic && *synthetic;

	if (hwloc_topology_init(&h) != 0) {
		if (err)
			snprintf(err, errlen, "hwloc_topology_init: %s", strerror(errno));
		return MOSAIC_EIO;
	}
	if (syn && hwloc_topology_set_synthetic(h, synthetic) != 0) {
		if (err)
			snprintf(err, errlen, "bad synthetic topology '%s'", synthetic);
		hwloc_topology_destroy(h);
		return MOSAIC_EINVAL;
	}
	if (hwloc_topology_load(h) != 0) {
		if (err)
			snprintf(err, errlen, "hwloc_topology_load: %s", strerror(errno));
		hwloc_topology_destroy(h);
		return MOSAIC_EIO;
	}
	topology *t = xcalloc(1, sizeof(*t));
	t->synthetic = syn;
	t->hwloc_mem = hwloc_get_root_obj(h)->total_memory;
	build_table(t, h);
	hwloc_topology_destroy(h);
	if (t->ncores == 0 || t->npus == 0) {
		if (err)
			snprintf(err, errlen, "hwloc found no cores");
		topology_close(t);
		return MOSAIC_EIO;
	}
	read_online(t);
	if (syn)
		snprintf(t->source, sizeof(t->source), "synthetic:%s", synthetic);
	else
		snprintf(t->source, sizeof(t->source), "hwloc");
	*out = t;
	return MOSAIC_OK;
}

void
topology_close(topology *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->ncores; i++)
		free(t->cores[i].pus);
	for (unsigned i = 0; i < t->nholders; i++)
		free(t->holders[i]);
	free(t->holders);
	free(t->cores);
	free(t->numa_ids);
	free(t->online);
	free(t);
}

void
topology_summary_get(const topology *t, topology_summary *out)
{
	memset(out, 0, sizeof(*out));
	out->sockets = t->nsockets;
	out->numa_nodes = t->nnuma;
	out->cores = t->ncores;
	out->pus_per_core = (t->npus + t->ncores - 1) / t->ncores;
	for (unsigned i = 0; i < t->ncores; i++) {
		const core *c = &t->cores[i];
		if (c->holder >= 0)
			continue;
		if (c->numa < TOPO_MAX_NODES)
			out->free_cores_per_numa[c->numa]++;
		if (c->socket < TOPO_MAX_NODES)
			out->free_cores_per_socket[c->socket]++;
	}
	snprintf(out->source, sizeof(out->source), "%s", t->source);
}

static uint64_t
meminfo_total_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kib = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return kib / 1024;
}

uint64_t
topology_memory_mib(const topology *t)
{
	if (t->synthetic && t->hwloc_mem > 0)
		return t->hwloc_mem >> 20;
	return meminfo_total_mib();
}

unsigned
topology_pus(const topology *t)
{
	return t->npus;
}

static int
holder_find(const topology *t, const char *key)
{
	for (unsigned i = 0; i < t->nholders; i++)
		if (t->holders[i] && strcmp(t->holders[i], key) == 0)
			return (int)i;
	return -1;
}

static int
holder_add(topology *t, const char *key)
{
	for (unsigned i = 0; i < t->nholders; i++) {
		if (!t->holders[i]) {
			t->holders[i] = xstrdup(key);
			return (int)i;
		}
	}
	t->holders = xrealloc(t->holders, (t->nholders + 1) * sizeof(char *));
	t->holders[t->nholders] = xstrdup(key);
	return (int)t->nholders++;
}

/* Scratch state of one choice: picked[] marks cores taken so far. */
typedef struct plan {
	topology *t;
	uint8_t *picked;
	int numa; /* -1, or the only NUMA node allowed */
} plan;

static bool
usable(const plan *p, unsigned i, int socket, int numa)
{
	const core *c = &p->t->cores[i];
	return c->holder < 0 && !p->picked[i] && (socket < 0 || c->socket == (unsigned)socket) &&
	       (numa < 0 || c->numa == (unsigned)numa) && (p->numa < 0 || c->numa == (unsigned)p->numa);
}

static unsigned
count_free(const plan *p, int socket, int numa)
{
	unsigned n = 0;
	for (unsigned i = 0; i < p->t->ncores; i++)
		n += usable(p, i, socket, numa);
	return n;
}

/* fill_groups spreads want over groups with avail[g] free cores so as to
 * fragment least: the tightest single group that holds all of it, else
 * the largest group whole and the rest again. */
static int
fill_groups(unsigned n, const unsigned *avail, unsigned want, unsigned *take)
{
	unsigned total = 0;
	for (unsigned g = 0; g < n; g++) {
		take[g] = 0;
		total += avail[g];
	}
	if (total < want)
		return MOSAIC_ENOSPC;
	while (want > 0) {
		int best = -1;
		for (unsigned g = 0; g < n; g++)
			if (!take[g] && avail[g] >= want && (best < 0 || avail[g] < avail[best]))
				best = (int)g;
		if (best >= 0) {
			take[best] = want;
			return MOSAIC_OK;
		}
		for (unsigned g = 0; g < n; g++)
			if (!take[g] && (best < 0 || avail[g] > avail[best]))
				best = (int)g;
		take[best] = avail[best];
		want -= avail[best];
	}
	return MOSAIC_OK;
}

/* Take count cores of socket (NUMA node numa, or any), lowest first. */
static void
take_cores(plan *p, int socket, int numa, unsigned count)
{
	for (unsigned i = 0; i < p->t->ncores && count > 0; i++) {
		if (usable(p, i, socket, numa)) {
			p->picked[i] = 1;
			count--;
		}
	}
}

/* Take count cores within one socket, packed into its NUMA nodes. */
static int
take_in_socket(plan *p, unsigned socket, unsigned count)
{
	unsigned nn = p->t->nnuma;
	unsigned *avail = xcalloc(nn, sizeof(unsigned)), *take = xcalloc(nn, sizeof(unsigned));
	for (unsigned g = 0; g < nn; g++)
		avail[g] = count_free(p, (int)socket, (int)g);
	int rv = fill_groups(nn, avail, count, take);
	for (unsigned g = 0; rv == 0 && g < nn; g++)
		take_cores(p, (int)socket, (int)g, take[g]);
	free(avail);
	free(take);
	return rv;
}

/* Per-socket counts imposed by cores_per_socket / sockets, largest first. */
static int
socket_counts(const topology_request *req, unsigned *counts, unsigned *n, unsigned cap)
{
	unsigned cps = req->cores_per_socket, s = req->sockets, want = req->cores, left = want;
	if (s && cps) {
		if (cps * s != want)
			return MOSAIC_EINVAL;
	} else if (s) {
		if (s > want)
			return MOSAIC_EINVAL;
	} else {
		s = (want + cps - 1) / cps;
	}
	if (s > cap)
		return MOSAIC_ENOSPC;
	for (unsigned i = 0; i < s; i++) {
		/* even split when only sockets is given: the first want % s get one more */
		counts[i] = req->cores_per_socket ? (left < cps ? left : cps) : want / s + (i < want % s);
		left -= counts[i];
	}
	*n = s;
	return MOSAIC_OK;
}

/* Each count to its own socket, the tightest fit first (best fit of the
 * largest count first is optimal when each socket takes one count). */
static int
place_counts(plan *p, const unsigned *counts, unsigned n)
{
	unsigned ns = p->t->nsockets;
	uint8_t *used = xcalloc(ns, 1);
	int rv = MOSAIC_OK;
	for (unsigned k = 0; k < n && rv == 0; k++) {
		int best = -1;
		unsigned bestfree = 0;
		for (unsigned s = 0; s < ns; s++) {
			unsigned f = used[s] ? 0 : count_free(p, (int)s, -1);
			if (f >= counts[k] && (best < 0 || f < bestfree)) {
				best = (int)s;
				bestfree = f;
			}
		}
		if (best < 0)
			rv = MOSAIC_ENOSPC;
		else {
			used[best] = 1;
			rv = take_in_socket(p, (unsigned)best, counts[k]);
		}
	}
	free(used);
	return rv;
}

static int
place_spread(plan *p, unsigned want)
{
	unsigned ns = p->t->nsockets;
	unsigned *avail = xcalloc(ns, sizeof(unsigned)), *take = xcalloc(ns, sizeof(unsigned));
	int rv = MOSAIC_OK;
	for (unsigned s = 0; s < ns; s++)
		avail[s] = count_free(p, (int)s, -1);
	/* round-robin: each core to the socket given fewest so far */
	for (unsigned k = 0; k < want && rv == 0; k++) {
		int best = -1;
		for (unsigned s = 0; s < ns; s++)
			if (take[s] < avail[s] && (best < 0 || take[s] < take[best]))
				best = (int)s;
		if (best < 0)
			rv = MOSAIC_ENOSPC;
		else
			take[best]++;
	}
	for (unsigned s = 0; s < ns && rv == 0; s++)
		rv = take_in_socket(p, s, take[s]);
	free(avail);
	free(take);
	return rv;
}

static int
place_pack(plan *p, unsigned want)
{
	unsigned ns = p->t->nsockets;
	unsigned *avail = xcalloc(ns, sizeof(unsigned)), *take = xcalloc(ns, sizeof(unsigned));
	for (unsigned s = 0; s < ns; s++)
		avail[s] = count_free(p, (int)s, -1);
	int rv = fill_groups(ns, avail, want, take);
	for (unsigned s = 0; s < ns && rv == 0; s++)
		rv = take_in_socket(p, s, take[s]);
	free(avail);
	free(take);
	return rv;
}

static int
place(plan *p, const topology_request *req)
{
	unsigned counts[TOPO_MAX_NODES], n = 0;
	if (req->cores_per_socket || req->sockets) {
		int rv = socket_counts(req, counts, &n, TOPO_MAX_NODES);
		return rv ? rv : place_counts(p, counts, n);
	}
	if (req->kind == TOPO_SPREAD)
		return place_spread(p, req->cores);
	return place_pack(p, req->cores);
}

/* TOPO_NUMA: try the NUMA nodes that hold enough, tightest first. */
static int
place_numa(plan *p, const topology_request *req)
{
	unsigned nn = p->t->nnuma;
	uint8_t *tried = xcalloc(nn, 1);
	int rv = MOSAIC_ENOSPC;
	for (;;) {
		int best = -1;
		unsigned bestfree = 0;
		p->numa = -1;
		memset(p->picked, 0, p->t->ncores);
		for (unsigned g = 0; g < nn; g++) {
			unsigned f = tried[g] ? 0 : count_free(p, -1, (int)g);
			if (f >= req->cores && (best < 0 || f < bestfree)) {
				best = (int)g;
				bestfree = f;
			}
		}
		if (best < 0)
			break;
		tried[best] = 1;
		p->numa = best;
		rv = place(p, req);
		if (rv != MOSAIC_ENOSPC)
			break;
	}
	free(tried);
	return rv;
}

static void
format_alloc(const topology *t, const uint8_t *picked, topology_alloc *out)
{
	uint8_t *pus = xcalloc(t->max_pu / 8 + 1, 1), *nodes = xcalloc(t->max_numa / 8 + 1, 1);
	out->ncores = 0;
	for (unsigned i = 0; i < t->ncores; i++) {
		if (!picked[i])
			continue;
		out->ncores++;
		for (unsigned k = 0; k < t->cores[i].npus; k++)
			BIT_SET(pus, t->cores[i].pus[k]);
		BIT_SET(nodes, t->numa_ids[t->cores[i].numa]);
	}
	topology_list_format(pus, t->max_pu, out->cpus, sizeof(out->cpus));
	topology_list_format(nodes, t->max_numa, out->numa, sizeof(out->numa));
	free(pus);
	free(nodes);
}

int
topology_reserve(topology *t, const char *key, const topology_request *req, topology_alloc *out)
{
	if (!key || !*key || !req || req->cores == 0)
		return MOSAIC_EINVAL;
	if (holder_find(t, key) >= 0)
		return MOSAIC_EEXIST;
	unsigned counts[TOPO_MAX_NODES], n;
	if ((req->cores_per_socket || req->sockets) &&
	    socket_counts(req, counts, &n, TOPO_MAX_NODES) == MOSAIC_EINVAL)
		return MOSAIC_EINVAL; /* inconsistent whatever is free */
	if (req->cores > t->ncores)
		return MOSAIC_ENOSPC;
	plan p = {.t = t, .picked = xcalloc(t->ncores, 1), .numa = -1};
	int rv = req->kind == TOPO_NUMA ? place_numa(&p, req) : place(&p, req);
	if (rv == MOSAIC_OK) {
		int h = holder_add(t, key);
		for (unsigned i = 0; i < t->ncores; i++)
			if (p.picked[i])
				t->cores[i].holder = h;
		if (out)
			format_alloc(t, p.picked, out);
	}
	free(p.picked);
	return rv;
}

int
topology_restore(topology *t, const char *key, const char *cpus)
{
	if (!key || !*key || !cpus)
		return MOSAIC_EINVAL;
	if (holder_find(t, key) >= 0)
		return MOSAIC_EEXIST;
	uint8_t *bits = xcalloc(t->max_pu / 8 + 1, 1);
	int rv = topology_list_parse(cpus, bits, t->max_pu);
	/* a core counts as held when any of its PUs is listed; one held by
	 * another key means the checkpoint and this agent disagree */
	for (unsigned i = 0; i < t->ncores && rv == 0; i++)
		for (unsigned k = 0; k < t->cores[i].npus; k++)
			if (BIT_GET(bits, t->cores[i].pus[k]) && t->cores[i].holder >= 0)
				rv = MOSAIC_ENOSPC;
	if (rv == 0) {
		int h = holder_add(t, key);
		for (unsigned i = 0; i < t->ncores; i++)
			for (unsigned k = 0; k < t->cores[i].npus; k++)
				if (BIT_GET(bits, t->cores[i].pus[k]))
					t->cores[i].holder = h;
	}
	free(bits);
	return rv;
}

int
topology_release(topology *t, const char *key)
{
	int h = key ? holder_find(t, key) : -1;
	if (h < 0)
		return MOSAIC_ENOENT;
	for (unsigned i = 0; i < t->ncores; i++)
		if (t->cores[i].holder == h)
			t->cores[i].holder = -1;
	free(t->holders[h]);
	t->holders[h] = NULL;
	return MOSAIC_OK;
}

int
topology_os_cpus(const topology *t, const char *cpus, char *out, size_t outlen)
{
	uint8_t *in = xcalloc(t->max_pu / 8 + 1, 1);
	int rv = topology_list_parse(cpus, in, t->max_pu);
	if (rv == 0 && !t->synthetic) {
		topology_list_format(in, t->max_pu, out, outlen);
	} else if (rv == 0) {
		unsigned maxcpu = t->online[t->nonline - 1] + 1;
		uint8_t *os = xcalloc(maxcpu / 8 + 1, 1);
		for (unsigned i = 0; i < t->max_pu; i++)
			if (BIT_GET(in, i))
				BIT_SET(os, t->online[i % t->nonline]);
		topology_list_format(os, maxcpu, out, outlen);
		free(os);
	}
	free(in);
	return rv;
}

/* Digits only: no sign, no blanks, nothing strtoul would let through. */
static int
parse_num(const char **p, unsigned nbits, unsigned *v)
{
	const char *s = *p;
	unsigned long n = 0;
	if (*s < '0' || *s > '9')
		return MOSAIC_EINVAL;
	while (*s >= '0' && *s <= '9') {
		n = n * 10 + (unsigned long)(*s++ - '0');
		if (n >= nbits)
			return MOSAIC_EINVAL;
	}
	*v = (unsigned)n;
	*p = s;
	return MOSAIC_OK;
}

int
topology_list_parse(const char *list, uint8_t *bits, unsigned nbits)
{
	if (!list || !bits)
		return MOSAIC_EINVAL;
	memset(bits, 0, (nbits + 7) / 8);
	const char *p = list;
	if (*p == '\0')
		return MOSAIC_OK;
	for (;;) {
		unsigned a, b;
		if (parse_num(&p, nbits, &a) != 0)
			return MOSAIC_EINVAL;
		b = a;
		if (*p == '-') {
			p++;
			if (parse_num(&p, nbits, &b) != 0 || b < a)
				return MOSAIC_EINVAL;
		}
		for (unsigned i = a; i <= b; i++)
			BIT_SET(bits, i);
		if (*p == '\0')
			return MOSAIC_OK;
		if (*p++ != ',')
			return MOSAIC_EINVAL;
	}
}

void
topology_list_format(const uint8_t *bits, unsigned nbits, char *out, size_t outlen)
{
	size_t len = 0;
	if (outlen == 0)
		return;
	out[0] = '\0';
	for (unsigned i = 0; i < nbits; i++) {
		if (!BIT_GET(bits, i))
			continue;
		unsigned j = i;
		while (j + 1 < nbits && BIT_GET(bits, j + 1))
			j++;
		int n = j > i ? snprintf(out + len, outlen - len, "%s%u-%u", len ? "," : "", i, j)
		              : snprintf(out + len, outlen - len, "%s%u", len ? "," : "", i);
		if (n < 0 || (size_t)n >= outlen - len) {
			out[len] = '\0'; /* never leave half a number */
			return;
		}
		len += (size_t)n;
		i = j;
	}
}
