/* mrtask_util.c - what mapred-task's subcommands share: messages, counters,
 * fetching with retries, a summing file sink. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blocksum.h"
#include "errors.h"
#include "mem.h"
#include "mrtask.h"
#include "util.h"

static const char *task_name = "";

void
mrtask_set_name(const char *what)
{
	task_name = what;
}

void
mrtask_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mapred-task %s: %s\n", task_name, msg);
}

void
mrtask_count(mrtask_counters *c, const char *name, uint64_t v)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->names[i], name) == 0) {
			c->values[i] += v;
			return;
		}
	}
	if (c->n == sizeof(c->values) / sizeof(c->values[0]))
		return;
	snprintf(c->names[c->n], sizeof(c->names[0]), "%s", name);
	c->values[c->n++] = v;
}

int
mrtask_counters_write(const mrtask_counters *c)
{
	char buf[32 * 80];
	size_t len = 0;
	for (size_t i = 0; i < c->n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s %llu\n", c->names[i],
		                        (unsigned long long)c->values[i]);
	return util_write_file_atomic("counters", buf, len);
}

static void
sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
mrtask_fetch(const char *url, uint64_t offset, uint64_t length, int tries, httpc_sink_fn sink,
             void (*reset)(void *arg), void *arg, httpc_result *res)
{
	double wait = 0.25;
	int rv = MOSAIC_EIO, missing = 0;
	for (int t = 0; t < tries; t++) {
		if (t > 0) {
			sleep_s(wait);
			wait *= 2;
			if (reset)
				reset(arg);
		}
		rv = httpc_fetch(url, offset, length, MRTASK_IO_TIMEOUT, sink, arg, res);
		if (rv == MOSAIC_OK)
			return rv;
		/* A sink's own failure (a full disk, a bad sum) is not cured by asking again. */
		if (rv != MOSAIC_ENET && rv != MOSAIC_ETIMEDOUT && rv != MOSAIC_EIO && rv != MOSAIC_ENOENT &&
		    rv != MOSAIC_EDECODE)
			return rv;
		if (rv == MOSAIC_ENOENT && ++missing >= 2)
			return rv;
	}
	return rv;
}

int
mrtask_filesink_fn(void *arg, const void *data, size_t len)
{
	mrtask_filesink *s = arg;
	if (s->sum)
		blocksum_update(s->sum, data, len);
	s->bytes += len;
	return httpc_sink_fd(&s->fd, data, len);
}

void
mrtask_filesink_reset(void *arg)
{
	mrtask_filesink *s = arg;
	if (s->sum)
		blocksum_init(s->sum);
	s->bytes = 0;
	if (ftruncate(s->fd, 0) != 0 || lseek(s->fd, 0, SEEK_SET) != 0) {
		/* The next write fails and says so. */
	}
}

int
mrtask_sum_file(int fd, uint64_t *sum, uint64_t *size)
{
	enum { CHUNK = 1 << 20 };
	char *buf = xmalloc(CHUNK);
	blocksum b;
	blocksum_init(&b);
	uint64_t off = 0;
	int rv = MOSAIC_OK;
	for (;;) {
		ssize_t n = pread(fd, buf, CHUNK, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rv = MOSAIC_EIO;
			break;
		}
		if (n == 0)
			break;
		blocksum_update(&b, buf, (size_t)n);
		off += (uint64_t)n;
	}
	free(buf);
	*sum = blocksum_final(&b);
	*size = off;
	return rv;
}
