/* mrput_impl.h - the state of one `mapred put`, shared by mrput.c (files,
 * blocks, the byte server) and mrput_run.c (the block-store session). */
#ifndef MOSAIC_MAPRED_MRPUT_IMPL_H
#define MOSAIC_MAPRED_MRPUT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "httpd.h"
#include "mrclient.h"
#include "mrstore.h"

#define PUT_MAX_REPLICAS 8
#define PUT_ATTEMPTS 4       /* launches of one replica's store task */
#define PUT_AGENT_INFLIGHT 4 /* store tasks at once on one agent */
#define PUT_SETTLE 0.3       /* seconds to gather offers before placing */
#define PUT_NO_OFFERS 30.0   /* give up when no agent offers anything */

typedef struct put_file {
	const char *path;
	char *name;
	uint64_t size;
	size_t nblocks;
	size_t first; /* its first block in put.blocks */
} put_file;

typedef struct put_block {
	uint32_t file, idx;
	uint64_t offset, length, sum;
	char *url; /* where store tasks fetch it */
} put_block;

typedef struct put_agent {
	char id[MOSAIC_SCHED_ID_MAX];
	char hostname[256];
	char http[256];
	char rack[128];
	uint64_t bytes; /* held already (catalog) plus placed by this put */
	unsigned inflight;
	bool lost;
} put_agent;

typedef enum put_rstate { R_PLACED = 0, R_RUNNING, R_DONE, R_DROPPED } put_rstate;

typedef struct put_replica {
	size_t block;
	int agent; /* index in put.agents, -1 while unplaced */
	put_rstate state;
	unsigned attempts;
	char task_id[MOSAIC_SCHED_ID_MAX];
	char *path; /* the block's path on its agent, once stored */
	char last_error[256];
} put_replica;

typedef struct put_offer {
	char id[MOSAIC_SCHED_ID_MAX];
	int agent;
	double cpus, mem;
} put_offer;

typedef struct put {
	mrclient *c;
	catalog *cat;
	mrstore *st;
	httpd *hd;
	uint64_t block_size;
	uint32_t replicas; /* asked for, then what the cluster allows */
	bool json, quiet;
	char put_id[12];
	put_file *files;
	size_t nfiles;
	put_block *blocks;
	size_t nblocks;
	put_replica *reps; /* replicas of block b at [b * replicas, (b+1) * replicas) */
	size_t nreps;
	put_agent *agents;
	size_t nagents;
	put_offer *held; /* offers kept while placing */
	size_t nheld, heldcap;
	bool placed, finished;
	uint64_t settle_timer;
	double t0, elapsed;
	size_t done;
	uint64_t done_bytes, total_bytes;
	double last_progress;
	int result;
	char failure[512];
} put;

/* put_run drives the block store until every replica is stored (then the
 * files enter the catalog) or the put fails; returns the exit status. */
int put_run(put *p);

#endif
