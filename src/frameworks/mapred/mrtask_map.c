/* mrtask_map.c - `mapred-task map`: one map task. Its block comes from the
 * local replica when the task runs where one is (the scheduler's
 * node-local case), else from a replica's agent over HTTP; either way its
 * checksum is verified before a byte is counted, so a damaged replica
 * fails loudly instead of skewing the answer. Output: one sorted run per
 * reducer, ./part-<r>, which reducers fetch through this agent's file
 * server. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blocksum.h"
#include "errors.h"
#include "kvfile.h"
#include "mem.h"
#include "mrexec.h"
#include "mrtask.h"
#include "sortbuf.h"
#include "util.h"
#include "wctask.h"

#define MAX_URLS 16

typedef struct map_args {
	const char *kind, *local, *mapper, *combiner;
	const char *urls[MAX_URLS];
	int nurls;
	uint32_t reducers;
	uint64_t length, sum;
	size_t mem_limit;
} map_args;

/* The local replica, if it is whole and sound. */
static bool
use_local(const map_args *a)
{
	int fd = open(a->local, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		mrtask_err("local replica %s: %s; reading a remote one", a->local, strerror(errno));
		return false;
	}
	uint64_t sum, size;
	int rv = mrtask_sum_file(fd, &sum, &size);
	close(fd);
	if (rv || size != a->length || sum != a->sum) {
		mrtask_err("local replica %s is damaged (%llu bytes, want %llu); reading a remote one",
		           a->local, (unsigned long long)size, (unsigned long long)a->length);
		return false;
	}
	return true;
}

/* Fetches the block from the first replica that gives it whole into
 * ./input. Two rounds over the replicas, as an agent may be restarting. */
static int
fetch_input(const map_args *a, uint64_t *fetched)
{
	int fd = open("input.tmp", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		mrtask_err("cannot create input.tmp: %s", strerror(errno));
		return MRTASK_EXIT_FAIL;
	}
	blocksum sum;
	mrtask_filesink sink = {.fd = fd, .sum = &sum};
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < a->nurls; i++) {
			mrtask_filesink_reset(&sink);
			httpc_result res;
			int rv = mrtask_fetch(a->urls[i], 0, HTTPC_NO_SIZE, 2, mrtask_filesink_fn,
			                      mrtask_filesink_reset, &sink, &res);
			*fetched += sink.bytes;
			if (rv) {
				mrtask_err("replica %s: %s", a->urls[i],
				           res.err[0] ? res.err : mosaic_strerror(rv));
				continue;
			}
			if (sink.bytes != a->length || blocksum_final(&sum) != a->sum) {
				mrtask_err("replica %s is damaged (%llu bytes, want %llu, or a bad sum)",
				           a->urls[i], (unsigned long long)sink.bytes,
				           (unsigned long long)a->length);
				continue;
			}
			close(fd);
			if (rename("input.tmp", "input") != 0) {
				mrtask_err("rename input.tmp: %s", strerror(errno));
				return MRTASK_EXIT_FAIL;
			}
			return MRTASK_EXIT_OK;
		}
	}
	close(fd);
	unlink("input.tmp");
	mrtask_err("no replica of the block could be read (%d tried)", a->nurls);
	return MRTASK_EXIT_FETCH;
}

/* Runs cmd over in_fd into a sorter; the sorter's errors win over the command's. */
static int
pipe_into(const char *cmd, const char *what, int in_fd, sortbuf *sb)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		mrtask_err("pipe: %s", strerror(errno));
		return MOSAIC_EIO;
	}
	char err[512];
	pid_t pid;
	if (mrexec_spawn(cmd, in_fd, p[1], &pid, err, sizeof(err)) != 0) {
		mrtask_err("%s", err);
		close(p[0]);
		close(p[1]);
		return MOSAIC_EIO;
	}
	close(p[1]);
	enum { BUF = 1 << 20 };
	char *buf = xmalloc(BUF);
	int rv = MOSAIC_OK;
	for (;;) {
		ssize_t n = read(p[0], buf, BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((rv = sortbuf_feed(sb, buf, (size_t)n)) != 0) {
			mrtask_err("sorting the %s's output: %s", what, mosaic_strerror(rv));
			break;
		}
	}
	free(buf);
	close(p[0]); /* a command still writing gets SIGPIPE */
	int wrv = mrexec_wait(pid, what, err, sizeof(err));
	if (!rv && wrv) {
		mrtask_err("%s", err);
		rv = wrv;
	}
	return rv;
}

static int
map_stream(const map_args *a, const char *input, mrtask_counters *ctr)
{
	const char *dir = a->combiner ? "premap" : ".";
	if (a->combiner && mkdir(dir, 0755) != 0 && errno != EEXIST) {
		mrtask_err("mkdir %s: %s", dir, strerror(errno));
		return MRTASK_EXIT_FAIL;
	}
	int in = open(input, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		mrtask_err("%s: %s", input, strerror(errno));
		return MRTASK_EXIT_FAIL;
	}
	sortbuf *sb;
	int rv = sortbuf_new(&sb, dir, a->reducers, a->mem_limit);
	if (!rv)
		rv = pipe_into(a->mapper, "mapper", in, sb);
	close(in);
	sortbuf_stats st = {0};
	if (!rv && (rv = sortbuf_finish(sb, &st)) != 0)
		mrtask_err("writing the map output: %s", mosaic_strerror(rv));
	sortbuf_free(sb);
	if (rv)
		return MRTASK_EXIT_FAIL;
	mrtask_count(ctr, "map_output_records", st.records);
	mrtask_count(ctr, "map_spills", st.spills);
	if (!a->combiner)
		return MRTASK_EXIT_OK;
	/* The combiner runs over each sorted run; its output is sorted again,
	 * as a combiner need not keep its input's order. */
	for (uint32_t r = 0; r < a->reducers; r++) {
		char *run = kvfile_part_path(dir, r), *cdir = xasprintf("combine-%u", r);
		int cin = open(run, O_RDONLY | O_CLOEXEC);
		rv = cin < 0 || (mkdir(cdir, 0755) != 0 && errno != EEXIST) ? MOSAIC_EIO : MOSAIC_OK;
		if (rv)
			mrtask_err("combining %s: %s", run, strerror(errno));
		sortbuf *cb = NULL;
		if (!rv)
			rv = sortbuf_new(&cb, cdir, 1, a->mem_limit);
		if (!rv)
			rv = pipe_into(a->combiner, "combiner", cin, cb);
		sortbuf_stats cst = {0};
		if (!rv)
			rv = sortbuf_finish(cb, &cst);
		sortbuf_free(cb);
		if (cin >= 0)
			close(cin);
		char *out = kvfile_part_path(".", r), *tmp = kvfile_part_path(cdir, 0);
		if (!rv && rename(tmp, out) != 0) {
			mrtask_err("rename %s: %s", tmp, strerror(errno));
			rv = MOSAIC_EIO;
		}
		unlink(run);
		rmdir(cdir);
		free(run);
		free(cdir);
		free(out);
		free(tmp);
		if (rv)
			return MRTASK_EXIT_FAIL;
		mrtask_count(ctr, "combine_output_records", cst.records);
	}
	rmdir(dir);
	return MRTASK_EXIT_OK;
}

static int
parse(map_args *a, int argc, char **argv)
{
	static const struct option opts[] = {{"kind", 1, 0, 'k'},      {"reducers", 1, 0, 'r'},
	                                     {"length", 1, 0, 'l'},    {"sum", 1, 0, 's'},
	                                     {"local", 1, 0, 'L'},     {"url", 1, 0, 'u'},
	                                     {"mapper", 1, 0, 'm'},    {"combiner", 1, 0, 'c'},
	                                     {"mem-limit", 1, 0, 'M'}, {0, 0, 0, 0}};
	int c;
	bool has_length = false, has_sum = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': a->kind = optarg; break;
		case 'r': a->reducers = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'l':
			a->length = strtoull(optarg, NULL, 10);
			has_length = true;
			break;
		case 's': has_sum = blocksum_parse(optarg, &a->sum) == 0; break;
		case 'L': a->local = optarg; break;
		case 'u':
			if (a->nurls == MAX_URLS)
				return -1;
			a->urls[a->nurls++] = optarg;
			break;
		case 'm': a->mapper = optarg; break;
		case 'c': a->combiner = optarg; break;
		case 'M': a->mem_limit = (size_t)strtoull(optarg, NULL, 10); break;
		default: return -1;
		}
	}
	bool wc = a->kind && strcmp(a->kind, "wordcount") == 0,
	     st = a->kind && strcmp(a->kind, "stream") == 0;
	if ((!wc && !st) || a->reducers == 0 || !has_length || !has_sum || (!a->local && a->nurls == 0) ||
	    (st && !a->mapper) || optind != argc)
		return -1;
	return 0;
}

int
mrtask_map(int argc, char **argv)
{
	mrtask_set_name("map");
	map_args a = {0};
	if (parse(&a, argc, argv) != 0) {
		mrtask_err(
		    "usage: mapred-task map --kind wordcount|stream --reducers R --length N --sum HEX16 "
		    "[--local PATH] [--url URL]... [--mapper CMD [--combiner CMD]] [--mem-limit BYTES]");
		return MRTASK_EXIT_USAGE;
	}
	mrtask_counters ctr = {0};
	const char *input = NULL;
	uint64_t fetched = 0;
	if (a.local && use_local(&a)) {
		input = a.local;
		mrtask_count(&ctr, "map_local_reads", 1);
	} else {
		int rv = fetch_input(&a, &fetched);
		mrtask_count(&ctr, "map_remote_bytes", fetched);
		if (rv)
			return rv;
		input = "input";
		mrtask_count(&ctr, "map_remote_reads", 1);
	}
	mrtask_count(&ctr, "map_input_bytes", a.length);
	int rv;
	if (strcmp(a.kind, "wordcount") == 0) {
		wctask_stats st = {0};
		int e = wctask_map(input, 0, UINT64_MAX, ".", a.reducers,
		                   a.mem_limit ? a.mem_limit : WCTASK_DEFAULT_MEM, &st);
		if (e)
			mrtask_err("counting %s: %s", input, mosaic_strerror(e));
		mrtask_count(&ctr, "map_input_words", st.words);
		mrtask_count(&ctr, "map_output_records", st.records_out);
		mrtask_count(&ctr, "map_spills", st.spills);
		rv = e ? MRTASK_EXIT_FAIL : MRTASK_EXIT_OK;
	} else {
		rv = map_stream(&a, input, &ctr);
	}
	if (input != a.local)
		unlink(input); /* a fetched copy: no one reads it again */
	if (rv)
		return rv;
	uint64_t out = 0;
	for (uint32_t r = 0; r < a.reducers; r++) {
		char *p = kvfile_part_path(".", r);
		struct stat st;
		if (stat(p, &st) == 0)
			out += (uint64_t)st.st_size;
		free(p);
	}
	mrtask_count(&ctr, "map_output_bytes", out);
	if (mrtask_counters_write(&ctr) != 0) {
		mrtask_err("cannot write ./counters");
		return MRTASK_EXIT_FAIL;
	}
	return MRTASK_EXIT_OK;
}
