/* cli_state.h - the master's State, asked with GetState from a
 * short-lived messenger and turned into plain structs at this boundary
 * (the tables and --json output never see protobuf). */
#ifndef MOSAIC_CLI_STATE_H
#define MOSAIC_CLI_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "resources.h"

typedef struct cli_agent {
	char *id, *hostname, *address, *http;
	mosaic_resources total, used, offered;
	bool active;
	uint32_t tasks;
	double registered_time;
	uint32_t sockets, numa_nodes, cores;
} cli_agent;

typedef struct cli_framework {
	char *id, *name, *role, *principal, *address;
	bool active, suppressed;
	mosaic_resources used, offered;
	double share, failover_timeout, registered_time;
	uint32_t tasks;
} cli_framework;

typedef struct cli_role {
	char *name;
	double weight, share;
	mosaic_resources allocated;
	uint32_t frameworks;
} cli_role;

typedef struct cli_task {
	char *id, *framework_id, *agent_id, *name, *hostname;
	int state; /* a TaskState value */
	mosaic_resources resources;
	double updated;
} cli_task;

typedef struct cli_state {
	char *master_id, *address, *http;
	double start_time;
	mosaic_resources total;
	cli_agent *agents;
	size_t nagents;
	cli_framework *frameworks;
	size_t nframeworks;
	cli_role *roles;
	size_t nroles;
	cli_task *tasks;
	size_t ntasks;
} cli_state;

/* cli_state_fetch asks master for its state and waits at most timeout
 * seconds. MOSAIC_ETIMEDOUT when nothing answered, MOSAIC_ENET when the
 * CLI cannot listen, MOSAIC_EDECODE for an invalid answer; a message in
 * err. The caller owns *out (cli_state_free). */
int cli_state_fetch(cli_state **out, const char *master, bool include_completed, double timeout, char *err,
                    size_t errlen);
void cli_state_free(cli_state *st);

/* The sum of the agents' used resources. */
void cli_state_used(const cli_state *st, mosaic_resources *out);
/* The framework with this id, or NULL. */
const cli_framework *cli_state_framework(const cli_state *st, const char *id);

#endif
