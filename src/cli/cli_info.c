/* cli_info.c - mosaic status, agents, frameworks, tasks, roles: ask the
 * master for its State and print it, as aligned tables for people or with
 * --json for scripts. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_state.h"
#include "cli_table.h"
#include "codec.h"
#include "errors.h"
#include "json.h"
#include "loop.h"

enum { OPT_MASTER, OPT_JSON, OPT_HELP, OPT_ALL };

static const cli_opt common_opts[] = {
    {"master", 0, true, OPT_MASTER},
    {"json", 0, false, OPT_JSON},
    {"help", 'h', false, OPT_HELP},
    {NULL, 0, false, 0},
};

static const cli_opt task_opts[] = {
    {"master", 0, true, OPT_MASTER}, {"json", 0, false, OPT_JSON}, {"all", 'a', false, OPT_ALL},
    {"help", 'h', false, OPT_HELP},  {NULL, 0, false, 0},
};

typedef struct info_cmd {
	const char *name;
	const char *summary;
	bool has_all;
} info_cmd;

typedef struct info_args {
	const char *master;
	bool json, all;
} info_args;

static void
usage(const info_cmd *c)
{
	printf("usage: mosaic %s [--master ADDR] [--json]%s\n\n%s\n\n"
	       "  --master ADDR  the master (default: $MOSAIC_MASTER, else %s)\n"
	       "  --json         machine-readable output\n"
	       "%s"
	       "  -h, --help     this help\n",
	       c->name, c->has_all ? " [--all]" : "", c->summary, CLI_DEFAULT_MASTER,
	       c->has_all ? "  -a, --all      include finished tasks\n" : "");
}

/* fetch's "help was printed" result, distinct from every exit status. */
#define HELP_SHOWN (-1)

/* Parse the options and fetch the state: CLI_EXIT_OK with *st, HELP_SHOWN,
 * or the exit status to return (usage error, no master). */
static int
fetch(const info_cmd *c, int argc, char **argv, info_args *ia, cli_state **st)
{
	cli_args a;
	cli_args_init(&a, argc, argv);
	memset(ia, 0, sizeof(*ia));
	const char *val;
	int id;
	while ((id = cli_args_next(&a, c->has_all ? task_opts : common_opts, &val)) >= 0) {
		switch (id) {
		case OPT_MASTER: ia->master = val; break;
		case OPT_JSON: ia->json = true; break;
		case OPT_ALL: ia->all = true; break;
		case OPT_HELP: usage(c); return HELP_SHOWN;
		}
	}
	if (id == CLI_ARGS_ERROR)
		return cli_args_fail(c->name, a.err);
	int rv = cli_args_no_positionals(&a, c->name);
	if (rv != 0)
		return rv;
	const char *master = cli_master(ia->master);
	char err[256];
	rv = cli_state_fetch(st, master, true, CLI_STATE_TIMEOUT, err, sizeof(err));
	if (rv == MOSAIC_ETIMEDOUT)
		return cli_no_master(master);
	if (rv != 0) {
		fprintf(stderr, "mosaic %s: %s\n", c->name, err);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static int
finish(int rv)
{
	return rv == HELP_SHOWN ? CLI_EXIT_OK : rv;
}

static void
print_table(cli_table *t)
{
	char *s = cli_table_render(t);
	fputs(s, stdout);
	free(s);
	cli_table_free(t);
}

static void
print_json(json_writer *w)
{
	char *s = json_take(w);
	puts(s);
	free(s);
}

/* ---- agents ---- */

static const info_cmd agents_cmd = {"agents", "List the agents: resources used of total, tasks, state.",
                                    false};

int
cli_info_agents(int argc, char **argv)
{
	info_args ia;
	cli_state *st;
	int rv = fetch(&agents_cmd, argc, argv, &ia, &st);
	if (rv != CLI_EXIT_OK)
		return finish(rv);
	if (ia.json) {
		json_writer w;
		json_init(&w);
		json_array_begin(&w);
		for (size_t i = 0; i < st->nagents; i++) {
			const cli_agent *a = &st->agents[i];
			json_object_begin(&w);
			json_kv_string(&w, "id", a->id);
			json_kv_string(&w, "hostname", a->hostname);
			json_kv_string(&w, "address", a->address);
			json_kv_string(&w, "http_address", a->http);
			codec_res_json(&w, "total", &a->total);
			codec_res_json(&w, "used", &a->used);
			codec_res_json(&w, "offered", &a->offered);
			json_kv_int(&w, "tasks", a->tasks);
			json_kv_bool(&w, "active", a->active);
			json_kv_number(&w, "registered_time", a->registered_time);
			json_object_end(&w);
		}
		json_array_end(&w);
		print_json(&w);
	} else {
		static const char *h[] = {"ID",  "HOSTNAME", "ADDRESS", "CPUS",
		                          "MEM", "DISK",     "TASKS",   "STATE"};
		cli_table *t = cli_table_new(8, h, "lllrrrrl");
		for (size_t i = 0; i < st->nagents; i++) {
			const cli_agent *a = &st->agents[i];
			char cpus[64], mem[64], disk[64], tasks[16];
			cli_fmt_used(a->used.cpus, a->total.cpus, 0, cpus, sizeof(cpus));
			cli_fmt_used(a->used.mem, a->total.mem, 1, mem, sizeof(mem));
			cli_fmt_used(a->used.disk, a->total.disk, 1, disk, sizeof(disk));
			snprintf(tasks, sizeof(tasks), "%u", a->tasks);
			const char *row[] = {
			    a->id, a->hostname, a->address, cpus,
			    mem,   disk,        tasks,      a->active ? "active" : "unreachable"};
			cli_table_row(t, row);
		}
		print_table(t);
	}
	cli_state_free(st);
	return CLI_EXIT_OK;
}

/* ---- frameworks ---- */

static const info_cmd frameworks_cmd = {
    "frameworks", "List the frameworks: role, resources in use, dominant share, running tasks.", false};

int
cli_info_frameworks(int argc, char **argv)
{
	info_args ia;
	cli_state *st;
	int rv = fetch(&frameworks_cmd, argc, argv, &ia, &st);
	if (rv != CLI_EXIT_OK)
		return finish(rv);
	if (ia.json) {
		json_writer w;
		json_init(&w);
		json_array_begin(&w);
		for (size_t i = 0; i < st->nframeworks; i++) {
			const cli_framework *f = &st->frameworks[i];
			json_object_begin(&w);
			json_kv_string(&w, "id", f->id);
			json_kv_string(&w, "name", f->name);
			json_kv_string(&w, "role", f->role);
			json_kv_string(&w, "principal", f->principal);
			json_kv_string(&w, "address", f->address);
			json_kv_bool(&w, "active", f->active);
			json_kv_bool(&w, "suppressed", f->suppressed);
			codec_res_json(&w, "used", &f->used);
			codec_res_json(&w, "offered", &f->offered);
			json_kv_number(&w, "dominant_share", f->share);
			json_kv_int(&w, "running_tasks", f->tasks);
			json_kv_number(&w, "failover_timeout", f->failover_timeout);
			json_kv_number(&w, "registered_time", f->registered_time);
			json_object_end(&w);
		}
		json_array_end(&w);
		print_json(&w);
	} else {
		static const char *h[] = {"ID", "NAME", "ROLE", "ACTIVE", "CPUS", "MEM", "SHARE", "TASKS"};
		cli_table *t = cli_table_new(8, h, "llllrrrr");
		for (size_t i = 0; i < st->nframeworks; i++) {
			const cli_framework *f = &st->frameworks[i];
			char cpus[32], mem[32], share[32], tasks[16];
			cli_fmt_num(f->used.cpus, cpus, sizeof(cpus));
			cli_fmt_mem(f->used.mem, mem, sizeof(mem));
			cli_fmt_pct(f->share, share, sizeof(share));
			snprintf(tasks, sizeof(tasks), "%u", f->tasks);
			const char *row[] = {
			    f->id,   f->name,
			    f->role, !f->active ? "no" : f->suppressed ? "yes (suppressed)" : "yes",
			    cpus,    mem,
			    share,   tasks};
			cli_table_row(t, row);
		}
		print_table(t);
	}
	cli_state_free(st);
	return CLI_EXIT_OK;
}

/* ---- tasks ---- */

static const info_cmd tasks_cmd = {"tasks", "List the tasks that are not finished (with --all, every task).",
                                   true};

int
cli_info_tasks(int argc, char **argv)
{
	info_args ia;
	cli_state *st;
	int rv = fetch(&tasks_cmd, argc, argv, &ia, &st);
	if (rv != CLI_EXIT_OK)
		return finish(rv);
	json_writer w;
	cli_table *t = NULL;
	if (ia.json) {
		json_init(&w);
		json_array_begin(&w);
	} else {
		static const char *h[] = {"ID", "FRAMEWORK", "NAME", "STATE", "AGENT"};
		t = cli_table_new(5, h, "lllll");
	}
	for (size_t i = 0; i < st->ntasks; i++) {
		const cli_task *k = &st->tasks[i];
		if (!ia.all && codec_task_state_terminal(k->state))
			continue;
		const cli_framework *f = cli_state_framework(st, k->framework_id);
		const char *state = codec_task_state_name(k->state);
		if (ia.json) {
			json_object_begin(&w);
			json_kv_string(&w, "id", k->id);
			json_kv_string(&w, "framework_id", k->framework_id);
			json_kv_string(&w, "framework", f ? f->name : "");
			json_kv_string(&w, "name", k->name);
			json_kv_string(&w, "state", state);
			json_kv_string(&w, "agent_id", k->agent_id);
			json_kv_string(&w, "hostname", k->hostname);
			codec_res_json(&w, "resources", &k->resources);
			json_kv_number(&w, "updated", k->updated);
			json_object_end(&w);
		} else {
			const char *row[] = {k->id, k->framework_id, k->name, state,
			                     *k->hostname ? k->hostname : k->agent_id};
			cli_table_row(t, row);
		}
	}
	if (ia.json) {
		json_array_end(&w);
		print_json(&w);
	} else {
		print_table(t);
	}
	cli_state_free(st);
	return CLI_EXIT_OK;
}

/* ---- roles ---- */

static const info_cmd roles_cmd = {"roles", "List the roles: weight, dominant share, frameworks, allocation.",
                                   false};

static void
roles_table(const cli_state *st)
{
	static const char *h[] = {"ROLE", "WEIGHT", "SHARE", "FRAMEWORKS", "CPUS", "MEM"};
	cli_table *t = cli_table_new(6, h, "lrrrrr");
	for (size_t i = 0; i < st->nroles; i++) {
		const cli_role *r = &st->roles[i];
		char weight[32], share[32], fws[16], cpus[32], mem[32];
		cli_fmt_num(r->weight, weight, sizeof(weight));
		cli_fmt_pct(r->share, share, sizeof(share));
		snprintf(fws, sizeof(fws), "%u", r->frameworks);
		cli_fmt_num(r->allocated.cpus, cpus, sizeof(cpus));
		cli_fmt_mem(r->allocated.mem, mem, sizeof(mem));
		const char *row[] = {r->name, weight, share, fws, cpus, mem};
		cli_table_row(t, row);
	}
	print_table(t);
}

static void
roles_json(json_writer *w, const cli_state *st)
{
	json_array_begin(w);
	for (size_t i = 0; i < st->nroles; i++) {
		const cli_role *r = &st->roles[i];
		json_object_begin(w);
		json_kv_string(w, "name", r->name);
		json_kv_number(w, "weight", r->weight);
		json_kv_number(w, "dominant_share", r->share);
		json_kv_int(w, "frameworks", r->frameworks);
		codec_res_json(w, "allocated", &r->allocated);
		json_object_end(w);
	}
	json_array_end(w);
}

int
cli_info_roles(int argc, char **argv)
{
	info_args ia;
	cli_state *st;
	int rv = fetch(&roles_cmd, argc, argv, &ia, &st);
	if (rv != CLI_EXIT_OK)
		return finish(rv);
	if (ia.json) {
		json_writer w;
		json_init(&w);
		roles_json(&w, st);
		print_json(&w);
	} else {
		roles_table(st);
	}
	cli_state_free(st);
	return CLI_EXIT_OK;
}

/* ---- status ---- */

static const info_cmd status_cmd = {
    "status", "The cluster at a glance: the master, agents, resources in use, frameworks, tasks and roles.",
    false};

static void
status_text(const cli_state *st, const mosaic_resources *used, size_t active, const size_t *by_state)
{
	char up[32], a[32], b[32], pct[32];
	double now = mosaic_wall_now();
	bool has_scheme = strncmp(st->http, "http", 4) == 0;
	printf("Master:      %s (%s%s%s)", st->address, st->master_id,
	       !*st->http   ? ""
	       : has_scheme ? ", "
	                    : ", http://",
	       st->http);
	if (st->start_time > 0)
		printf(", up %s", cli_fmt_duration(now - st->start_time, up, sizeof(up)));
	printf("\nAgents:      %zu active, %zu unreachable\n", active, st->nagents - active);
	printf("CPUs:        %s of %s used (%s)\n", cli_fmt_num(used->cpus, a, sizeof(a)),
	       cli_fmt_num(st->total.cpus, b, sizeof(b)),
	       cli_fmt_pct(st->total.cpus > 0 ? used->cpus / st->total.cpus : 0, pct, sizeof(pct)));
	printf("Memory:      %s of %s used (%s)\n", cli_fmt_mem(used->mem, a, sizeof(a)),
	       cli_fmt_mem(st->total.mem, b, sizeof(b)),
	       cli_fmt_pct(st->total.mem > 0 ? used->mem / st->total.mem : 0, pct, sizeof(pct)));
	printf("Disk:        %s of %s used\n", cli_fmt_mem(used->disk, a, sizeof(a)),
	       cli_fmt_mem(st->total.disk, b, sizeof(b)));
	size_t fw_active = 0;
	for (size_t i = 0; i < st->nframeworks; i++)
		fw_active += st->frameworks[i].active;
	printf("Frameworks:  %zu (%zu active)\n", st->nframeworks, fw_active);
	printf("Tasks:      ");
	bool any = false;
	for (int s = 0; s <= MOSAIC__TASK_STATE__TASK_GONE; s++) {
		if (!by_state[s])
			continue;
		/* "TASK_RUNNING" -> "running" */
		char name[32];
		snprintf(name, sizeof(name), "%s", codec_task_state_name(s) + 5);
		for (char *p = name; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		printf("%s %zu %s", any ? "," : "", by_state[s], name);
		any = true;
	}
	printf("%s\n", any ? "" : " none");
	if (st->nroles) {
		printf("\n");
		roles_table(st);
	}
}

int
cli_info_status(int argc, char **argv)
{
	info_args ia;
	cli_state *st;
	int rv = fetch(&status_cmd, argc, argv, &ia, &st);
	if (rv != CLI_EXIT_OK)
		return finish(rv);
	mosaic_resources used;
	cli_state_used(st, &used);
	size_t active = 0;
	for (size_t i = 0; i < st->nagents; i++)
		active += st->agents[i].active;
	size_t by_state[MOSAIC__TASK_STATE__TASK_GONE + 1] = {0};
	for (size_t i = 0; i < st->ntasks; i++)
		if (st->tasks[i].state >= 0 && st->tasks[i].state <= MOSAIC__TASK_STATE__TASK_GONE)
			by_state[st->tasks[i].state]++;
	if (ia.json) {
		json_writer w;
		json_init(&w);
		json_object_begin(&w);
		json_key(&w, "master");
		json_object_begin(&w);
		json_kv_string(&w, "id", st->master_id);
		json_kv_string(&w, "address", st->address);
		json_kv_string(&w, "http_address", st->http);
		json_kv_number(&w, "start_time", st->start_time);
		json_object_end(&w);
		json_key(&w, "agents");
		json_object_begin(&w);
		json_kv_int(&w, "active", (int64_t)active);
		json_kv_int(&w, "unreachable", (int64_t)(st->nagents - active));
		json_object_end(&w);
		codec_res_json(&w, "total", &st->total);
		codec_res_json(&w, "used", &used);
		json_kv_int(&w, "frameworks", (int64_t)st->nframeworks);
		json_key(&w, "tasks");
		json_object_begin(&w);
		for (int s = 0; s <= MOSAIC__TASK_STATE__TASK_GONE; s++)
			if (by_state[s])
				json_kv_int(&w, codec_task_state_name(s), (int64_t)by_state[s]);
		json_object_end(&w);
		json_key(&w, "roles");
		roles_json(&w, st);
		json_object_end(&w);
		print_json(&w);
	} else {
		status_text(st, &used, active, by_state);
	}
	cli_state_free(st);
	return CLI_EXIT_OK;
}
