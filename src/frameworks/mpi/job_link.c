/* job_link.c - mmpirun's side of the proxies' connections (see job.h and
 * mpiwire.h): one listener; a connection counts once it said HELLO with
 * this attempt's token and a place of the gang; then it carries GO and
 * ABORT one way, the ranks' output and exit statuses the other. */
#include "job.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

#define PENDING_MAX 1024 /* connections that have not said HELLO */

int
job_link_open(job *j, char *err, size_t errlen)
{
	const char *host = getenv("MOSAIC_LISTEN_HOST");
	if (!host || !*host)
		host = "127.0.0.1";
	uint16_t port = 0;
	j->lfd = mpiwire_listen(host, 0, &port, err, errlen);
	if (j->lfd < 0)
		return MOSAIC_ENET;
	snprintf(j->listen_addr, sizeof(j->listen_addr), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	return MOSAIC_OK;
}

static job_task *
task_of_fd(job *j, int fd)
{
	for (size_t i = 0; i < j->ntasks; i++)
		if (j->tasks[i].fd == fd)
			return &j->tasks[i];
	return NULL;
}

static void
task_unlink(job *j, job_task *t)
{
	if (t->fd < 0)
		return;
	mosaic_sched_fd_remove(j->s, t->fd);
	close(t->fd);
	t->fd = -1;
	t->link_closed = true;
}

static void
task_send(job *j, job_task *t)
{
	if (t->fd < 0)
		return;
	if (mpiwire_flush(t->fd, &t->out) != 0) {
		task_unlink(j, t);
		return;
	}
	mosaic_sched_fd_modify(j->s, t->fd, POLLIN | (mpiwire_pending(&t->out) ? POLLOUT : 0));
}

static void
rank_exit(job *j, job_task *t, uint32_t rank, int32_t code, int32_t signo)
{
	if (rank >= j->o->map.np || j->rank_exited[rank])
		return;
	j->rank_exited[rank] = 1;
	j->nexited++;
	mpiout_flush_rank(j->out, rank);
	if (signo)
		job_fail(j, 128 + signo, "rank %u (on %s) was killed by signal %d (%s)", rank, t->hostname,
		         signo, strsignal(signo));
	else if (code)
		job_fail(j, code, "rank %u (on %s) exited with code %d", rank, t->hostname, code);
	else
		job_check(j);
}

static void
on_task(mosaic_sched *s, int fd, int revents, void *arg)
{
	job *j = arg;
	job_task *t = task_of_fd(j, fd);
	if (!t)
		return;
	if (revents & POLLOUT)
		task_send(j, t);
	if (!(revents & (POLLIN | POLLHUP | POLLERR)) || t->fd < 0)
		return;
	long n = mpiwire_fill(fd, &t->in);
	mpiwire_frame f;
	int r;
	while ((r = mpiwire_next(&t->in, &f)) == 1) {
		uint32_t rank;
		uint8_t stream;
		const uint8_t *data;
		size_t len;
		int32_t code, signo;
		char msg[512];
		switch (f.type) {
		case MPIWIRE_OUT:
			if (mpiwire_get_out(&f, &rank, &stream, &data, &len) == 0)
				mpiout_write(j->out, rank == MPIWIRE_NO_RANK ? MPIOUT_NO_RANK : rank, stream,
				             data, len);
			break;
		case MPIWIRE_EXIT:
			/* openmpi: orted's end, told to the launch agent; ours is mpirun's */
			if (mpiwire_get_exit(&f, &rank, &code, &signo) == 0 && rank != MPIWIRE_NO_RANK)
				rank_exit(j, t, rank, code, signo);
			break;
		case MPIWIRE_ERROR:
			mpiwire_get_text(&f, msg, sizeof(msg));
			job_fail(j, JOB_EXIT_FAIL, "the proxy of task %s on %s: %s", t->id, t->hostname, msg);
			break;
		default: break;
		}
		if (t->fd < 0 || j->phase == JOB_DONE)
			return;
	}
	if (r < 0 || n == 0 || n == -1) {
		task_unlink(j, t);
		job_check(j);
	}
}

static void
pending_drop(job *j, size_t i)
{
	mosaic_sched_fd_remove(j->s, j->pending[i].fd);
	close(j->pending[i].fd);
	mpiwire_buf_fini(&j->pending[i].in);
	j->pending[i] = j->pending[--j->npending];
}

/* Every proxy is up: the gang starts. */
static void
ready(job *j)
{
	j->phase = JOB_RUNNING;
	j->t_running = mosaic_sched_now(j->s);
	if (j->hello_timer) {
		mosaic_sched_timer_cancel(j->s, j->hello_timer);
		j->hello_timer = 0;
	}
	job_verbose(j, "all %zu gang task(s) are up, %.3f s after the launch", j->ntasks,
	            j->t_running - j->t_launch);
	if (j->launcher == JOB_GENERIC)
		job_link_go(j); /* OpenMPI's mpirun started with the launch */
}

static void
on_pending(mosaic_sched *s, int fd, int revents, void *arg)
{
	job *j = arg;
	size_t i = 0;
	while (i < j->npending && j->pending[i].fd != fd)
		i++;
	if (i == j->npending)
		return;
	job_pending *p = &j->pending[i];
	long n = mpiwire_fill(fd, &p->in);
	if (n == -2)
		return;
	mpiwire_frame f;
	int r = mpiwire_next(&p->in, &f);
	if (r == 0 && n > 0)
		return;
	uint32_t place;
	char token[MPIWIRE_TOKEN_LEN + 8];
	if (r != 1 || mpiwire_get_hello(&f, &place, token, sizeof(token)) != 0 ||
	    !mpiwire_token_equal(token, j->token) || j->phase != JOB_STARTING || place >= j->ntasks ||
	    j->tasks[place].hello) {
		pending_drop(j, i); /* a stranger, or a proxy of an attempt that is over */
		return;
	}
	job_task *t = &j->tasks[place];
	t->fd = fd;
	t->hello = true;
	/* Frames that came with the HELLO stay for on_task. */
	mpiwire_buf_init(&t->in);
	if (mpiwire_pending(&p->in)) {
		size_t left = mpiwire_pending(&p->in);
		t->in.data = xmalloc(left);
		memcpy(t->in.data, p->in.data + p->in.off, left);
		t->in.len = t->in.cap = left;
	}
	mpiwire_buf_fini(&p->in);
	j->pending[i] = j->pending[--j->npending];
	mosaic_sched_fd_remove(s, fd);
	mosaic_sched_fd_add(s, fd, POLLIN, on_task, j);
	j->nhello++;
	job_verbose(j, "the proxy of %s on %s is up (%u of %zu)", t->id, t->hostname, j->nhello, j->ntasks);
	if (j->nhello == j->ntasks)
		ready(j);
}

static void
on_accept(mosaic_sched *s, int fd, int revents, void *arg)
{
	job *j = arg;
	int c;
	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		if (j->npending >= PENDING_MAX) {
			close(c);
			continue;
		}
		int one = 1;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		j->pending = xrealloc(j->pending, (j->npending + 1) * sizeof(*j->pending));
		job_pending *p = &j->pending[j->npending++];
		p->fd = c;
		p->since = mosaic_sched_now(s);
		mpiwire_buf_init(&p->in);
		mosaic_sched_fd_add(s, c, POLLIN, on_pending, j);
	}
}

void
job_link_start(job *j)
{
	mosaic_sched_fd_add(j->s, j->lfd, POLLIN, on_accept, j);
}

void
job_link_go(job *j)
{
	for (size_t i = 0; i < j->ntasks; i++)
		if (j->tasks[i].fd >= 0) {
			mpiwire_put(&j->tasks[i].out, MPIWIRE_GO, NULL, 0);
			task_send(j, &j->tasks[i]);
		}
}

void
job_link_abort(job *j, const char *why)
{
	for (size_t i = 0; i < j->ntasks; i++)
		if (j->tasks[i].fd >= 0) {
			mpiwire_put_text(&j->tasks[i].out, MPIWIRE_ABORT, why);
			task_send(j, &j->tasks[i]);
		}
}

bool
job_links_closed(const job *j)
{
	for (size_t i = 0; i < j->ntasks; i++)
		if (j->tasks[i].fd >= 0)
			return false;
	return true;
}

void
job_link_drop_all(job *j)
{
	for (size_t i = 0; i < j->ntasks; i++)
		task_unlink(j, &j->tasks[i]);
	while (j->npending)
		pending_drop(j, 0);
}

void
job_link_close(job *j)
{
	job_link_drop_all(j);
	free(j->pending);
	j->pending = NULL;
	if (j->lfd >= 0) {
		if (j->s)
			mosaic_sched_fd_remove(j->s, j->lfd);
		close(j->lfd);
	}
	j->lfd = -1;
}
