#include "drf_sorter.h"

#include <string.h>

void
drf_sorter_init(drf_sorter *s, uint64_t seed)
{
	s->root = NULL;
	s->count = 0;
	s->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static uint32_t
next_prio(drf_sorter *s)
{
	/* xorshift64*: priorities only shape the tree, any spread will do. */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (uint32_t)((s->rng * 0x2545f4914f6cdd1dULL) >> 32);
}

static bool
key_less(double share, const char *name, const drf_node *b)
{
	if (share != b->share)
		return share < b->share;
	return strcmp(name, b->name) < 0;
}

static void
replace_child(drf_sorter *s, drf_node *parent, drf_node *old, drf_node *new)
{
	if (!parent)
		s->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

/* Rotates n above its parent, keeping the in-order sequence. */
static void
rotate_up(drf_sorter *s, drf_node *n)
{
	drf_node *p = n->parent, *g = p->parent;
	if (p->left == n) {
		p->left = n->right;
		if (n->right)
			n->right->parent = p;
		n->right = p;
	} else {
		p->right = n->left;
		if (n->left)
			n->left->parent = p;
		n->left = p;
	}
	replace_child(s, g, p, n);
	p->parent = n;
}

void
drf_sorter_insert(drf_sorter *s, drf_node *n, double share)
{
	n->share = share;
	n->left = n->right = n->parent = NULL;
	n->prio = next_prio(s);
	n->linked = true;
	drf_node **link = &s->root, *parent = NULL;
	while (*link) {
		parent = *link;
		link = key_less(share, n->name, parent) ? &parent->left : &parent->right;
	}
	*link = n;
	n->parent = parent;
	while (n->parent && n->prio < n->parent->prio)
		rotate_up(s, n);
	s->count++;
}

void
drf_sorter_remove(drf_sorter *s, drf_node *n)
{
	/* Rotate n down to a leaf, always lifting the child of lower priority
	 * so the heap order on priorities holds, then cut it off. */
	while (n->left || n->right) {
		drf_node *c;
		if (!n->left)
			c = n->right;
		else if (!n->right)
			c = n->left;
		else
			c = n->left->prio < n->right->prio ? n->left : n->right;
		rotate_up(s, c);
	}
	replace_child(s, n->parent, n, NULL);
	n->parent = NULL;
	n->linked = false;
	s->count--;
}

static drf_node *
prev_node(const drf_node *n)
{
	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (drf_node *)n;
	}
	while (n->parent && n->parent->left == n)
		n = n->parent;
	return n->parent;
}

drf_node *
drf_sorter_next(const drf_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (drf_node *)n;
	}
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent;
}

drf_node *
drf_sorter_first(const drf_sorter *s)
{
	drf_node *n = s->root;
	if (!n)
		return NULL;
	while (n->left)
		n = n->left;
	return n;
}

void
drf_sorter_update(drf_sorter *s, drf_node *n, double share)
{
	if (share == n->share)
		return;
	/* Small changes often leave the node between the same neighbours:
	 * then only the key changes and the tree stays as it is. */
	drf_node *p = prev_node(n), *q = drf_sorter_next(n);
	bool after_prev = !p || key_less(p->share, p->name, &(drf_node){.share = share, .name = n->name});
	bool before_next = !q || key_less(share, n->name, q);
	if (after_prev && before_next) {
		n->share = share;
		return;
	}
	drf_sorter_remove(s, n);
	drf_sorter_insert(s, n, share);
}
