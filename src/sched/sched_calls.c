/* sched_calls.c - what a framework asks of the master: launches, declines,
 * kills, acknowledgements, reconciliation, teardown. Each call checks what
 * it can locally first, so a mistake is an error return now rather than a
 * TASK_ERROR later, and a call that fails sends nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "mem.h"
#include "sched_codec.h"
#include "sched_internal.h"
#include "scheduler.pb-c.h"

static int
require_subscribed(mosaic_sched *s, const char *what)
{
	if (s->state == SCHED_SUBSCRIBED)
		return MOSAIC_OK;
	static const char *names[] = {"not started", "not subscribed (waiting for the master)", "subscribed",
	                              "torn down"};
	return sched_fail(s, MOSAIC_ESTATE, "cannot %s: %s", what, names[s->state]);
}

static void
set_filters(Mosaic__Filters *f, double refuse_seconds)
{
	mosaic__filters__init(f);
	if (refuse_seconds >= 0 && isfinite(refuse_seconds)) {
		f->has_refuse_seconds = 1;
		f->refuse_seconds = refuse_seconds;
	}
}

/* Per agent among the offers: what its offers hold and its tasks need. */
typedef struct agent_sum {
	const char *agent_id;
	mosaic_resources offered, wanted;
} agent_sum;

static agent_sum *
sum_find(agent_sum *v, size_t n, const char *agent_id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].agent_id, agent_id) == 0)
			return &v[i];
	return NULL;
}

/* Offers outstanding and distinct, tasks' agents among the offers' and
 * the tasks of each agent fitting in its offers. */
static int
check_accept(mosaic_sched *s, const char *const *offer_ids, size_t noffers, const mosaic_sched_operation *ops,
             size_t nops)
{
	if (noffers == 0 || !offer_ids)
		return sched_fail(s, MOSAIC_EINVAL, "an accept needs at least one offer");
	agent_sum *sums = xcalloc(noffers, sizeof(*sums));
	size_t nsums = 0;
	int rv = MOSAIC_OK;
	for (size_t i = 0; i < noffers && rv == 0; i++) {
		const sched_offer_entry *e =
		    offer_ids[i] ? sched_offers_find(&s->offers, offer_ids[i]) : NULL;
		if (!e) {
			rv = sched_fail(s, MOSAIC_ENOENT,
			                "offer %s is not outstanding (used, declined or rescinded)",
			                offer_ids[i] ? offer_ids[i] : "(null)");
			break;
		}
		for (size_t k = 0; k < i; k++)
			if (strcmp(offer_ids[k], offer_ids[i]) == 0)
				rv = sched_fail(s, MOSAIC_EINVAL, "offer %s is named twice", offer_ids[i]);
		agent_sum *a = sum_find(sums, nsums, e->agent_id);
		if (!a) {
			a = &sums[nsums++];
			a->agent_id = e->agent_id;
		}
		if (res_add(&a->offered, &e->resources) != 0)
			rv = sched_fail(s, MOSAIC_ENOSPC, "the offers of agent %s have too many port ranges",
			                e->agent_id);
	}
	for (size_t o = 0; o < nops && rv == 0; o++) {
		if (ops[o].kind != MOSAIC_SCHED_OP_LAUNCH && ops[o].kind != MOSAIC_SCHED_OP_LAUNCH_GANG) {
			rv = sched_fail(s, MOSAIC_EINVAL, "operation %zu has an unknown kind", o);
			break;
		}
		for (size_t t = 0; t < ops[o].ntasks && rv == 0; t++) {
			const mosaic_sched_task *task = &ops[o].tasks[t];
			agent_sum *a = task->agent_id ? sum_find(sums, nsums, task->agent_id) : NULL;
			if (task->agent_id && !a) {
				rv = sched_fail(s, MOSAIC_EINVAL,
				                "task %s is for agent %s, which none of the offers is from",
				                task->id ? task->id : "?", task->agent_id);
				break;
			}
			mosaic_resources r;
			sched_codec_res_in(&r, &task->resources);
			if (a && res_add(&a->wanted, &r) != 0)
				rv = sched_fail(s, MOSAIC_ENOSPC,
				                "the tasks for agent %s use too many port ranges",
				                a->agent_id);
		}
	}
	for (size_t i = 0; i < nsums && rv == 0; i++) {
		if (!res_contains(&sums[i].offered, &sums[i].wanted)) {
			char have[256], want[256];
			res_format(&sums[i].offered, have, sizeof(have));
			res_format(&sums[i].wanted, want, sizeof(want));
			rv = sched_fail(s, MOSAIC_EINVAL,
			                "the tasks for agent %s need %s but its offers hold %s",
			                sums[i].agent_id, want, have);
		}
	}
	free(sums);
	return rv;
}

int
mosaic_sched_accept(mosaic_sched *s, const char *const *offer_ids, size_t noffers,
                    const mosaic_sched_operation *ops, size_t nops, double refuse_seconds)
{
	int rv = require_subscribed(s, "accept offers");
	if (rv != 0)
		return rv;
	if ((rv = check_accept(s, offer_ids, noffers, ops, nops)) != 0)
		return rv;

	size_t ntasks = 0;
	for (size_t o = 0; o < nops; o++)
		ntasks += ops[o].ntasks;
	sched_task_pb *tp = xcalloc(ntasks ? ntasks : 1, sizeof(*tp));
	Mosaic__TaskInfo **tinfo = xcalloc(ntasks ? ntasks : 1, sizeof(*tinfo));
	Mosaic__Operation *opv = xcalloc(nops ? nops : 1, sizeof(*opv));
	Mosaic__Operation **opp = xcalloc(nops ? nops : 1, sizeof(*opp));
	size_t built = 0;
	char err[256];
	for (size_t o = 0; o < nops && rv == 0; o++) {
		mosaic__operation__init(&opv[o]);
		opv[o].type = ops[o].kind == MOSAIC_SCHED_OP_LAUNCH_GANG
		                  ? MOSAIC__OPERATION_TYPE__OP_LAUNCH_GANG
		                  : MOSAIC__OPERATION_TYPE__OP_LAUNCH;
		opv[o].tasks = &tinfo[built];
		opv[o].n_tasks = ops[o].ntasks;
		opp[o] = &opv[o];
		for (size_t t = 0; t < ops[o].ntasks; t++) {
			if ((rv = sched_codec_task(&tp[built], &ops[o].tasks[t], err, sizeof(err))) != 0) {
				sched_fail(s, rv, "%s", err);
				break;
			}
			/* Ids must be unique within one accept. */
			for (size_t k = 0; k < built; k++)
				if (strcmp(tp[k].info.task_id, tp[built].info.task_id) == 0)
					rv = sched_fail(s, MOSAIC_EINVAL, "task id %s is used twice",
					                tp[built].info.task_id);
			tinfo[built] = &tp[built].info;
			built++;
			if (rv != 0)
				break;
		}
	}
	if (rv == 0) {
		Mosaic__Filters f;
		set_filters(&f, refuse_seconds);
		Mosaic__Accept acc = MOSAIC__ACCEPT__INIT;
		acc.offer_ids = (char **)offer_ids;
		acc.n_offer_ids = noffers;
		acc.operations = opp;
		acc.n_operations = nops;
		acc.filters = &f;
		rv = sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_ACCEPT, &acc.base);
	}
	if (rv == 0) {
		for (size_t i = 0; i < noffers; i++)
			sched_offers_remove(&s->offers, offer_ids[i]);
		LOGD("accepted %zu offer(s) with %zu task(s)", noffers, ntasks);
	}
	for (size_t i = 0; i < built; i++)
		sched_codec_task_fini(&tp[i]);
	free(tp);
	free(tinfo);
	free(opv);
	free(opp);
	return rv;
}

static int
launch(mosaic_sched *s, mosaic_sched_op_kind kind, const char *const *offer_ids, size_t noffers,
       const mosaic_sched_task *tasks, size_t ntasks, double refuse_seconds)
{
	if (ntasks == 0 || !tasks)
		return sched_fail(s, MOSAIC_EINVAL, "a launch needs at least one task");
	mosaic_sched_operation op = {kind, tasks, ntasks};
	return mosaic_sched_accept(s, offer_ids, noffers, &op, 1, refuse_seconds);
}

int
mosaic_sched_launch(mosaic_sched *s, const char *const *offer_ids, size_t noffers,
                    const mosaic_sched_task *tasks, size_t ntasks, double refuse_seconds)
{
	return launch(s, MOSAIC_SCHED_OP_LAUNCH, offer_ids, noffers, tasks, ntasks, refuse_seconds);
}

int
mosaic_sched_launch_gang(mosaic_sched *s, const char *const *offer_ids, size_t noffers,
                         const mosaic_sched_task *tasks, size_t ntasks, double refuse_seconds)
{
	return launch(s, MOSAIC_SCHED_OP_LAUNCH_GANG, offer_ids, noffers, tasks, ntasks, refuse_seconds);
}

int
mosaic_sched_decline(mosaic_sched *s, const char *const *offer_ids, size_t n, double refuse_seconds)
{
	int rv = require_subscribed(s, "decline offers");
	if (rv != 0)
		return rv;
	/* Ids no longer outstanding are gone back to the master already. */
	char **ids = xcalloc(n ? n : 1, sizeof(char *));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (offer_ids[i] && sched_offers_find(&s->offers, offer_ids[i]))
			ids[k++] = (char *)offer_ids[i];
	if (k) {
		Mosaic__Filters f;
		set_filters(&f, refuse_seconds);
		Mosaic__Decline d = MOSAIC__DECLINE__INIT;
		d.offer_ids = ids;
		d.n_offer_ids = k;
		d.filters = &f;
		rv = sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_DECLINE, &d.base);
		for (size_t i = 0; rv == 0 && i < k; i++)
			sched_offers_remove(&s->offers, ids[i]);
	}
	free(ids);
	return rv;
}

/* Suppression is remembered and sent with every Subscribe, so it
 * survives a re-subscription; it is sent now only when subscribed. */
static int
set_suppressed(mosaic_sched *s, bool on)
{
	if (s->state == SCHED_TORN_DOWN)
		return sched_fail(s, MOSAIC_ESTATE, "torn down");
	s->suppressed = on;
	if (s->state != SCHED_SUBSCRIBED)
		return MOSAIC_OK;
	if (on) {
		Mosaic__Suppress m = MOSAIC__SUPPRESS__INIT;
		m.role = s->role;
		return sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_SUPPRESS, &m.base);
	}
	Mosaic__Revive m = MOSAIC__REVIVE__INIT;
	m.role = s->role;
	return sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_REVIVE, &m.base);
}

int
mosaic_sched_suppress(mosaic_sched *s)
{
	return set_suppressed(s, true);
}

int
mosaic_sched_revive(mosaic_sched *s)
{
	return set_suppressed(s, false);
}

int
mosaic_sched_kill(mosaic_sched *s, const char *task_id, const char *agent_id, double grace_seconds)
{
	int rv = require_subscribed(s, "kill a task");
	if (rv != 0)
		return rv;
	if (!task_id || !id_valid(task_id))
		return sched_fail(s, MOSAIC_EINVAL, "kill: invalid task id");
	Mosaic__Kill k = MOSAIC__KILL__INIT;
	k.task_id = (char *)task_id;
	k.agent_id = (char *)(agent_id && *agent_id ? agent_id : NULL);
	if (grace_seconds >= 0 && isfinite(grace_seconds)) {
		k.has_grace_seconds = 1;
		k.grace_seconds = grace_seconds;
	}
	return sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_KILL, &k.base);
}

int
sched_ack(mosaic_sched *s, const char *agent_id, const char *task_id, const uint8_t *uuid, size_t len)
{
	Mosaic__Acknowledge a = MOSAIC__ACKNOWLEDGE__INIT;
	a.agent_id = (char *)agent_id;
	a.task_id = (char *)task_id;
	a.uuid.data = (uint8_t *)uuid;
	a.uuid.len = len;
	/* Marked even if the send fails: a resend of the update then gets
	 * acknowledged again instead of waiting on the framework forever. */
	sched_dedup_mark_acked(&s->dedup, uuid, len);
	return sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_ACKNOWLEDGE, &a.base);
}

int
mosaic_sched_acknowledge(mosaic_sched *s, const char *agent_id, const char *task_id, const char *uuid)
{
	if (!uuid)
		return MOSAIC_OK;
	if (s->state == SCHED_TORN_DOWN || s->state == SCHED_NEW)
		return sched_fail(s, MOSAIC_ESTATE, "cannot acknowledge: %s",
		                  s->state == SCHED_NEW ? "not started" : "torn down");
	uint8_t bytes[SCHED_DEDUP_UUID_MAX];
	int n = sched_codec_hex_decode(uuid, bytes, sizeof(bytes));
	if (n <= 0)
		return sched_fail(s, MOSAIC_EINVAL, "acknowledge: uuid '%s' is not hex", uuid);
	if (!task_id || !id_valid(task_id) || !agent_id)
		return sched_fail(s, MOSAIC_EINVAL, "acknowledge: needs the task and agent ids");
	/* Sent even while re-subscribing: the pipe to the master queues it. */
	return sched_ack(s, agent_id, task_id, bytes, (size_t)n);
}

int
mosaic_sched_reconcile(mosaic_sched *s, const mosaic_sched_task_ref *tasks, size_t n)
{
	int rv = require_subscribed(s, "reconcile");
	if (rv != 0)
		return rv;
	Mosaic__ReconcileTask *rt = xcalloc(n ? n : 1, sizeof(*rt));
	Mosaic__ReconcileTask **rp = xcalloc(n ? n : 1, sizeof(*rp));
	for (size_t i = 0; i < n && rv == 0; i++) {
		if (!tasks[i].task_id || !id_valid(tasks[i].task_id))
			rv = sched_fail(s, MOSAIC_EINVAL, "reconcile: task %zu has an invalid id", i);
		mosaic__reconcile_task__init(&rt[i]);
		rt[i].task_id = (char *)tasks[i].task_id;
		rt[i].agent_id = (char *)(tasks[i].agent_id && *tasks[i].agent_id ? tasks[i].agent_id : NULL);
		rp[i] = &rt[i];
	}
	if (rv == 0) {
		Mosaic__Reconcile r = MOSAIC__RECONCILE__INIT;
		r.tasks = rp;
		r.n_tasks = n;
		rv = sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_RECONCILE, &r.base);
	}
	free(rt);
	free(rp);
	return rv;
}

int
mosaic_sched_gang_demand(mosaic_sched *s, const mosaic_sched_resources *per_task, uint32_t ntasks,
                         double since)
{
	int rv = require_subscribed(s, "send a gang demand");
	if (rv != 0)
		return rv;
	if (!per_task || ntasks == 0)
		return sched_fail(s, MOSAIC_EINVAL, "gang demand: needs per-task resources and a task count");
	mosaic_resources r;
	sched_codec_res_in(&r, per_task);
	codec_res pb;
	Mosaic__GangDemand g = MOSAIC__GANG_DEMAND__INIT;
	g.per_task = codec_res_to_pb(&pb, &r);
	g.has_tasks = 1;
	g.tasks = ntasks;
	g.has_since = 1;
	g.since = since;
	return sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_GANG_DEMAND, &g.base);
}

int
mosaic_sched_gang_demand_cancel(mosaic_sched *s)
{
	int rv = require_subscribed(s, "cancel a gang demand");
	if (rv != 0)
		return rv;
	Mosaic__GangDemand g = MOSAIC__GANG_DEMAND__INIT;
	g.has_cancel = 1;
	g.cancel = 1;
	return sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_GANG_DEMAND, &g.base);
}

int
mosaic_sched_teardown(mosaic_sched *s)
{
	if (s->state == SCHED_TORN_DOWN)
		return MOSAIC_OK;
	if (s->state == SCHED_NEW || !s->fw_id[0])
		return sched_fail(s, MOSAIC_ESTATE, "cannot tear down: never subscribed");
	Mosaic__Teardown t = MOSAIC__TEARDOWN__INIT;
	int rv = sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_TEARDOWN, &t.base);
	if (rv != 0)
		return rv;
	LOGI("framework %s torn down", s->fw_id);
	s->state = SCHED_TORN_DOWN;
	loop_timer_cancel(s->loop, s->subscribe_timer);
	s->subscribe_timer = 0;
	sched_offers_drain(&s->offers, NULL, NULL, NULL);
	return MOSAIC_OK;
}
