/* mrjob_args.c - `mapred wordcount` and `mapred stream`: their options. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrjob.h"
#include "util.h"

static void
usage(FILE *out, mrjob_kind kind)
{
	if (kind == MRJOB_WORDCOUNT)
		fprintf(out,
		        "usage: mapred wordcount INPUT... -o OUTPUT [options]\n"
		        "\n"
		        "Counts the words of stored files (mapred put): a word is a maximal run of\n"
		        "ASCII letters [A-Za-z], case kept. OUTPUT/part-r-NNNNN hold \"word<TAB>count\"\n"
		        "lines sorted byte-wise (LC_ALL=C) within each part; maps combine their counts.\n");
	else
		fprintf(out,
		        "usage: mapred stream --mapper CMD --reducer CMD [--combiner CMD] INPUT... -o OUTPUT "
		        "[options]\n"
		        "\n"
		        "Hadoop Streaming: each map runs `sh -c CMD` with its block on stdin and writes\n"
		        "\"key<TAB>value\" lines (no tab: all key); they are partitioned by key, sorted\n"
		        "(byte-wise) and given to each reducer command on stdin, grouped by key. The\n"
		        "combiner, if any, runs over each map's sorted output per partition and must\n"
		        "keep its keys. The commands must exist on every agent.\n");
	fprintf(out,
	        "\n"
	        "  -o, --output DIR        a local directory, new or empty, for part-r-NNNNN and _SUCCESS\n"
	        "  --reducers N            reduce tasks, so output parts (default 2)\n"
	        "  --locality-wait TIME    delay scheduling: how long the job waits for an agent holding\n"
	        "                          a map's block before running it on the same rack, and as long\n"
	        "                          again before running it anywhere. Counted in TIME (e.g. 1s,\n"
	        "                          500ms, 0 for no waiting), not in offers skipped. Default 1s\n"
	        "  --map-cpus C --map-mem MiB        each map task's resources (default 1, 256)\n"
	        "  --reduce-cpus C --reduce-mem MiB  each reduce task's (default 1, 256)\n"
	        "  --max-attempts N        launches of one task before the job fails (default 4)\n"
	        "  --timeout TIME          fail the job if it has not finished by then (default: never)\n"
	        "  --json                  print the result and counters as JSON on stdout\n"
	        "  --quiet                 no progress on stderr\n"
	        "\n"
	        "Progress (map %%, reduce %%) goes to stderr; the counters (records, bytes, locality,\n"
	        "attempts, shuffle bytes) are printed at the end. Exit 0 when done, 1 when the job\n"
	        "failed (with the reason), 2 for bad arguments.\n");
}

static int
bad(mrjob_kind kind, const char *what, const char *val)
{
	fprintf(stderr, "mapred %s: %s, not '%s' (see --help)\n",
	        kind == MRJOB_WORDCOUNT ? "wordcount" : "stream", what, val);
	return MRCLIENT_EXIT_USAGE;
}

static int
positive(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > 1e9)
		return -1;
	*out = v;
	return 0;
}

int
mrjob_main(mrclient *c, int argc, char **argv)
{
	mrjob_kind kind = strcmp(argv[0], "stream") == 0 ? MRJOB_STREAM : MRJOB_WORDCOUNT;
	mrjob_config cfg;
	mrjob_config_init(&cfg, kind);
	enum {
		O_RED = 256,
		O_WAIT,
		O_MCPU,
		O_MMEM,
		O_RCPU,
		O_RMEM,
		O_ATT,
		O_TMO,
		O_JSON,
		O_QUIET,
		O_MAPPER,
		O_REDUCER,
		O_COMB
	};
	static const struct option opts[] = {{"output", 1, 0, 'o'},
	                                     {"reducers", 1, 0, O_RED},
	                                     {"locality-wait", 1, 0, O_WAIT},
	                                     {"map-cpus", 1, 0, O_MCPU},
	                                     {"map-mem", 1, 0, O_MMEM},
	                                     {"reduce-cpus", 1, 0, O_RCPU},
	                                     {"reduce-mem", 1, 0, O_RMEM},
	                                     {"max-attempts", 1, 0, O_ATT},
	                                     {"timeout", 1, 0, O_TMO},
	                                     {"json", 0, 0, O_JSON},
	                                     {"quiet", 0, 0, O_QUIET},
	                                     {"mapper", 1, 0, O_MAPPER},
	                                     {"reducer", 1, 0, O_REDUCER},
	                                     {"combiner", 1, 0, O_COMB},
	                                     {"help", 0, 0, 'h'},
	                                     {0, 0, 0, 0}};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		char *end;
		unsigned long n;
		switch (ch) {
		case 'o': cfg.output = optarg; break;
		case O_RED:
			n = strtoul(optarg, &end, 10);
			if (*end || n < 1 || n > 10000)
				return bad(kind, "--reducers wants 1 to 10000", optarg);
			cfg.reducers = (uint32_t)n;
			break;
		case O_WAIT:
			if (util_parse_duration(optarg, &cfg.locality_wait) != 0 || cfg.locality_wait > 3600)
				return bad(kind, "--locality-wait wants a time like 1s, 500ms or 0", optarg);
			break;
		case O_MCPU:
			if (positive(optarg, &cfg.map_cpus))
				return bad(kind, "--map-cpus wants a positive number", optarg);
			break;
		case O_MMEM:
			if (positive(optarg, &cfg.map_mem) || cfg.map_mem < 16)
				return bad(kind, "--map-mem wants MiB, at least 16", optarg);
			break;
		case O_RCPU:
			if (positive(optarg, &cfg.reduce_cpus))
				return bad(kind, "--reduce-cpus wants a positive number", optarg);
			break;
		case O_RMEM:
			if (positive(optarg, &cfg.reduce_mem) || cfg.reduce_mem < 16)
				return bad(kind, "--reduce-mem wants MiB, at least 16", optarg);
			break;
		case O_ATT:
			n = strtoul(optarg, &end, 10);
			if (*end || n < 1 || n > 100)
				return bad(kind, "--max-attempts wants 1 to 100", optarg);
			cfg.max_attempts = (uint32_t)n;
			break;
		case O_TMO:
			if (util_parse_duration(optarg, &cfg.timeout) != 0 || cfg.timeout <= 0)
				return bad(kind, "--timeout wants a time like 10m", optarg);
			break;
		case O_JSON: cfg.json = true; break;
		case O_QUIET: cfg.quiet = true; break;
		case O_MAPPER: cfg.mapper = optarg; break;
		case O_REDUCER: cfg.reducer = optarg; break;
		case O_COMB: cfg.combiner = optarg; break;
		case 'h': usage(stdout, kind); return MRCLIENT_EXIT_OK;
		default: usage(stderr, kind); return MRCLIENT_EXIT_USAGE;
		}
	}
	const char *cmd = kind == MRJOB_WORDCOUNT ? "wordcount" : "stream";
	if (optind >= argc || !cfg.output) {
		fprintf(stderr, "mapred %s: give INPUT... and -o OUTPUT (see --help)\n", cmd);
		return MRCLIENT_EXIT_USAGE;
	}
	if (kind == MRJOB_STREAM && (!cfg.mapper || !cfg.reducer)) {
		fprintf(stderr, "mapred stream: --mapper and --reducer are required\n");
		return MRCLIENT_EXIT_USAGE;
	}
	if (kind == MRJOB_WORDCOUNT && (cfg.mapper || cfg.reducer || cfg.combiner)) {
		fprintf(stderr,
		        "mapred wordcount: --mapper, --reducer and --combiner are for mapred stream\n");
		return MRCLIENT_EXIT_USAGE;
	}
	cfg.inputs = argv + optind;
	cfg.ninputs = (size_t)(argc - optind);
	return mrjob_run(c, &cfg);
}
