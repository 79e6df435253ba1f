#include "sched_backoff.h"

double
sched_backoff_delay(unsigned attempt, double min, double max, double u)
{
	double base = min;
	/* Doubling stops at max, so a long outage cannot overflow. */
	for (unsigned i = 0; i < attempt && base < max; i++)
		base *= 2;
	if (base > max)
		base = max;
	if (u < 0)
		u = 0;
	if (u > 1)
		u = 1;
	return base / 2 + base / 2 * u;
}
