#include "wordcount.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "errors.h"
#include "kvfile.h"
#include "mem.h"
#include "partition.h"

#define WC_CHUNK (1u << 20)
/* The scanner reads up to 64 bytes past the end of the text it is given
 * (whole 64-byte blocks, 8-byte loads of a word's tail); the buffer has
 * that much slack, whose bytes are masked out. */
#define WC_PAD 128
#define WC_ARENA_CHUNK (1u << 20)
#define WC_MIN_SLOTS 1024
/* Words hashed ahead of their look-up, their slots prefetched meanwhile. */
#define WC_BATCH 32
#define WC_HUGE (2u << 20)

/* One slot: 32 bytes, two per cache line. tag is len << 32 | hash32, with
 * len 0 marking an empty slot; prefix is the word's first 8 bytes,
 * zero-padded, so a word of up to 8 letters is compared without touching
 * the arena. */
typedef struct wc_slot {
	uint64_t tag;
	uint64_t prefix;
	const char *word;
	uint64_t count;
} wc_slot;

typedef struct wc_arena_chunk {
	struct wc_arena_chunk *next;
	size_t used, cap;
	char data[];
} wc_arena_chunk;

struct wc_table {
	wc_slot *slots;
	size_t mask; /* slots - 1 */
	size_t n;    /* words held */
	uint64_t total;
	wc_arena_chunk *arena; /* newest chunk first */
	size_t arena_bytes;
	char *buf; /* scan buffer, bufcap + WC_PAD bytes */
	size_t bufcap;
};

static inline uint64_t
load64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* The first n (< 8) bytes of a load64, in memory order. */
static inline uint64_t
keep_bytes(uint64_t v, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return v & ((1ULL << (8 * n)) - 1);
#else
	return n ? v & ~((1ULL << (64 - 8 * n)) - 1) : 0;
#endif
}

/* 64x64 -> 128 multiply folded to 64 bits (as wyhash): every input bit
 * reaches every output bit in one multiply. */
static inline uint64_t
mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
	uint64_t h = a * b;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32) ^ ((a ^ b) >> 31);
#endif
}

/* The in-process hash of a word (not the partition hash: it depends on
 * endianness). v0 is the word's masked first 8 bytes. */
static inline uint64_t
word_hash(const char *w, size_t len, uint64_t v0)
{
	uint64_t h = mum(v0 ^ 0xa0761d6478bd642fULL, len ^ 0xe7037ed1a0b428dbULL);
	for (size_t i = 8; i < len; i += 8) {
		uint64_t c = load64(w + i);
		if (len - i < 8)
			c = keep_bytes(c, len - i);
		h = mum(h ^ c ^ 0x8ebc6af09c88c6e3ULL, 0x589965cc75374cc3ULL);
	}
	return h;
}

static char *
arena_copy(wc_table *t, const char *w, size_t len)
{
	wc_arena_chunk *c = t->arena;
	if (!c || c->cap - c->used < len) {
		size_t cap = len > WC_ARENA_CHUNK ? len : WC_ARENA_CHUNK;
		c = xmalloc(sizeof(*c) + cap);
		c->next = t->arena;
		c->used = 0;
		c->cap = cap;
		t->arena = c;
		t->arena_bytes += sizeof(*c) + cap;
	}
	char *p = c->data + c->used;
	memcpy(p, w, len);
	c->used += len;
	return p;
}

/* A zeroed slot array. The slots of a block's vocabulary span tens of MiB
 * and are hit at random: with 4 KiB pages nearly every look-up of a rare
 * word also misses the TLB (and in a VM a page walk is costly), so large
 * arrays ask for transparent huge pages. free() releases either kind. */
static wc_slot *
slots_alloc(size_t n)
{
	size_t bytes = n * sizeof(wc_slot);
	if (bytes < WC_HUGE)
		return xcalloc(n, sizeof(wc_slot));
	void *p;
	if (posix_memalign(&p, WC_HUGE, bytes) != 0)
		return xcalloc(n, sizeof(wc_slot));
#ifdef MADV_HUGEPAGE
	madvise(p, bytes, MADV_HUGEPAGE); /* advice only: fine if refused */
#endif
	memset(p, 0, bytes);
	return p;
}

void
wc_table_new(wc_table **out)
{
	wc_table *t = xcalloc(1, sizeof(*t));
	t->slots = slots_alloc(WC_MIN_SLOTS);
	t->mask = WC_MIN_SLOTS - 1;
	*out = t;
}

static void
arena_free(wc_table *t)
{
	while (t->arena) {
		wc_arena_chunk *next = t->arena->next;
		free(t->arena);
		t->arena = next;
	}
	t->arena_bytes = 0;
}

void
wc_table_free(wc_table *t)
{
	if (!t)
		return;
	arena_free(t);
	free(t->slots);
	free(t->buf);
	free(t);
}

void
wc_table_clear(wc_table *t)
{
	/* Back to the size of a new table: a caller clears to bring the memory
	 * held under a limit, and the slots can be most of it. */
	arena_free(t);
	free(t->slots);
	t->slots = slots_alloc(WC_MIN_SLOTS);
	t->mask = WC_MIN_SLOTS - 1;
	t->n = 0;
	t->total = 0;
}

static void
table_grow(wc_table *t)
{
	size_t ncap = (t->mask + 1) * 2;
	wc_slot *ns = slots_alloc(ncap);
	for (size_t i = 0; i <= t->mask; i++) {
		wc_slot *s = &t->slots[i];
		if (!s->tag)
			continue;
		size_t j = (uint32_t)s->tag & (ncap - 1);
		while (ns[j].tag)
			j = (j + 1) & (ncap - 1);
		ns[j] = *s;
	}
	free(t->slots);
	t->slots = ns;
	t->mask = ncap - 1;
}

/* A word found by the scanner, hashed, waiting for its look-up. */
typedef struct wc_word {
	const char *w; /* w + 8 must stay readable */
	uint64_t v0;   /* first 8 bytes, zero-padded */
	uint64_t tag;  /* len << 32 | hash */
} wc_word;

static inline void
word_prep(wc_word *x, const char *w, size_t len)
{
	uint64_t v0 = load64(w);
	if (len < 8)
		v0 = keep_bytes(v0, len);
	x->w = w;
	x->v0 = v0;
	x->tag = (uint64_t)len << 32 | (uint32_t)(word_hash(w, len, v0) >> 32);
}

/* Adds n occurrences of the prepared word x. */
static inline void
table_add(wc_table *t, const wc_word *x, uint64_t n)
{
	size_t len = (size_t)(x->tag >> 32);
	size_t i = (uint32_t)x->tag & t->mask;
	for (;;) {
		wc_slot *s = &t->slots[i];
		if (s->tag == x->tag && s->prefix == x->v0 &&
		    (len <= 8 || memcmp(s->word + 8, x->w + 8, len - 8) == 0)) {
			s->count += n;
			t->total += n;
			return;
		}
		if (!s->tag)
			break;
		i = (i + 1) & t->mask;
	}
	/* A new word: keep the load factor at most 1/2, short probe runs. */
	if (2 * (t->n + 1) > t->mask + 1) {
		table_grow(t);
		i = (uint32_t)x->tag & t->mask;
		while (t->slots[i].tag)
			i = (i + 1) & t->mask;
	}
	wc_slot *s = &t->slots[i];
	s->tag = x->tag;
	s->prefix = x->v0;
	s->word = arena_copy(t, x->w, len);
	s->count = n;
	t->n++;
	t->total += n;
}

/* Looks up a batch of words. Their slots were prefetched as they were
 * hashed; a long word also needs its stored bytes, so those are prefetched
 * one pass ahead. Rare words miss the caches, and this way their misses
 * overlap instead of queueing one word at a time. */
static void
batch_flush(wc_table *t, const wc_word *b, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (b[k].tag >> 32 <= 8)
			continue;
		const wc_slot *s = &t->slots[(uint32_t)b[k].tag & t->mask];
		if (s->tag == b[k].tag)
			__builtin_prefetch(s->word + 8);
	}
	for (size_t k = 0; k < n; k++)
		table_add(t, &b[k], 1);
}

/* Bit i set when byte p[i] is an ASCII letter, for 64 bytes. */
static inline uint64_t
letters64(const char *p)
{
#ifdef __SSE2__
	/* (c | 0x20) folds upper to lower case; adding 0x80 - 'a' moves 'a'..'z'
	 * to the bottom of the signed range, so one signed compare tests the
	 * range. No byte >= 0x80 lands there. */
	const __m128i lower = _mm_set1_epi8(0x20);
	const __m128i bias = _mm_set1_epi8((char)(0x80 - 'a'));
	const __m128i limit = _mm_set1_epi8((char)(0x80 + 26));
	uint64_t m = 0;
	for (int k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		v = _mm_add_epi8(_mm_or_si128(v, lower), bias);
		m |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmplt_epi8(v, limit)) << (16 * k);
	}
	return m;
#else
	uint64_t m = 0;
	for (int k = 0; k < 64; k++) {
		unsigned c = ((unsigned char)p[k] | 0x20) - 'a';
		m |= (uint64_t)(c < 26) << k;
	}
	return m;
#endif
}

static inline bool
is_letter(unsigned char c)
{
	return (unsigned)((c | 0x20) - 'a') < 26;
}

/* Counts the words of p[0, n); p has WC_PAD readable bytes after n. Letters
 * come as 64-bit masks; the set bits of m ^ (m << 1 | carry) are where runs
 * of letters begin and end, alternately. */
static void
wc_scan(wc_table *t, const char *p, size_t n)
{
	wc_word batch[WC_BATCH];
	size_t nb = 0;
	uint64_t carry = 0; /* was the byte before this block a letter */
	size_t start = 0;   /* where the open word began */
	for (size_t i = 0; i <= n; i += 64) {
		uint64_t m = letters64(p + i);
		if (n - i < 64)
			m &= (1ULL << (n - i)) - 1;
		uint64_t edges = m ^ (m << 1 | carry);
		carry = m >> 63;
		while (edges) {
			size_t b = (size_t)__builtin_ctzll(edges);
			edges &= edges - 1;
			if (m >> b & 1) {
				start = i + b;
				continue;
			}
			/* A word ends before byte i + b. */
			word_prep(&batch[nb], p + start, i + b - start);
			__builtin_prefetch(&t->slots[(uint32_t)batch[nb].tag & t->mask]);
			if (++nb == WC_BATCH) {
				batch_flush(t, batch, nb);
				nb = 0;
			}
		}
	}
	batch_flush(t, batch, nb);
}

/* Where the text counted comes from: a file range or memory. */
typedef struct wc_src {
	int fd;
	const char *mem;
	uint64_t off;  /* next byte to read */
	uint64_t left; /* bytes still to read (UINT64_MAX: to the end) */
} wc_src;

static int
src_read(wc_src *s, char *dst, size_t want, size_t *got)
{
	if (want > s->left)
		want = (size_t)s->left;
	*got = 0;
	if (want == 0)
		return MOSAIC_OK;
	if (s->mem) {
		memcpy(dst, s->mem + s->off, want);
		*got = want;
	} else {
		ssize_t k;
		do
			k = pread(s->fd, dst, want, (off_t)s->off);
		while (k < 0 && errno == EINTR);
		if (k < 0)
			return MOSAIC_EIO;
		*got = (size_t)k;
		if (k == 0)
			s->left = 0; /* end of file */
	}
	s->off += *got;
	if (s->left != UINT64_MAX)
		s->left -= *got;
	return MOSAIC_OK;
}

/* Reads and counts chunk after chunk. A chunk is counted up to its last
 * non-letter; the unfinished word after it moves to the front of the buffer
 * and the next read appends to it. */
static int
wc_run(wc_table *t, wc_src *s, size_t mem_limit, uint64_t *consumed)
{
	if (!t->buf) {
		t->bufcap = WC_CHUNK;
		t->buf = xcalloc(1, t->bufcap + WC_PAD);
	}
	size_t carry = 0;
	uint64_t done = 0;
	int rv = MOSAIC_OK;
	for (;;) {
		size_t got;
		if ((rv = src_read(s, t->buf + carry, t->bufcap - carry, &got)) != 0)
			break;
		size_t n = carry + got;
		bool final = got == 0 || s->left == 0;
		size_t cut = n;
		if (!final) {
			while (cut > 0 && is_letter((unsigned char)t->buf[cut - 1]))
				cut--;
			if (cut == 0) { /* no word ends yet: read on */
				if (n == t->bufcap) {
					t->bufcap *= 2;
					t->buf = xrealloc(t->buf, t->bufcap + WC_PAD);
				}
				carry = n;
				continue;
			}
		}
		wc_scan(t, t->buf, cut);
		done += cut;
		if (final)
			break;
		memmove(t->buf, t->buf + cut, n - cut);
		carry = n - cut;
		if (mem_limit && wc_memory(t) >= mem_limit)
			break;
	}
	if (consumed)
		*consumed = done;
	return rv;
}

void
wc_count_buf(wc_table *t, const void *data, size_t len)
{
	wc_src s = {.fd = -1, .mem = data, .off = 0, .left = len};
	wc_run(t, &s, 0, NULL);
}

int
wc_count_fd(wc_table *t, int fd, uint64_t offset, uint64_t length, size_t mem_limit, uint64_t *consumed)
{
	wc_src s = {.fd = fd, .mem = NULL, .off = offset, .left = length};
	return wc_run(t, &s, mem_limit, consumed);
}

size_t
wc_distinct(const wc_table *t)
{
	return t->n;
}

uint64_t
wc_total(const wc_table *t)
{
	return t->total;
}

size_t
wc_memory(const wc_table *t)
{
	return (t->mask + 1) * sizeof(wc_slot) + t->arena_bytes;
}

uint32_t
wc_slot_hash(const char *word, size_t len)
{
	/* word_hash reads whole 8-byte loads: give it a padded copy. */
	char stack[64];
	char *pad = len + 8 <= sizeof(stack) ? stack : xmalloc(len + 8);
	memset(pad, 0, len + 8 <= sizeof(stack) ? sizeof(stack) : len + 8);
	memcpy(pad, word, len);
	uint64_t v0 = load64(pad);
	uint32_t h = (uint32_t)(word_hash(pad, len, v0) >> 32);
	if (pad != stack)
		free(pad);
	return h;
}

uint64_t
wc_find(const wc_table *t, const char *word, size_t len)
{
	if (len == 0 || len > UINT32_MAX)
		return 0;
	char tmp[8] = {0};
	memcpy(tmp, word, len < 8 ? len : 8);
	uint64_t v0 = load64(tmp);
	uint32_t h = wc_slot_hash(word, len);
	uint64_t tag = (uint64_t)len << 32 | h;
	for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
		const wc_slot *s = &t->slots[i];
		if (!s->tag)
			return 0;
		if (s->tag == tag && s->prefix == v0 && memcmp(s->word, word, len) == 0)
			return s->count;
	}
}

/* ---- sorted output ---- */

typedef struct sort_item {
	uint64_t key; /* the first 8 bytes, big-endian: integer order = byte order */
	size_t idx;   /* index of the word's entry */
} sort_item;

static int
entry_cmp(const void *a, const void *b)
{
	const wc_entry *x = a, *y = b;
	return kvrec_keycmp(x->word, x->len, y->word, y->len);
}

/* LSD radix sort of the n items of a on key, a byte per pass, through tmp
 * (as large); passes where every item has the same byte are skipped.
 * Returns whichever of a and tmp holds the result. */
static sort_item *
radix_sort(sort_item *a, sort_item *tmp, size_t n)
{
	size_t count[8][256]; /* 16 KiB of stack */
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
		for (int d = 0; d < 8; d++)
			count[d][(a[i].key >> (8 * d)) & 0xff]++;
	for (int d = 0; d < 8; d++) {
		size_t *c = count[d];
		if (c[(a[0].key >> (8 * d)) & 0xff] == n)
			continue;
		size_t sum = 0;
		for (int b = 0; b < 256; b++) {
			size_t k = c[b];
			c[b] = sum;
			sum += k;
		}
		for (size_t i = 0; i < n; i++)
			tmp[c[(a[i].key >> (8 * d)) & 0xff]++] = a[i];
		sort_item *s = a;
		a = tmp;
		tmp = s;
	}
	return a;
}

wc_entry *
wc_table_sorted(const wc_table *t, size_t *n)
{
	*n = t->n;
	if (t->n == 0)
		return NULL;
	/* Entries are gathered in slot order (one sequential pass over the
	 * slots), the sort moves 16-byte items, and the final gather reads the
	 * entries, far smaller than the slot array, at random. */
	wc_entry *ent = xmalloc(t->n * sizeof(wc_entry));
	sort_item *items = xmalloc(2 * t->n * sizeof(sort_item));
	size_t k = 0;
	for (size_t i = 0; i <= t->mask; i++) {
		const wc_slot *s = &t->slots[i];
		if (!s->tag)
			continue;
		uint64_t p = s->prefix;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		p = __builtin_bswap64(p);
#endif
		items[k].key = p;
		items[k].idx = k;
		ent[k].word = s->word;
		ent[k].len = (uint32_t)(s->tag >> 32);
		ent[k].count = s->count;
		k++;
	}
	sort_item *sorted = radix_sort(items, items + t->n, t->n);
	wc_entry *out = xmalloc(t->n * sizeof(wc_entry));
	for (size_t i = 0; i < t->n; i++)
		out[i] = ent[sorted[i].idx];
	free(ent);
	/* Words sharing their first 8 bytes (longer words, or a word of 8 and
	 * its extensions) are ordered among themselves by a full compare. */
	for (size_t i = 0; i < t->n;) {
		size_t j = i + 1;
		while (j < t->n && sorted[j].key == sorted[i].key)
			j++;
		if (j - i > 1)
			qsort(out + i, j - i, sizeof(wc_entry), entry_cmp);
		i = j;
	}
	free(items);
	return out;
}

int
wc_write_partitions(const wc_table *t, const char *dir, uint32_t nparts, uint64_t *records)
{
	if (nparts == 0)
		return MOSAIC_EINVAL;
	kvfile_writer *w = xcalloc(nparts, sizeof(*w));
	int rv = MOSAIC_OK;
	uint32_t opened = 0;
	for (; opened < nparts && !rv; opened++) {
		char *path = kvfile_part_path(dir, opened);
		rv = kvfile_writer_open(&w[opened], path);
		free(path);
	}
	if (rv)
		opened--; /* the one that failed needs no abort */
	size_t n = 0;
	wc_entry *e = rv ? NULL : wc_table_sorted(t, &n);
	for (size_t i = 0; i < n && !rv; i++)
		rv = kvfile_put_u64(&w[partition_of(e[i].word, e[i].len, nparts)], e[i].word, e[i].len,
		                    e[i].count);
	uint64_t nrec = 0;
	for (uint32_t r = 0; r < opened; r++) {
		nrec += w[r].records;
		if (rv)
			kvfile_writer_abort(&w[r]);
		else
			rv = kvfile_writer_close(&w[r]);
	}
	/* A close that failed after others succeeded: take the others back, so
	 * no partial set of runs is left under final names. */
	if (rv)
		for (uint32_t r = 0; r < opened; r++) {
			char *path = kvfile_part_path(dir, r);
			unlink(path);
			free(path);
		}
	if (records)
		*records = rv ? 0 : nrec;
	free(e);
	free(w);
	return rv;
}
