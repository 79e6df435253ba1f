#include "jobstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "errors.h"
#include "log.h"
#include "mem.h"

/* Columns of jobs, in the order bind_job and read_job use. */
#define JOB_COLUMNS                                                                                          \
	"id, sub_id, array_index, state, held, attempt, restarts, retries, kill_reason, launch_time, "       \
	"start_time, end_time, has_exit, exit_code, term_signal, pid, task_id, agent_id, hostname, "         \
	"agent_http, cpus_bound, numa_bound, sandbox, message, stdout_path, stderr_path"

#define SUB_COLUMNS "id, count, submit_time, script, script_name, options, args, env, cwd, user, submit_host"

static const char *const schema[] = {
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS subs (id INTEGER PRIMARY KEY, count INTEGER NOT NULL, submit_time REAL, "
    "script BLOB, script_name TEXT, options BLOB, args BLOB, env BLOB, cwd TEXT, user TEXT, "
    "submit_host TEXT)",
    "CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, sub_id INTEGER NOT NULL, array_index INTEGER, "
    "state INTEGER, held INTEGER, attempt INTEGER, restarts INTEGER, retries INTEGER, kill_reason INTEGER, "
    "launch_time REAL, start_time REAL, end_time REAL, has_exit INTEGER, exit_code INTEGER, "
    "term_signal INTEGER, pid INTEGER, task_id TEXT, agent_id TEXT, hostname TEXT, agent_http TEXT, "
    "cpus_bound TEXT, numa_bound TEXT, sandbox TEXT, message TEXT, stdout_path TEXT, stderr_path TEXT)",
    "CREATE INDEX IF NOT EXISTS jobs_sub ON jobs (sub_id)",
};

enum { ST_META_GET, ST_META_SET, ST_PUT_SUB, ST_PUT_JOB, ST_DEL_SUB, ST_DEL_JOBS, ST_COUNT };

static const char *const statements[ST_COUNT] = {
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_META_SET] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
    [ST_PUT_SUB] =
        "INSERT OR REPLACE INTO subs (" SUB_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?10, ?11)",
    [ST_PUT_JOB] =
        "INSERT OR REPLACE INTO jobs (" JOB_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
    [ST_DEL_SUB] = "DELETE FROM subs WHERE id = ?1",
    [ST_DEL_JOBS] = "DELETE FROM jobs WHERE sub_id = ?1",
};

struct jobstore {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	bool in_tx;
	char err[512];
};

static int
fail(jobstore *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
	LOGE("jobstore: %s", s->err);
	return MOSAIC_EIO;
}

static int
exec(jobstore *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(s->err, sizeof(s->err), "%s: %s", sql, msg ? msg : "?");
		LOGE("jobstore: %s", s->err);
		sqlite3_free(msg);
		return MOSAIC_EIO;
	}
	return MOSAIC_OK;
}

int
jobstore_open(jobstore **out, const char *path, char *err, size_t errlen)
{
	jobstore *s = xcalloc(1, sizeof(*s));
	int rv = MOSAIC_OK;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK)
		rv = MOSAIC_EIO;
	if (rv == 0) {
		sqlite3_busy_timeout(s->db, 5000);
		/* WAL: a commit is one append and one fsync; FULL: that fsync
		 * happens at every commit, so a job told to the user survives a
		 * power cut as well as a kill -9. */
		rv =
		    exec(s, "PRAGMA journal_mode=WAL") || exec(s, "PRAGMA synchronous=FULL") ? MOSAIC_EIO : 0;
	}
	for (size_t i = 0; rv == 0 && i < sizeof(schema) / sizeof(schema[0]); i++)
		rv = exec(s, schema[i]);
	for (int i = 0; rv == 0 && i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(s->db, statements[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
		                       NULL) != SQLITE_OK)
			rv = fail(s, statements[i]);
	if (rv != 0) {
		if (err)
			snprintf(err, errlen, "cannot open the job store %s: %s", path,
			         s->err[0] ? s->err : sqlite3_errmsg(s->db));
		jobstore_close(s);
		return MOSAIC_EIO;
	}
	*out = s;
	return MOSAIC_OK;
}

void
jobstore_close(jobstore *s)
{
	if (!s)
		return;
	if (s->in_tx)
		exec(s, "ROLLBACK");
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s);
}

int
jobstore_begin(jobstore *s)
{
	if (s->in_tx)
		return MOSAIC_OK;
	int rv = exec(s, "BEGIN");
	if (rv == 0)
		s->in_tx = true;
	return rv;
}

int
jobstore_commit(jobstore *s)
{
	if (!s->in_tx)
		return MOSAIC_OK;
	int rv = exec(s, "COMMIT");
	if (rv != 0) {
		exec(s, "ROLLBACK");
		snprintf(s->err, sizeof(s->err), "commit failed: %s", sqlite3_errmsg(s->db));
	}
	s->in_tx = false;
	return rv;
}

bool
jobstore_in_transaction(const jobstore *s)
{
	return s->in_tx;
}

const char *
jobstore_last_error(const jobstore *s)
{
	return s->err;
}

/* Run a prepared statement to its end, then reset it. */
static int
step(jobstore *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int rv = rc == SQLITE_DONE || rc == SQLITE_ROW ? MOSAIC_OK : fail(s, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rv;
}

int
jobstore_meta_get(jobstore *s, const char *key, char **val)
{
	sqlite3_stmt *st = s->st[ST_META_GET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st), rv;
	if (rc == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		*val = xstrdup(v ? (const char *)v : "");
		rv = MOSAIC_OK;
	} else {
		rv = rc == SQLITE_DONE ? MOSAIC_ENOENT : fail(s, "meta get");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rv;
}

int
jobstore_meta_set(jobstore *s, const char *key, const char *val)
{
	sqlite3_stmt *st = s->st[ST_META_SET];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC);
	return step(s, st, "meta set");
}

/* String lists are stored as one blob of NUL-terminated strings. */
static char *
pack_list(const char *const *v, size_t n, size_t *len)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += strlen(v[i]) + 1;
	char *buf = xmalloc(total ? total : 1), *p = buf;
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(v[i]) + 1;
		memcpy(p, v[i], k);
		p += k;
	}
	*len = total;
	return buf;
}

/* The inverse: a heap array of pointers into a heap copy of the blob. */
typedef struct list {
	char *buf;
	const char **v;
	size_t n;
} list;

static void
unpack_list(list *l, const void *blob, size_t len)
{
	memset(l, 0, sizeof(*l));
	l->buf = xmalloc(len + 1);
	if (len)
		memcpy(l->buf, blob, len);
	l->buf[len] = '\0';
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += l->buf[i] == '\0';
	if (len && l->buf[len - 1] != '\0')
		n++; /* a damaged last entry still counts */
	l->v = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0, start = 0; i < len && l->n < n; i++) {
		if (l->buf[i] == '\0' || i + 1 == len) {
			l->v[l->n++] = l->buf + start;
			start = i + 1;
		}
	}
}

static void
list_fini(list *l)
{
	free(l->buf);
	free(l->v);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_STATIC);
}

int
jobstore_put_sub(jobstore *s, const jobstore_sub *sub)
{
	sqlite3_stmt *st = s->st[ST_PUT_SUB];
	size_t lo, la, le;
	char *opts = pack_list(sub->options, sub->noptions, &lo);
	char *args = pack_list(sub->args, sub->nargs, &la);
	char *env = pack_list(sub->env, sub->nenv, &le);
	sqlite3_bind_int64(st, 1, sub->id);
	sqlite3_bind_int64(st, 2, sub->count);
	sqlite3_bind_double(st, 3, sub->submit_time);
	if (sub->script)
		sqlite3_bind_blob(st, 4, sub->script, (int)sub->script_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 4);
	bind_text(st, 5, sub->script_name);
	sqlite3_bind_blob(st, 6, opts, (int)lo, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, args, (int)la, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, env, (int)le, SQLITE_STATIC);
	bind_text(st, 9, sub->cwd);
	bind_text(st, 10, sub->user);
	bind_text(st, 11, sub->submit_host);
	int rv = step(s, st, "put submission");
	free(opts);
	free(args);
	free(env);
	return rv;
}

int
jobstore_put_job(jobstore *s, const jobstore_job *j)
{
	sqlite3_stmt *st = s->st[ST_PUT_JOB];
	int i = 1;
	sqlite3_bind_int64(st, i++, j->id);
	sqlite3_bind_int64(st, i++, j->sub_id);
	sqlite3_bind_int64(st, i++, j->array_index);
	sqlite3_bind_int(st, i++, j->state);
	sqlite3_bind_int(st, i++, j->held);
	sqlite3_bind_int64(st, i++, j->attempt);
	sqlite3_bind_int64(st, i++, j->restarts);
	sqlite3_bind_int64(st, i++, j->retries);
	sqlite3_bind_int(st, i++, j->kill_reason);
	sqlite3_bind_double(st, i++, j->launch_time);
	sqlite3_bind_double(st, i++, j->start_time);
	sqlite3_bind_double(st, i++, j->end_time);
	sqlite3_bind_int(st, i++, j->has_exit);
	sqlite3_bind_int(st, i++, j->exit_code);
	sqlite3_bind_int(st, i++, j->term_signal);
	sqlite3_bind_int64(st, i++, j->pid);
	const char *texts[] = {j->task_id,    j->agent_id, j->hostname, j->agent_http,  j->cpus_bound,
	                       j->numa_bound, j->sandbox,  j->message,  j->stdout_path, j->stderr_path};
	for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++)
		bind_text(st, i++, texts[k]);
	return step(s, st, "put job");
}

int
jobstore_delete_sub(jobstore *s, uint32_t id)
{
	sqlite3_bind_int64(s->st[ST_DEL_JOBS], 1, id);
	int rv = step(s, s->st[ST_DEL_JOBS], "delete jobs");
	sqlite3_bind_int64(s->st[ST_DEL_SUB], 1, id);
	return rv ? rv : step(s, s->st[ST_DEL_SUB], "delete submission");
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	return v ? (const char *)v : "";
}

static int
load_subs(jobstore *s, jobstore_sub_fn fn, void *arg)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT " SUB_COLUMNS " FROM subs ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK)
		return fail(s, "load submissions");
	int rc = SQLITE_DONE, rv = MOSAIC_OK;
	while (rv == MOSAIC_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		jobstore_sub sub = {0};
		list opts, args, env;
		sub.id = (uint32_t)sqlite3_column_int64(st, 0);
		sub.count = (uint32_t)sqlite3_column_int64(st, 1);
		sub.submit_time = sqlite3_column_double(st, 2);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			sub.script = sqlite3_column_blob(st, 3);
			sub.script_len = (size_t)sqlite3_column_bytes(st, 3);
			if (!sub.script)
				sub.script = "";
		}
		sub.script_name = col_text(st, 4);
		unpack_list(&opts, sqlite3_column_blob(st, 5), (size_t)sqlite3_column_bytes(st, 5));
		unpack_list(&args, sqlite3_column_blob(st, 6), (size_t)sqlite3_column_bytes(st, 6));
		unpack_list(&env, sqlite3_column_blob(st, 7), (size_t)sqlite3_column_bytes(st, 7));
		sub.options = opts.v;
		sub.noptions = opts.n;
		sub.args = args.v;
		sub.nargs = args.n;
		sub.env = env.v;
		sub.nenv = env.n;
		sub.cwd = col_text(st, 8);
		sub.user = col_text(st, 9);
		sub.submit_host = col_text(st, 10);
		rv = fn(arg, &sub);
		list_fini(&opts);
		list_fini(&args);
		list_fini(&env);
	}
	if (rv == MOSAIC_OK && rc != SQLITE_DONE)
		rv = fail(s, "load submissions");
	sqlite3_finalize(st);
	return rv;
}

static int
load_jobs(jobstore *s, jobstore_job_fn fn, void *arg)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT " JOB_COLUMNS " FROM jobs ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK)
		return fail(s, "load jobs");
	int rc = SQLITE_DONE, rv = MOSAIC_OK;
	while (rv == MOSAIC_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		jobstore_job j = {0};
		int i = 0;
		j.id = (uint32_t)sqlite3_column_int64(st, i++);
		j.sub_id = (uint32_t)sqlite3_column_int64(st, i++);
		j.array_index = sqlite3_column_int64(st, i++);
		j.state = sqlite3_column_int(st, i++);
		j.held = sqlite3_column_int(st, i++) != 0;
		j.attempt = (uint32_t)sqlite3_column_int64(st, i++);
		j.restarts = (uint32_t)sqlite3_column_int64(st, i++);
		j.retries = (uint32_t)sqlite3_column_int64(st, i++);
		j.kill_reason = sqlite3_column_int(st, i++);
		j.launch_time = sqlite3_column_double(st, i++);
		j.start_time = sqlite3_column_double(st, i++);
		j.end_time = sqlite3_column_double(st, i++);
		j.has_exit = sqlite3_column_int(st, i++) != 0;
		j.exit_code = sqlite3_column_int(st, i++);
		j.term_signal = sqlite3_column_int(st, i++);
		j.pid = (uint32_t)sqlite3_column_int64(st, i++);
		j.task_id = col_text(st, i++);
		j.agent_id = col_text(st, i++);
		j.hostname = col_text(st, i++);
		j.agent_http = col_text(st, i++);
		j.cpus_bound = col_text(st, i++);
		j.numa_bound = col_text(st, i++);
		j.sandbox = col_text(st, i++);
		j.message = col_text(st, i++);
		j.stdout_path = col_text(st, i++);
		j.stderr_path = col_text(st, i++);
		rv = fn(arg, &j);
	}
	if (rv == MOSAIC_OK && rc != SQLITE_DONE)
		rv = fail(s, "load jobs");
	sqlite3_finalize(st);
	return rv;
}

int
jobstore_load(jobstore *s, jobstore_sub_fn sub_fn, jobstore_job_fn job_fn, void *arg)
{
	int rv = load_subs(s, sub_fn, arg);
	return rv ? rv : load_jobs(s, job_fn, arg);
}
