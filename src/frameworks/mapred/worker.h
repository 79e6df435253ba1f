/* worker.h - blocking work (HTTP transfers to and from agents) off the
 * framework's event loop. The mapred client's loop must never wait on an
 * agent: a reducer's output of a gigabyte, or an agent that stopped
 * answering, would stall offers and status updates. So work runs on a few
 * threads, and each item's completion runs back on the loop (through an
 * eventfd the loop watches), where the job's state lives.
 *
 * Threading: worker_new, worker_submit and worker_free are called on the
 * loop thread; run() on a worker thread (it must not touch loop state);
 * done() on the loop thread. */
#ifndef MOSAIC_MAPRED_WORKER_H
#define MOSAIC_MAPRED_WORKER_H

#include <stdbool.h>

#include <mosaic/sched.h>

typedef struct worker worker;

/* run: the blocking part, on a worker thread. done: afterwards, on the
 * loop; cancelled is true when the worker was freed before run() was
 * called (then run() never is): done must still free arg. */
typedef void (*worker_run_fn)(void *arg);
typedef void (*worker_done_fn)(void *arg, bool cancelled);

/* worker_new starts nthreads threads and watches their completions on s's
 * loop. Call it after every mosaic_sched_signal_add. MOSAIC_EIO if a
 * thread or the eventfd cannot be made. */
int worker_new(worker **out, mosaic_sched *s, unsigned nthreads);
/* worker_submit queues an item; items start in order. */
void worker_submit(worker *w, worker_run_fn run, worker_done_fn done, void *arg);
/* Items queued or running, not yet done. */
unsigned worker_busy(const worker *w);
/* worker_free lets running items finish, then calls done for every item:
 * finished ones normally, unstarted ones cancelled. NULL is fine. */
void worker_free(worker *w);

#endif
