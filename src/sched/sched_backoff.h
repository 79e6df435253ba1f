/* sched_backoff.h - how long to wait before the next Subscribe.
 *
 * Pure: the random draw is passed in, so tests choose it. Exponential from
 * min, capped at max, with "equal jitter" (a delay in [base/2, base]) so
 * that frameworks restarted together by a master failover do not all
 * subscribe in the same instant. */
#ifndef MOSAIC_SCHED_BACKOFF_H
#define MOSAIC_SCHED_BACKOFF_H

#define SCHED_BACKOFF_MIN 0.5 /* seconds */
#define SCHED_BACKOFF_MAX 8.0

/* sched_backoff_delay: the wait after `attempt` unanswered subscriptions
 * (0 for the first retry); u is a uniform draw in [0, 1). */
double sched_backoff_delay(unsigned attempt, double min, double max, double u);

#endif
