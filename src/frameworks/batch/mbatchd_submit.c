/* mbatchd_submit.c - `mbatch submit`: a job is checked whole (its options,
 * the queue's room, its dependencies, whether any agent could ever hold
 * it) before anything is stored; then it gets its ids and is written with
 * the round, and only after that commit does the submitter hear its id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "mbatchd_impl.h"

/* Every job a dependency names must exist (Slurm: "Job dependency
 * problem"); a task index must be one of its array's. */
static bool
dependencies_known(mbatchd *d, const bsub *sub, char *err, size_t errlen)
{
	const depspec *dep = &sub->spec.dependency;
	for (size_t i = 0; i < dep->count; i++) {
		const depspec_term *t = &dep->terms[i];
		if (t->type == DEPSPEC_SINGLETON)
			continue;
		bjob *j = jobs_find(d, t->job_id);
		if (!j) {
			snprintf(err, errlen, "dependency on job %u: no such job%s", t->job_id,
			         t->job_id >= d->next_id ? ""
			                                 : " (finished and forgotten, or never submitted)");
			return false;
		}
		if (t->array_index == DEPSPEC_WHOLE_JOB)
			continue;
		if (!jobs_is_array(j->sub) || j->sub->id != t->job_id) {
			snprintf(err, errlen, "dependency on %u_%u: job %u is not a job array", t->job_id,
			         t->array_index, t->job_id);
			return false;
		}
		if (!jobs_find_task(d, j->sub, t->array_index)) {
			snprintf(err, errlen, "dependency on %u_%u: array %u has no task %u", t->job_id,
			         t->array_index, t->job_id, t->array_index);
			return false;
		}
	}
	return true;
}

static void
refuse(mbatchd *d, const char *from, uint64_t request_id, const char *why)
{
	Mbatch__SubmitReply rep = MBATCH__SUBMIT_REPLY__INIT;
	rep.request_id = request_id;
	rep.error = (char *)why;
	mbatchd_reply(d, from, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_SUBMIT_REPLY, &rep.base);
}

void
submit_handle(mbatchd *d, const char *from, const Mbatch__Submit *req)
{
	char err[2048];
	if (!d->cfg.any_user && strcmp(req->user, d->own_user) != 0) {
		snprintf(
		    err, sizeof(err),
		    "mbatchd runs jobs as %s and does not take jobs from %s (start it with --any-user to "
		    "trust the user names clients send)",
		    d->own_user, req->user);
		refuse(d, from, req->request_id, err);
		return;
	}
	if (req->has_script && req->script.len > MBATCHD_MAX_SCRIPT) {
		snprintf(err, sizeof(err),
		         "%s: the script is %zu bytes; mbatchd takes scripts of at most %u bytes",
		         req->script_name ? req->script_name : "script", req->script.len, MBATCHD_MAX_SCRIPT);
		refuse(d, from, req->request_id, err);
		return;
	}
	if (req->cwd[0] != '/') {
		refuse(d, from, req->request_id, "the submit directory must be an absolute path");
		return;
	}
	jobstore_sub rec = {
	    .submit_time = mosaic_sched_wall_now(),
	    .script = req->has_script ? (const char *)req->script.data : NULL,
	    .script_len = req->has_script ? req->script.len : 0,
	    .script_name = req->script_name,
	    .options = (const char *const *)req->options,
	    .noptions = req->n_options,
	    .args = (const char *const *)req->script_args,
	    .nargs = req->n_script_args,
	    .env = (const char *const *)req->env,
	    .nenv = req->n_env,
	    .cwd = req->cwd,
	    .user = req->user,
	    .submit_host = req->submit_host,
	};
	if (rec.script && memchr(rec.script, '\0', rec.script_len)) {
		refuse(d, from, req->request_id, "the script contains a NUL byte");
		return;
	}
	bsub *sub = jobs_sub_new(d, &rec, err, sizeof(err));
	if (!sub) {
		refuse(d, from, req->request_id, err);
		return;
	}
	uint32_t count = jobs_is_array(sub) ? (uint32_t)sub->spec.array.count : 1;
	bool ok = true;
	if ((uint64_t)d->nlive + count > d->cfg.max_jobs) {
		snprintf(
		    err, sizeof(err),
		    "the queue is full: %zu jobs are pending or running and this submission adds %u; the "
		    "limit is %u (mbatchd --max-jobs)",
		    d->nlive, count, d->cfg.max_jobs);
		ok = false;
	} else if ((uint64_t)d->next_id + count >= UINT32_MAX) {
		snprintf(err, sizeof(err), "job ids are exhausted");
		ok = false;
	} else if (!dependencies_known(d, sub, err, sizeof(err))) {
		ok = false;
	} else if (sched_fits_ever(d, sub, err, sizeof(err)) == 0) {
		ok = false;
	}
	if (!ok) {
		jobs_sub_free(sub);
		refuse(d, from, req->request_id, err);
		return;
	}
	sub->id = d->next_id;
	sub->count = count;
	d->next_id += count;
	d->meta_dirty = true;
	jobs_mark_sub(d, sub);
	for (uint32_t k = 0; k < count; k++) {
		bjob *j = jobs_new(d, sub, sub->id + k,
		                   jobs_is_array(sub) ? sub->spec.array.ids[k] : MBATCHD_NO_INDEX);
		j->held = sub->spec.hold;
		j->reason = "None";
		jobs_set_state(d, j, JOBSTATE_PENDING);
		/* Its reason right away (Held, BeginTime, Dependency): rounds
		 * only look at jobs while offers are there. */
		sched_eligible(d, j, (int64_t)mosaic_sched_wall_now());
	}
	d->stats.submitted += count;
	Mbatch__SubmitReply rep = MBATCH__SUBMIT_REPLY__INIT;
	rep.request_id = req->request_id;
	rep.has_job_id = 1;
	rep.job_id = sub->id;
	rep.has_count = 1;
	rep.count = count;
	rep.n_warnings = sub->spec.nwarnings;
	rep.warnings = sub->spec.warnings;
	mbatchd_reply(d, from, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_SUBMIT_REPLY, &rep.base);
	LOGD("job %u submitted by %s (%u job%s)", sub->id, sub->user, count, count == 1 ? "" : "s");
	/* A held job asks for no offers: its release will. */
	if (!sub->spec.hold)
		sched_wake(d);
}
