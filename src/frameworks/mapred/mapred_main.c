/* mapred: the MapReduce framework's command line. Global options, then a
 * command; each command lives in its own file (mrput.c, mrfiles.c,
 * mrjob_args.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mosaic/sched.h>

#include "mrjob.h"
#include "mrput.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: mapred [--master URL] [--catalog PATH] [--role ROLE] COMMAND ...\n"
	             "\n"
	             "MapReduce on Mosaic. Files are stored in blocks on the agents, with replicas;\n"
	             "each job is a framework of its own that runs its maps where their blocks are.\n"
	             "\n"
	             "  put FILE... [--as NAME] [--block-size 64M] [--replicas 2]   store files\n"
	             "  ls [NAME...] [-l] [--json]                 stored files and their availability\n"
	             "  cat NAME...                                a stored file's bytes to stdout\n"
	             "  rm NAME...                                 forget files, free their blocks\n"
	             "  wordcount INPUT... -o OUTPUT [--reducers N] [--locality-wait 1s]\n"
	             "  stream --mapper CMD --reducer CMD [--combiner CMD] INPUT... -o OUTPUT\n"
	             "\n"
	             "  --master URL      the master (default $MOSAIC_MASTER, else tcp://127.0.0.1:5050)\n"
	             "  --catalog PATH    the block catalog (default $MAPRED_CATALOG, else\n"
	             "                    ~/.mosaic/mapred/<master host_port>.db)\n"
	             "  --role ROLE       the role jobs and the block store run in (default mapred)\n"
	             "  --log-level L     the framework library's log: error, warn (default), info, debug\n"
	             "\n"
	             "`mapred COMMAND --help` tells more. Tasks run mapred-task, found beside mapred\n"
	             "(or at $MAPRED_TASK_PROGRAM), which must be at the same path on every agent.\n");
}

int
main(int argc, char **argv)
{
	mrclient c;
	mrclient_init(&c, argv[0]);
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *opt = argv[i];
		if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
			usage(stdout);
			return MRCLIENT_EXIT_OK;
		}
		char *dst = NULL;
		size_t cap = 0;
		if (strcmp(opt, "--master") == 0)
			dst = c.master, cap = sizeof(c.master);
		else if (strcmp(opt, "--catalog") == 0)
			dst = c.catalog, cap = sizeof(c.catalog);
		else if (strcmp(opt, "--role") == 0)
			dst = c.role, cap = sizeof(c.role);
		else if (strcmp(opt, "--log-level") == 0)
			dst = c.log_level, cap = sizeof(c.log_level);
		if (!dst || i + 1 >= argc || strlen(argv[i + 1]) >= cap || !argv[i + 1][0]) {
			fprintf(stderr, "mapred: %s: unknown option or bad value (see mapred --help)\n", opt);
			return MRCLIENT_EXIT_USAGE;
		}
		snprintf(dst, cap, "%s", argv[++i]);
	}
	if (i >= argc) {
		usage(stderr);
		return MRCLIENT_EXIT_USAGE;
	}
	mrclient_default_catalog(&c);
	if (mosaic_sched_log_init("mapred", c.log_level, NULL) != 0) {
		fprintf(stderr, "mapred: --log-level wants error, warn, info or debug\n");
		return MRCLIENT_EXIT_USAGE;
	}
	/* Transfers report a peer that hung up; they must not die of it. */
	signal(SIGPIPE, SIG_IGN);
	/* Blocked in every thread from the start, so the framework's loop
	 * (signalfd) is the one place that sees an interruption. */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	const char *cmd = argv[i];
	int sub_argc = argc - i;
	char **sub_argv = argv + i;
	if (strcmp(cmd, "put") == 0 || strcmp(cmd, "rm") == 0 || strcmp(cmd, "wordcount") == 0 ||
	    strcmp(cmd, "stream") == 0)
		pthread_sigmask(SIG_BLOCK, &block, NULL);
	if (strcmp(cmd, "put") == 0)
		return mrput_main(&c, sub_argc, sub_argv);
	if (strcmp(cmd, "ls") == 0)
		return mrfiles_ls(&c, sub_argc, sub_argv);
	if (strcmp(cmd, "cat") == 0)
		return mrfiles_cat(&c, sub_argc, sub_argv);
	if (strcmp(cmd, "rm") == 0)
		return mrfiles_rm(&c, sub_argc, sub_argv);
	if (strcmp(cmd, "wordcount") == 0 || strcmp(cmd, "stream") == 0)
		return mrjob_main(&c, sub_argc, sub_argv);
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return MRCLIENT_EXIT_OK;
	}
	fprintf(stderr, "mapred: unknown command '%s' (see mapred --help)\n", cmd);
	return MRCLIENT_EXIT_USAGE;
}
