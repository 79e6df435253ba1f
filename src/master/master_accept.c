/* master_accept.c - Accept: validate every operation against the offers
 * it uses, launch the valid tasks with one RunTasks per agent, give the
 * rest of the offers back. LAUNCH_GANG is all-or-nothing: one bad task and
 * nothing of the Accept launches.
 *
 * Validation runs over a small plan (the accepted offers' agents with what
 * is left of them, and a verdict per task) before anything changes, so a
 * rejected Accept leaves no trace but the recovered offers. */
#include "master_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "log.h"
#include "mem.h"

#define NO_AGENT SIZE_MAX
#define KILL_GRACE_MAX 3600.0
#define REFUSE_MAX (365.0 * 86400.0)

enum { VERDICT_OK, VERDICT_ERROR, VERDICT_DROPPED };

typedef struct plan_agent {
	master_agent *agent;
	mosaic_resources offered;
	mosaic_resources remaining;
	size_t nlaunch;
} plan_agent;

typedef struct plan_task {
	const Mosaic__TaskInfo *info;
	size_t agent; /* index in plan.agents, or NO_AGENT */
	mosaic_resources res;
	int verdict;
	bool gang;
	char why[384];
} plan_task;

typedef struct plan {
	master *m;
	master_framework *fw;
	master_offer **offers;
	size_t noffers;
	plan_agent *agents;
	size_t nagents;
	plan_task *tasks;
	size_t ntasks;
	strmap ids;          /* task ids of this Accept */
	strmap agents_by_id; /* agent id -> plan_agent */
	strmap offer_ids;    /* offers named so far */
	char problem[384];   /* why the whole Accept fails, "" if it does not */
	bool offers_bad;     /* ... because of the offers it names */
} plan;

static void __attribute__((format(printf, 3, 4))) plan_fail(plan_task *pt, int verdict, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pt->why, sizeof(pt->why), fmt, ap);
	va_end(ap);
	pt->verdict = verdict;
}

static size_t
plan_agent_index(const plan *p, const char *agent_id)
{
	const plan_agent *pa = strmap_find(&p->agents_by_id, agent_id);
	return pa ? (size_t)(pa - p->agents) : NO_AGENT;
}

/* Resolve the offer ids: each must be live, this framework's, named once. */
static void
plan_offers(plan *p, const Mosaic__Accept *acc)
{
	char safe[96];
	p->offers = xcalloc(acc->n_offer_ids ? acc->n_offer_ids : 1, sizeof(*p->offers));
	p->agents = xcalloc(acc->n_offer_ids ? acc->n_offer_ids : 1, sizeof(*p->agents));
	if (acc->n_offer_ids == 0)
		snprintf(p->problem, sizeof(p->problem), "the Accept names no offers");
	for (size_t i = 0; i < acc->n_offer_ids; i++) {
		const char *id = acc->offer_ids[i];
		master_offer *o = master_offer_find(p->m, id);
		bool twice = o && strmap_put(&p->offer_ids, o->id, o) != 0;
		if (!o || o->fw != p->fw || twice) {
			if (!p->problem[0])
				snprintf(p->problem, sizeof(p->problem), "offer %s %s",
				         master_safe(id, safe, sizeof(safe)),
				         !o      ? "is no longer valid (rescinded, timed out or already used)"
				         : twice ? "is named twice"
				                 : "was made to another framework");
			continue;
		}
		p->offers[p->noffers++] = o;
		size_t k = plan_agent_index(p, o->agent->id);
		if (k == NO_AGENT) {
			k = p->nagents++;
			p->agents[k].agent = o->agent;
			strmap_put(&p->agents_by_id, o->agent->id, &p->agents[k]);
		}
		res_add(&p->agents[k].offered, &o->res);
	}
	for (size_t k = 0; k < p->nagents; k++)
		p->agents[k].remaining = p->agents[k].offered;
	p->offers_bad = p->problem[0] != '\0';
}

/* Check one task and, when it is good, take its resources from what is
 * left of its agent's offers. */
static void
plan_check_task(plan *p, plan_task *pt)
{
	const Mosaic__TaskInfo *ti = pt->info;
	char safe[96], want[256], left[256];
	if (!id_valid(ti->task_id)) {
		plan_fail(pt, VERDICT_ERROR, "task id '%s' is not valid: 1-63 characters of [A-Za-z0-9._-]",
		          master_safe(ti->task_id, safe, sizeof(safe)));
		return;
	}
	if (strmap_put(&p->ids, ti->task_id, pt) != 0) {
		plan_fail(pt, VERDICT_ERROR, "task id %s appears twice in this Accept", ti->task_id);
		return;
	}
	master_task *t = master_task_find(p->fw, ti->task_id);
	if (t && !t->completed) {
		plan_fail(pt, VERDICT_ERROR, "task id %s is already in use by framework %s", ti->task_id,
		          p->fw->id);
		return;
	}
	if (ti->agent_id) {
		pt->agent = id_valid(ti->agent_id) ? plan_agent_index(p, ti->agent_id) : NO_AGENT;
		if (pt->agent == NO_AGENT) {
			plan_fail(pt, VERDICT_ERROR, "task %s names agent %s, which no accepted offer is on",
			          ti->task_id, master_safe(ti->agent_id, safe, sizeof(safe)));
			return;
		}
	} else if (p->nagents == 1) {
		pt->agent = 0;
	} else {
		plan_fail(pt, VERDICT_ERROR,
		          "task %s names no agent, and the accepted offers span %zu agents", ti->task_id,
		          p->nagents);
		return;
	}
	if (ti->name && !master_text_ok(ti->name, MASTER_NAME_MAX)) {
		plan_fail(pt, VERDICT_ERROR, "task %s: name too long or not printable", ti->task_id);
		return;
	}
	if (codec_res_from_pb(&pt->res, ti->resources) != 0) {
		plan_fail(pt, VERDICT_ERROR, "task %s: resources are negative, not finite or malformed",
		          ti->task_id);
		return;
	}
	if (pt->res.cpus <= MOSAIC_RES_EPSILON && pt->res.mem <= MOSAIC_RES_EPSILON) {
		plan_fail(pt, VERDICT_ERROR, "task %s asks for neither cpus nor mem", ti->task_id);
		return;
	}
	if (!ti->command->value || !ti->command->value[0]) {
		plan_fail(pt, VERDICT_ERROR, "task %s has no command", ti->task_id);
		return;
	}
	if (ti->has_kill_grace_seconds && (!isfinite(ti->kill_grace_seconds) || ti->kill_grace_seconds < 0 ||
	                                   ti->kill_grace_seconds > KILL_GRACE_MAX)) {
		plan_fail(pt, VERDICT_ERROR, "task %s: kill_grace_seconds must be between 0 and %.0f",
		          ti->task_id, KILL_GRACE_MAX);
		return;
	}
	plan_agent *pa = &p->agents[pt->agent];
	if (!res_contains(&pa->remaining, &pt->res)) {
		plan_fail(pt, VERDICT_ERROR, "task %s does not fit agent %s: wants %s, offered %s",
		          ti->task_id, pa->agent->id, res_format(&pt->res, want, sizeof(want)),
		          res_format(&pa->remaining, left, sizeof(left)));
		return;
	}
	res_sub(&pa->remaining, &pt->res);
	pt->verdict = VERDICT_OK;
}

/* A gang is checked on a copy of what is left, so that a failing gang
 * takes nothing; returns false (and sets p->problem) if it fails. */
static bool
plan_check_gang(plan *p, plan_task *tasks, size_t n)
{
	mosaic_resources *saved = xmalloc((p->nagents ? p->nagents : 1) * sizeof(*saved));
	for (size_t k = 0; k < p->nagents; k++)
		saved[k] = p->agents[k].remaining;
	const char *first = NULL;
	for (size_t i = 0; i < n; i++) {
		tasks[i].gang = true;
		plan_check_task(p, &tasks[i]);
		if (tasks[i].verdict != VERDICT_OK && !first)
			first = tasks[i].why;
	}
	if (first) {
		snprintf(p->problem, sizeof(p->problem), "gang: %s", first);
		for (size_t k = 0; k < p->nagents; k++)
			p->agents[k].remaining = saved[k];
		for (size_t i = 0; i < n; i++)
			plan_fail(&tasks[i], VERDICT_ERROR, "%s", p->problem);
	}
	free(saved);
	return first == NULL;
}

static void
plan_free(plan *p)
{
	strmap_fini(&p->ids);
	strmap_fini(&p->agents_by_id);
	strmap_fini(&p->offer_ids);
	free(p->offers);
	free(p->agents);
	free(p->tasks);
}

/* One RunTasks per agent with every task of this Accept for it. */
static size_t
plan_launch(plan *p)
{
	master *m = p->m;
	master_framework *fw = p->fw;
	size_t total = 0;
	for (size_t i = 0; i < p->ntasks; i++) {
		if (p->tasks[i].verdict == VERDICT_OK) {
			p->agents[p->tasks[i].agent].nlaunch++;
			total++;
		}
	}
	if (!total)
		return 0;
	/* Counting sort of the launched tasks by agent. */
	size_t *start = xcalloc(p->nagents + 1, sizeof(*start));
	for (size_t k = 0; k < p->nagents; k++)
		start[k + 1] = start[k] + p->agents[k].nlaunch;
	Mosaic__TaskInfo *copies = xmalloc(total * sizeof(*copies));
	Mosaic__TaskInfo **ptrs = xmalloc(total * sizeof(*ptrs));
	size_t *fill = xcalloc(p->nagents ? p->nagents : 1, sizeof(*fill));
	for (size_t i = 0; i < p->ntasks; i++) {
		plan_task *pt = &p->tasks[i];
		if (pt->verdict != VERDICT_OK)
			continue;
		master_agent *a = p->agents[pt->agent].agent;
		size_t slot = start[pt->agent] + fill[pt->agent]++;
		copies[slot] = *pt->info;
		copies[slot].agent_id = a->id;
		ptrs[slot] = &copies[slot];
		master_task *t = master_task_add(m, fw, a, pt->info->task_id, pt->info->name, &pt->res,
		                                 MOSAIC__TASK_STATE__TASK_STAGING);
		/* The offer's resources were allocated to the framework and
		 * now stay allocated to the task. */
		t->accounted = true;
	}
	Mosaic__FrameworkInfo fi;
	master_framework_info(fw, &fi);
	for (size_t k = 0; k < p->nagents; k++) {
		if (!p->agents[k].nlaunch)
			continue;
		Mosaic__RunTasks rt = MOSAIC__RUN_TASKS__INIT;
		rt.framework = &fi;
		rt.framework_address = fw->address[0] ? fw->address : NULL;
		rt.n_tasks = p->agents[k].nlaunch;
		rt.tasks = &ptrs[start[k]];
		master_send(m, p->agents[k].agent->address, MOSAIC__MESSAGE_TYPE__MSG_RUN_TASKS, &rt.base);
	}
	free(fill);
	free(ptrs);
	free(copies);
	free(start);
	m->counters.tasks_launched += total;
	return total;
}

/* Give back what no task uses, filtered for refuse seconds (when > 0). */
static void
plan_recover(plan *p, bool all, double refuse)
{
	master *m = p->m;
	double now = master_now(m);
	bool any = false;
	for (size_t k = 0; k < p->nagents; k++) {
		plan_agent *pa = &p->agents[k];
		const mosaic_resources *back = all ? &pa->offered : &pa->remaining;
		if (!pa->agent->in_allocator)
			continue;
		if (!res_is_empty(back)) {
			int rv = allocator_recover(m->alloc, p->fw->id, pa->agent->id, back);
			if (rv)
				LOGE("allocator: cannot recover the unused offers of framework %s on agent "
				     "%s: %s",
				     p->fw->id, pa->agent->id, mosaic_strerror(rv));
			any = true;
		}
		if (refuse > 0)
			allocator_filter(m->alloc, p->fw->id, pa->agent->id, now + refuse);
	}
	for (size_t i = 0; i < p->noffers; i++)
		master_offer_discard(m, p->offers[i]);
	if (any)
		master_allocate_soon(m);
}

static void
plan_answer_failures(plan *p, const Mosaic__Accept *acc)
{
	size_t bad = 0;
	const char *first = NULL;
	for (size_t i = 0; i < p->ntasks; i++) {
		plan_task *pt = &p->tasks[i];
		if (pt->verdict == VERDICT_OK)
			continue;
		const Mosaic__TaskInfo *ti = pt->info;
		const char *agent = ti->agent_id && id_valid(ti->agent_id) ? ti->agent_id : NULL;
		master_task_send_update(p->m, p->fw, ti->task_id, agent,
		                        pt->verdict == VERDICT_DROPPED ? MOSAIC__TASK_STATE__TASK_DROPPED
		                                                       : MOSAIC__TASK_STATE__TASK_ERROR,
		                        pt->why,
		                        pt->verdict == VERDICT_DROPPED ? "REASON_INVALID_OFFERS"
		                                                       : "REASON_TASK_INVALID");
		if (!first)
			first = pt->why;
		bad++;
	}
	p->m->counters.tasks_invalid += bad;
	if (p->problem[0]) {
		master_reject(p->m, p->fw->address, "Accept from framework %s failed: %s", p->fw->id,
		              p->problem);
		Mosaic__AcceptResult r = MOSAIC__ACCEPT_RESULT__INIT;
		r.n_offer_ids = acc->n_offer_ids;
		r.offer_ids = acc->offer_ids;
		r.ok = 0;
		r.reason = p->problem;
		master_send(p->m, p->fw->address, MOSAIC__MESSAGE_TYPE__MSG_ACCEPT_RESULT, &r.base);
	} else if (bad) {
		master_reject(p->m, p->fw->address,
		              "Accept from framework %s: %zu of %zu tasks rejected; first: %s", p->fw->id,
		              bad, p->ntasks, first);
	}
}

void
master_on_accept(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__Accept *acc = (const Mosaic__Accept *)msg;
	master_framework *fw = master_framework_from(m, from, "Accept");
	if (!fw)
		return;
	double refuse = acc->filters ? acc->filters->refuse_seconds : m->cfg.refuse_default;
	if (!isfinite(refuse) || refuse < 0) {
		LOGW("Accept from framework %s with refuse_seconds %g; using %g", fw->id, refuse,
		     m->cfg.refuse_default);
		refuse = m->cfg.refuse_default;
	}
	if (refuse > REFUSE_MAX)
		refuse = REFUSE_MAX;

	plan p;
	memset(&p, 0, sizeof(p));
	p.m = m;
	p.fw = fw;
	strmap_init(&p.ids);
	strmap_init(&p.agents_by_id);
	strmap_init(&p.offer_ids);
	for (size_t i = 0; i < acc->n_operations; i++)
		p.ntasks += acc->operations[i]->n_tasks;
	p.tasks = xcalloc(p.ntasks ? p.ntasks : 1, sizeof(*p.tasks));
	size_t k = 0;
	for (size_t i = 0; i < acc->n_operations; i++)
		for (size_t j = 0; j < acc->operations[i]->n_tasks; j++) {
			p.tasks[k].info = acc->operations[i]->tasks[j];
			p.tasks[k].agent = NO_AGENT;
			k++;
		}
	plan_offers(&p, acc);

	if (p.problem[0]) {
		for (size_t i = 0; i < p.ntasks; i++)
			plan_fail(&p.tasks[i], VERDICT_DROPPED, "not launched: %s", p.problem);
	} else {
		k = 0;
		for (size_t i = 0; i < acc->n_operations; i++) {
			const Mosaic__Operation *op = acc->operations[i];
			plan_task *tasks = &p.tasks[k];
			k += op->n_tasks;
			if (op->type == MOSAIC__OPERATION_TYPE__OP_LAUNCH_GANG) {
				plan_check_gang(&p, tasks, op->n_tasks);
			} else if (op->type == MOSAIC__OPERATION_TYPE__OP_LAUNCH) {
				for (size_t j = 0; j < op->n_tasks; j++)
					plan_check_task(&p, &tasks[j]);
			} else {
				for (size_t j = 0; j < op->n_tasks; j++)
					plan_fail(&tasks[j], VERDICT_ERROR, "unknown operation type %d",
					          (int)op->type);
			}
		}
		/* A failed gang stops the whole Accept: its other tasks are
		 * dropped, not launched on offers the framework meant for a
		 * gang. */
		if (p.problem[0])
			for (size_t i = 0; i < p.ntasks; i++)
				if (p.tasks[i].verdict == VERDICT_OK)
					plan_fail(&p.tasks[i], VERDICT_DROPPED, "not launched: %s",
					          p.problem);
	}

	if (p.problem[0]) {
		/* Offers named wrongly are a framework's race, not a choice to
		 * refuse these agents: no filter then. A failed gang keeps the
		 * Accept's filter. */
		plan_recover(&p, true, p.offers_bad ? 0 : refuse);
	} else {
		size_t launched = plan_launch(&p);
		/* A launched gang is what its demand waited for. */
		for (size_t i = 0; i < p.ntasks && fw->gang_wanted; i++)
			if (p.tasks[i].gang)
				master_framework_clear_gang(m, fw);
		m->counters.offers_accepted += p.noffers;
		LOGD("framework %s accepted %zu offers: %zu tasks launched", fw->id, p.noffers, launched);
		plan_recover(&p, false, refuse);
	}
	plan_answer_failures(&p, acc);
	plan_free(&p);
}
