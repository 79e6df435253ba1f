/* test_topology - core choice on synthetic layouts, list helpers, and
 * discovery of this machine. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "topology.h"

#define SYN2x8 "pack:2 numa:1 core:8 pu:2" /* cores c have PUs 2c, 2c+1 */
#define SYN2x2x4 "pack:2 numa:2 core:4 pu:1"

static topology *
open_syn(const char *desc)
{
	topology *t = NULL;
	char err[256] = "";
	int rv = topology_open(&t, desc, err, sizeof(err));
	if (rv != 0) {
		fprintf(stderr, "topology_open(%s): %s: %s\n", desc, mosaic_strerror(rv), err);
		exit(1);
	}
	return t;
}

static topology_request
req(unsigned cores, topology_kind kind)
{
	topology_request r = {.cores = cores, .kind = kind};
	return r;
}

/* reserve and compare the chosen PUs and nodes with the expected lists */
static void
expect(topology *t, const char *key, topology_request r, const char *cpus, const char *numa)
{
	topology_alloc a;
	memset(&a, 0, sizeof(a));
	int rv = topology_reserve(t, key, &r, &a);
	CHECK(rv == 0);
	CHECK(strcmp(a.cpus, cpus) == 0);
	CHECK(strcmp(a.numa, numa) == 0);
	if (rv != 0 || strcmp(a.cpus, cpus) || strcmp(a.numa, numa))
		fprintf(stderr, "  %s: got %s cpus '%s' numa '%s', want '%s' '%s'\n", key,
		        mosaic_strerror(rv), a.cpus, a.numa, cpus, numa);
}

static void
test_counts(void)
{
	topology *t = open_syn(SYN2x8);
	topology_summary s;
	topology_summary_get(t, &s);
	CHECK(s.sockets == 2 && s.numa_nodes == 2 && s.cores == 16 && s.pus_per_core == 2);
	CHECK(s.free_cores_per_numa[0] == 8 && s.free_cores_per_numa[1] == 8);
	CHECK(s.free_cores_per_socket[0] == 8 && s.free_cores_per_socket[1] == 8);
	CHECK(strcmp(s.source, "synthetic:" SYN2x8) == 0);
	CHECK(topology_pus(t) == 32);
	CHECK(topology_memory_mib(t) == 2048); /* hwloc's 1 GiB per synthetic node */
	topology_close(t);

	t = open_syn(SYN2x2x4);
	topology_summary_get(t, &s);
	CHECK(s.sockets == 2 && s.numa_nodes == 4 && s.cores == 16 && s.pus_per_core == 1);
	for (int i = 0; i < 4; i++)
		CHECK(s.free_cores_per_numa[i] == 4);
	CHECK(topology_pus(t) == 16);
	topology_close(t);

	char err[128] = "";
	CHECK(topology_open(&t, "bogus:3", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "bogus:3") != NULL);
}

static void
test_pack(void)
{
	topology *t = open_syn(SYN2x8);
	expect(t, "a", req(4, TOPO_PACK), "0-7", "0");
	expect(t, "b", req(4, TOPO_PACK), "8-15", "0"); /* fills socket 0 first */
	expect(t, "c", req(6, TOPO_PACK), "16-27", "1");
	topology_request r = req(4, TOPO_PACK);
	topology_alloc a;
	CHECK(topology_reserve(t, "d", &r, &a) == MOSAIC_ENOSPC);
	CHECK(topology_reserve(t, "a", &r, &a) == MOSAIC_EEXIST);
	topology_close(t);

	/* tightest fit: 2 cores go where exactly 2 are left, not to the emptier socket */
	t = open_syn(SYN2x8);
	expect(t, "a", req(6, TOPO_PACK), "0-11", "0");
	expect(t, "b", req(3, TOPO_PACK), "16-21", "1");
	expect(t, "c", req(2, TOPO_PACK), "12-15", "0");
	/* more than a socket holds: the fullest-free socket whole, the rest tight */
	CHECK_OK(topology_release(t, "a"));
	CHECK_OK(topology_release(t, "c"));
	expect(t, "d", req(10, TOPO_PACK), "0-15,22-25", "0-1");
	topology_close(t);
}

static void
test_spread_numa(void)
{
	topology *t = open_syn(SYN2x8);
	expect(t, "s", req(4, TOPO_SPREAD), "0-3,16-19", "0-1");
	expect(t, "s3", req(3, TOPO_SPREAD), "4-7,20-21", "0-1");
	topology_close(t);

	t = open_syn(SYN2x2x4);
	expect(t, "x", req(2, TOPO_PACK), "0-1", "0");
	expect(t, "n", req(3, TOPO_NUMA), "4-6", "1"); /* node 0 has only 2 left */
	topology_request r = req(5, TOPO_NUMA);
	topology_alloc a;
	CHECK(topology_reserve(t, "big", &r, &a) == MOSAIC_ENOSPC); /* 11 free, but 4 per node */
	expect(t, "p", req(5, TOPO_PACK), "8-12", "2-3");
	expect(t, "n2", req(2, TOPO_NUMA), "2-3", "0"); /* tightest node: exactly 2 left */
	topology_close(t);
}

static void
test_constraints(void)
{
	topology *t = open_syn(SYN2x8);
	topology_request r = {.cores = 8, .kind = TOPO_PACK, .cores_per_socket = 4, .sockets = 2};
	topology_alloc a;
	topology_summary s;
	expect(t, "g1", r, "0-7,16-23", "0-1");
	topology_summary_get(t, &s);
	CHECK(s.free_cores_per_socket[0] == 4 && s.free_cores_per_socket[1] == 4);
	CHECK_OK(topology_release(t, "g1"));
	memset(&a, 0, sizeof(a));
	CHECK_OK(topology_reserve(t, "g1", &r, &a));
	CHECK(a.ncores == 8);
	expect(t, "g2", r, "8-15,24-31", "0-1");
	CHECK(topology_reserve(t, "g3", &r, &a) == MOSAIC_ENOSPC);
	topology_close(t);

	t = open_syn(SYN2x8);
	r.cores = 6; /* 4 per socket on 2 sockets is 8, not 6 */
	CHECK(topology_reserve(t, "bad", &r, &a) == MOSAIC_EINVAL);
	topology_request r3 = {.cores = 3, .kind = TOPO_PACK, .sockets = 3};
	CHECK(topology_reserve(t, "three", &r3, &a) == MOSAIC_ENOSPC);
	/* cores_per_socket alone: 5 cores at most 2 per socket needs 3 sockets */
	topology_request r4 = {.cores = 5, .kind = TOPO_PACK, .cores_per_socket = 2};
	CHECK(topology_reserve(t, "cps", &r4, &a) == MOSAIC_ENOSPC);
	r4.cores = 4;
	expect(t, "cps", r4, "0-3,16-19", "0-1");
	/* sockets alone: an even split */
	topology_request r5 = {.cores = 5, .kind = TOPO_SPREAD, .sockets = 2};
	expect(t, "even", r5, "4-9,20-23", "0-1");
	/* NUMA with a socket constraint: one node sits in one socket here */
	topology_request r6 = {.cores = 2, .kind = TOPO_NUMA, .sockets = 2};
	CHECK(topology_reserve(t, "n", &r6, &a) == MOSAIC_ENOSPC);
	r6.sockets = 1;
	expect(t, "n", r6, "10-13", "0");
	topology_request r0 = {.cores = 0, .kind = TOPO_PACK};
	CHECK(topology_reserve(t, "zero", &r0, &a) == MOSAIC_EINVAL);
	topology_close(t);
}

static void
test_full_release_restore(void)
{
	topology *t = open_syn(SYN2x8);
	topology_request r = req(1, TOPO_PACK);
	topology_alloc a;
	topology_summary s;
	char key[16];
	for (int i = 0; i < 16; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		CHECK_OK(topology_reserve(t, key, &r, &a));
	}
	CHECK(topology_reserve(t, "k16", &r, &a) == MOSAIC_ENOSPC);
	topology_summary_get(t, &s);
	CHECK(s.free_cores_per_socket[0] == 0 && s.free_cores_per_socket[1] == 0);
	CHECK_OK(topology_release(t, "k3"));
	CHECK(topology_release(t, "k3") == MOSAIC_ENOENT);
	topology_summary_get(t, &s);
	CHECK(s.free_cores_per_socket[0] == 1 && s.free_cores_per_numa[0] == 1);
	expect(t, "again", r, "6-7", "0");
	topology_close(t);

	t = open_syn(SYN2x8);
	CHECK_OK(topology_restore(t, "old", "0-3"));
	CHECK(topology_restore(t, "old", "4-5") == MOSAIC_EEXIST);
	CHECK(topology_restore(t, "other", "2-5") == MOSAIC_ENOSPC); /* core 1 is "old"'s */
	CHECK(topology_restore(t, "bad", "3-1") == MOSAIC_EINVAL);
	CHECK(topology_restore(t, "bad", "64") == MOSAIC_EINVAL);
	topology_summary_get(t, &s);
	CHECK(s.free_cores_per_socket[0] == 6 && s.free_cores_per_socket[1] == 8);
	expect(t, "eight", req(8, TOPO_PACK), "16-31", "1"); /* socket 0 has only 6 */
	CHECK_OK(topology_release(t, "old"));
	topology_summary_get(t, &s);
	CHECK(s.free_cores_per_socket[0] == 8);
	topology_close(t);
}

static void
test_lists(void)
{
	uint8_t bits[4];
	char out[64];
	CHECK_OK(topology_list_parse("0-3,8,10-11", bits, 16));
	topology_list_format(bits, 16, out, sizeof(out));
	CHECK(strcmp(out, "0-3,8,10-11") == 0);
	CHECK_OK(topology_list_parse("5,0-3,2-6", bits, 16));
	topology_list_format(bits, 16, out, sizeof(out));
	CHECK(strcmp(out, "0-6") == 0);
	CHECK_OK(topology_list_parse("", bits, 16));
	topology_list_format(bits, 16, out, sizeof(out));
	CHECK(strcmp(out, "") == 0);
	CHECK_OK(topology_list_parse("15", bits, 16));
	CHECK(bits[1] == 0x80 && bits[0] == 0);
	const char *bad[] = {"3-1", "a",  "16", "0-16", "1,",    ",1", "1-",
	                     "-1",  " 1", "1 ", "1,,2", "1-2-3", "+1", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rv = topology_list_parse(bad[i], bits, 16);
		CHECK(rv == MOSAIC_EINVAL);
		if (rv != MOSAIC_EINVAL)
			fprintf(stderr, "  accepted '%s'\n", bad[i]);
	}
	/* a short buffer gets whole items only */
	CHECK_OK(topology_list_parse("0-3,8,10-11", bits, 16));
	topology_list_format(bits, 16, out, 7);
	CHECK(strcmp(out, "0-3,8") == 0);
}

static void
test_os_cpus(void)
{
	cpu_set_t set;
	unsigned online[CPU_SETSIZE], n = 0;
	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0);
	for (unsigned i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			online[n++] = i;

	topology *t = open_syn(SYN2x8);
	char out[TOPO_LIST_MAX], want[32];
	CHECK_OK(topology_os_cpus(t, "5", out, sizeof(out)));
	snprintf(want, sizeof(want), "%u", online[5 % n]);
	CHECK(strcmp(out, want) == 0);
	CHECK_OK(topology_os_cpus(t, "0-31", out, sizeof(out)));
	char all[TOPO_LIST_MAX];
	uint8_t bits[CPU_SETSIZE / 8];
	memset(bits, 0, sizeof(bits));
	for (unsigned i = 0; i < n; i++)
		bits[online[i] / 8] |= (uint8_t)(1u << (online[i] % 8));
	topology_list_format(bits, CPU_SETSIZE, all, sizeof(all));
	CHECK(strcmp(out, all) == 0);
	CHECK(topology_os_cpus(t, "32", out, sizeof(out)) == MOSAIC_EINVAL);
	topology_close(t);

	/* this machine: numbering is the OS's, so the mapping is the identity */
	t = open_syn(NULL);
	topology_summary s;
	topology_summary_get(t, &s);
	CHECK(strcmp(s.source, "hwloc") == 0);
	CHECK(s.cores >= 1 && s.sockets >= 1 && s.numa_nodes >= 1);
	CHECK(topology_pus(t) == n);
	CHECK_OK(topology_os_cpus(t, all, out, sizeof(out)));
	CHECK(strcmp(out, all) == 0);
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long kib = 0;
	CHECK(f && fscanf(f, "MemTotal: %llu kB", &kib) == 1);
	if (f)
		fclose(f);
	CHECK(topology_memory_mib(t) == kib / 1024);
	topology_alloc a;
	topology_request r = req(s.cores, TOPO_PACK);
	CHECK_OK(topology_reserve(t, "all", &r, &a));
	CHECK(strcmp(a.cpus, all) == 0);
	topology_close(t);
}

int
main(void)
{
	test_counts();
	test_pack();
	test_spread_numa();
	test_constraints();
	test_full_release_restore();
	test_lists();
	test_os_cpus();
	return check_done();
}
