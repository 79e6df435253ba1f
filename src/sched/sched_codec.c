#include "sched_codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "ids.h"
#include "log.h"
#include "mem.h"
#include "sched_dedup.h"

void
sched_codec_res_in(mosaic_resources *out, const mosaic_sched_resources *in)
{
	res_clear(out);
	out->cpus = in->cpus;
	out->mem = in->mem;
	out->disk = in->disk;
	out->gpus = in->gpus;
	/* Adding range by range sorts and coalesces what the caller gave. */
	uint32_t n = in->nports > MOSAIC_MAX_PORT_RANGES ? MOSAIC_MAX_PORT_RANGES : in->nports;
	for (uint32_t i = 0; i < n; i++) {
		mosaic_resources one;
		res_clear(&one);
		one.nports = 1;
		one.ports[0].begin = in->ports[i].begin;
		one.ports[0].end = in->ports[i].end;
		res_add(out, &one);
	}
}

void
sched_codec_res_out(mosaic_sched_resources *out, const mosaic_resources *in)
{
	memset(out, 0, sizeof(*out));
	out->cpus = in->cpus;
	out->mem = in->mem;
	out->disk = in->disk;
	out->gpus = in->gpus;
	out->nports = in->nports;
	for (uint32_t i = 0; i < in->nports; i++) {
		out->ports[i].begin = in->ports[i].begin;
		out->ports[i].end = in->ports[i].end;
	}
}

static const char *
str(const char *s)
{
	return s ? s : "";
}

void
sched_codec_offers(sched_offer_batch *out, const Mosaic__Offers *pb)
{
	memset(out, 0, sizeof(*out));
	size_t nattrs = 0;
	for (size_t i = 0; i < pb->n_offers; i++)
		nattrs += pb->offers[i]->n_attributes;
	out->offers = xcalloc(pb->n_offers ? pb->n_offers : 1, sizeof(*out->offers));
	out->res = xcalloc(pb->n_offers ? pb->n_offers : 1, sizeof(*out->res));
	out->attrs = xcalloc(nattrs ? nattrs : 1, sizeof(*out->attrs));
	size_t a = 0;
	for (size_t i = 0; i < pb->n_offers; i++) {
		const Mosaic__Offer *po = pb->offers[i];
		mosaic_resources r;
		if (codec_res_from_pb(&r, po->resources) != 0) {
			LOGW("ignoring offer %s: invalid resources", po->id);
			continue;
		}
		mosaic_sched_offer *o = &out->offers[out->n];
		out->res[out->n] = r;
		out->n++;
		o->id = po->id;
		o->agent_id = po->agent_id;
		o->hostname = str(po->hostname);
		o->agent_http = str(po->agent_http);
		sched_codec_res_out(&o->resources, &r);
		o->attributes = &out->attrs[a];
		for (size_t k = 0; k < po->n_attributes; k++) {
			out->attrs[a].name = po->attributes[k]->name;
			out->attrs[a].value = po->attributes[k]->value;
			a++;
		}
		o->nattributes = po->n_attributes;
		const Mosaic__TopologySummary *t = po->topology;
		o->topology.source = "";
		if (t) {
			o->topology.present = true;
			o->topology.sockets = t->sockets;
			o->topology.numa_nodes = t->numa_nodes;
			o->topology.cores = t->cores;
			o->topology.pus_per_core = t->pus_per_core;
			o->topology.nnuma = t->n_free_cores_per_numa;
			o->topology.free_cores_per_numa = t->free_cores_per_numa;
			o->topology.nsockets = t->n_free_cores_per_socket;
			o->topology.free_cores_per_socket = t->free_cores_per_socket;
			o->topology.source = str(t->source);
		}
	}
}

void
sched_offer_batch_fini(sched_offer_batch *b)
{
	free(b->offers);
	free(b->res);
	free(b->attrs);
	memset(b, 0, sizeof(*b));
}

void
sched_codec_status(mosaic_sched_status *out, const Mosaic__TaskStatus *pb, char *uuid_hex)
{
	memset(out, 0, sizeof(*out));
	out->task_id = pb->task_id;
	out->state = (mosaic_sched_task_state)pb->state;
	out->agent_id = str(pb->agent_id);
	out->agent_hostname = str(pb->agent_hostname);
	out->agent_http = str(pb->agent_http);
	out->message = str(pb->message);
	out->reason = str(pb->reason);
	out->source = pb->has_source ? (mosaic_sched_source)pb->source : MOSAIC_SCHED_SOURCE_MASTER;
	out->has_exit_code = pb->has_exit_code;
	out->exit_code = pb->has_exit_code ? pb->exit_code : 0;
	out->term_signal = pb->has_term_signal ? pb->term_signal : 0;
	out->pid = pb->has_pid ? pb->pid : 0;
	out->sandbox = str(pb->sandbox);
	out->cpus_bound = str(pb->cpus_bound);
	out->numa_bound = str(pb->numa_bound);
	out->timestamp = pb->has_timestamp ? pb->timestamp : 0;
	out->uuid = NULL;
	if (pb->has_uuid && pb->uuid.len > 0) {
		size_t n = pb->uuid.len > SCHED_DEDUP_UUID_MAX ? SCHED_DEDUP_UUID_MAX : pb->uuid.len;
		static const char hex[] = "0123456789abcdef";
		for (size_t i = 0; i < n; i++) {
			uuid_hex[2 * i] = hex[pb->uuid.data[i] >> 4];
			uuid_hex[2 * i + 1] = hex[pb->uuid.data[i] & 15];
		}
		uuid_hex[2 * n] = '\0';
		out->uuid = uuid_hex;
	}
}

int
sched_codec_hex_decode(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex);
	if (n == 0 || n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + (size_t)k];
			int d = c >= '0' && c <= '9'   ? c - '0'
			        : c >= 'a' && c <= 'f' ? c - 'a' + 10
			        : c >= 'A' && c <= 'F' ? c - 'A' + 10
			                               : -1;
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		out[i] = (uint8_t)v;
	}
	return (int)(n / 2);
}

static int
bad(char *err, size_t errlen, const char *fmt, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, what);
	return MOSAIC_EINVAL;
}

static int
check_resources(const mosaic_sched_resources *r)
{
	const double v[] = {r->cpus, r->mem, r->disk, r->gpus};
	for (size_t i = 0; i < 4; i++)
		if (!isfinite(v[i]) || v[i] < 0)
			return -1;
	if (r->nports > MOSAIC_SCHED_MAX_PORT_RANGES)
		return -1;
	for (uint32_t i = 0; i < r->nports; i++)
		if (r->ports[i].begin > r->ports[i].end || r->ports[i].end > 65535)
			return -1;
	return 0;
}

_Static_assert(MOSAIC_SCHED_MAX_SCRIPT == 1048576, "check_task's message names the limit");

/* Everything that can be refused is checked before anything is built. */
static int
check_task(const mosaic_sched_task *t, char *err, size_t errlen)
{
	if (!t->id || !id_valid(t->id))
		return bad(err, errlen, "task id '%s' is invalid: use 1-63 of [A-Za-z0-9._-]", str(t->id));
	if (!t->agent_id || !*t->agent_id)
		return bad(err, errlen, "task %s names no agent_id", t->id);
	bool has_argv = t->argv && t->argv[0] && *t->argv[0];
	bool has_shell = t->shell && *t->shell;
	if (t->script) {
		if (has_shell)
			return bad(err, errlen, "task %s has both a script and a shell command", t->id);
		size_t len = strnlen(t->script, MOSAIC_SCHED_MAX_SCRIPT + 1);
		if (len > MOSAIC_SCHED_MAX_SCRIPT)
			return bad(err, errlen,
			           "task %s: its script is over the limit of 1048576 bytes (1 MiB)", t->id);
		if (strncmp(t->script, "#!", 2) != 0)
			return bad(err, errlen,
			           "task %s: its script does not start with a #! line naming its interpreter",
			           t->id);
	} else if (has_argv == has_shell) {
		return bad(err, errlen, "task %s needs exactly one of shell and argv, or a script", t->id);
	}
	if (check_resources(&t->resources) != 0)
		return bad(err, errlen, "task %s has negative, non-finite or malformed resources", t->id);
	if (!isfinite(t->kill_grace) || t->kill_grace < 0)
		return bad(err, errlen, "task %s has a negative kill_grace", t->id);
	if ((unsigned)t->placement.kind > MOSAIC_SCHED_PLACE_NUMA)
		return bad(err, errlen, "task %s has an unknown placement kind", t->id);
	for (size_t i = 0; t->env && t->env[i]; i++) {
		const char *eq = strchr(t->env[i], '=');
		if (!eq || eq == t->env[i])
			return bad(err, errlen, "environment entry '%s' is not NAME=value", t->env[i]);
	}
	for (size_t i = 0; i < t->nlabels; i++)
		if (!t->labels || !t->labels[i].name || !t->labels[i].value)
			return bad(err, errlen, "task %s has a label without name or value", t->id);
	if (t->data_len && !t->data)
		return bad(err, errlen, "task %s has data_len but no data", t->id);
	return MOSAIC_OK;
}

int
sched_codec_task(sched_task_pb *p, const mosaic_sched_task *t, char *err, size_t errlen)
{
	int rv = check_task(t, err, errlen);
	if (rv != 0)
		return rv;
	memset(p, 0, sizeof(*p));
	mosaic__task_info__init(&p->info);
	mosaic__command_info__init(&p->cmd);
	/* The wire types take char *; packing only reads them. */
	p->info.task_id = (char *)t->id;
	p->info.name = (char *)(t->name && *t->name ? t->name : t->id);
	p->info.agent_id = (char *)t->agent_id;
	mosaic_resources r;
	sched_codec_res_in(&r, &t->resources);
	p->info.resources = codec_res_to_pb(&p->res, &r);
	p->info.command = &p->cmd;

	if (t->script) {
		/* value only names it (the master wants a command); argv, when
		 * given, goes as arguments */
		size_t n = 0;
		while (t->argv && t->argv[n])
			n++;
		if (n) {
			p->args = xcalloc(n, sizeof(char *));
			for (size_t i = 0; i < n; i++)
				p->args[i] = (char *)t->argv[i];
			p->cmd.arguments = p->args;
			p->cmd.n_arguments = n;
		}
		p->cmd.value = (char *)(n && *t->argv[0] ? t->argv[0] : "script");
		p->cmd.script = (char *)t->script;
		p->cmd.has_shell = 1;
		p->cmd.shell = 0;
	} else if (t->shell && *t->shell) {
		p->cmd.value = (char *)t->shell;
		p->cmd.has_shell = 1;
		p->cmd.shell = 1;
	} else {
		size_t n = 0;
		while (t->argv[n])
			n++;
		p->args = xcalloc(n, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			p->args[i] = (char *)t->argv[i];
		p->cmd.value = (char *)t->argv[0];
		p->cmd.arguments = p->args;
		p->cmd.n_arguments = n;
		p->cmd.has_shell = 1;
		p->cmd.shell = 0;
	}
	size_t nenv = 0;
	while (t->env && t->env[nenv])
		nenv++;
	if (nenv) {
		p->nenv = nenv;
		p->env = xcalloc(nenv, sizeof(*p->env));
		p->envp = xcalloc(nenv, sizeof(*p->envp));
		p->env_names = xcalloc(nenv, sizeof(*p->env_names));
		for (size_t i = 0; i < nenv; i++) {
			const char *eq = strchr(t->env[i], '=');
			mosaic__env_var__init(&p->env[i]);
			p->env_names[i] = xstrndup(t->env[i], (size_t)(eq - t->env[i]));
			p->env[i].name = p->env_names[i];
			p->env[i].value = (char *)(eq + 1);
			p->envp[i] = &p->env[i];
		}
		p->cmd.environment = p->envp;
		p->cmd.n_environment = nenv;
	}
	p->cmd.user = (char *)(t->user && *t->user ? t->user : NULL);
	p->cmd.cwd = (char *)(t->cwd && *t->cwd ? t->cwd : NULL);
	p->cmd.stdout_path = (char *)(t->stdout_path && *t->stdout_path ? t->stdout_path : NULL);
	p->cmd.stderr_path = (char *)(t->stderr_path && *t->stderr_path ? t->stderr_path : NULL);

	const mosaic_sched_placement *pl = &t->placement;
	if (pl->kind != MOSAIC_SCHED_PLACE_NONE || pl->cores || pl->cores_per_socket || pl->sockets ||
	    pl->mem_bind) {
		mosaic__placement__init(&p->placement);
		p->placement.has_kind = 1;
		p->placement.kind = (Mosaic__PlacementKind)pl->kind;
		p->placement.has_cores = pl->cores > 0;
		p->placement.cores = pl->cores;
		p->placement.has_cores_per_socket = pl->cores_per_socket > 0;
		p->placement.cores_per_socket = pl->cores_per_socket;
		p->placement.has_sockets = pl->sockets > 0;
		p->placement.sockets = pl->sockets;
		p->placement.has_mem_bind = pl->mem_bind;
		p->placement.mem_bind = pl->mem_bind;
		p->info.placement = &p->placement;
	}
	if (t->kill_grace > 0) {
		p->info.has_kill_grace_seconds = 1;
		p->info.kill_grace_seconds = t->kill_grace;
	}
	if (t->data_len) {
		p->info.has_data = 1;
		p->info.data.data = (uint8_t *)t->data;
		p->info.data.len = t->data_len;
	}
	if (t->nlabels) {
		p->labels = xcalloc(t->nlabels, sizeof(*p->labels));
		p->labelp = xcalloc(t->nlabels, sizeof(*p->labelp));
		for (size_t i = 0; i < t->nlabels; i++) {
			mosaic__attribute__init(&p->labels[i]);
			p->labels[i].name = (char *)t->labels[i].name;
			p->labels[i].value = (char *)t->labels[i].value;
			p->labelp[i] = &p->labels[i];
		}
		p->info.labels = p->labelp;
		p->info.n_labels = t->nlabels;
	}
	return MOSAIC_OK;
}

void
sched_codec_task_fini(sched_task_pb *p)
{
	for (size_t i = 0; i < p->nenv; i++)
		free(p->env_names[i]);
	free(p->env_names);
	free(p->env);
	free(p->envp);
	free(p->labels);
	free(p->labelp);
	free(p->args);
	memset(p, 0, sizeof(*p));
}
