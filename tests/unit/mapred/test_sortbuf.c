/* sortbuf: a streaming map's output fed in random chunks is partitioned by
 * key, sorted byte-wise and stably; with a small memory limit it spills and
 * merges to the very same runs; the reduce side groups all of a key's lines
 * together. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "kvfile.h"
#include "mem.h"
#include "merge.h"
#include "partition.h"
#include "sortbuf.h"
#include "util.h"

static uint64_t rng_state = 777;

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static char *
slurp(const char *path)
{
	char *s;
	size_t len;
	if (util_read_file(path, 1u << 30, &s, &len) != 0)
		return NULL;
	return s;
}

static void
test_small(const char *dir)
{
	char *out = xasprintf("%s/small", dir);
	CHECK_OK(util_mkdir_p(out));
	sortbuf *s;
	CHECK(sortbuf_new(&s, out, 0, 0) == MOSAIC_EINVAL && s == NULL);
	CHECK_OK(sortbuf_new(&s, out, 1, 0));
	/* Lines split across feeds; no-tab lines; a last line without '\n'. */
	const char *chunks[] = {"b\t2\na\t", "1\nb\t1\nno tab", "\n\n", "a\t0\nlast"};
	for (size_t i = 0; i < 4; i++)
		CHECK_OK(sortbuf_feed(s, chunks[i], strlen(chunks[i])));
	CHECK(sortbuf_add(s, "k\tx", 3, "v", 1) == MOSAIC_EINVAL);
	CHECK(sortbuf_add(s, "k", 1, "v\n", 2) == MOSAIC_EINVAL);
	CHECK_OK(sortbuf_add(s, "a", 1, "9", 1));
	sortbuf_stats st;
	CHECK_OK(sortbuf_finish(s, &st));
	CHECK(st.records == 8 && st.spills == 0);
	CHECK(sortbuf_feed(s, "x\n", 2) == MOSAIC_ESTATE && sortbuf_finish(s, NULL) == MOSAIC_ESTATE);
	sortbuf_free(s);
	char *p = kvfile_part_path(out, 0);
	char *got = slurp(p);
	/* Stable: a's values in arrival order (1, 0, 9); the empty line is an
	 * empty key; no-tab lines come back with an empty value. */
	CHECK(got && strcmp(got, "\t\na\t1\na\t0\na\t9\nb\t2\nb\t1\nlast\t\nno tab\t\n") == 0);
	free(got);
	free(p);
	free(out);
}

typedef struct line {
	char *key;
	size_t klen;
	uint64_t seq;
} line;

/* Runs the same random mapper output through sortbuf with a generous and a
 * tiny memory limit; checks both against the reference and each other. */
static void
test_random_spill(const char *dir)
{
	const uint32_t R = 4;
	size_t nlines = 20000;
	/* The mapper's output as one buffer; values carry the line number so
	 * order within a key is checkable. */
	char *text = xmalloc(nlines * 64);
	size_t len = 0;
	for (size_t i = 0; i < nlines; i++) {
		size_t kl = 1 + rnd() % 6;
		for (size_t k = 0; k < kl; k++)
			text[len++] = "abcAB\x01\xfe"[rnd() % 7];
		if (rnd() % 10) /* some lines have no tab */
			len += (size_t)sprintf(text + len, "\t%zu", i);
		text[len++] = '\n';
	}
	char *dirs[2];
	size_t limits[2] = {0, 16u << 10};
	uint32_t spills[2];
	for (int v = 0; v < 2; v++) {
		dirs[v] = xasprintf("%s/rand%d", dir, v);
		CHECK_OK(util_mkdir_p(dirs[v]));
		sortbuf *s;
		CHECK_OK(sortbuf_new(&s, dirs[v], R, limits[v]));
		for (size_t off = 0; off < len;) {
			size_t n = 1 + rnd() % 300;
			if (n > len - off)
				n = len - off;
			CHECK(sortbuf_feed(s, text + off, n) == 0);
			off += n;
		}
		sortbuf_stats st;
		CHECK_OK(sortbuf_finish(s, &st));
		CHECK(st.records == nlines && st.bytes == len);
		spills[v] = st.spills;
		sortbuf_free(s);
	}
	CHECK(spills[0] == 0 && spills[1] >= 10);
	struct stat sb;
	char *sp = xasprintf("%s/spill-0", dirs[1]);
	CHECK(stat(sp, &sb) != 0);
	free(sp);

	size_t total = 0;
	int ok = 1;
	for (uint32_t r = 0; r < R; r++) {
		char *a = kvfile_part_path(dirs[0], r), *b = kvfile_part_path(dirs[1], r);
		char *da = slurp(a), *db = slurp(b);
		CHECK(da && db && strcmp(da, db) == 0);
		/* Sorted by key, in partition r, and stable within a key. */
		kvfile_reader rd;
		kvfile_reader_init_mem(&rd, da, strlen(da));
		kvrec rec;
		char prev[16];
		size_t plen = 0;
		long prevseq = -1;
		bool first = true;
		while (kvfile_next(&rd, &rec)) {
			ok &= partition_of(rec.key, rec.klen, R) == r;
			int c = first ? 1 : kvrec_keycmp(prev, plen, rec.key, rec.klen);
			ok &= c <= 0 || first;
			if (c == 0 && rec.vlen > 0) {
				long seq = strtol(rec.val, NULL, 10);
				ok &= seq > prevseq;
				prevseq = seq;
			} else if (c != 0) {
				prevseq = rec.vlen ? strtol(rec.val, NULL, 10) : -1;
			}
			memcpy(prev, rec.key, rec.klen);
			plen = rec.klen;
			first = false;
			total++;
		}
		free(da), free(db), free(a), free(b);
	}
	CHECK(ok && total == nlines);

	/* Reduce side: merging partition 0 of both "maps" groups each key's
	 * lines together, map 0's before map 1's. */
	merge *m;
	merge_new(&m);
	for (int v = 0; v < 2; v++) {
		char *p = kvfile_part_path(dirs[v], 0);
		CHECK_OK(merge_add_file(m, p));
		free(p);
	}
	kvrec rec;
	bool nk;
	size_t groups = 0, recs = 0;
	char cur[16];
	size_t clen = 0;
	ok = 1;
	while (merge_next(m, &rec, &nk)) {
		if (nk) {
			ok &= groups == 0 || kvrec_keycmp(cur, clen, rec.key, rec.klen) < 0;
			memcpy(cur, rec.key, rec.klen);
			clen = rec.klen;
			groups++;
		} else {
			ok &= kvrec_keycmp(cur, clen, rec.key, rec.klen) == 0;
		}
		recs++;
	}
	CHECK(ok && merge_error(m) == 0 && groups > 0 && recs > groups);
	merge_free(m);
	free(dirs[0]);
	free(dirs[1]);
	free(text);
}

int
main(void)
{
	char *dir = xstrdup("/tmp/mosaic-test-sortbuf-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_small(dir);
	test_random_spill(dir);
	util_remove_tree(dir);
	free(dir);
	return check_done();
}
