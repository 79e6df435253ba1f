#include "kvfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

/* Large enough that write(2)/read(2) cost is noise next to formatting and
 * parsing, small enough that a map task with a hundred reducers' writers
 * open stays within a few tens of MiB. */
#define KVFILE_WBUF (128u << 10)
#define KVFILE_RBUF (256u << 10)

void
kvrec_parse(kvrec *rec, const char *line, size_t len)
{
	const char *tab = memchr(line, '\t', len);
	rec->key = line;
	if (tab) {
		rec->klen = (size_t)(tab - line);
		rec->val = tab + 1;
		rec->vlen = len - rec->klen - 1;
	} else {
		rec->klen = len;
		rec->val = line + len;
		rec->vlen = 0;
	}
}

int
kvrec_keycmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(a, b, n) : 0; /* an empty key may have no buffer behind it */
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

char *
kvfile_part_path(const char *dir, uint32_t r)
{
	return xasprintf("%s/part-%u", dir, r);
}

char *
kvfile_output_path(const char *dir, uint32_t r)
{
	return xasprintf("%s/part-r-%05u", dir, r);
}

/* ---- writer ---- */

static void
writer_init(kvfile_writer *w, int fd)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->cap = KVFILE_WBUF;
	w->buf = xmalloc(w->cap);
}

int
kvfile_writer_open(kvfile_writer *w, const char *path)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int rv = errno == ENOENT ? MOSAIC_ENOENT : MOSAIC_EIO;
		free(tmp);
		memset(w, 0, sizeof(*w));
		w->fd = -1;
		return rv;
	}
	writer_init(w, fd);
	w->path = xstrdup(path);
	w->tmp = tmp;
	return MOSAIC_OK;
}

void
kvfile_writer_init_fd(kvfile_writer *w, int fd)
{
	writer_init(w, fd);
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return MOSAIC_EIO;
		}
		p += k;
		n -= (size_t)k;
	}
	return MOSAIC_OK;
}

int
kvfile_writer_flush(kvfile_writer *w)
{
	if (!w->err && w->len > 0)
		w->err = write_all(w->fd, w->buf, w->len);
	w->len = 0;
	return w->err;
}

/* Makes room for n more bytes: flushes, and for a record longer than the
 * buffer, grows it (rare: streaming values can be long). */
static int
writer_reserve(kvfile_writer *w, size_t n)
{
	if (w->cap - w->len >= n)
		return MOSAIC_OK;
	if (kvfile_writer_flush(w))
		return w->err;
	if (n > w->cap) {
		w->cap = n;
		w->buf = xrealloc(w->buf, w->cap);
	}
	return MOSAIC_OK;
}

int
kvfile_put(kvfile_writer *w, const char *key, size_t klen, const char *val, size_t vlen)
{
	size_t n = klen + vlen + 2;
	if (w->err || writer_reserve(w, n))
		return w->err;
	char *p = w->buf + w->len;
	/* Empty keys and values may come without a buffer (NULL). */
	if (klen)
		memcpy(p, key, klen);
	p[klen] = '\t';
	if (vlen)
		memcpy(p + klen + 1, val, vlen);
	p[n - 1] = '\n';
	w->len += n;
	w->records++;
	w->bytes += n;
	return MOSAIC_OK;
}

int
kvfile_put_u64(kvfile_writer *w, const char *key, size_t klen, uint64_t v)
{
	char digits[20];
	size_t nd = 0;
	do {
		digits[sizeof(digits) - 1 - nd++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return kvfile_put(w, key, klen, digits + sizeof(digits) - nd, nd);
}

int
kvfile_put_raw(kvfile_writer *w, const char *data, size_t len)
{
	if (w->err || writer_reserve(w, len))
		return w->err;
	if (len)
		memcpy(w->buf + w->len, data, len);
	w->len += len;
	w->bytes += len;
	return MOSAIC_OK;
}

static void
writer_release(kvfile_writer *w)
{
	free(w->buf);
	free(w->path);
	free(w->tmp);
	w->buf = w->path = w->tmp = NULL;
	w->fd = -1;
	w->len = w->cap = 0;
}

int
kvfile_writer_close(kvfile_writer *w)
{
	if (!w->buf)
		return w->err;
	int err = kvfile_writer_flush(w);
	if (w->tmp) {
		if (close(w->fd) != 0 && !err)
			err = MOSAIC_EIO;
		if (!err && rename(w->tmp, w->path) != 0)
			err = MOSAIC_EIO;
		if (err)
			unlink(w->tmp);
	}
	w->err = err;
	writer_release(w);
	return err;
}

void
kvfile_writer_abort(kvfile_writer *w)
{
	if (!w->buf)
		return;
	if (w->tmp) {
		close(w->fd);
		unlink(w->tmp);
	}
	writer_release(w);
}

/* ---- reader ---- */

int
kvfile_reader_open(kvfile_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0)
		return errno == ENOENT ? MOSAIC_ENOENT : MOSAIC_EIO;
	r->cap = KVFILE_RBUF;
	r->buf = xmalloc(r->cap);
	return MOSAIC_OK;
}

void
kvfile_reader_init_mem(kvfile_reader *r, const void *data, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->buf = (char *)data;
	r->end = len;
	r->eof = true;
}

/* Reads more after the unread bytes, moving them to the front and growing the
 * buffer when a line fills it. Returns false when nothing more came. */
static bool
reader_fill(kvfile_reader *r)
{
	if (r->eof || r->err)
		return false;
	if (r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->end - r->pos);
		r->end -= r->pos;
		r->pos = 0;
	}
	if (r->end == r->cap) {
		if (r->cap >= KVFILE_MAX_LINE) {
			r->err = MOSAIC_ETOOBIG;
			return false;
		}
		r->cap *= 2;
		r->buf = xrealloc(r->buf, r->cap);
	}
	for (;;) {
		ssize_t k = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r->err = MOSAIC_EIO;
			return false;
		}
		if (k == 0) {
			r->eof = true;
			return false;
		}
		r->end += (size_t)k;
		return true;
	}
}

bool
kvfile_next_line(kvfile_reader *r, const char **line, size_t *len)
{
	size_t scanned = 0;
	for (;;) {
		char *start = r->buf + r->pos;
		size_t avail = r->end - r->pos;
		char *nl = memchr(start + scanned, '\n', avail - scanned);
		if (nl) {
			*line = start;
			*len = (size_t)(nl - start);
			r->pos += *len + 1;
			r->records++;
			return true;
		}
		scanned = avail;
		if (!reader_fill(r)) {
			if (r->err || r->pos == r->end)
				return false;
			/* A last line without '\n'. */
			*line = r->buf + r->pos;
			*len = r->end - r->pos;
			r->pos = r->end;
			r->records++;
			return true;
		}
	}
}

bool
kvfile_next(kvfile_reader *r, kvrec *rec)
{
	const char *line;
	size_t len;
	if (!kvfile_next_line(r, &line, &len))
		return false;
	kvrec_parse(rec, line, len);
	return true;
}

int
kvfile_reader_error(const kvfile_reader *r)
{
	return r->err;
}

void
kvfile_reader_close(kvfile_reader *r)
{
	if (r->fd >= 0) {
		close(r->fd);
		free(r->buf);
	}
	r->fd = -1;
	r->buf = NULL;
	r->pos = r->end = r->cap = 0;
	r->eof = true;
}
