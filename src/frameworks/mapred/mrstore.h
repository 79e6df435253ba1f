/* mrstore.h - the block store: where `mapred put` leaves blocks, and the
 * framework session that `put` and `rm` drive.
 *
 * Where blocks live, and why there. The agents' file server is read-only
 * and serves only task sandboxes, and sandboxes belong to frameworks. So
 * the block store is one long-lived framework, "mapred-blockstore", with
 * a fixed id kept in the catalog (meta "store_framework_id") and the
 * longest failover timeout the master allows (one year): `put` and `rm`
 * re-subscribe as it, do their work, and leave it subscribed-but-idle
 * rather than tear it down, so the master keeps it (and a sandbox
 * collector that spares live frameworks keeps its sandboxes). Each block
 * replica is ./blk in the sandbox of the store task that fetched it:
 * <work_dir>/frameworks/<store fw>/tasks/<task>/runs/<n>/blk on its agent,
 * read by anyone at <agent_http>/files/<store fw>/<task>/blk, or directly
 * by a task on the same agent. A replica costs the agent disk that no
 * running task accounts for; `mapred rm` gives it back with unstore tasks.
 *
 * Copies lost with an agent are not made again elsewhere (no re-replication):
 * the file stays readable while one copy of each block remains, and `mapred
 * ls` shows it degraded.
 *
 * Only one process may drive the block store at a time (the master would
 * move the framework to the newest subscriber): callers hold
 * mrclient_lock. If the master has forgotten the framework (removed after
 * a year unused, or a master with a fresh registry), the session starts a
 * new one and records its id; blocks stored under the old id stay
 * readable, since the file server does not consult the master. */
#ifndef MOSAIC_MAPRED_MRSTORE_H
#define MOSAIC_MAPRED_MRSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include <mosaic/sched.h>

#include "catalog.h"
#include "mrclient.h"

#define MRSTORE_NAME "mapred-blockstore"
#define MRSTORE_FAILOVER (365.0 * 86400.0)
/* What a store or unstore task asks for: they mostly wait on I/O. */
#define MRSTORE_TASK_CPUS 0.1
#define MRSTORE_TASK_MEM 32.0
/* Seconds between mrstore_finish and the end of the loop (see there). */
#define MRSTORE_CLOSE_GRACE 0.3

typedef struct mrstore mrstore;

typedef struct mrstore_ops {
	/* Subscribed as the block store (the work may start). */
	void (*ready)(mrstore *st, void *arg);
	void (*offers)(mrstore *st, void *arg, const mosaic_sched_offer *offers, size_t n);
	void (*status)(mrstore *st, void *arg, const mosaic_sched_status *status);
	void (*agent_lost)(mrstore *st, void *arg, const char *agent_id);
	/* SIGINT or SIGTERM arrived. */
	void (*interrupted)(mrstore *st, void *arg);
} mrstore_ops;

/* mrstore_run subscribes as the block store and runs its loop until the
 * work calls mrstore_finish. Returns 0, or MOSAIC_ENET / MOSAIC_EIO with
 * the reason in err when the session could not run at all. */
int mrstore_run(const mrclient *c, catalog *cat, const mrstore_ops *ops, void *arg, char *err, size_t errlen);

mosaic_sched *mrstore_sched(mrstore *st);
const char *mrstore_framework_id(mrstore *st);
/* mrstore_finish ends the session's loop soon (the framework stays). */
void mrstore_finish(mrstore *st);

#endif
