/* mrclient.h - what every `mapred` command shares: where the master and
 * the catalog are, the task program, the role, output style, and small
 * helpers (is an agent there, the lock that serialises writers of the
 * catalog, human-readable sizes).
 *
 * The catalog is local to the machine where `mapred` runs: --catalog PATH,
 * else $MAPRED_CATALOG, else ~/.mosaic/mapred/<master host_port>.db, so
 * each cluster has its own. */
#ifndef MOSAIC_MAPRED_MRCLIENT_H
#define MOSAIC_MAPRED_MRCLIENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

#define MRCLIENT_EXIT_OK 0
#define MRCLIENT_EXIT_FAIL 1  /* the work failed (a job, a put) */
#define MRCLIENT_EXIT_USAGE 2 /* bad arguments */

typedef struct mrclient {
	char master[256];       /* "" : the library's default ($MOSAIC_MASTER, tcp://127.0.0.1:5050) */
	char catalog[PATH_MAX]; /* the catalog's path */
	char task_program[PATH_MAX];
	char role[64];
	char log_level[16];
} mrclient;

/* mrclient_init fills the defaults from the environment and the location
 * of this program (mapred-task beside it). */
void mrclient_init(mrclient *c, const char *argv0);
/* mrclient_catalog_path: the catalog's path from the master's address, when
 * neither --catalog nor $MAPRED_CATALOG says. */
void mrclient_default_catalog(mrclient *c);

/* mrclient_open: the catalog, or a message on stderr and NULL. */
catalog *mrclient_open(const mrclient *c);

/* mrclient_lock takes the catalog's writer lock (<catalog>.lock, flock),
 * waiting at most `wait` seconds; returns its fd (mrclient_unlock), or -1
 * with a message on stderr. One `put` or `rm` at a time drives the block
 * store. */
int mrclient_lock(const mrclient *c, double wait);
void mrclient_unlock(int fd);

/* mrclient_agent_up: does the agent's file server answer /health within
 * timeout seconds? Blocking. */
bool mrclient_agent_up(const char *agent_http, double timeout);

/* mrclient_human: "1.5 GiB", "312 KiB", "17 B" into buf; returns buf. */
char *mrclient_human(uint64_t bytes, char *buf, size_t cap);

/* mrclient_replica_url: "<agent_http>/files/<fw>/<task>/blk" (heap). */
char *mrclient_replica_url(const catalog_replica *r);

#endif
