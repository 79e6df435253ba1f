/* mbatch_cli.h - what the `mbatch` commands share: one entry point per
 * command (mbatch_<command>.c), fetching jobs from mbatchd, and printing
 * them for people (Slurm's columns) or as JSON. */
#ifndef MOSAIC_BATCH_MBATCH_CLI_H
#define MOSAIC_BATCH_MBATCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.pb-c.h"
#include "json.h"
#include "mbatch_client.h"

enum { MBATCH_EXIT_OK = 0, MBATCH_EXIT_FAIL = 1, MBATCH_EXIT_USAGE = 2 };

/* The largest script mbatchd runs (MBATCHD_MAX_SCRIPT): said here before
 * a larger one is sent. */
#define MBATCH_MAX_RUN_SCRIPT (1u << 20)

/* Seconds to wait for mbatchd's answer: $MBATCH_TIMEOUT, default 30. */
#define MBATCH_CALL_TIMEOUT mbatch_call_timeout()
double mbatch_call_timeout(void);

/* Each command: argv[0] is the command's name; address is mbatchd's. */
int mbatch_submit_main(const char *address, int argc, char **argv);
int mbatch_queue_main(const char *address, int argc, char **argv);
int mbatch_history_main(const char *address, int argc, char **argv);
int mbatch_show_main(const char *address, int argc, char **argv);
int mbatch_cancel_main(const char *address, int argc, char **argv);
int mbatch_hold_main(const char *address, int argc, char **argv);
int mbatch_release_main(const char *address, int argc, char **argv);
int mbatch_logs_main(const char *address, int argc, char **argv);

/* mbatch_connect opens the client, printing why not ("mbatch <cmd>: ...")
 * on failure. */
int mbatch_connect(mbatch_client **c, const char *address, const char *cmd);
/* mbatch_fail prints "mbatch <cmd>: <msg>" to stderr; returns code. */
int mbatch_fail(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Every job a List names, over as many pages as it takes. */
typedef struct mbatch_jobs {
	Mbatch__ListReply **pages;
	size_t npages;
	const Mbatch__Job **v;
	size_t n;
} mbatch_jobs;

int mbatch_jobs_fetch(mbatch_client *c, Mbatch__List *req, mbatch_jobs *out, char *err, size_t errlen);
void mbatch_jobs_fini(mbatch_jobs *jobs);

/* "12" or "12_3". */
char *mbatch_job_name(const Mbatch__Job *j, char *buf, size_t len);
/* Local time "2026-11-22T10:03:00", or "Unknown" for 0. */
char *mbatch_time(double t, char *buf, size_t len);
/* Seconds the job has run (so far). */
int64_t mbatch_elapsed(const Mbatch__Job *j, double now);
/* Slurm's ExitCode: "0:0", "1:0", "0:9". */
char *mbatch_exit(const Mbatch__Job *j, char *buf, size_t len);
/* The job's state name ("PENDING"), or its code ("PD"). */
const char *mbatch_state(const Mbatch__Job *j, bool code);
/* A job as a JSON object (with script and options when detail). */
void mbatch_job_json(json_writer *w, const Mbatch__Job *j, bool detail);
/* mbatch_path: the job's file path as the job saw it (relative paths are
 * in its working directory). Returns buf. */
char *mbatch_path(const Mbatch__Job *j, const char *path, char *buf, size_t len);
/* The exit status `mbatch submit --wait` gives for a job that ended. */
int mbatch_exit_status(const Mbatch__Job *j);

#endif
