/* mrjob_report.c - what the job shows: a progress line while it runs
 * (map % and reduce %, on stderr), and at the end its counters, as a
 * table or as JSON (--json, on stdout). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "json.h"
#include "mrclient.h"
#include "mrjob_impl.h"

const char *const mrjob_counter_names[MRJOB_NCOUNTERS] = {
#define X(n) #n,
    MRJOB_TASK_COUNTERS
#undef X
};

int
mrjob_parse_counters(const char *text, uint64_t *ctr)
{
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[128];
		if (len >= sizeof(line))
			return MOSAIC_EINVAL;
		memcpy(line, p, len);
		line[len] = '\0';
		char name[64];
		unsigned long long v;
		if (len && sscanf(line, "%63s %llu", name, &v) != 2)
			return MOSAIC_EINVAL;
		for (int i = 0; len && i < MRJOB_NCOUNTERS; i++)
			if (strcmp(name, mrjob_counter_names[i]) == 0)
				ctr[i] += v;
		p += len + (nl ? 1 : 0);
	}
	return MOSAIC_OK;
}

void
mrjob_progress(mrjob *j, bool force)
{
	if (j->cfg->quiet || !j->js || !j->subscribed)
		return;
	double now = mosaic_sched_now(j->s);
	uint32_t md = jobstate_done(j->js, JOBSTATE_MAP), rd = jobstate_done(j->js, JOBSTATE_REDUCE);
	char line[128];
	snprintf(line, sizeof(line), "map %3u%% (%u/%u)  reduce %3u%% (%u/%u)",
	         j->nmaps ? 100 * md / j->nmaps : 100, md, j->nmaps, j->nreds ? 100 * rd / j->nreds : 100, rd,
	         j->nreds);
	bool changed = strcmp(line, j->progress_line) != 0;
	if (!force && (!changed || now - j->last_progress < 0.5) && now - j->last_progress < 10)
		return;
	snprintf(j->progress_line, sizeof(j->progress_line), "%s", line);
	j->last_progress = now;
	bool tty = isatty(2);
	fprintf(stderr, "%s%s  %.1f s%s", tty ? "\r" : "", line, now - j->t0, tty ? "" : "\n");
	if (tty && (force || j->ended))
		fputc('\n', stderr);
}

static void
sum_counters(mrjob *j, uint64_t *tot)
{
	memset(tot, 0, MRJOB_NCOUNTERS * sizeof(uint64_t));
	for (uint32_t m = 0; m < j->nmaps; m++)
		for (int i = 0; i < MRJOB_NCOUNTERS; i++)
			tot[i] += j->maps[m].ctr[i];
	for (uint32_t r = 0; r < j->nreds; r++)
		for (int i = 0; i < MRJOB_NCOUNTERS; i++)
			tot[i] += j->reds[r].ctr[i];
}

static void
report_json(mrjob *j, const uint64_t *tot, const jobstate_counters *jc, double elapsed)
{
	json_writer w;
	json_init(&w);
	json_object_begin(&w);
	json_kv_string(&w, "job", j->cfg->kind == MRJOB_WORDCOUNT ? "wordcount" : "stream");
	json_kv_string(&w, "state", j->exit_code == 0 ? "succeeded" : "failed");
	json_kv_string(&w, "reason", j->exit_code == 0 ? NULL : j->failure);
	json_kv_string(&w, "framework_id", j->fw_id);
	json_kv_string(&w, "output", j->outdir);
	json_kv_number(&w, "elapsed_seconds", elapsed);
	json_kv_number(&w, "map_seconds", j->t_maps > 0 ? j->t_maps - j->t0 : elapsed);
	json_kv_number(&w, "reduce_seconds", j->t_maps > 0 ? j->t_end - j->t_maps : 0);
	json_kv_int(&w, "maps", j->nmaps);
	json_kv_int(&w, "reduces", j->nreds);
	json_kv_int(&w, "maps_done", jobstate_done(j->js, JOBSTATE_MAP));
	json_kv_int(&w, "reduces_done", jobstate_done(j->js, JOBSTATE_REDUCE));
	json_kv_number(&w, "locality_wait", j->cfg->locality_wait);
	json_key(&w, "locality");
	json_object_begin(&w);
	uint64_t launches = j->locality[0] + j->locality[1] + j->locality[2] + j->locality[3];
	json_kv_int(&w, "node_local", (int64_t)j->locality[DELAY_NODE_LOCAL]);
	json_kv_int(&w, "rack_local", (int64_t)j->locality[DELAY_RACK_LOCAL]);
	json_kv_int(&w, "off_rack", (int64_t)j->locality[DELAY_OFF_RACK]);
	json_kv_int(&w, "no_preference", (int64_t)j->locality[DELAY_NO_PREF]);
	json_kv_number(&w, "node_local_fraction",
	               launches ? (double)j->locality[DELAY_NODE_LOCAL] / (double)launches : 0);
	json_object_end(&w);
	json_key(&w, "attempts");
	json_object_begin(&w);
	json_kv_int(&w, "launched", (int64_t)jc->launched);
	json_kv_int(&w, "failed", (int64_t)jc->failed);
	json_kv_int(&w, "lost", (int64_t)jc->lost);
	json_kv_int(&w, "recomputed", (int64_t)jc->recomputed);
	json_object_end(&w);
	json_key(&w, "counters");
	json_object_begin(&w);
	for (int i = 0; i < MRJOB_NCOUNTERS; i++)
		json_kv_int(&w, mrjob_counter_names[i], (int64_t)tot[i]);
	json_kv_int(&w, "output_bytes", (int64_t)j->output_bytes);
	json_object_end(&w);
	json_kv_bool(&w, "counters_complete", !j->counters_incomplete);
	json_object_end(&w);
	char *s = json_take(&w);
	printf("%s\n", s);
	free(s);
}

void
mrjob_report(mrjob *j)
{
	uint64_t tot[MRJOB_NCOUNTERS];
	sum_counters(j, tot);
	jobstate_counters jc;
	jobstate_get_counters(j->js, &jc);
	double elapsed = j->subscribed ? j->t_end - j->t0 : 0;
	if (j->cfg->json) {
		report_json(j, tot, &jc, elapsed);
		if (j->exit_code)
			fprintf(stderr, "mapred: job failed: %s\n", j->failure);
		return;
	}
	if (j->exit_code) {
		fprintf(stderr, "mapred: job failed: %s\n", j->failure);
		return;
	}
	if (j->cfg->quiet)
		return;
	uint64_t launches = j->locality[0] + j->locality[1] + j->locality[2] + j->locality[3];
	char h[4][32];
	printf("mapred: job %s succeeded in %.1f s (maps %.1f s, reduces %.1f s): %u part%s in %s\n", j->fw_id,
	       elapsed, j->t_maps - j->t0, j->t_end - j->t_maps, j->nreds, j->nreds == 1 ? "" : "s", j->outdir);
	printf("  maps        %u, launched %llu: node-local %llu (%.0f%%), rack-local %llu, off-rack %llu\n",
	       j->nmaps, (unsigned long long)launches, (unsigned long long)j->locality[DELAY_NODE_LOCAL],
	       launches ? 100.0 * (double)j->locality[DELAY_NODE_LOCAL] / (double)launches : 0,
	       (unsigned long long)j->locality[DELAY_RACK_LOCAL],
	       (unsigned long long)(j->locality[DELAY_OFF_RACK] + j->locality[DELAY_NO_PREF]));
	printf("  attempts    %llu launched, %llu failed, %llu lost, %llu redone for lost output\n",
	       (unsigned long long)jc.launched, (unsigned long long)jc.failed, (unsigned long long)jc.lost,
	       (unsigned long long)jc.recomputed);
	printf("  input       %s (%llu blocks read locally, %llu from another agent)\n",
	       mrclient_human(tot[MRJOB_C_map_input_bytes], h[0], sizeof(h[0])),
	       (unsigned long long)tot[MRJOB_C_map_local_reads],
	       (unsigned long long)tot[MRJOB_C_map_remote_reads]);
	if (j->cfg->kind == MRJOB_WORDCOUNT)
		printf("  words       %llu\n", (unsigned long long)tot[MRJOB_C_map_input_words]);
	printf("  map output  %llu records", (unsigned long long)tot[MRJOB_C_map_output_records]);
	if (j->cfg->combiner)
		printf(", %llu after the combiner", (unsigned long long)tot[MRJOB_C_combine_output_records]);
	printf(", %s\n", mrclient_human(tot[MRJOB_C_map_output_bytes], h[1], sizeof(h[1])));
	printf("  shuffle     %s fetched by reducers\n",
	       mrclient_human(tot[MRJOB_C_shuffle_bytes], h[2], sizeof(h[2])));
	printf("  reduce      %llu records in", (unsigned long long)tot[MRJOB_C_reduce_input_records]);
	if (j->cfg->kind == MRJOB_WORDCOUNT)
		printf(", %llu out", (unsigned long long)tot[MRJOB_C_reduce_output_records]);
	printf(", %s written\n", mrclient_human(j->output_bytes, h[3], sizeof(h[3])));
	if (j->counters_incomplete)
		printf("  (some tasks' counters could not be read: the figures above are short)\n");
}
