/* mbatch_main.c - the `mbatch` CLI: one table of commands, each in its own
 * file. mbatchd is found at --address, else $MBATCH_ADDRESS, else the port
 * derived from $MOSAIC_MASTER (batchaddr.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchaddr.h"
#include "mbatch_cli.h"

typedef struct command {
	const char *name;
	int (*fn)(const char *address, int argc, char **argv);
	const char *help;
} command;

static const command commands[] = {
    {"submit", mbatch_submit_main, "queue a job script (as sbatch)"},
    {"queue", mbatch_queue_main, "pending and running jobs (as squeue)"},
    {"cancel", mbatch_cancel_main, "cancel jobs (as scancel)"},
    {"hold", mbatch_hold_main, "keep pending jobs from starting (scontrol hold)"},
    {"release", mbatch_release_main, "let held jobs start (scontrol release)"},
    {"show", mbatch_show_main, "everything about a job (scontrol show job)"},
    {"history", mbatch_history_main, "jobs that ran, with exit codes (as sacct)"},
    {"logs", mbatch_logs_main, "a job's output, from its agent (-f to follow)"},
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: mbatch [--address URL] COMMAND [options]\n\n"
	             "Slurm-style batch jobs on Mosaic (mbatchd).\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n'mbatch COMMAND --help' tells more. Every command takes --json.\n"
	             "mbatchd is found at --address, $MBATCH_ADDRESS, or $MOSAIC_MASTER's port + 1010\n"
	             "(tcp://127.0.0.1:6060 for the default master).\n");
}

int
main(int argc, char **argv)
{
	const char *explicit_addr = NULL;
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return MBATCH_EXIT_OK;
		}
		if (strcmp(argv[i], "--address") == 0 && i + 1 < argc) {
			explicit_addr = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--address=", 10) == 0) {
			explicit_addr = argv[i] + 10;
			i++;
		} else {
			fprintf(stderr, "mbatch: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return MBATCH_EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return MBATCH_EXIT_USAGE;
	}
	char address[BATCHADDR_MAX];
	if (batchaddr_resolve(explicit_addr, getenv("MBATCH_ADDRESS"), getenv("MOSAIC_MASTER"), address,
	                      sizeof(address)) != 0) {
		fprintf(stderr,
		        "mbatch: cannot tell where mbatchd listens from MOSAIC_MASTER='%s'; set "
		        "MBATCH_ADDRESS\n",
		        getenv("MOSAIC_MASTER"));
		return MBATCH_EXIT_USAGE;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			return commands[k].fn(address, argc - i, argv + i);
	fprintf(stderr, "mbatch: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return MBATCH_EXIT_USAGE;
}
