/* mmpirun_main.c - mmpirun: an MPI job (or any command) as a gang on a
 * Mosaic cluster, one framework per job (see job.h, mpiopts.h). Thin:
 * options, the launcher, the helper programs beside this one, then the
 * job runs. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"

/* The directory of this program: mosaic-mpi-proxy, -rsh and -bind live
 * beside it (the build puts all programs in one bin directory). */
static int
bindir_of_self(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	snprintf(out, len, "%s", exe);
	return 0;
}

static int
need(const char *dir, const char *prog)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", dir, prog);
	if (access(path, X_OK) == 0)
		return 0;
	fprintf(stderr, "mmpirun: %s is missing (it must be installed beside mmpirun)\n", path);
	return -1;
}

int
main(int argc, char **argv)
{
	mpiopts o;
	char err[512];
	if (mpiopts_parse(&o, argc, argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "mmpirun: %s (see mmpirun --help)\n", err);
		return MPIOPTS_EXIT_USAGE;
	}
	if (o.help) {
		mpiopts_usage(stdout);
		mpiopts_fini(&o);
		return 0;
	}
	if (o.verbose)
		mosaic_sched_log_init("mmpirun", "info", NULL);
	else
		mosaic_sched_log_init("mmpirun", "warn", NULL);

	char bindir[PATH_MAX], mpirun[PATH_MAX];
	bool is_openmpi = false;
	bool found = o.launcher != MPIOPTS_LAUNCHER_GENERIC &&
	             job_openmpi_find(o.mpirun, mpirun, sizeof(mpirun), &is_openmpi);
	job_launcher launcher = JOB_GENERIC;
	if (o.launcher == MPIOPTS_LAUNCHER_OPENMPI) {
		if (!found) {
			fprintf(stderr, "mmpirun: --launcher openmpi: %s\n",
			        o.mpirun ? "--mpirun names no executable"
			                 : "no mpirun in PATH (install openmpi-bin)");
			mpiopts_fini(&o);
			return MPIOPTS_EXIT_USAGE;
		}
		launcher = JOB_OPENMPI;
	} else if (o.launcher == MPIOPTS_LAUNCHER_AUTO && found && (is_openmpi || o.mpirun)) {
		launcher = JOB_OPENMPI;
	}
	int rc = 1;
	if (bindir_of_self(bindir, sizeof(bindir)) != 0 || need(bindir, "mosaic-mpi-proxy") != 0 ||
	    (launcher == JOB_OPENMPI && need(bindir, "mosaic-mpi-rsh") != 0) ||
	    (launcher == JOB_OPENMPI && o.map.bind_to != RANKMAP_BIND_NONE &&
	     need(bindir, "mosaic-mpi-bind") != 0)) {
		mpiopts_fini(&o);
		return 1;
	}
	job j;
	if (job_init(&j, &o, launcher, launcher == JOB_OPENMPI ? mpirun : NULL, bindir, err, sizeof(err)) !=
	    0) {
		fprintf(stderr, "mmpirun: %s\n", err);
		rc = MPIOPTS_EXIT_USAGE;
	} else {
		job_verbose(&j, "launcher %s%s%s", launcher == JOB_OPENMPI ? "openmpi (" : "generic",
		            launcher == JOB_OPENMPI ? mpirun : "", launcher == JOB_OPENMPI ? ")" : "");
		rc = job_run(&j);
	}
	job_fini(&j);
	mpiopts_fini(&o);
	return rc;
}
