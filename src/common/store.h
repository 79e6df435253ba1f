/* store.h - durable key/value tables on SQLite, for state that must survive
 * a restart (the master's registry, the agent's checkpoint). The only module
 * besides the frameworks' own job stores that knows SQLite.
 *
 * Values are opaque bytes (usually packed protobuf). Every put/delete is
 * durable when it returns (WAL, synchronous=FULL) unless inside
 * store_begin/store_commit, which groups many writes into one transaction.
 * Not thread-safe: one loop owns a store. */
#ifndef MOSAIC_STORE_H
#define MOSAIC_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct store store;

/* store_open opens or creates path. On failure MOSAIC_EIO with the reason in
 * err. The caller owns *out (store_close). */
int store_open(store **out, const char *path, char *err, size_t errlen);
void store_close(store *s);

/* store_survive_process_crash_only trades durability for speed: commits
 * survive the process being killed (SQLite's WAL with synchronous=NORMAL)
 * but the last ones may be lost if the machine itself goes down. For state
 * that dies with the machine anyway (an agent's checkpoint: its tasks die
 * too), not for what users were promised (jobs, the registry). */
int store_survive_process_crash_only(store *s);

/* Tables are created on first use; names are [a-z_]+. */
int store_put(store *s, const char *table, const char *key, const void *val, size_t len);
/* store_get: *val is a heap copy the caller frees; MOSAIC_ENOENT if absent. */
int store_get(store *s, const char *table, const char *key, void **val, size_t *len);
int store_del(store *s, const char *table, const char *key);

/* store_scan calls fn for every row of table in key order; fn returning
 * non-zero stops the scan. */
typedef int (*store_scan_fn)(void *arg, const char *key, const void *val, size_t len);
int store_scan(store *s, const char *table, store_scan_fn fn, void *arg);

int store_begin(store *s);
int store_commit(store *s);

#endif
