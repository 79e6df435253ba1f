/* agent_gc.c - old sandboxes go, as with Mesos' agent (--gc_delay,
 * --gc_disk_headroom): nothing else ever removes them, and a long-lived
 * framework such as mbatchd leaves one per job.
 *
 * What may go is queued, oldest first, with the wall time it became
 * garbage: a task's sandboxes (<work_dir>/frameworks/<fw>/tasks/<task>.<n>)
 * when the acknowledgement of its end lets the agent forget the task, a
 * framework's (its executor's directory under <work_dir>/executors, and
 * its then empty directories) when it leaves the agent. A restarted
 * agent queues what it finds by the directories' times. Every
 * AGENT_GC_INTERVAL the entries older than the delay are removed - unless
 * the task or framework is back here, or its directory was written since
 * (a newer entry stands for it) - so a scan costs what it removes, not
 * what is kept. The delay shrinks as the disk fills: gc_delay * max(0,
 * 1 - gc_disk_headroom - used fraction), so a full disk empties what it
 * can at once. At most AGENT_GC_MAX_REMOVALS trees go per scan, and past
 * AGENT_GC_MAX_QUEUED entries the oldest go early. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent_impl.h"
#include "agent_path.h"
#include "log.h"
#include "mem.h"
#include "util.h"

static double
mtime_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	return (double)st.st_mtim.tv_sec + (double)st.st_mtim.tv_nsec / 1e9;
}

/* The newest mtime of dir and its entries (one level), -1 if dir is gone. */
static double
newest(const char *dir)
{
	double t = mtime_of(dir);
	DIR *d = t < 0 ? NULL : opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[PATH_MAX];
		if (agent_path(path, sizeof(path), "%s/%s", dir, de->d_name) == 0) {
			double m = mtime_of(path);
			if (m > t)
				t = m;
		}
	}
	if (d)
		closedir(d);
	return t;
}

double
agent_gc_delay(const agent *a)
{
	struct statvfs vfs;
	double used = 0;
	if (statvfs(a->cfg.work_dir, &vfs) == 0 && vfs.f_blocks > 0)
		used = 1.0 - (double)vfs.f_bavail / (double)vfs.f_blocks;
	double f = 1.0 - a->cfg.gc_disk_headroom - used;
	return a->cfg.gc_delay * (f > 0 ? f : 0);
}

typedef struct gc_entry {
	double since; /* wall time it became garbage */
	char *fw;
	char *task; /* NULL: the framework's own directories */
} gc_entry;

struct agent_gc {
	gc_entry *q; /* q[head..n), oldest first */
	size_t head, n, cap;
};

static void
gc_push(agent *a, double since, const char *fw, const char *task)
{
	agent_gc *g = a->gc;
	if (!g)
		return;
	if (g->n == g->cap) {
		if (g->head > g->cap / 2) {
			memmove(g->q, g->q + g->head, (g->n - g->head) * sizeof(*g->q));
			g->n -= g->head;
			g->head = 0;
		} else {
			g->cap = g->cap ? 2 * g->cap : 256;
			g->q = xrealloc(g->q, g->cap * sizeof(*g->q));
		}
	}
	g->q[g->n++] = (gc_entry){.since = since, .fw = xstrdup(fw), .task = task ? xstrdup(task) : NULL};
}

static int
by_since(const void *x, const void *y)
{
	double a = ((const gc_entry *)x)->since, b = ((const gc_entry *)y)->since;
	return a < b ? -1 : a > b;
}

/* A framework's task directory is gone: its own go with it when it has
 * left the agent and nothing else is in them. */
static void
fw_dirs_tidy(agent *a, const char *fw)
{
	char tasks[PATH_MAX], dir[PATH_MAX];
	if (agent_framework_find(a, fw) ||
	    agent_path(dir, sizeof(dir), "%s/frameworks/%s", a->cfg.work_dir, fw) ||
	    agent_path(tasks, sizeof(tasks), "%s/tasks", dir))
		return;
	if (rmdir(tasks) == 0 || errno == ENOENT)
		rmdir(dir);
}

/* Every run of a task (0.. up to the first missing) goes when the newest
 * time in any of them is older than cutoff; true when something went. */
static bool
gc_task(agent *a, const gc_entry *e, double cutoff)
{
	char path[PATH_MAX];
	long runs = 0;
	double t = -1;
	for (; runs < AGENT_MAX_RUNS; runs++) {
		if (agent_sandbox_path(path, sizeof(path), a->cfg.work_dir, e->fw, e->task, runs))
			return false;
		double r = newest(path);
		if (r < 0)
			break;
		if (r > t)
			t = r;
	}
	if (!runs || t > cutoff)
		return false;
	for (long n = 0; n < runs; n++) {
		agent_sandbox_path(path, sizeof(path), a->cfg.work_dir, e->fw, e->task, n);
		if (util_remove_tree(path) != 0) {
			LOGW("gc: cannot remove %s", path);
			return false;
		}
		LOGD("gc: removed %s", path);
	}
	return true;
}

/* Removes what e names if it is still garbage and older than cutoff;
 * true when something went. */
static bool
gc_apply(agent *a, const gc_entry *e, double cutoff)
{
	char path[PATH_MAX];
	if (e->task) {
		if (agent_task_find(a, e->fw, e->task) || !gc_task(a, e, cutoff))
			return false;
	} else {
		if (agent_framework_find(a, e->fw) ||
		    agent_path(path, sizeof(path), "%s/executors/%s", a->cfg.work_dir, e->fw))
			return false;
		double t = newest(path);
		if (t > cutoff)
			return false;
		if (t < 0) {
			fw_dirs_tidy(a, e->fw);
			return false;
		}
		if (util_remove_tree(path) != 0) {
			LOGW("gc: cannot remove %s", path);
			return false;
		}
		LOGD("gc: removed %s", path);
	}
	fw_dirs_tidy(a, e->fw);
	return true;
}

size_t
agent_gc_scan(agent *a, double now_wall)
{
	agent_gc *g = a->gc;
	if (!g)
		return 0;
	double delay = agent_gc_delay(a), cutoff = now_wall - delay;
	size_t removed = 0;
	while (g->head < g->n && removed < AGENT_GC_MAX_REMOVALS) {
		gc_entry *e = &g->q[g->head];
		bool over = g->n - g->head > AGENT_GC_MAX_QUEUED;
		if (e->since > cutoff && !over)
			break;
		removed += gc_apply(a, e, over ? INFINITY : cutoff);
		free(e->fw);
		free(e->task);
		g->head++;
	}
	if (g->head == g->n)
		g->head = g->n = 0;
	if (removed)
		LOGI("gc: removed %zu sandboxes older than %.0f s", removed, delay);
	return removed;
}

void
agent_gc_task_ended(agent *a, const char *fw_id, const char *task_id, const char *sandbox)
{
	if (sandbox)
		utimensat(AT_FDCWD, sandbox, NULL, 0);
	gc_push(a, mosaic_wall_now(), fw_id, task_id);
}

void
agent_gc_framework_left(agent *a, const char *fw_id)
{
	gc_push(a, mosaic_wall_now(), fw_id, NULL);
}

/* What an earlier run of the agent left: every task directory it no
 * longer tracks, and every framework that is not here, by their times. */
static void
gc_recover(agent *a)
{
	char dir[PATH_MAX];
	if (agent_path(dir, sizeof(dir), "%s/frameworks", a->cfg.work_dir))
		return;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char tasks[PATH_MAX], exec[PATH_MAX];
		if (agent_path(tasks, sizeof(tasks), "%s/%s/tasks", dir, de->d_name) ||
		    agent_path(exec, sizeof(exec), "%s/executors/%s", a->cfg.work_dir, de->d_name))
			continue;
		DIR *td = opendir(tasks);
		struct dirent *te;
		while (td && (te = readdir(td))) {
			char run[PATH_MAX], id[MOSAIC_ID_MAX];
			/* one entry per task (its run 0), for all its runs */
			if (agent_sandbox_parse(te->d_name, id, sizeof(id)) != 0 || !id_valid(id) ||
			    agent_task_find(a, de->d_name, id) ||
			    agent_path(run, sizeof(run), "%s/%s", tasks, te->d_name))
				continue;
			gc_push(a, mtime_of(run), de->d_name, id);
		}
		if (td)
			closedir(td);
		if (!agent_framework_find(a, de->d_name))
			gc_push(a, newest(exec), de->d_name, NULL);
	}
	if (d)
		closedir(d);
	agent_gc *g = a->gc;
	if (g->n > g->head)
		qsort(g->q + g->head, g->n - g->head, sizeof(*g->q), by_since);
}

static void
gc_cb(mosaic_loop *loop, void *arg)
{
	agent *a = arg;
	a->gc_timer = 0;
	agent_gc_scan(a, mosaic_wall_now());
	a->gc_timer = loop_timer_start(loop, AGENT_GC_INTERVAL, gc_cb, a);
}

void
agent_gc_start(agent *a)
{
	a->gc = xcalloc(1, sizeof(*a->gc));
	gc_recover(a);
	a->gc_timer = loop_timer_start(a->loop, AGENT_GC_INTERVAL, gc_cb, a);
}

void
agent_gc_free(agent *a)
{
	agent_gc *g = a->gc;
	if (!g)
		return;
	for (size_t i = g->head; i < g->n; i++) {
		free(g->q[i].fw);
		free(g->q[i].task);
	}
	free(g->q);
	free(g);
	a->gc = NULL;
}
