/* jobplace.h - a job's topology options (--cpu-bind, --mem-bind,
 * --cores-per-socket, --sockets-per-node) as what the scheduler needs:
 * whole cores to find free on one agent, the layout they must have, and
 * the placement the agent is asked to bind (mosaic_sched_placement).
 *
 *   --cpu-bind=cores        whole cores, packed (one socket before the next)
 *   --cpu-bind=sockets      whole cores spread round-robin over sockets
 *   --mem-bind=local        whole cores on one NUMA node, memory bound there
 *                           (with --cpu-bind=cores|sockets: their layout,
 *                           memory bound to the nodes the cores sit in)
 *   --cores-per-socket=C / --sockets-per-node=S
 *                           C cores on each of S sockets (S defaults to
 *                           what the job's cpus need, C likewise), packed;
 *                           the job's cpus grow to S x C
 *   none of these, or --cpu-bind=none: no binding
 *
 * Pure: no I/O. */
#ifndef MOSAIC_BATCH_JOBPLACE_H
#define MOSAIC_BATCH_JOBPLACE_H

#include <stdbool.h>

#include "directives.h"
#include "mosaic/sched.h"

typedef struct jobplace {
	double cpus;               /* the job's cpus, raised to the cores its layout binds */
	bool whole_cores;          /* binds whole cores: they must be free on the agent */
	unsigned cores_per_socket; /* the layout (0: none), for the scheduler */
	unsigned sockets;
	mosaic_sched_placement placement; /* kind NONE without binding */
	char text[96];                    /* for people: "pack 4 cores (2 sockets x 2), memory local" */
} jobplace;

void jobplace_from_spec(jobplace *out, const batch_job_spec *s);

#endif
