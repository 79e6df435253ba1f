#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

int
util_parse_duration(const char *s, double *out)
{
	if (!s || !*s)
		return MOSAIC_EINVAL;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return MOSAIC_EINVAL;
	double mult = 1;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		mult = 1;
	else if (strcmp(end, "ms") == 0)
		mult = 0.001;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mult = 60;
	else if (strcmp(end, "h") == 0)
		mult = 3600;
	else if (strcmp(end, "d") == 0)
		mult = 86400;
	else if (strcmp(end, "w") == 0)
		mult = 7 * 86400;
	else
		return MOSAIC_EINVAL;
	*out = v * mult;
	return MOSAIC_OK;
}

int
util_mkdir_p(const char *path)
{
	/* The common case is a new leaf under an existing parent: try it
	 * first, and walk up only when a parent is missing. (Creating every
	 * level each time costs a system call per level per task.) */
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return MOSAIC_OK;
	if (errno != ENOENT)
		return MOSAIC_EIO;
	char *p = xstrdup(path);
	char *slash = strrchr(p, '/');
	while (slash && slash > p && slash[-1] == '/')
		slash--;
	int rv = MOSAIC_EIO;
	if (slash && slash != p) {
		*slash = '\0';
		if (util_mkdir_p(p) == MOSAIC_OK)
			rv = (mkdir(path, 0755) == 0 || errno == EEXIST) ? MOSAIC_OK : MOSAIC_EIO;
	}
	free(p);
	return rv;
}

int
util_read_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? MOSAIC_ENOENT : MOSAIC_EIO;
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(buf);
				close(fd);
				return MOSAIC_ETOOBIG;
			}
			cap = cap * 2 > max ? max : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			close(fd);
			return MOSAIC_EIO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > max) {
		free(buf);
		return MOSAIC_ETOOBIG;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return MOSAIC_OK;
}

int
util_write_file_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(tmp);
		return MOSAIC_EIO;
	}
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			close(fd);
			unlink(tmp);
			free(tmp);
			return MOSAIC_EIO;
		}
		p += w;
		left -= (size_t)w;
	}
	int rv = (fsync(fd) == 0 && close(fd) == 0 && rename(tmp, path) == 0) ? MOSAIC_OK : MOSAIC_EIO;
	if (rv)
		unlink(tmp);
	free(tmp);
	return rv;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int
util_remove_tree(const char *path)
{
	if (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
		return MOSAIC_EIO;
	return MOSAIC_OK;
}

uint32_t
util_fnv1a(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

uint32_t
util_hash_str(const char *s)
{
	return util_fnv1a(UTIL_FNV1A_SEED, s, strlen(s));
}

uint32_t
util_hash_pair(const char *a, const char *b)
{
	return util_fnv1a(util_fnv1a(util_fnv1a(UTIL_FNV1A_SEED, a, strlen(a)), "/", 1), b, strlen(b));
}
