/* The registry survives a restart: admitted agents, frameworks with their
 * failover timeouts, weights, and removed framework ids (bounded). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "registry.h"
#include "store.h"
#include "util.h"

typedef struct seen {
	int frameworks;
	double failover;
	char role[64];
	int weights;
	double batch, mpi;
} seen;

static void
on_framework(void *arg, const Mosaic__FrameworkInfo *fi)
{
	seen *s = arg;
	s->frameworks++;
	s->failover = fi->failover_timeout;
	snprintf(s->role, sizeof(s->role), "%s", fi->role);
}

static void
on_weight(void *arg, const char *role, double w)
{
	seen *s = arg;
	s->weights++;
	if (strcmp(role, "batch") == 0)
		s->batch = w;
	if (strcmp(role, "mpi") == 0)
		s->mpi = w;
}

int
main(void)
{
	char dir[] = "/tmp/mosaic-test-registry-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char work[256];
	snprintf(work, sizeof(work), "%s/sub/master", dir);
	char err[256];
	registry *r;
	CHECK_OK(registry_open(&r, work, err, sizeof(err)));

	Mosaic__AgentInfo ai = MOSAIC__AGENT_INFO__INIT;
	Mosaic__Resources res = MOSAIC__RESOURCES__INIT;
	ai.id = "agent-1";
	ai.hostname = "h1";
	ai.address = "tcp://127.0.0.1:1";
	ai.resources = &res;
	CHECK_OK(registry_agent_put(r, &ai));
	ai.id = "agent-2";
	CHECK_OK(registry_agent_put(r, &ai));
	ai.id = "bad id";
	CHECK(registry_agent_put(r, &ai) == MOSAIC_EINVAL);
	CHECK(registry_agent_known(r, "agent-1"));
	CHECK(!registry_agent_known(r, "agent-3"));

	Mosaic__FrameworkInfo fi = MOSAIC__FRAMEWORK_INFO__INIT;
	fi.id = "fw-1";
	fi.name = "batch";
	fi.role = "batch";
	fi.has_failover_timeout = 1;
	fi.failover_timeout = 3600;
	CHECK_OK(registry_framework_put(r, &fi));
	fi.id = "fw-2";
	CHECK_OK(registry_framework_put(r, &fi));
	CHECK_OK(registry_framework_del(r, "fw-2", 1000.0));
	CHECK(registry_framework_removed(r, "fw-2"));
	CHECK(!registry_framework_removed(r, "fw-1"));
	CHECK_OK(registry_weight_put(r, "batch", 1));
	CHECK_OK(registry_weight_put(r, "mpi", 2.5));
	CHECK(registry_weight_put(r, "mpi", 0) == MOSAIC_EINVAL);
	CHECK_OK(registry_agent_del(r, "agent-2"));
	registry_close(r);

	/* Restart. */
	CHECK_OK(registry_open(&r, work, err, sizeof(err)));
	CHECK(registry_agent_known(r, "agent-1"));
	CHECK(!registry_agent_known(r, "agent-2"));
	CHECK(registry_agent_count(r) == 1);
	CHECK(registry_framework_removed(r, "fw-2"));
	seen s = {0};
	CHECK_OK(registry_frameworks_scan(r, on_framework, &s));
	CHECK(s.frameworks == 1);
	CHECK(s.failover == 3600);
	CHECK(strcmp(s.role, "batch") == 0);
	CHECK_OK(registry_weights_scan(r, on_weight, &s));
	CHECK(s.weights == 2 && s.batch == 1 && s.mpi == 2.5);
	registry_close(r);

	/* The removed set keeps the newest REGISTRY_MAX_REMOVED. */
	char path[300];
	snprintf(path, sizeof(path), "%s/registry.db", work);
	store *st;
	CHECK_OK(store_open(&st, path, err, sizeof(err)));
	store_begin(st);
	for (int i = 0; i < REGISTRY_MAX_REMOVED + 5; i++) {
		char id[32], when[32];
		snprintf(id, sizeof(id), "fw-old-%d", i);
		snprintf(when, sizeof(when), "%d", 2000 + i);
		store_put(st, "removed_frameworks", id, when, strlen(when));
	}
	store_commit(st);
	store_close(st);
	CHECK_OK(registry_open(&r, work, err, sizeof(err)));
	CHECK(!registry_framework_removed(r, "fw-2")); /* oldest (time 1000) went first */
	CHECK(!registry_framework_removed(r, "fw-old-4"));
	CHECK(registry_framework_removed(r, "fw-old-5"));
	CHECK(registry_framework_removed(r, "fw-old-10004"));
	registry_close(r);

	/* A work dir that cannot be created is a clear error. */
	CHECK(registry_open(&r, "/proc/mosaic-cannot", err, sizeof(err)) == MOSAIC_EIO);
	CHECK(strstr(err, "/proc/mosaic-cannot") != NULL);

	util_remove_tree(dir);
	return check_done();
}
