/* test_rankmap.c - rank placement as mpirun's options would have it: by
 * slot, node, socket and core, --ppn, cpus and memory per rank, binding
 * and socket room, host lists, the errors mpirun users expect, and random
 * scenarios checked against the rules (every rank once, no node over its
 * offers, room fully used before a "does not fit"). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "errors.h"
#include "rankmap.h"
#include "resources.h"

static rankmap_node
node(const char *agent, const char *host, double cpus, double mem)
{
	rankmap_node n;
	memset(&n, 0, sizeof(n));
	n.agent_id = agent;
	n.hostname = host;
	n.avail.cpus = cpus;
	n.avail.mem = mem;
	return n;
}

static rankmap_opts
opts(unsigned np)
{
	rankmap_opts o;
	rankmap_opts_init(&o);
	o.np = np;
	return o;
}

/* "0,1,2" for the ranks of place k, or "-" past the end. */
static const char *
ranks_of(const rankmap *m, size_t k)
{
	static char buf[512];
	if (k >= m->nplaces)
		return "-";
	size_t at = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < m->places[k].nranks && at < sizeof(buf) - 16; i++)
		at +=
		    (size_t)snprintf(buf + at, sizeof(buf) - at, "%s%u", i ? "," : "", m->places[k].ranks[i]);
	return buf;
}

static const char *
sockets_of(const rankmap *m, size_t k)
{
	static char buf[512];
	if (k >= m->nplaces)
		return "-";
	size_t at = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < m->places[k].nranks && at < sizeof(buf) - 16; i++)
		at += (size_t)snprintf(
		    buf + at, sizeof(buf) - at, "%s%d", i ? "," : "", m->places[k].socket[i]);
	return buf;
}

#define CHECK_STR(got, want)                                                                                 \
	do {                                                                                                 \
		const char *g_ = (got), *w_ = (want);                                                        \
		if (strcmp(g_, w_) == 0) {                                                                   \
			check_passed_++;                                                                     \
		} else {                                                                                     \
			check_failed_++;                                                                     \
			fprintf(                                                                             \
			    stderr, "%s:%d: %s is \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, g_, w_); \
		}                                                                                            \
	} while (0)

static void
test_by_slot_and_node(void)
{
	rankmap_node n[3] = {node("a0", "h0", 4, 4096), node("a1", "h1", 4, 4096), node("a2", "h2", 4, 4096)};
	rankmap m;
	char err[256];
	rankmap_opts o = opts(8);

	/* By slot: the first node fills, then the next; the third is unused. */
	CHECK_OK(rankmap_place(&m, &o, n, 3, err, sizeof(err)));
	CHECK(m.nplaces == 2);
	CHECK_STR(ranks_of(&m, 0), "0,1,2,3");
	CHECK_STR(ranks_of(&m, 1), "4,5,6,7");
	CHECK_STR(m.hostlist, "h0:4,h1:4");
	CHECK(m.rank_place[5] == 1 && m.rank_place[0] == 0);
	CHECK_NEAR(m.places[0].res.cpus, 4, 1e-9);
	CHECK_NEAR(m.places[0].res.mem, 0, 1e-9);
	CHECK_STR(sockets_of(&m, 0), "-1,-1,-1,-1"); /* not placed on cores */
	CHECK(m.places[0].cores == 0);
	rankmap_fini(&m);

	/* By node: round-robin, as mpirun --map-by node. */
	o.map_by = RANKMAP_BY_NODE;
	CHECK_OK(rankmap_place(&m, &o, n, 3, err, sizeof(err)));
	CHECK(m.nplaces == 3);
	CHECK_STR(ranks_of(&m, 0), "0,3,6");
	CHECK_STR(ranks_of(&m, 1), "1,4,7");
	CHECK_STR(ranks_of(&m, 2), "2,5");
	CHECK_STR(m.hostlist, "h0:3,h1:3,h2:2");
	rankmap_fini(&m);

	/* Round-robin skips a full node: room 1 and 4. */
	rankmap_node u[2] = {node("a0", "h0", 1, 0), node("a1", "h1", 4, 0)};
	o.np = 4;
	CHECK_OK(rankmap_place(&m, &o, u, 2, err, sizeof(err)));
	CHECK_STR(ranks_of(&m, 0), "0");
	CHECK_STR(ranks_of(&m, 1), "1,2,3");
	rankmap_fini(&m);

	/* Fewer ranks than nodes by node: one each on the first ones. */
	o.np = 2;
	CHECK_OK(rankmap_place(&m, &o, n, 3, err, sizeof(err)));
	CHECK(m.nplaces == 2);
	CHECK_STR(m.hostlist, "h0:1,h1:1");
	rankmap_fini(&m);
}

static void
test_ppn(void)
{
	rankmap_node n[3] = {node("a0", "h0", 8, 0), node("a1", "h1", 2, 0), node("a2", "h2", 8, 0)};
	rankmap m;
	char err[256];
	rankmap_opts o = opts(8);
	o.ppn = 4;
	/* Exactly 4 on each node used; a1 (room 2) is skipped. */
	CHECK_OK(rankmap_place(&m, &o, n, 3, err, sizeof(err)));
	CHECK(m.nplaces == 2);
	CHECK_STR(m.hostlist, "h0:4,h2:4");
	CHECK_STR(ranks_of(&m, 1), "4,5,6,7");
	CHECK(m.places[1].node == 2);
	rankmap_fini(&m);
	o.map_by = RANKMAP_BY_NODE;
	CHECK_OK(rankmap_place(&m, &o, n, 3, err, sizeof(err)));
	CHECK_STR(ranks_of(&m, 0), "0,2,4,6");
	CHECK_STR(ranks_of(&m, 1), "1,3,5,7");
	rankmap_fini(&m);

	/* As mpirun refuses: -n 6 with 4 per node. */
	o.np = 6;
	CHECK(rankmap_place(&m, &o, n, 3, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "-n 6 is not a multiple of --ppn 4") != NULL);
	CHECK(strstr(err, "4 or 8") != NULL);
	CHECK(m.nplaces == 0 && m.hostlist == NULL);
	o.np = 2;
	CHECK(rankmap_place(&m, &o, n, 3, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "--ppn 4") != NULL && strstr(err, "-n 2") != NULL);

	/* Three nodes of 4 needed, two have room. */
	o.np = 12;
	CHECK(rankmap_place(&m, &o, n, 3, err, sizeof(err)) == MOSAIC_ENOSPC);
	CHECK(strstr(err, "needs 3 nodes with room for 4 ranks") != NULL);
	CHECK(strstr(err, "the offers have 2") != NULL);

	/* The demand the allocator sees: 3 tasks of 4 ranks. */
	mosaic_resources per;
	unsigned tasks;
	o.mem_per_rank = 512;
	rankmap_demand(&o, &per, &tasks);
	CHECK(tasks == 3);
	CHECK_NEAR(per.cpus, 4, 1e-9);
	CHECK_NEAR(per.mem, 2048, 1e-9);
	o.ppn = 0;
	rankmap_demand(&o, &per, &tasks);
	CHECK(tasks == 12);
	CHECK_NEAR(per.cpus, 1, 1e-9);
}

static void
test_resources_per_rank(void)
{
	rankmap m;
	char err[256];
	rankmap_opts o = opts(5);
	o.cpus_per_rank = 2;
	o.mem_per_rank = 1024;
	/* 8 cpus but 3 GiB: room for 3 (memory), then 2 (cpus). */
	rankmap_node n[2] = {node("a0", "h0", 8, 3072), node("a1", "h1", 4, 8192)};
	CHECK(rankmap_node_slots(&o, &n[0]) == 3);
	CHECK(rankmap_node_slots(&o, &n[1]) == 2);
	CHECK_OK(rankmap_place(&m, &o, n, 2, err, sizeof(err)));
	CHECK_STR(m.hostlist, "h0:3,h1:2");
	CHECK_NEAR(m.places[0].res.cpus, 6, 1e-9);
	CHECK_NEAR(m.places[0].res.mem, 3072, 1e-9);
	CHECK_NEAR(m.places[1].res.mem, 2048, 1e-9);
	rankmap_fini(&m);
	o.np = 6;
	CHECK(rankmap_place(&m, &o, n, 2, err, sizeof(err)) == MOSAIC_ENOSPC);
	CHECK(strstr(err, "-n 6 needs room for 6 ranks (2 cpus, 1024 MiB each)") != NULL);
	CHECK(strstr(err, "room for 5") != NULL);
	/* Fractional cpus without binding are fine. */
	o = opts(6);
	o.cpus_per_rank = 0.5;
	rankmap_node one = node("a0", "h0", 3, 0);
	CHECK_OK(rankmap_place(&m, &o, &one, 1, err, sizeof(err)));
	CHECK_STR(m.hostlist, "h0:6");
	rankmap_fini(&m);
	/* ... but not with cores. */
	o.bind_to = RANKMAP_BIND_CORE;
	CHECK(rankmap_place(&m, &o, &one, 1, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "not a whole number of cores") != NULL);
	o = opts(0);
	CHECK(rankmap_opts_check(&o, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "-n must be at least 1") != NULL);
	o = opts(1);
	o.cpus_per_rank = 0;
	CHECK(rankmap_opts_check(&o, err, sizeof(err)) == MOSAIC_EINVAL);
	o = opts(1);
	o.mem_per_rank = -1;
	CHECK(rankmap_opts_check(&o, err, sizeof(err)) == MOSAIC_EINVAL);
	/* No nodes at all. */
	o = opts(1);
	CHECK(rankmap_place(&m, &o, NULL, 0, err, sizeof(err)) == MOSAIC_ENOSPC);
}

static void
test_sockets_and_binding(void)
{
	rankmap m;
	char err[256];
	/* Two sockets of 4 free cores. */
	rankmap_node n = node("a0", "h0", 8, 0);
	n.nsockets = 2;
	n.free_cores[0] = n.free_cores[1] = 4;
	rankmap_opts o = opts(4);
	o.map_by = RANKMAP_BY_SOCKET;
	o.bind_to = RANKMAP_BIND_CORE;
	CHECK_OK(rankmap_place(&m, &o, &n, 1, err, sizeof(err)));
	CHECK_STR(sockets_of(&m, 0), "0,1,0,1");
	CHECK(m.places[0].socket_ranks[0] == 2 && m.places[0].socket_ranks[1] == 2);
	CHECK(m.places[0].cores == 4);
	rankmap_fini(&m);
	o.map_by = RANKMAP_BY_CORE;
	CHECK_OK(rankmap_place(&m, &o, &n, 1, err, sizeof(err)));
	CHECK_STR(sockets_of(&m, 0), "0,0,0,0");
	rankmap_fini(&m);
	o.np = 6;
	CHECK_OK(rankmap_place(&m, &o, &n, 1, err, sizeof(err)));
	CHECK_STR(sockets_of(&m, 0), "0,0,0,0,1,1");
	rankmap_fini(&m);

	/* Free cores, not cpus, bound the room: 1 + 2 cores free. */
	n.free_cores[0] = 1;
	n.free_cores[1] = 2;
	o.np = 3;
	o.map_by = RANKMAP_BY_SOCKET;
	CHECK(rankmap_node_slots(&o, &n) == 3);
	CHECK_OK(rankmap_place(&m, &o, &n, 1, err, sizeof(err)));
	CHECK_STR(sockets_of(&m, 0), "0,1,1"); /* socket 0 is full after one */
	rankmap_fini(&m);
	/* A 2-core rank never straddles sockets: 3 + 3 free -> 2 ranks. */
	n.free_cores[0] = n.free_cores[1] = 3;
	o.cpus_per_rank = 2;
	CHECK(rankmap_node_slots(&o, &n) == 2);
	o.np = 3;
	CHECK(rankmap_place(&m, &o, &n, 1, err, sizeof(err)) == MOSAIC_ENOSPC);
	o.np = 2;
	CHECK_OK(rankmap_place(&m, &o, &n, 1, err, sizeof(err)));
	CHECK(m.places[0].cores == 4);
	CHECK_STR(sockets_of(&m, 0), "0,1");
	rankmap_fini(&m);
	/* Without binding or a core mapping the topology does not matter. */
	o = opts(8);
	CHECK(rankmap_node_slots(&o, &n) == 8);
	/* Binding to sockets: ranks packed per socket; cores still whole. */
	o.bind_to = RANKMAP_BIND_SOCKET;
	o.np = 6;
	CHECK_OK(rankmap_place(&m, &o, &n, 1, err, sizeof(err)));
	CHECK_STR(sockets_of(&m, 0), "0,0,0,1,1,1");
	rankmap_fini(&m);
}

static void
test_names_and_hosts(void)
{
	rankmap_by by;
	rankmap_bind bind;
	CHECK_OK(rankmap_parse_map_by("node", &by));
	CHECK(by == RANKMAP_BY_NODE);
	CHECK_OK(rankmap_parse_map_by("core", &by));
	CHECK(by == RANKMAP_BY_CORE);
	CHECK(rankmap_parse_map_by("board", &by) == MOSAIC_EINVAL);
	CHECK(rankmap_parse_map_by(NULL, &by) == MOSAIC_EINVAL);
	CHECK_OK(rankmap_parse_bind_to("none", &bind));
	CHECK(bind == RANKMAP_BIND_NONE);
	CHECK_OK(rankmap_parse_bind_to("socket", &bind));
	CHECK(bind == RANKMAP_BIND_SOCKET);
	CHECK(rankmap_parse_bind_to("hwthread", &bind) == MOSAIC_EINVAL);
	CHECK_STR(rankmap_by_name(RANKMAP_BY_SOCKET), "socket");
	CHECK_STR(rankmap_bind_name(RANKMAP_BIND_CORE), "core");

	/* Several agents on one machine share a host name: mpirun must still
	 * tell them apart, so they are named by agent id; a unique name and
	 * a missing one are handled too. */
	rankmap_node n[4] = {node("agent-1", "localhost", 2, 0), node("agent-2", "localhost", 2, 0),
	    node("agent-3", "node7", 2, 0), node("agent-4", NULL, 2, 0)};
	rankmap m;
	char err[256];
	rankmap_opts o = opts(8);
	CHECK_OK(rankmap_place(&m, &o, n, 4, err, sizeof(err)));
	CHECK_STR(m.hostlist, "agent-1:2,agent-2:2,node7:2,agent-4:2");
	CHECK_STR(m.places[2].agent_id, "agent-3");
	rankmap_fini(&m);
}

static uint64_t test_rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 7;
	test_rng ^= test_rng << 17;
	return n ? (uint32_t)(test_rng % n) : 0;
}

/* Random nodes and options; the result is checked against the rules. */
static void
test_random(void)
{
	enum { ROUNDS = 3000, MAXN = 12 };
	unsigned ok = 0, nospc = 0;
	for (int round = 0; round < ROUNDS; round++) {
		rankmap_node n[MAXN];
		char ids[MAXN][16], hosts[MAXN][16];
		size_t nn = rnd(MAXN + 1);
		for (size_t i = 0; i < nn; i++) {
			snprintf(ids[i], sizeof(ids[i]), "a%zu", i);
			snprintf(
			    hosts[i], sizeof(hosts[i]), "h%u", rnd(3) ? (unsigned)i : 99); /* some shared */
			n[i] = node(ids[i], hosts[i], rnd(17) + 0.5 * rnd(2), 1024.0 * rnd(33));
			if (rnd(2)) {
				n[i].nsockets = 1 + rnd(4);
				for (unsigned s = 0; s < n[i].nsockets; s++)
					n[i].free_cores[s] = rnd(9);
			}
		}
		rankmap_opts o = opts(1 + rnd(40));
		o.map_by = (rankmap_by)rnd(4);
		o.bind_to = (rankmap_bind)rnd(3);
		o.cpus_per_rank = 1 + rnd(3);
		o.mem_per_rank = rnd(3) ? 512.0 * rnd(5) : 0;
		if (rnd(3) == 0) {
			o.ppn = 1 + rnd(6);
			o.np = o.ppn * (1 + rnd(6));
		}
		rankmap m;
		char err[256];
		int rv = rankmap_place(&m, &o, n, nn, err, sizeof(err));
		unsigned total = 0, nodes_with_ppn = 0;
		for (size_t i = 0; i < nn; i++) {
			unsigned s = rankmap_node_slots(&o, &n[i]);
			total += s;
			nodes_with_ppn += o.ppn && s >= o.ppn;
		}
		if (rv == MOSAIC_ENOSPC) {
			nospc++;
			/* Refused only when the room is really missing. */
			CHECK(o.ppn ? nodes_with_ppn < o.np / o.ppn : total < o.np);
			CHECK(m.nplaces == 0);
			continue;
		}
		CHECK(rv == MOSAIC_OK);
		if (rv != MOSAIC_OK)
			continue;
		ok++;
		CHECK(o.ppn ? nodes_with_ppn >= o.np / o.ppn : total >= o.np);
		unsigned *seen = calloc(o.np, sizeof(*seen));
		unsigned placed = 0;
		for (size_t k = 0; k < m.nplaces; k++) {
			rankmap_host *p = &m.places[k];
			CHECK(p->node < nn && strcmp(p->agent_id, n[p->node].agent_id) == 0);
			CHECK(p->nranks >= 1 && p->nranks <= rankmap_node_slots(&o, &n[p->node]));
			if (o.ppn)
				CHECK(p->nranks == o.ppn);
			/* Never more than the node's offers. */
			CHECK(p->res.cpus <= n[p->node].avail.cpus + 1e-9);
			CHECK(p->res.mem <= n[p->node].avail.mem + 1e-9);
			unsigned per_socket[RANKMAP_MAX_SOCKETS] = {0};
			for (unsigned i = 0; i < p->nranks; i++) {
				unsigned r = p->ranks[i];
				CHECK(r < o.np);
				if (r < o.np) {
					seen[r]++;
					CHECK(m.rank_place[r] == k);
				}
				if (i && o.map_by != RANKMAP_BY_NODE)
					CHECK(r == p->ranks[i - 1] + 1); /* filled in turn */
				if (p->socket[i] >= 0)
					per_socket[p->socket[i]]++;
			}
			/* No socket over its free cores. */
			for (unsigned s = 0; s < n[p->node].nsockets; s++) {
				CHECK(per_socket[s] == p->socket_ranks[s]);
				CHECK(per_socket[s] * (unsigned)o.cpus_per_rank <= n[p->node].free_cores[s]);
			}
			if (k && o.map_by != RANKMAP_BY_NODE)
				CHECK(
				    p->ranks[0] > m.places[k - 1].ranks[0] && p->node > m.places[k - 1].node);
			placed += p->nranks;
		}
		CHECK(placed == o.np);
		for (unsigned r = 0; r < o.np; r++)
			CHECK(seen[r] == 1);
		/* The host list has one entry per place. */
		unsigned commas = 0;
		for (const char *c = m.hostlist; *c; c++)
			commas += *c == ',';
		CHECK(commas + 1 == m.nplaces);
		free(seen);
		rankmap_fini(&m);
	}
	/* Both outcomes were exercised. */
	CHECK(ok > ROUNDS / 10 && nospc > ROUNDS / 10);
}

/* Ports from the offers' ranges: they bound the room, and each place
 * gets the lowest ones of its node, its own first, then its ranks'. */
static void
test_ports(void)
{
	rankmap_opts o = opts(5);
	o.ports_per_rank = 1;
	o.ports_per_node = 1;
	rankmap_node n[2] = {node("a1", "h1", 8, 0), node("a2", "h2", 8, 0)};
	/* h1: 3 ports in two ranges -> room for 2 ranks (1 for its task). */
	n[0].avail.nports = 2;
	n[0].avail.ports[0] = (mosaic_range){100, 101};
	n[0].avail.ports[1] = (mosaic_range){200, 200};
	n[1].avail.nports = 1;
	n[1].avail.ports[0] = (mosaic_range){300, 399};
	CHECK(rankmap_node_slots(&o, &n[0]) == 2);
	CHECK(rankmap_node_slots(&o, &n[1]) == 8);
	rankmap m;
	char err[256];
	CHECK_OK(rankmap_place(&m, &o, n, 2, err, sizeof(err)));
	CHECK(m.nplaces == 2 && m.places[0].nranks == 2 && m.places[1].nranks == 3);
	CHECK(res_port_count(&m.places[0].res) == 3 && res_port_count(&m.places[1].res) == 4);
	CHECK(rankmap_place_port(&m.places[0], 0) == 100 && rankmap_place_port(&m.places[0], 1) == 101 &&
	      rankmap_place_port(&m.places[0], 2) == 200 && rankmap_place_port(&m.places[0], 3) == 0);
	CHECK(rankmap_place_port(&m.places[1], 3) == 303);
	CHECK(res_contains(&n[0].avail, &m.places[0].res) && res_contains(&n[1].avail, &m.places[1].res));
	rankmap_fini(&m);

	/* Without ports a node cannot hold a rank, and the error says no room. */
	n[1].avail.nports = 0;
	CHECK(rankmap_node_slots(&o, &n[1]) == 0);
	CHECK(rankmap_place(&m, &o, n, 2, err, sizeof(err)) == MOSAIC_ENOSPC);
	/* Only a node's own ports: one is enough for any number of ranks. */
	o.ports_per_rank = 0;
	n[1].avail.nports = 1;
	n[1].avail.ports[0] = (mosaic_range){300, 300};
	CHECK(rankmap_node_slots(&o, &n[1]) == 8);
	n[1].avail.nports = 0;
	CHECK(rankmap_node_slots(&o, &n[1]) == 0);
}

int
main(void)
{
	test_ports();
	test_by_slot_and_node();
	test_ppn();
	test_resources_per_rank();
	test_sockets_and_binding();
	test_names_and_hosts();
	test_random();
	return check_done();
}
