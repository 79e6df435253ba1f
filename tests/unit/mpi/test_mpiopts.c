/* test_mpiopts.c - mmpirun's command line: mpirun's spellings, the
 * program's own options left alone, and clear errors that name what is
 * wrong. */
#include <stdarg.h>
#include <string.h>

#include "check.h"
#include "mpiopts.h"

static int
parse(mpiopts *o, char *err, size_t len, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;
	va_start(ap, len);
	argv[argc++] = "mmpirun";
	char *a;
	while ((a = va_arg(ap, char *)) != NULL)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	static char *keep[64]; /* the result points into argv */
	memcpy(keep, argv, sizeof(argv));
	return mpiopts_parse(o, argc, keep, err, len);
}

int
main(void)
{
	mpiopts o;
	char err[256];
	CHECK_OK(parse(&o, err, sizeof(err), "-n", "8", "--ppn=4", "--bind-to", "core", "--cpus-per-rank",
	               "2", "--mem-per-rank", "512", "--timeout", "90s", "--restarts", "2", "--tag-output",
	               "-x", "A=1", "-x", "HOME", "--mca", "btl", "self,tcp", "--role", "hpc", "--launcher",
	               "generic", "./prog", "-n", "3", "--tag-output", NULL));
	CHECK(o.map.np == 8 && o.map.ppn == 4 && o.map.bind_to == RANKMAP_BIND_CORE &&
	      o.map.cpus_per_rank == 2);
	CHECK(o.map.mem_per_rank == 512 && o.timeout == 90 && o.restarts == 2 && o.tag_output);
	CHECK(o.nenv == 2 && strcmp(o.env[0], "A=1") == 0 && strcmp(o.env[1], "HOME") == 0);
	CHECK(o.nmca == 1 && strcmp(o.mca[0], "btl") == 0 && strcmp(o.mca[1], "self,tcp") == 0);
	CHECK(strcmp(o.role, "hpc") == 0 && o.launcher == MPIOPTS_LAUNCHER_GENERIC);
	/* The program's own -n and --tag-output are its own. */
	CHECK(o.argc == 4 && strcmp(o.argv[0], "./prog") == 0 && strcmp(o.argv[1], "-n") == 0);
	mpiopts_fini(&o);

	CHECK_OK(
	    parse(&o, err, sizeof(err), "-np", "4", "--map-by", "ppr:2:node", "--", "-weird-name", NULL));
	CHECK(o.map.ppn == 2 && strcmp(o.role, "mpi") == 0 && o.launcher == MPIOPTS_LAUNCHER_AUTO);
	CHECK(o.argc == 1 && strcmp(o.argv[0], "-weird-name") == 0 && o.hold == 10 && o.backoff == 1);
	mpiopts_fini(&o);
	CHECK_OK(parse(&o, err, sizeof(err), "-N", "2", "-n", "6", "--map-by", "node", "hostname", NULL));
	CHECK(o.map.ppn == 2 && o.map.map_by == RANKMAP_BY_NODE);
	mpiopts_fini(&o);
	CHECK_OK(parse(&o, err, sizeof(err), "--help", NULL));
	CHECK(o.help);
	mpiopts_fini(&o);

	/* Errors say which option and why. */
	CHECK(parse(&o, err, sizeof(err), "./prog", NULL) == MOSAIC_EINVAL &&
	      strstr(err, "-n N is required"));
	CHECK(parse(&o, err, sizeof(err), "-n", "4", NULL) == MOSAIC_EINVAL && strstr(err, "no program"));
	CHECK(parse(&o, err, sizeof(err), "-n", "0", "p", NULL) == MOSAIC_EINVAL && strstr(err, "-n 0"));
	CHECK(parse(&o, err, sizeof(err), "-n", "lots", "p", NULL) == MOSAIC_EINVAL &&
	      strstr(err, "-n lots"));
	CHECK(parse(&o, err, sizeof(err), "-n", "6", "--ppn", "4", "p", NULL) == MOSAIC_EINVAL &&
	      strstr(err, "not a multiple of --ppn 4"));
	CHECK(parse(&o, err, sizeof(err), "-n", "2", "--bind-to", "core", "--cpus-per-rank", "1.5", "p",
	            NULL) == MOSAIC_EINVAL &&
	      strstr(err, "whole number of cores"));
	CHECK(parse(&o, err, sizeof(err), "-n", "2", "--map-by", "board", "p", NULL) == MOSAIC_EINVAL &&
	      strstr(err, "--map-by board"));
	CHECK(parse(&o, err, sizeof(err), "-n", "2", "--bind-to", "hwthread", "p", NULL) == MOSAIC_EINVAL &&
	      strstr(err, "--bind-to hwthread"));
	CHECK(parse(&o, err, sizeof(err), "-n", "2", "--timeout", "soon", "p", NULL) == MOSAIC_EINVAL &&
	      strstr(err, "--timeout soon"));
	CHECK(parse(&o, err, sizeof(err), "-n", "2", "--launcher", "ssh", "p", NULL) == MOSAIC_EINVAL &&
	      strstr(err, "openmpi or generic"));
	CHECK(parse(&o, err, sizeof(err), "-n", "2", "-x", "1BAD=2", "p", NULL) == MOSAIC_EINVAL &&
	      strstr(err, "-x 1BAD=2"));
	CHECK(parse(&o, err, sizeof(err), "-n", "2", "--frobnicate", "p", NULL) == MOSAIC_EINVAL &&
	      strstr(err, "unknown option --frobnicate"));
	CHECK(parse(&o, err, sizeof(err), "-n", "2", "--tag-output=yes", "p", NULL) == MOSAIC_EINVAL &&
	      strstr(err, "takes no value"));
	CHECK(parse(&o, err, sizeof(err), "-n", "2", "--mca", "btl", NULL) == MOSAIC_EINVAL &&
	      strstr(err, "two values"));
	CHECK(parse(&o, err, sizeof(err), "-n", NULL) == MOSAIC_EINVAL && strstr(err, "-n needs a value"));
	CHECK(mpiopts_env_name_ok("_A1=x") && mpiopts_env_name_ok("PATH") && !mpiopts_env_name_ok("=x") &&
	      !mpiopts_env_name_ok("A-B"));
	return check_done();
}
