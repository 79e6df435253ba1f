/* mpiout.c - whole lines per rank, tagged on request (see mpiout.h). */
#include "mpiout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"

typedef struct line {
	char *data;
	size_t len, cap;
} line;

struct mpiout {
	unsigned nranks;
	int fd[3]; /* [1] stdout, [2] stderr */
	bool tag;
	line *lines; /* (nranks + 1) * 2: [r*2 + stream-1], the last pair for no rank */
	line raw[2]; /* mpirun's untagged lines (write_openmpi) */
};

mpiout *
mpiout_new(unsigned nranks, int out_fd, int err_fd, bool tag)
{
	mpiout *o = xcalloc(1, sizeof(*o));
	o->nranks = nranks;
	o->fd[0] = -1;
	o->fd[1] = out_fd;
	o->fd[2] = err_fd;
	o->tag = tag;
	o->lines = xcalloc(((size_t)nranks + 1) * 2, sizeof(*o->lines));
	return o;
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* a closed stdout: the output is lost, the job goes on */
		p += w;
		n -= (size_t)w;
	}
}

static line *
line_of(mpiout *o, uint32_t rank, int stream)
{
	size_t r = rank < o->nranks ? rank : o->nranks;
	return &o->lines[r * 2 + (stream == 2 ? 1 : 0)];
}

/* Writes one piece (a whole line, or what is left at the end) with its
 * prefix, in one write so lines of different ranks never mix. */
static void
emit(mpiout *o, uint32_t rank, int stream, const char *p, size_t n)
{
	int fd = o->fd[stream == 2 ? 2 : 1];
	if (!o->tag || rank >= o->nranks) {
		write_all(fd, p, n);
		return;
	}
	char head[16];
	int h = snprintf(head, sizeof(head), "[%u] ", rank);
	char *buf = xmalloc((size_t)h + n);
	memcpy(buf, head, (size_t)h);
	memcpy(buf + h, p, n);
	write_all(fd, buf, (size_t)h + n);
	free(buf);
}

static void
append(line *l, const char *p, size_t n)
{
	if (l->len + n > l->cap) {
		l->cap = l->cap ? l->cap : 256;
		while (l->cap < l->len + n)
			l->cap *= 2;
		l->data = xrealloc(l->data, l->cap);
	}
	memcpy(l->data + l->len, p, n);
	l->len += n;
}

void
mpiout_write(mpiout *o, uint32_t rank, int stream, const void *data, size_t len)
{
	if (rank >= o->nranks)
		rank = MPIOUT_NO_RANK;
	line *l = line_of(o, rank, stream);
	const char *p = data;
	while (len) {
		const char *nl = memchr(p, '\n', len);
		size_t n = nl ? (size_t)(nl - p) + 1 : len;
		if (nl || l->len + n >= MPIOUT_LINE_MAX) {
			if (l->len) {
				append(l, p, n);
				emit(o, rank, stream, l->data, l->len);
				l->len = 0;
			} else {
				emit(o, rank, stream, p, n);
			}
		} else {
			append(l, p, n);
		}
		p += n;
		len -= n;
	}
}

void
mpiout_flush_rank(mpiout *o, uint32_t rank)
{
	for (int s = 1; s <= 2; s++) {
		line *l = line_of(o, rank, s);
		if (l->len) {
			emit(o, rank < o->nranks ? rank : MPIOUT_NO_RANK, s, l->data, l->len);
			l->len = 0;
		}
	}
}

static void openmpi_line(mpiout *o, int s, const char *p, size_t n);

void
mpiout_flush_all(mpiout *o)
{
	for (int s = 0; s < 2; s++)
		if (o->raw[s].len) {
			openmpi_line(o, s + 1, o->raw[s].data, o->raw[s].len);
			o->raw[s].len = 0;
		}
	for (unsigned r = 0; r <= o->nranks; r++)
		mpiout_flush_rank(o, r < o->nranks ? r : MPIOUT_NO_RANK);
}

void
mpiout_free(mpiout *o)
{
	if (!o)
		return;
	mpiout_flush_all(o);
	for (size_t i = 0; i < ((size_t)o->nranks + 1) * 2; i++)
		free(o->lines[i].data);
	free(o->raw[0].data);
	free(o->raw[1].data);
	free(o->lines);
	free(o);
}

bool
mpiout_openmpi_tag(const char *line, size_t len, uint32_t *rank, int *stream, size_t *prefix)
{
	/* [JOB,RANK]<stdout>: */
	size_t i = 0;
	if (len < 2 || line[i++] != '[')
		return false;
	while (i < len && line[i] >= '0' && line[i] <= '9')
		i++;
	if (i == 1 || i >= len || line[i++] != ',')
		return false;
	size_t start = i;
	unsigned long r = 0;
	while (i < len && line[i] >= '0' && line[i] <= '9' && r < (1ul << 31))
		r = r * 10 + (unsigned long)(line[i++] - '0');
	if (i == start || i >= len || line[i++] != ']')
		return false;
	static const char *tags[] = {"<stdout>:", "<stderr>:"};
	for (int s = 0; s < 2; s++) {
		size_t tl = strlen(tags[s]);
		if (len - i >= tl && memcmp(line + i, tags[s], tl) == 0) {
			*rank = (uint32_t)r;
			*stream = s + 1;
			*prefix = i + tl;
			return true;
		}
	}
	return false;
}

/* One whole line of mpirun's stream s (1, 2). */
static void
openmpi_line(mpiout *o, int s, const char *p, size_t n)
{
	uint32_t rank;
	int stream;
	size_t prefix;
	if (mpiout_openmpi_tag(p, n, &rank, &stream, &prefix) && rank < o->nranks)
		mpiout_write(o, rank, stream, p + prefix, n - prefix);
	else
		write_all(o->fd[s], p, n);
}

void
mpiout_write_openmpi(mpiout *o, int stream, const void *data, size_t len)
{
	int s = stream == 2 ? 2 : 1;
	line *l = &o->raw[s - 1];
	const char *p = data;
	while (len) {
		const char *nl = memchr(p, '\n', len);
		size_t n = nl ? (size_t)(nl - p) + 1 : len;
		append(l, p, n);
		if (nl || l->len >= MPIOUT_LINE_MAX) {
			openmpi_line(o, s, l->data, l->len);
			l->len = 0;
		}
		p += n;
		len -= n;
	}
}
