/* Subscribe back-off: doubling from min, capped at max, jitter within
 * [base/2, base]. */
#include "check.h"
#include "sched_backoff.h"

int
main(void)
{
	CHECK_NEAR(sched_backoff_delay(0, 0.5, 8, 1.0), 0.5, 1e-9);
	CHECK_NEAR(sched_backoff_delay(0, 0.5, 8, 0.0), 0.25, 1e-9);
	CHECK_NEAR(sched_backoff_delay(1, 0.5, 8, 1.0), 1.0, 1e-9);
	CHECK_NEAR(sched_backoff_delay(3, 0.5, 8, 1.0), 4.0, 1e-9);
	CHECK_NEAR(sched_backoff_delay(4, 0.5, 8, 1.0), 8.0, 1e-9);
	CHECK_NEAR(sched_backoff_delay(5, 0.5, 8, 1.0), 8.0, 1e-9);
	/* A long outage neither overflows nor exceeds the cap. */
	CHECK_NEAR(sched_backoff_delay(4000000000u, 0.5, 8, 0.5), 6.0, 1e-9);
	/* Out-of-range draws are clamped. */
	CHECK_NEAR(sched_backoff_delay(2, 0.5, 8, -3), 1.0, 1e-9);
	CHECK_NEAR(sched_backoff_delay(2, 0.5, 8, 7), 2.0, 1e-9);
	/* Non-decreasing in the attempt for a fixed draw. */
	double prev = 0;
	int mono = 1;
	for (unsigned a = 0; a < 20; a++) {
		double d = sched_backoff_delay(a, SCHED_BACKOFF_MIN, SCHED_BACKOFF_MAX, 0.3);
		if (d < prev || d > SCHED_BACKOFF_MAX)
			mono = 0;
		prev = d;
	}
	CHECK(mono);
	return check_done();
}
