/* agent.h - the Mosaic agent as a library: mosaic-agent's main.c only parses
 * flags (agent_flags.h) and runs the loop; tests drive the same code.
 *
 * The agent registers with the master, runs each framework's tasks under
 * one long-lived mosaic-executor per framework, checkpoints what it must
 * recover after a restart (<work_dir>/agent.db), relays task status updates
 * until acknowledged and serves sandbox files over HTTP.
 *
 * Threading: everything runs on the loop's thread, except the HTTP file
 * server's handler, which reads only the file system. */
#ifndef MOSAIC_AGENT_H
#define MOSAIC_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "loop.h"
#include "messenger.h"
#include "resources.h"

#define AGENT_MAX_ATTRS 32
#define AGENT_HOSTNAME_MAX 254

/* Which of cfg.resources --resources named; the rest is discovered. */
enum {
	AGENT_RES_CPUS = 1 << 0,
	AGENT_RES_MEM = 1 << 1,
	AGENT_RES_DISK = 1 << 2,
	AGENT_RES_GPUS = 1 << 3,
	AGENT_RES_PORTS = 1 << 4,
};

typedef struct agent_attr {
	char name[64];
	char value[128];
} agent_attr;

typedef struct agent_config {
	char master[MESSENGER_ADDR_MAX];
	char listen[MESSENGER_ADDR_MAX];
	char http[MESSENGER_ADDR_MAX]; /* host:port of the file server */
	char work_dir[PATH_MAX];       /* absolute once agent_flags_parse is done */
	char hostname[AGENT_HOSTNAME_MAX];
	char executor[PATH_MAX]; /* the mosaic-executor binary */
	char topology[256];      /* synthetic hwloc description, "" = this machine */
	char isolation[16];      /* "cgroup2", "cgroup1", "rlimit"; "" = the executors choose */
	char log_file[PATH_MAX]; /* "" = stderr; passed on as the executors' level */
	int log_level;
	mosaic_resources resources;
	unsigned res_given; /* AGENT_RES_* */
	agent_attr attrs[AGENT_MAX_ATTRS];
	size_t nattrs;
	double recovery_timeout;          /* passed to executors */
	double executor_register_timeout; /* a spawned executor that has not registered by then is killed */
	double
	    reconnect_timeout; /* after a restart, executors that have not re-registered by then are killed */
	double executor_idle_timeout; /* an executor without tasks this long is shut down */
	double gc_delay;              /* ended tasks' sandboxes go after this long (agent_gc.c) */
	double gc_disk_headroom;      /* ... sooner as the disk's use nears 1 - headroom */
	bool handle_signals;          /* SIGTERM/SIGINT/SIGUSR1 stop the agent (main sets it) */
} agent_config;

typedef struct agent agent;

/* agent_config_init fills the defaults (before flags). */
void agent_config_init(agent_config *cfg);

/* agent_new opens everything (topology, checkpoint, messenger, file
 * server), recovers the checkpoint and starts registering with the master.
 * Signals (SIGCHLD, and with handle_signals SIGTERM, SIGINT, SIGUSR1) are
 * routed through loop before any nng thread starts. On failure returns an
 * error with the reason in err. The caller owns *out (agent_free). */
int agent_new(agent **out, mosaic_loop *loop, const agent_config *cfg, char *err, size_t errlen);
/* agent_free closes everything; executors keep running. */
void agent_free(agent *a);

/* agent_stop ends the agent: with kill_all (SIGUSR1) every task is killed
 * and every executor shut down first (bounded wait), then the loop stops;
 * otherwise (SIGTERM) the loop stops at once and executors carry on. */
void agent_stop(agent *a, bool kill_all);

const char *agent_address(const agent *a);
const char *agent_http_address(const agent *a); /* "http://host:port" */
const char *agent_id(const agent *a);           /* "" until registered */
bool agent_registered(const agent *a);
/* The total resources the agent offers (flags or discovered). */
const mosaic_resources *agent_total(const agent *a);

#endif
