#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "errors.h"
#include "log.h"
#include "mem.h"

/* A table known to exist, with its statements prepared once (parsing SQL
 * costs more than the row it writes): reset after each use. */
typedef struct store_table {
	char *name;
	sqlite3_stmt *put, *get, *del;
} store_table;

struct store {
	sqlite3 *db;
	store_table *tables; /* the callers' few, fixed names */
	int ntables, cap;
};

static int
exec(store *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		LOGE("store: %s: %s", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return MOSAIC_EIO;
	}
	return MOSAIC_OK;
}

int
store_open(store **out, const char *path, char *err, size_t errlen)
{
	store *s = xcalloc(1, sizeof(*s));
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
	        NULL) != SQLITE_OK) {
		if (err)
			snprintf(err, errlen, "cannot open %s: %s", path, sqlite3_errmsg(s->db));
		sqlite3_close(s->db);
		free(s);
		return MOSAIC_EIO;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (exec(s, "PRAGMA journal_mode=WAL") || exec(s, "PRAGMA synchronous=FULL")) {
		if (err)
			snprintf(err, errlen, "cannot set up %s: %s", path, sqlite3_errmsg(s->db));
		sqlite3_close(s->db);
		free(s);
		return MOSAIC_EIO;
	}
	*out = s;
	return MOSAIC_OK;
}

int
store_survive_process_crash_only(store *s)
{
	return exec(s, "PRAGMA synchronous=NORMAL");
}

void
store_close(store *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->ntables; i++) {
		free(s->tables[i].name);
		sqlite3_finalize(s->tables[i].put);
		sqlite3_finalize(s->tables[i].get);
		sqlite3_finalize(s->tables[i].del);
	}
	free(s->tables);
	sqlite3_close(s->db);
	free(s);
}

static int
valid_table(const char *t)
{
	if (!*t || strlen(t) > 48)
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || *t == '_'))
			return 0;
	return 1;
}

static sqlite3_stmt *
prepare(store *s, const char *fmt, const char *table)
{
	char sql[200];
	snprintf(sql, sizeof(sql), fmt, table);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		LOGE("store: %s: %s", sql, sqlite3_errmsg(s->db));
		return NULL;
	}
	return st;
}

/* The table (created if need be), or NULL with *rv set. The pointer is
 * good until the next new table. */
static store_table *
ensure_table(store *s, const char *name, int *rv)
{
	*rv = MOSAIC_EINVAL;
	if (!valid_table(name))
		return NULL;
	for (int i = 0; i < s->ntables; i++)
		if (strcmp(s->tables[i].name, name) == 0)
			return &s->tables[i];
	char sql[160];
	snprintf(sql, sizeof(sql), "CREATE TABLE IF NOT EXISTS \"%s\" (k TEXT PRIMARY KEY, v BLOB)", name);
	if ((*rv = exec(s, sql)) != 0)
		return NULL;
	if (s->ntables == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 8;
		s->tables = xrealloc(s->tables, (size_t)s->cap * sizeof(*s->tables));
	}
	store_table *t = &s->tables[s->ntables++];
	*t = (store_table){.name = xstrdup(name)};
	return t;
}

/* The table's statement in *slot, prepared on first use. */
static sqlite3_stmt *
stmt(store *s, sqlite3_stmt **slot, const char *fmt, const char *name)
{
	if (!*slot)
		*slot = prepare(s, fmt, name);
	return *slot;
}

/* After a use: ready for the next, holding no pointer of the caller's. */
static void
done_stmt(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int
store_put(store *s, const char *table, const char *key, const void *val, size_t len)
{
	int rv;
	store_table *t = ensure_table(s, table, &rv);
	if (!t)
		return rv;
	sqlite3_stmt *st = stmt(s, &t->put, "INSERT OR REPLACE INTO \"%s\" (k, v) VALUES (?, ?)", table);
	if (!st)
		return MOSAIC_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, val ? val : "", (int)len, SQLITE_STATIC);
	rv = sqlite3_step(st) == SQLITE_DONE ? MOSAIC_OK : MOSAIC_EIO;
	if (rv)
		LOGE("store: put %s/%s: %s", table, key, sqlite3_errmsg(s->db));
	done_stmt(st);
	return rv;
}

int
store_get(store *s, const char *table, const char *key, void **val, size_t *len)
{
	int rv;
	store_table *t = ensure_table(s, table, &rv);
	if (!t)
		return rv;
	sqlite3_stmt *st = stmt(s, &t->get, "SELECT v FROM \"%s\" WHERE k = ?", table);
	if (!st)
		return MOSAIC_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rv = MOSAIC_ENOENT;
	if (sqlite3_step(st) == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		void *p = xmalloc(n);
		memcpy(p, sqlite3_column_blob(st, 0), n);
		*val = p;
		*len = n;
		rv = MOSAIC_OK;
	}
	done_stmt(st);
	return rv;
}

int
store_del(store *s, const char *table, const char *key)
{
	int rv;
	store_table *t = ensure_table(s, table, &rv);
	if (!t)
		return rv;
	sqlite3_stmt *st = stmt(s, &t->del, "DELETE FROM \"%s\" WHERE k = ?", table);
	if (!st)
		return MOSAIC_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rv = sqlite3_step(st) == SQLITE_DONE ? MOSAIC_OK : MOSAIC_EIO;
	done_stmt(st);
	return rv;
}

int
store_scan(store *s, const char *table, store_scan_fn fn, void *arg)
{
	int rv;
	if (!ensure_table(s, table, &rv))
		return rv;
	sqlite3_stmt *st = prepare(s, "SELECT k, v FROM \"%s\" ORDER BY k", table);
	if (!st)
		return MOSAIC_EIO;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (fn(arg, (const char *)sqlite3_column_text(st, 0), sqlite3_column_blob(st, 1),
		        (size_t)sqlite3_column_bytes(st, 1)))
			break;
	}
	sqlite3_finalize(st);
	return MOSAIC_OK;
}

int
store_begin(store *s)
{
	return exec(s, "BEGIN");
}

int
store_commit(store *s)
{
	return exec(s, "COMMIT");
}
