/* master_metrics.c - /metrics in the Prometheus text format (0.0.4), from
 * the same walk as /api/state. Each metric family is written whole, with
 * its HELP and TYPE lines, as the format requires. */
#include "master_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "mem.h"

/* ---- /metrics ---- */

typedef struct metrics_state {
	FILE *f;
	size_t agents_active, agents_inactive;
	size_t fw_connected, fw_disconnected;
	size_t tasks[MASTER_NSTATES];
	mosaic_resources used, offered;
	bool fw_header;
	state_role *roles; /* written after the walk: one metric family at a time */
	size_t nroles;
} metrics_state;

/* Prometheus label values escape backslash, quote and newline. */
static void
metrics_label(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void
ms_section(void *arg, const char *name)
{
}

static void
ms_agent(void *arg, const state_agent *sa)
{
	metrics_state *ms = arg;
	if (!sa->a->active) {
		ms->agents_inactive++;
		return;
	}
	ms->agents_active++;
	res_add(&ms->used, &sa->used);
	res_add(&ms->offered, &sa->offered);
}

static void
ms_framework(void *arg, const state_framework *sf)
{
	metrics_state *ms = arg;
	if (sf->fw->connected)
		ms->fw_connected++;
	else
		ms->fw_disconnected++;
	if (!ms->fw_header) {
		fputs("# HELP mosaic_framework_dominant_share A framework's dominant share of the cluster.\n"
		      "# TYPE mosaic_framework_dominant_share gauge\n",
		      ms->f);
		ms->fw_header = true;
	}
	fprintf(ms->f, "mosaic_framework_dominant_share{framework=\"%s\",name=\"", sf->fw->id);
	metrics_label(ms->f, sf->fw->name);
	fprintf(ms->f, "\",role=\"%s\"} %.6g\n", sf->fw->role, sf->share);
}

static void
ms_role(void *arg, const state_role *sr)
{
	metrics_state *ms = arg;
	ms->roles = xrealloc(ms->roles, (ms->nroles + 1) * sizeof(*ms->roles));
	ms->roles[ms->nroles++] = *sr;
}

static void
ms_task(void *arg, const master_task *t, const char *hostname)
{
	metrics_state *ms = arg;
	if (t->state >= 0 && t->state < MASTER_NSTATES)
		ms->tasks[t->state]++;
}

static void
ms_counter(void *arg, const char *name, double value)
{
}

static const state_visitor metrics_visitor = {
    .section = ms_section,
    .agent = ms_agent,
    .framework = ms_framework,
    .role = ms_role,
    .task = ms_task,
    .counter = ms_counter,
};

static void
metrics_resources(FILE *f, const char *metric, const char *help, const mosaic_resources *r)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", metric, help, metric);
	fprintf(f, "%s{resource=\"cpus\"} %.6g\n", metric, r->cpus);
	fprintf(f, "%s{resource=\"mem\"} %.6g\n", metric, r->mem);
	fprintf(f, "%s{resource=\"disk\"} %.6g\n", metric, r->disk);
	fprintf(f, "%s{resource=\"gpus\"} %.6g\n", metric, r->gpus);
	fprintf(f, "%s{resource=\"ports\"} %llu\n", metric, (unsigned long long)res_port_count(r));
}

char *
master_metrics_text(master *m)
{
	char *buf = NULL;
	size_t len = 0;
	metrics_state ms;
	memset(&ms, 0, sizeof(ms));
	ms.f = open_memstream(&buf, &len);
	if (!ms.f) {
		fprintf(stderr, "mosaic-master: out of memory\n");
		abort();
	}
	FILE *f = ms.f;
	/* Active tasks only: completed ones are counted below as totals. */
	master_state_walk(m, &metrics_visitor, &ms, true, false);

	fputs("# HELP mosaic_role_dominant_share A role's dominant share of the cluster, before weighting.\n"
	      "# TYPE mosaic_role_dominant_share gauge\n",
	      f);
	for (size_t i = 0; i < ms.nroles; i++)
		fprintf(f, "mosaic_role_dominant_share{role=\"%s\"} %.6g\n", ms.roles[i].name,
		        ms.roles[i].share);
	fputs("# HELP mosaic_role_weight A role's weight.\n# TYPE mosaic_role_weight gauge\n", f);
	for (size_t i = 0; i < ms.nroles; i++)
		fprintf(f, "mosaic_role_weight{role=\"%s\"} %.6g\n", ms.roles[i].name, ms.roles[i].weight);
	free(ms.roles);
	fputs("# HELP mosaic_agents Agents known to the master.\n# TYPE mosaic_agents gauge\n", f);
	fprintf(f, "mosaic_agents{state=\"active\"} %zu\n", ms.agents_active);
	fprintf(f, "mosaic_agents{state=\"unreachable\"} %zu\n", ms.agents_inactive);
	fputs("# HELP mosaic_frameworks Frameworks known to the master.\n# TYPE mosaic_frameworks gauge\n",
	      f);
	fprintf(f, "mosaic_frameworks{state=\"connected\"} %zu\n", ms.fw_connected);
	fprintf(f, "mosaic_frameworks{state=\"disconnected\"} %zu\n", ms.fw_disconnected);
	fputs("# HELP mosaic_tasks Active tasks by state.\n# TYPE mosaic_tasks gauge\n", f);
	for (int s = 0; s < MASTER_NSTATES; s++)
		if (!codec_task_state_terminal(s) && s != MOSAIC__TASK_STATE__TASK_UNKNOWN)
			fprintf(f, "mosaic_tasks{state=\"%s\"} %zu\n", codec_task_state_name(s), ms.tasks[s]);
	fputs("# HELP mosaic_tasks_terminal_total Tasks that reached a terminal state, by state.\n"
	      "# TYPE mosaic_tasks_terminal_total counter\n",
	      f);
	for (int s = 0; s < MASTER_NSTATES; s++)
		if (codec_task_state_terminal(s))
			fprintf(f, "mosaic_tasks_terminal_total{state=\"%s\"} %llu\n",
			        codec_task_state_name(s), (unsigned long long)m->counters.tasks_terminal[s]);
	const master_counters *c = &m->counters;
	fputs("# HELP mosaic_tasks_launched_total Tasks sent to agents.\n# TYPE mosaic_tasks_launched_total "
	      "counter\n",
	      f);
	fprintf(f, "mosaic_tasks_launched_total %llu\n", (unsigned long long)c->tasks_launched);
	fputs("# HELP mosaic_tasks_invalid_total Tasks refused at Accept (TASK_ERROR or TASK_DROPPED).\n"
	      "# TYPE mosaic_tasks_invalid_total counter\n",
	      f);
	fprintf(f, "mosaic_tasks_invalid_total %llu\n", (unsigned long long)c->tasks_invalid);

	mosaic_resources total;
	allocator_total(m->alloc, &total);
	metrics_resources(f, "mosaic_resources_total", "Resources of the active agents.", &total);
	metrics_resources(f, "mosaic_resources_used", "Resources used by active tasks.", &ms.used);
	metrics_resources(f, "mosaic_resources_offered", "Resources in outstanding offers.", &ms.offered);

	messenger_stats st;
	memset(&st, 0, sizeof(st));
	if (m->msgr)
		messenger_stats_get(m->msgr, &st);
	fputs("# HELP mosaic_messages_received_total Messages received and dispatched.\n"
	      "# TYPE mosaic_messages_received_total counter\n",
	      f);
	fprintf(f, "mosaic_messages_received_total %llu\n", (unsigned long long)st.received);
	fputs("# HELP mosaic_messages_sent_total Messages queued to peers.\n# TYPE "
	      "mosaic_messages_sent_total counter\n",
	      f);
	fprintf(f, "mosaic_messages_sent_total %llu\n", (unsigned long long)st.sent);
	fputs("# HELP mosaic_messages_dropped_total Messages dropped, by reason.\n"
	      "# TYPE mosaic_messages_dropped_total counter\n",
	      f);
	fprintf(f, "mosaic_messages_dropped_total{reason=\"oversized\"} %llu\n",
	        (unsigned long long)st.dropped_oversized);
	fprintf(f, "mosaic_messages_dropped_total{reason=\"undecodable\"} %llu\n",
	        (unsigned long long)st.dropped_undecodable);
	fprintf(f, "mosaic_messages_dropped_total{reason=\"unknown_type\"} %llu\n",
	        (unsigned long long)st.dropped_unknown_type);
	fprintf(f, "mosaic_messages_dropped_total{reason=\"invalid\"} %llu\n",
	        (unsigned long long)c->messages_invalid);
	fprintf(f, "mosaic_messages_dropped_total{reason=\"send_failed\"} %llu\n",
	        (unsigned long long)st.send_failed);

	fputs("# HELP mosaic_offers_total Offer events.\n# TYPE mosaic_offers_total counter\n", f);
	fprintf(f, "mosaic_offers_total{event=\"sent\"} %llu\n", (unsigned long long)c->offers_sent);
	fprintf(f, "mosaic_offers_total{event=\"accepted\"} %llu\n", (unsigned long long)c->offers_accepted);
	fprintf(f, "mosaic_offers_total{event=\"declined\"} %llu\n", (unsigned long long)c->offers_declined);
	fprintf(f, "mosaic_offers_total{event=\"rescinded\"} %llu\n",
	        (unsigned long long)c->offers_rescinded);
	fprintf(f, "mosaic_offers_total{event=\"expired\"} %llu\n", (unsigned long long)c->offers_expired);
	fputs("# HELP mosaic_offers_outstanding Offers not yet answered.\n# TYPE mosaic_offers_outstanding "
	      "gauge\n",
	      f);
	fprintf(f, "mosaic_offers_outstanding %zu\n", strmap_count(&m->offers));

	fputs("# HELP mosaic_status_updates_total Status updates, by step.\n# TYPE "
	      "mosaic_status_updates_total counter\n",
	      f);
	fprintf(f, "mosaic_status_updates_total{step=\"received\"} %llu\n",
	        (unsigned long long)c->updates_from_agents);
	fprintf(f, "mosaic_status_updates_total{step=\"forwarded\"} %llu\n",
	        (unsigned long long)c->updates_forwarded);
	fprintf(f, "mosaic_status_updates_total{step=\"acknowledged\"} %llu\n",
	        (unsigned long long)c->acks_relayed);

	fputs("# HELP mosaic_agent_events_total Agent registrations and losses.\n"
	      "# TYPE mosaic_agent_events_total counter\n",
	      f);
	fprintf(f, "mosaic_agent_events_total{event=\"registered\"} %llu\n",
	        (unsigned long long)c->agents_registered);
	fprintf(f, "mosaic_agent_events_total{event=\"reregistered\"} %llu\n",
	        (unsigned long long)c->agents_reregistered);
	fprintf(f, "mosaic_agent_events_total{event=\"lost\"} %llu\n", (unsigned long long)c->agents_lost);
	fputs("# HELP mosaic_framework_events_total Framework subscriptions, disconnections, removals.\n"
	      "# TYPE mosaic_framework_events_total counter\n",
	      f);
	fprintf(f, "mosaic_framework_events_total{event=\"subscribed\"} %llu\n",
	        (unsigned long long)c->frameworks_subscribed);
	fprintf(f, "mosaic_framework_events_total{event=\"disconnected\"} %llu\n",
	        (unsigned long long)c->frameworks_disconnected);
	fprintf(f, "mosaic_framework_events_total{event=\"removed\"} %llu\n",
	        (unsigned long long)c->frameworks_removed);

	fputs("# HELP mosaic_allocation_seconds Time spent in allocation passes.\n"
	      "# TYPE mosaic_allocation_seconds summary\n",
	      f);
	fprintf(f, "mosaic_allocation_seconds_sum %.9f\n", c->allocation_seconds_total);
	fprintf(f, "mosaic_allocation_seconds_count %llu\n", (unsigned long long)c->allocation_passes);
	fputs("# HELP mosaic_allocation_last_seconds Duration of the latest allocation pass.\n"
	      "# TYPE mosaic_allocation_last_seconds gauge\n",
	      f);
	fprintf(f, "mosaic_allocation_last_seconds %.9f\n", c->allocation_seconds_last);
	fputs("# HELP mosaic_allocation_max_seconds Longest allocation pass.\n"
	      "# TYPE mosaic_allocation_max_seconds gauge\n",
	      f);
	fprintf(f, "mosaic_allocation_max_seconds %.9f\n", c->allocation_seconds_max);
	allocator_gang_info gi;
	allocator_gang_reservation(m->alloc, &gi);
	fputs("# HELP mosaic_gang_reservation The gang reservation's phase (1 for the current one).\n"
	      "# TYPE mosaic_gang_reservation gauge\n",
	      f);
	fprintf(f, "mosaic_gang_reservation{phase=\"holding\"} %d\n", gi.phase == ALLOCATOR_GANG_HOLDING);
	fprintf(f, "mosaic_gang_reservation{phase=\"offered\"} %d\n", gi.phase == ALLOCATOR_GANG_OFFERED);
	fputs("# HELP mosaic_gang_reservation_tasks Tasks of the reserved gang, and how many the held agents "
	      "fit.\n"
	      "# TYPE mosaic_gang_reservation_tasks gauge\n",
	      f);
	fprintf(f, "mosaic_gang_reservation_tasks{kind=\"wanted\"} %u\n", gi.tasks);
	fprintf(f, "mosaic_gang_reservation_tasks{kind=\"held\"} %u\n", gi.held_tasks);
	fputs("# HELP mosaic_uptime_seconds Seconds since the master started.\n# TYPE mosaic_uptime_seconds "
	      "gauge\n",
	      f);
	fprintf(f, "mosaic_uptime_seconds %.3f\n", mosaic_wall_now() - m->start_time);
	fclose(f);
	return buf;
}
