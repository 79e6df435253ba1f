/* mrjob.c - a job from start to end: its inputs from the catalog, its
 * framework and worker threads, the checks after each event, and the end
 * (success: _SUCCESS and the report; failure: the reason, partial output
 * removed). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "kvfile.h"
#include "mem.h"
#include "mrjob_impl.h"
#include "util.h"

#define WORKER_THREADS 4

void
mrjob_config_init(mrjob_config *cfg, mrjob_kind kind)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->kind = kind;
	cfg->reducers = 2;
	cfg->locality_wait = 1.0;
	cfg->map_cpus = cfg->reduce_cpus = 1;
	cfg->map_mem = cfg->reduce_mem = 256;
	cfg->max_attempts = JOBSTATE_DEFAULT_ATTEMPTS;
}

mrjob_agent *
mrjob_agent_find(mrjob *j, const char *id)
{
	for (size_t i = 0; i < j->nagents; i++)
		if (strcmp(j->agents[i].id, id) == 0)
			return &j->agents[i];
	return NULL;
}

static void
remove_outputs(mrjob *j)
{
	for (uint32_t r = 0; r < j->nreds; r++) {
		char *p = kvfile_output_path(j->outdir, r);
		char *t = xasprintf("%s/.part-r-%05u.tmp", j->outdir, r);
		unlink(p);
		unlink(t);
		free(p);
		free(t);
	}
	if (j->outdir_made)
		rmdir(j->outdir);
}

void
mrjob_end(mrjob *j, bool ok, const char *why)
{
	if (j->ended)
		return;
	j->ended = true;
	j->t_end = mosaic_sched_now(j->s);
	if (ok) {
		char *p = xasprintf("%s/_SUCCESS", j->outdir);
		if (util_write_file_atomic(p, "", 0) != 0) {
			ok = false;
			why = "cannot write _SUCCESS in the output directory";
		}
		free(p);
	}
	j->exit_code = ok ? MRCLIENT_EXIT_OK : MRCLIENT_EXIT_FAIL;
	if (!ok) {
		snprintf(j->failure, sizeof(j->failure), "%s", why ? why : "stopped");
		remove_outputs(j);
	}
	mrjob_progress(j, true);
	mrjob_report(j);
	/* Leaving for good kills whatever of the job still runs. */
	if (j->subscribed)
		mosaic_sched_teardown(j->s);
	mosaic_sched_stop(j->s);
}

void
mrjob_sync(mrjob *j)
{
	if (j->ended)
		return;
	const char *why = jobstate_failure(j->js);
	if (why) {
		mrjob_end(j, false, why);
		return;
	}
	uint32_t again[256];
	size_t n;
	while ((n = jobstate_take_pending_maps(j->js, again, 256)) > 0)
		for (size_t i = 0; i < n && !j->ended; i++)
			if (!mrjob_add_map(j, again[i]))
				return;
	if (jobstate_maps_done(j->js) && j->t_maps == 0)
		j->t_maps = mosaic_sched_now(j->s);
	if (jobstate_complete(j->js) && worker_busy(j->w) == 0) {
		mrjob_end(j, true, NULL);
		return;
	}
	mrjob_update_offers(j);
	mrjob_progress(j, false);
}

static void
on_subscribed(mosaic_sched *s, void *arg, const char *fw)
{
	mrjob *j = arg;
	snprintf(j->fw_id, sizeof(j->fw_id), "%s", fw);
	j->subscribed = true;
	j->t0 = mosaic_sched_now(s);
	delay_free(j->dp);
	delay_config dc = {.locality_wait = j->cfg->locality_wait, .spread = true};
	delay_new(&j->dp, &dc, j->t0);
	for (uint32_t i = 0; i < j->nmaps && !j->ended; i++)
		if (!mrjob_add_map(j, i))
			return;
	if (!j->cfg->quiet)
		fprintf(stderr, "mapred: job %s: %u maps, %u reduces\n", fw, j->nmaps, j->nreds);
	mrjob_sync(j);
}

static void
on_error(mosaic_sched *s, void *arg, const char *message)
{
	mrjob *j = arg;
	if (!j->subscribed) {
		char why[600];
		snprintf(why, sizeof(why), "the master refused the job: %s", message);
		mrjob_end(j, false, why);
		return;
	}
	fprintf(stderr, "mapred: the master says: %s\n", message);
}

static void
on_signal(mosaic_sched *s, int signo, void *arg)
{
	mrjob_end(arg, false, signo == SIGINT ? "interrupted" : "terminated");
}

static void
on_tick(mosaic_sched *s, void *arg)
{
	mrjob *j = arg;
	if (j->ended)
		return;
	double now = mosaic_sched_now(s);
	double since = j->subscribed ? j->t0 : j->last_progress;
	if (!j->subscribed && !j->told_waiting && now - since > 5 && !j->cfg->quiet) {
		fprintf(stderr, "mapred: no answer from the master at %s yet; still trying\n",
		        mosaic_sched_master(s));
		j->told_waiting = true;
	}
	if (j->cfg->timeout > 0 && now - since > j->cfg->timeout) {
		char why[128];
		snprintf(why, sizeof(why), "timed out after %.0f s (--timeout)", j->cfg->timeout);
		mrjob_end(j, false, why);
		return;
	}
	mrjob_progress(j, false);
	mosaic_sched_timer_add(s, 0.5, on_tick, j);
}

/* OUTPUT must be new or empty, so no stale part is mistaken for ours. */
static int
prepare_output(mrjob *j)
{
	snprintf(j->outdir, sizeof(j->outdir), "%s", j->cfg->output);
	DIR *d = opendir(j->outdir);
	if (d) {
		struct dirent *de;
		bool empty = true;
		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				empty = false;
		closedir(d);
		if (!empty) {
			fprintf(stderr, "mapred: the output directory %s exists and is not empty\n",
			        j->outdir);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT || util_mkdir_p(j->outdir) != 0) {
		fprintf(stderr, "mapred: cannot use %s as the output directory: %s\n", j->outdir,
		        strerror(errno));
		return -1;
	}
	j->outdir_made = true;
	return 0;
}

static int
load_inputs(mrjob *j)
{
	catalog *cat = mrclient_open(j->c);
	if (!cat)
		return -1;
	j->files = xcalloc(j->cfg->ninputs, sizeof(catalog_file));
	int rv = 0;
	for (size_t i = 0; i < j->cfg->ninputs && !rv; i++) {
		int e = catalog_file_get(cat, j->cfg->inputs[i], &j->files[i]);
		if (e == MOSAIC_ENOENT)
			fprintf(stderr, "mapred: no stored file '%s' (mapred put it first; see mapred ls)\n",
			        j->cfg->inputs[i]);
		else if (e)
			fprintf(stderr, "mapred: catalog: %s\n", catalog_errmsg(cat));
		else
			j->nfiles++;
		rv = e ? -1 : 0;
	}
	catalog_close(cat);
	for (size_t f = 0; f < j->nfiles; f++)
		j->nmaps += (uint32_t)j->files[f].nblocks;
	j->maps = xcalloc(j->nmaps ? j->nmaps : 1, sizeof(mrjob_map));
	uint32_t m = 0;
	for (size_t f = 0; f < j->nfiles; f++)
		for (size_t b = 0; b < j->files[f].nblocks; b++, m++)
			j->maps[m] = (mrjob_map){
			    .file = &j->files[f], .block = (uint32_t)b, .b = &j->files[f].blocks[b]};
	return rv;
}

static char *
framework_name(const mrjob_config *cfg)
{
	char name[120];
	size_t n = (size_t)snprintf(name, sizeof(name), "mapred %s",
	                            cfg->kind == MRJOB_WORDCOUNT ? "wordcount" : "stream");
	for (size_t i = 0; i < cfg->ninputs && n < sizeof(name) - 8; i++)
		n += (size_t)snprintf(name + n, sizeof(name) - n, " %s", cfg->inputs[i]);
	return xstrdup(name);
}

int
mrjob_run(const mrclient *c, const mrjob_config *cfg)
{
	mrjob j = {.c = c, .cfg = cfg, .exit_code = MRCLIENT_EXIT_FAIL, .nreds = cfg->reducers};
	if (access(c->task_program, X_OK) != 0) {
		fprintf(stderr, "mapred: the task program %s is missing (MAPRED_TASK_PROGRAM)\n",
		        c->task_program);
		return MRCLIENT_EXIT_FAIL;
	}
	int rv = load_inputs(&j);
	if (!rv && j.nmaps == 0) {
		fprintf(stderr, "mapred: the inputs are empty: nothing to do\n");
		rv = -1;
	}
	if (!rv)
		mrjob_probe_replicas(&j);
	if (!rv && j.failure[0]) {
		fprintf(stderr, "mapred: %s\n", j.failure);
		rv = -1;
	}
	if (!rv)
		rv = prepare_output(&j);
	char *name = framework_name(cfg);
	mosaic_sched_callbacks cb = {.subscribed = on_subscribed,
	                             .offers = mrjob_on_offers,
	                             .status = mrjob_on_status,
	                             .agent_lost = mrjob_on_agent_lost,
	                             .error = on_error};
	mosaic_sched_config sc = {.framework = {.name = name, .role = c->role},
	                          .callbacks = &cb,
	                          .arg = &j,
	                          .master = c->master[0] ? c->master : NULL};
	char err[512];
	if (!rv && mosaic_sched_new(&j.s, &sc, err, sizeof(err)) != 0) {
		fprintf(stderr, "mapred: %s\n", err);
		rv = -1;
	}
	if (!rv) {
		mosaic_sched_signal_add(j.s, SIGINT, on_signal, &j);
		mosaic_sched_signal_add(j.s, SIGTERM, on_signal, &j);
		jobstate_new(&j.js, j.nmaps, j.nreds, cfg->max_attempts);
		j.reds = xcalloc(j.nreds, sizeof(mrjob_reduce));
		if (worker_new(&j.w, j.s, WORKER_THREADS) != 0) {
			fprintf(stderr, "mapred: cannot start worker threads\n");
			rv = -1;
		}
	}
	if (!rv) {
		j.last_progress = mosaic_sched_now(j.s);
		mosaic_sched_timer_add(j.s, 0.5, on_tick, &j);
		if (mosaic_sched_run(j.s) != 0) {
			fprintf(stderr, "mapred: %s\n", mosaic_sched_last_error(j.s));
			remove_outputs(&j);
		}
		worker_free(j.w);
	}
	mosaic_sched_free(j.s);
	free(name);
	delay_free(j.dp);
	jobstate_free(j.js);
	free(j.reds);
	free(j.maps);
	free(j.agents);
	for (size_t f = 0; f < j.nfiles; f++)
		catalog_file_fini(&j.files[f]);
	free(j.files);
	return rv ? MRCLIENT_EXIT_FAIL : j.exit_code;
}
