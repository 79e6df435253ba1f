/* partition.h - which reducer a key goes to.
 *
 * Every map task of a job, on whatever machine, must send a key to the same
 * reducer, so the hash is defined on the key's bytes alone: 64-bit FNV-1a
 * (offset basis 14695981039346656037, prime 1099511628211), independent of
 * endianness, word size and build. Pure; no allocation. */
#ifndef MOSAIC_MAPRED_PARTITION_H
#define MOSAIC_MAPRED_PARTITION_H

#include <stddef.h>
#include <stdint.h>

/* partition_hash: FNV-1a 64 of the len bytes at key. */
uint64_t partition_hash(const void *key, size_t len);

/* partition_of: the reducer index in [0, nparts) of a key (0 when nparts is
 * 0 or 1): partition_hash(key) mod nparts. */
uint32_t partition_of(const void *key, size_t len, uint32_t nparts);

#endif
