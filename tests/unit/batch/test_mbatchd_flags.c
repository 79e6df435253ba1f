/* test_mbatchd_flags.c - mbatchd's command line: defaults, every flag in
 * both spellings, and errors that name the flag. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mbatchd_flags.h"
#include "slurm_time.h"

static int
parse(mbatchd_config *c, char *err, size_t len, int n, ...)
{
	char *argv[32] = {"mbatchd"};
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	return mbatchd_flags_parse(c, n + 1, argv, err, len);
}

static void
bad(const char *flag, const char *val, const char *says)
{
	mbatchd_config c;
	char err[256] = "";
	int rv = val ? parse(&c, err, sizeof(err), 2, flag, val) : parse(&c, err, sizeof(err), 1, flag);
	CHECK(rv == MOSAIC_EINVAL);
	CHECK(strstr(err, says) != NULL);
	if (!strstr(err, says))
		fprintf(stderr, "  %s %s: '%s' lacks '%s'\n", flag, val ? val : "", err, says);
}

int
main(void)
{
	mbatchd_config c;
	char err[256];
	setenv("HOME", "/home/t", 1);
	CHECK_OK(parse(&c, err, sizeof(err), 0));
	CHECK(strcmp(c.role, "batch") == 0 && strcmp(c.name, "mbatch") == 0);
	CHECK(c.failover_timeout == 7 * 86400.0 && c.max_jobs == 100000 && c.default_mem_per_cpu == 128);
	CHECK(c.default_time == SLURM_TIME_UNLIMITED && c.max_requeues == 5 && !c.any_user);
	CHECK(strcmp(c.state_dir, "/home/t/.mosaic/mbatchd") == 0 && c.master[0] == 0 && c.listen[0] == 0);

	CHECK_OK(parse(&c, err, sizeof(err), 15, "--master", "tcp://127.0.0.1:1",
	               "--listen=tcp://127.0.0.1:2", "--state-dir", "/s", "--role=r", "--failover-timeout",
	               "2h", "--max-jobs=7", "--default-time", "1-0", "--any-user", "--purge-after=0",
	               "--offer-hold", "250ms"));
	CHECK(strcmp(c.master, "tcp://127.0.0.1:1") == 0 && strcmp(c.listen, "tcp://127.0.0.1:2") == 0);
	CHECK(strcmp(c.state_dir, "/s") == 0 && strcmp(c.role, "r") == 0);
	CHECK(c.failover_timeout == 7200 && c.max_jobs == 7 && c.default_time == 86400 && c.any_user);
	CHECK(c.purge_after == 0 && c.offer_hold == 0.25);
	CHECK_OK(parse(&c, err, sizeof(err), 2, "--failover-timeout", "1w"));
	CHECK(c.failover_timeout == 7 * 86400.0);
	CHECK_OK(parse(&c, err, sizeof(err), 2, "--purge-after", "3d"));
	CHECK(c.purge_after == 3 * 86400.0);
	CHECK(parse(&c, err, sizeof(err), 1, "--help") == MBATCHD_FLAGS_HELP);

	bad("--max-jobs", "0", "--max-jobs");
	bad("--max-jobs", "-4", "--max-jobs");
	bad("--max-jobs", "lots", "--max-jobs");
	bad("--failover-timeout", "soon", "--failover-timeout");
	bad("--default-time", "1:2:3:4", "--default-time");
	bad("--log-level", "loud", "--log-level");
	bad("--frobnicate", "1", "unknown flag '--frobnicate'");
	bad("--master", NULL, "--master needs a value");
	bad("stray", NULL, "unexpected argument 'stray'");
	bad("--any-user=yes", NULL, "--any-user takes no value");
	return check_done();
}
