/* The library against a scripted fake master on its own thread and loop:
 * Subscribe retried until answered, Subscribed, Keepalives, offers checked
 * and launched, a duplicate update delivered once and acknowledged again,
 * heartbeats stopping -> disconnected, re-subscription with the same id ->
 * reconnected, teardown flushed by mosaic_sched_free. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "loop.h"
#include "messenger.h"
#include "mosaic.pb-c.h"
#include "mosaic/sched.h"
#include "operator.pb-c.h"
#include "scheduler.pb-c.h"

/* ---- the fake master (its thread only, except under mu) ---- */

typedef struct fake {
	pthread_mutex_t mu;
	mosaic_loop *loop;
	messenger *m;
	char fw_addr[MESSENGER_ADDR_MAX];
	int ignore_subscribes; /* answer only after this many */
	int subscribes, subscribes_with_id, keepalives, accepts, declines, teardowns, getstates, kills;
	int acks_u1, acks_u2;
	int heartbeats_on;
	char accepted_task[64], accepted_cmd[64], accepted_env[64];
	int accepted_place;
	double accepted_refuse;
} fake;

static const uint8_t U1[16] = {1, 1, 1};
static const uint8_t U2[16] = {2, 2, 2};

static void
send_offers(fake *f)
{
	Mosaic__Resources r1 = MOSAIC__RESOURCES__INIT, r2 = MOSAIC__RESOURCES__INIT;
	r1.has_cpus = r2.has_cpus = 1;
	r1.cpus = 4;
	r2.cpus = 2;
	r1.has_mem = r2.has_mem = 1;
	r1.mem = 1024;
	r2.mem = 512;
	Mosaic__Offer o1 = MOSAIC__OFFER__INIT, o2 = MOSAIC__OFFER__INIT;
	o1.id = "offer-1";
	o1.framework_id = o2.framework_id = "fw-test-1";
	o1.agent_id = "agent-1";
	o1.hostname = "agent1";
	o1.resources = &r1;
	o1.agent_http = "http://127.0.0.1:1";
	o2.id = "offer-2";
	o2.agent_id = "agent-2";
	o2.hostname = "agent2";
	o2.resources = &r2;
	Mosaic__Offer *ov[] = {&o1, &o2};
	Mosaic__Offers os = MOSAIC__OFFERS__INIT;
	os.offers = ov;
	os.n_offers = 2;
	messenger_send(f->m, f->fw_addr, MOSAIC__MESSAGE_TYPE__MSG_OFFERS, &os.base);
}

static void
send_update(fake *f, int state, const uint8_t *uuid)
{
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.task_id = "t-1";
	st.state = state;
	st.agent_id = "agent-1";
	st.has_uuid = 1;
	st.uuid.data = (uint8_t *)uuid;
	st.uuid.len = 16;
	if (state == MOSAIC__TASK_STATE__TASK_FINISHED) {
		st.has_exit_code = 1;
		st.exit_code = 0;
	}
	Mosaic__Update u = MOSAIC__UPDATE__INIT;
	u.status = &st;
	messenger_send(f->m, f->fw_addr, MOSAIC__MESSAGE_TYPE__MSG_UPDATE, &u.base);
}

static void
on_subscribe(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	fake *f = ctx;
	const Mosaic__Subscribe *s = (const Mosaic__Subscribe *)msg;
	pthread_mutex_lock(&f->mu);
	f->subscribes++;
	if (s->framework->id)
		f->subscribes_with_id++;
	snprintf(f->fw_addr, sizeof(f->fw_addr), "%s", from);
	int answer = f->subscribes > f->ignore_subscribes;
	if (answer)
		f->heartbeats_on = 1;
	pthread_mutex_unlock(&f->mu);
	if (!answer)
		return;
	Mosaic__Subscribed ok = MOSAIC__SUBSCRIBED__INIT;
	ok.framework_id = "fw-test-1";
	ok.has_heartbeat_interval = 1;
	ok.heartbeat_interval = 0.2;
	messenger_send(f->m, from, MOSAIC__MESSAGE_TYPE__MSG_SUBSCRIBED, &ok.base);
	if (!s->framework->id)
		send_offers(f);
}

static void
on_accept(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	fake *f = ctx;
	const Mosaic__Accept *a = (const Mosaic__Accept *)msg;
	pthread_mutex_lock(&f->mu);
	f->accepts++;
	if (a->n_operations == 1 && a->operations[0]->n_tasks == 1) {
		const Mosaic__TaskInfo *t = a->operations[0]->tasks[0];
		snprintf(f->accepted_task, sizeof(f->accepted_task), "%s", t->task_id);
		snprintf(f->accepted_cmd, sizeof(f->accepted_cmd), "%s", t->command->value);
		if (t->command->n_environment)
			snprintf(f->accepted_env, sizeof(f->accepted_env), "%s=%s",
			         t->command->environment[0]->name, t->command->environment[0]->value);
		f->accepted_place = t->placement ? (int)t->placement->kind : -1;
	}
	f->accepted_refuse = a->filters && a->filters->has_refuse_seconds ? a->filters->refuse_seconds : -1;
	pthread_mutex_unlock(&f->mu);
	send_update(f, MOSAIC__TASK_STATE__TASK_RUNNING, U1);
}

static void
on_ack(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	fake *f = ctx;
	const Mosaic__Acknowledge *a = (const Mosaic__Acknowledge *)msg;
	pthread_mutex_lock(&f->mu);
	int first_u1 = 0;
	if (a->uuid.len == 16 && memcmp(a->uuid.data, U1, 16) == 0)
		first_u1 = ++f->acks_u1 == 1;
	if (a->uuid.len == 16 && memcmp(a->uuid.data, U2, 16) == 0)
		f->acks_u2++;
	pthread_mutex_unlock(&f->mu);
	if (first_u1) {
		/* As if this ack were lost: the agent resends, then moves on. */
		send_update(f, MOSAIC__TASK_STATE__TASK_RUNNING, U1);
		send_update(f, MOSAIC__TASK_STATE__TASK_FINISHED, U2);
	}
}

#define COUNTER(name, field)                                                                                 \
	static void name(void *ctx, const char *from, const ProtobufCMessage *msg)                           \
	{                                                                                                    \
		fake *f = ctx;                                                                               \
		pthread_mutex_lock(&f->mu);                                                                  \
		f->field++;                                                                                  \
		pthread_mutex_unlock(&f->mu);                                                                \
	}
COUNTER(on_keepalive, keepalives)
COUNTER(on_decline, declines)
COUNTER(on_teardown, teardowns)
COUNTER(on_kill, kills)

static void
on_getstate(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	fake *f = ctx;
	pthread_mutex_lock(&f->mu);
	f->getstates++;
	pthread_mutex_unlock(&f->mu);
	Mosaic__State st = MOSAIC__STATE__INIT;
	messenger_send(f->m, from, MOSAIC__MESSAGE_TYPE__MSG_STATE, &st.base);
}

static const messenger_route fake_routes[] = {
    {MOSAIC__MESSAGE_TYPE__MSG_SUBSCRIBE, &mosaic__subscribe__descriptor, on_subscribe},
    {MOSAIC__MESSAGE_TYPE__MSG_ACCEPT, &mosaic__accept__descriptor, on_accept},
    {MOSAIC__MESSAGE_TYPE__MSG_ACKNOWLEDGE, &mosaic__acknowledge__descriptor, on_ack},
    {MOSAIC__MESSAGE_TYPE__MSG_KEEPALIVE, &mosaic__keepalive__descriptor, on_keepalive},
    {MOSAIC__MESSAGE_TYPE__MSG_DECLINE, &mosaic__decline__descriptor, on_decline},
    {MOSAIC__MESSAGE_TYPE__MSG_TEARDOWN, &mosaic__teardown__descriptor, on_teardown},
    {MOSAIC__MESSAGE_TYPE__MSG_KILL, &mosaic__kill__descriptor, on_kill},
    {MOSAIC__MESSAGE_TYPE__MSG_GET_STATE, &mosaic__get_state__descriptor, on_getstate},
};

static void
heartbeat(mosaic_loop *loop, void *arg)
{
	fake *f = arg;
	pthread_mutex_lock(&f->mu);
	int on = f->heartbeats_on && f->fw_addr[0];
	pthread_mutex_unlock(&f->mu);
	if (on) {
		Mosaic__Heartbeat h = MOSAIC__HEARTBEAT__INIT;
		messenger_send(f->m, f->fw_addr, MOSAIC__MESSAGE_TYPE__MSG_HEARTBEAT, &h.base);
	}
	loop_timer_start(loop, 0.1, heartbeat, f);
}

static void *
fake_main(void *arg)
{
	fake *f = arg;
	loop_timer_start(f->loop, 0.1, heartbeat, f);
	loop_run(f->loop);
	return NULL;
}

/* ---- the framework ---- */

typedef struct fw {
	int subscribed, reconnected, disconnected, rescinded;
	int offers_seen, running, finished, statuses;
	int launch_unknown_rv, launch_toobig_rv, launch_rv, decline_rv;
	char fw_id[64];
	char last_err[256];
} fw;

static void
cb_subscribed(mosaic_sched *s, void *arg, const char *id)
{
	fw *w = arg;
	w->subscribed++;
	snprintf(w->fw_id, sizeof(w->fw_id), "%s", id);
}

static void
cb_offers(mosaic_sched *s, void *arg, const mosaic_sched_offer *o, size_t n)
{
	fw *w = arg;
	w->offers_seen += (int)n;
	const char *big = NULL, *small = NULL;
	for (size_t i = 0; i < n; i++) {
		if (o[i].resources.cpus >= 4)
			big = o[i].id;
		else
			small = o[i].id;
	}
	if (!big || !small)
		return;
	const char *env[] = {"GREETING=hello", NULL};
	mosaic_sched_task t = {.id = "t-1", .agent_id = "agent-1", .shell = "echo $GREETING", .env = env};
	t.resources.cpus = 1;
	t.resources.mem = 128;
	t.placement.kind = MOSAIC_SCHED_PLACE_PACK;
	const char *unknown[] = {"offer-nope"};
	w->launch_unknown_rv = mosaic_sched_launch(s, unknown, 1, &t, 1, 10);
	mosaic_sched_task huge = t;
	huge.resources.cpus = 64;
	w->launch_toobig_rv = mosaic_sched_launch(s, &big, 1, &huge, 1, 10);
	snprintf(w->last_err, sizeof(w->last_err), "%s", mosaic_sched_last_error(s));
	w->launch_rv = mosaic_sched_launch(s, &big, 1, &t, 1, 10);
	w->decline_rv = mosaic_sched_decline(s, &small, 1, 5);
}

static void
cb_status(mosaic_sched *s, void *arg, const mosaic_sched_status *st)
{
	fw *w = arg;
	w->statuses++;
	if (st->state == MOSAIC_SCHED_TASK_RUNNING)
		w->running++;
	if (st->state == MOSAIC_SCHED_TASK_FINISHED && st->has_exit_code && st->exit_code == 0)
		w->finished++;
}

static void
cb_disconnected(mosaic_sched *s, void *arg)
{
	((fw *)arg)->disconnected++;
}

static void
cb_reconnected(mosaic_sched *s, void *arg, const char *id)
{
	((fw *)arg)->reconnected++;
}

static void
cb_rescinded(mosaic_sched *s, void *arg, const char *id)
{
	((fw *)arg)->rescinded++;
}

static int timer_fired;
static void
on_timer(mosaic_sched *s, void *arg)
{
	timer_fired++;
}

static int
get(fake *f, int *field)
{
	pthread_mutex_lock(&f->mu);
	int v = *field;
	pthread_mutex_unlock(&f->mu);
	return v;
}

static int
run_until(mosaic_sched *s, int *flag, int want, double seconds)
{
	double end = mosaic_sched_wall_now() + seconds;
	while (*flag < want && mosaic_sched_wall_now() < end)
		mosaic_sched_run_once(s, 0.05);
	return *flag >= want;
}

int
main(void)
{
	mosaic_sched_log_init("test", "warn", NULL);
	fake f;
	memset(&f, 0, sizeof(f));
	pthread_mutex_init(&f.mu, NULL);
	f.ignore_subscribes = 2;
	char err[256];
	CHECK_OK(loop_new(&f.loop));
	CHECK_OK(messenger_open(&f.m, f.loop, "tcp://127.0.0.1:0", fake_routes,
	                        sizeof(fake_routes) / sizeof(fake_routes[0]), &f, err, sizeof(err)));
	pthread_t th;
	pthread_create(&th, NULL, fake_main, &f);

	fw w;
	memset(&w, 0, sizeof(w));
	mosaic_sched_callbacks cb = {.subscribed = cb_subscribed,
	                             .offers = cb_offers,
	                             .status = cb_status,
	                             .disconnected = cb_disconnected,
	                             .reconnected = cb_reconnected,
	                             .rescinded = cb_rescinded};
	mosaic_sched_config cfg = {.framework = {.name = "flow-test", .failover_timeout = 60},
	                           .callbacks = &cb,
	                           .arg = &w,
	                           .master = messenger_address(f.m)};
	mosaic_sched *s;
	mosaic_sched_config nameless = cfg;
	nameless.framework.name = NULL;
	CHECK(mosaic_sched_new(&s, &nameless, err, sizeof(err)) == MOSAIC_SCHED_EINVAL);
	CHECK_OK(mosaic_sched_new(&s, &cfg, err, sizeof(err)));
	CHECK(mosaic_sched_framework_id(s) == NULL);
	CHECK(mosaic_sched_kill(s, "t-1", NULL, -1) == MOSAIC_SCHED_ESTATE);
	mosaic_sched_timer_add(s, 0.01, on_timer, NULL);
	uint64_t never = mosaic_sched_timer_add(s, 0.01, on_timer, NULL);
	mosaic_sched_timer_cancel(s, never);
	CHECK_OK(mosaic_sched_start(s));
	CHECK(strncmp(mosaic_sched_address(s), "tcp://127.0.0.1:", 16) == 0);

	/* Two Subscribes go unanswered; the third (after ~0.25-0.5 s and
	 * 0.5-1 s of back-off) is answered. */
	CHECK(run_until(s, &w.subscribed, 1, 10));
	CHECK(get(&f, &f.subscribes) == 3);
	CHECK(get(&f, &f.subscribes_with_id) == 0);
	CHECK(strcmp(w.fw_id, "fw-test-1") == 0);
	CHECK(mosaic_sched_connected(s));
	CHECK(timer_fired == 1);

	CHECK(run_until(s, &w.finished, 1, 10));
	CHECK(w.offers_seen == 2);
	CHECK(w.launch_unknown_rv == MOSAIC_SCHED_ENOENT);
	CHECK(w.launch_toobig_rv == MOSAIC_SCHED_EINVAL);
	CHECK(strstr(w.last_err, "cpus:64") != NULL);
	CHECK(w.launch_rv == 0);
	CHECK(w.decline_rv == 0);
	CHECK(w.running == 1); /* the resent RUNNING was dropped */
	CHECK(w.statuses == 2);
	/* The repeat of an acknowledged update is acknowledged again. */
	for (int i = 0; i < 20 && (get(&f, &f.acks_u1) < 2 || get(&f, &f.acks_u2) < 1); i++)
		mosaic_sched_run_once(s, 0.05);
	CHECK(get(&f, &f.acks_u1) == 2);
	CHECK(get(&f, &f.acks_u2) == 1);
	pthread_mutex_lock(&f.mu);
	CHECK(f.accepts == 1);
	CHECK(strcmp(f.accepted_task, "t-1") == 0);
	CHECK(strcmp(f.accepted_cmd, "echo $GREETING") == 0);
	CHECK(strcmp(f.accepted_env, "GREETING=hello") == 0);
	CHECK(f.accepted_place == MOSAIC__PLACEMENT_KIND__PLACE_PACK);
	CHECK(f.accepted_refuse == 10);
	CHECK(f.declines == 1);
	pthread_mutex_unlock(&f.mu);
	/* Used and declined offers are gone. */
	const char *used[] = {"offer-1"};
	mosaic_sched_task t = {.id = "t-2", .agent_id = "agent-1", .shell = "true"};
	CHECK(mosaic_sched_launch(s, used, 1, &t, 1, -1) == MOSAIC_SCHED_ENOENT);
	CHECK_OK(mosaic_sched_kill(s, "t-1", "agent-1", 1));
	CHECK_OK(mosaic_sched_suppress(s));

	/* Keepalives flow (interval 0.2 s). */
	int ka = get(&f, &f.keepalives);
	double end = mosaic_sched_wall_now() + 0.7;
	while (mosaic_sched_wall_now() < end)
		mosaic_sched_run_once(s, 0.05);
	CHECK(get(&f, &f.keepalives) >= ka + 2);

	/* The master falls silent: disconnected after 3 intervals, then a
	 * Subscribe with the id, answered -> reconnected. */
	pthread_mutex_lock(&f.mu);
	f.heartbeats_on = 0;
	f.ignore_subscribes = 1000;
	pthread_mutex_unlock(&f.mu);
	CHECK(run_until(s, &w.disconnected, 1, 5));
	CHECK(!mosaic_sched_connected(s));
	CHECK(mosaic_sched_kill(s, "t-1", NULL, -1) == MOSAIC_SCHED_ESTATE);
	end = mosaic_sched_wall_now() + 0.3;
	while (mosaic_sched_wall_now() < end)
		mosaic_sched_run_once(s, 0.05);
	pthread_mutex_lock(&f.mu);
	CHECK(f.subscribes_with_id >= 1);
	f.ignore_subscribes = 0;
	pthread_mutex_unlock(&f.mu);
	CHECK(run_until(s, &w.reconnected, 1, 10));
	CHECK(w.subscribed == 1);
	CHECK(mosaic_sched_connected(s));
	CHECK(strcmp(mosaic_sched_framework_id(s), "fw-test-1") == 0);

	CHECK_OK(mosaic_sched_teardown(s));
	CHECK(mosaic_sched_kill(s, "t-1", NULL, -1) == MOSAIC_SCHED_ESTATE);
	mosaic_sched_free(s); /* flushes: the fake answers GetState */
	CHECK(get(&f, &f.teardowns) == 1);
	CHECK(get(&f, &f.getstates) == 1);
	CHECK(get(&f, &f.kills) == 1);

	loop_stop(f.loop);
	pthread_join(th, NULL);
	messenger_close(f.m);
	loop_free(f.loop);
	pthread_mutex_destroy(&f.mu);
	return check_done();
}
