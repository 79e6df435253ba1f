/* executor.h - mosaic-executor as a library: one long-lived process per
 * framework per agent that starts that framework's tasks directly with the
 * containerizer, reports their states to its agent (resending each until
 * acknowledged), kills them on request, and outlives an agent restart:
 * when its agent is gone it keeps its tasks running for recovery_timeout
 * and re-registers with a restarted agent that sends ExecutorReconnect.
 *
 * Runs on one loop; nothing here is thread-safe. */
#ifndef MOSAIC_EXECUTOR_H
#define MOSAIC_EXECUTOR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ids.h"
#include "loop.h"
#include "messenger.h"

#define EXECUTOR_KILL_GRACE 3.0

typedef struct executor_config {
	char agent[MESSENGER_ADDR_MAX]; /* the agent's address */
	char framework_id[MOSAIC_ID_MAX];
	char executor_id[MOSAIC_ID_MAX];
	char address[MESSENGER_ADDR_MAX]; /* where to listen */
	char work_dir[PATH_MAX];          /* the agent's; sandboxes must lie under it */
	char hostname[256];               /* the agent's name: containers go in "mosaic/<hostname>" */
	char isolation[16];               /* forced isolation, "" = the best available */
	double recovery_timeout;          /* how long to wait for a restarted agent */
	pid_t agent_pid;                  /* watched with kill(pid, 0); 0 = not watched */
	bool handle_signals;              /* SIGTERM/SIGINT shut down (main sets it) */
	int sandbox_layout;               /* announced at registration: < 0 AGENT_SANDBOX_LAYOUT, 0 none */
} executor_config;

typedef struct executor executor;

/* executor_new opens the containerizer, routes SIGCHLD (and with
 * handle_signals SIGTERM, SIGINT) through loop before nng starts, listens
 * on cfg->address and registers with the agent. On failure returns an
 * error with the reason in err. The caller owns *out (executor_free). The
 * loop stops once the executor is done (executor_exit_code). */
int executor_new(executor **out, mosaic_loop *loop, const executor_config *cfg, char *err, size_t errlen);
void executor_free(executor *e);
int executor_exit_code(const executor *e);

#endif
