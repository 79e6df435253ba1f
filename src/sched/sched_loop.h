/* sched_loop.h - the framework's own timers, fds and signals on the
 * scheduler's loop. The public callbacks take the scheduler rather than
 * the internal loop, so each registration keeps a small record that maps
 * one to the other. */
#ifndef MOSAIC_SCHED_LOOP_H
#define MOSAIC_SCHED_LOOP_H

#include "sched_internal.h"

/* sched_loop_release cancels every timer, fd watch and signal handler the
 * framework registered and frees their records. */
void sched_loop_release(mosaic_sched *s);
/* sched_loop_free_signals frees the signal records once the loop is gone
 * and unblocks those signals again (on the calling thread). */
void sched_loop_free_signals(mosaic_sched *s);

#endif
