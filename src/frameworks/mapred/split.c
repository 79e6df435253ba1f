#include "split.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

#define SPLIT_WINDOW (64u << 10)

int
split_parse_size(const char *s, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return MOSAIC_EINVAL;
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return MOSAIC_EINVAL;
		v = v * 10 + d;
	}
	unsigned shift = 0;
	switch (*s) {
	case '\0': break;
	case 'k':
	case 'K': shift = 10; break;
	case 'm':
	case 'M': shift = 20; break;
	case 'g':
	case 'G': shift = 30; break;
	case 't':
	case 'T': shift = 40; break;
	default: return MOSAIC_EINVAL;
	}
	if (shift) {
		s++;
		if (*s && strcasecmp(s, "b") != 0 && strcasecmp(s, "ib") != 0)
			return MOSAIC_EINVAL;
	}
	if (v == 0 || v > (UINT64_MAX >> shift))
		return MOSAIC_EINVAL;
	*out = v << shift;
	return MOSAIC_OK;
}

/* The bytes being split: a file read with pread, or memory. */
typedef struct split_src {
	int fd;
	const char *mem;
	uint64_t size;
	char *win; /* window buffer for the file case */
} split_src;

/* Points *p at len bytes at off (len <= SPLIT_WINDOW, off + len <= size). */
static int
src_read(split_src *s, uint64_t off, size_t len, const char **p)
{
	if (s->mem) {
		*p = s->mem + off;
		return MOSAIC_OK;
	}
	size_t got = 0;
	while (got < len) {
		ssize_t k = pread(s->fd, s->win + got, len - got, (off_t)(off + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) /* a short file: it shrank under us */
			return MOSAIC_EIO;
		got += (size_t)k;
	}
	*p = s->win;
	return MOSAIC_OK;
}

/* The last '\n' in [lo, hi), searched backwards window by window; *found
 * false if none. */
static int
last_newline(split_src *s, uint64_t lo, uint64_t hi, uint64_t *pos, bool *found)
{
	*found = false;
	while (hi > lo) {
		size_t len = hi - lo > SPLIT_WINDOW ? SPLIT_WINDOW : (size_t)(hi - lo);
		const char *p;
		int rv = src_read(s, hi - len, len, &p);
		if (rv)
			return rv;
		const char *nl = memrchr(p, '\n', len);
		if (nl) {
			*pos = hi - len + (uint64_t)(nl - p);
			*found = true;
			return MOSAIC_OK;
		}
		hi -= len;
	}
	return MOSAIC_OK;
}

/* The first '\n' at or after from; size if none. */
static int
next_newline(split_src *s, uint64_t from, uint64_t *pos)
{
	while (from < s->size) {
		size_t len = s->size - from > SPLIT_WINDOW ? SPLIT_WINDOW : (size_t)(s->size - from);
		const char *p;
		int rv = src_read(s, from, len, &p);
		if (rv)
			return rv;
		const char *nl = memchr(p, '\n', len);
		if (nl) {
			*pos = from + (uint64_t)(nl - p);
			return MOSAIC_OK;
		}
		from += len;
	}
	*pos = s->size;
	return MOSAIC_OK;
}

static int
split_src_run(split_src *s, uint64_t bs, split_block **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (bs == 0)
		return MOSAIC_EINVAL;
	split_block *blocks = NULL;
	size_t nb = 0, cap = 0;
	uint64_t start = 0;
	int rv = MOSAIC_OK;
	while (start < s->size) {
		uint64_t end;
		if (s->size - start <= bs) {
			end = s->size;
		} else {
			uint64_t nl;
			bool found;
			if ((rv = last_newline(s, start, start + bs, &nl, &found)) != 0)
				break;
			if (!found && (rv = next_newline(s, start + bs, &nl)) != 0)
				break;
			end = nl < s->size ? nl + 1 : s->size;
		}
		if (nb == cap) {
			cap = cap ? cap * 2 : 16;
			blocks = xrealloc(blocks, cap * sizeof(*blocks));
		}
		blocks[nb].offset = start;
		blocks[nb].length = end - start;
		nb++;
		start = end;
	}
	if (rv) {
		free(blocks);
		return rv;
	}
	*out = blocks;
	*n = nb;
	return MOSAIC_OK;
}

int
split_fd(int fd, uint64_t block_size, split_block **out, size_t *n)
{
	struct stat st;
	*out = NULL;
	*n = 0;
	if (fstat(fd, &st) != 0)
		return MOSAIC_EIO;
	split_src s = {.fd = fd, .size = (uint64_t)st.st_size, .win = xmalloc(SPLIT_WINDOW)};
	int rv = split_src_run(&s, block_size, out, n);
	free(s.win);
	return rv;
}

int
split_file(const char *path, uint64_t block_size, split_block **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? MOSAIC_ENOENT : MOSAIC_EIO;
	int rv = split_fd(fd, block_size, out, n);
	close(fd);
	return rv;
}

int
split_buf(const void *data, size_t len, uint64_t block_size, split_block **out, size_t *n)
{
	split_src s = {.fd = -1, .mem = data ? data : "", .size = len};
	return split_src_run(&s, block_size, out, n);
}
