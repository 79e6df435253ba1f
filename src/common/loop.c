#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

typedef struct fd_watch {
	int fd;
	int events;
	loop_fd_cb cb;
	void *arg;
} fd_watch;

typedef struct timer {
	double when;
	uint64_t id;
	loop_cb cb;
	void *arg;
} timer;

typedef struct post {
	loop_cb cb;
	void *arg;
	struct post *next;
} post;

#define MAX_SIGNALS 8

struct mosaic_loop {
	fd_watch *fds;
	size_t nfds, capfds;
	struct pollfd *pfds;
	timer *heap; /* min-heap on when */
	size_t nheap, capheap;
	uint64_t next_timer_id;
	/* Cancelled timers stay in the heap, marked by id in this small set,
	 * and are skipped when they come due: cancel stays O(1). */
	uint64_t *cancelled;
	size_t ncancelled, capcancelled;
	int wake_fd;
	pthread_mutex_t post_mu;
	post *posts, *posts_tail;
	int sig_fd;
	sigset_t sigs;
	struct {
		int signo;
		loop_signal_cb cb;
		void *arg;
	} sighandlers[MAX_SIGNALS];
	int nsig;
	volatile int stopping;
	double now;
};

double
mosaic_mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
mosaic_wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
loop_now(mosaic_loop *loop)
{
	return loop->now;
}

static void
wake_read(mosaic_loop *loop, int fd, int revents, void *arg)
{
	uint64_t v;
	ssize_t n = read(fd, &v, sizeof(v));
	(void)n;
	pthread_mutex_lock(&loop->post_mu);
	post *p = loop->posts;
	loop->posts = loop->posts_tail = NULL;
	pthread_mutex_unlock(&loop->post_mu);
	while (p) {
		post *next = p->next;
		p->cb(loop, p->arg);
		free(p);
		p = next;
	}
}

int
loop_new(mosaic_loop **out)
{
	mosaic_loop *loop = xcalloc(1, sizeof(*loop));
	loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	loop->sig_fd = -1;
	if (loop->wake_fd < 0) {
		free(loop);
		return MOSAIC_EIO;
	}
	pthread_mutex_init(&loop->post_mu, NULL);
	sigemptyset(&loop->sigs);
	loop->now = mosaic_mono_now();
	loop_fd_add(loop, loop->wake_fd, POLLIN, wake_read, NULL);
	*out = loop;
	return MOSAIC_OK;
}

void
loop_free(mosaic_loop *loop)
{
	if (!loop)
		return;
	post *p = loop->posts;
	while (p) {
		post *n = p->next;
		free(p);
		p = n;
	}
	close(loop->wake_fd);
	if (loop->sig_fd >= 0)
		close(loop->sig_fd);
	pthread_mutex_destroy(&loop->post_mu);
	free(loop->fds);
	free(loop->pfds);
	free(loop->heap);
	free(loop->cancelled);
	free(loop);
}

static fd_watch *
find_fd(mosaic_loop *loop, int fd)
{
	for (size_t i = 0; i < loop->nfds; i++)
		if (loop->fds[i].fd == fd)
			return &loop->fds[i];
	return NULL;
}

int
loop_fd_add(mosaic_loop *loop, int fd, int events, loop_fd_cb cb, void *arg)
{
	if (find_fd(loop, fd))
		return MOSAIC_EEXIST;
	if (loop->nfds == loop->capfds) {
		loop->capfds = loop->capfds ? 2 * loop->capfds : 16;
		loop->fds = xrealloc(loop->fds, loop->capfds * sizeof(*loop->fds));
		loop->pfds = xrealloc(loop->pfds, loop->capfds * sizeof(*loop->pfds));
	}
	loop->fds[loop->nfds++] = (fd_watch){fd, events, cb, arg};
	return MOSAIC_OK;
}

int
loop_fd_modify(mosaic_loop *loop, int fd, int events)
{
	fd_watch *w = find_fd(loop, fd);
	if (!w)
		return MOSAIC_ENOENT;
	w->events = events;
	return MOSAIC_OK;
}

int
loop_fd_remove(mosaic_loop *loop, int fd)
{
	fd_watch *w = find_fd(loop, fd);
	if (!w)
		return MOSAIC_ENOENT;
	/* Mark rather than compact: the dispatch loop may be iterating. */
	w->fd = -1;
	w->cb = NULL;
	return MOSAIC_OK;
}

static void
heap_swap(timer *h, size_t a, size_t b)
{
	timer t = h[a];
	h[a] = h[b];
	h[b] = t;
}

static void
heap_push(mosaic_loop *loop, timer t)
{
	if (loop->nheap == loop->capheap) {
		loop->capheap = loop->capheap ? 2 * loop->capheap : 64;
		loop->heap = xrealloc(loop->heap, loop->capheap * sizeof(timer));
	}
	size_t i = loop->nheap++;
	loop->heap[i] = t;
	while (i > 0 && loop->heap[(i - 1) / 2].when > loop->heap[i].when) {
		heap_swap(loop->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static timer
heap_pop(mosaic_loop *loop)
{
	timer top = loop->heap[0];
	loop->heap[0] = loop->heap[--loop->nheap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < loop->nheap && loop->heap[l].when < loop->heap[m].when)
			m = l;
		if (r < loop->nheap && loop->heap[r].when < loop->heap[m].when)
			m = r;
		if (m == i)
			break;
		heap_swap(loop->heap, i, m);
		i = m;
	}
	return top;
}

uint64_t
loop_timer_start(mosaic_loop *loop, double delay, loop_cb cb, void *arg)
{
	if (delay < 0)
		delay = 0;
	timer t = {mosaic_mono_now() + delay, ++loop->next_timer_id, cb, arg};
	heap_push(loop, t);
	return t.id;
}

void
loop_timer_cancel(mosaic_loop *loop, uint64_t id)
{
	if (id == 0)
		return;
	for (size_t i = 0; i < loop->nheap; i++) {
		if (loop->heap[i].id == id) {
			if (loop->ncancelled == loop->capcancelled) {
				loop->capcancelled = loop->capcancelled ? 2 * loop->capcancelled : 16;
				loop->cancelled = xrealloc(loop->cancelled, loop->capcancelled * sizeof(uint64_t));
			}
			loop->cancelled[loop->ncancelled++] = id;
			return;
		}
	}
}

static int
take_cancelled(mosaic_loop *loop, uint64_t id)
{
	for (size_t i = 0; i < loop->ncancelled; i++) {
		if (loop->cancelled[i] == id) {
			loop->cancelled[i] = loop->cancelled[--loop->ncancelled];
			return 1;
		}
	}
	return 0;
}

static void
sig_read(mosaic_loop *loop, int fd, int revents, void *arg)
{
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		for (int i = 0; i < loop->nsig; i++)
			if (loop->sighandlers[i].signo == (int)si.ssi_signo)
				loop->sighandlers[i].cb(loop, (int)si.ssi_signo, loop->sighandlers[i].arg);
	}
}

int
loop_signal_add(mosaic_loop *loop, int signo, loop_signal_cb cb, void *arg)
{
	if (loop->nsig == MAX_SIGNALS)
		return MOSAIC_ENOSPC;
	sigaddset(&loop->sigs, signo);
	if (pthread_sigmask(SIG_BLOCK, &loop->sigs, NULL) != 0)
		return MOSAIC_EIO;
	int fd = signalfd(loop->sig_fd, &loop->sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return MOSAIC_EIO;
	if (loop->sig_fd < 0) {
		loop->sig_fd = fd;
		loop_fd_add(loop, fd, POLLIN, sig_read, NULL);
	}
	loop->sighandlers[loop->nsig].signo = signo;
	loop->sighandlers[loop->nsig].cb = cb;
	loop->sighandlers[loop->nsig].arg = arg;
	loop->nsig++;
	return MOSAIC_OK;
}

void
loop_post(mosaic_loop *loop, loop_cb cb, void *arg)
{
	post *p = xmalloc(sizeof(*p));
	p->cb = cb;
	p->arg = arg;
	p->next = NULL;
	pthread_mutex_lock(&loop->post_mu);
	if (loop->posts_tail)
		loop->posts_tail->next = p;
	else
		loop->posts = p;
	loop->posts_tail = p;
	pthread_mutex_unlock(&loop->post_mu);
	uint64_t one = 1;
	ssize_t n = write(loop->wake_fd, &one, sizeof(one));
	(void)n;
}

static void
run_timers(mosaic_loop *loop)
{
	double now = mosaic_mono_now();
	loop->now = now;
	/* Timers started by callbacks in this round wait for the next one. */
	uint64_t last = loop->next_timer_id;
	while (loop->nheap > 0 && loop->heap[0].when <= now && loop->heap[0].id <= last) {
		timer t = heap_pop(loop);
		if (take_cancelled(loop, t.id))
			continue;
		t.cb(loop, t.arg);
		if (loop->stopping)
			return;
	}
}

void
loop_run_once(mosaic_loop *loop, double timeout)
{
	/* Drop watches removed since the last round. */
	size_t k = 0;
	for (size_t i = 0; i < loop->nfds; i++)
		if (loop->fds[i].fd >= 0)
			loop->fds[k++] = loop->fds[i];
	loop->nfds = k;
	for (size_t i = 0; i < loop->nfds; i++)
		loop->pfds[i] = (struct pollfd){loop->fds[i].fd, (short)loop->fds[i].events, 0};
	double now = mosaic_mono_now();
	while (loop->nheap > 0 && loop->ncancelled > 0 && take_cancelled(loop, loop->heap[0].id))
		heap_pop(loop);
	if (loop->nheap > 0) {
		double until = loop->heap[0].when - now;
		if (until < timeout)
			timeout = until < 0 ? 0 : until;
	}
	int ms = (int)(timeout * 1000.0 + 0.999);
	size_t n = loop->nfds;
	int rv = poll(loop->pfds, n, ms);
	loop->now = mosaic_mono_now();
	if (rv > 0) {
		for (size_t i = 0; i < n; i++) {
			if (!loop->pfds[i].revents)
				continue;
			/* The watch may have been removed by an earlier callback. */
			fd_watch *w = &loop->fds[i];
			if (w->fd != loop->pfds[i].fd || !w->cb)
				continue;
			w->cb(loop, w->fd, loop->pfds[i].revents, w->arg);
			if (loop->stopping)
				return;
		}
	}
	run_timers(loop);
}

int
loop_run(mosaic_loop *loop)
{
	while (!loop->stopping)
		loop_run_once(loop, 3600.0);
	loop->stopping = 0;
	return MOSAIC_OK;
}

void
loop_stop(mosaic_loop *loop)
{
	loop->stopping = 1;
	uint64_t one = 1;
	ssize_t n = write(loop->wake_fd, &one, sizeof(one));
	(void)n;
}
