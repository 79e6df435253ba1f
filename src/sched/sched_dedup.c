#include "sched_dedup.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "util.h"

void
sched_dedup_init(sched_dedup *d, size_t capacity, double ttl)
{
	memset(d, 0, sizeof(*d));
	d->cap = capacity ? capacity : 1;
	d->ttl = ttl;
	d->ring = xcalloc(d->cap, sizeof(*d->ring));
	/* Twice the capacity keeps chains short. */
	d->nbuckets = 16;
	while (d->nbuckets < 2 * d->cap)
		d->nbuckets *= 2;
	d->buckets = xmalloc(d->nbuckets * sizeof(*d->buckets));
	for (size_t i = 0; i < d->nbuckets; i++)
		d->buckets[i] = -1;
}

void
sched_dedup_fini(sched_dedup *d)
{
	free(d->ring);
	free(d->buckets);
	memset(d, 0, sizeof(*d));
}

static size_t
clamp_len(size_t len)
{
	return len > SCHED_DEDUP_UUID_MAX ? SCHED_DEDUP_UUID_MAX : len;
}

static int32_t *
bucket_of(sched_dedup *d, const uint8_t *uuid, size_t len)
{
	return &d->buckets[util_fnv1a(UTIL_FNV1A_SEED, uuid, len) & (d->nbuckets - 1)];
}

static sched_dedup_entry *
find(sched_dedup *d, const uint8_t *uuid, size_t len)
{
	for (int32_t i = *bucket_of(d, uuid, len); i >= 0; i = d->ring[i].next) {
		sched_dedup_entry *e = &d->ring[i];
		if (e->len == len && memcmp(e->uuid, uuid, len) == 0)
			return e;
	}
	return NULL;
}

/* Drop the oldest entry: unlink it from its bucket's chain. */
static void
evict_head(sched_dedup *d)
{
	int32_t idx = (int32_t)d->head;
	sched_dedup_entry *e = &d->ring[idx];
	for (int32_t *pp = bucket_of(d, e->uuid, e->len); *pp >= 0; pp = &d->ring[*pp].next) {
		if (*pp == idx) {
			*pp = e->next;
			break;
		}
	}
	d->head = (d->head + 1) % d->cap;
	d->count--;
}

sched_dedup_result
sched_dedup_check(sched_dedup *d, const uint8_t *uuid, size_t len, double now)
{
	len = clamp_len(len);
	while (d->count > 0 && now - d->ring[d->head].seen > d->ttl)
		evict_head(d);
	sched_dedup_entry *e = find(d, uuid, len);
	if (e)
		return e->acked ? SCHED_DEDUP_ACKED : SCHED_DEDUP_PENDING;
	if (d->count == d->cap)
		evict_head(d);
	int32_t idx = (int32_t)((d->head + d->count) % d->cap);
	e = &d->ring[idx];
	memcpy(e->uuid, uuid, len);
	e->len = (uint8_t)len;
	e->acked = false;
	e->seen = now;
	int32_t *b = bucket_of(d, uuid, len);
	e->next = *b;
	*b = idx;
	d->count++;
	return SCHED_DEDUP_NEW;
}

bool
sched_dedup_mark_acked(sched_dedup *d, const uint8_t *uuid, size_t len)
{
	sched_dedup_entry *e = find(d, uuid, clamp_len(len));
	if (!e)
		return false;
	e->acked = true;
	return true;
}

size_t
sched_dedup_size(const sched_dedup *d)
{
	return d->count;
}
