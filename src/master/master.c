/* master.c - the master's core: life cycle, the one dispatch table, the
 * timers that drive allocation, pings and heartbeats, and the plumbing the
 * handlers share (sending, rejecting bad input). The handlers themselves
 * live in master_agents.c, master_frameworks.c, master_offers.c,
 * master_accept.c, master_tasks.c and master_state.c. */
#include "master_impl.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "mem.h"

/* Every message the master accepts: type -> payload -> handler. Anything
 * else is dropped and counted by the messenger. */
/* clang-format off */
static const messenger_route master_routes[] = {
	/* framework -> master */
	{.type = MOSAIC__MESSAGE_TYPE__MSG_SUBSCRIBE, .desc = &mosaic__subscribe__descriptor,
	    .fn = master_on_subscribe},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_ACCEPT, .desc = &mosaic__accept__descriptor,
	    .fn = master_on_accept},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_DECLINE, .desc = &mosaic__decline__descriptor,
	    .fn = master_on_decline},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_REVIVE, .desc = &mosaic__revive__descriptor,
	    .fn = master_on_revive},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_SUPPRESS, .desc = &mosaic__suppress__descriptor,
	    .fn = master_on_suppress},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_KILL, .desc = &mosaic__kill__descriptor,
	    .fn = master_on_kill},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_ACKNOWLEDGE, .desc = &mosaic__acknowledge__descriptor,
	    .fn = master_on_acknowledge},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_RECONCILE, .desc = &mosaic__reconcile__descriptor,
	    .fn = master_on_reconcile},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_TEARDOWN, .desc = &mosaic__teardown__descriptor,
	    .fn = master_on_teardown},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_KEEPALIVE, .desc = &mosaic__keepalive__descriptor,
	    .fn = master_on_keepalive},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_FRAMEWORK_MESSAGE, .desc = &mosaic__framework_message__descriptor,
	    .fn = master_on_framework_message},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_GANG_DEMAND, .desc = &mosaic__gang_demand__descriptor,
	    .fn = master_on_gang_demand},
	/* agent -> master */
	{.type = MOSAIC__MESSAGE_TYPE__MSG_REGISTER_AGENT, .desc = &mosaic__register_agent__descriptor,
	    .fn = master_on_register_agent},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_REREGISTER_AGENT, .desc = &mosaic__reregister_agent__descriptor,
	    .fn = master_on_reregister_agent},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_PONG, .desc = &mosaic__pong__descriptor,
	    .fn = master_on_pong},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_STATUS_UPDATE, .desc = &mosaic__status_update__descriptor,
	    .fn = master_on_status_update},
	{.type = MOSAIC__MESSAGE_TYPE__MSG_UPDATE_AGENT, .desc = &mosaic__update_agent__descriptor,
	    .fn = master_on_update_agent},
	/* operator -> master */
	{.type = MOSAIC__MESSAGE_TYPE__MSG_GET_STATE, .desc = &mosaic__get_state__descriptor,
	    .fn = master_on_get_state},
};
/* clang-format on */

#define MASTER_NROUTES (sizeof(master_routes) / sizeof(master_routes[0]))

void
master_config_init(master_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen = "tcp://127.0.0.1:5050";
	cfg->http = "127.0.0.1:5080";
	cfg->work_dir = "./mosaic-master-work";
	cfg->allocation_interval = 1.0;
	cfg->allocation_delay = 0.02;
	cfg->offer_timeout = 30.0;
	cfg->ping_interval = 1.0;
	cfg->max_missed_pings = 5;
	cfg->heartbeat_interval = 1.0;
	cfg->keepalive_timeout = 5.0;
	cfg->recovery_grace = 20.0;
	cfg->staging_grace = 10.0;
	cfg->refuse_default = 5.0;
	cfg->completed_tasks = 1000;
	allocator_config_init(&cfg->alloc);
}

static int
master_messenger_send(void *arg, const char *to, uint32_t type, const ProtobufCMessage *msg)
{
	return messenger_send(arg, to, type, msg);
}

/* ---- shared helpers ---- */

/* The clock the loop's timers use, read afresh: loop_now is cached per
 * loop turn, which is stale when a handler runs outside the loop
 * (master_handle from tests and benchmarks). */
double
master_now(master *m)
{
	return mosaic_mono_now();
}

int
master_send(master *m, const char *to, uint32_t type, const ProtobufCMessage *msg)
{
	if (!m->send_fn || !to || !*to)
		return MOSAIC_ENET;
	return m->send_fn(m->send_arg, to, type, msg);
}

void
master_send_error(master *m, const char *to, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!master_addr_valid(to))
		return;
	Mosaic__Error e = MOSAIC__ERROR__INIT;
	e.message = text;
	master_send(m, to, MOSAIC__MESSAGE_TYPE__MSG_ERROR, &e.base);
}

void
master_reject(master *m, const char *from, const char *fmt, ...)
{
	char text[512], safe[96];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	m->counters.messages_invalid++;
	LOGW("rejected a message from %s: %s", master_safe(from, safe, sizeof(safe)), text);
}

bool
master_addr_valid(const char *addr)
{
	if (!addr)
		return false;
	size_t n = strlen(addr);
	if (n < 7 || n >= MESSENGER_ADDR_MAX)
		return false;
	if (strncmp(addr, "tcp://", 6) != 0 && strncmp(addr, "ipc://", 6) != 0 &&
	    strncmp(addr, "tls+tcp://", 10) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)addr[i]))
			return false;
	return true;
}

const char *
master_safe(const char *s, char *buf, size_t len)
{
	if (!s)
		return "(null)";
	size_t i = 0;
	for (; s[i] && i + 1 < len; i++)
		buf[i] = isprint((unsigned char)s[i]) ? s[i] : '?';
	buf[i] = '\0';
	if (s[i] && len > 4)
		memcpy(buf + len - 4, "...", 4);
	return buf;
}

bool
master_text_ok(const char *s, size_t max)
{
	if (!s)
		return false;
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= max || (unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return false;
	return true;
}

/* Remember a weight for state output and give it to the allocator. */
bool
master_weight_set(master *m, const char *role, double weight)
{
	if (allocator_set_weight(m->alloc, role, weight) != 0)
		return false;
	for (size_t i = 0; i < m->role_weights.count; i++) {
		if (strcmp(m->role_weights.items[i].role, role) == 0) {
			m->role_weights.items[i].weight = weight;
			return true;
		}
	}
	size_t n = m->role_weights.count + 1;
	m->role_weights.items = xrealloc(m->role_weights.items, n * sizeof(weight_entry));
	snprintf(m->role_weights.items[n - 1].role, MOSAIC_ID_MAX, "%s", role);
	m->role_weights.items[n - 1].weight = weight;
	m->role_weights.count = n;
	return true;
}

/* ---- allocation scheduling ---- */

static void
master_alloc_soon_fire(mosaic_loop *loop, void *arg)
{
	master *m = arg;
	m->alloc_soon_timer = 0;
	master_allocate_now(m);
}

/* Events that free resources or add a client ask for a pass soon, never
 * inside the handler that asked. Passes are spaced at least
 * allocation_delay apart however many events arrive: the first event after
 * a quiet spell (no pass for allocation_delay) gets its pass at the end of
 * the loop round that brought it - a zero-delay timer, so every message of
 * that round is in it - rather than after a fixed wait (a framework that
 * subscribes to an idle cluster has its offers a round trip later); an
 * event that comes while passes are frequent waits for the next free slot,
 * so a storm of them is still one pass per allocation_delay. */
void
master_allocate_soon(master *m)
{
	if (!m->started || m->alloc_soon_timer)
		return;
	double wait = m->last_pass + m->cfg.allocation_delay - mosaic_mono_now();
	m->alloc_soon_timer = loop_timer_start(m->loop, wait > 0 ? wait : 0, master_alloc_soon_fire, m);
}

static void
master_alloc_tick(mosaic_loop *loop, void *arg)
{
	master *m = arg;
	m->alloc_timer = loop_timer_start(loop, m->cfg.allocation_interval, master_alloc_tick, m);
	master_allocate_now(m);
}

size_t
master_allocate_now(master *m)
{
	m->last_pass = mosaic_mono_now();
	return master_offers_allocate(m);
}

static void
master_ping_tick(mosaic_loop *loop, void *arg)
{
	master *m = arg;
	m->ping_timer = loop_timer_start(loop, m->cfg.ping_interval, master_ping_tick, m);
	master_agents_ping_tick(m);
}

static void
master_heartbeat_tick(mosaic_loop *loop, void *arg)
{
	master *m = arg;
	m->heartbeat_timer = loop_timer_start(loop, m->cfg.heartbeat_interval, master_heartbeat_tick, m);
	master_frameworks_heartbeat_tick(m);
}

/* ---- life cycle ---- */

static char *
master_strdup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static void
master_registry_weight(void *arg, const char *role, double weight)
{
	master_weight_set(arg, role, weight);
}

int
master_new(master **out, mosaic_loop *loop, const master_config *cfg, char *err, size_t errlen)
{
	if (!cfg->work_dir || !*cfg->work_dir) {
		snprintf(err, errlen, "no work directory");
		return MOSAIC_EINVAL;
	}
	master *m = xcalloc(1, sizeof(*m));
	m->loop = loop;
	m->cfg = *cfg;
	m->cfg_listen = master_strdup_or_null(cfg->listen);
	m->cfg_http = master_strdup_or_null(cfg->http);
	m->cfg_work_dir = xstrdup(cfg->work_dir);
	m->cfg_webui_dir = master_strdup_or_null(cfg->webui_dir);
	m->cfg.listen = m->cfg_listen;
	m->cfg.http = m->cfg_http;
	m->cfg.work_dir = m->cfg_work_dir;
	m->cfg.webui_dir = m->cfg_webui_dir;
	m->cfg.weights = NULL;
	if (m->cfg.max_missed_pings == 0)
		m->cfg.max_missed_pings = 1;
	id_new(m->id, "master");
	m->start_time = mosaic_wall_now();
	strmap_init(&m->agents);
	strmap_init(&m->agents_by_addr);
	strmap_init(&m->frameworks);
	strmap_init(&m->frameworks_by_addr);
	strmap_init(&m->offers);
	int rv = registry_open(&m->reg, m->cfg.work_dir, err, errlen);
	if (rv) {
		master_free(m);
		return rv;
	}
	m->alloc = allocator_new(&m->cfg.alloc);
	/* The registry's weights first, then the flag's, which override and
	 * are persisted so a restart without the flag keeps them. */
	registry_weights_scan(m->reg, master_registry_weight, m);
	if (cfg->weights) {
		for (size_t i = 0; i < cfg->weights->count; i++) {
			const weight_entry *w = &cfg->weights->items[i];
			if (!master_weight_set(m, w->role, w->weight) ||
			    registry_weight_put(m->reg, w->role, w->weight)) {
				snprintf(err, errlen, "cannot set weight %g of role %s", w->weight, w->role);
				master_free(m);
				return MOSAIC_EIO;
			}
		}
	}
	master_frameworks_recover_registry(m);
	*out = m;
	return MOSAIC_OK;
}

static char *
master_http_render(void *ctx, const char *path, const char **content_type)
{
	master *m = ctx;
	if (strcmp(path, "/metrics") == 0) {
		*content_type = "text/plain; version=0.0.4; charset=utf-8";
		return master_metrics_text(m);
	}
	*content_type = "application/json";
	return master_state_json(m);
}

int
master_start(master *m, char *err, size_t errlen)
{
	int rv;
	if (m->cfg.listen) {
		rv = messenger_open(&m->msgr, m->loop, m->cfg.listen, master_routes, MASTER_NROUTES, m, err,
		                    errlen);
		if (rv)
			return rv;
		if (!m->send_fn) {
			m->send_fn = master_messenger_send;
			m->send_arg = m->msgr;
		}
	}
	if (m->cfg.http) {
		rv = http_open(&m->http, m->loop, m->cfg.http, m->cfg.webui_dir, master_http_render, m, err,
		               errlen);
		if (rv)
			return rv;
	}
	m->started = true;
	m->alloc_timer = loop_timer_start(m->loop, m->cfg.allocation_interval, master_alloc_tick, m);
	m->ping_timer = loop_timer_start(m->loop, m->cfg.ping_interval, master_ping_tick, m);
	m->heartbeat_timer = loop_timer_start(m->loop, m->cfg.heartbeat_interval, master_heartbeat_tick, m);
	LOGI("master %s started: messages on %s, HTTP on %s, registry in %s (%zu agents admitted)", m->id,
	     master_address(m)[0] ? master_address(m) : "(none)",
	     master_http_address(m)[0] ? master_http_address(m) : "(none)", m->cfg.work_dir,
	     registry_agent_count(m->reg));
	return MOSAIC_OK;
}

void
master_free(master *m)
{
	if (!m)
		return;
	uint64_t timers[] = {m->alloc_timer,     m->alloc_soon_timer, m->ping_timer,
	                     m->heartbeat_timer, m->offer_timer,      m->reconcile_timer};
	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
		loop_timer_cancel(m->loop, timers[i]);
	m->started = false;
	/* The HTTP server first: answering its in-flight requests reads the
	 * state we are about to free. */
	http_close(m->http);
	messenger_close(m->msgr);
	m->send_fn = NULL;
	master_reconcile_jobs_free(m);
	while (m->age_head)
		master_offer_discard(m, m->age_head);
	master_frameworks_free(m);
	master_archive_free(m);
	master_agents_free(m);
	strmap_fini(&m->agents);
	strmap_fini(&m->agents_by_addr);
	strmap_fini(&m->frameworks);
	strmap_fini(&m->frameworks_by_addr);
	strmap_fini(&m->offers);
	allocator_offers_fini(&m->alloc_out);
	allocator_free(m->alloc);
	registry_close(m->reg);
	weights_fini(&m->role_weights);
	free(m->cfg_listen);
	free(m->cfg_http);
	free(m->cfg_work_dir);
	free(m->cfg_webui_dir);
	free(m);
}

void
master_set_send(master *m, master_send_fn fn, void *arg)
{
	m->send_fn = fn;
	m->send_arg = arg;
}

void
master_handle(master *m, uint32_t type, const char *from, const ProtobufCMessage *msg)
{
	for (size_t i = 0; i < MASTER_NROUTES; i++) {
		if (master_routes[i].type == type) {
			if (msg->descriptor != master_routes[i].desc) {
				master_reject(m, from, "message type %u carries a %s", type,
				              msg->descriptor->name);
				return;
			}
			master_routes[i].fn(m, from, msg);
			return;
		}
	}
	master_reject(m, from, "unknown message type %u", type);
}

const char *
master_id(const master *m)
{
	return m->id;
}

const char *
master_address(const master *m)
{
	return m->msgr ? messenger_address(m->msgr) : "";
}

const char *
master_http_address(const master *m)
{
	return m->http ? http_address(m->http) : "";
}
