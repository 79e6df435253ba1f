/* mpibind.h - each rank's share of its task's cores.
 *
 * The agent binds a gang task (all the ranks of one agent) to the whole
 * cores it chose (hwloc, on the agent). Binding each rank within that is
 * the launcher's job, as mpirun's --bind-to core|socket would: OpenMPI's
 * own binding cannot be used, because its orted picks cores from the
 * whole machine and ignores the mask of the task it runs in (checked:
 * orted in a task bound to core 1 binds its ranks to core 0). So ranks are
 * started with OpenMPI binding off, and a rank narrows its inherited mask
 * to its own slice before exec (mosaic-mpi-bind, or the generic proxy).
 *
 * The slice: the task's PUs grouped into cores (PUs sharing a package and
 * core id: hyperthreads stay together), cores ordered by (package, core);
 * local rank i of n gets cores [i*C, (i+1)*C) - wrapping round when the
 * task has fewer cores than ranks ask - and, binding to sockets, every PU
 * of the task on the packages those cores are on.
 *
 * mpibind_slice is pure; the rest reads /proc and /sys and sets the
 * calling process's affinity. */
#ifndef MOSAIC_MPI_MPIBIND_H
#define MOSAIC_MPI_MPIBIND_H

#include <stddef.h>

typedef enum mpibind_mode {
	MPIBIND_NONE = 0,
	MPIBIND_CORE,
	MPIBIND_SOCKET,
} mpibind_mode;

typedef struct mpibind_pu {
	int pu;      /* the OS index */
	int package; /* physical package id (-1 unknown: one package) */
	int core;    /* core id within the package (-1 unknown: the PU is a core) */
} mpibind_pu;

/* mpibind_slice writes into out (room for n) the PUs local rank `local`
 * of `nlocal` gets, sorted; returns how many (0 when n is 0 or nlocal is
 * 0, or mode is NONE: then nothing to do). pus need not be sorted. */
size_t mpibind_slice(const mpibind_pu *pus, size_t n, unsigned local, unsigned nlocal,
                     unsigned cores_per_rank, mpibind_mode mode, int *out);

/* mpibind_format writes a PU list as "0-3,8" into buf; returns buf. */
char *mpibind_format(const int *pus, size_t n, char *buf, size_t len);

/* mpibind_parse_mode: "core", "socket", "none". -1 for anything else. */
int mpibind_parse_mode(const char *s);

/* mpibind_self: the calling process's PUs (its affinity) with their
 * package and core ids from /sys. *out is the caller's (free). Returns
 * the count, 0 on failure. */
size_t mpibind_self(mpibind_pu **out);

/* mpibind_apply binds the calling process to the slice of its current
 * mask for local rank `local` of `nlocal`. 0 on success (or nothing to
 * do), -1 with the reason in err. With desc, the PU list applied is
 * written there ("" when none). */
int mpibind_apply(unsigned local, unsigned nlocal, unsigned cores_per_rank, mpibind_mode mode, char *desc,
                  size_t desclen, char *err, size_t errlen);

#endif
