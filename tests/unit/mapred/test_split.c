/* split: size parsing, block boundaries (lines across the boundary, no
 * trailing newline, a line longer than the block, empty file), the file and
 * memory paths agreeing, and the invariants on random files. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "mem.h"
#include "split.h"
#include "util.h"

static void
test_parse_size(void)
{
	uint64_t v;
	CHECK(split_parse_size("64M", &v) == 0 && v == 64ull << 20);
	CHECK(split_parse_size("1G", &v) == 0 && v == 1ull << 30);
	CHECK(split_parse_size("512K", &v) == 0 && v == 512ull << 10);
	CHECK(split_parse_size("512k", &v) == 0 && v == 512ull << 10);
	CHECK(split_parse_size("2T", &v) == 0 && v == 2ull << 40);
	CHECK(split_parse_size("64MB", &v) == 0 && v == 64ull << 20);
	CHECK(split_parse_size("64MiB", &v) == 0 && v == 64ull << 20);
	CHECK(split_parse_size("4096", &v) == 0 && v == 4096);
	v = 7;
	CHECK(split_parse_size("0", &v) == MOSAIC_EINVAL && v == 7);
	CHECK(split_parse_size("", &v) == MOSAIC_EINVAL);
	CHECK(split_parse_size(NULL, &v) == MOSAIC_EINVAL);
	CHECK(split_parse_size("M", &v) == MOSAIC_EINVAL);
	CHECK(split_parse_size("-1M", &v) == MOSAIC_EINVAL);
	CHECK(split_parse_size("1.5G", &v) == MOSAIC_EINVAL);
	CHECK(split_parse_size("10X", &v) == MOSAIC_EINVAL);
	CHECK(split_parse_size("10MX", &v) == MOSAIC_EINVAL);
	CHECK(split_parse_size(" 10M", &v) == MOSAIC_EINVAL);
	CHECK(split_parse_size("99999999999T", &v) == MOSAIC_EINVAL);
	CHECK(split_parse_size("99999999999999999999999", &v) == MOSAIC_EINVAL);
}

/* Checks the blocks of s against block size bs; 1 when they are right. */
static int
blocks_ok(const char *s, size_t len, uint64_t bs, const split_block *b, size_t n)
{
	uint64_t at = 0;
	for (size_t i = 0; i < n; i++) {
		if (b[i].offset != at || b[i].length == 0)
			return 0;
		uint64_t end = at + b[i].length;
		if (end > len)
			return 0;
		/* Ends after a newline, or at the end of the file. */
		if (end < len && s[end - 1] != '\n')
			return 0;
		/* Over the block size only as one whole line. */
		if (b[i].length > bs && memchr(s + at, '\n', b[i].length - 1))
			return 0;
		/* As full as it can be: the next line would not have fit. */
		if (end < len) {
			const char *nl = memchr(s + end, '\n', len - end);
			uint64_t next_end = nl ? (uint64_t)(nl - s) + 1 : len;
			if (b[i].length <= bs && next_end - at <= bs)
				return 0;
		}
		at = end;
	}
	return at == len;
}

static void
test_cases(void)
{
	split_block *b;
	size_t n;
	/* Empty input: no block. */
	CHECK_OK(split_buf("", 0, 10, &b, &n));
	CHECK(n == 0 && b == NULL);
	CHECK(split_buf("abc\n", 4, 0, &b, &n) == MOSAIC_EINVAL);

	/* Lines crossing the boundary: "aaaa\n" "bbbb\n" "cccc\n", bs 7: the
	 * second line would cross 7, so each block is one line. */
	const char *s = "aaaa\nbbbb\ncccc\n";
	CHECK_OK(split_buf(s, 15, 7, &b, &n));
	CHECK(n == 3 && b[0].offset == 0 && b[0].length == 5 && b[1].offset == 5 && b[1].length == 5 &&
	      b[2].offset == 10 && b[2].length == 5);
	free(b);
	/* bs 10: a boundary right after a newline takes both lines. */
	CHECK_OK(split_buf(s, 15, 10, &b, &n));
	CHECK(n == 2 && b[0].length == 10 && b[1].offset == 10 && b[1].length == 5);
	free(b);
	/* bs >= file: one block. */
	CHECK_OK(split_buf(s, 15, 64, &b, &n));
	CHECK(n == 1 && b[0].length == 15);
	free(b);

	/* No trailing newline: the last block ends at the end of the file. */
	const char *t = "ab\ncd\nef";
	CHECK_OK(split_buf(t, 8, 4, &b, &n));
	CHECK(n == 3 && b[0].length == 3 && b[1].length == 3 && b[2].offset == 6 && b[2].length == 2);
	free(b);

	/* A line longer than the block goes whole into a block of its own. */
	const char *u = "ab\n0123456789012345\ncd\n";
	CHECK_OK(split_buf(u, strlen(u), 8, &b, &n));
	CHECK(n == 3 && b[0].length == 3 && b[1].offset == 3 && b[1].length == 17 && b[2].offset == 20 &&
	      b[2].length == 3);
	free(b);
	/* ... also when it is the last line, with no newline at all. */
	const char *v = "x\nyyyyyyyyyyyyyyyyyyyy";
	CHECK_OK(split_buf(v, strlen(v), 5, &b, &n));
	CHECK(n == 2 && b[0].length == 2 && b[1].length == strlen(v) - 2);
	free(b);
	/* A file without any newline is one block whatever the size. */
	CHECK_OK(split_buf("abcdefgh", 8, 3, &b, &n));
	CHECK(n == 1 && b[0].length == 8);
	free(b);
	/* bs 1: one line per block. */
	CHECK_OK(split_buf("a\nb\n\nc\n", 7, 1, &b, &n));
	CHECK(n == 4 && b[2].offset == 4 && b[2].length == 1);
	free(b);
}

static void
test_random_files(const char *dir)
{
	uint64_t seed = 42;
	char *path = xasprintf("%s/f", dir);
	for (int round = 0; round < 60; round++) {
		/* Up to 300 KiB: windows of 64 KiB are crossed; some lines run
		 * to 100 KiB, over most block sizes. */
		size_t len = 0, cap = 1;
		char *s = xmalloc(cap);
		size_t target =
		    (size_t)((seed = seed * 6364136223846793005ULL + 1442695040888963407ULL) >> 45);
		while (len < target) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			size_t line = (seed >> 60) == 0 ? (seed >> 20) % 100000 : (seed >> 33) % 120;
			if (len + line + 1 > cap) {
				cap = (len + line + 1) * 2;
				s = xrealloc(s, cap);
			}
			memset(s + len, 'x', line);
			len += line;
			s[len++] = '\n';
		}
		if (round % 3 == 0 && len > 0)
			s[len - 1] = 'y'; /* no trailing newline */
		uint64_t bs = 1 + ((seed >> 17) % 70000);
		split_block *b1, *b2;
		size_t n1, n2;
		CHECK_OK(split_buf(s, len, bs, &b1, &n1));
		CHECK(blocks_ok(s, len, bs, b1, n1));
		CHECK_OK(util_write_file_atomic(path, s, len));
		CHECK_OK(split_file(path, bs, &b2, &n2));
		CHECK(n1 == n2 && (n1 == 0 || memcmp(b1, b2, n1 * sizeof(*b1)) == 0));
		free(b1);
		free(b2);
		free(s);
	}
	split_block *b;
	size_t n;
	CHECK(split_file("/nonexistent/file", 10, &b, &n) == MOSAIC_ENOENT && n == 0);
	CHECK(split_fd(-1, 10, &b, &n) == MOSAIC_EIO);
	free(path);
}

int
main(void)
{
	char *dir = xstrdup("/tmp/mosaic-test-split-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_parse_size();
	test_cases();
	test_random_files(dir);
	util_remove_tree(dir);
	free(dir);
	return check_done();
}
