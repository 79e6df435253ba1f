/* bench_wordcount_core.c - mapred's word-count data path, in-process, over
 * a file: split it into blocks (split.h), run a map task per block
 * (wctask_map: count, then R sorted partition runs), then a reduce task per
 * partition (wctask_reduce: merge the maps' runs, summing). Prints each
 * phase's time and throughput; the map phase also split into counting and
 * sort+partition+write, measured on the same blocks with wordcount.h.
 *
 * Usage: bench_wordcount_core [-b BLOCK] [-r REDUCERS] [-j THREADS] FILE WORKDIR
 *   BLOCK 64M by default, REDUCERS 4, THREADS 1 (maps and reduces run on
 *   that many threads, as tasks would on that many cores). Leaves the
 *   reducers' outputs in WORKDIR/out/part-r-NNNNN (for checking).
 * MB/s is 10^6 bytes per second of input. A benchmark, not a test. */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "kvfile.h"
#include "mem.h"
#include "split.h"
#include "util.h"
#include "wctask.h"
#include "wordcount.h"

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct job {
	const char *input, *work;
	split_block *blocks;
	size_t nblocks;
	uint32_t nred;
	atomic_size_t next; /* next task to take */
	atomic_int err;
	atomic_uint_fast64_t words, records, reduce_in;
} job;

static char *
map_dir(const job *j, size_t m)
{
	return xasprintf("%s/map-%05zu", j->work, m);
}

static void *
map_worker(void *arg)
{
	job *j = arg;
	for (size_t m; (m = atomic_fetch_add(&j->next, 1)) < j->nblocks;) {
		char *dir = map_dir(j, m);
		int rv = util_mkdir_p(dir);
		wctask_stats st = {0};
		if (!rv)
			rv = wctask_map(j->input, j->blocks[m].offset, j->blocks[m].length, dir, j->nred,
			                WCTASK_DEFAULT_MEM, &st);
		if (rv)
			atomic_store(&j->err, rv);
		atomic_fetch_add(&j->words, st.words);
		atomic_fetch_add(&j->records, st.records_out);
		free(dir);
	}
	return NULL;
}

static void *
reduce_worker(void *arg)
{
	job *j = arg;
	for (size_t r; (r = atomic_fetch_add(&j->next, 1)) < j->nred;) {
		const char **in = xmalloc(j->nblocks * sizeof(char *));
		uint64_t bytes = 0;
		for (size_t m = 0; m < j->nblocks; m++) {
			char *dir = map_dir(j, m);
			char *p = kvfile_part_path(dir, (uint32_t)r);
			struct stat sb;
			if (stat(p, &sb) == 0)
				bytes += (uint64_t)sb.st_size;
			in[m] = p;
			free(dir);
		}
		char *outdir = xasprintf("%s/out", j->work);
		char *out = kvfile_output_path(outdir, (uint32_t)r);
		wctask_stats st;
		int rv = wctask_reduce(in, j->nblocks, out, &st);
		if (rv)
			atomic_store(&j->err, rv);
		atomic_fetch_add(&j->records, st.records_out);
		atomic_fetch_add(&j->reduce_in, bytes);
		for (size_t m = 0; m < j->nblocks; m++)
			free((char *)in[m]);
		free(in);
		free(out);
		free(outdir);
	}
	return NULL;
}

static void
run_phase(job *j, int threads, void *(*fn)(void *))
{
	pthread_t th[64];
	atomic_store(&j->next, 0);
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, fn, j);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
}

int
main(int argc, char **argv)
{
	uint64_t bs = SPLIT_DEFAULT_BLOCK;
	long nred = 4, threads = 1;
	int opt;
	while ((opt = getopt(argc, argv, "b:r:j:")) != -1) {
		if (opt == 'b' && split_parse_size(optarg, &bs) == 0)
			continue;
		if (opt == 'r' && (nred = strtol(optarg, NULL, 10)) > 0 && nred < 10000)
			continue;
		if (opt == 'j' && (threads = strtol(optarg, NULL, 10)) > 0 && threads <= 64)
			continue;
		goto usage;
	}
	if (argc - optind != 2)
		goto usage;
	job j = {.input = argv[optind], .work = argv[optind + 1], .nred = (uint32_t)nred};
	char *outdir = xasprintf("%s/out", j.work);
	if (util_mkdir_p(outdir) != 0) {
		fprintf(stderr, "bench_wordcount_core: cannot create %s\n", outdir);
		return 1;
	}
	struct stat sb;
	if (stat(j.input, &sb) != 0) {
		fprintf(stderr, "bench_wordcount_core: %s: no such file\n", j.input);
		return 1;
	}
	double size = (double)sb.st_size;

	double t0 = now();
	int rv = split_file(j.input, bs, &j.blocks, &j.nblocks);
	double t1 = now();
	if (rv) {
		fprintf(stderr, "split: %s\n", mosaic_strerror(rv));
		return 1;
	}
	printf("input %.0f bytes (%.1f MiB), %zu blocks of <= %llu MiB, %u reducers, %ld thread(s)\n", size,
	       size / 1048576, j.nblocks, (unsigned long long)(bs >> 20), j.nred, threads);
	printf("split:   %8.3f ms\n", (t1 - t0) * 1e3);

	/* The map phase's two halves, on one thread, block after block. */
	double tc = 0, tw = 0;
	int fd = open(j.input, O_RDONLY);
	char *scratch = xasprintf("%s/phase", j.work);
	util_mkdir_p(scratch);
	for (size_t m = 0; m < j.nblocks && fd >= 0; m++) {
		wc_table *t;
		wc_table_new(&t);
		uint64_t done;
		double a = now();
		wc_count_fd(t, fd, j.blocks[m].offset, j.blocks[m].length, 0, &done);
		double b = now();
		wc_write_partitions(t, scratch, j.nred, NULL);
		double c = now();
		tc += b - a;
		tw += c - b;
		wc_table_free(t);
	}
	if (fd >= 0)
		close(fd);
	util_remove_tree(scratch);
	free(scratch);
	printf("map count (1 thread):                 %8.3f s  %8.1f MB/s\n", tc, size / tc / 1e6);
	printf("map sort+partition+write (1 thread):  %8.3f s  (%.1f ms per block)\n", tw,
	       tw * 1e3 / (double)j.nblocks);

	double t2 = now();
	run_phase(&j, (int)threads, map_worker);
	double t3 = now();
	if (atomic_load(&j.err)) {
		fprintf(stderr, "map: %s\n", mosaic_strerror(atomic_load(&j.err)));
		return 1;
	}
	uint64_t map_records = atomic_load(&j.records);
	printf("map phase (wctask_map):  %8.3f s  %8.1f MB/s   %llu words, %llu run lines\n", t3 - t2,
	       size / (t3 - t2) / 1e6, (unsigned long long)atomic_load(&j.words),
	       (unsigned long long)map_records);

	atomic_store(&j.records, 0);
	double t4 = now();
	run_phase(&j, (int)threads, reduce_worker);
	double t5 = now();
	if (atomic_load(&j.err)) {
		fprintf(stderr, "reduce: %s\n", mosaic_strerror(atomic_load(&j.err)));
		return 1;
	}
	double rin = (double)atomic_load(&j.reduce_in);
	printf("reduce phase (wctask_reduce): %8.3f s  %8.1f MB/s of runs (%.1f MiB in, %.0f lines/s), "
	       "%llu distinct words out\n",
	       t5 - t4, rin / (t5 - t4) / 1e6, rin / 1048576, (double)map_records / (t5 - t4),
	       (unsigned long long)atomic_load(&j.records));
	printf("map+reduce:  %8.3f s  %8.1f MB/s of input\n", (t3 - t2) + (t5 - t4),
	       size / ((t3 - t2) + (t5 - t4)) / 1e6);
	free(j.blocks);
	free(outdir);
	return 0;
usage:
	fprintf(stderr, "usage: bench_wordcount_core [-b BLOCK] [-r REDUCERS] [-j THREADS] FILE WORKDIR\n");
	return 2;
}
