/* gen_text.c - writes N bytes of English-like text for the word-count
 * benchmarks: words drawn from a Zipf distribution (exponent 1, as word
 * frequencies in English prose) over a vocabulary synthesized from the seed
 * (V words, frequent ones short, letters with English frequencies, 2% proper
 * nouns always capitalized), sentences starting with a capital, commas and
 * other punctuation, a few numbers, contractions and accented (UTF-8)
 * words, and a line break every 60-100 characters with a blank line now
 * and then. The same seed and size give the same bytes.
 *
 * Usage: gen_text [-s SEED] [-v VOCAB] SIZE OUTFILE   (SIZE: 64M, 1G, ...)
 * A benchmark tool, not a test. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "split.h"

#define OUT_BUF (4u << 20)

static uint64_t rng;

/* wyrand: one multiply per 64 random bits. */
static inline uint64_t
next(void)
{
	rng += 0xa0761d6478bd642fULL;
	unsigned __int128 r = (unsigned __int128)rng * (rng ^ 0xe7037ed1a0b428dbULL);
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Uniform in [0, n) from 32 random bits. */
static inline uint32_t
below(uint32_t bits, uint32_t n)
{
	return (uint32_t)(((uint64_t)bits * n) >> 32);
}

/* A word as stored: its letters in memory order (up to 14 bytes), its
 * length in the last byte; copied out 16 bytes at a time. */
typedef struct vword {
	char lower[15];
	uint8_t len;
	char upper[15]; /* the same word with a capital first letter */
	uint8_t pad;
} vword;

typedef struct alias_ent {
	uint32_t cut; /* keep this rank when the 32-bit coin < cut */
	uint32_t alias;
} alias_ent;

typedef struct vocab {
	uint32_t n;
	vword *w;
	alias_ent *tab; /* Vose alias table for the Zipf distribution */
} vocab;

/* English letter frequencies (per mille), a..z. */
static const int letter_freq[26] = {82, 15, 28, 43, 127, 22, 20, 61, 70, 2,  8, 40, 24,
                                    67, 75, 19, 1,  60,  63, 91, 28, 10, 24, 2, 20, 1};

static uint64_t
fnv(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static void
vocab_build(vocab *v, uint32_t n)
{
	/* Letters drawn by English frequency, vowels and consonants mostly
	 * alternating, so words look pronounceable ("tenor", "aspil"). */
	char vow[1000], con[1000];
	int nv = 0, nc = 0;
	for (int c = 0; c < 26; c++)
		for (int j = 0; j < letter_freq[c]; j++) {
			if (strchr("aeiou", 'a' + c))
				vow[nv++] = (char)('a' + c);
			else
				con[nc++] = (char)('a' + c);
		}
	v->n = n;
	v->w = xcalloc(n, sizeof(vword));
	/* A set of the words made so far, to keep them distinct. */
	size_t hcap = 1;
	while (hcap < 4 * (size_t)n)
		hcap <<= 1;
	uint64_t *seen = xcalloc(hcap, sizeof(uint64_t));
	for (uint32_t r = 0; r < n; r++) {
		vword *vw = &v->w[r];
		char *w = vw->lower;
		double mean = 2.4 + 1.6 * log10((double)r + 1);
		for (int tries = 0;; tries++) {
			int len = (int)(mean + (double)(next() % 5) - 2 + tries / 8);
			len = len < 1 ? 1 : len > 12 ? 12 : len;
			int vowel = next() % 3 == 0;
			for (int i = 0; i < len; i++) {
				w[i] = vowel ? vow[next() % (uint64_t)nv] : con[next() % (uint64_t)nc];
				vowel = vowel ? next() % 5 == 0 : next() % 10 < 7;
			}
			uint64_t h = fnv(w, (size_t)len) | 1;
			size_t i = h & (hcap - 1);
			while (seen[i] && seen[i] != h)
				i = (i + 1) & (hcap - 1);
			if (seen[i] == h)
				continue; /* taken (or a hash twin): draw again */
			seen[i] = h;
			vw->len = (uint8_t)len;
			break;
		}
		/* A few contractions ("don't": the tokenizer sees "don", "t"). */
		if (r > 20 && next() % 200 == 0 && vw->len <= 10) {
			memcpy(w + vw->len, "'t", 2);
			vw->len += 2;
		}
		memcpy(vw->upper, w, sizeof(vw->upper));
		vw->upper[0] = (char)(vw->upper[0] - 'a' + 'A');
		/* Proper nouns are always capitalized. */
		if (r > 50 && next() % 50 == 0)
			memcpy(w, vw->upper, sizeof(vw->upper));
	}
	free(seen);

	/* Zipf weights 1/(r+1), then Vose's alias method: O(1) per draw. */
	double *p = xmalloc(n * sizeof(double)), sum = 0;
	for (uint32_t r = 0; r < n; r++)
		sum += p[r] = 1.0 / (r + 1);
	uint32_t *small = xmalloc(n * sizeof(uint32_t)), *large = xmalloc(n * sizeof(uint32_t));
	uint32_t ns = 0, nl = 0;
	for (uint32_t r = 0; r < n; r++) {
		p[r] = p[r] / sum * n;
		if (p[r] < 1)
			small[ns++] = r;
		else
			large[nl++] = r;
	}
	v->tab = xmalloc(n * sizeof(alias_ent));
	while (ns && nl) {
		uint32_t s = small[--ns], l = large[nl - 1];
		v->tab[s].cut = (uint32_t)(p[s] * 4294967295.0);
		v->tab[s].alias = l;
		p[l] -= 1 - p[s];
		if (p[l] < 1) {
			nl--;
			small[ns++] = l;
		}
	}
	while (nl) {
		uint32_t l = large[--nl];
		v->tab[l] = (alias_ent){UINT32_MAX, l};
	}
	while (ns) {
		uint32_t s = small[--ns];
		v->tab[s] = (alias_ent){UINT32_MAX, s};
	}
	free(small);
	free(large);
	free(p);
}

/* Draws BATCH ranks. The alias table and the vocabulary are larger than the
 * caches and the first index of an alias draw is uniform, so one word at a
 * time waits on two cache misses; drawing a batch with prefetches lets the
 * misses overlap. */
enum { BATCH = 256 };

static void
draw_batch(const vocab *v, uint32_t *rank)
{
	uint32_t coin[BATCH];
	for (int i = 0; i < BATCH; i++) {
		uint64_t a = next();
		rank[i] = below((uint32_t)a, v->n);
		coin[i] = (uint32_t)(a >> 32);
		__builtin_prefetch(&v->tab[rank[i]]);
	}
	for (int i = 0; i < BATCH; i++) {
		const alias_ent *e = &v->tab[rank[i]];
		rank[i] = coin[i] < e->cut ? rank[i] : e->alias;
		__builtin_prefetch(&v->w[rank[i]]);
	}
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	uint64_t seed = 1, size;
	uint32_t nvocab = 200000;
	int opt;
	while ((opt = getopt(argc, argv, "s:v:")) != -1) {
		if (opt == 's')
			seed = strtoull(optarg, NULL, 0);
		else if (opt == 'v')
			nvocab = (uint32_t)strtoul(optarg, NULL, 0);
		else
			goto usage;
	}
	if (argc - optind != 2 || split_parse_size(argv[optind], &size) != 0 || nvocab < 100)
		goto usage;
	int fd = open(argv[optind + 1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fprintf(stderr, "gen_text: %s: %s\n", argv[optind + 1], strerror(errno));
		return 1;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rng = seed;
	vocab v;
	vocab_build(&v, nvocab);

	/* Room for one more word and its punctuation past the flush mark. */
	char *buf = xmalloc(OUT_BUF + 64);
	size_t len = 0, col = 0, line_target = 80;
	uint64_t written = 0;
	int cap_next = 1, lines = 0, bi = BATCH;
	uint32_t rank[BATCH];
	while (written + len < size) {
		if (bi == BATCH) {
			draw_batch(&v, rank);
			bi = 0;
		}
		const vword *w = &v.w[rank[bi++]];
		uint64_t b = next();
		uint32_t dice = (uint32_t)b % 1000;
		if (dice < 3) { /* a number */
			len += (size_t)sprintf(buf + len, "%u", (unsigned)(b >> 40) % 3000);
		} else if (dice < 4) { /* an accented word: "caf\xc3\xa9" */
			memcpy(buf + len, w->lower, 16);
			len += w->len;
			memcpy(buf + len, "\xc3\xa9", 2);
			len += 2;
		} else {
			memcpy(buf + len, cap_next ? w->upper : w->lower, 16);
			len += w->len;
		}
		col += w->len + 1u;
		cap_next = 0;
		uint32_t punct = (uint32_t)(b >> 16) % 1000;
		if (punct < 55) {
			buf[len++] = ',';
		} else if (punct < 105) {
			buf[len++] = '.';
			cap_next = 1;
		} else if (punct < 110) {
			buf[len++] = "?!;:"[punct % 4];
			cap_next = punct % 4 < 2;
		}
		if (col >= line_target) {
			buf[len++] = '\n';
			col = 0;
			line_target = 60 + (b >> 50) % 41;
			if (++lines % 20 == 0 && (b >> 48) % 2) { /* a paragraph */
				buf[len++] = '\n';
				cap_next = 1;
			}
		} else {
			buf[len++] = ' ';
		}
		if (len >= OUT_BUF) {
			if (written + len > size)
				break;
			if (write_all(fd, buf, len) != 0)
				goto fail;
			written += len;
			len = 0;
		}
	}
	/* Exactly size bytes, ending with a newline. */
	len = (size_t)(size - written);
	if (len > 0)
		buf[len - 1] = '\n';
	if (write_all(fd, buf, len) != 0 || close(fd) != 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "gen_text: %llu bytes, vocabulary %u words, seed %llu, in %.2f s = %.0f MB/s\n",
	        (unsigned long long)size, v.n, (unsigned long long)seed, s, (double)size / s / 1e6);
	free(buf);
	free(v.w);
	free(v.tab);
	return 0;
fail:
	fprintf(stderr, "gen_text: write %s: %s\n", argv[optind + 1], strerror(errno));
	free(buf);
	free(v.w);
	free(v.tab);
	return 1;
usage:
	fprintf(stderr, "usage: gen_text [-s SEED] [-v VOCAB>=100] SIZE OUTFILE   (SIZE: 64M, 1G, ...)\n");
	return 2;
}
