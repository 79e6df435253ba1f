/* weights.h - role names and the --weights flag ("batch=1,mpi=2.5").
 * Pure: no I/O. */
#ifndef MOSAIC_WEIGHTS_H
#define MOSAIC_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>

#include "ids.h"

typedef struct weight_entry {
	char role[MOSAIC_ID_MAX];
	double weight;
} weight_entry;

typedef struct weights {
	weight_entry *items;
	size_t count;
} weights;

/* A role is "*" (the default role) or an id (1-63 of [A-Za-z0-9._-]). */
bool weights_role_valid(const char *role);

/* weights_parse fills out from text (items separated by commas, spaces
 * around them ignored; an empty text gives no items). On error returns
 * MOSAIC_EINVAL, leaves out empty and writes a message naming the bad item
 * into err, e.g. "'batch=x': weight must be a positive number". The caller
 * owns out's memory (weights_fini). */
int weights_parse(weights *out, const char *text, char *err, size_t errlen);
void weights_fini(weights *w);

#endif
