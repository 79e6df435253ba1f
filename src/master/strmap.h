/* strmap.h - a string-keyed hash map of pointers, for the master's tables
 * (agents, frameworks, offers, tasks by id; peers by address).
 *
 * Keys are borrowed, not copied: a key must stay valid and unchanged while
 * its entry is in the map (usually it points into the value itself).
 * Values are the caller's. Not thread-safe: the master's loop owns its maps. */
#ifndef MOSAIC_STRMAP_H
#define MOSAIC_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct strmap_node {
	const char *key;
	void *val;
	uint32_t hash;
	struct strmap_node *next;
} strmap_node;

typedef struct strmap {
	strmap_node **buckets;
	size_t nbuckets;
	size_t count;
} strmap;

void strmap_init(strmap *m);
/* strmap_fini frees the map's nodes, never the keys or values. */
void strmap_fini(strmap *m);

void *strmap_find(const strmap *m, const char *key);
/* strmap_put: MOSAIC_EEXIST (and no change) if key is present. */
int strmap_put(strmap *m, const char *key, void *val);
/* strmap_del removes key and returns its value (NULL if absent). */
void *strmap_del(strmap *m, const char *key);
size_t strmap_count(const strmap *m);

/* Iteration in no particular order. Removing the entry just returned is
 * allowed; any other change to the map ends the iteration's validity. */
typedef struct strmap_iter {
	const strmap *m;
	size_t bucket;
	strmap_node *next;
} strmap_iter;

void strmap_iter_init(strmap_iter *it, const strmap *m);
/* strmap_iter_next returns the next value (and its key in *key when key is
 * non-NULL), or NULL at the end. */
void *strmap_iter_next(strmap_iter *it, const char **key);

#endif
