#include "registry.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "mem.h"
#include "store.h"
#include "strmap.h"
#include "util.h"
#include "weights.h"

#define T_AGENTS "agents"
#define T_FRAMEWORKS "frameworks"
#define T_WEIGHTS "weights"
#define T_REMOVED "removed_frameworks"

/* The id sets are kept in memory so look-ups on every re-registration do
 * not touch the database. Keys are heap strings owned by the sets. */
struct registry {
	store *st;
	strmap agents;
	strmap removed;
};

static void
registry_set_add(strmap *set, const char *id)
{
	if (strmap_find(set, id))
		return;
	char *k = xstrdup(id);
	strmap_put(set, k, k);
}

static void
registry_set_del(strmap *set, const char *id)
{
	free(strmap_del(set, id));
}

static void
registry_set_fini(strmap *set)
{
	strmap_iter it;
	strmap_iter_init(&it, set);
	char *k;
	while ((k = strmap_iter_next(&it, NULL)) != NULL)
		free(k);
	strmap_fini(set);
}

static int
registry_load_agent(void *arg, const char *key, const void *val, size_t len)
{
	registry *r = arg;
	if (id_valid(key))
		registry_set_add(&r->agents, key);
	return 0;
}

typedef struct removed_row {
	char id[MOSAIC_ID_MAX];
	double when;
} removed_row;

typedef struct removed_rows {
	removed_row *rows;
	size_t n, cap;
} removed_rows;

static int
registry_load_removed(void *arg, const char *key, const void *val, size_t len)
{
	removed_rows *rr = arg;
	if (!id_valid(key))
		return 0;
	char text[64];
	size_t n = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
	memcpy(text, val, n);
	text[n] = '\0';
	if (rr->n == rr->cap) {
		rr->cap = rr->cap ? 2 * rr->cap : 64;
		rr->rows = xrealloc(rr->rows, rr->cap * sizeof(*rr->rows));
	}
	snprintf(rr->rows[rr->n].id, sizeof(rr->rows[0].id), "%s", key);
	rr->rows[rr->n].when = strtod(text, NULL);
	rr->n++;
	return 0;
}

static int
removed_newest_first(const void *a, const void *b)
{
	double x = ((const removed_row *)a)->when, y = ((const removed_row *)b)->when;
	return x < y ? 1 : x > y ? -1 : 0;
}

/* Load the removed set, dropping the oldest rows beyond the bound. */
static void
registry_load_removed_set(registry *r)
{
	removed_rows rr = {0};
	store_scan(r->st, T_REMOVED, registry_load_removed, &rr);
	if (rr.n > REGISTRY_MAX_REMOVED) {
		qsort(rr.rows, rr.n, sizeof(*rr.rows), removed_newest_first);
		store_begin(r->st);
		for (size_t i = REGISTRY_MAX_REMOVED; i < rr.n; i++)
			store_del(r->st, T_REMOVED, rr.rows[i].id);
		store_commit(r->st);
		rr.n = REGISTRY_MAX_REMOVED;
	}
	for (size_t i = 0; i < rr.n; i++)
		registry_set_add(&r->removed, rr.rows[i].id);
	free(rr.rows);
}

int
registry_open(registry **out, const char *work_dir, char *err, size_t errlen)
{
	if (util_mkdir_p(work_dir) != 0) {
		if (err)
			snprintf(err, errlen, "cannot create work directory %s: %s", work_dir,
			         strerror(errno));
		return MOSAIC_EIO;
	}
	char *path = xasprintf("%s/registry.db", work_dir);
	registry *r = xcalloc(1, sizeof(*r));
	int rv = store_open(&r->st, path, err, errlen);
	free(path);
	if (rv) {
		free(r);
		return rv;
	}
	strmap_init(&r->agents);
	strmap_init(&r->removed);
	store_scan(r->st, T_AGENTS, registry_load_agent, r);
	registry_load_removed_set(r);
	*out = r;
	return MOSAIC_OK;
}

void
registry_close(registry *r)
{
	if (!r)
		return;
	registry_set_fini(&r->agents);
	registry_set_fini(&r->removed);
	store_close(r->st);
	free(r);
}

static int
registry_put_pb(registry *r, const char *table, const char *key, const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = xmalloc(len ? len : 1);
	protobuf_c_message_pack(msg, buf);
	int rv = store_put(r->st, table, key, buf, len);
	free(buf);
	return rv;
}

int
registry_agent_put(registry *r, const Mosaic__AgentInfo *info)
{
	if (!info->id || !id_valid(info->id))
		return MOSAIC_EINVAL;
	int rv = registry_put_pb(r, T_AGENTS, info->id, &info->base);
	if (rv == 0)
		registry_set_add(&r->agents, info->id);
	return rv;
}

int
registry_agent_del(registry *r, const char *id)
{
	registry_set_del(&r->agents, id);
	return store_del(r->st, T_AGENTS, id);
}

bool
registry_agent_known(const registry *r, const char *id)
{
	return strmap_find(&r->agents, id) != NULL;
}

size_t
registry_agent_count(const registry *r)
{
	return strmap_count(&r->agents);
}

int
registry_framework_put(registry *r, const Mosaic__FrameworkInfo *info)
{
	if (!info->id || !id_valid(info->id))
		return MOSAIC_EINVAL;
	return registry_put_pb(r, T_FRAMEWORKS, info->id, &info->base);
}

int
registry_framework_del(registry *r, const char *id, double now)
{
	char when[64];
	snprintf(when, sizeof(when), "%.3f", now);
	store_begin(r->st);
	int rv = store_del(r->st, T_FRAMEWORKS, id);
	if (rv == 0)
		rv = store_put(r->st, T_REMOVED, id, when, strlen(when));
	store_commit(r->st);
	if (rv == 0)
		registry_set_add(&r->removed, id);
	return rv;
}

bool
registry_framework_removed(const registry *r, const char *id)
{
	return strmap_find(&r->removed, id) != NULL;
}

typedef struct fw_scan {
	registry_framework_fn fn;
	void *arg;
} fw_scan;

static int
registry_scan_framework(void *arg, const char *key, const void *val, size_t len)
{
	fw_scan *s = arg;
	Mosaic__FrameworkInfo *info = mosaic__framework_info__unpack(NULL, len, val);
	if (!info || !info->id || strcmp(info->id, key) != 0 || !id_valid(key)) {
		LOGW("registry: skipping undecodable framework record '%.64s'", key);
		if (info)
			mosaic__framework_info__free_unpacked(info, NULL);
		return 0;
	}
	s->fn(s->arg, info);
	mosaic__framework_info__free_unpacked(info, NULL);
	return 0;
}

int
registry_frameworks_scan(registry *r, registry_framework_fn fn, void *arg)
{
	fw_scan s = {fn, arg};
	return store_scan(r->st, T_FRAMEWORKS, registry_scan_framework, &s);
}

int
registry_weight_put(registry *r, const char *role, double weight)
{
	if (!weights_role_valid(role) || !isfinite(weight) || weight <= 0)
		return MOSAIC_EINVAL;
	char text[64];
	snprintf(text, sizeof(text), "%.17g", weight);
	return store_put(r->st, T_WEIGHTS, role, text, strlen(text));
}

typedef struct weight_scan {
	registry_weight_fn fn;
	void *arg;
} weight_scan;

static int
registry_scan_weight(void *arg, const char *key, const void *val, size_t len)
{
	weight_scan *s = arg;
	char text[64];
	size_t n = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
	memcpy(text, val, n);
	text[n] = '\0';
	char *end;
	double w = strtod(text, &end);
	if (!weights_role_valid(key) || end == text || !isfinite(w) || w <= 0) {
		LOGW("registry: skipping bad weight record '%.64s'", key);
		return 0;
	}
	s->fn(s->arg, key, w);
	return 0;
}

int
registry_weights_scan(registry *r, registry_weight_fn fn, void *arg)
{
	weight_scan s = {fn, arg};
	return store_scan(r->st, T_WEIGHTS, registry_scan_weight, &s);
}
