#include "jobstate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"

struct jobstate {
	jobstate_task *tasks[2];
	uint32_t n[2];
	uint32_t done[2];
	uint32_t max_attempts;
	char **lost_agents;
	size_t nlost;
	uint32_t *requeued; /* maps made pending since the last take */
	size_t nrequeued, requeued_cap;
	char failure[512];
	bool failed;
	jobstate_counters ctr;
};

static const char *const kind_name[] = {"map", "reduce"};

void
jobstate_new(jobstate **out, uint32_t nmaps, uint32_t nreduces, uint32_t max_attempts)
{
	jobstate *js = xcalloc(1, sizeof(*js));
	js->n[JOBSTATE_MAP] = nmaps;
	js->n[JOBSTATE_REDUCE] = nreduces;
	js->tasks[JOBSTATE_MAP] = xcalloc(nmaps ? nmaps : 1, sizeof(jobstate_task));
	js->tasks[JOBSTATE_REDUCE] = xcalloc(nreduces ? nreduces : 1, sizeof(jobstate_task));
	js->max_attempts = max_attempts ? max_attempts : JOBSTATE_DEFAULT_ATTEMPTS;
	*out = js;
}

void
jobstate_free(jobstate *js)
{
	if (!js)
		return;
	free(js->tasks[0]);
	free(js->tasks[1]);
	for (size_t i = 0; i < js->nlost; i++)
		free(js->lost_agents[i]);
	free(js->lost_agents);
	free(js->requeued);
	free(js);
}

void
jobstate_task_id(jobstate_kind kind, uint32_t idx, uint32_t attempt, char *out, size_t cap)
{
	snprintf(out, cap, "%c%u.%u", kind == JOBSTATE_MAP ? 'm' : 'r', idx, attempt);
}

static int
parse_u32(const char *s, const char *end, uint32_t *out)
{
	if (s == end || end - s > 9)
		return MOSAIC_EINVAL;
	uint32_t v = 0;
	for (const char *p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return MOSAIC_EINVAL;
		v = v * 10 + (uint32_t)(*p - '0');
	}
	*out = v;
	return MOSAIC_OK;
}

int
jobstate_parse_task_id(const char *id, jobstate_kind *kind, uint32_t *idx, uint32_t *attempt)
{
	if (!id || (id[0] != 'm' && id[0] != 'r'))
		return MOSAIC_EINVAL;
	const char *dot = strchr(id, '.');
	if (!dot || parse_u32(id + 1, dot, idx) || parse_u32(dot + 1, dot + strlen(dot), attempt))
		return MOSAIC_EINVAL;
	*kind = id[0] == 'm' ? JOBSTATE_MAP : JOBSTATE_REDUCE;
	return MOSAIC_OK;
}

uint32_t
jobstate_count(const jobstate *js, jobstate_kind kind)
{
	return js->n[kind];
}

const jobstate_task *
jobstate_task_get(const jobstate *js, jobstate_kind kind, uint32_t idx)
{
	return idx < js->n[kind] ? &js->tasks[kind][idx] : NULL;
}

void
jobstate_fail(jobstate *js, const char *why)
{
	if (js->failed)
		return;
	js->failed = true;
	snprintf(js->failure, sizeof(js->failure), "%s", why);
}

const char *
jobstate_failure(const jobstate *js)
{
	return js->failed ? js->failure : NULL;
}

static bool
agent_is_lost(const jobstate *js, const char *agent)
{
	for (size_t i = 0; i < js->nlost; i++)
		if (strcmp(js->lost_agents[i], agent) == 0)
			return true;
	return false;
}

/* A task goes back to pending; the job fails if it may not run again. */
static void
make_pending(jobstate *js, jobstate_kind kind, uint32_t idx)
{
	jobstate_task *t = &js->tasks[kind][idx];
	if (t->phase == JOBSTATE_DONE)
		js->done[kind]--;
	t->phase = JOBSTATE_PENDING;
	if (t->attempts >= js->max_attempts) {
		char why[512];
		snprintf(why, sizeof(why), "%s %u: all %u attempts used; the last: %s", kind_name[kind], idx,
		         js->max_attempts, t->last_error[0] ? t->last_error : "(no reason given)");
		jobstate_fail(js, why);
	}
	if (kind == JOBSTATE_MAP) {
		if (js->nrequeued == js->requeued_cap) {
			js->requeued_cap = js->requeued_cap ? 2 * js->requeued_cap : 16;
			js->requeued = xrealloc(js->requeued, js->requeued_cap * sizeof(uint32_t));
		}
		js->requeued[js->nrequeued++] = idx;
	}
}

static bool
reduces_need_maps(const jobstate *js)
{
	for (uint32_t i = 0; i < js->n[JOBSTATE_REDUCE]; i++) {
		jobstate_phase p = js->tasks[JOBSTATE_REDUCE][i].phase;
		if (p == JOBSTATE_PENDING || p == JOBSTATE_RUNNING)
			return true;
	}
	return false;
}

/* Maps done on lost agents are redone once a reduce needs them again. */
static size_t
redo_lost_outputs(jobstate *js)
{
	if (!reduces_need_maps(js))
		return 0;
	size_t n = 0;
	for (uint32_t i = 0; i < js->n[JOBSTATE_MAP]; i++) {
		jobstate_task *t = &js->tasks[JOBSTATE_MAP][i];
		if (t->phase == JOBSTATE_DONE && agent_is_lost(js, t->agent_id)) {
			snprintf(t->last_error, sizeof(t->last_error), "its output was lost with agent %s",
			         t->agent_id);
			make_pending(js, JOBSTATE_MAP, i);
			js->ctr.recomputed++;
			n++;
		}
	}
	return n;
}

int
jobstate_launch(jobstate *js, jobstate_kind kind, uint32_t idx, const char *agent_id, const char *agent_http,
                char *task_id)
{
	if (idx >= js->n[kind] || js->tasks[kind][idx].phase != JOBSTATE_PENDING || js->failed)
		return MOSAIC_ESTATE;
	if (kind == JOBSTATE_REDUCE && !jobstate_maps_done(js))
		return MOSAIC_ESTATE;
	jobstate_task *t = &js->tasks[kind][idx];
	if (t->attempts >= js->max_attempts)
		return MOSAIC_ENOSPC;
	t->attempts++;
	t->phase = JOBSTATE_RUNNING;
	jobstate_task_id(kind, idx, t->attempts, t->task_id, sizeof(t->task_id));
	snprintf(t->agent_id, sizeof(t->agent_id), "%s", agent_id ? agent_id : "");
	snprintf(t->agent_http, sizeof(t->agent_http), "%s", agent_http ? agent_http : "");
	snprintf(task_id, JOBSTATE_ID_MAX, "%s", t->task_id);
	js->ctr.launched++;
	return MOSAIC_OK;
}

/* The task whose current attempt is id, running; NULL if none. */
static jobstate_task *
current(jobstate *js, const char *id, jobstate_kind *kind, uint32_t *idx)
{
	uint32_t attempt;
	if (jobstate_parse_task_id(id, kind, idx, &attempt) || *idx >= js->n[*kind])
		return NULL;
	jobstate_task *t = &js->tasks[*kind][*idx];
	if (t->phase != JOBSTATE_RUNNING || strcmp(t->task_id, id) != 0)
		return NULL;
	return t;
}

bool
jobstate_finished(jobstate *js, const char *task_id)
{
	jobstate_kind kind;
	uint32_t idx;
	jobstate_task *t = current(js, task_id, &kind, &idx);
	if (!t)
		return false;
	if (kind == JOBSTATE_MAP) {
		t->phase = JOBSTATE_DONE;
		js->done[kind]++;
		/* Its agent may have been lost while the update travelled. */
		if (agent_is_lost(js, t->agent_id))
			redo_lost_outputs(js);
	} else {
		t->phase = JOBSTATE_FINISHED;
		if (agent_is_lost(js, t->agent_id)) {
			snprintf(t->last_error, sizeof(t->last_error), "its output was lost with agent %s",
			         t->agent_id);
			make_pending(js, kind, idx);
			js->ctr.recomputed++;
			redo_lost_outputs(js);
		}
	}
	return true;
}

bool
jobstate_fetched(jobstate *js, uint32_t idx)
{
	if (idx >= js->n[JOBSTATE_REDUCE] || js->tasks[JOBSTATE_REDUCE][idx].phase != JOBSTATE_FINISHED)
		return false;
	js->tasks[JOBSTATE_REDUCE][idx].phase = JOBSTATE_DONE;
	js->done[JOBSTATE_REDUCE]++;
	return true;
}

bool
jobstate_ended(jobstate *js, const char *task_id, bool lost, const char *why)
{
	jobstate_kind kind;
	uint32_t idx;
	jobstate_task *t = current(js, task_id, &kind, &idx);
	if (!t)
		return false;
	snprintf(t->last_error, sizeof(t->last_error), "%s", why ? why : "");
	if (lost)
		js->ctr.lost++;
	else
		js->ctr.failed++;
	make_pending(js, kind, idx);
	if (kind == JOBSTATE_REDUCE)
		redo_lost_outputs(js);
	return true;
}

size_t
jobstate_agent_lost(jobstate *js, const char *agent_id)
{
	if (!agent_id || !*agent_id)
		return 0;
	if (!agent_is_lost(js, agent_id)) {
		js->lost_agents = xrealloc(js->lost_agents, (js->nlost + 1) * sizeof(char *));
		js->lost_agents[js->nlost++] = xstrdup(agent_id);
	}
	size_t n = 0;
	for (uint32_t i = 0; i < js->n[JOBSTATE_REDUCE]; i++) {
		jobstate_task *t = &js->tasks[JOBSTATE_REDUCE][i];
		if (t->phase == JOBSTATE_FINISHED && strcmp(t->agent_id, agent_id) == 0) {
			snprintf(t->last_error, sizeof(t->last_error), "its output was lost with agent %s",
			         agent_id);
			make_pending(js, JOBSTATE_REDUCE, i);
			js->ctr.recomputed++;
			n++;
		}
	}
	return n + redo_lost_outputs(js);
}

bool
jobstate_output_lost(jobstate *js, jobstate_kind kind, uint32_t idx, const char *why)
{
	if (idx >= js->n[kind])
		return false;
	jobstate_task *t = &js->tasks[kind][idx];
	if (kind == JOBSTATE_MAP && (t->phase != JOBSTATE_DONE || !reduces_need_maps(js)))
		return false;
	if (kind == JOBSTATE_REDUCE && t->phase != JOBSTATE_FINISHED)
		return false;
	snprintf(t->last_error, sizeof(t->last_error), "%s", why ? why : "its output was lost");
	make_pending(js, kind, idx);
	js->ctr.recomputed++;
	if (kind == JOBSTATE_REDUCE)
		redo_lost_outputs(js);
	return true;
}

size_t
jobstate_take_pending_maps(jobstate *js, uint32_t *out, size_t cap)
{
	size_t n = js->nrequeued < cap ? js->nrequeued : cap;
	if (n == 0)
		return 0;
	memcpy(out, js->requeued, n * sizeof(uint32_t));
	memmove(js->requeued, js->requeued + n, (js->nrequeued - n) * sizeof(uint32_t));
	js->nrequeued -= n;
	return n;
}

uint32_t
jobstate_done(const jobstate *js, jobstate_kind kind)
{
	return js->done[kind];
}

bool
jobstate_maps_done(const jobstate *js)
{
	return js->done[JOBSTATE_MAP] == js->n[JOBSTATE_MAP];
}

bool
jobstate_complete(const jobstate *js)
{
	return !js->failed && jobstate_maps_done(js) && js->done[JOBSTATE_REDUCE] == js->n[JOBSTATE_REDUCE];
}

void
jobstate_get_counters(const jobstate *js, jobstate_counters *c)
{
	*c = js->ctr;
}
