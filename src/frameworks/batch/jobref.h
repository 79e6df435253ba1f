/* jobref.h - how users name jobs on the command line, as scancel and
 * squeue -j read them: "12" (a job, or a whole array when 12 is an array's
 * id), "12_3" (one task of array 12), "12_[1-3,7]" (several tasks), and
 * "12_*" (the whole array, spelled out). Also the reverse: a job's name
 * for people ("12", "12_3") and its exit code as Slurm prints it ("1:0").
 *
 * Pure; a jobref owns its index list (jobref_fini). */
#ifndef MOSAIC_BATCH_JOBREF_H
#define MOSAIC_BATCH_JOBREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Enough for "4294967295_4294967295" and a NUL. */
#define JOBREF_BUFLEN 24

typedef struct jobref {
	uint32_t job_id;
	bool has_index;    /* "12_3", "12_[...]": only these tasks */
	uint32_t *indexes; /* sorted, no duplicates, when has_index */
	size_t nindexes;
} jobref;

/* jobref_parse reads text into out. Returns 0 (the caller owns out:
 * jobref_fini), or MOSAIC_EINVAL with out zeroed and a message in err
 * ("'12x' is not a job id: expected N, N_K or N_[K-L]"). */
int jobref_parse(jobref *out, const char *text, char *err, size_t errlen);
void jobref_fini(jobref *r);
/* jobref_matches: does the reference name this job? job_id is the job's
 * own id; an array task also has its array's id and index (array_job_id
 * 0 for a plain job). A plain "N" names job N, or every task of array N. */
bool jobref_matches(const jobref *r, uint32_t job_id, uint32_t array_job_id, uint32_t index);

/* jobref_format writes "12" or, for an array task, "<array>_<index>".
 * Returns buf (at least JOBREF_BUFLEN bytes). */
char *jobref_format(char *buf, uint32_t job_id, bool is_array_task, uint32_t array_job_id, uint32_t index);

/* jobref_exit_format writes Slurm's ExitCode column, "<code>:<signal>":
 * "0:0", "1:0", "0:9" (killed by signal 9). An unknown code shows as 0.
 * Returns buf (at least 24 bytes). */
char *jobref_exit_format(char *buf, size_t len, bool has_exit, int exit_code, int term_signal);

#endif
