#include "catalog.h"

#include <libgen.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"
#include "util.h"

struct catalog {
	sqlite3 *db;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS files(name TEXT PRIMARY KEY, size INTEGER NOT NULL,"
    " block_size INTEGER NOT NULL, replication INTEGER NOT NULL, created REAL NOT NULL,"
    " source TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS blocks(file TEXT NOT NULL, idx INTEGER NOT NULL,"
    " off INTEGER NOT NULL, length INTEGER NOT NULL, sum INTEGER NOT NULL, PRIMARY KEY(file, idx));"
    "CREATE TABLE IF NOT EXISTS replicas(file TEXT NOT NULL, idx INTEGER NOT NULL,"
    " agent_id TEXT NOT NULL, hostname TEXT NOT NULL, agent_http TEXT NOT NULL, rack TEXT NOT NULL,"
    " framework_id TEXT NOT NULL, task_id TEXT NOT NULL, path TEXT NOT NULL, length INTEGER NOT NULL,"
    " PRIMARY KEY(file, idx, agent_id));"
    "CREATE INDEX IF NOT EXISTS replicas_agent ON replicas(agent_id);";

int
catalog_open(catalog **out, const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	if (util_mkdir_p(dirname(dir)) != 0) {
		snprintf(err, errlen, "cannot create the directory of %s", path);
		return MOSAIC_EIO;
	}
	sqlite3 *db;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return MOSAIC_EIO;
	}
	sqlite3_busy_timeout(db, 10000);
	char *msg = NULL;
	if (sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up %s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(db);
		return MOSAIC_EIO;
	}
	catalog *c = xcalloc(1, sizeof(*c));
	c->db = db;
	*out = c;
	return MOSAIC_OK;
}

void
catalog_close(catalog *c)
{
	if (!c)
		return;
	sqlite3_close(c->db);
	free(c);
}

const char *
catalog_errmsg(catalog *c)
{
	return sqlite3_errmsg(c->db);
}

static sqlite3_stmt *
prep(catalog *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return xstrdup(t ? (const char *)t : "");
}

int
catalog_meta_get(catalog *c, const char *key, char **val)
{
	sqlite3_stmt *st = prep(c, "SELECT value FROM meta WHERE key = ?");
	if (!st)
		return MOSAIC_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), rv = MOSAIC_OK;
	if (rc == SQLITE_ROW)
		*val = col_dup(st, 0);
	else
		rv = rc == SQLITE_DONE ? MOSAIC_ENOENT : MOSAIC_EIO;
	sqlite3_finalize(st);
	return rv;
}

int
catalog_meta_set(catalog *c, const char *key, const char *val)
{
	sqlite3_stmt *st = prep(c, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)");
	if (!st)
		return MOSAIC_EIO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC);
	int rv = sqlite3_step(st) == SQLITE_DONE ? MOSAIC_OK : MOSAIC_EIO;
	sqlite3_finalize(st);
	return rv;
}

bool
catalog_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 255 || name[0] == '-' || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch <= ' ' || ch == 0x7f || ch == '/')
			return false;
	}
	return true;
}

static int
exec(catalog *c, const char *sql)
{
	return sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK ? MOSAIC_OK : MOSAIC_EIO;
}

static int
exists(catalog *c, const char *name, bool *yes)
{
	sqlite3_stmt *st = prep(c, "SELECT 1 FROM files WHERE name = ?");
	if (!st)
		return MOSAIC_EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return MOSAIC_EIO;
	*yes = rc == SQLITE_ROW;
	return MOSAIC_OK;
}

static int
put_rows(catalog *c, const catalog_file *f)
{
	sqlite3_stmt *fs = prep(c, "INSERT INTO files(name, size, block_size, replication, created, source)"
	                           " VALUES(?, ?, ?, ?, ?, ?)");
	sqlite3_stmt *bs = prep(c, "INSERT INTO blocks(file, idx, off, length, sum) VALUES(?, ?, ?, ?, ?)");
	sqlite3_stmt *rs =
	    prep(c, "INSERT INTO replicas(file, idx, agent_id, hostname, agent_http, rack,"
	            " framework_id, task_id, path, length) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	int rv = fs && bs && rs ? MOSAIC_OK : MOSAIC_EIO;
	if (!rv) {
		sqlite3_bind_text(fs, 1, f->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(fs, 2, (sqlite3_int64)f->size);
		sqlite3_bind_int64(fs, 3, (sqlite3_int64)f->block_size);
		sqlite3_bind_int(fs, 4, (int)f->replication);
		sqlite3_bind_double(fs, 5, f->created);
		sqlite3_bind_text(fs, 6, f->source ? f->source : "", -1, SQLITE_STATIC);
		if (sqlite3_step(fs) != SQLITE_DONE)
			rv = MOSAIC_EIO;
	}
	for (size_t i = 0; i < f->nblocks && !rv; i++) {
		const catalog_block *b = &f->blocks[i];
		sqlite3_reset(bs);
		sqlite3_bind_text(bs, 1, f->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(bs, 2, (sqlite3_int64)i);
		sqlite3_bind_int64(bs, 3, (sqlite3_int64)b->offset);
		sqlite3_bind_int64(bs, 4, (sqlite3_int64)b->length);
		/* SQLite integers are signed: the sum is stored as its bit pattern. */
		sqlite3_bind_int64(bs, 5, (sqlite3_int64)b->sum);
		if (sqlite3_step(bs) != SQLITE_DONE)
			rv = MOSAIC_EIO;
		for (size_t k = 0; k < b->nreplicas && !rv; k++) {
			const catalog_replica *r = &b->replicas[k];
			const char *txt[] = {f->name,         NULL,          r->agent_id,
			                     r->hostname,     r->agent_http, r->rack ? r->rack : "",
			                     r->framework_id, r->task_id,    r->path};
			sqlite3_reset(rs);
			for (int j = 0; j < 9; j++)
				if (j != 1)
					sqlite3_bind_text(rs, j + 1, txt[j], -1, SQLITE_STATIC);
			sqlite3_bind_int64(rs, 2, (sqlite3_int64)i);
			sqlite3_bind_int64(rs, 10, (sqlite3_int64)b->length);
			if (sqlite3_step(rs) != SQLITE_DONE)
				rv = MOSAIC_EIO;
		}
	}
	sqlite3_finalize(fs);
	sqlite3_finalize(bs);
	sqlite3_finalize(rs);
	return rv;
}

int
catalog_file_put(catalog *c, const catalog_file *f)
{
	if (!catalog_name_valid(f->name))
		return MOSAIC_EINVAL;
	if (exec(c, "BEGIN IMMEDIATE") != 0)
		return MOSAIC_EIO;
	bool taken = false;
	int rv = exists(c, f->name, &taken);
	if (!rv && taken)
		rv = MOSAIC_EEXIST;
	if (!rv)
		rv = put_rows(c, f);
	if (!rv)
		rv = exec(c, "COMMIT");
	if (rv)
		exec(c, "ROLLBACK");
	return rv;
}

static int
load_replicas(catalog *c, catalog_file *f)
{
	sqlite3_stmt *st = prep(c, "SELECT idx, agent_id, hostname, agent_http, rack, framework_id, task_id,"
	                           " path FROM replicas WHERE file = ? ORDER BY idx, rowid");
	if (!st)
		return MOSAIC_EIO;
	sqlite3_bind_text(st, 1, f->name, -1, SQLITE_STATIC);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 idx = sqlite3_column_int64(st, 0);
		if (idx < 0 || (uint64_t)idx >= f->nblocks)
			continue;
		catalog_block *b = &f->blocks[idx];
		b->replicas = xrealloc(b->replicas, (b->nreplicas + 1) * sizeof(catalog_replica));
		catalog_replica *r = &b->replicas[b->nreplicas++];
		r->agent_id = col_dup(st, 1);
		r->hostname = col_dup(st, 2);
		r->agent_http = col_dup(st, 3);
		r->rack = col_dup(st, 4);
		r->framework_id = col_dup(st, 5);
		r->task_id = col_dup(st, 6);
		r->path = col_dup(st, 7);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? MOSAIC_OK : MOSAIC_EIO;
}

int
catalog_file_get(catalog *c, const char *name, catalog_file *out)
{
	memset(out, 0, sizeof(*out));
	/* One read transaction, so a concurrent put or rm is seen whole or not at all. */
	if (exec(c, "BEGIN") != 0)
		return MOSAIC_EIO;
	sqlite3_stmt *st =
	    prep(c, "SELECT size, block_size, replication, created, source FROM files WHERE name = ?");
	int rv = st ? MOSAIC_OK : MOSAIC_EIO;
	if (!rv) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			out->name = xstrdup(name);
			out->size = (uint64_t)sqlite3_column_int64(st, 0);
			out->block_size = (uint64_t)sqlite3_column_int64(st, 1);
			out->replication = (uint32_t)sqlite3_column_int(st, 2);
			out->created = sqlite3_column_double(st, 3);
			out->source = col_dup(st, 4);
		} else {
			rv = rc == SQLITE_DONE ? MOSAIC_ENOENT : MOSAIC_EIO;
		}
		sqlite3_finalize(st);
	}
	if (!rv && !(st = prep(c, "SELECT idx, off, length, sum FROM blocks WHERE file = ? ORDER BY idx")))
		rv = MOSAIC_EIO;
	if (!rv) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (sqlite3_column_int64(st, 0) != (sqlite3_int64)out->nblocks) {
				rv = MOSAIC_EIO; /* a gap: never written so */
				break;
			}
			out->blocks = xrealloc(out->blocks, (out->nblocks + 1) * sizeof(catalog_block));
			catalog_block *b = &out->blocks[out->nblocks++];
			memset(b, 0, sizeof(*b));
			b->offset = (uint64_t)sqlite3_column_int64(st, 1);
			b->length = (uint64_t)sqlite3_column_int64(st, 2);
			b->sum = (uint64_t)sqlite3_column_int64(st, 3);
		}
		if (!rv && rc != SQLITE_DONE)
			rv = MOSAIC_EIO;
		sqlite3_finalize(st);
	}
	if (!rv)
		rv = load_replicas(c, out);
	exec(c, "COMMIT");
	if (rv)
		catalog_file_fini(out);
	return rv;
}

int
catalog_file_names(catalog *c, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	sqlite3_stmt *st = prep(c, "SELECT name FROM files ORDER BY name");
	if (!st)
		return MOSAIC_EIO;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*names = xrealloc(*names, (*n + 1) * sizeof(char *));
		(*names)[(*n)++] = col_dup(st, 0);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? MOSAIC_OK : MOSAIC_EIO;
}

void
catalog_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
catalog_file_del(catalog *c, const char *name)
{
	if (exec(c, "BEGIN IMMEDIATE") != 0)
		return MOSAIC_EIO;
	bool found = false;
	int rv = exists(c, name, &found);
	if (!rv && !found)
		rv = MOSAIC_ENOENT;
	static const char *const sql[] = {"DELETE FROM replicas WHERE file = ?",
	                                  "DELETE FROM blocks WHERE file = ?",
	                                  "DELETE FROM files WHERE name = ?"};
	for (size_t i = 0; i < 3 && !rv; i++) {
		sqlite3_stmt *st = prep(c, sql[i]);
		if (!st) {
			rv = MOSAIC_EIO;
			break;
		}
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rv = MOSAIC_EIO;
		sqlite3_finalize(st);
	}
	if (!rv)
		rv = exec(c, "COMMIT");
	if (rv)
		exec(c, "ROLLBACK");
	return rv;
}

int
catalog_agent_bytes(catalog *c, const char *agent_id, uint64_t *bytes)
{
	sqlite3_stmt *st = prep(c, "SELECT COALESCE(SUM(length), 0) FROM replicas WHERE agent_id = ?");
	if (!st)
		return MOSAIC_EIO;
	sqlite3_bind_text(st, 1, agent_id, -1, SQLITE_STATIC);
	int rv = sqlite3_step(st) == SQLITE_ROW ? MOSAIC_OK : MOSAIC_EIO;
	if (!rv)
		*bytes = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rv;
}

static void
replica_fini(catalog_replica *r)
{
	free(r->agent_id);
	free(r->hostname);
	free(r->agent_http);
	free(r->rack);
	free(r->framework_id);
	free(r->task_id);
	free(r->path);
}

void
catalog_file_fini(catalog_file *f)
{
	for (size_t i = 0; i < f->nblocks; i++) {
		for (size_t k = 0; k < f->blocks[i].nreplicas; k++)
			replica_fini(&f->blocks[i].replicas[k]);
		free(f->blocks[i].replicas);
	}
	free(f->blocks);
	free(f->name);
	free(f->source);
	memset(f, 0, sizeof(*f));
}
