/* proxy.h - mosaic-mpi-proxy: what each gang task runs, one per agent.
 *
 * It connects back to mmpirun (HELLO with its place and the job's token),
 * then, as the launcher asks:
 *   generic  waits for GO (every task of the gang is up), then starts this
 *            agent's ranks with MOSAIC_RANK, MOSAIC_LOCAL_RANK and
 *            MOSAIC_LOCAL_SIZE added to the environment (the task's
 *            environment already has MOSAIC_WORLD_SIZE, MOSAIC_PEERS and
 *            MOSAIC_COORDINATOR), each bound to its slice of the task's
 *            cores when asked; relays their output and exit statuses to
 *            mmpirun; when one fails, kills the others.
 *   openmpi  listens on the port the gang got for it; OpenMPI's mpirun
 *            (through mosaic-mpi-rsh) sends one RUN with orted's command
 *            line, which it runs under /bin/sh with a private
 *            OMPI_MCA_orte_tmpdir_base and btl_vader_backing_directory
 *            (two orteds on one machine collide otherwise), relaying
 *            orted's output and exit status to the launch agent. So orted
 *            and the ranks it forks run inside the task: under its limits,
 *            in its cgroup, on its cores.
 * ABORT from mmpirun, mmpirun's connection breaking, or SIGTERM kill
 * everything started (SIGTERM, then SIGKILL of each child's process group
 * after the grace); nothing waits forever: connecting, waiting for GO or
 * RUN, and draining output are bounded.
 *
 * The proxy never uses nng, so it can fork. Single-threaded. */
#ifndef MOSAIC_MPI_PROXY_H
#define MOSAIC_MPI_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "mpibind.h"

typedef struct proxy_config {
	const char *connect; /* mmpirun's host:port */
	uint32_t place;
	const char *token;
	const char *host; /* this task's name in the job (MOSAIC_MPI_HOST for its processes) */
	bool openmpi;
	const char *listen_host; /* openmpi: where the launch agent reaches us */
	uint16_t listen_port;
	unsigned nranks; /* generic: this agent's ranks (global numbers) */
	const unsigned *ranks;
	mpibind_mode bind;
	unsigned cores_per_rank;
	char *const *argv;      /* generic: the program and its arguments */
	double connect_timeout; /* reaching mmpirun (30 s) */
	double start_timeout;   /* waiting for GO or RUN (120 s) */
	double kill_grace;      /* SIGTERM -> SIGKILL (2 s) */
} proxy_config;

/* proxy_run does it all and returns the exit status for the task: the
 * first failing rank's (128+N for signal N), orted's in openmpi mode, 0
 * when all went well, 1 when the proxy itself failed (said on stderr). */
int proxy_run(const proxy_config *cfg);

#endif
