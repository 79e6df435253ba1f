/* mrjob_io.c - the job's transfers, on the worker threads (worker.h): each
 * item copies what it needs from the job when queued, works with no job
 * state, and applies its result on the loop in its done() -- unless the
 * job has ended or the attempt it was about is no longer current. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "httpc.h"
#include "kvfile.h"
#include "mem.h"
#include "mrclient.h"
#include "mrjob_impl.h"

#define IO_TIMEOUT 30.0
#define PROBE_TIMEOUT 2.0
#define SMALL_FILE (64u << 10)

static char *
file_url(const char *http, const char *fw, const char *task, const char *name)
{
	return xasprintf("%s/files/%s/%s/%s", http, fw, task, name);
}

/* A small file of a task's sandbox, NUL-terminated; NULL on failure. */
static char *
fetch_small(const char *url, char *err, size_t errlen)
{
	httpc_buf buf = {.max = SMALL_FILE};
	httpc_result res;
	int rv = httpc_fetch(url, 0, HTTPC_NO_SIZE, IO_TIMEOUT, httpc_sink_buf, &buf, &res);
	if (rv) {
		snprintf(err, errlen, "%s", res.err[0] ? res.err : mosaic_strerror(rv));
		free(buf.data);
		return NULL;
	}
	return buf.data ? buf.data : xstrdup("");
}

static bool
still_current(mrjob *j, jobstate_kind kind, uint32_t idx, const char *task_id)
{
	const jobstate_task *t = jobstate_task_get(j->js, kind, idx);
	return !j->ended && t && strcmp(t->task_id, task_id) == 0;
}

/* ---- a map's counters ---- */

typedef struct ctr_item {
	mrjob *j;
	uint32_t idx;
	char task_id[JOBSTATE_ID_MAX];
	char *url, *text;
	char err[256];
} ctr_item;

static void
ctr_run(void *arg)
{
	ctr_item *it = arg;
	it->text = fetch_small(it->url, it->err, sizeof(it->err));
}

static void
ctr_done(void *arg, bool cancelled)
{
	ctr_item *it = arg;
	mrjob *j = it->j;
	if (!cancelled && still_current(j, JOBSTATE_MAP, it->idx, it->task_id)) {
		mrjob_map *m = &j->maps[it->idx];
		memset(m->ctr, 0, sizeof(m->ctr));
		m->has_ctr = it->text && mrjob_parse_counters(it->text, m->ctr) == 0;
		if (!m->has_ctr)
			j->counters_incomplete = true;
	}
	free(it->url);
	free(it->text);
	free(it);
	if (!cancelled)
		mrjob_sync(j);
}

void
mrjob_io_map_counters(mrjob *j, uint32_t idx)
{
	const jobstate_task *t = jobstate_task_get(j->js, JOBSTATE_MAP, idx);
	ctr_item *it = xcalloc(1, sizeof(*it));
	it->j = j;
	it->idx = idx;
	snprintf(it->task_id, sizeof(it->task_id), "%s", t->task_id);
	it->url = file_url(t->agent_http, j->fw_id, t->task_id, "counters");
	worker_submit(j->w, ctr_run, ctr_done, it);
}

/* ---- a reduce's output, copied into OUTPUT ---- */

typedef struct out_item {
	mrjob *j;
	uint32_t idx;
	char task_id[JOBSTATE_ID_MAX];
	char *url, *ctr_url, *tmp, *final, *ctr_text;
	uint64_t bytes;
	int rv;
	char err[300];
} out_item;

static void
out_run(void *arg)
{
	out_item *it = arg;
	for (int attempt = 0; attempt < 3; attempt++) {
		int fd = open(it->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			snprintf(it->err, sizeof(it->err), "cannot create %s: %s", it->tmp, strerror(errno));
			it->rv = MOSAIC_EIO;
			return;
		}
		httpc_result res;
		it->rv = httpc_fetch(it->url, 0, HTTPC_NO_SIZE, IO_TIMEOUT, httpc_sink_fd, &fd, &res);
		it->bytes = res.body;
		if (!it->rv && (fsync(fd) != 0 || rename(it->tmp, it->final) != 0)) {
			snprintf(it->err, sizeof(it->err), "cannot write %s: %s", it->final, strerror(errno));
			it->rv = MOSAIC_EIO;
			close(fd);
			return;
		}
		close(fd);
		if (!it->rv)
			break;
		snprintf(it->err, sizeof(it->err), "copying %s: %s", it->url,
		         res.err[0] ? res.err : mosaic_strerror(it->rv));
		if (it->rv == MOSAIC_ENOENT)
			break;
		sleep(1);
	}
	if (it->rv) {
		unlink(it->tmp);
		return;
	}
	char err[256];
	it->ctr_text = fetch_small(it->ctr_url, err, sizeof(err));
}

static void
out_done(void *arg, bool cancelled)
{
	out_item *it = arg;
	mrjob *j = it->j;
	const jobstate_task *t = jobstate_task_get(j->js, JOBSTATE_REDUCE, it->idx);
	if (!cancelled && !j->ended && t->phase == JOBSTATE_FINISHED &&
	    strcmp(t->task_id, it->task_id) == 0) {
		if (it->rv == 0) {
			mrjob_reduce *r = &j->reds[it->idx];
			memset(r->ctr, 0, sizeof(r->ctr));
			r->has_ctr = it->ctr_text && mrjob_parse_counters(it->ctr_text, r->ctr) == 0;
			if (!r->has_ctr)
				j->counters_incomplete = true;
			j->output_bytes += it->bytes;
			j->parts_fetched++;
			jobstate_fetched(j->js, it->idx);
		} else {
			jobstate_output_lost(j->js, JOBSTATE_REDUCE, it->idx, it->err);
		}
	}
	free(it->url);
	free(it->ctr_url);
	free(it->tmp);
	free(it->final);
	free(it->ctr_text);
	free(it);
	if (!cancelled)
		mrjob_sync(j);
}

void
mrjob_io_fetch_output(mrjob *j, uint32_t idx)
{
	const jobstate_task *t = jobstate_task_get(j->js, JOBSTATE_REDUCE, idx);
	out_item *it = xcalloc(1, sizeof(*it));
	it->j = j;
	it->idx = idx;
	snprintf(it->task_id, sizeof(it->task_id), "%s", t->task_id);
	char name[32];
	snprintf(name, sizeof(name), "part-r-%05u", idx);
	it->url = file_url(t->agent_http, j->fw_id, t->task_id, name);
	it->ctr_url = file_url(t->agent_http, j->fw_id, t->task_id, "counters");
	it->tmp = xasprintf("%s/.%s.tmp", j->outdir, name);
	it->final = kvfile_output_path(j->outdir, idx);
	worker_submit(j->w, out_run, out_done, it);
}

/* ---- why an attempt failed ---- */

typedef struct diag_item {
	mrjob *j;
	char task_id[JOBSTATE_ID_MAX];
	char *url;
	char head[400];
	char tail[600];
} diag_item;

static void
diag_run(void *arg)
{
	diag_item *it = arg;
	uint64_t size;
	httpc_result res;
	if (httpc_size(it->url, PROBE_TIMEOUT, &size, &res) != 0)
		return;
	uint64_t from = size > 2048 ? size - 2048 : 0;
	httpc_buf buf = {.max = 4096};
	if (httpc_fetch(it->url, from, size - from, PROBE_TIMEOUT, httpc_sink_buf, &buf, &res) == 0 &&
	    buf.data) {
		/* The last three non-empty lines, joined. */
		char *lines[3] = {0};
		int n = 0;
		for (char *p = strtok(buf.data, "\n"); p; p = strtok(NULL, "\n"))
			if (*p) {
				if (n == 3)
					memmove(lines, lines + 1, 2 * sizeof(char *)), n = 2;
				lines[n++] = p;
			}
		size_t len = 0;
		for (int i = 0; i < n && len < sizeof(it->tail) - 1; i++)
			len += (size_t)snprintf(it->tail + len, sizeof(it->tail) - len, "%s%s",
			                        i ? " | " : "", lines[i]);
	}
	free(buf.data);
}

static void
diag_done(void *arg, bool cancelled)
{
	diag_item *it = arg;
	mrjob *j = it->j;
	if (!cancelled && !j->ended) {
		char why[1100];
		snprintf(why, sizeof(why), "%s%s%s", it->head, it->tail[0] ? ": " : "", it->tail);
		jobstate_ended(j->js, it->task_id, false, why);
		if (!j->cfg->quiet)
			fprintf(stderr, "\nmapred: attempt %s failed: %s\n", it->task_id, why);
		mrjob_sync(j);
	}
	free(it->url);
	free(it);
}

void
mrjob_io_diagnose(mrjob *j, const mosaic_sched_status *st)
{
	diag_item *it = xcalloc(1, sizeof(*it));
	it->j = j;
	snprintf(it->task_id, sizeof(it->task_id), "%s", st->task_id);
	snprintf(it->head, sizeof(it->head), "%s on %s: %s", mosaic_sched_task_state_name(st->state),
	         st->agent_hostname[0] ? st->agent_hostname : st->agent_id, st->message);
	it->url = file_url(st->agent_http, j->fw_id, st->task_id, "stderr");
	worker_submit(j->w, diag_run, diag_done, it);
}

/* ---- which map outputs a reduce could not fetch are really gone ---- */

typedef struct probe_item {
	mrjob *j;
	uint32_t idx;
	char task_id[JOBSTATE_ID_MAX];
	uint32_t n;
	char **http; /* each map's agent */
	char **url;  /* each map's output for this partition */
	char (*task)[JOBSTATE_ID_MAX];
	bool *lost;
	char **why;
} probe_item;

static void
probe_run(void *arg)
{
	probe_item *it = arg;
	/* Each agent is asked for /health once, whatever number of maps it ran. */
	char **asked = xcalloc(it->n, sizeof(char *));
	bool *answered = xcalloc(it->n, sizeof(bool));
	uint32_t nasked = 0;
	for (uint32_t m = 0; m < it->n; m++) {
		uint32_t k = 0;
		while (k < nasked && strcmp(asked[k], it->http[m]) != 0)
			k++;
		if (k == nasked) {
			asked[nasked] = it->http[m];
			answered[nasked++] = mrclient_agent_up(it->http[m], PROBE_TIMEOUT);
		}
		if (!answered[k]) {
			it->lost[m] = true;
			it->why[m] = xasprintf("its agent (%s) does not answer", it->http[m]);
			continue;
		}
		uint64_t size;
		httpc_result res;
		if (httpc_size(it->url[m], PROBE_TIMEOUT, &size, &res) == MOSAIC_ENOENT) {
			it->lost[m] = true;
			it->why[m] = xasprintf("its output %s is gone", it->url[m]);
		}
	}
	free(asked);
	free(answered);
}

static void
probe_done(void *arg, bool cancelled)
{
	probe_item *it = arg;
	mrjob *j = it->j;
	if (!cancelled && !j->ended) {
		j->reds[it->idx].probing = false;
		char why[600];
		size_t len = (size_t)snprintf(why, sizeof(why), "could not fetch map outputs");
		uint32_t nlost = 0;
		for (uint32_t m = 0; m < it->n; m++) {
			if (!it->lost[m] || !still_current(j, JOBSTATE_MAP, m, it->task[m]))
				continue;
			jobstate_output_lost(j->js, JOBSTATE_MAP, m, it->why[m]);
			if (nlost++ < 8 && len < sizeof(why) - 1)
				len += (size_t)snprintf(why + len, sizeof(why) - len, "%s map %u",
				                        nlost > 1 ? "," : ":", m);
		}
		if (!nlost)
			snprintf(why + len, sizeof(why) - len, " (all are there now: a passing fault)");
		jobstate_ended(j->js, it->task_id, false, why);
		mrjob_sync(j);
	}
	for (uint32_t m = 0; m < it->n; m++) {
		free(it->http[m]);
		free(it->url[m]);
		free(it->why[m]);
	}
	free(it->http);
	free(it->url);
	free(it->why);
	free(it->task);
	free(it->lost);
	free(it);
}

void
mrjob_io_probe(mrjob *j, uint32_t idx, const char *task_id)
{
	probe_item *it = xcalloc(1, sizeof(*it));
	it->j = j;
	it->idx = idx;
	snprintf(it->task_id, sizeof(it->task_id), "%s", task_id);
	it->n = j->nmaps;
	it->http = xcalloc(it->n, sizeof(char *));
	it->url = xcalloc(it->n, sizeof(char *));
	it->why = xcalloc(it->n, sizeof(char *));
	it->task = xcalloc(it->n, JOBSTATE_ID_MAX);
	it->lost = xcalloc(it->n, sizeof(bool));
	for (uint32_t m = 0; m < it->n; m++) {
		const jobstate_task *t = jobstate_task_get(j->js, JOBSTATE_MAP, m);
		char name[32];
		snprintf(name, sizeof(name), "part-%u", idx);
		it->http[m] = xstrdup(t->agent_http);
		it->url[m] = file_url(t->agent_http, j->fw_id, t->task_id, name);
		snprintf(it->task[m], JOBSTATE_ID_MAX, "%s", t->task_id);
	}
	worker_submit(j->w, probe_run, probe_done, it);
}

/* ---- before the start: which replicas' agents answer ---- */

void
mrjob_probe_replicas(mrjob *j)
{
	for (uint32_t m = 0; m < j->nmaps; m++) {
		const catalog_block *b = j->maps[m].b;
		for (size_t r = 0; r < b->nreplicas; r++) {
			const catalog_replica *rp = &b->replicas[r];
			if (mrjob_agent_find(j, rp->agent_id))
				continue;
			j->agents = xrealloc(j->agents, (j->nagents + 1) * sizeof(mrjob_agent));
			mrjob_agent *a = &j->agents[j->nagents++];
			memset(a, 0, sizeof(*a));
			snprintf(a->id, sizeof(a->id), "%s", rp->agent_id);
			snprintf(a->hostname, sizeof(a->hostname), "%s", rp->hostname);
			snprintf(a->http, sizeof(a->http), "%s", rp->agent_http);
			snprintf(a->rack, sizeof(a->rack), "%s", rp->rack);
			a->lost = !mrclient_agent_up(rp->agent_http, PROBE_TIMEOUT);
		}
	}
	for (uint32_t m = 0; m < j->nmaps; m++) {
		const catalog_block *b = j->maps[m].b;
		size_t live = 0;
		for (size_t r = 0; r < b->nreplicas; r++)
			live += !mrjob_agent_find(j, b->replicas[r].agent_id)->lost;
		if (live == 0) {
			snprintf(j->failure, sizeof(j->failure),
			         "block %u of %s has no replica on an agent that answers (it had %zu)",
			         j->maps[m].block, j->maps[m].file->name, b->nreplicas);
			return;
		}
	}
}
