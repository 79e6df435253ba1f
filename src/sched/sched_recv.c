#include "sched_recv.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "operator.pb-c.h"
#include "sched_codec.h"
#include "scheduler.pb-c.h"

bool
sched_recv_accepting(const mosaic_sched *s)
{
	return !s->closing && (s->state == SCHED_SUBSCRIBING || s->state == SCHED_SUBSCRIBED);
}

/* Any message of the master shows it is there and knows the framework. */
static bool
take(mosaic_sched *s)
{
	if (!sched_recv_accepting(s))
		return false;
	s->last_heard = loop_now(s->loop);
	return true;
}

void
sched_recv_offers(void *ctx, const char *from, const ProtobufCMessage *m)
{
	mosaic_sched *s = ctx;
	const Mosaic__Offers *msg = (const Mosaic__Offers *)m;
	if (!take(s))
		return;
	sched_offer_batch b;
	sched_codec_offers(&b, msg);
	if (s->state != SCHED_SUBSCRIBED || !s->cb.offers) {
		/* Between a lost heartbeat and Subscribed, or a framework that
		 * takes no offers: give them straight back. */
		char **ids = xcalloc(b.n ? b.n : 1, sizeof(char *));
		for (size_t i = 0; i < b.n; i++)
			ids[i] = (char *)b.offers[i].id;
		Mosaic__Decline d = MOSAIC__DECLINE__INIT;
		d.offer_ids = ids;
		d.n_offer_ids = b.n;
		if (b.n)
			sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_DECLINE, &d.base);
		free(ids);
		sched_offer_batch_fini(&b);
		return;
	}
	for (size_t i = 0; i < b.n; i++)
		sched_offers_add(&s->offers, b.offers[i].id, b.offers[i].agent_id, &b.res[i]);
	if (b.n)
		s->cb.offers(s, s->arg, b.offers, b.n);
	sched_offer_batch_fini(&b);
}

void
sched_recv_rescind(void *ctx, const char *from, const ProtobufCMessage *m)
{
	mosaic_sched *s = ctx;
	const Mosaic__Rescind *msg = (const Mosaic__Rescind *)m;
	if (!take(s))
		return;
	/* Unknown ids were used or declined already: nothing to tell. */
	if (sched_offers_remove(&s->offers, msg->offer_id) && s->cb.rescinded)
		s->cb.rescinded(s, s->arg, msg->offer_id);
}

void
sched_recv_update(void *ctx, const char *from, const ProtobufCMessage *m)
{
	mosaic_sched *s = ctx;
	const Mosaic__Update *msg = (const Mosaic__Update *)m;
	if (!take(s))
		return;
	const Mosaic__TaskStatus *st = msg->status;
	bool has_uuid = st->has_uuid && st->uuid.len > 0;
	const char *agent = st->agent_id ? st->agent_id : "";
	if (has_uuid) {
		switch (sched_dedup_check(&s->dedup, st->uuid.data, st->uuid.len, loop_now(s->loop))) {
		case SCHED_DEDUP_NEW: break;
		case SCHED_DEDUP_PENDING:
			LOGD("dropping a repeated update of task %s (not acknowledged yet)", st->task_id);
			return;
		case SCHED_DEDUP_ACKED:
			/* Our acknowledgement was lost: the agent still waits. */
			LOGD("acknowledging a repeated update of task %s again", st->task_id);
			sched_ack(s, agent, st->task_id, st->uuid.data, st->uuid.len);
			return;
		}
	}
	char uuid_hex[2 * SCHED_DEDUP_UUID_MAX + 1];
	mosaic_sched_status status;
	sched_codec_status(&status, st, uuid_hex);
	if (s->cb.status)
		s->cb.status(s, s->arg, &status);
	/* The callback may have torn down or be closing; the ack is still
	 * due, so that the agent moves on. */
	if (has_uuid && !s->explicit_acks && !s->closing)
		sched_ack(s, agent, st->task_id, st->uuid.data, st->uuid.len);
}

static void
rescind_one(void *arg, const char *offer_id)
{
	mosaic_sched *s = arg;
	if (s->cb.rescinded)
		s->cb.rescinded(s, s->arg, offer_id);
}

void
sched_recv_agent_lost(void *ctx, const char *from, const ProtobufCMessage *m)
{
	mosaic_sched *s = ctx;
	const Mosaic__AgentLost *msg = (const Mosaic__AgentLost *)m;
	if (!take(s))
		return;
	LOGI("agent %s (%s) lost", msg->agent_id, msg->hostname ? msg->hostname : "?");
	sched_offers_drain(&s->offers, msg->agent_id, rescind_one, s);
	if (s->cb.agent_lost)
		s->cb.agent_lost(s, s->arg, msg->agent_id, msg->hostname ? msg->hostname : "");
}

void
sched_recv_error(void *ctx, const char *from, const ProtobufCMessage *m)
{
	mosaic_sched *s = ctx;
	const Mosaic__Error *msg = (const Mosaic__Error *)m;
	if (!take(s))
		return;
	LOGW("master: %s", msg->message);
	if (s->cb.error)
		s->cb.error(s, s->arg, msg->message);
}

void
sched_recv_accept_result(void *ctx, const char *from, const ProtobufCMessage *m)
{
	mosaic_sched *s = ctx;
	const Mosaic__AcceptResult *msg = (const Mosaic__AcceptResult *)m;
	if (!take(s) || msg->ok)
		return;
	const char *reason = msg->reason ? msg->reason : "refused";
	LOGW("master refused an accept of %zu offer(s): %s", msg->n_offer_ids, reason);
	if (s->cb.accept_failed)
		s->cb.accept_failed(s, s->arg, (const char *const *)msg->offer_ids, msg->n_offer_ids, reason);
}

void
sched_recv_state(void *ctx, const char *from, const ProtobufCMessage *m)
{
	mosaic_sched *s = ctx;
	s->flushed = true;
}
