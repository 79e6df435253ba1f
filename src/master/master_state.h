/* master_state.h - one walk over the master's state, rendered three ways:
 * the State message (master_state.c), /api/state JSON (master_json.c) and
 * /metrics text (master_metrics.c), so they always agree. The walk calls
 * the visitor for each agent, framework, role, task and counter with the
 * figures it computed (used, offered, shares); pointers are valid during
 * the call only. Loop thread only. */
#ifndef MOSAIC_MASTER_STATE_H
#define MOSAIC_MASTER_STATE_H

#include "master_impl.h"

typedef struct state_agent {
	const master_agent *a;
	mosaic_resources used, offered;
} state_agent;

typedef struct state_framework {
	const master_framework *fw;
	mosaic_resources used, offered;
	double share;
} state_framework;

typedef struct state_role {
	char name[MOSAIC_ID_MAX];
	double weight, share;
	mosaic_resources allocated;
	uint32_t frameworks;
} state_role;

typedef struct state_visitor {
	void (*section)(void *arg, const char *name); /* before each section; NULL name after the last */
	void (*agent)(void *arg, const state_agent *sa);
	void (*framework)(void *arg, const state_framework *sf);
	void (*role)(void *arg, const state_role *sr);
	void (*task)(void *arg, const master_task *t, const char *hostname);
	void (*counter)(void *arg, const char *name, double value);
} state_visitor;

/* master_state_walk: sections "agents", "frameworks", "roles", "tasks"
 * (when tasks; completed ones too when completed), "counters", then a
 * NULL section. */
void master_state_walk(master *m, const state_visitor *v, void *arg, bool tasks, bool completed);

#endif
