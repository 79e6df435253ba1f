/* mbatchd_flags.c - mbatchd's command line into an mbatchd_config. */
#include "mbatchd_flags.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "slurm_time.h"
#include "util.h"

void
mbatchd_flags_usage(FILE *out)
{
	fprintf(out,
	        "usage: mbatchd [flags]\n\n"
	        "The batch framework of Mosaic: a Slurm-like job queue kept in SQLite, scheduled by\n"
	        "priority with backfill, placed on cores by the jobs' topology options. `mbatch`\n"
	        "talks to it.\n\n"
	        "  --master URL             the master (default $MOSAIC_MASTER, else tcp://127.0.0.1:5050)\n"
	        "  --listen URL             where mbatch reaches it (default $MBATCH_ADDRESS, else\n"
	        "                           the master's port + 1010 on 127.0.0.1: 5050 -> 6060)\n"
	        "  --state-dir DIR          its job store (default ~/.mosaic/mbatchd)\n"
	        "  --role ROLE              the framework's role (default batch)\n"
	        "  --name NAME              the framework's name (default mbatch)\n"
	        "  --failover-timeout T     how long the master keeps its tasks while it is away\n"
	        "                           (default 1w; e.g. 3600, 2h, 7d, 1w)\n"
	        "  --max-jobs N             pending + running jobs at most (default 100000)\n"
	        "  --default-mem-per-cpu M  MiB per cpu for jobs without --mem (default 128)\n"
	        "  --default-time T         time limit of jobs without --time, Slurm syntax\n"
	        "                           (default UNLIMITED)\n"
	        "  --max-requeues N         requeues after lost agents before NODE_FAIL (default 5)\n"
	        "  --purge-after T          finished jobs are forgotten after T (default 30d; 0: never)\n"
	        "  --offer-hold T           unused offers are kept this long for waiting jobs (default 3s)\n"
	        "  --any-user               run jobs as the user clients name (default: only jobs of\n"
	        "                           mbatchd's own user are taken)\n"
	        "  --log-file PATH          log here instead of stderr\n"
	        "  --log-level LEVEL        error, warn, info (default), debug\n"
	        "  -h, --help               this help\n");
}

static int
fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return MOSAIC_EINVAL;
}

/* Durations also take days and weeks: a failover timeout is long. */
static int
parse_long_duration(const char *v, double *out)
{
	size_t n = strlen(v);
	if (n > 1 && (v[n - 1] == 'd' || v[n - 1] == 'w')) {
		char *end;
		double x = strtod(v, &end);
		if (end != v + n - 1 || x < 0)
			return MOSAIC_EINVAL;
		*out = x * (v[n - 1] == 'd' ? 86400.0 : 7 * 86400.0);
		return MOSAIC_OK;
	}
	return util_parse_duration(v, out);
}

static int
parse_count(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x = strtoull(v, &end, 10);
	if (end == v || *end || x > max || v[0] == '-')
		return MOSAIC_EINVAL;
	*out = x;
	return MOSAIC_OK;
}

static void
default_state_dir(char *out, size_t len)
{
	const char *home = getenv("HOME");
	snprintf(out, len, "%s/.mosaic/mbatchd", home && *home ? home : "/tmp");
}

int
mbatchd_flags_parse(mbatchd_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	mbatchd_config_init(cfg);
	default_state_dir(cfg->state_dir, sizeof(cfg->state_dir));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
			return MBATCHD_FLAGS_HELP;
		if (strncmp(arg, "--", 2) != 0)
			return fail(err, errlen, "unexpected argument '%s'", arg);
		char name[64];
		const char *val = NULL, *eq = strchr(arg, '=');
		bool flag = strcmp(arg, "--any-user") == 0;
		if (eq) {
			snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
			val = eq + 1;
		} else {
			snprintf(name, sizeof(name), "%s", arg);
			if (!flag) {
				if (i + 1 >= argc)
					return fail(err, errlen, "%s needs a value", name);
				val = argv[++i];
			}
		}
		uint64_t n;
		double t;
		int64_t secs;
		if (strcmp(name, "--any-user") == 0) {
			if (val)
				return fail(err, errlen, "--any-user takes no value");
			cfg->any_user = true;
		} else if (strcmp(name, "--master") == 0) {
			snprintf(cfg->master, sizeof(cfg->master), "%s", val);
		} else if (strcmp(name, "--listen") == 0) {
			snprintf(cfg->listen, sizeof(cfg->listen), "%s", val);
		} else if (strcmp(name, "--state-dir") == 0) {
			if (!*val || strlen(val) >= sizeof(cfg->state_dir) - 16)
				return fail(err, errlen, "--state-dir: '%s' is empty or too long", val);
			snprintf(cfg->state_dir, sizeof(cfg->state_dir), "%s", val);
		} else if (strcmp(name, "--role") == 0 || strcmp(name, "--name") == 0) {
			char *dst = name[2] == 'r' ? cfg->role : cfg->name;
			if (!*val || strlen(val) >= 64)
				return fail(err, errlen, "%s: '%s' is empty or too long", name, val);
			snprintf(dst, 64, "%s", val);
		} else if (strcmp(name, "--failover-timeout") == 0 || strcmp(name, "--purge-after") == 0 ||
		           strcmp(name, "--offer-hold") == 0) {
			if (parse_long_duration(val, &t) != 0)
				return fail(err, errlen, "%s: '%s' is not a duration (e.g. 30s, 2h, 7d, 1w)",
				            name, val);
			if (name[2] == 'f')
				cfg->failover_timeout = t;
			else if (name[2] == 'p')
				cfg->purge_after = t;
			else
				cfg->offer_hold = t;
		} else if (strcmp(name, "--max-jobs") == 0) {
			if (parse_count(val, 10000000, &n) != 0 || n == 0)
				return fail(err, errlen,
				            "--max-jobs: '%s' is not a number from 1 to 10000000", val);
			cfg->max_jobs = (uint32_t)n;
		} else if (strcmp(name, "--max-requeues") == 0) {
			if (parse_count(val, 1000, &n) != 0)
				return fail(err, errlen,
				            "--max-requeues: '%s' is not a number from 0 to 1000", val);
			cfg->max_requeues = (uint32_t)n;
		} else if (strcmp(name, "--default-mem-per-cpu") == 0) {
			if (parse_count(val, 1u << 30, &n) != 0 || n == 0)
				return fail(err, errlen, "--default-mem-per-cpu: '%s' is not a number of MiB",
				            val);
			cfg->default_mem_per_cpu = n;
		} else if (strcmp(name, "--default-time") == 0) {
			if (slurm_time_parse(val, &secs) != 0)
				return fail(err, errlen, "--default-time: bad time '%s': %s", val,
				            SLURM_TIME_SYNTAX);
			cfg->default_time = secs;
		} else if (strcmp(name, "--log-file") == 0) {
			snprintf(cfg->log_file, sizeof(cfg->log_file), "%s", val);
		} else if (strcmp(name, "--log-level") == 0) {
			if (log_level_parse(val) < 0)
				return fail(err, errlen,
				            "--log-level: '%s' is not one of error, warn, info, debug", val);
			snprintf(cfg->log_level, sizeof(cfg->log_level), "%s", val);
		} else {
			return fail(err, errlen, "unknown flag '%s' (see mbatchd --help)", name);
		}
	}
	return MOSAIC_OK;
}
