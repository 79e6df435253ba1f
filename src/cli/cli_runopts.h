/* cli_runopts.h - the command line of `mosaic run`. Pure, so it is
 * unit-tested.
 *
 * The command after the options (or after "--") runs as argv, executed
 * directly, unless it is a single argument that looks like shell (spaces,
 * quotes, $, |, ;, &, <, >, globs ...): then it runs under /bin/sh -c.
 * So `mosaic run -- ls -l /` runs ls with two arguments, and
 * `mosaic run 'ls -l / | wc -l'` runs a pipeline. */
#ifndef MOSAIC_CLI_RUNOPTS_H
#define MOSAIC_CLI_RUNOPTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cli_runopts {
	double cpus, mem, disk; /* mem and disk in MiB */
	const char *role;
	const char *name;
	const char *master;
	double timeout;   /* seconds to wait for an offer that fits */
	const char **env; /* "K=V" entries, NULL-terminated (owned array, borrowed strings) */
	size_t nenv;
	bool json, verbose, help;
	bool shell; /* run shell_cmd under /bin/sh -c */
	const char *shell_cmd;
	char **argv; /* when !shell: the command, NULL-terminated (the caller's argv) */
	int nargv;
} cli_runopts;

/* cli_runopts_parse reads argv (argv[0] = "run"). 0, with o->help set when
 * --help was asked; MOSAIC_EINVAL with a message in err otherwise. The
 * caller frees with cli_runopts_fini. */
int cli_runopts_parse(cli_runopts *o, int argc, char **argv, char *err, size_t errlen);
void cli_runopts_fini(cli_runopts *o);
/* Whether one argument needs a shell to mean what it says. */
bool cli_runopts_needs_shell(const char *arg);
void cli_runopts_usage(void);

#endif
