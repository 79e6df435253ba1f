/* master_json.c - /api/state: the master's state as JSON, from the same
 * walk as GetState's State message. */
#include "master_state.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "json.h"

/* ---- /api/state ---- */

typedef struct json_state {
	json_writer w;
	int section; /* 0 none open, 1 an array, 2 the counters object */
} json_state;

static void
json_topology(json_writer *w, const Mosaic__TopologySummary *t)
{
	json_key(w, "topology");
	if (!t) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_int(w, "sockets", t->sockets);
	json_kv_int(w, "numa_nodes", t->numa_nodes);
	json_kv_int(w, "cores", t->cores);
	json_kv_int(w, "pus_per_core", t->pus_per_core);
	json_key(w, "free_cores_per_numa");
	json_array_begin(w);
	for (size_t i = 0; i < t->n_free_cores_per_numa; i++)
		json_int(w, t->free_cores_per_numa[i]);
	json_array_end(w);
	json_key(w, "free_cores_per_socket");
	json_array_begin(w);
	for (size_t i = 0; i < t->n_free_cores_per_socket; i++)
		json_int(w, t->free_cores_per_socket[i]);
	json_array_end(w);
	json_kv_string(w, "source", t->source);
	json_object_end(w);
}

static void
js_section(void *arg, const char *name)
{
	json_state *js = arg;
	/* counters is an object, the other sections arrays */
	if (js->section == 2)
		json_object_end(&js->w);
	else if (js->section == 1)
		json_array_end(&js->w);
	js->section = 0;
	if (!name)
		return;
	json_key(&js->w, name);
	if (strcmp(name, "counters") == 0) {
		json_object_begin(&js->w);
		js->section = 2;
	} else {
		json_array_begin(&js->w);
		js->section = 1;
	}
}

static void
js_agent(void *arg, const state_agent *sa)
{
	json_writer *w = &((json_state *)arg)->w;
	const master_agent *a = sa->a;
	json_object_begin(w);
	json_kv_string(w, "id", a->id);
	json_kv_string(w, "hostname", a->info->hostname);
	json_kv_string(w, "address", a->address);
	json_kv_string(w, "http_address", a->info->http_address);
	json_kv_bool(w, "active", a->active);
	json_kv_number(w, "registered_time", a->registered_time);
	json_kv_int(w, "task_count", (int64_t)a->ntasks);
	json_kv_int(w, "offers", (int64_t)a->noffers);
	codec_res_json(w, "total", &a->total);
	codec_res_json(w, "used", &sa->used);
	codec_res_json(w, "offered", &sa->offered);
	json_key(w, "attributes");
	json_object_begin(w);
	for (size_t i = 0; i < a->info->n_attributes; i++)
		json_kv_string(w, a->info->attributes[i]->name, a->info->attributes[i]->value);
	json_object_end(w);
	json_topology(w, a->info->topology);
	json_object_end(w);
}

static void
js_framework(void *arg, const state_framework *sf)
{
	json_writer *w = &((json_state *)arg)->w;
	const master_framework *fw = sf->fw;
	json_object_begin(w);
	json_kv_string(w, "id", fw->id);
	json_kv_string(w, "name", fw->name);
	json_kv_string(w, "role", fw->role);
	json_kv_string(w, "principal", fw->principal);
	json_kv_string(w, "user", fw->user);
	json_kv_string(w, "address", fw->address[0] ? fw->address : NULL);
	json_kv_bool(w, "active", fw->connected);
	json_kv_bool(w, "suppressed", fw->suppressed);
	json_kv_number(w, "failover_timeout", fw->failover_timeout);
	json_kv_number(w, "registered_time", fw->registered_time);
	json_kv_int(w, "running_tasks", (int64_t)fw->nactive);
	json_kv_int(w, "completed_tasks", (int64_t)fw->ndone);
	json_kv_int(w, "offers", (int64_t)fw->noffers);
	codec_res_json(w, "used", &sf->used);
	codec_res_json(w, "offered", &sf->offered);
	json_kv_number(w, "dominant_share", sf->share);
	json_key(w, "gang_demand");
	if (fw->gang_wanted) {
		json_object_begin(w);
		json_kv_int(w, "tasks", fw->gang_tasks);
		codec_res_json(w, "per_task", &fw->gang_per_task);
		json_kv_number(w, "since", fw->gang_since);
		json_object_end(w);
	} else {
		json_null(w);
	}
	json_object_end(w);
}

static void
js_role(void *arg, const state_role *sr)
{
	json_writer *w = &((json_state *)arg)->w;
	json_object_begin(w);
	json_kv_string(w, "name", sr->name);
	json_kv_number(w, "weight", sr->weight);
	json_kv_number(w, "dominant_share", sr->share);
	json_kv_number(w, "weighted_share", sr->weight > 0 ? sr->share / sr->weight : 0);
	codec_res_json(w, "allocated", &sr->allocated);
	json_kv_int(w, "frameworks", sr->frameworks);
	json_object_end(w);
}

static void
js_task(void *arg, const master_task *t, const char *hostname)
{
	json_writer *w = &((json_state *)arg)->w;
	json_object_begin(w);
	json_kv_string(w, "task_id", t->id);
	json_kv_string(w, "framework_id", t->fw_id);
	json_kv_string(w, "agent_id", t->agent_id);
	json_kv_string(w, "name", t->name);
	json_kv_string(w, "state", codec_task_state_name(t->state));
	codec_res_json(w, "resources", &t->res);
	json_kv_string(w, "hostname", hostname);
	json_kv_number(w, "updated", t->updated);
	json_kv_string(w, "message", t->message);
	json_kv_string(w, "reason", t->reason);
	json_object_end(w);
}

static void
js_counter(void *arg, const char *name, double value)
{
	json_kv_number(&((json_state *)arg)->w, name, value);
}

static const state_visitor json_visitor = {
    .section = js_section,
    .agent = js_agent,
    .framework = js_framework,
    .role = js_role,
    .task = js_task,
    .counter = js_counter,
};

char *
master_state_json(master *m)
{
	json_state js;
	json_init(&js.w);
	js.section = 0;
	json_writer *w = &js.w;
	json_object_begin(w);
	json_kv_string(w, "master_id", m->id);
	json_kv_string(w, "address", master_address(m));
	json_kv_string(w, "http_address", master_http_address(m));
	json_kv_number(w, "start_time", m->start_time);
	mosaic_resources total;
	allocator_total(m->alloc, &total);
	codec_res_json(w, "total", &total);
	allocator_gang_info gi;
	allocator_gang_reservation(m->alloc, &gi);
	json_key(w, "gang_reservation");
	if (gi.phase == ALLOCATOR_GANG_NONE) {
		json_null(w);
	} else {
		/* The allocator's times are on the loop's clock. */
		double to_wall = mosaic_wall_now() - master_now(m);
		json_object_begin(w);
		json_kv_string(w, "phase", gi.phase == ALLOCATOR_GANG_HOLDING ? "holding" : "offered");
		json_kv_string(w, "framework_id", gi.framework_id);
		json_kv_int(w, "tasks", gi.tasks);
		json_kv_int(w, "held_tasks", gi.held_tasks);
		json_kv_int(w, "held_agents", (int64_t)gi.held_agents);
		json_kv_number(w, "since", gi.since + to_wall);
		json_kv_number(w, "granted", gi.granted + to_wall);
		json_object_end(w);
	}
	master_state_walk(m, &json_visitor, &js, true, true);
	json_object_end(w);
	return json_take(w);
}
