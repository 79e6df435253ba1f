/* mrjob.h - one MapReduce job, as a framework of its own on Mosaic: the
 * `mapred wordcount` and `mapred stream` commands.
 *
 * Maps (one per stored block) go where their block is, by delay scheduling
 * (delay.h: node-local, then rack-local, then anywhere, the wait counted in
 * seconds); they leave R sorted partitions in their sandboxes. Once every
 * map is done, reduces start anywhere (spread over the agents), fetch
 * their partition of every map from the maps' agents' file servers, merge
 * and reduce into their sandbox, and this process copies each reduce's
 * output to OUTPUT/part-r-NNNNN. Lost work is redone (jobstate.h); a job
 * that cannot finish fails with the reason. The job's framework is torn
 * down at the end either way, which kills whatever of it still runs. */
#ifndef MOSAIC_MAPRED_MRJOB_H
#define MOSAIC_MAPRED_MRJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mrclient.h"

typedef enum mrjob_kind { MRJOB_WORDCOUNT = 0, MRJOB_STREAM = 1 } mrjob_kind;

typedef struct mrjob_config {
	mrjob_kind kind;
	char **inputs; /* stored file names */
	size_t ninputs;
	const char *output; /* a local directory: absent or empty */
	uint32_t reducers;
	double locality_wait;                    /* seconds; 0: no waiting */
	const char *mapper, *reducer, *combiner; /* streaming commands */
	double map_cpus, map_mem, reduce_cpus, reduce_mem;
	uint32_t max_attempts;
	double timeout; /* seconds; 0: none */
	bool json, quiet;
} mrjob_config;

/* mrjob_config_init: the defaults (2 reducers, 1 s wait, 1 cpu and 256 MiB
 * a task, 4 attempts). */
void mrjob_config_init(mrjob_config *cfg, mrjob_kind kind);

/* mrjob_run runs the job to its end and returns the exit status: 0 done,
 * MRCLIENT_EXIT_FAIL failed (reason on stderr, and in --json). */
int mrjob_run(const mrclient *c, const mrjob_config *cfg);

/* mrjob_main: `mapred wordcount|stream ...` argument parsing, then
 * mrjob_run. argv[0] is the command. */
int mrjob_main(mrclient *c, int argc, char **argv);

#endif
