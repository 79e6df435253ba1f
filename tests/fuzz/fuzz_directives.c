/* fuzz_directives.c - what any user can hand `mbatch submit`: a script with
 * #SBATCH / #MBATCH directives and command-line options. The input is the
 * script, then (after a NUL byte, if any) the options, one per line. The
 * time, array and dependency parsers are reached through their options. */
#include <stdlib.h>
#include <string.h>

#include "directives.h"
#include "fuzz.h"

#define MAX_ARGS 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *script = (const char *)data;
	const uint8_t *nul = memchr(data, 0, size);
	size_t slen = nul ? (size_t)(nul - data) : size;
	char *opts = NULL, *argv[MAX_ARGS + 1];
	int argc = 0;
	if (nul) {
		size_t olen = size - slen - 1;
		opts = malloc(olen + 1);
		if (!opts)
			abort();
		memcpy(opts, nul + 1, olen);
		opts[olen] = '\0';
		for (char *save = NULL, *t = strtok_r(opts, "\n", &save); t && argc < MAX_ARGS;
		     t = strtok_r(NULL, "\n", &save))
			argv[argc++] = t;
	}
	argv[argc] = NULL;
	char err[512];
	int nopts = 0, at = 0;
	if (directives_args_end(argc, argv, &nopts, &at, err, sizeof(err)) == 0) {
		batch_job_spec spec;
		if (directives_parse(&spec, "job.sh", slen ? script : NULL, slen, nopts, argv, 1700000000, err,
		                     sizeof(err)) == 0)
			directives_spec_fini(&spec);
	}
	free(opts);
	return 0;
}

#define S(x) {x, sizeof(x) - 1}
static const struct {
	const char *text;
	size_t len;
} seeds[] = {
    S("#!/bin/bash\n#SBATCH -J sim\n#SBATCH -n 2 -c 4\n#SBATCH --mem=2G\n#SBATCH -t 1-02:30:00\n"
      "#SBATCH -o logs/%x-%j.out\n#SBATCH -e logs/%x-%j.err\n#SBATCH --array=0-15%4\necho hi\n"),
    S("#!/bin/sh\n#MBATCH --dependency=afterok:12:13,afterany:14?singleton\n#SBATCH -p batch -A acct\n"
      "#SBATCH --begin=now+1hour --hold --exclusive\n#SBATCH --cpu-bind=cores --mem-bind=local\n"
      "#SBATCH --cores-per-socket=4 --sockets-per-node=2\ntrue\n"),
    S("#!/bin/sh\n#SBATCH --export=ALL,FOO=bar --chdir=/tmp --priority=10 --no-requeue\n"
      "#SBATCH --time=5 --mem-per-cpu=100M 'quoted word' # comment\n"),
    S("#!/bin/sh\necho\n\0--array=1,3,5\n-t\n00:10:00\n--wrap\ntrue"),
    S("#!/bin/sh\n#SBATCH --unknown-option\n\0-J\nname\n--dependency=after:1+5"),
};

size_t
fuzz_seeds(uint8_t ***bufs, size_t **lens)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		fuzz_seed_add(bufs, lens, &n, seeds[i].text, seeds[i].len);
	return n;
}
