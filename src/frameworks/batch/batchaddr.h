/* batchaddr.h - where mbatchd listens, so that `mbatch` finds it with no
 * flags: $MBATCH_ADDRESS when set, else a port derived from the master's:
 * the master's port + 1010 on 127.0.0.1 (5050 -> 6060, the default), or
 * - 1010 when that is past 65535. `mosaic cluster up` follows the same
 * rule (src/cli/cli_cluster.c keeps a copy: the CLI is below frameworks).
 *
 * Pure. */
#ifndef MOSAIC_BATCH_BATCHADDR_H
#define MOSAIC_BATCH_BATCHADDR_H

#include <stddef.h>

#define BATCHADDR_DEFAULT_MASTER "tcp://127.0.0.1:5050"
#define BATCHADDR_PORT_OFFSET 1010
#define BATCHADDR_MAX 256

/* batchaddr_derive writes the daemon's address for a master address
 * ("tcp://host:port") into out. MOSAIC_EINVAL when master has no port. */
int batchaddr_derive(const char *master, char *out, size_t len);

/* batchaddr_resolve: explicit if non-NULL and non-empty, else
 * mbatch_address_env (the value of $MBATCH_ADDRESS, may be NULL), else
 * derived from master_env ($MOSAIC_MASTER, may be NULL) or the default
 * master. MOSAIC_EINVAL for a master address without a port. */
int batchaddr_resolve(const char *explicit_addr, const char *mbatch_address_env, const char *master_env,
                      char *out, size_t len);

#endif
