#include "cli_args.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

void
cli_args_init(cli_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof(*a));
	a->argc = argc;
	a->argv = argv;
	a->i = 1;
}

static const cli_opt *
find_long(const cli_opt *opts, const char *name, size_t len)
{
	for (const cli_opt *o = opts; o->name; o++)
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
	return NULL;
}

static const cli_opt *
find_short(const cli_opt *opts, char c)
{
	for (const cli_opt *o = opts; o->name; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

int
cli_args_next(cli_args *a, const cli_opt *opts, const char **val)
{
	*val = NULL;
	if (a->i >= a->argc)
		return CLI_ARGS_END;
	const char *arg = a->argv[a->i];
	if (strcmp(arg, "--") == 0) {
		a->i++;
		a->dashdash = true;
		return CLI_ARGS_END;
	}
	if (arg[0] != '-' || arg[1] == '\0')
		return CLI_ARGS_END;
	const cli_opt *o;
	const char *inline_val = NULL;
	if (arg[1] == '-') {
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		o = find_long(opts, name, len);
		if (!o) {
			snprintf(a->err, sizeof(a->err), "unknown option '--%.*s'", (int)len, name);
			return CLI_ARGS_ERROR;
		}
		inline_val = eq ? eq + 1 : NULL;
	} else {
		o = arg[2] == '\0' ? find_short(opts, arg[1]) : NULL;
		if (!o) {
			snprintf(a->err, sizeof(a->err), "unknown option '%s'", arg);
			return CLI_ARGS_ERROR;
		}
	}
	a->i++;
	if (!o->has_arg) {
		if (inline_val) {
			snprintf(a->err, sizeof(a->err), "option '--%s' takes no value", o->name);
			return CLI_ARGS_ERROR;
		}
		return o->id;
	}
	if (inline_val) {
		*val = inline_val;
		return o->id;
	}
	if (a->i >= a->argc) {
		snprintf(a->err, sizeof(a->err), "option '--%s' needs a value", o->name);
		return CLI_ARGS_ERROR;
	}
	*val = a->argv[a->i++];
	return o->id;
}

int
cli_args_fail(const char *cmd, const char *msg)
{
	fprintf(stderr, "mosaic %s: %s (see 'mosaic %s --help')\n", cmd, msg, cmd);
	return CLI_EXIT_USAGE;
}

int
cli_args_no_positionals(const cli_args *a, const char *cmd)
{
	if (a->i >= a->argc)
		return CLI_EXIT_OK;
	char msg[300];
	snprintf(msg, sizeof(msg), "unexpected argument '%s'", a->argv[a->i]);
	return cli_args_fail(cmd, msg);
}
