/* cli_args.h - the option parser every subcommand uses: --name value,
 * --name=value, -x value, flags, and "--" ending the options. Unknown
 * options are errors naming the option (exit 2), never ignored. Pure. */
#ifndef MOSAIC_CLI_ARGS_H
#define MOSAIC_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cli_opt {
	const char *name; /* long name without dashes: "master" */
	char short_name;  /* 'h', or 0 */
	bool has_arg;
	int id; /* what cli_args_next returns for it (>= 0) */
} cli_opt;

enum { CLI_ARGS_END = -1, CLI_ARGS_ERROR = -2 };

typedef struct cli_args {
	int argc;
	char **argv;
	int i;         /* the next argument to look at */
	bool dashdash; /* options ended with an explicit "--" */
	char err[256];
} cli_args;

/* cli_args_init: parsing starts after argv[0] (the subcommand's name). */
void cli_args_init(cli_args *a, int argc, char **argv);
/* cli_args_next returns the next option's id (with *val its value, or
 * NULL for a flag), CLI_ARGS_END at the first positional argument, at
 * "--" (consumed) or at the end (a->i then indexes the positionals), or
 * CLI_ARGS_ERROR with a message in a->err. opts ends with a NULL name. */
int cli_args_next(cli_args *a, const cli_opt *opts, const char **val);

/* cli_args_fail prints "mosaic <cmd>: <msg> (see 'mosaic <cmd> --help')"
 * to stderr and returns CLI_EXIT_USAGE. */
int cli_args_fail(const char *cmd, const char *msg);
/* cli_args_no_positionals: CLI_EXIT_OK, or the usage error for the first
 * unexpected argument. */
int cli_args_no_positionals(const cli_args *a, const char *cmd);

#endif
