#include "sched_loop.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "errors.h"
#include "mem.h"

typedef enum rec_kind { REC_TIMER, REC_FD, REC_SIGNAL } rec_kind;

struct sched_rec {
	rec_kind kind;
	mosaic_sched *s;
	mosaic_sched_timer_fn timer_fn;
	mosaic_sched_fd_fn fd_fn;
	mosaic_sched_signal_fn signal_fn;
	void *arg;
	uint64_t timer_id;
	int fd; /* or the signal number */
	sched_rec *prev, *next;
};

static sched_rec *
rec_new(mosaic_sched *s, rec_kind kind, void *arg)
{
	sched_rec *r = xcalloc(1, sizeof(*r));
	r->kind = kind;
	r->s = s;
	r->arg = arg;
	r->fd = -1;
	sched_rec **head = kind == REC_SIGNAL ? &s->signal_recs : &s->recs;
	r->next = *head;
	if (*head)
		(*head)->prev = r;
	*head = r;
	return r;
}

static void
rec_free(sched_rec *r)
{
	sched_rec **head = r->kind == REC_SIGNAL ? &r->s->signal_recs : &r->s->recs;
	if (r->prev)
		r->prev->next = r->next;
	else
		*head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r);
}

/* Linear: frameworks hold tens of timers, and the loop's own cancel is
 * linear in its timers too. */
static sched_rec *
rec_find(mosaic_sched *s, rec_kind kind, uint64_t timer_id, int fd)
{
	for (sched_rec *r = s->recs; r; r = r->next)
		if (r->kind == kind && (kind == REC_TIMER ? r->timer_id == timer_id : r->fd == fd))
			return r;
	return NULL;
}

static void
timer_fire(mosaic_loop *loop, void *arg)
{
	sched_rec *r = arg;
	mosaic_sched *s = r->s;
	mosaic_sched_timer_fn fn = r->timer_fn;
	void *uarg = r->arg;
	/* Freed before the call: the callback may add or cancel timers. */
	rec_free(r);
	fn(s, uarg);
}

uint64_t
mosaic_sched_timer_add(mosaic_sched *s, double delay, mosaic_sched_timer_fn fn, void *arg)
{
	sched_rec *r = rec_new(s, REC_TIMER, arg);
	r->timer_fn = fn;
	r->timer_id = loop_timer_start(s->loop, delay, timer_fire, r);
	return r->timer_id;
}

void
mosaic_sched_timer_cancel(mosaic_sched *s, uint64_t id)
{
	sched_rec *r = id ? rec_find(s, REC_TIMER, id, -1) : NULL;
	if (!r)
		return;
	loop_timer_cancel(s->loop, id);
	rec_free(r);
}

static void
fd_ready(mosaic_loop *loop, int fd, int revents, void *arg)
{
	sched_rec *r = arg;
	/* The callback may remove (and so free) its own record: nothing of
	 * r is read after it. */
	r->fd_fn(r->s, fd, revents, r->arg);
}

int
mosaic_sched_fd_add(mosaic_sched *s, int fd, int events, mosaic_sched_fd_fn fn, void *arg)
{
	if (fd < 0 || !fn)
		return sched_fail(s, MOSAIC_EINVAL, "fd_add needs an fd and a callback");
	if (rec_find(s, REC_FD, 0, fd))
		return sched_fail(s, MOSAIC_EEXIST, "fd %d is watched already", fd);
	sched_rec *r = rec_new(s, REC_FD, arg);
	r->fd_fn = fn;
	r->fd = fd;
	int rv = loop_fd_add(s->loop, fd, events, fd_ready, r);
	if (rv != 0) {
		rec_free(r);
		return sched_fail(s, rv, "cannot watch fd %d", fd);
	}
	return MOSAIC_OK;
}

int
mosaic_sched_fd_modify(mosaic_sched *s, int fd, int events)
{
	if (!rec_find(s, REC_FD, 0, fd))
		return sched_fail(s, MOSAIC_ENOENT, "fd %d is not watched", fd);
	return loop_fd_modify(s->loop, fd, events);
}

int
mosaic_sched_fd_remove(mosaic_sched *s, int fd)
{
	sched_rec *r = rec_find(s, REC_FD, 0, fd);
	if (!r)
		return sched_fail(s, MOSAIC_ENOENT, "fd %d is not watched", fd);
	loop_fd_remove(s->loop, fd);
	rec_free(r);
	return MOSAIC_OK;
}

static void
signal_fire(mosaic_loop *loop, int signo, void *arg)
{
	sched_rec *r = arg;
	if (r->signal_fn)
		r->signal_fn(r->s, signo, r->arg);
}

int
mosaic_sched_signal_add(mosaic_sched *s, int signo, mosaic_sched_signal_fn fn, void *arg)
{
	if (!fn)
		return sched_fail(s, MOSAIC_EINVAL, "signal_add needs a callback");
	sched_rec *r = rec_new(s, REC_SIGNAL, arg);
	r->signal_fn = fn;
	r->fd = signo;
	int rv = loop_signal_add(s->loop, signo, signal_fire, r);
	if (rv != 0) {
		rec_free(r);
		return sched_fail(s, rv, "cannot handle signal %d", signo);
	}
	return MOSAIC_OK;
}

typedef struct post_rec {
	mosaic_sched *s;
	mosaic_sched_timer_fn fn;
	void *arg;
} post_rec;

static void
post_run(mosaic_loop *loop, void *arg)
{
	post_rec p = *(post_rec *)arg;
	free(arg);
	p.fn(p.s, p.arg);
}

void
mosaic_sched_post(mosaic_sched *s, mosaic_sched_timer_fn fn, void *arg)
{
	post_rec *p = xmalloc(sizeof(*p));
	p->s = s;
	p->fn = fn;
	p->arg = arg;
	loop_post(s->loop, post_run, p);
}

double
mosaic_sched_now(mosaic_sched *s)
{
	return loop_now(s->loop);
}

double
mosaic_sched_wall_now(void)
{
	return mosaic_wall_now();
}

void
sched_loop_release(mosaic_sched *s)
{
	while (s->recs) {
		sched_rec *r = s->recs;
		if (r->kind == REC_TIMER)
			loop_timer_cancel(s->loop, r->timer_id);
		else
			loop_fd_remove(s->loop, r->fd);
		rec_free(r);
	}
	/* The loop keeps pointing at signal records until it is freed: they
	 * stay, inert. */
	for (sched_rec *r = s->signal_recs; r; r = r->next)
		r->signal_fn = NULL;
}

void
sched_loop_free_signals(mosaic_sched *s)
{
	sigset_t set;
	sigemptyset(&set);
	while (s->signal_recs) {
		sigaddset(&set, s->signal_recs->fd);
		rec_free(s->signal_recs);
	}
	/* The loop blocked them to read them from its signalfd, now closed:
	 * give them back their default meaning. */
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}
