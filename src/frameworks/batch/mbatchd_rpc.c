/* mbatchd_rpc.c - the requests of the `mbatch` CLI: one dispatch table,
 * and the handlers other than Submit (mbatchd_submit.c). Every reply
 * leaves after the round's commit, so what a reply says is on disk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "jobref.h"
#include "log.h"
#include "mbatchd_impl.h"
#include "pbmem.h"

#define WAIT_MAX 300.0 /* seconds a Wait is held at most; the CLI asks again */
#define WAIT_LIST 1000 /* jobs listed in a WaitReply at most */

/* ---- which jobs a request names ---- */

typedef struct refs {
	jobref *v;
	size_t n;
} refs;

static int
refs_parse(refs *r, char **targets, size_t n, char *err, size_t errlen)
{
	r->v = xcalloc(n ? n : 1, sizeof(jobref));
	r->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (jobref_parse(&r->v[i], targets[i], err, errlen) != 0)
			return MOSAIC_EINVAL;
		r->n++;
	}
	return MOSAIC_OK;
}

static void
refs_fini(refs *r)
{
	for (size_t i = 0; i < r->n; i++)
		jobref_fini(&r->v[i]);
	free(r->v);
}

static bool
ref_matches(const jobref *r, const bjob *j)
{
	bool task = j->index != MBATCHD_NO_INDEX;
	return jobref_matches(r, j->id, task ? j->sub->id : 0, task ? j->index : 0);
}

/* The jobs a reference names, without a scan: "12" is job 12 or every
 * task of array 12, "12_[1-3]" those tasks of array 12. */
static void
ref_select(mbatchd *d, const jobref *r, bjob ***out, size_t *n, size_t *cap)
{
	bjob *j = jobs_find(d, r->job_id);
	if (!j)
		return;
	const bsub *sub = j->sub;
	bool array = jobs_is_array(sub) && sub->id == r->job_id;
	size_t want = !r->has_index ? (array ? sub->count : 1) : array ? r->nindexes : 0;
	if (*n + want > *cap) {
		*cap = *n + want + 16;
		*out = xrealloc(*out, *cap * sizeof(bjob *));
	}
	for (size_t k = 0; k < want; k++) {
		bjob *t = !r->has_index ? (array ? jobs_find(d, sub->id + (uint32_t)k) : j)
		                        : jobs_find_task(d, sub, r->indexes[k]);
		if (t)
			(*out)[(*n)++] = t;
	}
}

/* ---- List ---- */

static bool
list_match(const Mbatch__List *req, const refs *rs, const bjob *j)
{
	bool live = !jobstate_is_terminal(j->state);
	bool want_live = req->has_live ? req->live : true;
	bool want_finished = req->has_finished && req->finished;
	if (rs->n == 0 && ((live && !want_live) || (!live && !want_finished)))
		return false;
	if (req->n_states) {
		bool any = false;
		for (size_t i = 0; i < req->n_states && !any; i++)
			any = req->states[i] == (uint32_t)j->state;
		if (!any)
			return false;
	}
	if (req->name && strcmp(req->name, j->sub->spec.job_name) != 0)
		return false;
	if (req->user && strcmp(req->user, j->sub->user) != 0)
		return false;
	if (req->has_since && !live && j->end_time < req->since)
		return false;
	if (rs->n) {
		bool any = false;
		for (size_t i = 0; i < rs->n && !any; i++)
			any = ref_matches(&rs->v[i], j);
		return any;
	}
	return true;
}

static void
rpc_list(mbatchd *d, const char *from, const ProtobufCMessage *msg)
{
	const Mbatch__List *req = (const Mbatch__List *)msg;
	Mbatch__ListReply rep = MBATCH__LIST_REPLY__INIT;
	rep.request_id = req->request_id;
	char err[512];
	refs rs;
	if (refs_parse(&rs, req->targets, req->n_targets, err, sizeof(err)) != 0) {
		rep.error = err;
		mbatchd_reply(d, from, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_LIST_REPLY, &rep.base);
		refs_fini(&rs);
		return;
	}
	uint32_t limit = req->has_limit && req->limit > 0 && req->limit < MBATCHD_LIST_PAGE
	                     ? req->limit
	                     : MBATCHD_LIST_PAGE;
	uint32_t skip = req->has_offset ? req->offset : 0, total = 0;
	bool detail = req->has_detail && req->detail;
	size_t bytes = 0; /* a reply stays well below the messenger's 4 MiB */
	VEC(Mbatch__Job) jobs = {0};
	for (uint32_t id = d->min_id; id && id < d->next_id && id < d->jobs_cap; id++) {
		const bjob *j = d->jobs[id];
		if (!j || !list_match(req, &rs, j))
			continue;
		total++;
		if (total <= skip || jobs.n >= limit || bytes > MBATCHD_LIST_BYTES)
			continue;
		bytes += 1024 + (detail ? strlen(j->sub->run_script) : 0);
		Mbatch__Job pb;
		batch_codec_job(&pb, d, j, detail);
		VEC_PUSH(jobs, pb);
	}
	Mbatch__Job **ptrs = xcalloc(jobs.n ? jobs.n : 1, sizeof(*ptrs));
	for (size_t i = 0; i < jobs.n; i++)
		ptrs[i] = &jobs.v[i];
	rep.n_jobs = jobs.n;
	rep.jobs = ptrs;
	rep.has_total = 1;
	rep.total = total;
	rep.has_more = 1;
	rep.more = skip + jobs.n < total;
	mbatchd_reply(d, from, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_LIST_REPLY, &rep.base);
	for (size_t i = 0; i < jobs.n; i++)
		batch_codec_job_fini(&jobs.v[i]);
	free(ptrs);
	free(jobs.v);
	refs_fini(&rs);
}

/* ---- Control: cancel, hold, release ---- */

static const char *
control_one(mbatchd *d, bjob *j, Mbatch__ControlAction action, const char *who)
{
	switch (action) {
	case MBATCH__CONTROL_ACTION__CONTROL_CANCEL:
		if (jobstate_is_terminal(j->state))
			return "Job/step already completing or completed";
		if (j->state == JOBSTATE_PENDING) {
			char msg[256];
			snprintf(msg, sizeof(msg), "cancelled by %s while pending", who);
			jobs_set_str(&j->message, msg);
			j->end_time = mosaic_sched_wall_now();
			jobs_set_state(d, j, JOBSTATE_CANCELLED);
			return NULL;
		}
		if (j->kill_reason != KILL_CANCEL) {
			char msg[256];
			snprintf(msg, sizeof(msg), "cancelled by %s", who);
			jobs_set_str(&j->message, msg);
			status_kill(d, j, KILL_CANCEL);
		}
		return NULL;
	case MBATCH__CONTROL_ACTION__CONTROL_HOLD:
		if (j->state != JOBSTATE_PENDING)
			return "Job is no longer pending execution";
		if (!j->held) {
			j->held = true;
			j->reason = "Held";
			jobs_mark(d, j);
		}
		return NULL;
	case MBATCH__CONTROL_ACTION__CONTROL_RELEASE:
		if (j->state != JOBSTATE_PENDING)
			return "Job is no longer pending execution";
		if (j->held) {
			j->held = false;
			j->reason = "None";
			jobs_mark(d, j);
			sched_wake(d);
		}
		return NULL;
	default: return "unknown action";
	}
}

/* Apply to every job in jobs; the result's text tells what failed. */
static void
control_apply(mbatchd *d, bjob **jobs, size_t n, const Mbatch__Control *req, Mbatch__ControlResult *res,
              char *msg, size_t len)
{
	size_t ok = 0, failed = 0;
	const char *first = NULL;
	const char *who = req->user ? req->user : "?";
	for (size_t i = 0; i < n; i++) {
		bjob *j = jobs[i];
		const char *why = NULL;
		if (req->user && strcmp(req->user, j->sub->user) != 0 && strcmp(req->user, d->own_user) != 0)
			why = "Access/permission denied";
		else
			why = control_one(d, j, req->action, who);
		if (why) {
			failed++;
			first = first ? first : why;
		} else {
			ok++;
		}
	}
	res->ok = n > 0 && failed == 0;
	if (n == 0)
		snprintf(msg, len, "Invalid job id specified");
	else if (failed == 0)
		snprintf(msg, len, "%zu job%s", ok, ok == 1 ? "" : "s");
	else if (ok == 0)
		snprintf(msg, len, "%s", first);
	else
		snprintf(msg, len, "%zu job%s done; %zu not: %s", ok, ok == 1 ? "" : "s", failed, first);
	res->message = msg;
}

static void
rpc_control(mbatchd *d, const char *from, const ProtobufCMessage *msg)
{
	const Mbatch__Control *req = (const Mbatch__Control *)msg;
	Mbatch__ControlReply rep = MBATCH__CONTROL_REPLY__INIT;
	rep.request_id = req->request_id;
	char err[512];
	refs rs;
	if (refs_parse(&rs, req->targets, req->n_targets, err, sizeof(err)) != 0) {
		rep.error = err;
		mbatchd_reply(d, from, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_CONTROL_REPLY, &rep.base);
		refs_fini(&rs);
		return;
	}
	size_t nres = rs.n + (req->name ? 1 : 0);
	Mbatch__ControlResult *res = xcalloc(nres ? nres : 1, sizeof(*res));
	Mbatch__ControlResult **ptrs = xcalloc(nres ? nres : 1, sizeof(*ptrs));
	char(*texts)[256] = xcalloc(nres ? nres : 1, sizeof(*texts));
	VEC(bjob *) sel = {0};
	for (size_t k = 0; k < nres; k++) {
		mbatch__control_result__init(&res[k]);
		ptrs[k] = &res[k];
		sel.n = 0;
		bool by_name = k == rs.n;
		res[k].target = by_name ? req->name : req->targets[k];
		if (!by_name) {
			ref_select(d, &rs.v[k], &sel.v, &sel.n, &sel.cap);
		} else {
			for (uint32_t id = d->min_id; id && id < d->next_id && id < d->jobs_cap; id++) {
				bjob *j = d->jobs[id];
				if (j && !jobstate_is_terminal(j->state) &&
				    strcmp(j->sub->spec.job_name, req->name) == 0 &&
				    (!req->user || strcmp(j->sub->user, req->user) == 0))
					VEC_PUSH(sel, j);
			}
		}
		control_apply(d, sel.v, sel.n, req, &res[k], texts[k], sizeof(texts[k]));
	}
	rep.n_results = nres;
	rep.results = ptrs;
	mbatchd_reply(d, from, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_CONTROL_REPLY, &rep.base);
	free(sel.v);
	free(texts);
	free(ptrs);
	free(res);
	refs_fini(&rs);
}

/* ---- Wait ---- */

static void
wait_answer(mbatchd *d, const char *to, uint64_t request_id, const uint32_t *ids, size_t n, bool done)
{
	Mbatch__WaitReply rep = MBATCH__WAIT_REPLY__INIT;
	rep.request_id = request_id;
	rep.has_done = 1;
	rep.done = done;
	Mbatch__Job *jobs = xcalloc(n ? n : 1, sizeof(*jobs));
	Mbatch__Job **ptrs = xcalloc(n ? n : 1, sizeof(*ptrs));
	size_t k = 0;
	uint32_t completed = 0;
	/* The jobs that completed are only counted: a 10000-task array must
	 * fit one answer. The others (what an exit status is made of) are
	 * listed, up to WAIT_LIST. */
	for (size_t i = 0; i < n; i++) {
		const bjob *j = jobs_find(d, ids[i]);
		if (!j)
			continue;
		if (j->state == JOBSTATE_COMPLETED) {
			completed++;
			continue;
		}
		if (k >= WAIT_LIST)
			continue;
		batch_codec_job(&jobs[k], d, j, false);
		ptrs[k] = &jobs[k];
		k++;
	}
	rep.n_jobs = k;
	rep.jobs = ptrs;
	rep.has_completed = 1;
	rep.completed = completed;
	mbatchd_reply(d, to, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_WAIT_REPLY, &rep.base);
	free(ptrs);
	free(jobs);
}

static bool
all_ended(mbatchd *d, const uint32_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const bjob *j = jobs_find(d, ids[i]);
		if (j && !jobstate_is_terminal(j->state))
			return false;
	}
	return true;
}

static void
rpc_wait(mbatchd *d, const char *from, const ProtobufCMessage *msg)
{
	const Mbatch__Wait *req = (const Mbatch__Wait *)msg;
	VEC(uint32_t) ids = {0};
	for (size_t i = 0; i < req->n_job_ids; i++) {
		bjob *j = jobs_find(d, req->job_ids[i]);
		if (!j) {
			Mbatch__WaitReply rep = MBATCH__WAIT_REPLY__INIT;
			char err[128];
			snprintf(err, sizeof(err), "no job %u", req->job_ids[i]);
			rep.request_id = req->request_id;
			rep.error = err;
			mbatchd_reply(d, from, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_WAIT_REPLY, &rep.base);
			free(ids.v);
			return;
		}
		/* An array's id means every task of it. */
		bool whole = jobs_is_array(j->sub) && j->sub->id == j->id;
		for (uint32_t k = 0; k < (whole ? j->sub->count : 1); k++)
			VEC_PUSH(ids, whole ? j->sub->id + k : j->id);
	}
	if (all_ended(d, ids.v, ids.n)) {
		wait_answer(d, from, req->request_id, ids.v, ids.n, true);
		free(ids.v);
		return;
	}
	double t = req->has_timeout && req->timeout > 0 && req->timeout < WAIT_MAX ? req->timeout : WAIT_MAX;
	bwaiter w = {.to = xstrdup(from),
	             .request_id = req->request_id,
	             .ids = ids.v,
	             .nids = ids.n,
	             .deadline = mosaic_sched_now(d->s) + t};
	VEC_PUSH(d->waiters, w);
}

void
rpc_check_waiters(mbatchd *d, double mono, bool force_time)
{
	d->waiters_check = false;
	size_t k = 0;
	for (size_t i = 0; i < d->waiters.n; i++) {
		bwaiter *w = &d->waiters.v[i];
		bool done = all_ended(d, w->ids, w->nids);
		if (done || (force_time && mono >= w->deadline)) {
			wait_answer(d, w->to, w->request_id, w->ids, w->nids, done);
			free(w->to);
			free(w->ids);
			continue;
		}
		d->waiters.v[k++] = *w;
	}
	d->waiters.n = k;
}

void
rpc_free_waiters(mbatchd *d)
{
	for (size_t i = 0; i < d->waiters.n; i++) {
		free(d->waiters.v[i].to);
		free(d->waiters.v[i].ids);
	}
	free(d->waiters.v);
	d->waiters.v = NULL;
	d->waiters.n = d->waiters.cap = 0;
}

/* ---- the table ---- */

static void
rpc_submit(mbatchd *d, const char *from, const ProtobufCMessage *msg)
{
	submit_handle(d, from, (const Mbatch__Submit *)msg);
}

const rpc_entry rpc_table[] = {
    {.type = MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_SUBMIT,
     .desc = &mbatch__submit__descriptor,
     .fn = rpc_submit},
    {.type = MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_LIST, .desc = &mbatch__list__descriptor, .fn = rpc_list},
    {.type = MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_CONTROL,
     .desc = &mbatch__control__descriptor,
     .fn = rpc_control},
    {.type = MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_WAIT, .desc = &mbatch__wait__descriptor, .fn = rpc_wait},
};
const size_t rpc_table_len = sizeof(rpc_table) / sizeof(rpc_table[0]);

void
rpc_dispatch(mbatchd *d, const mbatchd_server_request *r)
{
	for (size_t i = 0; i < rpc_table_len; i++) {
		if (rpc_table[i].type != r->type)
			continue;
		pbmem *mem;
		ProtobufCMessage *msg = pbmem_unpack(rpc_table[i].desc, r->len, r->payload, &mem);
		if (!msg) {
			LOGW("undecodable request of type %u from %s", r->type, r->from);
			return;
		}
		rpc_table[i].fn(d, r->from, msg);
		pbmem_free(mem);
		return;
	}
	LOGW("request of unknown type %u from %s", r->type, r->from);
}
