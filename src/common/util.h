/* util.h - small helpers for daemons and CLIs: durations, directories,
 * files, hashing. */
#ifndef MOSAIC_UTIL_H
#define MOSAIC_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* "5s", "250ms", "2m", "1h", "2d", "1w", "1.5" (seconds) -> seconds. MOSAIC_EINVAL on
 * anything else or a negative value. */
int util_parse_duration(const char *s, double *out);
/* mkdir -p with mode 0755. */
int util_mkdir_p(const char *path);
/* util_read_file: *out is a NUL-terminated heap copy (caller frees);
 * MOSAIC_ETOOBIG over max bytes. */
int util_read_file(const char *path, size_t max, char **out, size_t *len);
/* Write via a temporary file and rename, fsync'ed. */
int util_write_file_atomic(const char *path, const void *data, size_t len);
/* rm -rf of a directory tree (does not follow symlinks). */
int util_remove_tree(const char *path);

/* 32-bit FNV-1a of n bytes at p, continuing from h (UTIL_FNV1A_SEED to
 * start): the hash of every table keyed by strings or bytes here. */
#define UTIL_FNV1A_SEED 2166136261u
uint32_t util_fnv1a(uint32_t h, const void *p, size_t n);
/* FNV-1a of a string, and of "a/b" (a framework's task, say). */
uint32_t util_hash_str(const char *s);
uint32_t util_hash_pair(const char *a, const char *b);

#endif
