#include "batchaddr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

int
batchaddr_derive(const char *master, char *out, size_t len)
{
	const char *colon = master ? strrchr(master, ':') : NULL;
	if (!colon || colon[1] == '\0')
		return MOSAIC_EINVAL;
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return MOSAIC_EINVAL;
	long p = port + BATCHADDR_PORT_OFFSET <= 65535 ? port + BATCHADDR_PORT_OFFSET
	                                               : port - BATCHADDR_PORT_OFFSET;
	snprintf(out, len, "tcp://127.0.0.1:%ld", p);
	return MOSAIC_OK;
}

int
batchaddr_resolve(const char *explicit_addr, const char *mbatch_address_env, const char *master_env,
                  char *out, size_t len)
{
	if (explicit_addr && *explicit_addr) {
		snprintf(out, len, "%s", explicit_addr);
		return MOSAIC_OK;
	}
	if (mbatch_address_env && *mbatch_address_env) {
		snprintf(out, len, "%s", mbatch_address_env);
		return MOSAIC_OK;
	}
	return batchaddr_derive(master_env && *master_env ? master_env : BATCHADDR_DEFAULT_MASTER, out, len);
}
