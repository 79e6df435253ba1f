#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"
#include "util.h"

void
strmap_init(strmap *m)
{
	m->nbuckets = 16;
	m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
	m->count = 0;
}

void
strmap_fini(strmap *m)
{
	if (!m->buckets)
		return;
	for (size_t b = 0; b < m->nbuckets; b++) {
		strmap_node *n = m->buckets[b];
		while (n) {
			strmap_node *next = n->next;
			free(n);
			n = next;
		}
	}
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

static strmap_node **
strmap_slot(const strmap *m, const char *key, uint32_t h)
{
	strmap_node **pp = &m->buckets[h & (m->nbuckets - 1)];
	while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0))
		pp = &(*pp)->next;
	return pp;
}

void *
strmap_find(const strmap *m, const char *key)
{
	if (!m->count)
		return NULL;
	strmap_node **pp = strmap_slot(m, key, util_hash_str(key));
	return *pp ? (*pp)->val : NULL;
}

/* Doubling keeps the chains short; nbuckets stays a power of two so the
 * bucket is a mask of the hash. */
static void
strmap_grow(strmap *m)
{
	size_t nb = m->nbuckets * 2;
	strmap_node **buckets = xcalloc(nb, sizeof(*buckets));
	for (size_t b = 0; b < m->nbuckets; b++) {
		strmap_node *n = m->buckets[b];
		while (n) {
			strmap_node *next = n->next;
			n->next = buckets[n->hash & (nb - 1)];
			buckets[n->hash & (nb - 1)] = n;
			n = next;
		}
	}
	free(m->buckets);
	m->buckets = buckets;
	m->nbuckets = nb;
}

int
strmap_put(strmap *m, const char *key, void *val)
{
	uint32_t h = util_hash_str(key);
	strmap_node **pp = strmap_slot(m, key, h);
	if (*pp)
		return MOSAIC_EEXIST;
	strmap_node *n = xmalloc(sizeof(*n));
	n->key = key;
	n->val = val;
	n->hash = h;
	n->next = NULL;
	*pp = n;
	if (++m->count > m->nbuckets)
		strmap_grow(m);
	return MOSAIC_OK;
}

void *
strmap_del(strmap *m, const char *key)
{
	if (!m->count)
		return NULL;
	strmap_node **pp = strmap_slot(m, key, util_hash_str(key));
	strmap_node *n = *pp;
	if (!n)
		return NULL;
	void *val = n->val;
	*pp = n->next;
	free(n);
	m->count--;
	return val;
}

size_t
strmap_count(const strmap *m)
{
	return m->count;
}

void
strmap_iter_init(strmap_iter *it, const strmap *m)
{
	it->m = m;
	it->bucket = 0;
	it->next = m->nbuckets ? m->buckets[0] : NULL;
}

void *
strmap_iter_next(strmap_iter *it, const char **key)
{
	while (!it->next) {
		if (++it->bucket >= it->m->nbuckets)
			return NULL;
		it->next = it->m->buckets[it->bucket];
	}
	strmap_node *n = it->next;
	/* Step past n now, so the caller may delete it. */
	it->next = n->next;
	if (key)
		*key = n->key;
	return n->val;
}
