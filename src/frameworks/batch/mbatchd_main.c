/* mbatchd_main.c - the batch framework daemon: flags, log, run. */
#include <stdio.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "mbatchd.h"
#include "mbatchd_flags.h"
#include "mosaic/sched.h"

int
main(int argc, char **argv)
{
	mbatchd_config cfg;
	char err[1024];
	int rv = mbatchd_flags_parse(&cfg, argc, argv, err, sizeof(err));
	if (rv == MBATCHD_FLAGS_HELP) {
		mbatchd_flags_usage(stdout);
		return 0;
	}
	if (rv != 0) {
		fprintf(stderr, "mbatchd: %s\n", err);
		return 2;
	}
	const char *file = cfg.log_file[0] ? cfg.log_file : NULL;
	/* Our lines and the library's go to the same place. */
	if (log_init("mbatchd", log_level_parse(cfg.log_level), file) != 0 ||
	    mosaic_sched_log_init("mbatchd", cfg.log_level, file) != 0) {
		fprintf(stderr, "mbatchd: cannot open the log file %s\n", file);
		return 1;
	}
	mbatchd *d;
	if (mbatchd_new(&d, &cfg, err, sizeof(err)) != 0) {
		LOGE("%s", err);
		fprintf(stderr, "mbatchd: %s\n", err);
		return 1;
	}
	rv = mbatchd_run(d);
	mbatchd_free(d);
	LOGI("mbatchd stopped");
	return rv == 0 ? 0 : 1;
}
