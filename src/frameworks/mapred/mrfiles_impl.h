/* mrfiles_impl.h - shared by mrfiles.c (ls, cat, rm) and mrfiles_rm.c
 * (the block-store session that removes replicas). */
#ifndef MOSAIC_MAPRED_MRFILES_IMPL_H
#define MOSAIC_MAPRED_MRFILES_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog.h"
#include "mrclient.h"

/* Which agents answer, each asked once (by its file server's URL). */
typedef struct agent_probe {
	char **http;
	bool *up;
	size_t n;
} agent_probe;

void mrfiles_probe(agent_probe *ap, const catalog_file *files, size_t nfiles);
bool mrfiles_up(const agent_probe *ap, const char *http);
void mrfiles_probe_fini(agent_probe *ap);

/* mrfiles_unstore removes the replicas of files from the agents that
 * answer, as the block store; warns about the others. 0, or -1 after a
 * message when the session could not run at all. */
int mrfiles_unstore(const mrclient *c, catalog *cat, const catalog_file *files, size_t n);

#endif
