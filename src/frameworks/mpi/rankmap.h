/* rankmap.h - where the ranks of an MPI job go: N ranks onto the agents a
 * gang holds offers on, as mpirun's mapping options would place them.
 *
 * Options (mmpirun passes them through from its command line):
 *   -n N               ranks in the job
 *   --ppn K            exactly K ranks on every node used (N must be a
 *                      multiple of K); 0: as many as fit
 *   --map-by slot      fill each node in turn (ranks 0..k-1 on the first)
 *   --map-by node      round-robin the ranks over the nodes
 *   --map-by socket    fill each node in turn, round-robin over its sockets
 *   --map-by core      fill each node in turn, socket 0's cores first
 *   --cpus-per-rank C  cpus of each rank (whole cores when mapping by
 *                      socket or core, or binding)
 *   --mem-per-rank MB  memory of each rank, MiB (0: none asked)
 *   --bind-to core|socket|none
 * and, from mmpirun's launcher, the ports each rank (ports_per_rank) and
 * each node's task (ports_per_node) need from the offers' port ranges.
 * A node's room (its "slots") is what its offers can hold: cpus / C,
 * memory / MB, (ports - ports_per_node) / ports_per_rank and - when
 * mapping by socket or core, or binding - the free cores of each socket /
 * ceil(C), a rank never straddling two sockets.
 *
 * Pure: no I/O, no globals; thread-compatible. A rankmap owns all its
 * memory (strings are copied from the input); rankmap_fini frees it. */
#ifndef MOSAIC_MPI_RANKMAP_H
#define MOSAIC_MPI_RANKMAP_H

#include <stddef.h>
#include <stdint.h>

#include "resources.h"

#define RANKMAP_MAX_SOCKETS 16

typedef enum rankmap_by {
	RANKMAP_BY_SLOT = 0,
	RANKMAP_BY_NODE,
	RANKMAP_BY_SOCKET,
	RANKMAP_BY_CORE,
} rankmap_by;

typedef enum rankmap_bind {
	RANKMAP_BIND_NONE = 0,
	RANKMAP_BIND_CORE,
	RANKMAP_BIND_SOCKET,
} rankmap_bind;

typedef struct rankmap_opts {
	unsigned np;          /* -n, at least 1 */
	unsigned ppn;         /* --ppn; 0: not given */
	rankmap_by map_by;    /* default slot */
	rankmap_bind bind_to; /* default none */
	double cpus_per_rank; /* default 1 */
	double mem_per_rank;  /* MiB; default 0 */
	unsigned ports_per_rank; /* ports each rank needs; default 0 */
	unsigned ports_per_node; /* ports each node's task needs besides; default 0 */
} rankmap_opts;

/* One agent the gang holds offers on (input). */
typedef struct rankmap_node {
	const char *agent_id;
	const char *hostname;   /* may be NULL or "" */
	mosaic_resources avail; /* what its held offers add up to */
	unsigned nsockets;      /* 0: topology unknown (cpus count as cores, one socket) */
	uint32_t free_cores[RANKMAP_MAX_SOCKETS];
} rankmap_node;

/* The ranks on one node (output). */
typedef struct rankmap_host {
	size_t node; /* index into the nodes given to rankmap_place */
	char *agent_id;
	char *host; /* its name in the host list: the hostname, or the
	             * agent id when hostnames are missing or shared */
	unsigned nranks;
	unsigned *ranks;                            /* nranks global ranks; local rank i is ranks[i] */
	int *socket;                                /* socket of local rank i, -1 when not placed on one */
	uint32_t socket_ranks[RANKMAP_MAX_SOCKETS]; /* ranks per socket */
	unsigned cores;                             /* whole cores to bind (binding), else 0 */
	mosaic_resources res;                       /* the task there: cpus nranks*C, mem nranks*MB, and
	                                             * nranks*ports_per_rank + ports_per_node ports: the
	                                             * lowest of the node's, the node's own ports first,
	                                             * then local rank i's ports_per_rank in turn */
} rankmap_host;

typedef struct rankmap {
	rankmap_host *places; /* nodes with ranks, in the input order */
	size_t nplaces;
	unsigned np;
	size_t *rank_place; /* np entries: rank -> index into places */
	char *hostlist;     /* "host:slots,host:slots" for mpirun --host */
} rankmap;

/* Defaults: np 1, ppn 0, map by slot, bind none, 1 cpu, 0 MiB, no ports. */
void rankmap_opts_init(rankmap_opts *o);

/* rankmap_opts_check: MOSAIC_EINVAL, with the reason in err, for requests
 * no cluster can satisfy (as mpirun refuses them): -n 0, --ppn not
 * dividing -n, fractional cpus per rank where whole cores are needed. */
int rankmap_opts_check(const rankmap_opts *o, char *err, size_t errlen);

/* Parsers for the option values: "slot", "node", "socket", "core" and
 * "core", "socket", "none"; MOSAIC_EINVAL for anything else (OpenMPI's
 * "ppr:K:node" is --ppn K here). */
int rankmap_parse_map_by(const char *s, rankmap_by *out);
int rankmap_parse_bind_to(const char *s, rankmap_bind *out);
const char *rankmap_by_name(rankmap_by by);
const char *rankmap_bind_name(rankmap_bind bind);

/* rankmap_node_slots: how many ranks n can hold under o (ignoring ppn). */
unsigned rankmap_node_slots(const rankmap_opts *o, const rankmap_node *n);

/* rankmap_demand: the gang as the allocator should see it - tasks of
 * per_task each. With --ppn K a task is a node's K ranks, else one rank.
 * Ports are left out: the allocator reserves scalars, and an agent's
 * ports are rarely what a gang waits for. */
void rankmap_demand(const rankmap_opts *o, mosaic_resources *per_task, unsigned *tasks);

/* rankmap_place maps o->np ranks onto nodes. On MOSAIC_OK *out is filled
 * and the caller owns it (rankmap_fini). MOSAIC_EINVAL: o is impossible
 * (rankmap_opts_check); MOSAIC_ENOSPC: these nodes have not room enough
 * (err says how much is missing). On failure *out is left empty. */
int rankmap_place(
    rankmap *out, const rankmap_opts *o, const rankmap_node *nodes, size_t nnodes, char *err, size_t errlen);
void rankmap_fini(rankmap *m);

/* rankmap_place_port: the k-th port of place p's ports (k counted from 0
 * over its ranges in order); 0 when k is past the end. */
uint32_t rankmap_place_port(const rankmap_host *p, uint64_t k);

#endif
