/* harness.h - drive an in-process master through its dispatch table and
 * capture what it sends (master_set_send), for the master's unit tests.
 * Messages are built on the stack or heap here and decoded back from the
 * captured bytes, so the tests see exactly what would go on the wire. */
#ifndef MOSAIC_TEST_MASTER_HARNESS_H
#define MOSAIC_TEST_MASTER_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.pb-c.h"
#include "codec.h"
#include "master.h"
#include "mem.h"
#include "mosaic.pb-c.h"
#include "operator.pb-c.h"
#include "resources.h"
#include "scheduler.pb-c.h"

typedef struct sent_msg {
	char to[256];
	uint32_t type;
	uint8_t *buf;
	size_t len;
} sent_msg;

typedef struct capture {
	sent_msg *items;
	size_t n, cap;
	ProtobufCMessage **unpacked;
	size_t nun, capun;
} capture;

static __attribute__((unused)) int
capture_send(void *arg, const char *to, uint32_t type, const ProtobufCMessage *msg)
{
	capture *c = arg;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->items = xrealloc(c->items, c->cap * sizeof(*c->items));
	}
	sent_msg *s = &c->items[c->n++];
	snprintf(s->to, sizeof(s->to), "%s", to);
	s->type = type;
	s->len = protobuf_c_message_get_packed_size(msg);
	s->buf = xmalloc(s->len ? s->len : 1);
	protobuf_c_message_pack(msg, s->buf);
	return 0;
}

static __attribute__((unused)) void
capture_clear(capture *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->items[i].buf);
	for (size_t i = 0; i < c->nun; i++)
		protobuf_c_message_free_unpacked(c->unpacked[i], NULL);
	c->n = c->nun = 0;
}

static __attribute__((unused)) void
capture_fini(capture *c)
{
	capture_clear(c);
	free(c->items);
	free(c->unpacked);
	memset(c, 0, sizeof(*c));
}

static __attribute__((unused)) int
capture_match(const sent_msg *s, const char *to, uint32_t type)
{
	return s->type == type && (!to || strcmp(s->to, to) == 0);
}

static __attribute__((unused)) size_t
capture_count(const capture *c, const char *to, uint32_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += capture_match(&c->items[i], to, type);
	return n;
}

/* The idx-th message of type to `to` (NULL: anyone), decoded; freed by
 * capture_clear. NULL if there is none. */
static __attribute__((unused)) void *
capture_get(capture *c, const char *to, uint32_t type, const ProtobufCMessageDescriptor *d, size_t idx)
{
	for (size_t i = 0; i < c->n; i++) {
		if (!capture_match(&c->items[i], to, type))
			continue;
		if (idx--)
			continue;
		ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, c->items[i].len, c->items[i].buf);
		if (!m)
			return NULL;
		if (c->nun == c->capun) {
			c->capun = c->capun ? 2 * c->capun : 64;
			c->unpacked = xrealloc(c->unpacked, c->capun * sizeof(*c->unpacked));
		}
		c->unpacked[c->nun++] = m;
		return m;
	}
	return NULL;
}

static __attribute__((unused)) void *
capture_last(capture *c, const char *to, uint32_t type, const ProtobufCMessageDescriptor *d)
{
	size_t n = capture_count(c, to, type);
	return n ? capture_get(c, to, type, d, n - 1) : NULL;
}

/* Updates to `to` for task_id, in order; returns how many, states in out. */
static __attribute__((unused)) size_t
capture_updates(capture *c, const char *to, const char *task_id, int *states, size_t max,
                Mosaic__TaskStatus **last)
{
	size_t n = 0, total = capture_count(c, to, MOSAIC__MESSAGE_TYPE__MSG_UPDATE);
	for (size_t i = 0; i < total; i++) {
		Mosaic__Update *u =
		    capture_get(c, to, MOSAIC__MESSAGE_TYPE__MSG_UPDATE, &mosaic__update__descriptor, i);
		if (!u || strcmp(u->status->task_id, task_id) != 0)
			continue;
		if (n < max && states)
			states[n] = u->status->state;
		if (last)
			*last = u->status;
		n++;
	}
	return n;
}

/* ---- message builders ---- */

typedef struct h_task {
	const char *id;
	const char *agent_id;
	const char *res;
	const char *framework_id; /* for ReregisterAgent */
	int state;                /* for ReregisterAgent */
} h_task;

static __attribute__((unused)) void
h_res(mosaic_resources *r, const char *text)
{
	if (res_parse(r, text, NULL, 0) != 0) {
		fprintf(stderr, "bad resources in test: %s\n", text);
		abort();
	}
}

static __attribute__((unused)) void
h_agent_info(Mosaic__AgentInfo *info, codec_res *cr, const char *id, const char *addr, const char *host,
             const char *res, uint32_t pid)
{
	mosaic_resources r;
	h_res(&r, res);
	mosaic__agent_info__init(info);
	info->id = (char *)id;
	info->hostname = (char *)host;
	info->address = (char *)addr;
	info->http_address = "http://127.0.0.1:1";
	info->resources = codec_res_to_pb(cr, &r);
	info->has_pid = 1;
	info->pid = pid;
}

/* Registers and returns the agent id in id_out ("" if refused). */
static __attribute__((unused)) void
h_register_agent(master *m, capture *c, const char *addr, const char *host, const char *res, uint32_t pid,
                 char id_out[64])
{
	codec_res cr;
	Mosaic__AgentInfo info;
	h_agent_info(&info, &cr, NULL, addr, host, res, pid);
	Mosaic__RegisterAgent req = MOSAIC__REGISTER_AGENT__INIT;
	req.info = &info;
	master_handle(m, MOSAIC__MESSAGE_TYPE__MSG_REGISTER_AGENT, addr, &req.base);
	Mosaic__AgentRegistered *reg = capture_last(c, addr, MOSAIC__MESSAGE_TYPE__MSG_AGENT_REGISTERED,
	                                            &mosaic__agent_registered__descriptor);
	snprintf(id_out, 64, "%s", reg ? reg->agent_id : "");
}

static __attribute__((unused)) void
h_reregister_agent(master *m, const char *addr, const char *id, const char *host, const char *res,
                   const h_task *tasks, size_t ntasks, const Mosaic__FrameworkInfo **fws, size_t nfws)
{
	codec_res cr;
	Mosaic__AgentInfo info;
	h_agent_info(&info, &cr, id, addr, host, res, 77);
	Mosaic__AgentTask *at = xcalloc(ntasks + 1, sizeof(*at));
	Mosaic__AgentTask **atp = xcalloc(ntasks + 1, sizeof(*atp));
	Mosaic__TaskInfo *ti = xcalloc(ntasks + 1, sizeof(*ti));
	Mosaic__CommandInfo cmd = MOSAIC__COMMAND_INFO__INIT;
	cmd.value = "sleep 100";
	codec_res *tr = xcalloc(ntasks + 1, sizeof(*tr));
	for (size_t i = 0; i < ntasks; i++) {
		mosaic_resources r;
		h_res(&r, tasks[i].res);
		mosaic__task_info__init(&ti[i]);
		ti[i].task_id = (char *)tasks[i].id;
		ti[i].agent_id = (char *)id;
		ti[i].resources = codec_res_to_pb(&tr[i], &r);
		ti[i].command = &cmd;
		mosaic__agent_task__init(&at[i]);
		at[i].framework_id = (char *)tasks[i].framework_id;
		at[i].task = &ti[i];
		at[i].state = tasks[i].state;
		atp[i] = &at[i];
	}
	Mosaic__ReregisterAgent req = MOSAIC__REREGISTER_AGENT__INIT;
	req.info = &info;
	req.n_tasks = ntasks;
	req.tasks = atp;
	req.n_frameworks = nfws;
	req.frameworks = (Mosaic__FrameworkInfo **)fws;
	master_handle(m, MOSAIC__MESSAGE_TYPE__MSG_REREGISTER_AGENT, addr, &req.base);
	free(tr);
	free(ti);
	free(atp);
	free(at);
}

/* Subscribes (with id when given) and returns the id ("" if refused). */
static __attribute__((unused)) void
h_subscribe(master *m, capture *c, const char *addr, const char *name, const char *role, double failover,
            const char *id, char id_out[64])
{
	Mosaic__FrameworkInfo fi = MOSAIC__FRAMEWORK_INFO__INIT;
	fi.id = (char *)id;
	fi.name = (char *)name;
	fi.role = (char *)role;
	fi.has_failover_timeout = 1;
	fi.failover_timeout = failover;
	Mosaic__Subscribe s = MOSAIC__SUBSCRIBE__INIT;
	s.framework = &fi;
	size_t before = capture_count(c, addr, MOSAIC__MESSAGE_TYPE__MSG_SUBSCRIBED);
	master_handle(m, MOSAIC__MESSAGE_TYPE__MSG_SUBSCRIBE, addr, &s.base);
	Mosaic__Subscribed *sub =
	    capture_count(c, addr, MOSAIC__MESSAGE_TYPE__MSG_SUBSCRIBED) > before
	        ? capture_last(c, addr, MOSAIC__MESSAGE_TYPE__MSG_SUBSCRIBED, &mosaic__subscribed__descriptor)
	        : NULL;
	if (id_out)
		snprintf(id_out, 64, "%s", sub ? sub->framework_id : "");
}

/* Offers in the latest Offers message to addr: ids and agent ids. */
static __attribute__((unused)) size_t
h_offers(capture *c, const char *addr, char ids[][64], char agents[][64], size_t max)
{
	Mosaic__Offers *o =
	    capture_last(c, addr, MOSAIC__MESSAGE_TYPE__MSG_OFFERS, &mosaic__offers__descriptor);
	if (!o)
		return 0;
	size_t n = 0;
	for (; n < o->n_offers && n < max; n++) {
		snprintf(ids[n], 64, "%s", o->offers[n]->id);
		snprintf(agents[n], 64, "%s", o->offers[n]->agent_id);
	}
	return n;
}

static __attribute__((unused)) void
h_accept(master *m, const char *fw_addr, const char **offer_ids, size_t noffers, Mosaic__OperationType type,
         const h_task *tasks, size_t ntasks, double refuse)
{
	Mosaic__TaskInfo *ti = xcalloc(ntasks + 1, sizeof(*ti));
	Mosaic__TaskInfo **tip = xcalloc(ntasks + 1, sizeof(*tip));
	codec_res *tr = xcalloc(ntasks + 1, sizeof(*tr));
	Mosaic__CommandInfo cmd = MOSAIC__COMMAND_INFO__INIT;
	cmd.value = "true";
	for (size_t i = 0; i < ntasks; i++) {
		mosaic_resources r;
		h_res(&r, tasks[i].res);
		mosaic__task_info__init(&ti[i]);
		ti[i].task_id = (char *)tasks[i].id;
		ti[i].agent_id = (char *)tasks[i].agent_id;
		ti[i].resources = codec_res_to_pb(&tr[i], &r);
		ti[i].command = &cmd;
		tip[i] = &ti[i];
	}
	Mosaic__Operation op = MOSAIC__OPERATION__INIT;
	op.type = type;
	op.n_tasks = ntasks;
	op.tasks = tip;
	Mosaic__Operation *ops[1] = {&op};
	Mosaic__Filters f = MOSAIC__FILTERS__INIT;
	f.has_refuse_seconds = 1;
	f.refuse_seconds = refuse;
	Mosaic__Accept a = MOSAIC__ACCEPT__INIT;
	a.n_offer_ids = noffers;
	a.offer_ids = (char **)offer_ids;
	a.n_operations = ntasks ? 1 : 0;
	a.operations = ops;
	a.filters = &f;
	master_handle(m, MOSAIC__MESSAGE_TYPE__MSG_ACCEPT, fw_addr, &a.base);
	free(tr);
	free(tip);
	free(ti);
}

static __attribute__((unused)) void
h_status(master *m, const char *agent_addr, const char *fw_id, const char *task_id, int state,
         uint8_t uuid_byte)
{
	uint8_t uuid[16];
	memset(uuid, uuid_byte, sizeof(uuid));
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.task_id = (char *)task_id;
	st.state = state;
	st.has_uuid = 1;
	st.uuid.data = uuid;
	st.uuid.len = sizeof(uuid);
	st.message = "from the test";
	Mosaic__StatusUpdate su = MOSAIC__STATUS_UPDATE__INIT;
	su.framework_id = (char *)fw_id;
	su.status = &st;
	master_handle(m, MOSAIC__MESSAGE_TYPE__MSG_STATUS_UPDATE, agent_addr, &su.base);
}

static __attribute__((unused)) void
h_ack(master *m, const char *fw_addr, const char *agent_id, const char *task_id, uint8_t uuid_byte)
{
	uint8_t uuid[16];
	memset(uuid, uuid_byte, sizeof(uuid));
	Mosaic__Acknowledge a = MOSAIC__ACKNOWLEDGE__INIT;
	a.agent_id = (char *)agent_id;
	a.task_id = (char *)task_id;
	a.uuid.data = uuid;
	a.uuid.len = sizeof(uuid);
	master_handle(m, MOSAIC__MESSAGE_TYPE__MSG_ACKNOWLEDGE, fw_addr, &a.base);
}

/* A master on a fresh work dir below dir, sending into c. */
static __attribute__((unused)) master *
h_master(mosaic_loop *loop, const char *work, capture *c, master_config *cfg)
{
	master_config def;
	if (!cfg) {
		master_config_init(&def);
		cfg = &def;
	}
	cfg->listen = NULL;
	cfg->http = NULL;
	cfg->work_dir = work;
	master *m;
	char err[256];
	if (master_new(&m, loop, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "master_new: %s\n", err);
		abort();
	}
	master_set_send(m, capture_send, c);
	return m;
}

static __attribute__((unused)) void
h_run(mosaic_loop *loop, double seconds)
{
	double end = mosaic_mono_now() + seconds;
	while (mosaic_mono_now() < end)
		loop_run_once(loop, 0.01);
}

#endif
