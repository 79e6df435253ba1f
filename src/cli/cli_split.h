/* cli_split.h - how `mosaic cluster up` shares one machine among N local
 * agents. Pure: the machine's figures are passed in. */
#ifndef MOSAIC_CLI_SPLIT_H
#define MOSAIC_CLI_SPLIT_H

#include "resources.h"

#define CLI_SPLIT_MIN_CPUS 2
#define CLI_SPLIT_MIN_MEM 512.0     /* MiB */
#define CLI_SPLIT_DISK_CAP 102400.0 /* MiB per agent */
#define CLI_SPLIT_PORT_BASE 31000
#define CLI_SPLIT_PORTS 1000    /* ports per agent */
#define CLI_SPLIT_MAX_AGENTS 32 /* ports stay below 65536 */

/* cli_split_agent: the resources of agent index (0-based) of n:
 * cpus = max(2, online_cpus / n) (whole cpus), mem = 80% of mem_total / n
 * (at least 512 MiB), disk = disk_free / n capped at 100 GiB, ports
 * [31000+1000*index, 31999+1000*index]. */
void cli_split_agent(mosaic_resources *out, unsigned index, unsigned n, long online_cpus,
                     double mem_total_mib, double disk_free_mib);

/* cli_split_given: the --agent-resources text for agent index: parsed,
 * and given that agent's own port range when it names none.
 * MOSAIC_EINVAL with the reason in err. */
int cli_split_given(mosaic_resources *out, const char *text, unsigned index, char *err, size_t errlen);

#endif
