/* Status-update deduplication with time passed in: new, pending and
 * acknowledged uuids, expiry by age, eviction by capacity, and many
 * entries through a small table. */
#include <string.h>

#include "check.h"
#include "sched_dedup.h"

static void
make_uuid(uint8_t *u, unsigned n)
{
	memset(u, 0, 16);
	u[0] = (uint8_t)n;
	u[1] = (uint8_t)(n >> 8);
	u[2] = (uint8_t)(n >> 16);
	u[15] = 0xAB;
}

int
main(void)
{
	sched_dedup d;
	uint8_t a[16], b[16];
	make_uuid(a, 1);
	make_uuid(b, 2);

	sched_dedup_init(&d, 4, 60.0);
	CHECK(sched_dedup_check(&d, a, 16, 0.0) == SCHED_DEDUP_NEW);
	CHECK(sched_dedup_check(&d, a, 16, 1.0) == SCHED_DEDUP_PENDING);
	CHECK(sched_dedup_mark_acked(&d, a, 16));
	CHECK(sched_dedup_check(&d, a, 16, 2.0) == SCHED_DEDUP_ACKED);
	CHECK(!sched_dedup_mark_acked(&d, b, 16));
	CHECK(sched_dedup_check(&d, b, 16, 3.0) == SCHED_DEDUP_NEW);
	CHECK(sched_dedup_size(&d) == 2);
	/* The same bytes with another length are another uuid. */
	CHECK(sched_dedup_check(&d, a, 8, 3.0) == SCHED_DEDUP_NEW);
	CHECK(sched_dedup_size(&d) == 3);

	/* Expiry by age: a (seen at 0) and b (3) are forgotten after 60 s. */
	CHECK(sched_dedup_check(&d, b, 16, 62.0) == SCHED_DEDUP_PENDING);
	CHECK(sched_dedup_check(&d, a, 16, 62.5) == SCHED_DEDUP_NEW);
	CHECK(sched_dedup_check(&d, b, 16, 63.5) == SCHED_DEDUP_NEW);
	sched_dedup_fini(&d);

	/* Capacity: the oldest goes first. */
	sched_dedup_init(&d, 3, 1e9);
	uint8_t u[5][16];
	for (unsigned i = 0; i < 5; i++) {
		make_uuid(u[i], 100 + i);
		CHECK(sched_dedup_check(&d, u[i], 16, i) == SCHED_DEDUP_NEW);
	}
	CHECK(sched_dedup_size(&d) == 3);
	CHECK(sched_dedup_check(&d, u[4], 16, 10) == SCHED_DEDUP_PENDING);
	CHECK(sched_dedup_check(&d, u[2], 16, 10) == SCHED_DEDUP_PENDING);
	CHECK(sched_dedup_check(&d, u[0], 16, 10) == SCHED_DEDUP_NEW);
	sched_dedup_fini(&d);

	/* Many entries through a table of 1000: every recent one is known,
	 * chains stay consistent after thousands of evictions. */
	sched_dedup_init(&d, 1000, 1e9);
	int new_ok = 1, seen_ok = 1;
	for (unsigned i = 0; i < 20000; i++) {
		uint8_t x[16];
		make_uuid(x, i);
		if (sched_dedup_check(&d, x, 16, i) != SCHED_DEDUP_NEW)
			new_ok = 0;
		if (i >= 999) {
			make_uuid(x, i - 999);
			if (sched_dedup_check(&d, x, 16, i) != SCHED_DEDUP_PENDING)
				seen_ok = 0;
		}
	}
	CHECK(new_ok);
	CHECK(seen_ok);
	CHECK(sched_dedup_size(&d) == 1000);
	sched_dedup_fini(&d);
	return check_done();
}
