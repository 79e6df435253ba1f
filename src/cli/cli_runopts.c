#include "cli_runopts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "errors.h"
#include "ids.h"
#include "mem.h"
#include "util.h"

enum { O_CPUS, O_MEM, O_DISK, O_ROLE, O_NAME, O_MASTER, O_TIMEOUT, O_ENV, O_JSON, O_VERBOSE, O_HELP };

static const cli_opt opts[] = {
    {"cpus", 0, true, O_CPUS},          {"mem", 0, true, O_MEM},      {"disk", 0, true, O_DISK},
    {"role", 0, true, O_ROLE},          {"name", 0, true, O_NAME},    {"master", 0, true, O_MASTER},
    {"timeout", 0, true, O_TIMEOUT},    {"env", 'e', true, O_ENV},    {"json", 0, false, O_JSON},
    {"verbose", 'v', false, O_VERBOSE}, {"help", 'h', false, O_HELP}, {NULL, 0, false, 0},
};

void
cli_runopts_usage(void)
{
	printf("usage: mosaic run [options] [--] COMMAND [ARGS...]\n\n"
	       "Run one command on the cluster as a one-shot framework: wait for an offer that\n"
	       "fits, launch, report where it runs and its state changes (stderr), then print\n"
	       "its stdout and stderr and exit with its exit status (128+N when signal N ended\n"
	       "it, 1 for other failures). Ctrl-C kills the task.\n\n"
	       "COMMAND with ARGS runs directly (no shell); a single argument with spaces or\n"
	       "shell syntax runs under /bin/sh -c:  mosaic run 'echo $HOME | wc -c'\n\n"
	       "  --cpus N          cpus for the task (default 1)\n"
	       "  --mem MB          memory in MiB (default 128)\n"
	       "  --disk MB         disk in MiB (default 0)\n"
	       "  --role R          the framework's role (default *)\n"
	       "  --name NAME       framework and task name (default mosaic-run)\n"
	       "  --master ADDR     the master (default: $MOSAIC_MASTER, else tcp://127.0.0.1:5050)\n"
	       "  --timeout T       how long to wait for resources, e.g. 30s, 5m (default 60s)\n"
	       "  -e, --env K=V     set an environment variable for the task (repeatable)\n"
	       "  --json            print one JSON object at the end (output included) instead\n"
	       "  -v, --verbose     log the library's messages\n"
	       "  -h, --help        this help\n");
}

bool
cli_runopts_needs_shell(const char *arg)
{
	for (const char *p = arg; *p; p++)
		if (isspace((unsigned char)*p) || strchr("|&;<>()$`\\\"'*?[]#~{}!", *p))
			return true;
	return false;
}

static int
number(const char *flag, const char *val, double *out, bool zero_ok, char *err, size_t errlen)
{
	char *end;
	errno = 0;
	double v = strtod(val, &end);
	if (end == val || *end || errno || !isfinite(v) || v < 0 || (!zero_ok && v == 0)) {
		snprintf(err, errlen, "--%s wants a %s number, not '%s'", flag,
		         zero_ok ? "non-negative" : "positive", val);
		return MOSAIC_EINVAL;
	}
	*out = v;
	return MOSAIC_OK;
}

static bool
env_name_valid(const char *kv, const char *eq)
{
	if (eq == kv || !(isalpha((unsigned char)*kv) || *kv == '_'))
		return false;
	for (const char *p = kv; p < eq; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			return false;
	return true;
}

int
cli_runopts_parse(cli_runopts *o, int argc, char **argv, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->cpus = 1;
	o->mem = 128;
	o->disk = 0;
	o->timeout = 60;
	o->role = "*";
	o->name = "mosaic-run";
	o->env = xcalloc((size_t)argc + 1, sizeof(char *));
	cli_args a;
	cli_args_init(&a, argc, argv);
	const char *val;
	int id, rv = MOSAIC_OK;
	while (rv == 0 && (id = cli_args_next(&a, opts, &val)) >= 0) {
		switch (id) {
		case O_CPUS: rv = number("cpus", val, &o->cpus, false, err, errlen); break;
		case O_MEM: rv = number("mem", val, &o->mem, false, err, errlen); break;
		case O_DISK: rv = number("disk", val, &o->disk, true, err, errlen); break;
		case O_ROLE:
			if (strcmp(val, "*") != 0 && !id_valid(val)) {
				snprintf(err, errlen,
				         "--role '%s' is not a role name (* or 1-63 of A-Z a-z 0-9 . _ -)",
				         val);
				rv = MOSAIC_EINVAL;
			}
			o->role = val;
			break;
		case O_NAME:
			if (!*val) {
				snprintf(err, errlen, "--name must not be empty");
				rv = MOSAIC_EINVAL;
			}
			o->name = val;
			break;
		case O_MASTER: o->master = val; break;
		case O_TIMEOUT:
			if (util_parse_duration(val, &o->timeout) != 0 || o->timeout <= 0) {
				snprintf(err, errlen, "--timeout wants a duration like 30s or 5m, not '%s'",
				         val);
				rv = MOSAIC_EINVAL;
			}
			break;
		case O_ENV: {
			const char *eq = strchr(val, '=');
			if (!eq || !env_name_valid(val, eq)) {
				snprintf(err, errlen, "--env wants NAME=value, not '%s'", val);
				rv = MOSAIC_EINVAL;
			}
			o->env[o->nenv++] = val;
			break;
		}
		case O_JSON: o->json = true; break;
		case O_VERBOSE: o->verbose = true; break;
		case O_HELP: o->help = true; return MOSAIC_OK;
		}
	}
	if (rv != 0)
		return rv;
	if (id == CLI_ARGS_ERROR) {
		snprintf(err, errlen, "%s", a.err);
		return MOSAIC_EINVAL;
	}
	o->nargv = argc - a.i;
	if (o->nargv <= 0) {
		snprintf(err, errlen, "no command given: mosaic run [options] -- COMMAND [ARGS...]");
		return MOSAIC_EINVAL;
	}
	o->argv = argv + a.i;
	if (!*o->argv[0]) {
		snprintf(err, errlen, "the command is empty");
		return MOSAIC_EINVAL;
	}
	if (o->nargv == 1 && cli_runopts_needs_shell(o->argv[0])) {
		o->shell = true;
		o->shell_cmd = o->argv[0];
	}
	return MOSAIC_OK;
}

void
cli_runopts_fini(cli_runopts *o)
{
	free(o->env);
	o->env = NULL;
}
