#include "mrstore.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

struct mrstore {
	const mrclient *c;
	catalog *cat;
	const mrstore_ops *ops;
	void *arg;
	mosaic_sched *s;
	bool removed; /* the master forgot our id: start anew */
	bool ready;
	char fw_id[MOSAIC_SCHED_ID_MAX];
	const char *role; /* the store's role, fixed when it was first made */
	bool closing;
};

static void
on_subscribed(mosaic_sched *s, void *arg, const char *fw)
{
	mrstore *st = arg;
	snprintf(st->fw_id, sizeof(st->fw_id), "%s", fw);
	if (catalog_meta_set(st->cat, "store_framework_id", fw) != 0)
		fprintf(stderr, "mapred: warning: cannot record the block store's id in the catalog: %s\n",
		        catalog_errmsg(st->cat));
	catalog_meta_set(st->cat, "store_role", st->role);
	if (!st->ready) {
		st->ready = true;
		if (st->ops->ready)
			st->ops->ready(st, st->arg);
	}
}

static void
on_offers(mosaic_sched *s, void *arg, const mosaic_sched_offer *o, size_t n)
{
	mrstore *st = arg;
	if (st->ops->offers && !st->closing)
		st->ops->offers(st, st->arg, o, n);
	else
		for (size_t i = 0; i < n; i++)
			mosaic_sched_decline(s, &o[i].id, 1, 60);
}

static void
on_status(mosaic_sched *s, void *arg, const mosaic_sched_status *status)
{
	mrstore *st = arg;
	if (st->ops->status)
		st->ops->status(st, st->arg, status);
}

static void
on_agent_lost(mosaic_sched *s, void *arg, const char *agent, const char *host)
{
	mrstore *st = arg;
	if (st->ops->agent_lost)
		st->ops->agent_lost(st, st->arg, agent);
}

static void
on_error(mosaic_sched *s, void *arg, const char *message)
{
	mrstore *st = arg;
	if (!st->ready && strstr(message, "was removed")) {
		st->removed = true;
		mosaic_sched_stop(s);
		return;
	}
	fprintf(stderr, "mapred: the master says: %s\n", message);
}

static void
on_signal(mosaic_sched *s, int signo, void *arg)
{
	mrstore *st = arg;
	if (st->ops->interrupted)
		st->ops->interrupted(st, st->arg);
	else
		mosaic_sched_stop(s);
}

int
mrstore_run(const mrclient *c, catalog *cat, const mrstore_ops *ops, void *arg, char *err, size_t errlen)
{
	mrstore st = {.c = c, .cat = cat, .ops = ops, .arg = arg};
	char *known = NULL, *role = NULL;
	if (catalog_meta_get(cat, "store_framework_id", &known) != 0)
		known = NULL;
	/* A framework keeps its role for life: the store's is the one it was made with. */
	if (!known || catalog_meta_get(cat, "store_role", &role) != 0)
		role = NULL;
	st.role = role ? role : c->role;
	mosaic_sched_callbacks cb = {.subscribed = on_subscribed,
	                             .offers = on_offers,
	                             .status = on_status,
	                             .agent_lost = on_agent_lost,
	                             .error = on_error,
	                             .reconnected = on_subscribed};
	int rv = MOSAIC_OK;
	for (int round = 0; round < 2; round++) {
		mosaic_sched_config cfg = {
		    .framework = {.name = MRSTORE_NAME,
		                  .role = st.role,
		                  .failover_timeout = MRSTORE_FAILOVER,
		                  .id = known},
		    .callbacks = &cb,
		    .arg = &st,
		    .master = c->master[0] ? c->master : NULL,
		};
		if (mosaic_sched_new(&st.s, &cfg, err, errlen) != 0) {
			rv = MOSAIC_EIO;
			break;
		}
		mosaic_sched_signal_add(st.s, SIGINT, on_signal, &st);
		mosaic_sched_signal_add(st.s, SIGTERM, on_signal, &st);
		st.removed = false;
		st.closing = false;
		if ((rv = mosaic_sched_run(st.s)) != 0)
			snprintf(err, errlen, "%s", mosaic_sched_last_error(st.s));
		mosaic_sched_free(st.s);
		st.s = NULL;
		if (rv || !st.removed)
			break;
		fprintf(stderr,
		        "mapred: the master no longer knows the block store %s; starting a new one "
		        "(blocks stored under the old id stay readable)\n",
		        known);
		free(known);
		known = NULL;
		free(role);
		role = NULL;
		st.role = c->role;
	}
	free(known);
	free(role);
	return rv;
}

mosaic_sched *
mrstore_sched(mrstore *st)
{
	return st->s;
}

const char *
mrstore_framework_id(mrstore *st)
{
	return st->fw_id;
}

static void
on_closed(mosaic_sched *s, void *arg)
{
	mosaic_sched_stop(s);
}

/* The store leaves without tearing down, and the master would keep what it
 * offered us until it misses our keepalives (seconds): so it is told to
 * stop offering, and whatever it sent before that is given back as it
 * arrives, for a moment, before the loop ends. */
void
mrstore_finish(mrstore *st)
{
	if (st->closing)
		return;
	st->closing = true;
	if (mosaic_sched_suppress(st->s) != 0) {
		mosaic_sched_stop(st->s);
		return;
	}
	mosaic_sched_timer_add(st->s, MRSTORE_CLOSE_GRACE, on_closed, st);
}
