/* loop.h - the event loop each daemon runs on one thread: file
 * descriptors (poll), one-shot timers, signals (signalfd) and work posted
 * from other threads. All callbacks run on the loop's thread, so the state
 * they touch needs no locks. Only loop_post and loop_stop may be called from
 * other threads.
 *
 * Times are seconds as doubles: loop_now() is monotonic (cached once per
 * iteration), mosaic_wall_now() is since the epoch. */
#ifndef MOSAIC_LOOP_H
#define MOSAIC_LOOP_H

#include <stdint.h>

typedef struct mosaic_loop mosaic_loop;

typedef void (*loop_fd_cb)(mosaic_loop *loop, int fd, int revents, void *arg);
typedef void (*loop_cb)(mosaic_loop *loop, void *arg);
typedef void (*loop_signal_cb)(mosaic_loop *loop, int signo, void *arg);

/* loop_new: the caller owns *out (loop_free). */
int loop_new(mosaic_loop **out);
void loop_free(mosaic_loop *loop);

/* Watch fd for events (POLLIN / POLLOUT); one watch per fd. */
int loop_fd_add(mosaic_loop *loop, int fd, int events, loop_fd_cb cb, void *arg);
int loop_fd_modify(mosaic_loop *loop, int fd, int events);
int loop_fd_remove(mosaic_loop *loop, int fd);

/* loop_timer_start runs cb once after delay seconds; returns a timer id
 * (never 0) for loop_timer_cancel. Cancelling a fired or unknown id is a
 * no-op. */
uint64_t loop_timer_start(mosaic_loop *loop, double delay, loop_cb cb, void *arg);
void loop_timer_cancel(mosaic_loop *loop, uint64_t id);

/* Signals are blocked for the whole process and delivered through a
 * signalfd: call before starting any thread (nng's included). */
int loop_signal_add(mosaic_loop *loop, int signo, loop_signal_cb cb, void *arg);

/* loop_post queues cb to run on the loop thread soon; thread-safe. */
void loop_post(mosaic_loop *loop, loop_cb cb, void *arg);

/* loop_run runs until loop_stop; returns 0. */
int loop_run(mosaic_loop *loop);
/* loop_run_once waits at most timeout seconds for one round of events. */
void loop_run_once(mosaic_loop *loop, double timeout);
void loop_stop(mosaic_loop *loop);

double loop_now(mosaic_loop *loop);
double mosaic_mono_now(void);
double mosaic_wall_now(void);

#endif
