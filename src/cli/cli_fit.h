/* cli_fit.h - why a request cannot fit any agent of the cluster, in
 * words, for `mosaic run`. Pure. */
#ifndef MOSAIC_CLI_FIT_H
#define MOSAIC_CLI_FIT_H

#include <stdbool.h>
#include <stddef.h>

#include "resources.h"

/* cli_fit_explain: with the agents' totals (n of them, n >= 1), true and
 * a reason in buf when no agent could ever hold want ("no agent can offer
 * cpus:64 — the largest agent has cpus:4"); false when some agent could
 * (then the cluster is only busy). Ports are not compared. */
bool cli_fit_explain(const mosaic_resources *totals, size_t n, const mosaic_resources *want, char *buf,
                     size_t len);

#endif
