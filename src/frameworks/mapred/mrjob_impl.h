/* mrjob_impl.h - a job's state, shared by the mrjob_*.c files: mrjob.c
 * (set-up, the loop, the end), mrjob_launch.c (offers and launches),
 * mrjob_events.c (status updates, lost agents), mrjob_io.c (transfers on
 * the worker threads) and mrjob_report.c (progress, counters). All of it
 * lives on the framework's loop thread. */
#ifndef MOSAIC_MAPRED_MRJOB_IMPL_H
#define MOSAIC_MAPRED_MRJOB_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mosaic/sched.h>

#include "catalog.h"
#include "delay.h"
#include "jobstate.h"
#include "mrjob.h"
#include "worker.h"

/* The counters tasks report in their ./counters files, summed over the
 * attempts whose work the job used. */
#define MRJOB_TASK_COUNTERS                                                                                  \
	X(map_input_bytes)                                                                                   \
	X(map_input_words)                                                                                   \
	X(map_output_records)                                                                                \
	X(map_output_bytes)                                                                                  \
	X(map_spills)                                                                                        \
	X(map_local_reads)                                                                                   \
	X(map_remote_reads)                                                                                  \
	X(map_remote_bytes)                                                                                  \
	X(combine_output_records)                                                                            \
	X(shuffle_bytes)                                                                                     \
	X(reduce_input_records)                                                                              \
	X(reduce_output_records)                                                                             \
	X(reduce_output_bytes)

enum {
#define X(n) MRJOB_C_##n,
	MRJOB_TASK_COUNTERS
#undef X
	    MRJOB_NCOUNTERS
};
extern const char *const mrjob_counter_names[MRJOB_NCOUNTERS];

typedef struct mrjob_map {
	const catalog_file *file;
	uint32_t block;
	const catalog_block *b;
	delay_level level; /* of the current attempt */
	uint64_t ctr[MRJOB_NCOUNTERS];
	bool has_ctr;
} mrjob_map;

typedef struct mrjob_reduce {
	uint64_t ctr[MRJOB_NCOUNTERS];
	bool has_ctr;
	bool probing; /* its attempt failed to fetch: the map outputs are being checked */
} mrjob_reduce;

typedef struct mrjob_agent {
	char id[MOSAIC_SCHED_ID_MAX];
	char hostname[256];
	char http[256];
	char rack[128];
	bool lost;
} mrjob_agent;

typedef struct mrjob {
	const mrclient *c;
	const mrjob_config *cfg;
	mosaic_sched *s;
	worker *w;
	catalog_file *files;
	size_t nfiles;
	mrjob_map *maps;
	uint32_t nmaps;
	mrjob_reduce *reds;
	uint32_t nreds;
	jobstate *js;
	delay_policy *dp;
	mrjob_agent *agents;
	size_t nagents;
	char fw_id[MOSAIC_SCHED_ID_MAX];
	char outdir[4096];
	bool outdir_made;
	bool subscribed, ended, suppressed, told_waiting;
	bool freed; /* a task of ours ended since the last revive: its agent has room */
	uint64_t revive_timer;
	double t0, t_maps, t_end;
	uint64_t locality[4]; /* map launches by delay_level */
	uint64_t output_bytes, parts_fetched;
	bool counters_incomplete;
	double last_progress;
	char progress_line[128];
	int exit_code;
	char failure[512];
} mrjob;

/* mrjob.c */
void mrjob_end(mrjob *j, bool ok, const char *why);
/* mrjob_sync: after any event: fail the job if jobstate says so, hand new
 * pending maps to the delay policy, end the job once complete, and ask for
 * offers only while there is something to launch. */
void mrjob_sync(mrjob *j);
mrjob_agent *mrjob_agent_find(mrjob *j, const char *id);

/* mrjob_launch.c */
/* mrjob_add_map: makes map i pending in the delay policy, preferring the
 * agents of its live replicas; false (and the job failed) if it has none. */
bool mrjob_add_map(mrjob *j, uint32_t i);
/* mrjob_agent_note: the agent of an offer, added or refreshed. */
mrjob_agent *mrjob_agent_note(mrjob *j, const mosaic_sched_offer *o);
uint32_t mrjob_reduces_pending(mrjob *j);
/* mrjob_fits: could res hold one task of the job? */
bool mrjob_fits(const mrjob *j, const mosaic_sched_resources *res);
typedef enum mrjob_placed {
	MRJOB_LAUNCHED,    /* tasks launched on the offers */
	MRJOB_TURNED_AWAY, /* maps wait for other agents (delay scheduling) */
	MRJOB_NOTHING      /* nothing to run there now */
} mrjob_placed;
/* mrjob_place runs what res (the sum of the agent's offers offer_ids, o
 * one of them) can hold; on MRJOB_LAUNCHED the offers are used, otherwise
 * they are still the caller's to decline. */
mrjob_placed mrjob_place(mrjob *j, const mosaic_sched_offer *o, const mosaic_sched_resources *res,
                         const char *const *offer_ids, size_t noffers);

/* mrjob_offers.c */
void mrjob_on_offers(mosaic_sched *s, void *arg, const mosaic_sched_offer *offers, size_t n);
/* mrjob_update_offers: suppress offers while nothing can run, revive them
 * when something can, or when the delay policy's allowed level widens. */
void mrjob_update_offers(mrjob *j);

/* mrjob_events.c */
void mrjob_on_status(mosaic_sched *s, void *arg, const mosaic_sched_status *st);
void mrjob_on_agent_lost(mosaic_sched *s, void *arg, const char *agent_id, const char *hostname);

/* mrjob_io.c: each queues work on the worker and acts on its result. */
void mrjob_io_map_counters(mrjob *j, uint32_t idx);
void mrjob_io_fetch_output(mrjob *j, uint32_t idx);
/* A failed attempt: its stderr's last lines become the reason. */
void mrjob_io_diagnose(mrjob *j, const mosaic_sched_status *st);
/* A reduce that could not fetch: which map outputs are really gone. */
void mrjob_io_probe(mrjob *j, uint32_t reduce_idx, const char *task_id);
/* mrjob_io_probe_agents: which replica agents answer (before the start). */
void mrjob_probe_replicas(mrjob *j);

/* mrjob_report.c */
void mrjob_progress(mrjob *j, bool force);
void mrjob_report(mrjob *j);
int mrjob_parse_counters(const char *text, uint64_t *ctr);

#endif
