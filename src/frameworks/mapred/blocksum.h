/* blocksum.h - the checksum of a stored block: XXH64 (seed 0), computed as
 * the bytes stream by, so `mapred put` sums a block while reading it, a
 * store task while writing it, and a map task while reading it, each
 * without a second pass. Bytes are read as little-endian words whatever
 * the host, so every machine computes the same sum. At memory speed
 * (several GB/s), so verifying every read costs little next to counting.
 * Pure; no allocation; not thread-safe per state. */
#ifndef MOSAIC_MAPRED_BLOCKSUM_H
#define MOSAIC_MAPRED_BLOCKSUM_H

#include <stddef.h>
#include <stdint.h>

typedef struct blocksum {
	uint64_t v[4];
	uint64_t total;
	unsigned char buf[32]; /* bytes short of a 32-byte stripe */
	size_t nbuf;
} blocksum;

void blocksum_init(blocksum *b);
/* blocksum_update: adds len bytes at data (read during the call only). */
void blocksum_update(blocksum *b, const void *data, size_t len);
/* blocksum_final: the sum of every byte added; b is left unchanged. */
uint64_t blocksum_final(const blocksum *b);
/* blocksum_of: the sum of len bytes at data in one call. */
uint64_t blocksum_of(const void *data, size_t len);
/* blocksum_hex / _parse: the 16 lower-case hex digits of a sum, as the
 * catalog and task arguments carry it. out needs 17 bytes. _parse returns
 * 0, or MOSAIC_EINVAL for anything but exactly 16 hex digits. */
void blocksum_hex(uint64_t sum, char *out);
int blocksum_parse(const char *hex, uint64_t *out);

#endif
