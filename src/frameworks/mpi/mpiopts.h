/* mpiopts.h - mmpirun's command line, with mpirun's habits.
 *
 *   mmpirun -n 8 [--ppn K | -N K | --map-by slot|node|socket|core|ppr:K:node]
 *           [--cpus-per-rank C] [--mem-per-rank MB] [--bind-to core|socket|none]
 *           [--timeout T] [--restarts N] [--launcher openmpi|generic]
 *           [--tag-output] [-x VAR[=val]]... [--mca K V]... [--role R] [--name N]
 *           [--master ADDR] [--mpirun PATH] [--hold T] [--backoff T] [-v] PROG ARGS...
 *
 * Options come before the program: the first word that is not an option
 * (or everything after "--") is the program, and the rest its arguments,
 * untouched. "--opt=value" and "--opt value" both work.
 *
 * Pure: no I/O except mpiopts_usage; the result points into argv. */
#ifndef MOSAIC_MPI_MPIOPTS_H
#define MOSAIC_MPI_MPIOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rankmap.h"

#define MPIOPTS_EXIT_USAGE 2

typedef enum mpiopts_launcher {
	MPIOPTS_LAUNCHER_AUTO = 0, /* OpenMPI when its mpirun is found, else generic */
	MPIOPTS_LAUNCHER_OPENMPI,
	MPIOPTS_LAUNCHER_GENERIC,
} mpiopts_launcher;

typedef struct mpiopts {
	rankmap_opts map;
	double timeout;    /* seconds for wait + run; 0: none */
	unsigned restarts; /* relaunches of the whole gang after a failure */
	mpiopts_launcher launcher;
	bool tag_output;
	const char **env; /* -x entries, "VAR" or "VAR=val" (point into argv) */
	size_t nenv;
	const char **mca;   /* --mca pairs: mca[2i] key, mca[2i+1] value */
	size_t nmca;        /* pairs */
	const char *role;   /* default "mpi" */
	const char *name;   /* framework name; default "mmpirun" */
	const char *master; /* NULL: $MOSAIC_MASTER or the default */
	const char *mpirun; /* OpenMPI's mpirun; NULL: found in PATH */
	double hold;        /* seconds a partial gang is held (gang.h); default 10 */
	double backoff;     /* first back-off after a release; default 1 */
	bool verbose;
	bool help;
	char *const *argv; /* the program and its arguments */
	int argc;
} mpiopts;

/* mpiopts_parse fills o from argv (argv[0] is mmpirun's name). MOSAIC_OK;
 * MOSAIC_EINVAL with the reason in err (naming the option). On success
 * the caller owns o (mpiopts_fini); on failure there is nothing to free. */
int mpiopts_parse(mpiopts *o, int argc, char *const *argv, char *err, size_t errlen);
void mpiopts_fini(mpiopts *o);
void mpiopts_usage(FILE *f);

/* mpiopts_env_name_ok: a -x name is [A-Za-z_][A-Za-z0-9_]*. */
bool mpiopts_env_name_ok(const char *entry);

#endif
