/* mrtask_store.c - `mapred-task store` and `unstore`: the block store's two
 * tasks. A block lives as ./blk in the sandbox of the store task that
 * fetched it (see mrstore.h for why there), so storing is a fetch into the
 * sandbox, checked against the checksum `mapred put` computed, made durable
 * and renamed into place; and removing is an unlink in a sibling sandbox of
 * the same framework on the same agent. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocksum.h"
#include "errors.h"
#include "mrtask.h"

int
mrtask_store(int argc, char **argv)
{
	mrtask_set_name("store");
	const char *url = NULL, *sumhex = NULL;
	uint64_t length = 0, want_sum = 0;
	bool has_length = false;
	static const struct option opts[] = {
	    {"url", 1, 0, 'u'}, {"length", 1, 0, 'l'}, {"sum", 1, 0, 's'}, {0, 0, 0, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 'l':
			length = strtoull(optarg, NULL, 10);
			has_length = true;
			break;
		case 's': sumhex = optarg; break;
		default: return MRTASK_EXIT_USAGE;
		}
	}
	if (!url || !has_length || !sumhex || blocksum_parse(sumhex, &want_sum) != 0 || optind != argc) {
		mrtask_err("usage: mapred-task store --url URL --length N --sum HEX16");
		return MRTASK_EXIT_USAGE;
	}
	int fd = open("blk.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		mrtask_err("cannot create blk.tmp: %s", strerror(errno));
		return MRTASK_EXIT_FAIL;
	}
	blocksum sum;
	blocksum_init(&sum);
	mrtask_filesink sink = {.fd = fd, .sum = &sum};
	httpc_result res;
	int rv =
	    mrtask_fetch(url, 0, HTTPC_NO_SIZE, 4, mrtask_filesink_fn, mrtask_filesink_reset, &sink, &res);
	if (rv) {
		mrtask_err("fetching %s: %s", url, res.err[0] ? res.err : mosaic_strerror(rv));
		close(fd);
		unlink("blk.tmp");
		return MRTASK_EXIT_FETCH;
	}
	uint64_t got = blocksum_final(&sum);
	if (sink.bytes != length || got != want_sum) {
		char hex[17];
		blocksum_hex(got, hex);
		mrtask_err("block corrupt in transit: %llu bytes with sum %s, want %llu bytes with sum %s",
		           (unsigned long long)sink.bytes, hex, (unsigned long long)length, sumhex);
		close(fd);
		unlink("blk.tmp");
		return MRTASK_EXIT_FAIL;
	}
	/* The client records the replica once we exit 0: it must survive a
	 * crash of the machine from then on. */
	if (fsync(fd) != 0 || close(fd) != 0 || rename("blk.tmp", "blk") != 0) {
		mrtask_err("cannot write blk: %s", strerror(errno));
		unlink("blk.tmp");
		return MRTASK_EXIT_FAIL;
	}
	int dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	printf("stored %llu bytes, sum %s\n", (unsigned long long)length, sumhex);
	return MRTASK_EXIT_OK;
}

/* The part of a sandbox path before "/frameworks/<fw>/tasks/": the agent's
 * work directory. */
static bool
work_dir_of(const char *path, const char *fw, char *out, size_t cap)
{
	char needle[128];
	snprintf(needle, sizeof(needle), "/frameworks/%s/tasks/", fw);
	const char *at = strstr(path, needle);
	if (!at || (size_t)(at - path) >= cap)
		return false;
	memcpy(out, path, (size_t)(at - path));
	out[at - path] = '\0';
	return true;
}

int
mrtask_unstore(int argc, char **argv)
{
	mrtask_set_name("unstore");
	const char *fw = getenv("MOSAIC_FRAMEWORK_ID"), *sandbox = getenv("MOSAIC_SANDBOX");
	char mine[PATH_MAX];
	if (!fw || !sandbox || !work_dir_of(sandbox, fw, mine, sizeof(mine))) {
		mrtask_err("not running as a task of the block store (MOSAIC_FRAMEWORK_ID, MOSAIC_SANDBOX)");
		return MRTASK_EXIT_FAIL;
	}
	int bad = 0, removed = 0, absent = 0;
	for (int i = 1; i < argc; i++) {
		const char *p = argv[i];
		char theirs[PATH_MAX];
		size_t n = strlen(p);
		/* Only blocks of this framework on this agent, never anything else. */
		if (n < 4 || strcmp(p + n - 4, "/blk") != 0 || strstr(p, "/../") ||
		    !work_dir_of(p, fw, theirs, sizeof(theirs)) || strcmp(theirs, mine) != 0) {
			mrtask_err("refusing to remove %s: not a block of framework %s under %s", p, fw,
			           mine);
			bad++;
			continue;
		}
		if (unlink(p) == 0)
			removed++;
		else if (errno == ENOENT)
			absent++;
		else {
			mrtask_err("cannot remove %s: %s", p, strerror(errno));
			bad++;
		}
	}
	printf("removed %d blocks, %d already gone, %d refused or failed\n", removed, absent, bad);
	return bad ? MRTASK_EXIT_FAIL : MRTASK_EXIT_OK;
}
