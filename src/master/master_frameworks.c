/* master_frameworks.c - frameworks: subscription and re-subscription
 * (failover), keepalives and heartbeats, disconnection, removal after the
 * failover timeout or at Teardown, and recovery of the frameworks the
 * registry knows after a master restart. */
#include "master_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "log.h"
#include "mem.h"
#include "weights.h"

#define FAILOVER_MAX (365.0 * 86400.0)
#define GANG_MAX_TASKS 100000

master_framework *
master_framework_find(master *m, const char *id)
{
	return strmap_find(&m->frameworks, id);
}

static const char *
framework_role(const Mosaic__FrameworkInfo *fi)
{
	return fi->role ? fi->role : "*";
}

static bool
framework_info_check(const Mosaic__FrameworkInfo *fi, char *why, size_t len)
{
	if (!master_text_ok(fi->name, MASTER_NAME_MAX) || !fi->name[0]) {
		snprintf(why, len, "framework name missing, too long or not printable");
		return false;
	}
	if (!weights_role_valid(framework_role(fi))) {
		snprintf(why, len, "role must be '*' or 1-63 characters of [A-Za-z0-9._-]");
		return false;
	}
	if ((fi->principal && !master_text_ok(fi->principal, MASTER_NAME_MAX)) ||
	    (fi->user && !master_text_ok(fi->user, MASTER_NAME_MAX)) ||
	    (fi->hostname && !master_text_ok(fi->hostname, MASTER_NAME_MAX))) {
		snprintf(why, len, "principal, user or hostname too long or not printable");
		return false;
	}
	if (fi->has_failover_timeout && (!isfinite(fi->failover_timeout) || fi->failover_timeout < 0 ||
	                                 fi->failover_timeout > FAILOVER_MAX)) {
		snprintf(why, len, "failover_timeout must be between 0 and one year (seconds)");
		return false;
	}
	return true;
}

static char *
framework_dup(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static void
framework_set_info(master_framework *fw, const Mosaic__FrameworkInfo *fi)
{
	free(fw->name);
	free(fw->principal);
	free(fw->user);
	free(fw->hostname);
	fw->name = xstrdup(fi->name);
	fw->principal = framework_dup(fi->principal);
	fw->user = framework_dup(fi->user);
	fw->hostname = framework_dup(fi->hostname);
	fw->failover_timeout = fi->has_failover_timeout ? fi->failover_timeout : 0;
}

void
master_framework_info(const master_framework *fw, Mosaic__FrameworkInfo *out)
{
	mosaic__framework_info__init(out);
	out->id = (char *)fw->id;
	out->name = fw->name;
	out->role = fw->role;
	out->principal = fw->principal;
	out->has_failover_timeout = 1;
	out->failover_timeout = fw->failover_timeout;
	out->user = fw->user;
	out->hostname = fw->hostname;
}

static void
framework_persist(master *m, master_framework *fw)
{
	Mosaic__FrameworkInfo fi;
	master_framework_info(fw, &fi);
	if (registry_framework_put(m->reg, &fi) != 0)
		LOGE("registry: cannot record framework %s; a restarted master will not know it", fw->id);
}

static master_framework *
framework_create(master *m, const char *id, const Mosaic__FrameworkInfo *fi)
{
	master_framework *fw = xcalloc(1, sizeof(*fw));
	snprintf(fw->id, sizeof(fw->id), "%s", id);
	fw->role = xstrdup(framework_role(fi));
	framework_set_info(fw, fi);
	strmap_init(&fw->tasks);
	fw->registered_time = mosaic_wall_now();
	fw->last_seen = master_now(m);
	strmap_put(&m->frameworks, fw->id, fw);
	fw->prev = m->fw_tail;
	if (m->fw_tail)
		m->fw_tail->next = fw;
	else
		m->fw_head = fw;
	m->fw_tail = fw;
	int rv = allocator_add_framework(m->alloc, fw->id, fw->role);
	if (rv)
		LOGE("allocator: cannot add framework %s: %s", fw->id, mosaic_strerror(rv));
	return fw;
}

static double
framework_failover(const master_framework *fw)
{
	return fw->failover_timeout > fw->min_failover ? fw->failover_timeout : fw->min_failover;
}

static void
framework_disconnect(master *m, master_framework *fw, const char *why)
{
	if (!fw->connected)
		return;
	fw->connected = false;
	fw->disconnected_at = master_now(m);
	m->counters.frameworks_disconnected++;
	LOGI("framework %s (%s) disconnected: %s; removed in %.0f s unless it re-subscribes", fw->id,
	     fw->name, why, framework_failover(fw));
	/* No Rescind goes out: it is presumed gone, and a re-subscription
	 * starts from no offers. */
	master_offers_rescind_framework(m, fw, true);
	allocator_deactivate_framework(m->alloc, fw->id);
	master_allocate_soon(m);
}

/* One framework per address: a framework subscribing from an address
 * takes it from whichever framework had it (that process is gone). */
static void
framework_set_address(master *m, master_framework *fw, const char *addr)
{
	if (strcmp(fw->address, addr) == 0 && strmap_find(&m->frameworks_by_addr, addr) == fw)
		return;
	if (fw->address[0] && strmap_find(&m->frameworks_by_addr, fw->address) == fw)
		strmap_del(&m->frameworks_by_addr, fw->address);
	master_framework *other = strmap_find(&m->frameworks_by_addr, addr);
	if (other) {
		strmap_del(&m->frameworks_by_addr, addr);
		framework_disconnect(m, other, "another framework subscribed from its address");
		other->address[0] = '\0';
	}
	snprintf(fw->address, sizeof(fw->address), "%s", addr);
	strmap_put(&m->frameworks_by_addr, fw->address, fw);
}

static void
framework_send_subscribed(master *m, master_framework *fw)
{
	Mosaic__Subscribed s = MOSAIC__SUBSCRIBED__INIT;
	s.framework_id = fw->id;
	s.has_heartbeat_interval = 1;
	s.heartbeat_interval = m->cfg.heartbeat_interval;
	s.master_id = m->id;
	master_send(m, fw->address, MOSAIC__MESSAGE_TYPE__MSG_SUBSCRIBED, &s.base);
}

static void
framework_refuse(master *m, const char *from, const char *why)
{
	master_reject(m, from, "Subscribe refused: %s", why);
	master_send_error(m, from, "subscribe refused: %s", why);
}

void
master_on_subscribe(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__Subscribe *s = (const Mosaic__Subscribe *)msg;
	const Mosaic__FrameworkInfo *fi = s->framework;
	char why[256], safe[96];
	if (!master_addr_valid(from)) {
		master_reject(m, from, "Subscribe from an address we cannot answer");
		return;
	}
	if (!framework_info_check(fi, why, sizeof(why))) {
		framework_refuse(m, from, why);
		return;
	}
	const char *role = framework_role(fi);
	master_framework *fw;
	bool fresh = false;
	if (fi->id) {
		if (!id_valid(fi->id)) {
			snprintf(why, sizeof(why), "framework id '%s' is not valid",
			         master_safe(fi->id, safe, sizeof(safe)));
			framework_refuse(m, from, why);
			return;
		}
		fw = master_framework_find(m, fi->id);
		if (!fw && registry_framework_removed(m->reg, fi->id)) {
			snprintf(why, sizeof(why),
			         "framework %s was removed; subscribe without an id to start anew", fi->id);
			framework_refuse(m, from, why);
			return;
		}
		if (fw && strcmp(fw->role, role) != 0) {
			snprintf(why, sizeof(why),
			         "framework %s has role %s; re-subscribing cannot change it to %s", fw->id,
			         fw->role, role);
			framework_refuse(m, from, why);
			return;
		}
		if (!fw) {
			LOGW("framework %s is not known to this master; accepting its re-subscription",
			     fi->id);
			fw = framework_create(m, fi->id, fi);
			fresh = true;
		}
	} else {
		fw = strmap_find(&m->frameworks_by_addr, from);
		if (fw && fw->connected && strcmp(fw->name, fi->name) == 0) {
			/* A retry of a Subscribe whose answer was lost. */
			LOGD("framework %s subscribed again from %s; repeating its id", fw->id, from);
			fw->last_seen = master_now(m);
			framework_send_subscribed(m, fw);
			return;
		}
		char id[MOSAIC_ID_MAX];
		do
			id_new(id, "fw");
		while (master_framework_find(m, id) || registry_framework_removed(m->reg, id));
		fw = framework_create(m, id, fi);
		fresh = true;
	}
	/* A new scheduler instance (new address, or back after a disconnect)
	 * does not know the offers the old one had. */
	if (strcmp(fw->address, from) != 0 || !fw->connected)
		master_offers_rescind_framework(m, fw, true);
	/* Back after a disconnect (a partition, say): our connection to it
	 * has been retransmitting into the void and TCP backs off, up to as
	 * long as it was away. Answer on a fresh one, dialled now that it is
	 * reachable. Not for a retry while connected: that would drop what we
	 * queued for it since. */
	if (!fresh && !fw->connected && m->msgr)
		messenger_forget(m->msgr, from);
	framework_set_info(fw, fi);
	framework_set_address(m, fw, from);
	fw->connected = true;
	fw->last_seen = master_now(m);
	fw->min_failover = 0;
	allocator_activate_framework(m->alloc, fw->id);
	if (s->has_suppressed && s->suppressed) {
		allocator_suppress(m->alloc, fw->id);
		fw->suppressed = true;
	} else {
		allocator_revive(m->alloc, fw->id);
		fw->suppressed = false;
	}
	framework_persist(m, fw);
	m->counters.frameworks_subscribed++;
	framework_send_subscribed(m, fw);
	LOGI("framework %s (%s, role %s) %s from %s; %zu active tasks", fw->id, fw->name, fw->role,
	     fresh ? "subscribed" : "re-subscribed", from, fw->nactive);
	master_allocate_soon(m);
}

master_framework *
master_framework_from(master *m, const char *from, const char *what)
{
	master_framework *fw = strmap_find(&m->frameworks_by_addr, from);
	if (!fw) {
		char safe[96];
		master_reject(m, from, "%s from an address with no subscribed framework", what);
		master_send_error(m, from,
		                  "%s ignored: no framework is subscribed from %s; send Subscribe first",
		                  what, master_safe(from, safe, sizeof(safe)));
		return NULL;
	}
	/* Any message is a sign of life, not only Keepalive: under load a
	 * busy framework's keepalives queue behind its other messages. */
	if (fw->connected)
		fw->last_seen = master_now(m);
	return fw;
}

void
master_on_keepalive(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__Keepalive *k = (const Mosaic__Keepalive *)msg;
	char safe[96];
	master_framework *fw = id_valid(k->framework_id) ? master_framework_find(m, k->framework_id) : NULL;
	if (!fw) {
		bool removed =
		    id_valid(k->framework_id) && registry_framework_removed(m->reg, k->framework_id);
		master_reject(m, from, "Keepalive of unknown framework '%s'",
		              master_safe(k->framework_id, safe, sizeof(safe)));
		master_send_error(m, from, "framework %s %s",
		                  master_safe(k->framework_id, safe, sizeof(safe)),
		                  removed ? "was removed" : "is not subscribed");
		return;
	}
	if (!fw->connected) {
		/* Disconnected, or recovered after a master restart: it gets no
		 * heartbeats, notices and re-subscribes; a keepalive alone does
		 * not bring it back. */
		LOGD("keepalive of framework %s, which is not connected; waiting for it to re-subscribe",
		     fw->id);
		return;
	}
	if (strcmp(fw->address, from) != 0) {
		master_reject(m, from, "Keepalive of framework %s, which is subscribed from %s", fw->id,
		              fw->address);
		return;
	}
	fw->last_seen = master_now(m);
}

void
master_on_teardown(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	master_framework *fw = master_framework_from(m, from, "Teardown");
	if (fw)
		master_framework_remove(m, fw, "teardown");
}

static bool
framework_role_matches(master *m, master_framework *fw, const char *role, const char *what, const char *from)
{
	char safe[96];
	if (!role || strcmp(role, fw->role) == 0)
		return true;
	master_reject(m, from, "%s for role '%s' from framework %s of role %s", what,
	              master_safe(role, safe, sizeof(safe)), fw->id, fw->role);
	master_send_error(m, from, "%s: framework %s has role %s, not %s", what, fw->id, fw->role,
	                  master_safe(role, safe, sizeof(safe)));
	return false;
}

void
master_on_suppress(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__Suppress *s = (const Mosaic__Suppress *)msg;
	master_framework *fw = master_framework_from(m, from, "Suppress");
	if (!fw || !framework_role_matches(m, fw, s->role, "Suppress", from))
		return;
	allocator_suppress(m->alloc, fw->id);
	fw->suppressed = true;
	LOGD("framework %s suppressed offers", fw->id);
}

void
master_on_revive(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__Revive *r = (const Mosaic__Revive *)msg;
	master_framework *fw = master_framework_from(m, from, "Revive");
	if (!fw || !framework_role_matches(m, fw, r->role, "Revive", from))
		return;
	allocator_revive(m->alloc, fw->id);
	fw->suppressed = false;
	LOGD("framework %s revived offers", fw->id);
	master_allocate_soon(m);
}

/* The MPI framework's wish for a gang that has not found room yet: the
 * allocator holds freed resources for the oldest starving gang (see
 * allocator.h), so large gangs do not starve behind streams of small jobs. */
void
master_on_gang_demand(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__GangDemand *g = (const Mosaic__GangDemand *)msg;
	master_framework *fw = master_framework_from(m, from, "GangDemand");
	if (!fw)
		return;
	if (g->has_cancel && g->cancel) {
		master_framework_clear_gang(m, fw);
		return;
	}
	mosaic_resources per_task;
	double wall = mosaic_wall_now();
	if (codec_res_from_pb(&per_task, g->per_task) != 0 || res_is_empty(&per_task) || g->tasks < 1 ||
	    g->tasks > GANG_MAX_TASKS || (g->has_since && (!isfinite(g->since) || g->since > wall + 60))) {
		master_reject(m, from, "GangDemand of framework %s with bad resources, size or time", fw->id);
		master_send_error(
		    m, from,
		    "GangDemand: per_task must be valid and non-empty, tasks 1-%d, since a past time",
		    GANG_MAX_TASKS);
		return;
	}
	double since = g->has_since ? g->since : wall;
	/* The allocator queues gangs by age on its own clock: convert once
	 * per gang, so that repeated declarations keep their exact place. */
	if (!fw->gang_wanted || since != fw->gang_since) {
		double age = wall - since;
		fw->gang_since_loop = master_now(m) - (age > 0 ? age : 0);
	}
	int rv = allocator_set_demand(m->alloc, fw->id, &per_task, g->tasks, fw->gang_since_loop);
	if (rv) {
		LOGE("allocator: cannot record the gang demand of framework %s: %s", fw->id,
		     mosaic_strerror(rv));
		return;
	}
	if (!fw->gang_wanted)
		LOGI("framework %s waits for a gang of %u tasks", fw->id, g->tasks);
	fw->gang_wanted = true;
	fw->gang_per_task = per_task;
	fw->gang_tasks = g->tasks;
	fw->gang_since = since;
	master_allocate_soon(m);
}

void
master_framework_clear_gang(master *m, master_framework *fw)
{
	if (!fw->gang_wanted)
		return;
	allocator_clear_demand(m->alloc, fw->id);
	fw->gang_wanted = false;
	master_allocate_soon(m);
}

void
master_on_framework_message(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	master_framework *fw = master_framework_from(m, from, "FrameworkMessage");
	if (!fw)
		return;
	/* agent.proto has no message to carry it to an executor. */
	master_reject(m, from, "FrameworkMessage from framework %s: not supported", fw->id);
	master_send_error(m, from, "FrameworkMessage is not supported: agents have no route for it");
}

void
master_frameworks_heartbeat_tick(master *m)
{
	double now = master_now(m);
	master_framework *next;
	for (master_framework *fw = m->fw_head; fw; fw = next) {
		next = fw->next;
		if (fw->connected) {
			if (now - fw->last_seen <= m->cfg.keepalive_timeout) {
				Mosaic__Heartbeat hb = MOSAIC__HEARTBEAT__INIT;
				hb.has_interval = 1;
				hb.interval = m->cfg.heartbeat_interval;
				master_send(m, fw->address, MOSAIC__MESSAGE_TYPE__MSG_HEARTBEAT, &hb.base);
				continue;
			}
			char why[96];
			snprintf(why, sizeof(why), "no keepalive for %.1f s", now - fw->last_seen);
			framework_disconnect(m, fw, why);
		}
		if (now - fw->disconnected_at >= framework_failover(fw))
			master_framework_remove(m, fw, "failover timeout passed");
	}
}

static void
framework_free(master_framework *fw)
{
	master_tasks_free(fw);
	strmap_fini(&fw->tasks);
	free(fw->name);
	free(fw->role);
	free(fw->principal);
	free(fw->user);
	free(fw->hostname);
	free(fw->pending);
	free(fw);
}

void
master_framework_remove(master *m, master_framework *fw, const char *why)
{
	LOGI("framework %s (%s) removed: %s; shutting down its %zu active tasks", fw->id, fw->name, why,
	     fw->nactive);
	/* Removing it from the allocator gives back everything it held,
	 * offers included, so offers are only discarded here. */
	while (fw->offers)
		master_offer_discard(m, fw->offers);
	/* Every agent is told, as in Mesos: not only those running its
	 * tasks now - where its tasks have all ended, its executor would
	 * otherwise wait for more until its idle timeout. */
	for (master_agent *a = m->agent_head; a; a = a->next) {
		if (!a->active)
			continue;
		Mosaic__ShutdownFramework s = MOSAIC__SHUTDOWN_FRAMEWORK__INIT;
		s.framework_id = fw->id;
		master_send(m, a->address, MOSAIC__MESSAGE_TYPE__MSG_SHUTDOWN_FRAMEWORK, &s.base);
	}
	char why_task[160];
	snprintf(why_task, sizeof(why_task), "framework removed: %s", why);
	allocator_remove_framework(m->alloc, fw->id);
	master_tasks_archive(m, fw, why_task); /* withholds what its live tasks use */
	if (registry_framework_del(m->reg, fw->id, mosaic_wall_now()) != 0)
		LOGE("registry: cannot record the removal of framework %s", fw->id);
	if (fw->address[0] && strmap_find(&m->frameworks_by_addr, fw->address) == fw)
		strmap_del(&m->frameworks_by_addr, fw->address);
	strmap_del(&m->frameworks, fw->id);
	if (fw->prev)
		fw->prev->next = fw->next;
	else
		m->fw_head = fw->next;
	if (fw->next)
		fw->next->prev = fw->prev;
	else
		m->fw_tail = fw->prev;
	m->counters.frameworks_removed++;
	framework_free(fw);
	master_allocate_soon(m);
}

master_framework *
master_framework_recover(master *m, const Mosaic__FrameworkInfo *info, bool persist)
{
	char why[256];
	if (!info->id || !id_valid(info->id) || !framework_info_check(info, why, sizeof(why))) {
		LOGW("not recovering a framework with a bad id or info");
		return NULL;
	}
	master_framework *fw = master_framework_find(m, info->id);
	if (fw)
		return fw;
	if (registry_framework_removed(m->reg, info->id))
		return NULL;
	fw = framework_create(m, info->id, info);
	fw->connected = false;
	fw->disconnected_at = master_now(m);
	fw->min_failover = m->cfg.recovery_grace;
	allocator_deactivate_framework(m->alloc, fw->id);
	if (persist)
		framework_persist(m, fw);
	LOGI("framework %s (%s, role %s) recovered; it has %.0f s to re-subscribe", fw->id, fw->name,
	     fw->role, framework_failover(fw));
	return fw;
}

static void
framework_recover_cb(void *arg, const Mosaic__FrameworkInfo *info)
{
	master_framework_recover(arg, info, false);
}

void
master_frameworks_recover_registry(master *m)
{
	registry_frameworks_scan(m->reg, framework_recover_cb, m);
}

void
master_frameworks_free(master *m)
{
	master_framework *fw = m->fw_head;
	while (fw) {
		master_framework *next = fw->next;
		while (fw->offers)
			master_offer_discard(m, fw->offers);
		framework_free(fw);
		fw = next;
	}
	m->fw_head = m->fw_tail = NULL;
}
