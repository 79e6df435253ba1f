/* sched_dedup.h - remembers the uuids of status updates already delivered,
 * so the at-least-once updates of the agents reach a framework once.
 *
 * Pure: no I/O, no clock (now is passed in, monotonic seconds). A uuid is
 * forgotten after ttl seconds or when capacity newer ones came after it,
 * whichever is first: agents resend an unacknowledged update at most every
 * 30 s, so a few minutes covers every resend that can still come. Lookups
 * and inserts are O(1) on average. */
#ifndef MOSAIC_SCHED_DEDUP_H
#define MOSAIC_SCHED_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_DEDUP_UUID_MAX 32

typedef enum sched_dedup_result {
	SCHED_DEDUP_NEW = 0, /* first sight: recorded now, deliver it */
	SCHED_DEDUP_PENDING, /* seen, not acknowledged yet: drop it */
	SCHED_DEDUP_ACKED    /* seen and acknowledged: drop it, acknowledge again
	                        (the first acknowledgement may have been lost) */
} sched_dedup_result;

typedef struct sched_dedup_entry {
	uint8_t uuid[SCHED_DEDUP_UUID_MAX];
	uint8_t len;
	bool acked;
	double seen;
	int32_t next; /* next entry in the same bucket, -1 ends */
} sched_dedup_entry;

typedef struct sched_dedup {
	sched_dedup_entry *ring; /* insertion order, oldest at head */
	size_t cap, head, count;
	int32_t *buckets;
	size_t nbuckets; /* a power of two */
	double ttl;
} sched_dedup;

/* sched_dedup_init: capacity entries at most (>= 1), forgotten after ttl seconds. */
void sched_dedup_init(sched_dedup *d, size_t capacity, double ttl);
void sched_dedup_fini(sched_dedup *d);

/* sched_dedup_check records uuid (len 1..SCHED_DEDUP_UUID_MAX bytes) if it
 * is new and says what to do with the update. Longer uuids are compared
 * by their first SCHED_DEDUP_UUID_MAX bytes. */
sched_dedup_result sched_dedup_check(sched_dedup *d, const uint8_t *uuid, size_t len, double now);
/* sched_dedup_mark_acked notes that uuid was acknowledged; false if unknown. */
bool sched_dedup_mark_acked(sched_dedup *d, const uint8_t *uuid, size_t len);
/* Entries remembered now. */
size_t sched_dedup_size(const sched_dedup *d);

#endif
