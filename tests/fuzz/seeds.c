/* seeds.c - see fuzz.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

void
fuzz_seed_add(uint8_t ***bufs, size_t **lens, size_t *n, const void *p, size_t len)
{
	*bufs = realloc(*bufs, (*n + 1) * sizeof(**bufs));
	*lens = realloc(*lens, (*n + 1) * sizeof(**lens));
	if (!*bufs || !*lens)
		abort();
	(*bufs)[*n] = malloc(len ? len : 1);
	if (!(*bufs)[*n])
		abort();
	memcpy((*bufs)[*n], p, len);
	(*lens)[*n] = len;
	(*n)++;
}

void
fuzz_must(int ok, const char *what, const char *text)
{
	if (!ok) {
		fprintf(stderr, "%s: '%s'\n", what, text);
		abort();
	}
}
