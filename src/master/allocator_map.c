#include "allocator_map.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* splitmix64's finaliser: integer keys are serial numbers, whose low bits
 * alone would cluster badly in a power-of-two table. */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* FNV-1a, then mixed: ids often share long prefixes ("fw-000123"). */
static uint64_t
hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return mix64(h);
}

void
allocator_map_init(allocator_map *m)
{
	m->slots = NULL;
	m->cap = 0;
	m->count = 0;
}

void
allocator_map_fini(allocator_map *m)
{
	free(m->slots);
	allocator_map_init(m);
}

static bool
slot_matches(const allocator_map_slot *s, uint64_t hash, const char *skey, uint64_t ikey)
{
	if (!s->val || s->hash != hash)
		return false;
	return skey ? strcmp(s->skey, skey) == 0 : s->ikey == ikey;
}

/* Index of the key's slot, or of the empty slot where it would go. */
static size_t
probe(const allocator_map *m, uint64_t hash, const char *skey, uint64_t ikey)
{
	size_t mask = m->cap - 1, i = (size_t)hash & mask;
	while (m->slots[i].val && !slot_matches(&m->slots[i], hash, skey, ikey))
		i = (i + 1) & mask;
	return i;
}

static void
grow(allocator_map *m)
{
	allocator_map_slot *old = m->slots;
	size_t oldcap = m->cap;
	m->cap = oldcap ? oldcap * 2 : 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].val)
			continue;
		size_t j = probe(m, old[i].hash, old[i].skey, old[i].ikey);
		m->slots[j] = old[i];
	}
	free(old);
}

static void
put(allocator_map *m, uint64_t hash, const char *skey, uint64_t ikey, void *val)
{
	if ((m->count + 1) * 2 > m->cap)
		grow(m);
	size_t i = probe(m, hash, skey, ikey);
	if (!m->slots[i].val)
		m->count++;
	m->slots[i] = (allocator_map_slot){hash, ikey, skey, val};
}

static void *
find(const allocator_map *m, uint64_t hash, const char *skey, uint64_t ikey)
{
	if (!m->count)
		return NULL;
	return m->slots[probe(m, hash, skey, ikey)].val;
}

/* Backward-shift deletion: pull later entries of the probe run into the hole
 * when the hole lies between their home slot and where they sit. */
static void *
del(allocator_map *m, uint64_t hash, const char *skey, uint64_t ikey)
{
	if (!m->count)
		return NULL;
	size_t mask = m->cap - 1, hole = probe(m, hash, skey, ikey);
	void *val = m->slots[hole].val;
	if (!val)
		return NULL;
	for (size_t j = (hole + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
		size_t home = (size_t)m->slots[j].hash & mask;
		/* Cyclic distance: can the entry at j move back to hole? */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			m->slots[hole] = m->slots[j];
			hole = j;
		}
	}
	m->slots[hole].val = NULL;
	m->count--;
	return val;
}

void *
allocator_map_str_find(const allocator_map *m, const char *key)
{
	return find(m, hash_str(key), key, 0);
}

void
allocator_map_str_put(allocator_map *m, const char *key, void *val)
{
	put(m, hash_str(key), key, 0, val);
}

void *
allocator_map_str_del(allocator_map *m, const char *key)
{
	return del(m, hash_str(key), key, 0);
}

void *
allocator_map_u64_find(const allocator_map *m, uint64_t key)
{
	return find(m, mix64(key), NULL, key);
}

void
allocator_map_u64_put(allocator_map *m, uint64_t key, void *val)
{
	put(m, mix64(key), NULL, key, val);
}

void *
allocator_map_u64_del(allocator_map *m, uint64_t key)
{
	return del(m, mix64(key), NULL, key);
}

void *
allocator_map_next(const allocator_map *m, size_t *pos)
{
	while (*pos < m->cap) {
		void *v = m->slots[(*pos)++].val;
		if (v)
			return v;
	}
	return NULL;
}
