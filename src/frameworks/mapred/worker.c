#include "worker.h"

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

typedef struct item {
	worker_run_fn run;
	worker_done_fn done;
	void *arg;
	struct item *next;
} item;

typedef struct queue {
	item *head, *tail;
} queue;

struct worker {
	mosaic_sched *s;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	queue todo, finished;
	bool stopping;
	unsigned busy; /* submitted, done() not yet called */
	int efd;
	pthread_t *threads;
	unsigned nthreads;
};

static void
push(queue *q, item *it)
{
	it->next = NULL;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
}

static item *
pop(queue *q)
{
	item *it = q->head;
	if (it) {
		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
	}
	return it;
}

static void *
thread_main(void *arg)
{
	worker *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stopping && !w->todo.head)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stopping)
			break;
		item *it = pop(&w->todo);
		pthread_mutex_unlock(&w->mu);
		it->run(it->arg);
		pthread_mutex_lock(&w->mu);
		push(&w->finished, it);
		uint64_t one = 1;
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* An eventfd counter cannot overflow in practice. */
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Runs done() of finished items, on the loop. */
static void
drain(worker *w)
{
	uint64_t n;
	if (read(w->efd, &n, sizeof(n)) < 0) {
		/* Non-blocking: nothing to read is fine. */
	}
	for (;;) {
		pthread_mutex_lock(&w->mu);
		item *it = pop(&w->finished);
		pthread_mutex_unlock(&w->mu);
		if (!it)
			break;
		w->busy--;
		it->done(it->arg, false);
		free(it);
	}
}

static void
on_event(mosaic_sched *s, int fd, int revents, void *arg)
{
	drain(arg);
}

int
worker_new(worker **out, mosaic_sched *s, unsigned nthreads)
{
	worker *w = xcalloc(1, sizeof(*w));
	w->s = s;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0 || mosaic_sched_fd_add(s, w->efd, POLLIN, on_event, w) != 0) {
		if (w->efd >= 0)
			close(w->efd);
		free(w);
		return MOSAIC_EIO;
	}
	w->threads = xcalloc(nthreads, sizeof(pthread_t));
	for (unsigned i = 0; i < nthreads; i++) {
		if (pthread_create(&w->threads[i], NULL, thread_main, w) != 0) {
			w->nthreads = i;
			worker_free(w);
			return MOSAIC_EIO;
		}
		w->nthreads = i + 1;
	}
	*out = w;
	return MOSAIC_OK;
}

void
worker_submit(worker *w, worker_run_fn run, worker_done_fn done, void *arg)
{
	item *it = xmalloc(sizeof(*it));
	it->run = run;
	it->done = done;
	it->arg = arg;
	pthread_mutex_lock(&w->mu);
	push(&w->todo, it);
	w->busy++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

unsigned
worker_busy(const worker *w)
{
	return w->busy;
}

void
worker_free(worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned i = 0; i < w->nthreads; i++)
		pthread_join(w->threads[i], NULL);
	drain(w);
	item *it;
	while ((it = pop(&w->todo)) != NULL) {
		it->done(it->arg, true);
		free(it);
	}
	mosaic_sched_fd_remove(w->s, w->efd);
	close(w->efd);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->threads);
	free(w);
}
