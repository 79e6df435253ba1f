/* mrtask.h - what runs inside mapred's tasks: `mapred-task`, found beside
 * the `mapred` program and launched by argv (no shell), in the task's
 * sandbox (its working directory), whose files the agent serves read-only.
 *
 *   mapred-task store --url U --length N --sum S
 *       copy one block from the `mapred put` client into ./blk, checked
 *   mapred-task unstore PATH...
 *       remove stored blocks of this block-store framework on this agent
 *   mapred-task map --kind wordcount|stream --reducers R --length N --sum S
 *                   [--local PATH] [--url U]... [--mapper CMD] [--combiner CMD]
 *       read the block (PATH when this agent holds it, else from a replica's
 *       agent over HTTP), and leave ./part-0 .. ./part-<R-1>, sorted
 *   mapred-task reduce --kind wordcount|stream --partition r [--reducer CMD] URL...
 *       fetch part-r of every map (URL...), merge, reduce into ./part-r-0000r
 *
 * Each leaves ./counters ("name value" lines) for the client to collect.
 * Exit status: 0 done; 1 failed (the reason on stderr); 2 bad arguments;
 * MRTASK_EXIT_FETCH when input could not be fetched (a reducer stops at the
 * first map output it cannot get after its retries, naming it in
 * ./fetch-failures as "map-index url error"), so the client can tell a lost
 * map output from a broken task. */
#ifndef MOSAIC_MAPRED_MRTASK_H
#define MOSAIC_MAPRED_MRTASK_H

#include <stddef.h>
#include <stdint.h>

#include "httpc.h"

#define MRTASK_EXIT_OK 0
#define MRTASK_EXIT_FAIL 1
#define MRTASK_EXIT_USAGE 2
#define MRTASK_EXIT_FETCH 75 /* EX_TEMPFAIL */

/* Seconds a transfer may stall before it is given up. */
#define MRTASK_IO_TIMEOUT 30.0

int mrtask_store(int argc, char **argv);
int mrtask_unstore(int argc, char **argv);
int mrtask_map(int argc, char **argv);
int mrtask_reduce(int argc, char **argv);

/* ---- shared by the subcommands (mrtask_util.c) ---- */

/* mrtask_err prints "mapred-task <what>: <message>" on stderr. */
void mrtask_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mrtask_set_name(const char *what);

/* Counters, written to ./counters at the end. */
typedef struct mrtask_counters {
	char names[32][48];
	uint64_t values[32];
	size_t n;
} mrtask_counters;
void mrtask_count(mrtask_counters *c, const char *name, uint64_t v);
int mrtask_counters_write(const mrtask_counters *c);

/* mrtask_fetch: httpc_fetch with retries: up to `tries` attempts, waiting
 * 0.25 s, 0.5 s, 1 s ... between them; a 404 is retried once only (the file
 * is gone, not late). Before each retry reset(arg) is called, so the sink
 * can start over; reset may be NULL when nothing needs resetting. */
int mrtask_fetch(const char *url, uint64_t offset, uint64_t length, int tries, httpc_sink_fn sink,
                 void (*reset)(void *arg), void *arg, httpc_result *res);

/* A sink to a file that also sums what passes (blocksum.h). */
typedef struct mrtask_filesink {
	int fd;
	uint64_t bytes;
	void *sum; /* blocksum *, or NULL */
} mrtask_filesink;
int mrtask_filesink_fn(void *arg, const void *data, size_t len);
void mrtask_filesink_reset(void *arg);

/* mrtask_sum_file: the blocksum and size of the file open at fd. */
int mrtask_sum_file(int fd, uint64_t *sum, uint64_t *size);

#endif
