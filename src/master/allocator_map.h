/* allocator_map.h - the small open-addressing hash maps private to the
 * allocator (ids to agents, frameworks and roles; agent x framework pairs to
 * their holdings).
 *
 * Keys are strings or 64-bit integers. A string key is not copied: it must
 * stay valid while its entry is in the map (the allocator uses the id owned
 * by the value itself). Values are non-NULL pointers the map never frees.
 * Linear probing in a power-of-two table kept at most half full, with
 * backward-shift deletion: no tombstones, so look-ups stay short however
 * much the maps churn. Not thread-safe. */
#ifndef MOSAIC_ALLOCATOR_MAP_H
#define MOSAIC_ALLOCATOR_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct allocator_map_slot {
	uint64_t hash;    /* mixed hash of the key; picks the home slot */
	uint64_t ikey;    /* integer key (integer maps) */
	const char *skey; /* string key (string maps) */
	void *val;        /* NULL: the slot is empty */
} allocator_map_slot;

typedef struct allocator_map {
	allocator_map_slot *slots;
	size_t cap; /* 0 or a power of two */
	size_t count;
} allocator_map;

void allocator_map_init(allocator_map *m);
void allocator_map_fini(allocator_map *m); /* frees the table, not the values */

void *allocator_map_str_find(const allocator_map *m, const char *key);
/* The key must not be present already. */
void allocator_map_str_put(allocator_map *m, const char *key, void *val);
/* Returns the value that was removed, or NULL. */
void *allocator_map_str_del(allocator_map *m, const char *key);

void *allocator_map_u64_find(const allocator_map *m, uint64_t key);
void allocator_map_u64_put(allocator_map *m, uint64_t key, void *val);
void *allocator_map_u64_del(allocator_map *m, uint64_t key);

/* allocator_map_next walks the values: start with *pos = 0; returns NULL at
 * the end. The map must not change during the walk. */
void *allocator_map_next(const allocator_map *m, size_t *pos);

#endif
