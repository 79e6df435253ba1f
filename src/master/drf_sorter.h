/* drf_sorter.h - an ordered set of clients (roles, or the frameworks of one
 * role) keyed by (share, name), lowest first: the order in which hierarchical
 * DRF hands out resources.
 *
 * Intrusive: the caller embeds a drf_node in each client and owns it; the
 * node's name must stay valid while the node is in a sorter. A treap with
 * parent pointers, so insert, remove and re-key cost O(log n) expected and
 * walking the order costs O(1) amortised per step - a client whose share
 * changes is moved, never the whole set re-sorted. Names break ties so the
 * order is deterministic. Not thread-safe. */
#ifndef MOSAIC_DRF_SORTER_H
#define MOSAIC_DRF_SORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct drf_node {
	struct drf_node *left, *right, *parent;
	const char *name;
	double share;
	uint32_t prio;
	bool linked; /* in a sorter */
} drf_node;

typedef struct drf_sorter {
	drf_node *root;
	size_t count;
	uint64_t rng; /* treap priorities: seeded, so runs are reproducible */
} drf_sorter;

void drf_sorter_init(drf_sorter *s, uint64_t seed);
/* drf_sorter_insert links n (not linked, n->name set) with the given share. */
void drf_sorter_insert(drf_sorter *s, drf_node *n, double share);
void drf_sorter_remove(drf_sorter *s, drf_node *n);
/* drf_sorter_update gives a linked n a new share and moves it if needed. */
void drf_sorter_update(drf_sorter *s, drf_node *n, double share);
/* The lowest (share, name), and the next in order; NULL at the end. */
drf_node *drf_sorter_first(const drf_sorter *s);
drf_node *drf_sorter_next(const drf_node *n);

#endif
