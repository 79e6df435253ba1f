/* master_offers.c - the allocation pass turned into offers, the offer
 * table (id -> framework, agent, resources, age), rescinds, offer
 * timeouts and Decline. */
#include "master_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "log.h"
#include "mem.h"

#define REFUSE_MAX (365.0 * 86400.0)

master_offer *
master_offer_find(master *m, const char *id)
{
	return strmap_find(&m->offers, id);
}

static void
offer_link(master *m, master_offer *o)
{
	master_framework *fw = o->fw;
	master_agent *a = o->agent;
	o->fw_next = fw->offers;
	if (fw->offers)
		fw->offers->fw_prev = o;
	fw->offers = o;
	fw->noffers++;
	o->ag_next = a->offers;
	if (a->offers)
		a->offers->ag_prev = o;
	a->offers = o;
	a->noffers++;
	o->age_prev = m->age_tail;
	if (m->age_tail)
		m->age_tail->age_next = o;
	else
		m->age_head = o;
	m->age_tail = o;
	strmap_put(&m->offers, o->id, o);
}

void
master_offer_discard(master *m, master_offer *o)
{
	master_framework *fw = o->fw;
	master_agent *a = o->agent;
	/* Whatever became of it (used, given back, rescinded), it is no
	 * longer outstanding: the allocator counts a gang's outstanding
	 * offers toward its reservation. Unknown ids (a framework or agent
	 * the allocator dropped already) are fine. */
	if (a->in_allocator)
		allocator_offer_ended(m->alloc, fw->id, a->id, &o->res);
	if (o->fw_prev)
		o->fw_prev->fw_next = o->fw_next;
	else
		fw->offers = o->fw_next;
	if (o->fw_next)
		o->fw_next->fw_prev = o->fw_prev;
	fw->noffers--;
	if (o->ag_prev)
		o->ag_prev->ag_next = o->ag_next;
	else
		a->offers = o->ag_next;
	if (o->ag_next)
		o->ag_next->ag_prev = o->ag_prev;
	a->noffers--;
	if (o->age_prev)
		o->age_prev->age_next = o->age_next;
	else
		m->age_head = o->age_next;
	if (o->age_next)
		o->age_next->age_prev = o->age_prev;
	else
		m->age_tail = o->age_prev;
	strmap_del(&m->offers, o->id);
	free(o);
}

static void
offer_recover(master *m, master_offer *o)
{
	if (!o->agent->in_allocator)
		return;
	int rv = allocator_recover(m->alloc, o->fw->id, o->agent->id, &o->res);
	if (rv)
		LOGE("allocator: cannot recover offer %s (framework %s, agent %s): %s", o->id, o->fw->id,
		     o->agent->id, mosaic_strerror(rv));
}

void
master_offer_rescind(master *m, master_offer *o, bool recover)
{
	if (o->fw->connected) {
		Mosaic__Rescind r = MOSAIC__RESCIND__INIT;
		r.offer_id = o->id;
		master_send(m, o->fw->address, MOSAIC__MESSAGE_TYPE__MSG_RESCIND, &r.base);
	}
	if (recover)
		offer_recover(m, o);
	m->counters.offers_rescinded++;
	master_offer_discard(m, o);
}

void
master_offers_rescind_framework(master *m, master_framework *fw, bool recover)
{
	while (fw->offers)
		master_offer_rescind(m, fw->offers, recover);
}

void
master_offers_rescind_agent(master *m, master_agent *a, bool recover)
{
	while (a->offers)
		master_offer_rescind(m, a->offers, recover);
}

/* ---- offer timeout: one timer, set for the oldest offer ---- */

static void offers_arm_timer(master *m);

static void
offers_expire(mosaic_loop *loop, void *arg)
{
	master *m = arg;
	m->offer_timer = 0;
	double now = master_now(m);
	size_t n = 0;
	/* A millisecond of slack: the timer and loop_now read the clock at
	 * slightly different moments. */
	while (m->age_head && m->age_head->created + m->cfg.offer_timeout <= now + 1e-3) {
		master_offer *o = m->age_head;
		LOGD("offer %s to framework %s timed out", o->id, o->fw->id);
		m->counters.offers_expired++;
		master_offer_rescind(m, o, true);
		n++;
	}
	offers_arm_timer(m);
	if (n)
		master_allocate_soon(m);
}

static void
offers_arm_timer(master *m)
{
	if (!m->started || m->offer_timer || !m->age_head || m->cfg.offer_timeout <= 0)
		return;
	double delay = m->age_head->created + m->cfg.offer_timeout - master_now(m);
	m->offer_timer = loop_timer_start(m->loop, delay, offers_expire, m);
}

/* ---- the allocation pass ---- */

static void
offers_send(master *m, master_framework *fw)
{
	for (size_t start = 0; start < fw->npending; start += MASTER_OFFERS_PER_MESSAGE) {
		size_t k = fw->npending - start;
		if (k > MASTER_OFFERS_PER_MESSAGE)
			k = MASTER_OFFERS_PER_MESSAGE;
		Mosaic__Offer *offers = xcalloc(k, sizeof(*offers));
		Mosaic__Offer **ptrs = xmalloc(k * sizeof(*ptrs));
		codec_res *res = xmalloc(k * sizeof(*res));
		for (size_t i = 0; i < k; i++) {
			master_offer *o = fw->pending[start + i];
			const Mosaic__AgentInfo *info = o->agent->info;
			Mosaic__Offer *p = &offers[i];
			mosaic__offer__init(p);
			p->id = o->id;
			p->framework_id = fw->id;
			p->agent_id = o->agent->id;
			p->hostname = info->hostname;
			p->resources = codec_res_to_pb(&res[i], &o->res);
			p->n_attributes = info->n_attributes;
			p->attributes = info->attributes;
			p->topology = info->topology;
			p->agent_http = info->http_address;
			ptrs[i] = p;
		}
		Mosaic__Offers msg = MOSAIC__OFFERS__INIT;
		msg.n_offers = k;
		msg.offers = ptrs;
		master_send(m, fw->address, MOSAIC__MESSAGE_TYPE__MSG_OFFERS, &msg.base);
		free(res);
		free(ptrs);
		free(offers);
	}
	fw->npending = 0;
}

size_t
master_offers_allocate(master *m)
{
	double now = master_now(m);
	allocator_offers_clear(&m->alloc_out);
	double t0 = mosaic_mono_now();
	size_t n = allocator_allocate(m->alloc, now, &m->alloc_out);
	double dt = mosaic_mono_now() - t0;
	m->counters.allocation_passes++;
	m->counters.allocation_seconds_total += dt;
	m->counters.allocation_seconds_last = dt;
	if (dt > m->counters.allocation_seconds_max)
		m->counters.allocation_seconds_max = dt;
	if (n == 0)
		return 0;
	/* Group by framework: one Offers message each for the whole pass. */
	master_framework **touched = xmalloc(n * sizeof(*touched));
	size_t ntouched = 0, made = 0;
	for (size_t i = 0; i < n; i++) {
		const allocator_offer *ao = &m->alloc_out.items[i];
		master_framework *fw = master_framework_find(m, ao->framework_id);
		master_agent *a = master_agent_find(m, ao->agent_id);
		if (!fw || !a || !a->active || !fw->connected) {
			/* The allocator and the master disagree: give it back
			 * rather than offer to someone who cannot use it. */
			LOGE("allocator offered agent %s to framework %s, which the master cannot offer to",
			     ao->agent_id, ao->framework_id);
			allocator_recover(m->alloc, ao->framework_id, ao->agent_id, &ao->resources);
			allocator_offer_ended(m->alloc, ao->framework_id, ao->agent_id, &ao->resources);
			continue;
		}
		master_offer *o = xcalloc(1, sizeof(*o));
		do
			id_new(o->id, "offer");
		while (master_offer_find(m, o->id));
		o->fw = fw;
		o->agent = a;
		o->res = ao->resources;
		o->created = now;
		offer_link(m, o);
		if (fw->npending == 0)
			touched[ntouched++] = fw;
		if (fw->npending == fw->cappending) {
			fw->cappending = fw->cappending ? 2 * fw->cappending : 16;
			fw->pending = xrealloc(fw->pending, fw->cappending * sizeof(*fw->pending));
		}
		fw->pending[fw->npending++] = o;
		made++;
	}
	for (size_t i = 0; i < ntouched; i++)
		offers_send(m, touched[i]);
	free(touched);
	m->counters.offers_sent += made;
	offers_arm_timer(m);
	return made;
}

void
master_on_decline(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__Decline *d = (const Mosaic__Decline *)msg;
	master_framework *fw = master_framework_from(m, from, "Decline");
	if (!fw)
		return;
	double refuse = d->filters ? d->filters->refuse_seconds : m->cfg.refuse_default;
	if (!isfinite(refuse) || refuse < 0) {
		master_reject(m, from, "Decline from framework %s with refuse_seconds %g", fw->id, refuse);
		master_send_error(m, from, "Decline: refuse_seconds must be a number >= 0");
		return;
	}
	if (refuse > REFUSE_MAX)
		refuse = REFUSE_MAX;
	double now = master_now(m);
	size_t n = 0;
	for (size_t i = 0; i < d->n_offer_ids; i++) {
		master_offer *o = master_offer_find(m, d->offer_ids[i]);
		if (!o || o->fw != fw) {
			/* Usually rescinded while the Decline was on its way. */
			LOGD("framework %s declined offer %.64s, which it does not hold", fw->id,
			     d->offer_ids[i]);
			continue;
		}
		offer_recover(m, o);
		if (refuse > 0 && o->agent->in_allocator)
			allocator_filter(m->alloc, fw->id, o->agent->id, now + refuse);
		m->counters.offers_declined++;
		master_offer_discard(m, o);
		n++;
	}
	if (n)
		master_allocate_soon(m);
}
