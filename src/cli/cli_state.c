#include "cli_state.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "loop.h"
#include "mem.h"
#include "messenger.h"
#include "mosaic.pb-c.h"
#include "operator.pb-c.h"

static char *
dup(const char *s)
{
	return xstrdup(s ? s : "");
}

/* Resources from the wire: anything invalid shows as empty rather than
 * failing the whole listing. */
static void
res_in(mosaic_resources *out, const Mosaic__Resources *pb)
{
	if (codec_res_from_pb(out, pb) != 0)
		res_clear(out);
}

static cli_state *
from_pb(const Mosaic__State *pb)
{
	cli_state *st = xcalloc(1, sizeof(*st));
	st->master_id = dup(pb->master_id);
	st->address = dup(pb->address);
	st->http = dup(pb->http_address);
	st->start_time = pb->has_start_time ? pb->start_time : 0;
	res_in(&st->total, pb->total);
	st->nagents = pb->n_agents;
	st->agents = xcalloc(pb->n_agents + 1, sizeof(cli_agent));
	for (size_t i = 0; i < pb->n_agents; i++) {
		const Mosaic__AgentState *a = pb->agents[i];
		cli_agent *o = &st->agents[i];
		o->id = dup(a->id);
		o->hostname = dup(a->hostname);
		o->address = dup(a->address);
		o->http = dup(a->http_address);
		res_in(&o->total, a->total);
		res_in(&o->used, a->used);
		res_in(&o->offered, a->offered);
		o->active = a->has_active ? a->active : true;
		o->tasks = a->task_count;
		o->registered_time = a->registered_time;
		if (a->topology) {
			o->sockets = a->topology->sockets;
			o->numa_nodes = a->topology->numa_nodes;
			o->cores = a->topology->cores;
		}
	}
	st->nframeworks = pb->n_frameworks;
	st->frameworks = xcalloc(pb->n_frameworks + 1, sizeof(cli_framework));
	for (size_t i = 0; i < pb->n_frameworks; i++) {
		const Mosaic__FrameworkState *f = pb->frameworks[i];
		cli_framework *o = &st->frameworks[i];
		o->id = dup(f->id);
		o->name = dup(f->name);
		o->role = dup(f->role ? f->role : "*");
		o->principal = dup(f->principal);
		o->address = dup(f->address);
		o->active = f->active;
		o->suppressed = f->suppressed;
		res_in(&o->used, f->used);
		res_in(&o->offered, f->offered);
		o->share = f->dominant_share;
		o->failover_timeout = f->failover_timeout;
		o->registered_time = f->registered_time;
		o->tasks = f->running_tasks;
	}
	st->nroles = pb->n_roles;
	st->roles = xcalloc(pb->n_roles + 1, sizeof(cli_role));
	for (size_t i = 0; i < pb->n_roles; i++) {
		const Mosaic__RoleState *r = pb->roles[i];
		cli_role *o = &st->roles[i];
		o->name = dup(r->name);
		o->weight = r->has_weight ? r->weight : 1;
		o->share = r->dominant_share;
		res_in(&o->allocated, r->allocated);
		o->frameworks = r->frameworks;
	}
	st->ntasks = pb->n_tasks;
	st->tasks = xcalloc(pb->n_tasks + 1, sizeof(cli_task));
	for (size_t i = 0; i < pb->n_tasks; i++) {
		const Mosaic__TaskEntry *t = pb->tasks[i];
		cli_task *o = &st->tasks[i];
		o->id = dup(t->task_id);
		o->framework_id = dup(t->framework_id);
		o->agent_id = dup(t->agent_id);
		o->name = dup(t->name);
		o->hostname = dup(t->hostname);
		o->state = t->state;
		res_in(&o->resources, t->resources);
		o->updated = t->updated;
	}
	return st;
}

void
cli_state_free(cli_state *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nagents; i++) {
		cli_agent *a = &st->agents[i];
		free(a->id);
		free(a->hostname);
		free(a->address);
		free(a->http);
	}
	for (size_t i = 0; i < st->nframeworks; i++) {
		cli_framework *f = &st->frameworks[i];
		free(f->id);
		free(f->name);
		free(f->role);
		free(f->principal);
		free(f->address);
	}
	for (size_t i = 0; i < st->nroles; i++)
		free(st->roles[i].name);
	for (size_t i = 0; i < st->ntasks; i++) {
		cli_task *t = &st->tasks[i];
		free(t->id);
		free(t->framework_id);
		free(t->agent_id);
		free(t->name);
		free(t->hostname);
	}
	free(st->agents);
	free(st->frameworks);
	free(st->roles);
	free(st->tasks);
	free(st->master_id);
	free(st->address);
	free(st->http);
	free(st);
}

/* "agent2" before "agent10": digit runs compare as numbers. */
static int
natural_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0')
				a++;
			while (*b == '0')
				b++;
			size_t na = 0, nb = 0;
			while (isdigit((unsigned char)a[na]))
				na++;
			while (isdigit((unsigned char)b[nb]))
				nb++;
			if (na != nb)
				return na < nb ? -1 : 1;
			int c = strncmp(a, b, na);
			if (c)
				return c;
			a += na;
			b += nb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int
agent_cmp(const void *x, const void *y)
{
	const cli_agent *a = x, *b = y;
	int c = natural_cmp(a->hostname, b->hostname);
	return c ? c : strcmp(a->id, b->id);
}

static int
framework_cmp(const void *x, const void *y)
{
	const cli_framework *a = x, *b = y;
	if (a->registered_time != b->registered_time)
		return a->registered_time < b->registered_time ? -1 : 1;
	return strcmp(a->id, b->id);
}

static int
task_cmp(const void *x, const void *y)
{
	const cli_task *a = x, *b = y;
	int c = strcmp(a->framework_id, b->framework_id);
	return c ? c : natural_cmp(a->id, b->id);
}

/* The master lists in its own order; people read sorted tables. */
static void
sort_state(cli_state *st)
{
	qsort(st->agents, st->nagents, sizeof(cli_agent), agent_cmp);
	qsort(st->frameworks, st->nframeworks, sizeof(cli_framework), framework_cmp);
	qsort(st->tasks, st->ntasks, sizeof(cli_task), task_cmp);
}

typedef struct fetch {
	cli_state *st;
} fetch;

static void
on_state(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	fetch *f = ctx;
	if (!f->st) {
		f->st = from_pb((const Mosaic__State *)msg);
		sort_state(f->st);
	}
}

static const messenger_route routes[] = {
    {MOSAIC__MESSAGE_TYPE__MSG_STATE, &mosaic__state__descriptor, on_state},
};

int
cli_state_fetch(cli_state **out, const char *master, bool include_completed, double timeout, char *err,
                size_t errlen)
{
	mosaic_loop *loop;
	if (loop_new(&loop) != 0) {
		snprintf(err, errlen, "cannot create an event loop");
		return MOSAIC_EIO;
	}
	fetch f = {NULL};
	const char *host = getenv("MOSAIC_LISTEN_HOST");
	char listen[MESSENGER_ADDR_MAX];
	snprintf(listen, sizeof(listen), "tcp://%s:0", host && *host ? host : "127.0.0.1");
	messenger *m;
	int rv = messenger_open(&m, loop, listen, routes, 1, &f, err, errlen);
	if (rv != 0) {
		loop_free(loop);
		return rv;
	}
	Mosaic__GetState gs = MOSAIC__GET_STATE__INIT;
	gs.has_include_tasks = 1;
	gs.include_tasks = 1;
	gs.has_include_completed = 1;
	gs.include_completed = include_completed;
	rv = messenger_send(m, master, MOSAIC__MESSAGE_TYPE__MSG_GET_STATE, &gs.base);
	if (rv != 0) {
		snprintf(err, errlen, "cannot send to %s: %s", master, mosaic_strerror(rv));
	} else {
		double end = mosaic_mono_now() + timeout;
		while (!f.st && mosaic_mono_now() < end)
			loop_run_once(loop, 0.05);
		if (!f.st) {
			rv = MOSAIC_ETIMEDOUT;
			snprintf(err, errlen, "no answer from %s within %.0f s", master, timeout);
		}
	}
	messenger_close(m);
	loop_free(loop);
	if (rv != 0) {
		cli_state_free(f.st);
		return rv;
	}
	*out = f.st;
	return MOSAIC_OK;
}

void
cli_state_used(const cli_state *st, mosaic_resources *out)
{
	res_clear(out);
	for (size_t i = 0; i < st->nagents; i++) {
		out->cpus += st->agents[i].used.cpus;
		out->mem += st->agents[i].used.mem;
		out->disk += st->agents[i].used.disk;
		out->gpus += st->agents[i].used.gpus;
	}
}

const cli_framework *
cli_state_framework(const cli_state *st, const char *id)
{
	for (size_t i = 0; i < st->nframeworks; i++)
		if (strcmp(st->frameworks[i].id, id) == 0)
			return &st->frameworks[i];
	return NULL;
}
