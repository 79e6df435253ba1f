/* wordcount: tokenizer and counts against hand counts and a naive
 * reference, chunk edges, sorting, partitions, the map and reduce tasks
 * (with and without spills); partition hash vectors. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "kvfile.h"
#include "mem.h"
#include "partition.h"
#include "util.h"
#include "wctask.h"
#include "wordcount.h"

/* ---- a naive reference: byte loop, every word copied, qsort, run count ---- */

typedef struct ref_word {
	char *w;
	size_t len;
	uint64_t count;
} ref_word;

static int
ref_cmp(const void *a, const void *b)
{
	const ref_word *x = a, *y = b;
	return kvrec_keycmp(x->w, x->len, y->w, y->len);
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The sorted distinct words of text with their counts; *n entries. */
static ref_word *
ref_count(const char *text, size_t len, size_t *n)
{
	ref_word *all = NULL;
	size_t nall = 0, cap = 0;
	for (size_t i = 0; i < len;) {
		if (!is_alpha((unsigned char)text[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < len && is_alpha((unsigned char)text[j]))
			j++;
		if (nall == cap) {
			cap = cap ? cap * 2 : 256;
			all = xrealloc(all, cap * sizeof(*all));
		}
		all[nall].w = (char *)text + i;
		all[nall].len = j - i;
		all[nall].count = 1;
		nall++;
		i = j;
	}
	if (nall)
		qsort(all, nall, sizeof(*all), ref_cmp);
	size_t k = 0;
	for (size_t i = 0; i < nall; i++) {
		if (k > 0 && ref_cmp(&all[k - 1], &all[i]) == 0)
			all[k - 1].count++;
		else
			all[k++] = all[i];
	}
	*n = k;
	return all;
}

/* Does the table hold exactly the reference's words and counts, in order? */
static int
same_as_ref(const wc_table *t, const char *text, size_t len)
{
	size_t nr, nt;
	ref_word *r = ref_count(text, len, &nr);
	wc_entry *e = wc_table_sorted(t, &nt);
	int ok = nr == nt;
	for (size_t i = 0; ok && i < nr; i++)
		ok = e[i].len == r[i].len && memcmp(e[i].word, r[i].w, r[i].len) == 0 &&
		     e[i].count == r[i].count;
	free(r);
	free(e);
	return ok;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Random text: words of 1..maxw letters from a small alphabet (so words
 * repeat), both cases, separated by runs of spaces, digits, punctuation,
 * newlines, NUL and bytes >= 0x80. */
static char *
random_text(size_t len, size_t maxw)
{
	static const char seps[] = " \n\t0123456789.,;'-\0\x80\xc3\xa9\xff";
	char *s = xmalloc(len + 1);
	size_t i = 0;
	while (i < len) {
		size_t w = 1 + rnd() % maxw;
		for (size_t k = 0; k < w && i < len; k++) {
			unsigned c = (unsigned)(rnd() % 6);
			s[i++] = (char)((rnd() & 1 ? 'a' : 'A') + c);
		}
		size_t ns = 1 + rnd() % 3;
		for (size_t k = 0; k < ns && i < len; k++)
			s[i++] = seps[rnd() % (sizeof(seps) - 1)];
	}
	s[len] = 0;
	return s;
}

static void
test_hand_counts(void)
{
	wc_table *t;
	wc_table_new(&t);
	const char *text = "The cat, the CAT and the_cat: don't x1y2z 4711 caf\xc3\xa9 na\xc3\xafve\n"
	                   "Cat\tcat\0cat";
	size_t len = strlen(text) + 4; /* through the NUL and the last "cat" */
	wc_count_buf(t, text, len);
	CHECK(wc_find(t, "The", 3) == 1);
	CHECK(wc_find(t, "the", 3) == 2); /* "the" and the one in "the_cat" */
	CHECK(wc_find(t, "cat", 3) == 4); /* "cat," "_cat" "\tcat" "\0cat" */
	CHECK(wc_find(t, "CAT", 3) == 1);
	CHECK(wc_find(t, "Cat", 3) == 1);
	CHECK(wc_find(t, "and", 3) == 1);
	CHECK(wc_find(t, "don", 3) == 1);
	CHECK(wc_find(t, "t", 1) == 1);
	CHECK(wc_find(t, "x", 1) == 1 && wc_find(t, "y", 1) == 1 && wc_find(t, "z", 1) == 1);
	CHECK(wc_find(t, "caf", 3) == 1); /* UTF-8 bytes split words */
	CHECK(wc_find(t, "na", 2) == 1 && wc_find(t, "ve", 2) == 1);
	CHECK(wc_find(t, "4711", 4) == 0);
	CHECK(wc_find(t, "dog", 3) == 0);
	CHECK(wc_distinct(t) == 14);
	CHECK(wc_total(t) == 18);
	size_t n;
	wc_entry *e = wc_table_sorted(t, &n);
	/* C order: upper case before lower case, a prefix before its extensions. */
	const char *want[] = {"CAT", "Cat", "The", "and", "caf", "cat", "don",
	                      "na",  "t",   "the", "ve",  "x",   "y",   "z"};
	CHECK(n == 14);
	for (size_t i = 0; i < n && i < 14; i++)
		CHECK(e[i].len == strlen(want[i]) && memcmp(e[i].word, want[i], e[i].len) == 0);
	free(e);

	/* Empty input, only separators, one letter. */
	wc_table_clear(t);
	wc_count_buf(t, "", 0);
	wc_count_buf(t, " ,.\n 12 ", 8);
	CHECK(wc_distinct(t) == 0 && wc_total(t) == 0);
	CHECK(wc_table_sorted(t, &n) == NULL && n == 0);
	wc_count_buf(t, "q", 1);
	CHECK(wc_find(t, "q", 1) == 1 && wc_total(t) == 1);
	wc_table_free(t);
}

/* Words at every offset of a 64-byte scan block and across it; words of
 * lengths around the 8-byte loads. */
static void
test_block_edges(void)
{
	for (size_t pad = 0; pad < 70; pad++) {
		for (size_t wl = 1; wl <= 20; wl += 3) {
			char buf[200];
			memset(buf, ' ', sizeof(buf));
			for (size_t i = 0; i < wl; i++)
				buf[pad + i] = (char)('a' + i % 26);
			size_t len = pad + wl; /* the word ends at the very end */
			wc_table *t;
			wc_table_new(&t);
			wc_count_buf(t, buf, len);
			CHECK(wc_total(t) == 1 && wc_find(t, buf + pad, wl) == 1);
			wc_count_buf(t, buf, len + 1);
			CHECK(wc_find(t, buf + pad, wl) == 2);
			wc_table_free(t);
		}
	}
}

static void
test_random_vs_reference(void)
{
	for (int round = 0; round < 30; round++) {
		size_t len = 1 + rnd() % 20000;
		char *text = random_text(len, 1 + rnd() % 20);
		wc_table *t;
		wc_table_new(&t);
		wc_count_buf(t, text, len);
		CHECK(same_as_ref(t, text, len));
		free(text);
		wc_table_free(t);
	}
}

/* Every 12-letter word "abcdefgh" + 4 letters, once: 456976 words sharing
 * their first 8 bytes, whose order comes from the full compare. */
static void
test_shared_prefix(void)
{
	const size_t n = 26 * 26 * 26 * 26;
	char *text = xmalloc(n * 13);
	for (size_t i = 0; i < n; i++) {
		char *w = text + i * 13;
		memcpy(w, "abcdefgh", 8);
		size_t k = i;
		for (int j = 11; j >= 8; j--, k /= 26)
			w[j] = (char)('a' + k % 26);
		w[12] = ' ';
	}
	wc_table *t;
	wc_table_new(&t);
	/* Counted in reverse order of the text, so slot order is no help. */
	for (size_t i = n; i-- > 0;)
		wc_count_buf(t, text + i * 13, 13);
	CHECK(wc_distinct(t) == n && wc_total(t) == n);
	size_t m;
	wc_entry *e = wc_table_sorted(t, &m);
	int ok = m == n;
	for (size_t i = 0; ok && i < n; i++)
		ok = e[i].len == 12 && e[i].count == 1 && memcmp(e[i].word, text + i * 13, 12) == 0;
	CHECK(ok);
	free(e);
	wc_table_free(t);
	free(text);
}

typedef struct hw {
	uint32_t h;
	uint32_t i;
} hw;

static int
hw_cmp(const void *a, const void *b)
{
	const hw *x = a, *y = b;
	return x->h != y->h ? (x->h < y->h ? -1 : 1) : (x->i < y->i ? -1 : x->i > y->i);
}

/* Distinct words alike in length, first 8 bytes and slot hash: only the
 * bytes past the prefix tell them apart. Found by the birthday bound among
 * 400000 random 16-letter words of one prefix (some 18 pairs expected). */
static void
test_hash_collisions(void)
{
	const uint32_t n = 400000;
	char *words = xmalloc((size_t)n * 16);
	hw *h = xmalloc(n * sizeof(hw));
	for (uint32_t i = 0; i < n; i++) {
		char *w = words + (size_t)i * 16;
		memcpy(w, "prefixes", 8);
		uint64_t r = rnd();
		for (int j = 8; j < 16; j++, r >>= 5)
			w[j] = (char)('a' + r % 26);
		h[i].h = wc_slot_hash(w, 16);
		h[i].i = i;
	}
	qsort(h, n, sizeof(hw), hw_cmp);
	wc_table *t;
	wc_table_new(&t);
	size_t pairs = 0;
	int ok = 1;
	for (uint32_t k = 1; k < n; k++) {
		const char *a = words + (size_t)h[k - 1].i * 16, *b = words + (size_t)h[k].i * 16;
		if (h[k].h != h[k - 1].h || memcmp(a, b, 16) == 0)
			continue;
		/* a three times, b five times, interleaved. */
		for (int j = 0; j < 8; j++)
			wc_count_buf(t, j % 2 && j < 6 ? a : b, 16);
		ok &= wc_find(t, a, 16) == 3 && wc_find(t, b, 16) == 5;
		pairs++;
	}
	CHECK(pairs >= 3);
	CHECK(ok && wc_distinct(t) == 2 * pairs);
	wc_table_free(t);
	free(h);
	free(words);
}

static char *
tmpdir(void)
{
	char *d = xstrdup("/tmp/mosaic-test-wc-XXXXXX");
	if (!mkdtemp(d))
		abort();
	return d;
}

static void
write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, data, len) == (ssize_t)len);
	close(fd);
}

/* Several MiB through the 1 MiB chunk reader, a word longer than a chunk,
 * ranges of a file, and the early stop at a memory limit. */
static void
test_fd_chunks(const char *dir)
{
	size_t len = (3u << 20) + 12345;
	char *text = random_text(len, 30);
	/* A 2.5 MiB word in the middle, across two chunk edges. */
	size_t big = (5u << 19), at = 1u << 19;
	memset(text + at, 'Q', big);
	text[at - 1] = ' ';
	text[at + big] = ' ';
	char *path = xasprintf("%s/in", dir);
	write_file(path, text, len);
	int fd = open(path, O_RDONLY);

	wc_table *t;
	wc_table_new(&t);
	uint64_t done = 0;
	CHECK_OK(wc_count_fd(t, fd, 0, UINT64_MAX, 0, &done));
	CHECK(done == len);
	CHECK(same_as_ref(t, text, len));
	CHECK(wc_find(t, text + at, big) == 1);

	/* Two ranges split on a separator count the same as the whole. */
	size_t cut = len / 2;
	while (is_alpha((unsigned char)text[cut]))
		cut++;
	wc_table *h;
	wc_table_new(&h);
	CHECK_OK(wc_count_fd(h, fd, 0, cut, 0, &done));
	CHECK(done == cut);
	CHECK_OK(wc_count_fd(h, fd, cut, len - cut, 0, &done));
	CHECK(done == len - cut);
	CHECK(same_as_ref(h, text, len));

	/* A memory limit stops early at a word boundary; resuming from there
	 * into fresh tables loses and doubles nothing. */
	wc_table *parts;
	wc_table_new(&parts);
	uint64_t off = 0, stops = 0, total = 0;
	for (;;) {
		wc_table *p;
		wc_table_new(&p);
		CHECK_OK(wc_count_fd(p, fd, off, UINT64_MAX, 256u << 10, &done));
		CHECK(done == 0 || off + done == len || !is_alpha((unsigned char)text[off + done - 1]));
		total += wc_total(p);
		off += done;
		wc_table_free(p);
		if (done == 0 || off == len)
			break;
		stops++;
	}
	CHECK(off == len);
	CHECK(stops >= 2);
	CHECK(total == wc_total(t));
	wc_table_free(parts);

	close(fd);
	CHECK(wc_count_fd(h, -1, 0, 10, 0, &done) == MOSAIC_EIO);
	wc_table_free(t);
	wc_table_free(h);
	free(text);
	free(path);
}

/* Reads a whole file into a heap string (caller frees). */
static char *
slurp(const char *path, size_t *len)
{
	char *s = NULL;
	if (util_read_file(path, 1u << 30, &s, len) != 0) {
		*len = 0;
		return xstrdup("");
	}
	return s;
}

/* The runs of one map: each sorted, disjoint, each word in its partition,
 * and together the whole table. */
static void
test_partitions(const char *dir)
{
	size_t len = 200000;
	char *text = random_text(len, 12);
	wc_table *t;
	wc_table_new(&t);
	wc_count_buf(t, text, len);
	const uint32_t R = 5;
	uint64_t records = 0;
	CHECK_OK(wc_write_partitions(t, dir, R, &records));
	CHECK(records == wc_distinct(t));
	size_t seen = 0;
	uint64_t sum = 0;
	int ok = 1;
	for (uint32_t r = 0; r < R; r++) {
		char *p = kvfile_part_path(dir, r);
		kvfile_reader rd;
		CHECK_OK(kvfile_reader_open(&rd, p));
		kvrec rec, prev = {0};
		char *prevkey = NULL;
		while (kvfile_next(&rd, &rec)) {
			ok &= partition_of(rec.key, rec.klen, R) == r;
			ok &= !prevkey || kvrec_keycmp(prevkey, prev.klen, rec.key, rec.klen) < 0;
			uint64_t c = strtoull(rec.val, NULL, 10);
			ok &= c > 0 && wc_find(t, rec.key, rec.klen) == c;
			sum += c;
			seen++;
			free(prevkey);
			prevkey = xstrndup(rec.key, rec.klen);
			prev = rec;
		}
		free(prevkey);
		CHECK(kvfile_reader_error(&rd) == 0);
		kvfile_reader_close(&rd);
		free(p);
	}
	CHECK(ok);
	CHECK(seen == wc_distinct(t)); /* disjoint and complete: each word once */
	CHECK(sum == wc_total(t));
	CHECK(wc_write_partitions(t, dir, 0, NULL) == MOSAIC_EINVAL);
	char *missing = xasprintf("%s/no/such/dir", dir);
	CHECK(wc_write_partitions(t, missing, 2, NULL) == MOSAIC_ENOENT);
	free(missing);
	wc_table_free(t);
	free(text);
}

/* Map tasks over blocks of a file, with and without spills, then reducers:
 * the reducers' outputs, concatenated, are the reference counts. */
static void
test_tasks(const char *dir)
{
	size_t len = 600000;
	char *text = random_text(len, 14);
	for (size_t i = 1000; i < len; i += 1000)
		text[i] = '\n';
	char *in = xasprintf("%s/input", dir);
	write_file(in, text, len);
	/* Blocks on line boundaries. */
	uint64_t cuts[4] = {0, 200001, 400001, len};
	const uint32_t R = 3;
	char *mapdir[3], *spilldir = xasprintf("%s/map-spill", dir);
	for (int m = 0; m < 3; m++) {
		mapdir[m] = xasprintf("%s/map%d", dir, m);
		CHECK_OK(util_mkdir_p(mapdir[m]));
		wctask_stats st;
		CHECK_OK(wctask_map(in, cuts[m], cuts[m + 1] - cuts[m], mapdir[m], R, 0, &st));
		CHECK(st.bytes_in == cuts[m + 1] - cuts[m] && st.spills == 0);
	}
	/* The whole file in one map with a tiny memory limit: many spills,
	 * and the same runs as without a limit. */
	CHECK_OK(util_mkdir_p(spilldir));
	char *whole = xasprintf("%s/map-whole", dir);
	CHECK_OK(util_mkdir_p(whole));
	wctask_stats s1, s2;
	CHECK_OK(wctask_map(in, 0, UINT64_MAX, whole, R, 0, &s1));
	CHECK_OK(wctask_map(in, 0, UINT64_MAX, spilldir, R, 64u << 10, &s2));
	CHECK(s2.spills > 0 && s1.spills == 0);
	CHECK(s1.words == s2.words && s1.records_out == s2.records_out && s1.bytes_in == len);
	for (uint32_t r = 0; r < R; r++) {
		char *a = kvfile_part_path(whole, r), *b = kvfile_part_path(spilldir, r);
		size_t la, lb;
		char *da = slurp(a, &la), *db = slurp(b, &lb);
		CHECK(la == lb && memcmp(da, db, la) == 0);
		free(da), free(db), free(a), free(b);
	}
	char *leftover = xasprintf("%s/spill-0", spilldir);
	struct stat sb;
	CHECK(stat(leftover, &sb) != 0); /* spill directories removed */
	free(leftover);

	/* Reducers: merge the three maps' run r. */
	char *all = NULL;
	size_t alen = 0;
	for (uint32_t r = 0; r < R; r++) {
		const char *ins[3];
		char *paths[3];
		for (int m = 0; m < 3; m++)
			ins[m] = paths[m] = kvfile_part_path(mapdir[m], r);
		char *out = kvfile_output_path(dir, r);
		wctask_stats st;
		CHECK_OK(wctask_reduce(ins, 3, out, &st));
		size_t l;
		char *d = slurp(out, &l);
		all = xrealloc(all, alen + l + 1);
		memcpy(all + alen, d, l);
		alen += l;
		free(d);
		free(out);
		for (int m = 0; m < 3; m++)
			free(paths[m]);
	}
	/* Every reference word appears once with its count, and nothing else. */
	size_t nr;
	ref_word *ref = ref_count(text, len, &nr);
	size_t lines = 0;
	int ok = 1;
	kvfile_reader rd;
	kvfile_reader_init_mem(&rd, all, alen);
	kvrec rec;
	while (kvfile_next(&rd, &rec)) {
		ref_word key = {(char *)rec.key, rec.klen, 0};
		ref_word *f = bsearch(&key, ref, nr, sizeof(*ref), ref_cmp);
		ok &= f && f->count == strtoull(rec.val, NULL, 10);
		lines++;
	}
	CHECK(ok && lines == nr);
	const char *missing[] = {"/nonexistent/part-0"};
	char *out = xasprintf("%s/out-missing", dir);
	CHECK(wctask_reduce(missing, 1, out, NULL) == MOSAIC_ENOENT);
	CHECK(stat(out, &sb) != 0);
	CHECK(wctask_map("/nonexistent", 0, 10, dir, 1, 0, NULL) == MOSAIC_ENOENT);
	free(out);
	free(ref);
	free(all);
	for (int m = 0; m < 3; m++)
		free(mapdir[m]);
	free(spilldir);
	free(whole);
	free(in);
	free(text);
}

static void
test_partition_hash(void)
{
	/* Published FNV-1a 64 test vectors. */
	CHECK(partition_hash("", 0) == 0xcbf29ce484222325ULL);
	CHECK(partition_hash("a", 1) == 0xaf63dc4c8601ec8cULL);
	CHECK(partition_hash("foobar", 6) == 0x85944171f73967e8ULL);
	CHECK(partition_of("foobar", 6, 7) == 0x85944171f73967e8ULL % 7);
	CHECK(partition_of("anything", 8, 1) == 0 && partition_of("anything", 8, 0) == 0);
	/* Spread: 10000 keys over 8 partitions, none far from 1250. */
	uint32_t n[8] = {0};
	for (int i = 0; i < 10000; i++) {
		char k[16];
		int l = snprintf(k, sizeof(k), "w%d", i);
		n[partition_of(k, (size_t)l, 8)]++;
	}
	int ok = 1;
	for (int r = 0; r < 8; r++)
		ok &= n[r] > 1100 && n[r] < 1400;
	CHECK(ok);
}

int
main(void)
{
	char *dir = tmpdir();
	test_hand_counts();
	test_block_edges();
	test_random_vs_reference();
	test_shared_prefix();
	test_hash_collisions();
	test_fd_chunks(dir);
	test_partitions(dir);
	test_tasks(dir);
	test_partition_hash();
	util_remove_tree(dir);
	free(dir);
	return check_done();
}
