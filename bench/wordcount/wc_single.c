/* wc_single.c - the baseline: a single-process word count in C written for
 * speed the usual way, independent of mapred's code. Reads the file in
 * 4 MiB chunks, walks it a byte at a time with a class table, hashes each
 * word (FNV-1a) while scanning it, counts in an open-addressing table with
 * words in an arena (no per-word malloc), and sorts only the distinct words
 * at the end. Same tokenization as mapred (maximal runs of [A-Za-z], case
 * kept); output "word\tcount\n" sorted byte-wise, i.e. the order of
 * `tr -cs A-Za-z '\n' | LC_ALL=C sort | uniq -c`.
 *
 * Usage: wc_single FILE [-o OUT]   (no -o: the counts are not written)
 * Prints its throughput in MB/s (10^6 bytes per second) on stderr. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"

#define CHUNK (4u << 20)

typedef struct slot {
	uint64_t hash; /* 0: empty */
	const char *word;
	uint32_t len;
	uint64_t count;
} slot;

static slot *tab;
static size_t tmask, tcount;
static char *arena;
static size_t arena_left;

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
grow(void)
{
	size_t ncap = (tmask + 1) * 2;
	slot *n = xcalloc(ncap, sizeof(slot));
	for (size_t i = 0; i <= tmask; i++)
		if (tab[i].hash) {
			size_t j = tab[i].hash & (ncap - 1);
			while (n[j].hash)
				j = (j + 1) & (ncap - 1);
			n[j] = tab[i];
		}
	free(tab);
	tab = n;
	tmask = ncap - 1;
}

static void
add(const char *w, uint32_t len, uint64_t h)
{
	h += !h; /* 0 marks an empty slot */
	size_t i = h & tmask;
	while (tab[i].hash) {
		if (tab[i].hash == h && tab[i].len == len && memcmp(tab[i].word, w, len) == 0) {
			tab[i].count++;
			return;
		}
		i = (i + 1) & tmask;
	}
	if (arena_left < len) {
		arena_left = len > (1u << 20) ? len : 1u << 20;
		arena = xmalloc(arena_left); /* chunks live until exit */
	}
	memcpy(arena, w, len);
	tab[i] = (slot){h, arena, len, 1};
	arena += len;
	arena_left -= len;
	if (2 * ++tcount > tmask + 1)
		grow();
}

static int
cmp(const void *a, const void *b)
{
	const slot *x = *(const slot *const *)a, *y = *(const slot *const *)b;
	int c = memcmp(x->word, y->word, x->len < y->len ? x->len : y->len);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

int
main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (!in)
			in = argv[i];
		else
			in = NULL, i = argc;
	}
	if (!in) {
		fprintf(stderr, "usage: wc_single FILE [-o OUT]\n");
		return 2;
	}
	int fd = open(in, O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "wc_single: %s: %s\n", in, strerror(errno));
		return 1;
	}
	static unsigned char letter[256];
	for (int c = 'a'; c <= 'z'; c++)
		letter[c] = letter[c - 'a' + 'A'] = 1;
	tmask = (1u << 16) - 1;
	tab = xcalloc(tmask + 1, sizeof(slot));

	double t0 = now();
	/* The buffer keeps the unfinished word of the last chunk at its front. */
	char *buf = xmalloc(CHUNK);
	size_t cap = CHUNK, carry = 0;
	uint64_t bytes = 0, words = 0;
	for (;;) {
		ssize_t k = read(fd, buf + carry, cap - carry);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			fprintf(stderr, "wc_single: read: %s\n", strerror(errno));
			return 1;
		}
		bytes += (uint64_t)k;
		size_t n = carry + (size_t)k, i = 0, start = 0;
		int eof = k == 0;
		while (i < n) {
			while (i < n && !letter[(unsigned char)buf[i]])
				i++;
			start = i;
			uint64_t h = 14695981039346656037ULL;
			while (i < n && letter[(unsigned char)buf[i]])
				h = (h ^ (unsigned char)buf[i++]) * 1099511628211ULL;
			if (i == start)
				break;
			if (i == n && !eof)
				break; /* may continue in the next chunk */
			add(buf + start, (uint32_t)(i - start), h);
			words++;
		}
		if (eof)
			break;
		carry = i == n && start < n ? n - start : 0;
		memmove(buf, buf + n - carry, carry);
		if (carry == cap) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	close(fd);
	double t1 = now();
	slot **sorted = xmalloc((tcount ? tcount : 1) * sizeof(slot *));
	size_t k = 0;
	for (size_t i = 0; i <= tmask; i++)
		if (tab[i].hash)
			sorted[k++] = &tab[i];
	qsort(sorted, k, sizeof(slot *), cmp);
	if (out) {
		FILE *f = fopen(out, "w");
		if (!f) {
			fprintf(stderr, "wc_single: %s: %s\n", out, strerror(errno));
			return 1;
		}
		static char obuf[1 << 20];
		setvbuf(f, obuf, _IOFBF, sizeof(obuf));
		for (size_t i = 0; i < k; i++) {
			fwrite(sorted[i]->word, 1, sorted[i]->len, f);
			fprintf(f, "\t%llu\n", (unsigned long long)sorted[i]->count);
		}
		if (fclose(f) != 0) {
			fprintf(stderr, "wc_single: %s: write failed\n", out);
			return 1;
		}
	}
	double t2 = now();
	fprintf(
	    stderr,
	    "wc_single: %llu bytes, %llu words, %zu distinct: count %.3f s (%.1f MB/s), sort+write %.3f s, "
	    "total %.3f s = %.1f MB/s\n",
	    (unsigned long long)bytes, (unsigned long long)words, k, t1 - t0, (double)bytes / (t1 - t0) / 1e6,
	    t2 - t1, t2 - t0, (double)bytes / (t2 - t0) / 1e6);
	return 0;
}
