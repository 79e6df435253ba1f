/* mbatch_print.c - fetching and showing jobs, shared by the commands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "jobref.h"
#include "jobstate.h"
#include "mbatch_cli.h"
#include "mem.h"
#include "slurm_time.h"

int
mbatch_fail(const char *cmd, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "mbatch %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return code;
}

double
mbatch_call_timeout(void)
{
	const char *v = getenv("MBATCH_TIMEOUT");
	char *end;
	double t = v && *v ? strtod(v, &end) : 0;
	return v && *v && *end == '\0' && t > 0 && t < 3600 ? t : 30.0;
}

int
mbatch_connect(mbatch_client **c, const char *address, const char *cmd)
{
	char err[1024];
	if (mbatch_client_open(c, address, err, sizeof(err)) != 0)
		return mbatch_fail(cmd, MBATCH_EXIT_FAIL, "%s", err);
	return MBATCH_EXIT_OK;
}

int
mbatch_jobs_fetch(mbatch_client *c, Mbatch__List *req, mbatch_jobs *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	uint32_t offset = 0;
	for (;;) {
		req->request_id = mbatch_client_next_id(c);
		req->has_offset = 1;
		req->offset = offset;
		ProtobufCMessage *m;
		int rv = mbatch_client_call(c, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_LIST, &req->base,
		                            req->request_id, &mbatch__list_reply__descriptor,
		                            MBATCH_CALL_TIMEOUT, &m, err, errlen);
		if (rv != 0) {
			mbatch_jobs_fini(out);
			return rv;
		}
		Mbatch__ListReply *rep = (Mbatch__ListReply *)m;
		out->pages = xrealloc(out->pages, (out->npages + 1) * sizeof(*out->pages));
		out->pages[out->npages++] = rep;
		if (rep->error) {
			snprintf(err, errlen, "%s", rep->error);
			mbatch_jobs_fini(out);
			return MOSAIC_EINVAL;
		}
		out->v = xrealloc(out->v, (out->n + rep->n_jobs + 1) * sizeof(*out->v));
		for (size_t i = 0; i < rep->n_jobs; i++)
			out->v[out->n++] = rep->jobs[i];
		offset += (uint32_t)rep->n_jobs;
		if (!rep->more || rep->n_jobs == 0)
			return MOSAIC_OK;
	}
}

void
mbatch_jobs_fini(mbatch_jobs *jobs)
{
	for (size_t i = 0; i < jobs->npages; i++)
		protobuf_c_message_free_unpacked(&jobs->pages[i]->base, NULL);
	free(jobs->pages);
	free(jobs->v);
	memset(jobs, 0, sizeof(*jobs));
}

char *
mbatch_job_name(const Mbatch__Job *j, char *buf, size_t len)
{
	char tmp[JOBREF_BUFLEN];
	jobref_format(tmp, j->id, j->has_array_index, j->array_job_id, j->array_index);
	snprintf(buf, len, "%s", tmp);
	return buf;
}

char *
mbatch_time(double t, char *buf, size_t len)
{
	if (t <= 0) {
		snprintf(buf, len, "Unknown");
		return buf;
	}
	time_t s = (time_t)t;
	struct tm tm;
	localtime_r(&s, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	return buf;
}

int64_t
mbatch_elapsed(const Mbatch__Job *j, double now)
{
	if (!j->has_start_time || j->start_time <= 0)
		return 0;
	double end = j->has_end_time && j->end_time > 0 ? j->end_time : now;
	return end > j->start_time ? (int64_t)(end - j->start_time) : 0;
}

char *
mbatch_exit(const Mbatch__Job *j, char *buf, size_t len)
{
	return jobref_exit_format(buf, len, j->has_exit_code, j->exit_code, j->term_signal);
}

const char *
mbatch_state(const Mbatch__Job *j, bool code)
{
	return code ? jobstate_code((jobstate)j->state) : jobstate_name((jobstate)j->state);
}

char *
mbatch_path(const Mbatch__Job *j, const char *path, char *buf, size_t len)
{
	if (!path)
		snprintf(buf, len, "(none)");
	else if (path[0] == '/' || !j->workdir)
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "%s/%s", j->workdir, path);
	return buf;
}

int
mbatch_exit_status(const Mbatch__Job *j)
{
	switch ((jobstate)j->state) {
	case JOBSTATE_COMPLETED: return 0;
	case JOBSTATE_FAILED:
		if (j->has_exit_code && j->exit_code > 0)
			return j->exit_code > 255 ? 255 : j->exit_code;
		if (j->term_signal > 0)
			return 128 + j->term_signal;
		return 1;
	default: return 1;
	}
}

void
mbatch_job_json(json_writer *w, const Mbatch__Job *j, bool detail)
{
	char buf[64];
	json_object_begin(w);
	json_kv_string(w, "job_id", mbatch_job_name(j, buf, sizeof(buf)));
	json_kv_int(w, "id", j->id);
	if (j->has_array_index) {
		json_kv_int(w, "array_job_id", j->array_job_id);
		json_kv_int(w, "array_task_id", j->array_index);
		json_kv_string(w, "array", j->array_spec);
	}
	json_kv_string(w, "name", j->name);
	json_kv_string(w, "user", j->user);
	json_kv_string(w, "state", mbatch_state(j, false));
	json_kv_string(w, "reason", j->reason);
	json_kv_int(w, "priority", j->priority);
	json_kv_number(w, "submit_time", j->submit_time);
	json_kv_number(w, "begin_time", j->has_begin_time ? j->begin_time : 0);
	json_kv_number(w, "start_time", j->has_start_time ? j->start_time : 0);
	json_kv_number(w, "end_time", j->has_end_time ? j->end_time : 0);
	json_kv_int(w, "elapsed", mbatch_elapsed(j, (double)time(NULL)));
	json_kv_int(w, "time_limit", j->time_limit);
	json_kv_number(w, "cpus", j->cpus);
	json_kv_number(w, "mem_mb", j->mem_mb);
	json_kv_int(w, "gpus", j->gpus);
	json_kv_int(w, "ntasks", j->ntasks);
	json_kv_int(w, "cpus_per_task", j->cpus_per_task);
	json_kv_string(w, "node", j->hostname);
	json_kv_string(w, "agent_id", j->agent_id);
	json_kv_string(w, "agent_http", j->agent_http);
	json_kv_string(w, "task_id", j->task_id);
	json_kv_string(w, "framework_id", j->framework_id);
	if (j->has_exit_code)
		json_kv_int(w, "exit_code", j->exit_code);
	else
		json_kv_string(w, "exit_code", NULL);
	json_kv_int(w, "signal", j->term_signal);
	json_kv_string(w, "exit", mbatch_exit(j, buf, sizeof(buf)));
	json_kv_string(w, "cpus_bound", j->cpus_bound);
	json_kv_string(w, "numa_bound", j->numa_bound);
	json_kv_int(w, "pid", j->has_pid ? j->pid : 0);
	json_kv_string(w, "sandbox", j->sandbox);
	json_kv_string(w, "workdir", j->workdir);
	json_kv_string(w, "stdout", j->stdout_path);
	json_kv_string(w, "stderr", j->stderr_path);
	json_kv_string(w, "dependency", j->dependency);
	json_kv_bool(w, "held", j->held);
	json_kv_bool(w, "requeue", j->requeue);
	json_kv_int(w, "restarts", j->restarts);
	json_kv_bool(w, "exclusive", j->exclusive);
	json_kv_string(w, "binding", j->layout);
	json_kv_string(w, "message", j->message);
	json_kv_string(w, "script_name", j->script_name);
	json_kv_string(w, "submit_host", j->submit_host);
	if (detail) {
		char *script = xstrndup(j->has_script ? (const char *)j->script.data : "", j->script.len);
		json_kv_string(w, "script", script);
		free(script);
		json_key(w, "options");
		json_array_begin(w);
		for (size_t i = 0; i < j->n_options; i++)
			json_string(w, j->options[i]);
		json_array_end(w);
		json_key(w, "script_args");
		json_array_begin(w);
		for (size_t i = 0; i < j->n_script_args; i++)
			json_string(w, j->script_args[i]);
		json_array_end(w);
	}
	json_object_end(w);
}
