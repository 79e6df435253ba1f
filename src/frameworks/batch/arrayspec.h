/* arrayspec.h - job array index specifications, as sbatch --array reads
 * them: "0-15", "0,6,16-32", "0-15:4" (a step), "1,5-7", and a "%N" suffix
 * that limits how many tasks run at once ("0-99%4").
 *
 * Pure. An arrayspec owns its id list (arrayspec_fini frees it); strings
 * returned by the format functions are heap strings the caller frees. */
#ifndef MOSAIC_BATCH_ARRAYSPEC_H
#define MOSAIC_BATCH_ARRAYSPEC_H

#include <stddef.h>
#include <stdint.h>

/* Slurm's MaxArraySize: indexes go from 0 to this minus one, so an array
 * never has more tasks than this. */
#define ARRAYSPEC_DEFAULT_MAX_SIZE 10001

typedef struct arrayspec {
	uint32_t *ids;     /* task indexes, sorted ascending, no duplicates */
	size_t count;      /* >= 1 after a successful parse */
	uint32_t throttle; /* "%N": at most N tasks running at once; 0 = no limit */
} arrayspec;

/* arrayspec_parse expands text into out. Every index must be below
 * max_size (Slurm's MaxArraySize; 0 means ARRAYSPEC_DEFAULT_MAX_SIZE).
 * Returns 0 and fills out (the caller then owns out->ids: arrayspec_fini),
 * or MOSAIC_EINVAL with out zeroed and, when err is non-NULL, a message
 * naming the bad part, e.g. "index 20000 is over the limit of 10000". */
int arrayspec_parse(arrayspec *out, const char *text, uint32_t max_size, char *err, size_t errlen);
void arrayspec_fini(arrayspec *a);

/* arrayspec_format writes a canonical text that arrayspec_parse reads back
 * to the same ids and throttle: runs of consecutive ids as "a-b", evenly
 * spaced runs of three or more as "a-b:step", the rest as single ids, then
 * "%N". Returns a heap string (the caller frees). */
char *arrayspec_format(const arrayspec *a);
/* arrayspec_format_ids formats any sorted, duplicate-free list the same way
 * without a throttle (squeue shows the pending tasks of an array as
 * "12_[4-9,11]"). Returns a heap string (the caller frees); "" for n == 0. */
char *arrayspec_format_ids(const uint32_t *ids, size_t n);

#endif
