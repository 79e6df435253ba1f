/* kvfile records and the k-way merge: parsing (no tab: all key), the
 * reader across its buffer, atomic writers, merges of several runs against
 * a sorted reference, stability, grouping, sums, unsorted runs. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "kvfile.h"
#include "mem.h"
#include "merge.h"
#include "util.h"

static uint64_t rng_state = 12345;

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
test_parse(void)
{
	kvrec r;
	kvrec_parse(&r, "key\tval\tmore", 12);
	CHECK(r.klen == 3 && memcmp(r.key, "key", 3) == 0);
	CHECK(r.vlen == 8 && memcmp(r.val, "val\tmore", 8) == 0);
	kvrec_parse(&r, "no tab here", 11);
	CHECK(r.klen == 11 && r.vlen == 0);
	kvrec_parse(&r, "\tv", 2);
	CHECK(r.klen == 0 && r.vlen == 1 && r.val[0] == 'v');
	kvrec_parse(&r, "k\t", 2);
	CHECK(r.klen == 1 && r.vlen == 0);
	kvrec_parse(&r, "", 0);
	CHECK(r.klen == 0 && r.vlen == 0);

	/* C order: bytes unsigned, prefix first. */
	CHECK(kvrec_keycmp("a", 1, "b", 1) < 0);
	CHECK(kvrec_keycmp("B", 1, "a", 1) < 0);
	CHECK(kvrec_keycmp("ab", 2, "abc", 3) < 0 && kvrec_keycmp("abc", 3, "ab", 2) > 0);
	CHECK(kvrec_keycmp("z", 1, "\xc3", 1) < 0);
	CHECK(kvrec_keycmp("same", 4, "same", 4) == 0);

	char *p = kvfile_part_path("/d", 7), *o = kvfile_output_path("/out", 3);
	CHECK(strcmp(p, "/d/part-7") == 0 && strcmp(o, "/out/part-r-00003") == 0);
	free(p);
	free(o);
}

/* Writes, reads back from file and memory; long lines across the reader's
 * buffer; a last line without '\n'; atomic rename and abort. */
static void
test_kvfile(const char *dir)
{
	char *path = xasprintf("%s/kv", dir);
	char *tmp = xasprintf("%s/kv.tmp", dir);
	kvfile_writer w;
	CHECK_OK(kvfile_writer_open(&w, path));
	struct stat st;
	CHECK(stat(path, &st) != 0 && stat(tmp, &st) == 0); /* only the temporary */
	size_t nrec = 3000;
	size_t *lens = xmalloc(nrec * sizeof(size_t));
	char *val = xmalloc(1u << 20);
	for (size_t i = 0; i < (1u << 20); i++)
		val[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < nrec; i++) {
		char key[32];
		int kl = snprintf(key, sizeof(key), "k%06zu", i);
		/* Mostly short values, some far longer than the read buffer. */
		lens[i] = i % 500 == 7 ? (700u << 10) + i : i % 40;
		CHECK(kvfile_put(&w, key, (size_t)kl, val, lens[i]) == 0);
	}
	CHECK(kvfile_put_u64(&w, "max", 3, UINT64_MAX) == 0);
	CHECK(kvfile_put_u64(&w, "zero", 4, 0) == 0);
	CHECK(w.records == nrec + 2);
	CHECK_OK(kvfile_writer_close(&w));
	CHECK(stat(path, &st) == 0 && stat(tmp, &st) != 0);

	kvfile_reader r;
	CHECK_OK(kvfile_reader_open(&r, path));
	kvrec rec;
	size_t i = 0;
	int ok = 1;
	for (; i < nrec && kvfile_next(&r, &rec); i++) {
		char key[32];
		int kl = snprintf(key, sizeof(key), "k%06zu", i);
		ok &= rec.klen == (size_t)kl && memcmp(rec.key, key, rec.klen) == 0;
		ok &= rec.vlen == lens[i] && memcmp(rec.val, val, rec.vlen) == 0;
	}
	CHECK(ok && i == nrec);
	CHECK(kvfile_next(&r, &rec) && rec.vlen == 20 && memcmp(rec.val, "18446744073709551615", 20) == 0);
	CHECK(kvfile_next(&r, &rec) && rec.vlen == 1 && rec.val[0] == '0');
	CHECK(!kvfile_next(&r, &rec) && kvfile_reader_error(&r) == 0);
	kvfile_reader_close(&r);
	kvfile_reader_close(&r); /* idempotent */

	/* Memory reader: no trailing newline, empty lines, a line w/o tab. */
	const char *mem = "a\t1\n\nnotab\nlast\tx";
	kvfile_reader_init_mem(&r, mem, strlen(mem));
	CHECK(kvfile_next(&r, &rec) && rec.klen == 1 && rec.vlen == 1);
	CHECK(kvfile_next(&r, &rec) && rec.klen == 0 && rec.vlen == 0);
	CHECK(kvfile_next(&r, &rec) && rec.klen == 5 && rec.vlen == 0);
	CHECK(kvfile_next(&r, &rec) && rec.klen == 4 && rec.vlen == 1 && rec.val[0] == 'x');
	CHECK(!kvfile_next(&r, &rec) && r.records == 4);
	kvfile_reader_close(&r);

	/* The same through a file: the unterminated last line still counts. */
	CHECK_OK(util_write_file_atomic(path, mem, strlen(mem)));
	CHECK_OK(kvfile_reader_open(&r, path));
	size_t n = 0;
	while (kvfile_next(&r, &rec))
		n++;
	CHECK(n == 4 && rec.klen == 4 && rec.val[0] == 'x');
	kvfile_reader_close(&r);

	/* Abort leaves nothing; a writer into a missing directory fails. */
	char *gone = xasprintf("%s/aborted", dir);
	CHECK_OK(kvfile_writer_open(&w, gone));
	kvfile_put(&w, "k", 1, "v", 1);
	kvfile_writer_abort(&w);
	char *gonetmp = xasprintf("%s.tmp", gone);
	CHECK(stat(gone, &st) != 0 && stat(gonetmp, &st) != 0);
	char *nodir = xasprintf("%s/none/x", dir);
	CHECK(kvfile_writer_open(&w, nodir) == MOSAIC_ENOENT);
	CHECK(kvfile_reader_open(&r, nodir) == MOSAIC_ENOENT);
	kvfile_reader_close(&r);

	/* A failed write sticks and close reports it without renaming:
	 * writing to a read-only descriptor. */
	int fd[2];
	CHECK(pipe(fd) == 0);
	kvfile_writer_init_fd(&w, fd[0]);
	kvfile_put(&w, "k", 1, "v", 1);
	CHECK(kvfile_writer_flush(&w) == MOSAIC_EIO);
	CHECK(kvfile_put(&w, "k", 1, "v", 1) == MOSAIC_EIO);
	CHECK(kvfile_writer_close(&w) == MOSAIC_EIO);
	close(fd[0]);
	close(fd[1]);

	free(nodir);
	free(gone);
	free(gonetmp);
	free(val);
	free(lens);
	free(path);
	free(tmp);
}

typedef struct rrec {
	char key[8];
	size_t klen;
	int run, pos; /* where it came from: the stability check */
} rrec;

static int
rrec_cmp(const void *a, const void *b)
{
	const rrec *x = a, *y = b;
	int c = kvrec_keycmp(x->key, x->klen, y->key, y->klen);
	if (c)
		return c;
	if (x->run != y->run)
		return x->run - y->run;
	return x->pos - y->pos;
}

/* Random runs (some empty, keys repeating inside and across runs, some from
 * files, some in memory) against one sorted reference. */
static void
test_merge_random(const char *dir)
{
	for (int round = 0; round < 20; round++) {
		int nruns = 1 + (int)(rnd() % 9);
		rrec *all = NULL;
		size_t nall = 0;
		char **bufs = xcalloc((size_t)nruns, sizeof(char *));
		size_t *blens = xcalloc((size_t)nruns, sizeof(size_t));
		merge *m;
		merge_new(&m);
		for (int r = 0; r < nruns; r++) {
			size_t n = rnd() % 4 == 0 ? 0 : rnd() % 300;
			rrec *run = xcalloc(n ? n : 1, sizeof(rrec));
			for (size_t i = 0; i < n; i++) {
				run[i].klen = 1 + rnd() % 3;
				for (size_t k = 0; k < run[i].klen; k++)
					run[i].key[k] = (char)("aAb\xe9"[rnd() % 4]);
			}
			qsort(run, n, sizeof(rrec), rrec_cmp); /* sort keys before numbering */
			for (size_t i = 0; i < n; i++) {
				run[i].run = r;
				run[i].pos = (int)i;
				blens[r] += run[i].klen + 16;
			}
			char *b = bufs[r] = xmalloc(blens[r] + 1);
			size_t off = 0;
			for (size_t i = 0; i < n; i++) {
				memcpy(b + off, run[i].key, run[i].klen);
				off += run[i].klen;
				off += (size_t)sprintf(b + off, "\t%d.%zu\n", r, i);
			}
			blens[r] = off;
			if (r % 2) {
				char *p = xasprintf("%s/run%d", dir, r);
				CHECK_OK(util_write_file_atomic(p, b, off));
				CHECK_OK(merge_add_file(m, p));
				free(p);
			} else {
				CHECK_OK(merge_add_mem(m, b, off));
			}
			all = xrealloc(all, (nall + n + 1) * sizeof(rrec));
			memcpy(all + nall, run, n * sizeof(rrec));
			nall += n;
			free(run);
		}
		qsort(all, nall, sizeof(rrec), rrec_cmp);
		kvrec rec;
		bool new_key;
		size_t i = 0;
		int ok = 1;
		while (merge_next(m, &rec, &new_key)) {
			char want[32];
			int wl = i < nall ? snprintf(want, sizeof(want), "%d.%d", all[i].run, all[i].pos) : 0;
			ok &=
			    i < nall && rec.klen == all[i].klen && memcmp(rec.key, all[i].key, rec.klen) == 0;
			ok &= rec.vlen == (size_t)wl && memcmp(rec.val, want, rec.vlen) == 0; /* stable */
			ok &= new_key == (i == 0 || kvrec_keycmp(all[i - 1].key, all[i - 1].klen, all[i].key,
			                                         all[i].klen) != 0);
			i++;
		}
		CHECK(ok && i == nall && merge_error(m) == 0 && merge_records(m) == nall);
		CHECK(!merge_next(m, &rec, NULL)); /* stays at the end */
		CHECK(merge_add_mem(m, "x\t1\n", 4) == MOSAIC_ESTATE);
		merge_free(m);
		for (int r = 0; r < nruns; r++)
			free(bufs[r]);
		free(bufs);
		free(blens);
		free(all);
	}
}

static char *
merged_sum(const char **runs, size_t n, int *rv)
{
	merge *m;
	merge_new(&m);
	for (size_t i = 0; i < n; i++)
		merge_add_mem(m, runs[i], strlen(runs[i]));
	int fd[2];
	if (pipe(fd) != 0)
		abort();
	kvfile_writer w;
	kvfile_writer_init_fd(&w, fd[1]);
	*rv = merge_sum(m, &w);
	kvfile_writer_close(&w);
	close(fd[1]);
	char *out = xcalloc(1, 4096);
	ssize_t k, got = 0;
	while ((k = read(fd[0], out + got, 4095 - (size_t)got)) > 0)
		got += k;
	close(fd[0]);
	merge_free(m);
	return out;
}

static void
test_merge_sum(void)
{
	int rv;
	const char *runs[] = {"a\t1\nb\t2\nb\t3\nz\t1\n", "", "A\t5\nb\t10\nc\t7\n", "b\t1\nzz\t2"};
	char *out = merged_sum(runs, 4, &rv);
	CHECK(rv == 0 && strcmp(out, "A\t5\na\t1\nb\t16\nc\t7\nz\t1\nzz\t2\n") == 0);
	free(out);

	const char *bad[] = {"a\t1\nb\tx\n"};
	out = merged_sum(bad, 1, &rv);
	CHECK(rv == MOSAIC_EINVAL);
	free(out);
	const char *over[] = {"a\t18446744073709551615\n", "a\t1\n"};
	out = merged_sum(over, 2, &rv);
	CHECK(rv == MOSAIC_EINVAL);
	free(out);
	const char *unsorted[] = {"a\t1\n", "b\t1\na\t1\n"};
	out = merged_sum(unsorted, 2, &rv);
	CHECK(rv == MOSAIC_EINVAL);
	free(out);
	const char *none[] = {""};
	out = merged_sum(none, 1, &rv);
	CHECK(rv == 0 && out[0] == 0);
	free(out);
	/* Empty keys (blank lines of a streaming mapper) sort first and group. */
	const char *blank[] = {"\t1\n\t2\na\t1\n", "\t4\n"};
	out = merged_sum(blank, 2, &rv);
	CHECK(rv == 0 && strcmp(out, "\t7\na\t1\n") == 0);
	free(out);
}

/* Streaming reducers see every line, grouped by key, in run order within a
 * key (the Hadoop contract). merge_write into one file. */
static void
test_merge_write(const char *dir)
{
	merge *m;
	merge_new(&m);
	const char *r0 = "apple\tx\napple\ty\nbanana\t1\n";
	const char *r1 = "apple\tz\ncherry\n";
	merge_add_mem(m, r0, strlen(r0));
	merge_add_mem(m, r1, strlen(r1));
	char *path = xasprintf("%s/reduce-in", dir);
	kvfile_writer w;
	CHECK_OK(kvfile_writer_open(&w, path));
	CHECK_OK(merge_write(m, &w));
	CHECK_OK(kvfile_writer_close(&w));
	char *got;
	size_t len;
	CHECK_OK(util_read_file(path, 1 << 20, &got, &len));
	CHECK(strcmp(got, "apple\tx\napple\ty\napple\tz\nbanana\t1\ncherry\t\n") == 0);
	free(got);
	free(path);
	merge_free(m);

	char *missing = xasprintf("%s/nope", dir);
	merge_new(&m);
	CHECK(merge_add_file(m, missing) == MOSAIC_ENOENT);
	kvrec rec;
	CHECK(!merge_next(m, &rec, NULL) && merge_error(m) == 0); /* no runs: empty */
	merge_free(m);
	free(missing);
}

int
main(void)
{
	char *dir = xstrdup("/tmp/mosaic-test-merge-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_parse();
	test_kvfile(dir);
	test_merge_random(dir);
	test_merge_sum();
	test_merge_write(dir);
	util_remove_tree(dir);
	free(dir);
	return check_done();
}
