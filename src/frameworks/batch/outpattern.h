/* outpattern.h - expansion of sbatch's filename patterns (-o/--output,
 * -e/--error), as Slurm does for a batch script:
 *   %j job id            %x job name          %u user name
 *   %A array master id (the job id if not an array)
 *   %a array task index ("0" if not an array: Slurm prints 4294967294)
 *   %N the agent's host name (known only once the job is placed)
 *   %n node index, %t task rank: always 0 (one node, one batch task)
 *   %J job id and step, "<id>.batch"       %s step, "batch"
 *   %% a literal '%'
 * A number between '%' and the letter zero-pads numbers to that width (at
 * most 10, as Slurm): "%4a" gives "0007"; it is ignored for %x %u %N %s.
 * Any other "%c" is copied unchanged. A pattern containing a backslash is
 * not expanded at all: backslashes are removed ("\\" keeps one), as
 * Slurm's "\\ Do not process any of the replacement symbols".
 *
 * Pure; returned strings are heap strings the caller frees. */
#ifndef MOSAIC_BATCH_OUTPATTERN_H
#define MOSAIC_BATCH_OUTPATTERN_H

#include <stdbool.h>
#include <stdint.h>

typedef struct outpattern_vars {
	uint32_t job_id;
	const char *job_name; /* NULL expands to "" */
	const char *user;     /* NULL expands to "" */
	bool is_array;
	uint32_t array_job_id; /* used when is_array */
	uint32_t array_index;  /* used when is_array */
	const char *node;      /* NULL: "%N" is left in place, for a later
	                        * expansion once the agent is known */
} outpattern_vars;

/* outpattern_expand returns the expansion of pattern (caller frees). */
char *outpattern_expand(const char *pattern, const outpattern_vars *v);
/* The default pattern when -o is not given: "mbatch-%j.out", or
 * "mbatch-%A_%a.out" for an array (Slurm's "slurm-%j.out",
 * "slurm-%A_%a.out"). A static string. */
const char *outpattern_default(bool is_array);

#endif
