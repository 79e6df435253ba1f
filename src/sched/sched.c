/* sched.c - the scheduler's lifecycle and its subscription: Subscribe with
 * back-off until Subscribed, Keepalive every heartbeat interval, and
 * re-subscription with the same id when the master falls silent. The
 * other messages in are handled in sched_recv.c, the calls out in
 * sched_calls.c, the framework's own timers and fds in sched_loop.c. */
#include "sched_internal.h"

#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "mem.h"
#include "mosaic.pb-c.h"
#include "operator.pb-c.h"
#include "sched_backoff.h"
#include "sched_loop.h"
#include "sched_recv.h"
#include "scheduler.pb-c.h"

#define DEFAULT_MASTER "tcp://127.0.0.1:5050"
#define DEFAULT_HEARTBEAT 1.0

int
sched_fail(mosaic_sched *s, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

int
sched_send(mosaic_sched *s, uint32_t type, const ProtobufCMessage *msg)
{
	if (!s->msgr)
		return sched_fail(s, MOSAIC_ESTATE, "not started");
	int rv = messenger_send(s->msgr, s->master, type, msg);
	if (rv != 0)
		return sched_fail(s, rv, "cannot send %s to %s: %s", msg->descriptor->short_name, s->master,
		                  mosaic_strerror(rv));
	return MOSAIC_OK;
}

/* ---- subscription ---------------------------------------------------- */

static double
random_unit(void)
{
	uint8_t b[MOSAIC_UUID_LEN];
	uuid_new(b);
	uint32_t v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return v / 4294967296.0;
}

static void
subscribe_send(mosaic_sched *s)
{
	Mosaic__FrameworkInfo fi = MOSAIC__FRAMEWORK_INFO__INIT;
	fi.id = s->fw_id[0] ? s->fw_id : NULL;
	fi.name = s->name;
	fi.role = s->role;
	fi.principal = s->principal;
	fi.user = s->user;
	fi.hostname = s->hostname;
	fi.has_failover_timeout = 1;
	fi.failover_timeout = s->failover_timeout;
	Mosaic__Subscribe sub = MOSAIC__SUBSCRIBE__INIT;
	sub.framework = &fi;
	sub.has_suppressed = 1;
	sub.suppressed = s->suppressed;
	/* A retry drops the pipe and whatever it still queues, so a master
	 * that comes up late gets one Subscribe, not a burst of them. */
	if (s->attempt > 0)
		messenger_forget(s->msgr, s->master);
	if (sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_SUBSCRIBE, &sub.base) != 0)
		LOGW("%s", s->errmsg);
}

static void
subscribe_retry(mosaic_loop *loop, void *arg)
{
	mosaic_sched *s = arg;
	s->subscribe_timer = 0;
	if (s->state != SCHED_SUBSCRIBING)
		return;
	if (s->attempt > 0)
		LOGI("no answer from the master at %s yet; subscribing again (attempt %u)", s->master,
		     s->attempt + 1);
	subscribe_send(s);
	double delay = sched_backoff_delay(s->attempt, SCHED_BACKOFF_MIN, SCHED_BACKOFF_MAX, random_unit());
	s->attempt++;
	s->subscribe_timer = loop_timer_start(loop, delay, subscribe_retry, s);
}

static void
subscribe_begin(mosaic_sched *s)
{
	s->state = SCHED_SUBSCRIBING;
	s->attempt = 0;
	loop_timer_cancel(s->loop, s->subscribe_timer);
	subscribe_retry(s->loop, s);
}

static void
rescind_one(void *arg, const char *offer_id)
{
	mosaic_sched *s = arg;
	if (s->cb.rescinded)
		s->cb.rescinded(s, s->arg, offer_id);
}

/* The master has been silent for three heartbeat intervals: it failed
 * over or restarted. Its offers are void; subscribe again, same id. */
static void
master_lost(mosaic_sched *s)
{
	LOGW("no heartbeat from the master at %s for %.1f s; subscribing again as %s", s->master,
	     loop_now(s->loop) - s->last_heard, s->fw_id);
	s->state = SCHED_SUBSCRIBING;
	sched_offers_drain(&s->offers, NULL, rescind_one, s);
	if (s->cb.disconnected && s->state == SCHED_SUBSCRIBING)
		s->cb.disconnected(s, s->arg);
	if (s->state == SCHED_SUBSCRIBING)
		subscribe_begin(s);
}

static void
tick(mosaic_loop *loop, void *arg)
{
	mosaic_sched *s = arg;
	s->tick_timer = 0;
	double now = loop_now(loop);
	if (s->state == SCHED_SUBSCRIBED) {
		if (now - s->last_heard > SCHED_MISSED_HEARTBEATS * s->heartbeat_interval) {
			master_lost(s);
		} else if (now - s->last_keepalive >= 0.9 * s->heartbeat_interval) {
			Mosaic__Keepalive k = MOSAIC__KEEPALIVE__INIT;
			k.framework_id = s->fw_id;
			sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_KEEPALIVE, &k.base);
			s->last_keepalive = now;
		}
	}
	if (s->state == SCHED_TORN_DOWN)
		return;
	double every = s->heartbeat_interval / 2;
	every = every < 0.05 ? 0.05 : every > 0.5 ? 0.5 : every;
	s->tick_timer = loop_timer_start(loop, every, tick, s);
}

static void
on_subscribed(void *ctx, const char *from, const ProtobufCMessage *m)
{
	mosaic_sched *s = ctx;
	const Mosaic__Subscribed *msg = (const Mosaic__Subscribed *)m;
	if (!sched_recv_accepting(s))
		return;
	s->last_heard = loop_now(s->loop);
	if (s->state == SCHED_SUBSCRIBED) {
		/* The answer to a retried Subscribe. */
		if (strcmp(s->fw_id, msg->framework_id) != 0)
			LOGW("master answered a repeated Subscribe with id %s; keeping %s", msg->framework_id,
			     s->fw_id);
		return;
	}
	if (!id_valid(msg->framework_id)) {
		LOGW("ignoring Subscribed with an invalid framework id");
		return;
	}
	snprintf(s->fw_id, sizeof(s->fw_id), "%s", msg->framework_id);
	if (msg->has_heartbeat_interval && isfinite(msg->heartbeat_interval) && msg->heartbeat_interval > 0)
		s->heartbeat_interval = msg->heartbeat_interval;
	s->state = SCHED_SUBSCRIBED;
	loop_timer_cancel(s->loop, s->subscribe_timer);
	s->subscribe_timer = 0;
	s->attempt = 0;
	s->last_keepalive = 0;
	bool again = s->ever_subscribed;
	s->ever_subscribed = true;
	LOGI("%s as framework %s (%s) at %s", again ? "subscribed again" : "subscribed", s->fw_id, s->name,
	     s->master);
	if (again && s->cb.reconnected)
		s->cb.reconnected(s, s->arg, s->fw_id);
	else if (!again && s->cb.subscribed)
		s->cb.subscribed(s, s->arg, s->fw_id);
}

static void
on_heartbeat(void *ctx, const char *from, const ProtobufCMessage *m)
{
	mosaic_sched *s = ctx;
	const Mosaic__Heartbeat *msg = (const Mosaic__Heartbeat *)m;
	if (!sched_recv_accepting(s))
		return;
	s->last_heard = loop_now(s->loop);
	if (msg->has_interval && isfinite(msg->interval) && msg->interval > 0)
		s->heartbeat_interval = msg->interval;
}

static const messenger_route routes[] = {
    {MOSAIC__MESSAGE_TYPE__MSG_SUBSCRIBED, &mosaic__subscribed__descriptor, on_subscribed},
    {MOSAIC__MESSAGE_TYPE__MSG_HEARTBEAT, &mosaic__heartbeat__descriptor, on_heartbeat},
    {MOSAIC__MESSAGE_TYPE__MSG_OFFERS, &mosaic__offers__descriptor, sched_recv_offers},
    {MOSAIC__MESSAGE_TYPE__MSG_RESCIND, &mosaic__rescind__descriptor, sched_recv_rescind},
    {MOSAIC__MESSAGE_TYPE__MSG_UPDATE, &mosaic__update__descriptor, sched_recv_update},
    {MOSAIC__MESSAGE_TYPE__MSG_AGENT_LOST, &mosaic__agent_lost__descriptor, sched_recv_agent_lost},
    {MOSAIC__MESSAGE_TYPE__MSG_ERROR, &mosaic__error__descriptor, sched_recv_error},
    {MOSAIC__MESSAGE_TYPE__MSG_ACCEPT_RESULT, &mosaic__accept_result__descriptor, sched_recv_accept_result},
    {MOSAIC__MESSAGE_TYPE__MSG_STATE, &mosaic__state__descriptor, sched_recv_state},
};

/* ---- lifecycle ------------------------------------------------------- */

static char *
dup_or(const char *s, const char *dflt)
{
	return s && *s ? xstrdup(s) : dflt ? xstrdup(dflt) : NULL;
}

static int
config_error(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return MOSAIC_EINVAL;
}

int
mosaic_sched_new(mosaic_sched **out, const mosaic_sched_config *cfg, char *err, size_t errlen)
{
	const mosaic_sched_framework *fw = &cfg->framework;
	if (!fw->name || !*fw->name)
		return config_error(err, errlen, "the framework needs a name");
	if (fw->id && *fw->id && !id_valid(fw->id))
		return config_error(err, errlen, "the framework id to re-subscribe with is invalid");
	if (!isfinite(fw->failover_timeout) || fw->failover_timeout < 0)
		return config_error(err, errlen, "failover_timeout must be a non-negative number of seconds");
	const char *master = cfg->master && *cfg->master ? cfg->master : getenv("MOSAIC_MASTER");
	if (!master || !*master)
		master = DEFAULT_MASTER;
	if (!strstr(master, "://") || strlen(master) >= MESSENGER_ADDR_MAX)
		return config_error(err, errlen, "the master address must look like tcp://host:port");

	mosaic_sched *s = xcalloc(1, sizeof(*s));
	if (loop_new(&s->loop) != 0) {
		free(s);
		config_error(err, errlen, "cannot create the event loop");
		return MOSAIC_EIO;
	}
	if (cfg->callbacks)
		s->cb = *cfg->callbacks;
	s->arg = cfg->arg;
	snprintf(s->master, sizeof(s->master), "%s", master);
	if (cfg->listen && *cfg->listen) {
		snprintf(s->listen, sizeof(s->listen), "%s", cfg->listen);
	} else {
		const char *host = getenv("MOSAIC_LISTEN_HOST");
		snprintf(s->listen, sizeof(s->listen), "tcp://%s:0", host && *host ? host : "127.0.0.1");
	}
	s->name = xstrdup(fw->name);
	s->role = dup_or(fw->role, "*");
	s->principal = dup_or(fw->principal, NULL);
	const struct passwd *pw = getpwuid(geteuid());
	s->user = dup_or(fw->user, pw ? pw->pw_name : getenv("USER"));
	char host[256] = "";
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = '\0';
	s->hostname = dup_or(fw->hostname, host[0] ? host : NULL);
	s->failover_timeout = fw->failover_timeout;
	if (fw->id && *fw->id)
		snprintf(s->fw_id, sizeof(s->fw_id), "%s", fw->id);
	s->explicit_acks = cfg->explicit_acks;
	s->suppressed = fw->suppressed;
	s->heartbeat_interval = DEFAULT_HEARTBEAT;
	s->state = SCHED_NEW;
	sched_offers_init(&s->offers);
	sched_dedup_init(&s->dedup, SCHED_DEDUP_CAPACITY, SCHED_DEDUP_TTL);
	*out = s;
	return MOSAIC_OK;
}

int
mosaic_sched_start(mosaic_sched *s)
{
	if (s->state == SCHED_TORN_DOWN)
		return sched_fail(s, MOSAIC_ESTATE, "torn down");
	if (s->state != SCHED_NEW)
		return MOSAIC_OK;
	char err[256];
	int rv = messenger_open(&s->msgr, s->loop, s->listen, routes, sizeof(routes) / sizeof(routes[0]), s,
	                        err, sizeof(err));
	if (rv != 0)
		return sched_fail(s, rv, "%s", err);
	LOGI("framework %s listening at %s; master %s", s->name, messenger_address(s->msgr), s->master);
	s->last_heard = loop_now(s->loop);
	subscribe_begin(s);
	tick(s->loop, s);
	return MOSAIC_OK;
}

int
mosaic_sched_run(mosaic_sched *s)
{
	int rv = mosaic_sched_start(s);
	if (rv != 0)
		return rv;
	return loop_run(s->loop);
}

void
mosaic_sched_run_once(mosaic_sched *s, double timeout)
{
	loop_run_once(s->loop, timeout);
}

void
mosaic_sched_stop(mosaic_sched *s)
{
	loop_stop(s->loop);
}

/* Wait until the master has handled everything sent so far: it handles
 * one peer's messages in order, so its answer to a GetState sent last
 * means the ones before were taken. */
static void
flush(mosaic_sched *s)
{
	bool heard = loop_now(s->loop) - s->last_heard <= SCHED_MISSED_HEARTBEATS * s->heartbeat_interval;
	if (!s->msgr || s->state == SCHED_NEW || (!heard && s->state != SCHED_TORN_DOWN))
		return;
	Mosaic__GetState gs = MOSAIC__GET_STATE__INIT;
	gs.has_include_tasks = 1;
	gs.include_tasks = 0;
	gs.has_include_completed = 1;
	gs.include_completed = 0;
	s->flushed = false;
	if (sched_send(s, MOSAIC__MESSAGE_TYPE__MSG_GET_STATE, &gs.base) != 0)
		return;
	double end = mosaic_mono_now() + SCHED_FLUSH_SECONDS;
	while (!s->flushed && mosaic_mono_now() < end)
		loop_run_once(s->loop, 0.05);
	if (!s->flushed)
		LOGD("the master did not confirm the last messages within %.0f s", SCHED_FLUSH_SECONDS);
}

void
mosaic_sched_free(mosaic_sched *s)
{
	if (!s)
		return;
	/* Nothing of the framework's may run while it is being freed; updates
	 * arriving now stay unacknowledged and come to the next incarnation. */
	s->closing = true;
	memset(&s->cb, 0, sizeof(s->cb));
	sched_loop_release(s);
	loop_timer_cancel(s->loop, s->tick_timer);
	loop_timer_cancel(s->loop, s->subscribe_timer);
	flush(s);
	messenger_close(s->msgr);
	loop_free(s->loop);
	sched_loop_free_signals(s);
	sched_offers_fini(&s->offers);
	sched_dedup_fini(&s->dedup);
	free(s->name);
	free(s->role);
	free(s->principal);
	free(s->user);
	free(s->hostname);
	free(s);
}

/* ---- what the scheduler knows ---------------------------------------- */

const char *
mosaic_sched_framework_id(const mosaic_sched *s)
{
	return s->fw_id[0] ? s->fw_id : NULL;
}

bool
mosaic_sched_connected(const mosaic_sched *s)
{
	return s->state == SCHED_SUBSCRIBED;
}

const char *
mosaic_sched_master(const mosaic_sched *s)
{
	return s->master;
}

const char *
mosaic_sched_address(const mosaic_sched *s)
{
	return s->msgr ? messenger_address(s->msgr) : "";
}

const char *
mosaic_sched_last_error(const mosaic_sched *s)
{
	return s->errmsg;
}
