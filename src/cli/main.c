/* mosaic - the operator's command line: a table of subcommands, each in
 * its own file of libmosaic-cli. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

typedef struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} command;

static const command commands[] = {
    {"status", cli_info_status, "the cluster at a glance"},
    {"agents", cli_info_agents, "list the agents and their resources"},
    {"frameworks", cli_info_frameworks, "list the frameworks, their roles and shares"},
    {"tasks", cli_info_tasks, "list the tasks (--all: finished ones too)"},
    {"roles", cli_info_roles, "list the roles: weights and dominant shares"},
    {"run", cli_run_main, "run one command on the cluster and print its output"},
    {"cluster", cli_cluster_main, "start (up) or stop (down) a local cluster"},
};

static void
usage(FILE *out)
{
	fprintf(out, "usage: mosaic COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'mosaic COMMAND --help' tells more. The master is $MOSAIC_MASTER, else %s.\n",
	        CLI_DEFAULT_MASTER);
}

int
main(int argc, char **argv)
{
	/* Library chatter stays out of the way unless asked for. */
	const char *level = getenv("MOSAIC_LOG_LEVEL");
	int lvl = level ? log_level_parse(level) : -1;
	log_init("mosaic", lvl >= 0 ? lvl : LOG_ERROR, NULL);
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "help") == 0 && argc > 2) {
		/* "mosaic help run" is "mosaic run --help". */
		char *help_argv[] = {argv[2], "--help", NULL};
		if (strcmp(argv[2], "cluster") != 0 || argc < 4) {
			for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
				if (strcmp(commands[i].name, argv[2]) == 0)
					return commands[i].fn(2, help_argv);
		} else {
			char *cluster_argv[] = {argv[2], argv[3], "--help", NULL};
			return cli_cluster_main(3, cluster_argv);
		}
		fprintf(stderr, "mosaic: unknown command '%s'\n\n", argv[2]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "mosaic: unknown command '%s'\n\n", name);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
