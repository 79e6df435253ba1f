/* jobstate.h - the states of a batch job, named as Slurm's squeue and sacct
 * print them, so that dependency evaluation, the daemon and the CLI share
 * one vocabulary. Pure; the returned names are static strings. */
#ifndef MOSAIC_BATCH_JOBSTATE_H
#define MOSAIC_BATCH_JOBSTATE_H

#include <stdbool.h>

typedef enum jobstate {
	JOBSTATE_UNKNOWN = 0, /* no such job (never existed, or forgotten) */
	JOBSTATE_PENDING,
	JOBSTATE_RUNNING,
	JOBSTATE_COMPLETED,     /* ran to completion with exit code 0 */
	JOBSTATE_FAILED,        /* non-zero exit code */
	JOBSTATE_CANCELLED,     /* mbatch cancel (scancel) */
	JOBSTATE_TIMEOUT,       /* killed at its time limit */
	JOBSTATE_NODE_FAIL,     /* its agent was lost and it was not requeued */
	JOBSTATE_OUT_OF_MEMORY, /* killed by its memory limit */
	JOBSTATE_COUNT
} jobstate;

/* "PENDING", "RUNNING", ... ("UNKNOWN" for anything out of range). */
const char *jobstate_name(jobstate s);
/* squeue's compact codes: "PD", "R", "CD", "F", "CA", "TO", "NF", "OOM". */
const char *jobstate_code(jobstate s);
/* jobstate_parse accepts a name or a code, case-insensitively; returns
 * JOBSTATE_UNKNOWN for anything else. */
jobstate jobstate_parse(const char *text);
/* Finished: no longer pending or running. */
bool jobstate_is_terminal(jobstate s);
/* Finished in some failed way (everything terminal but COMPLETED): what
 * Slurm's afternotok waits for. */
bool jobstate_is_failure(jobstate s);

#endif
