/* master_state.c - the walk over the master's state (master_state.h) and
 * GetState's State message. */
#include "master_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "log.h"
#include "mem.h"

/* ---- the walk ---- */

static void
state_sum_tasks(mosaic_resources *out, const master_task *t)
{
	for (; t; t = t->ag_next)
		res_add(out, &t->res);
}

static void
state_walk_roles(master *m, const state_visitor *v, void *arg)
{
	size_t cap = m->role_weights.count + strmap_count(&m->frameworks) + 1, n = 0;
	state_role *roles = xcalloc(cap, sizeof(*roles));
	strmap byname;
	strmap_init(&byname);
	for (size_t i = 0; i < m->role_weights.count; i++) {
		state_role *r = &roles[n++];
		snprintf(r->name, sizeof(r->name), "%s", m->role_weights.items[i].role);
		strmap_put(&byname, r->name, r);
	}
	for (master_framework *fw = m->fw_head; fw; fw = fw->next) {
		state_role *r = strmap_find(&byname, fw->role);
		if (!r) {
			r = &roles[n++];
			snprintf(r->name, sizeof(r->name), "%s", fw->role);
			strmap_put(&byname, r->name, r);
		}
		mosaic_resources held;
		if (allocator_framework_allocated(m->alloc, fw->id, &held) == 0)
			res_add(&r->allocated, &held);
		r->frameworks++;
	}
	for (size_t i = 0; i < n; i++) {
		roles[i].weight = allocator_weight(m->alloc, roles[i].name);
		double share = allocator_role_share(m->alloc, roles[i].name);
		roles[i].share = share < 0 ? 0 : share;
		v->role(arg, &roles[i]);
	}
	strmap_fini(&byname);
	free(roles);
}

static void
state_walk_counters(master *m, const state_visitor *v, void *arg)
{
	const master_counters *c = &m->counters;
	allocator_gang_info gi;
	allocator_gang_reservation(m->alloc, &gi);
	messenger_stats ms;
	memset(&ms, 0, sizeof(ms));
	if (m->msgr)
		messenger_stats_get(m->msgr, &ms);
	const struct {
		const char *name;
		double value;
	} list[] = {
	    {"messages_received", (double)ms.received},
	    {"messages_sent", (double)ms.sent},
	    {"dropped_oversized", (double)ms.dropped_oversized},
	    {"dropped_undecodable", (double)ms.dropped_undecodable},
	    {"dropped_unknown_type", (double)ms.dropped_unknown_type},
	    {"send_failed", (double)ms.send_failed},
	    {"peers", (double)ms.peers},
	    {"messages_invalid", (double)c->messages_invalid},
	    {"offers_sent", (double)c->offers_sent},
	    {"offers_accepted", (double)c->offers_accepted},
	    {"offers_declined", (double)c->offers_declined},
	    {"offers_rescinded", (double)c->offers_rescinded},
	    {"offers_expired", (double)c->offers_expired},
	    {"offers_outstanding", (double)strmap_count(&m->offers)},
	    {"tasks_launched", (double)c->tasks_launched},
	    {"tasks_invalid", (double)c->tasks_invalid},
	    {"tasks_adopted", (double)c->tasks_adopted},
	    {"tasks_finished", (double)c->tasks_terminal[MOSAIC__TASK_STATE__TASK_FINISHED]},
	    {"tasks_failed", (double)c->tasks_terminal[MOSAIC__TASK_STATE__TASK_FAILED]},
	    {"tasks_killed", (double)c->tasks_terminal[MOSAIC__TASK_STATE__TASK_KILLED]},
	    {"tasks_error", (double)c->tasks_terminal[MOSAIC__TASK_STATE__TASK_ERROR]},
	    {"tasks_lost", (double)c->tasks_terminal[MOSAIC__TASK_STATE__TASK_LOST]},
	    {"tasks_dropped", (double)c->tasks_terminal[MOSAIC__TASK_STATE__TASK_DROPPED]},
	    {"updates_from_agents", (double)c->updates_from_agents},
	    {"updates_forwarded", (double)c->updates_forwarded},
	    {"acks_relayed", (double)c->acks_relayed},
	    {"agents_registered", (double)c->agents_registered},
	    {"agents_reregistered", (double)c->agents_reregistered},
	    {"agents_lost", (double)c->agents_lost},
	    {"frameworks_subscribed", (double)c->frameworks_subscribed},
	    {"frameworks_disconnected", (double)c->frameworks_disconnected},
	    {"frameworks_removed", (double)c->frameworks_removed},
	    {"allocation_passes", (double)c->allocation_passes},
	    {"allocation_seconds_total", c->allocation_seconds_total},
	    {"allocation_seconds_last", c->allocation_seconds_last},
	    {"allocation_seconds_max", c->allocation_seconds_max},
	    {"gang_reservation_phase", (double)gi.phase},
	    {"gang_reservation_tasks", (double)gi.tasks},
	    {"gang_reservation_held_tasks", (double)gi.held_tasks},
	    {"gang_reservation_held_agents", (double)gi.held_agents},
	    {"uptime_seconds", mosaic_wall_now() - m->start_time},
	};
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		v->counter(arg, list[i].name, list[i].value);
}

void
master_state_walk(master *m, const state_visitor *v, void *arg, bool tasks, bool completed)
{
	v->section(arg, "agents");
	for (master_agent *a = m->agent_head; a; a = a->next) {
		state_agent sa;
		memset(&sa, 0, sizeof(sa));
		sa.a = a;
		state_sum_tasks(&sa.used, a->tasks);
		for (master_offer *o = a->offers; o; o = o->ag_next)
			res_add(&sa.offered, &o->res);
		v->agent(arg, &sa);
	}
	v->section(arg, "frameworks");
	for (master_framework *fw = m->fw_head; fw; fw = fw->next) {
		state_framework sf;
		memset(&sf, 0, sizeof(sf));
		sf.fw = fw;
		for (master_offer *o = fw->offers; o; o = o->fw_next)
			res_add(&sf.offered, &o->res);
		strmap_iter it;
		strmap_iter_init(&it, &fw->tasks);
		master_task *t;
		while ((t = strmap_iter_next(&it, NULL)) != NULL)
			if (!t->completed)
				res_add(&sf.used, &t->res);
		double share = allocator_framework_share(m->alloc, fw->id);
		sf.share = share < 0 ? 0 : share;
		v->framework(arg, &sf);
	}
	v->section(arg, "roles");
	state_walk_roles(m, v, arg);
	if (tasks) {
		v->section(arg, "tasks");
		for (master_framework *fw = m->fw_head; fw; fw = fw->next) {
			strmap_iter it;
			strmap_iter_init(&it, &fw->tasks);
			master_task *t;
			while ((t = strmap_iter_next(&it, NULL)) != NULL)
				if (!t->completed)
					v->task(arg, t, t->agent ? t->agent->info->hostname : NULL);
			for (t = completed ? fw->done_head : NULL; t; t = t->done_next) {
				master_agent *a = master_agent_find(m, t->agent_id);
				v->task(arg, t, a ? a->info->hostname : NULL);
			}
		}
		for (master_task *t = completed ? m->archive_head : NULL; t; t = t->done_next) {
			master_agent *a = master_agent_find(m, t->agent_id);
			v->task(arg, t, a ? a->info->hostname : NULL);
		}
	}
	v->section(arg, "counters");
	state_walk_counters(m, v, arg);
	v->section(arg, NULL);
}

/* ---- State (operator.proto) ---- */

/* Everything of one State message lives in this arena and goes at once. */
typedef struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	max_align_t data[];
} arena_block;

typedef struct pb_state {
	arena_block *blocks;
	Mosaic__State st;
	size_t cap_agents, cap_frameworks, cap_roles, cap_tasks, cap_counters;
} pb_state;

static void *
arena_alloc(pb_state *b, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	arena_block *blk = b->blocks;
	if (!blk || blk->used + n > blk->cap) {
		size_t cap = n > 65536 ? n : 65536;
		blk = xmalloc(sizeof(*blk) + cap);
		blk->next = b->blocks;
		blk->used = 0;
		blk->cap = cap;
		b->blocks = blk;
	}
	void *p = (char *)blk->data + blk->used;
	blk->used += n;
	memset(p, 0, n);
	return p;
}

static void
arena_free(pb_state *b)
{
	while (b->blocks) {
		arena_block *next = b->blocks->next;
		free(b->blocks);
		b->blocks = next;
	}
}

static Mosaic__Resources *
pb_res(pb_state *b, const mosaic_resources *r)
{
	return codec_res_to_pb(arena_alloc(b, sizeof(codec_res)), r);
}

/* Pointer arrays grow by doubling; the old copies stay in the arena. */
static void
pb_push(pb_state *b, void ***arr, size_t *n, size_t *cap, void *item)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 16;
		void **grown = arena_alloc(b, nc * sizeof(void *));
		if (*n)
			memcpy(grown, *arr, *n * sizeof(void *));
		*arr = grown;
		*cap = nc;
	}
	(*arr)[(*n)++] = item;
}

static void
pb_section(void *arg, const char *name)
{
}

static void
pb_agent(void *arg, const state_agent *sa)
{
	pb_state *b = arg;
	const master_agent *a = sa->a;
	Mosaic__AgentState *as = arena_alloc(b, sizeof(*as));
	mosaic__agent_state__init(as);
	as->id = (char *)a->id;
	as->hostname = a->info->hostname;
	as->address = (char *)a->address;
	as->http_address = a->info->http_address;
	as->total = pb_res(b, &a->total);
	as->used = pb_res(b, &sa->used);
	as->offered = pb_res(b, &sa->offered);
	as->n_attributes = a->info->n_attributes;
	as->attributes = a->info->attributes;
	as->topology = a->info->topology;
	as->has_active = 1;
	as->active = a->active;
	as->has_registered_time = 1;
	as->registered_time = a->registered_time;
	as->has_task_count = 1;
	as->task_count = (uint32_t)a->ntasks;
	pb_push(b, (void ***)&b->st.agents, &b->st.n_agents, &b->cap_agents, as);
}

static void
pb_framework(void *arg, const state_framework *sf)
{
	pb_state *b = arg;
	const master_framework *fw = sf->fw;
	Mosaic__FrameworkState *fs = arena_alloc(b, sizeof(*fs));
	mosaic__framework_state__init(fs);
	fs->id = (char *)fw->id;
	fs->name = fw->name;
	fs->role = fw->role;
	fs->principal = fw->principal;
	fs->has_active = 1;
	fs->active = fw->connected;
	fs->has_suppressed = 1;
	fs->suppressed = fw->suppressed;
	fs->used = pb_res(b, &sf->used);
	fs->offered = pb_res(b, &sf->offered);
	fs->has_dominant_share = 1;
	fs->dominant_share = sf->share;
	fs->has_failover_timeout = 1;
	fs->failover_timeout = fw->failover_timeout;
	fs->has_registered_time = 1;
	fs->registered_time = fw->registered_time;
	fs->has_running_tasks = 1;
	fs->running_tasks = (uint32_t)fw->nactive;
	fs->address = fw->address[0] ? (char *)fw->address : NULL;
	pb_push(b, (void ***)&b->st.frameworks, &b->st.n_frameworks, &b->cap_frameworks, fs);
}

static void
pb_role(void *arg, const state_role *sr)
{
	pb_state *b = arg;
	Mosaic__RoleState *rs = arena_alloc(b, sizeof(*rs));
	mosaic__role_state__init(rs);
	char *name = arena_alloc(b, sizeof(sr->name));
	memcpy(name, sr->name, sizeof(sr->name));
	rs->name = name;
	rs->has_weight = 1;
	rs->weight = sr->weight;
	rs->has_dominant_share = 1;
	rs->dominant_share = sr->share;
	rs->allocated = pb_res(b, &sr->allocated);
	rs->has_frameworks = 1;
	rs->frameworks = sr->frameworks;
	pb_push(b, (void ***)&b->st.roles, &b->st.n_roles, &b->cap_roles, rs);
}

static void
pb_task(void *arg, const master_task *t, const char *hostname)
{
	pb_state *b = arg;
	Mosaic__TaskEntry *te = arena_alloc(b, sizeof(*te));
	mosaic__task_entry__init(te);
	te->task_id = (char *)t->id;
	te->framework_id = (char *)t->fw_id;
	te->agent_id = (char *)t->agent_id;
	te->name = t->name;
	te->state = (Mosaic__TaskState)t->state;
	te->resources = pb_res(b, &t->res);
	te->hostname = (char *)hostname;
	te->has_updated = 1;
	te->updated = t->updated;
	pb_push(b, (void ***)&b->st.tasks, &b->st.n_tasks, &b->cap_tasks, te);
}

static void
pb_counter(void *arg, const char *name, double value)
{
	pb_state *b = arg;
	Mosaic__Counter *c = arena_alloc(b, sizeof(*c));
	mosaic__counter__init(c);
	c->name = (char *)name;
	c->value = value;
	pb_push(b, (void ***)&b->st.counters, &b->st.n_counters, &b->cap_counters, c);
}

static const state_visitor pb_visitor = {
    .section = pb_section,
    .agent = pb_agent,
    .framework = pb_framework,
    .role = pb_role,
    .task = pb_task,
    .counter = pb_counter,
};

static void
pb_state_build(master *m, pb_state *b, bool tasks, bool completed)
{
	memset(b, 0, sizeof(*b));
	mosaic__state__init(&b->st);
	b->st.master_id = m->id;
	b->st.address = (char *)master_address(m);
	b->st.has_start_time = 1;
	b->st.start_time = m->start_time;
	mosaic_resources total;
	allocator_total(m->alloc, &total);
	b->st.total = pb_res(b, &total);
	b->st.http_address = master_http_address(m)[0] ? (char *)master_http_address(m) : NULL;
	master_state_walk(m, &pb_visitor, b, tasks, completed);
}

void
master_on_get_state(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	master *m = ctx;
	const Mosaic__GetState *gs = (const Mosaic__GetState *)msg;
	if (!master_addr_valid(from)) {
		master_reject(m, from, "GetState from an address we cannot answer");
		return;
	}
	bool tasks = gs->include_tasks, completed = gs->include_completed;
	/* Too big for one message: shed completed tasks, then all tasks
	 * (the counters say so) rather than answer nothing. */
	for (int attempt = 0;; attempt++) {
		pb_state b;
		pb_state_build(m, &b, tasks, completed);
		if (attempt == 2 ||
		    protobuf_c_message_get_packed_size(&b.st.base) + 1024 <= MESSENGER_MAX_MSG) {
			if (attempt > 0)
				pb_counter(&b, "state_tasks_truncated", 1);
			master_send(m, from, MOSAIC__MESSAGE_TYPE__MSG_STATE, &b.st.base);
			arena_free(&b);
			return;
		}
		arena_free(&b);
		if (completed)
			completed = false;
		else
			tasks = false;
	}
}
