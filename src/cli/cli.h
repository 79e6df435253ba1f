/* cli.h - the mosaic command: its subcommands' entry points and the small
 * conventions they share. Each entry point takes the arguments after
 * "mosaic" (argv[0] is the subcommand's name) and returns the exit status:
 * 0 success, 1 failure (a message on stderr), 2 a usage error. */
#ifndef MOSAIC_CLI_H
#define MOSAIC_CLI_H

#include <stddef.h>

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

#define CLI_DEFAULT_MASTER "tcp://127.0.0.1:5050"
/* How long the CLI waits for the master's State. */
#define CLI_STATE_TIMEOUT 3.0

int cli_info_status(int argc, char **argv);
int cli_info_agents(int argc, char **argv);
int cli_info_frameworks(int argc, char **argv);
int cli_info_tasks(int argc, char **argv);
int cli_info_roles(int argc, char **argv);
int cli_run_main(int argc, char **argv);
int cli_cluster_main(int argc, char **argv);

/* cli_master: the --master flag if given, else $MOSAIC_MASTER, else the default. */
const char *cli_master(const char *flag);
/* cli_default_dir: ${MOSAIC_HOME:-/tmp/mosaic-<uid>} into buf; returns buf. */
char *cli_default_dir(char *buf, size_t len);
/* cli_no_master prints the "no master answering" message; returns 1. */
int cli_no_master(const char *master);

#endif
