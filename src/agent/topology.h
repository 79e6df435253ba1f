/* topology.h - the agent's view of its hardware (hwloc) and which cores
 * its tasks hold. The only module that knows hwloc.
 *
 * A topology is either this machine's (hwloc discovery; memory from
 * /proc/meminfo since hwloc's total is wrong on some VMs) or synthetic
 * (hwloc_topology_set_synthetic, e.g. "pack:2 numa:1 core:8 pu:2"), so tests
 * on a small machine can place on a large layout. With a synthetic topology,
 * chosen PUs are still reported in synthetic numbering; the binding applied
 * to a process maps synthetic PU i to online CPU (i mod online CPUs) — see
 * topology_os_cpus.
 *
 * Not thread-safe: the agent's event loop owns it. */
#ifndef MOSAIC_TOPOLOGY_H
#define MOSAIC_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOPO_MAX_NODES 64    /* sockets or NUMA nodes reported */
#define TOPO_LIST_MAX 512    /* a PU or node list as text, e.g. "0-3,8,10" */

typedef struct topology topology;

typedef struct topology_summary {
	unsigned sockets;
	unsigned numa_nodes;
	unsigned cores;
	unsigned pus_per_core;
	unsigned free_cores_per_numa[TOPO_MAX_NODES];   /* numa_nodes entries */
	unsigned free_cores_per_socket[TOPO_MAX_NODES]; /* sockets entries */
	char source[128];                               /* "hwloc" or "synthetic:<desc>" */
} topology_summary;

typedef enum topology_kind {
	TOPO_NONE = 0,   /* no binding */
	TOPO_PACK = 1,   /* fill one socket (NUMA node) before the next */
	TOPO_SPREAD = 2, /* round-robin over sockets */
	TOPO_NUMA = 3,   /* all cores in one NUMA node */
} topology_kind;

typedef struct topology_request {
	unsigned cores;            /* whole cores wanted (>= 1) */
	topology_kind kind;
	unsigned cores_per_socket; /* 0: no constraint */
	unsigned sockets;          /* 0: no constraint */
	bool mem_bind;             /* also bind memory to the chosen NUMA nodes */
} topology_request;

typedef struct topology_alloc {
	char cpus[TOPO_LIST_MAX]; /* PUs of the chosen cores, topology numbering */
	char numa[TOPO_LIST_MAX]; /* NUMA nodes they sit in */
	unsigned ncores;
} topology_alloc;

/* topology_open: synthetic NULL or "" discovers this machine. On failure
 * returns MOSAIC_EINVAL (bad synthetic description) or MOSAIC_EIO and, when
 * err is non-NULL, says why. The caller owns *out (topology_close). */
int topology_open(topology **out, const char *synthetic, char *err, size_t errlen);
void topology_close(topology *t);

void topology_summary_get(const topology *t, topology_summary *out);
/* Memory in MiB: /proc/meminfo MemTotal for this machine, hwloc's for a
 * synthetic topology with memory, else /proc/meminfo. */
uint64_t topology_memory_mib(const topology *t);
/* Total PUs (logical CPUs). */
unsigned topology_pus(const topology *t);

/* topology_reserve chooses whole cores for a task (identified by key, a
 * string the caller keeps unique, e.g. "fw/task") and marks them held.
 * MOSAIC_ENOSPC when no choice fits the request; MOSAIC_EEXIST if key holds
 * cores already. */
int topology_reserve(topology *t, const char *key, const topology_request *req, topology_alloc *out);
/* topology_restore marks the PUs of cpus (a list as topology_alloc.cpus)
 * held by key again, after an agent restart. */
int topology_restore(topology *t, const char *key, const char *cpus);
/* topology_release frees what key holds. MOSAIC_ENOENT if nothing. */
int topology_release(topology *t, const char *key);

/* topology_os_cpus turns a PU list in topology numbering into the list of
 * this machine's online CPUs to bind to (identity for a real topology). */
int topology_os_cpus(const topology *t, const char *cpus, char *out, size_t outlen);

/* List helpers ("0-3,8"): parse into a bitmap of nbits (MOSAIC_EINVAL on bad
 * text or out of range), format from one. The bitmap is packed: bit i is
 * bits[i / 8] >> (i % 8) & 1, (nbits + 7) / 8 bytes, cleared by parse; ""
 * is the empty set. format writes whole items only when out is short. */
int topology_list_parse(const char *list, uint8_t *bits, unsigned nbits);
void topology_list_format(const uint8_t *bits, unsigned nbits, char *out, size_t outlen);

#endif
