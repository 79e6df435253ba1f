#include "partition.h"

#define FNV64_OFFSET 14695981039346656037ULL
#define FNV64_PRIME 1099511628211ULL

uint64_t
partition_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = FNV64_OFFSET;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return h;
}

uint32_t
partition_of(const void *key, size_t len, uint32_t nparts)
{
	if (nparts <= 1)
		return 0;
	return (uint32_t)(partition_hash(key, len) % nparts);
}
