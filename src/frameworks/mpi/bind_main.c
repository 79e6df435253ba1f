/* bind_main.c - mosaic-mpi-bind, which mmpirun puts in front of the
 * program under OpenMPI when ranks are to be bound:
 *     mosaic-mpi-bind --bind core|socket [--cores-per-rank C] -- PROG ARGS...
 * orted starts it as the rank (OpenMPI's own binding off: it ignores the
 * task's cores, see mpibind.h); it narrows its inherited mask - the
 * task's cores - to this rank's slice, by OMPI_COMM_WORLD_LOCAL_RANK of
 * OMPI_COMM_WORLD_LOCAL_SIZE, and execs PROG: the rank is the same
 * process, bound. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpibind.h"

static unsigned
env_unsigned(const char *name, unsigned dflt)
{
	const char *v = getenv(name);
	char *end;
	if (!v || !*v)
		return dflt;
	unsigned long x = strtoul(v, &end, 10);
	return *end ? dflt : (unsigned)x;
}

int
main(int argc, char **argv)
{
	mpibind_mode mode = MPIBIND_CORE;
	unsigned cpr = 1;
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (i + 1 >= argc)
			break;
		if (strcmp(argv[i], "--bind") == 0) {
			int m = mpibind_parse_mode(argv[++i]);
			if (m < 0) {
				fprintf(stderr, "mosaic-mpi-bind: --bind %s: expected core, socket or none\n",
				        argv[i]);
				return 2;
			}
			mode = (mpibind_mode)m;
		} else if (strcmp(argv[i], "--cores-per-rank") == 0) {
			cpr = (unsigned)strtoul(argv[++i], NULL, 10);
		} else {
			break;
		}
	}
	if (i >= argc) {
		fprintf(stderr,
		        "usage: mosaic-mpi-bind --bind core|socket [--cores-per-rank C] -- PROG ARGS...\n");
		return 2;
	}
	unsigned local = env_unsigned("OMPI_COMM_WORLD_LOCAL_RANK", env_unsigned("MOSAIC_LOCAL_RANK", 0));
	unsigned nlocal = env_unsigned("OMPI_COMM_WORLD_LOCAL_SIZE", env_unsigned("MOSAIC_LOCAL_SIZE", 1));
	char err[256], desc[256];
	if (mpibind_apply(local, nlocal, cpr, mode, desc, sizeof(desc), err, sizeof(err)) != 0) {
		fprintf(stderr, "mosaic-mpi-bind: local rank %u: %s\n", local, err);
		return 126;
	}
	if (*desc)
		setenv("MOSAIC_RANK_CPUS", desc, 1);
	execvp(argv[i], argv + i);
	fprintf(stderr, "mosaic-mpi-bind: cannot run %s: %s\n", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
