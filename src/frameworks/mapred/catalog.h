/* catalog.h - mapred's catalog of stored files: each file's blocks (offset,
 * length, checksum) and where each block's replicas live. The one module
 * of mapred that knows SQLite.
 *
 * A replica is a file `blk` in the sandbox of a finished store task of the
 * block-store framework (mrstore.h), so it is named by (framework id, task
 * id) and read from its agent's file server at
 * <agent_http>/files/<framework_id>/<task_id>/blk, or straight from `path`
 * by a task running on that agent. The catalog records what was stored;
 * whether an agent is still there is learnt by asking it (mrclient.h).
 *
 * Files appear whole: a file's rows are written in one transaction. Many
 * readers (jobs) and one writer (`mapred put`/`rm`, serialised by a lock
 * file) may use the catalog at once (WAL, busy timeout). Not thread-safe:
 * one catalog handle per thread. */
#ifndef MOSAIC_MAPRED_CATALOG_H
#define MOSAIC_MAPRED_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct catalog catalog;

typedef struct catalog_replica {
	char *agent_id;
	char *hostname;
	char *agent_http; /* http://host:port of the agent's file server */
	char *rack;       /* "" when the agent has no rack attribute */
	char *framework_id;
	char *task_id;
	char *path; /* the block's path on the agent */
} catalog_replica;

typedef struct catalog_block {
	uint64_t offset, length; /* within the original file */
	uint64_t sum;            /* blocksum.h */
	size_t nreplicas;
	catalog_replica *replicas;
} catalog_block;

typedef struct catalog_file {
	char *name;
	char *source; /* the path it was put from, for people */
	uint64_t size;
	uint64_t block_size;
	uint32_t replication; /* replicas asked for */
	double created;       /* seconds since the epoch */
	size_t nblocks;
	catalog_block *blocks;
} catalog_file;

/* catalog_open opens or creates the catalog at path (and its directory).
 * MOSAIC_EIO with the reason in err. The caller owns *out (catalog_close). */
int catalog_open(catalog **out, const char *path, char *err, size_t errlen);
void catalog_close(catalog *c);
/* The last SQLite error in words. */
const char *catalog_errmsg(catalog *c);

/* catalog_meta_get: *val is a heap copy (caller frees); MOSAIC_ENOENT. */
int catalog_meta_get(catalog *c, const char *key, char **val);
int catalog_meta_set(catalog *c, const char *key, const char *val);

/* catalog_name_valid: 1-255 printable bytes, no '/', no space, not
 * starting with '-' or '.'. */
bool catalog_name_valid(const char *name);

/* catalog_file_put records f with all its blocks and replicas, in one
 * transaction. MOSAIC_EEXIST if the name is taken, MOSAIC_EINVAL for a bad
 * name, MOSAIC_EIO. f is read only. */
int catalog_file_put(catalog *c, const catalog_file *f);
/* catalog_file_get fills *out (catalog_file_fini frees it); MOSAIC_ENOENT. */
int catalog_file_get(catalog *c, const char *name, catalog_file *out);
/* catalog_file_names: every name in order; *names is a heap array of heap
 * strings (catalog_names_free). */
int catalog_file_names(catalog *c, char ***names, size_t *n);
void catalog_names_free(char **names, size_t n);
/* catalog_file_del forgets a file; MOSAIC_ENOENT if unknown. */
int catalog_file_del(catalog *c, const char *name);
/* catalog_agent_bytes: bytes of replicas recorded on an agent (0 if none). */
int catalog_agent_bytes(catalog *c, const char *agent_id, uint64_t *bytes);

void catalog_file_fini(catalog_file *f);

#endif
