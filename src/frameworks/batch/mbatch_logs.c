/* mbatch_logs.c - `mbatch logs N [-f] [--err]`: a job's output, fetched from
 * its agent's file server (GET /files/<framework>/<task>/stdout: the
 * sandbox's stdout, which links to the job's -o file). When the agent is
 * gone, the output file itself is read if this machine sees it. -f follows
 * the output until the job ends. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "jobstate.h"
#include "mbatch_cli.h"
#include "mbatch_http.h"
#include "mem.h"
#include "strbuf.h"

#define PAGE (4u << 20) /* the file server's most per request */
#define HTTP_TIMEOUT 10.0
#define FOLLOW_POLL_US 300000 /* between reads while following */
#define AGENT_SILENT_MAX 30.0 /* give up following an agent that stopped answering */

typedef struct logsrc {
	mbatch_client *c;
	const char *target;
	bool err_stream;
	mbatch_jobs jobs;
	const Mbatch__Job *job;
} logsrc;

static int
refresh(logsrc *ls, char *err, size_t errlen)
{
	mbatch_jobs_fini(&ls->jobs);
	ls->job = NULL;
	Mbatch__List req = MBATCH__LIST__INIT;
	char *t = (char *)ls->target;
	req.n_targets = 1;
	req.targets = &t;
	req.has_live = req.has_finished = 1;
	req.live = req.finished = true;
	int rv = mbatch_jobs_fetch(ls->c, &req, &ls->jobs, err, errlen);
	if (rv)
		return rv;
	if (ls->jobs.n == 0) {
		snprintf(err, errlen, "no job %s", ls->target);
		return MOSAIC_ENOENT;
	}
	if (ls->jobs.n > 1) {
		snprintf(err, errlen, "%s names %zu jobs (an array): name one task, e.g. %u_%u", ls->target,
		         ls->jobs.n, ls->jobs.v[0]->array_job_id, ls->jobs.v[0]->array_index);
		return MOSAIC_EINVAL;
	}
	ls->job = ls->jobs.v[0];
	return MOSAIC_OK;
}

/* Bytes from offset on: from the agent, else from the file itself. *n is
 * what was read; MOSAIC_ENOENT when neither has it. */
static int
read_from(logsrc *ls, long long offset, char **data, size_t *n, char *err, size_t errlen)
{
	const Mbatch__Job *j = ls->job;
	const char *stream = ls->err_stream ? "stderr" : "stdout";
	*data = NULL;
	*n = 0;
	int rv = MOSAIC_ENOENT;
	if (j->agent_http && j->framework_id && j->task_id) {
		char path[512];
		snprintf(path, sizeof(path), "/files/%s/%s/%s?offset=%lld&length=%u", j->framework_id,
		         j->task_id, stream, offset, PAGE);
		mbatch_http_response r;
		rv = mbatch_http_get(j->agent_http, path, HTTP_TIMEOUT, PAGE, &r, err, errlen);
		if (rv == 0 && r.status == 200) {
			*data = r.body;
			*n = r.len;
			return MOSAIC_OK;
		}
		if (rv == 0) {
			snprintf(err, errlen, "%s answered %d for the %s of %s", j->agent_http, r.status,
			         stream, j->task_id);
			rv = r.status == 404 ? MOSAIC_ENOENT : MOSAIC_EIO;
			mbatch_http_response_fini(&r);
		}
	}
	/* The agent is gone (or never served it): the file, where it lies. */
	const char *p = ls->err_stream ? j->stderr_path : j->stdout_path;
	char file[4200];
	if (!p)
		return rv;
	mbatch_path(j, p, file, sizeof(file));
	FILE *f = fopen(file, "rb");
	if (!f)
		return rv;
	if (fseeko(f, offset, SEEK_SET) == 0) {
		char *buf = xmalloc(PAGE + 1);
		*n = fread(buf, 1, PAGE, f);
		buf[*n] = '\0';
		*data = buf;
		rv = MOSAIC_OK;
	}
	fclose(f);
	return rv;
}

int
mbatch_logs_main(const char *address, int argc, char **argv)
{
	static const struct option longs[] = {{"follow", no_argument, NULL, 'f'},
	                                      {"err", no_argument, NULL, 'e'},
	                                      {"json", no_argument, NULL, 'J'},
	                                      {"help", no_argument, NULL, 'h'},
	                                      {NULL, 0, NULL, 0}};
	bool follow = false, json = false;
	logsrc ls = {0};
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "feh", longs, NULL)) != -1) {
		switch (c) {
		case 'f': follow = true; break;
		case 'e': ls.err_stream = true; break;
		case 'J': json = true; break;
		case 'h':
			printf("usage: mbatch logs JOB [-f] [--err] [--json]\n\n"
			       "A job's output (stdout, or stderr with --err), from its agent's sandbox.\n"
			       "  -f, --follow   keep printing what it writes until it ends\n");
			return MBATCH_EXIT_OK;
		default:
			return mbatch_fail("logs", MBATCH_EXIT_USAGE, "unknown option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return mbatch_fail("logs", MBATCH_EXIT_USAGE, "name one job (mbatch logs 12)");
	if (json && follow)
		return mbatch_fail("logs", MBATCH_EXIT_USAGE, "--json and --follow do not go together");
	ls.target = argv[optind];
	int rv = mbatch_connect(&ls.c, address, "logs");
	if (rv)
		return rv;
	char err[1024];
	if ((rv = refresh(&ls, err, sizeof(err))) != 0) {
		mbatch_client_close(ls.c);
		return mbatch_fail("logs", MBATCH_EXIT_FAIL, "%s", err);
	}
	if (!ls.job->task_id) {
		rv = mbatch_fail("logs", MBATCH_EXIT_FAIL, "job %s has not started (%s, %s)", ls.target,
		                 mbatch_state(ls.job, false), ls.job->reason ? ls.job->reason : "no reason");
		mbatch_jobs_fini(&ls.jobs);
		mbatch_client_close(ls.c);
		return rv;
	}
	long long offset = 0;
	double silent = 0;
	int status = MBATCH_EXIT_OK;
	strbuf all;
	strbuf_init(&all);
	for (int round = 0;; round++) {
		char *data;
		size_t n;
		rv = read_from(&ls, offset, &data, &n, err, sizeof(err));
		if (rv == 0) {
			silent = 0;
			if (json) {
				strbuf_append(&all, data, n);
			} else {
				fwrite(data, 1, n, stdout);
				fflush(stdout);
			}
			offset += (long long)n;
			free(data);
			if (n == PAGE)
				continue;
		}
		bool ended = jobstate_is_terminal((jobstate)ls.job->state);
		if (!follow || (ended && rv == 0)) {
			if (rv != 0 && !(follow && ended))
				status = mbatch_fail("logs", MBATCH_EXIT_FAIL, "%s", err);
			break;
		}
		if (rv != 0) {
			silent += FOLLOW_POLL_US / 1e6;
			if (silent > AGENT_SILENT_MAX || (ended && silent > 2)) {
				status = mbatch_fail("logs", MBATCH_EXIT_FAIL, "%s", err);
				break;
			}
		}
		usleep(FOLLOW_POLL_US);
		if (round % 3 == 2 && refresh(&ls, err, sizeof(err)) != 0) {
			status = mbatch_fail("logs", MBATCH_EXIT_FAIL, "%s", err);
			break;
		}
	}
	if (json && status == MBATCH_EXIT_OK) {
		json_writer o;
		json_init(&o);
		json_object_begin(&o);
		char name[64];
		json_kv_string(&o, "job_id", mbatch_job_name(ls.job, name, sizeof(name)));
		json_kv_string(&o, "stream", ls.err_stream ? "stderr" : "stdout");
		json_kv_string(&o, "task_id", ls.job->task_id);
		json_kv_string(&o, "node", ls.job->hostname);
		json_kv_string(&o, "data", all.buf);
		json_object_end(&o);
		char *js = json_take(&o);
		puts(js);
		free(js);
	}
	strbuf_fini(&all);
	mbatch_jobs_fini(&ls.jobs);
	mbatch_client_close(ls.c);
	return status;
}
