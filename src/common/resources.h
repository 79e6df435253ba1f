/* resources.h - resource vectors and their arithmetic.
 *
 * A mosaic_resources is a plain value (no heap memory): scalars cpus
 * (fractional), mem and disk (MiB), gpus, and a set of port ranges kept
 * sorted and coalesced. All functions are pure and thread-compatible. */
#ifndef MOSAIC_RESOURCES_H
#define MOSAIC_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOSAIC_MAX_PORT_RANGES 16

/* Scalars below this are treated as zero (floating-point noise). */
#define MOSAIC_RES_EPSILON 1e-6

typedef struct mosaic_range {
	uint32_t begin; /* inclusive */
	uint32_t end;   /* inclusive */
} mosaic_range;

typedef struct mosaic_resources {
	double cpus;
	double mem;  /* MiB */
	double disk; /* MiB */
	double gpus;
	uint32_t nports;
	mosaic_range ports[MOSAIC_MAX_PORT_RANGES];
} mosaic_resources;

/* The dimensions the allocator compares for dominant share. */
enum { RES_CPUS, RES_MEM, RES_DISK, RES_GPUS, RES_NSCALARS };

void res_clear(mosaic_resources *r);
bool res_is_empty(const mosaic_resources *r);
/* res_add: a += b. Port ranges are merged; returns MOSAIC_ENOSPC if the
 * merged set needs more than MOSAIC_MAX_PORT_RANGES ranges (a unchanged). */
int res_add(mosaic_resources *a, const mosaic_resources *b);
/* res_sub: a -= b. b must be contained in a (res_contains), otherwise
 * MOSAIC_EINVAL and a is unchanged. */
int res_sub(mosaic_resources *a, const mosaic_resources *b);
/* res_contains: every scalar and port of want is in have. */
bool res_contains(const mosaic_resources *have, const mosaic_resources *want);
double res_scalar(const mosaic_resources *r, int which);
/* Number of ports in the set. */
uint64_t res_port_count(const mosaic_resources *r);

/* res_parse reads "cpus:4;mem:2048;disk:10000;gpus:0;ports:[31000-32000,33000-33010]".
 * Unknown names, negative or non-numeric values, or malformed ranges fail with
 * MOSAIC_EINVAL and, when err is non-NULL, a message naming the bad part. */
int res_parse(mosaic_resources *out, const char *text, char *err, size_t errlen);
/* res_format writes the same syntax res_parse reads (zero scalars omitted,
 * "{}" for empty) into buf; returns buf. */
char *res_format(const mosaic_resources *r, char *buf, size_t len);

#endif
