/* mrtask_reduce.c - `mapred-task reduce`: one reduce task. It fetches its
 * partition from every map (in map order, so the merge is deterministic),
 * merges the sorted runs and reduces them: summing for word count, or
 * through the user's reducer command for streaming. Output goes to
 * ./part-r-<5 digits>, which the client copies back.
 *
 * A map output that cannot be fetched is not this task's fault: after its
 * retries it names it in ./fetch-failures and exits MRTASK_EXIT_FETCH at
 * once, so the client checks the maps' outputs and re-runs those that are
 * gone (their agent may be) before running the reducer again. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "kvfile.h"
#include "mem.h"
#include "merge.h"
#include "mrexec.h"
#include "mrtask.h"
#include "util.h"

/* Fetches run i into ./in-<i>; false with a line in failures if it fails. */
static bool
fetch_run(const char *url, int i, uint64_t *bytes, FILE *failures)
{
	char name[32];
	snprintf(name, sizeof(name), "in-%d", i);
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		mrtask_err("cannot create %s: %s", name, strerror(errno));
		fprintf(failures, "%d %s cannot create %s\n", i, url, name);
		return false;
	}
	mrtask_filesink sink = {.fd = fd};
	httpc_result res;
	/* Five tries over ~4 s: long enough to ride out a busy agent, short
	 * enough that a dead one is reported while the job can still act. */
	int rv =
	    mrtask_fetch(url, 0, HTTPC_NO_SIZE, 5, mrtask_filesink_fn, mrtask_filesink_reset, &sink, &res);
	close(fd);
	if (rv) {
		const char *why = res.err[0] ? res.err : mosaic_strerror(rv);
		mrtask_err("map output %d (%s): %s", i, url, why);
		fprintf(failures, "%d %s %s\n", i, url, why);
		return false;
	}
	*bytes += sink.bytes;
	return true;
}

/* Streaming: the merged records into the reducer's stdin, its stdout into
 * the output's temporary file. */
static int
reduce_stream(merge *m, const char *cmd, const char *out, mrtask_counters *ctr)
{
	char *tmp = xasprintf("%s.tmp", out);
	int ofd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int p[2] = {-1, -1};
	if (ofd < 0 || pipe2(p, O_CLOEXEC) != 0) {
		mrtask_err("cannot create %s or a pipe: %s", tmp, strerror(errno));
		if (ofd >= 0)
			close(ofd);
		free(tmp);
		return MRTASK_EXIT_FAIL;
	}
	char err[512];
	pid_t pid;
	int rv = mrexec_spawn(cmd, p[0], ofd, &pid, err, sizeof(err));
	close(p[0]);
	if (rv) {
		mrtask_err("%s", err);
		close(p[1]);
		close(ofd);
		unlink(tmp);
		free(tmp);
		return MRTASK_EXIT_FAIL;
	}
	kvfile_writer w;
	kvfile_writer_init_fd(&w, p[1]);
	int mrv = merge_write(m, &w);
	int crv = kvfile_writer_close(&w);
	close(p[1]);
	int wrv = mrexec_wait(pid, "reducer", err, sizeof(err));
	mrtask_count(ctr, "reduce_input_records", merge_records(m));
	struct stat st;
	if (mrv || crv || wrv) {
		if (wrv)
			mrtask_err("%s", err);
		else if (mrv)
			mrtask_err("merging the map outputs: %s", mosaic_strerror(mrv));
		else
			mrtask_err("the reducer stopped reading its input (%s)", mosaic_strerror(crv));
		rv = MRTASK_EXIT_FAIL;
	} else if (fsync(ofd) != 0 || fstat(ofd, &st) != 0 || rename(tmp, out) != 0) {
		mrtask_err("cannot write %s: %s", out, strerror(errno));
		rv = MRTASK_EXIT_FAIL;
	} else {
		mrtask_count(ctr, "reduce_output_bytes", (uint64_t)st.st_size);
	}
	close(ofd);
	if (rv)
		unlink(tmp);
	free(tmp);
	return rv;
}

int
mrtask_reduce(int argc, char **argv)
{
	mrtask_set_name("reduce");
	const char *kind = NULL, *reducer = NULL;
	long part = -1;
	static const struct option opts[] = {
	    {"kind", 1, 0, 'k'}, {"partition", 1, 0, 'p'}, {"reducer", 1, 0, 'r'}, {0, 0, 0, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kind = optarg; break;
		case 'p': part = strtol(optarg, NULL, 10); break;
		case 'r': reducer = optarg; break;
		default: part = -2; break;
		}
	}
	bool wc = kind && strcmp(kind, "wordcount") == 0, st = kind && strcmp(kind, "stream") == 0;
	if ((!wc && !st) || part < 0 || part > 99999 || (st && !reducer) || optind >= argc) {
		mrtask_err(
		    "usage: mapred-task reduce --kind wordcount|stream --partition R [--reducer CMD] URL...");
		return MRTASK_EXIT_USAGE;
	}
	/* A reducer command that exits early must not kill us silently. */
	signal(SIGPIPE, SIG_IGN);
	mrtask_counters ctr = {0};
	FILE *failures = fopen("fetch-failures.tmp", "w");
	if (!failures) {
		mrtask_err("cannot create fetch-failures.tmp: %s", strerror(errno));
		return MRTASK_EXIT_FAIL;
	}
	int nruns = argc - optind, nfailed = 0;
	uint64_t shuffled = 0;
	/* The first output that cannot be had ends the task: the client then
	 * checks every map's output itself, so waiting out the retries of
	 * each one on a dead agent would only delay the redo. */
	for (int i = 0; i < nruns && !nfailed; i++)
		if (!fetch_run(argv[optind + i], i, &shuffled, failures))
			nfailed++;
	fclose(failures);
	mrtask_count(&ctr, "shuffle_bytes", shuffled);
	if (nfailed) {
		rename("fetch-failures.tmp", "fetch-failures");
		mrtask_err(
		    "a map output could not be fetched; the job will check them all and redo what is lost");
		return MRTASK_EXIT_FETCH;
	}
	unlink("fetch-failures.tmp");
	merge *m;
	merge_new(&m);
	int rv = MOSAIC_OK;
	for (int i = 0; i < nruns && !rv; i++) {
		char name[32];
		snprintf(name, sizeof(name), "in-%d", i);
		if ((rv = merge_add_file(m, name)) != 0)
			mrtask_err("%s: %s", name, mosaic_strerror(rv));
	}
	char *out = kvfile_output_path(".", (uint32_t)part);
	int code = MRTASK_EXIT_FAIL;
	if (!rv && wc) {
		kvfile_writer w;
		if ((rv = kvfile_writer_open(&w, out)) == 0) {
			rv = merge_sum(m, &w);
			uint64_t recs = w.records, bytes = w.bytes;
			if (rv) {
				mrtask_err("merging the map outputs: %s", mosaic_strerror(rv));
				kvfile_writer_abort(&w);
			} else if ((rv = kvfile_writer_close(&w)) != 0) {
				mrtask_err("writing %s: %s", out, mosaic_strerror(rv));
			}
			mrtask_count(&ctr, "reduce_input_records", merge_records(m));
			mrtask_count(&ctr, "reduce_output_records", recs);
			mrtask_count(&ctr, "reduce_output_bytes", bytes);
		}
		code = rv ? MRTASK_EXIT_FAIL : MRTASK_EXIT_OK;
	} else if (!rv) {
		code = reduce_stream(m, reducer, out, &ctr);
	}
	merge_free(m);
	free(out);
	for (int i = 0; i < nruns; i++) {
		char name[32];
		snprintf(name, sizeof(name), "in-%d", i);
		unlink(name);
	}
	if (code == MRTASK_EXIT_OK && mrtask_counters_write(&ctr) != 0) {
		mrtask_err("cannot write ./counters");
		code = MRTASK_EXIT_FAIL;
	}
	return code;
}
