/* cli_split.h - how `mosaic cluster up` shares one machine among N local
 * agents. Pure: the machine's figures are passed in. */
#ifndef MOSAIC_CLI_SPLIT_H
#define MOSAIC_CLI_SPLIT_H

#include "resources.h"

#define CLI_SPLIT_MIN_CPUS 2
#define CLI_SPLIT_MIN_MEM 512.0     /* MiB */
#define CLI_SPLIT_DISK_CAP 102400.0 /* MiB per agent */
/* Agents' ports: [31000, 32768), below Linux's default ephemeral range
 * (32768-60999), where outgoing connections take their local ports - a
 * task could not listen on a port some connection had taken. Shared
 * evenly, at most 1000 each (n agents: min(1000, 1768 / n) ports). */
#define CLI_SPLIT_PORT_BASE 31000
#define CLI_SPLIT_PORT_END 32768 /* exclusive */
#define CLI_SPLIT_PORTS 1000     /* ports per agent, at most */
#define CLI_SPLIT_MAX_AGENTS 32  /* 55 ports each */

/* cli_split_agent: the resources of agent index (0-based) of n:
 * cpus = max(2, online_cpus / n) (whole cpus), mem = 80% of mem_total / n
 * (at least 512 MiB), disk = disk_free / n capped at 100 GiB, ports
 * [31000+k*index, 31000+k*(index+1)-1] with k = min(1000, 1768 / n). */
void cli_split_agent(mosaic_resources *out, unsigned index, unsigned n, long online_cpus,
                     double mem_total_mib, double disk_free_mib);

/* cli_split_given: the --agent-resources text for agent index of n:
 * parsed, and given that agent's own port range when it names none.
 * MOSAIC_EINVAL with the reason in err. */
int cli_split_given(mosaic_resources *out, const char *text, unsigned index, unsigned n, char *err,
                    size_t errlen);

#endif
