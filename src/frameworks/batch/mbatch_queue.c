/* mbatch_queue.c - `mbatch queue` (as squeue: pending and running jobs,
 * pending array tasks folded into one line "12_[4-9]") and `mbatch history`
 * (as sacct: jobs that ran or ended since a time, with their exit codes). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arrayspec.h"
#include "errors.h"
#include "jobstate.h"
#include "mbatch_cli.h"
#include "mem.h"
#include "slurm_time.h"

typedef struct filters {
	char **targets;
	size_t ntargets;
	uint32_t states[JOBSTATE_COUNT];
	size_t nstates;
	const char *user, *name;
	bool json;
	bool noheader;
	bool since_given;
	double since;
} filters;

static void
add_targets(filters *f, const char *list)
{
	char *copy = xstrdup(list), *save = NULL;
	/* "12_[1-3,5]" holds commas of its own: split only outside brackets. */
	int depth = 0;
	for (char *p = copy; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (*p == ',' && depth > 0)
			*p = '\x01';
	}
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		for (char *p = t; *p; p++)
			if (*p == '\x01')
				*p = ',';
		f->targets = xrealloc(f->targets, (f->ntargets + 1) * sizeof(char *));
		f->targets[f->ntargets++] = xstrdup(t);
	}
	free(copy);
}

static int
add_states(filters *f, const char *list, const char *cmd)
{
	char *copy = xstrdup(list), *save = NULL;
	int rv = 0;
	for (char *t = strtok_r(copy, ",", &save); t && rv == 0; t = strtok_r(NULL, ",", &save)) {
		jobstate s = jobstate_parse(t);
		if (s == JOBSTATE_UNKNOWN)
			rv = mbatch_fail(
			    cmd, MBATCH_EXIT_USAGE,
			    "unknown state '%s' (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, "
			    "NODE_FAIL, OUT_OF_MEMORY, or PD, R, CD, F, CA, TO, NF, OOM)",
			    t);
		else if (f->nstates < JOBSTATE_COUNT)
			f->states[f->nstates++] = (uint32_t)s;
	}
	free(copy);
	return rv;
}

static void
filters_fini(filters *f)
{
	for (size_t i = 0; i < f->ntargets; i++)
		free(f->targets[i]);
	free(f->targets);
}

static int
parse(int argc, char **argv, filters *f, bool history, const char *cmd)
{
	static const struct option longs[] = {
	    {"jobs", required_argument, NULL, 'j'},
	    {"user", required_argument, NULL, 'u'},
	    {"name", required_argument, NULL, 'n'},
	    {"states", required_argument, NULL, 't'},
	    {"state", required_argument, NULL, 's'},
	    {"since", required_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'J'},
	    {"noheader", no_argument, NULL, 'N'},
	    {"help", no_argument, NULL, 'H'},
	    {NULL, 0, NULL, 0},
	};
	memset(f, 0, sizeof(*f));
	optind = 1;
	opterr = 0;
	int c;
	/* As squeue, `queue -h` is --noheader; as sacct, `history -h` is --help. */
	while ((c = getopt_long(argc, argv, "j:u:n:t:s:S:h", longs, NULL)) != -1) {
		if (c == 'h')
			c = history ? 'H' : 'N';
		int rv = 0;
		char err[256];
		int64_t when;
		switch (c) {
		case 'j': add_targets(f, optarg); break;
		case 'u': f->user = optarg; break;
		case 'n': f->name = optarg; break;
		case 't':
		case 's': rv = add_states(f, optarg, cmd); break;
		case 'S':
			if (slurm_time_parse_begin(optarg, (int64_t)time(NULL), &when, err, sizeof(err)) != 0)
				return mbatch_fail(cmd, MBATCH_EXIT_USAGE, "--since '%s': %s", optarg, err);
			f->since = (double)when;
			f->since_given = true;
			break;
		case 'J': f->json = true; break;
		case 'N': f->noheader = true; break;
		case 'H':
			printf("usage: mbatch %s [-j JOBS] [-u USER] [-n NAME] [-t STATES]%s [--noheader] "
			       "[--json]\n\n",
			       cmd, history ? " [-S SINCE]" : "");
			printf(
			    history
			        ? "Jobs that ran, run or wait since SINCE (default: today 00:00), as sacct.\n"
			          "  -S, --since TIME   2026-11-22, 2026-11-22T10:00, now-2hours, today, "
			          "...\n"
			        : "Pending and running jobs, as squeue.\n");
			printf("  -j, --jobs LIST    12,13_2,14_[1-3]\n"
			       "  -u, --user USER    -n, --name NAME\n"
			       "  -t, --state(s) LIST  PENDING,RUNNING,... or PD,R,...\n"
			       "  %s  no header line\n"
			       "  --json             one JSON array of jobs\n",
			       history ? "--noheader       " : "-h, --noheader   ");
			return -1;
		default:
			return mbatch_fail(cmd, MBATCH_EXIT_USAGE,
			                   "unknown option '%s' (see mbatch %s --help)", argv[optind - 1],
			                   cmd);
		}
		if (rv)
			return rv;
	}
	for (int i = optind; i < argc; i++)
		add_targets(f, argv[i]); /* `mbatch queue 12 13` as `-j 12,13` */
	return 0;
}

static int
fetch(const char *address, filters *f, bool history, mbatch_jobs *jobs, const char *cmd)
{
	mbatch_client *c;
	int rv = mbatch_connect(&c, address, cmd);
	if (rv)
		return rv;
	Mbatch__List req = MBATCH__LIST__INIT;
	req.n_targets = f->ntargets;
	req.targets = f->targets;
	req.n_states = f->nstates;
	req.states = f->states;
	req.user = (char *)f->user;
	req.name = (char *)f->name;
	req.has_live = req.has_finished = 1;
	req.live = true;
	req.finished = history;
	if (history) {
		req.has_since = 1;
		req.since = f->since;
	}
	char err[1024];
	rv = mbatch_jobs_fetch(c, &req, jobs, err, sizeof(err));
	mbatch_client_close(c);
	if (rv)
		return mbatch_fail(cmd, MBATCH_EXIT_FAIL, "%s", err);
	return 0;
}

static void
print_json(const mbatch_jobs *jobs)
{
	json_writer w;
	json_init(&w);
	json_array_begin(&w);
	for (size_t i = 0; i < jobs->n; i++)
		mbatch_job_json(&w, jobs->v[i], false);
	json_array_end(&w);
	char *s = json_take(&w);
	puts(s);
	free(s);
}

/* ---- queue ---- */

static void
queue_line(const Mbatch__Job *j, const char *id, double now)
{
	char elapsed[SLURM_TIME_BUFLEN], where[300], name[9];
	slurm_time_format_elapsed(mbatch_elapsed(j, now), elapsed, sizeof(elapsed));
	if (j->state == JOBSTATE_PENDING)
		snprintf(where, sizeof(where), "(%s)", j->reason ? j->reason : "None");
	else
		snprintf(where, sizeof(where), "%s", j->hostname ? j->hostname : "");
	snprintf(name, sizeof(name), "%s", j->name);
	printf("%18s %8s %8.8s %2s %10s %6d %s\n", id, name, j->user, mbatch_state(j, true), elapsed, 1,
	       where);
}

/* Pending tasks of one array with one reason, folded as squeue does. */
static size_t
fold(const mbatch_jobs *jobs, size_t i, char *buf, size_t len)
{
	const Mbatch__Job *j = jobs->v[i];
	size_t n = 0, cap = 16;
	uint32_t *ids = xmalloc(cap * sizeof(*ids));
	size_t k = i;
	for (; k < jobs->n; k++) {
		const Mbatch__Job *t = jobs->v[k];
		if (!t->has_array_index || t->array_job_id != j->array_job_id ||
		    t->state != JOBSTATE_PENDING ||
		    strcmp(t->reason ? t->reason : "", j->reason ? j->reason : "") != 0)
			break;
		if (n == cap)
			ids = xrealloc(ids, (cap *= 2) * sizeof(*ids));
		ids[n++] = t->array_index;
	}
	char *list = arrayspec_format_ids(ids, n);
	if (n == 1)
		snprintf(buf, len, "%u_%s", j->array_job_id, list);
	else
		snprintf(buf, len, "%u_[%s]", j->array_job_id, list);
	free(list);
	free(ids);
	return k - i;
}

int
mbatch_queue_main(const char *address, int argc, char **argv)
{
	filters f;
	int rv = parse(argc, argv, &f, false, "queue");
	mbatch_jobs jobs = {0};
	if (rv == 0)
		rv = fetch(address, &f, false, &jobs, "queue");
	if (rv != 0) {
		filters_fini(&f);
		return rv < 0 ? 0 : rv;
	}
	if (f.json) {
		print_json(&jobs);
	} else {
		double now = (double)time(NULL);
		if (!f.noheader)
			printf("%18s %8s %8s %2s %10s %6s %s\n", "JOBID", "NAME", "USER", "ST", "TIME",
			       "NODES", "NODELIST(REASON)");
		for (size_t i = 0; i < jobs.n;) {
			const Mbatch__Job *j = jobs.v[i];
			char id[64];
			size_t step = 1;
			if (j->has_array_index && j->state == JOBSTATE_PENDING)
				step = fold(&jobs, i, id, sizeof(id));
			else
				mbatch_job_name(j, id, sizeof(id));
			queue_line(j, id, now);
			i += step;
		}
	}
	mbatch_jobs_fini(&jobs);
	filters_fini(&f);
	return MBATCH_EXIT_OK;
}

/* ---- history ---- */

int
mbatch_history_main(const char *address, int argc, char **argv)
{
	filters f;
	int rv = parse(argc, argv, &f, true, "history");
	if (rv == 0 && !f.since_given) {
		/* sacct's default: since midnight. */
		int64_t when;
		if (slurm_time_parse_begin("today", (int64_t)time(NULL), &when, NULL, 0) == 0)
			f.since = (double)when;
	}
	mbatch_jobs jobs = {0};
	if (rv == 0)
		rv = fetch(address, &f, true, &jobs, "history");
	if (rv != 0) {
		filters_fini(&f);
		return rv < 0 ? 0 : rv;
	}
	if (f.json) {
		print_json(&jobs);
	} else {
		double now = (double)time(NULL);
		if (!f.noheader) {
			printf("%-12s %-10s %-9s %9s %-10s %8s %10s %s\n", "JobID", "JobName", "User",
			       "AllocCPUS", "State", "ExitCode", "Elapsed", "NodeList");
			printf("------------ ---------- --------- --------- ---------- -------- ---------- "
			       "--------\n");
		}
		for (size_t i = 0; i < jobs.n; i++) {
			const Mbatch__Job *j = jobs.v[i];
			char id[64], ex[32], el[SLURM_TIME_BUFLEN];
			int64_t e = mbatch_elapsed(j, now);
			snprintf(el, sizeof(el), "%02lld:%02lld:%02lld", (long long)(e / 3600),
			         (long long)(e / 60 % 60), (long long)(e % 60));
			printf("%-12s %-10.10s %-9.9s %9.0f %-10s %8s %10s %s\n",
			       mbatch_job_name(j, id, sizeof(id)), j->name, j->user, j->cpus,
			       mbatch_state(j, false), mbatch_exit(j, ex, sizeof(ex)), el,
			       j->hostname ? j->hostname : "None assigned");
		}
	}
	mbatch_jobs_fini(&jobs);
	filters_fini(&f);
	return MBATCH_EXIT_OK;
}
