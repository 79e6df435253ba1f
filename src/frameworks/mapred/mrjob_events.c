/* mrjob_events.c - what the cluster tells the job: its tasks' updates and
 * agents that went away. Updates of attempts that are no longer current
 * are stale and ignored (jobstate.h). A failed attempt's reason is its
 * stderr's last lines, fetched before the task is retried; a reduce that
 * could not fetch map outputs has those outputs checked first, so maps
 * whose output is really gone are redone before it runs again. */
#include <stdio.h>
#include <string.h>

#include "mrjob_impl.h"
#include "mrtask.h"

static bool
lost_state(int state)
{
	return state == MOSAIC_SCHED_TASK_LOST || state == MOSAIC_SCHED_TASK_UNREACHABLE ||
	       state == MOSAIC_SCHED_TASK_GONE || state == MOSAIC_SCHED_TASK_DROPPED ||
	       state == MOSAIC_SCHED_TASK_UNKNOWN;
}

/* The agent is gone: said once, whichever news comes first (its tasks'
 * LOST updates or the master's AgentLost). */
static void
agent_gone(mrjob *j, const char *agent_id, const char *hostname)
{
	mrjob_agent *a = mrjob_agent_find(j, agent_id);
	if (!j->cfg->quiet && (!a || !a->lost))
		fprintf(stderr, "mapred: agent %s (%s) was lost: redoing the work it held\n",
		        hostname && *hostname ? hostname
		        : a                   ? a->hostname
		                              : "?",
		        agent_id);
	if (a)
		a->lost = true;
	jobstate_agent_lost(j->js, agent_id);
}

void
mrjob_on_status(mosaic_sched *s, void *arg, const mosaic_sched_status *st)
{
	mrjob *j = arg;
	jobstate_kind kind;
	uint32_t idx, attempt;
	if (j->ended || jobstate_parse_task_id(st->task_id, &kind, &idx, &attempt) != 0 ||
	    !mosaic_sched_task_state_terminal(st->state) || st->state == MOSAIC_SCHED_TASK_UNKNOWN)
		return;
	const jobstate_task *t = jobstate_task_get(j->js, kind, idx);
	if (!t || t->phase != JOBSTATE_RUNNING || strcmp(t->task_id, st->task_id) != 0)
		return; /* stale: an earlier attempt */
	if (kind == JOBSTATE_REDUCE && j->reds[idx].probing)
		return;
	j->freed = true;
	if (st->state == MOSAIC_SCHED_TASK_FINISHED) {
		jobstate_finished(j->js, st->task_id);
		if (kind == JOBSTATE_MAP)
			mrjob_io_map_counters(j, idx);
		else if (jobstate_task_get(j->js, kind, idx)->phase == JOBSTATE_FINISHED)
			mrjob_io_fetch_output(j, idx);
	} else if (lost_state(st->state)) {
		char why[512];
		snprintf(why, sizeof(why), "%s on %s: %s", mosaic_sched_task_state_name(st->state),
		         st->agent_hostname[0] ? st->agent_hostname : st->agent_id, st->message);
		jobstate_ended(j->js, st->task_id, true, why);
		if (strcmp(st->reason, "REASON_AGENT_REMOVED") == 0 ||
		    st->state == MOSAIC_SCHED_TASK_UNREACHABLE || st->state == MOSAIC_SCHED_TASK_GONE)
			agent_gone(j, st->agent_id, st->agent_hostname);
	} else if (kind == JOBSTATE_REDUCE && st->has_exit_code && st->exit_code == MRTASK_EXIT_FETCH) {
		j->reds[idx].probing = true;
		mrjob_io_probe(j, idx, st->task_id);
	} else {
		mrjob_io_diagnose(j, st);
		return;
	}
	mrjob_sync(j);
}

void
mrjob_on_agent_lost(mosaic_sched *s, void *arg, const char *agent_id, const char *hostname)
{
	mrjob *j = arg;
	if (j->ended)
		return;
	agent_gone(j, agent_id, hostname);
	mrjob_sync(j);
}
