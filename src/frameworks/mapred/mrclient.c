#include "mrclient.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "httpc.h"
#include "mem.h"
#include "util.h"

void
mrclient_init(mrclient *c, const char *argv0)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->role, sizeof(c->role), "mapred");
	snprintf(c->log_level, sizeof(c->log_level), "warn");
	const char *env = getenv("MAPRED_CATALOG");
	if (env && *env)
		snprintf(c->catalog, sizeof(c->catalog), "%s", env);
	env = getenv("MAPRED_TASK_PROGRAM");
	if (env && *env) {
		snprintf(c->task_program, sizeof(c->task_program), "%s", env);
		return;
	}
	/* Beside this program, as every Mosaic program finds its siblings. */
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
	} else {
		snprintf(self, sizeof(self), "%s", argv0);
	}
	snprintf(c->task_program, sizeof(c->task_program), "%s/mapred-task", dirname(self));
}

void
mrclient_default_catalog(mrclient *c)
{
	if (c->catalog[0])
		return;
	const char *m = c->master[0] ? c->master : getenv("MOSAIC_MASTER");
	if (!m || !*m)
		m = "tcp://127.0.0.1:5050";
	const char *hp = strstr(m, "://");
	hp = hp ? hp + 3 : m;
	char name[128];
	size_t k = 0;
	for (const char *p = hp; *p && k + 1 < sizeof(name); p++)
		name[k++] = (char)((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		                           (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'
		                       ? *p
		                       : '_');
	name[k] = '\0';
	const char *home = getenv("HOME");
	snprintf(c->catalog, sizeof(c->catalog), "%s/.mosaic/mapred/%s.db", home && *home ? home : "/tmp",
	         name);
}

catalog *
mrclient_open(const mrclient *c)
{
	catalog *cat;
	char err[512];
	if (catalog_open(&cat, c->catalog, err, sizeof(err)) != 0) {
		fprintf(stderr, "mapred: catalog: %s\n", err);
		return NULL;
	}
	return cat;
}

int
mrclient_lock(const mrclient *c, double wait)
{
	char *path = xasprintf("%s.lock", c->catalog);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", c->catalog);
	util_mkdir_p(dirname(dir)); /* a first put makes the catalog's home */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "mapred: cannot open %s: %s\n", path, strerror(errno));
		free(path);
		return -1;
	}
	struct timespec tick = {0, 100 * 1000 * 1000};
	bool told = false;
	for (double waited = 0;; waited += 0.1) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (waited >= wait) {
			fprintf(stderr, "mapred: another mapred put or rm holds %s; try again later\n", path);
			close(fd);
			free(path);
			return -1;
		}
		if (!told) {
			fprintf(stderr, "mapred: waiting for another mapred put or rm to finish\n");
			told = true;
		}
		nanosleep(&tick, NULL);
	}
	free(path);
	return fd;
}

void
mrclient_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

bool
mrclient_agent_up(const char *agent_http, double timeout)
{
	char *url = xasprintf("%s/health", agent_http);
	httpc_result res;
	int rv = httpc_get(url, timeout, NULL, NULL, &res);
	free(url);
	return rv == 0;
}

char *
mrclient_human(uint64_t bytes, char *buf, size_t cap)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%llu B", (unsigned long long)bytes);
	else
		snprintf(buf, cap, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
	return buf;
}

char *
mrclient_replica_url(const catalog_replica *r)
{
	return xasprintf("%s/files/%s/%s/blk", r->agent_http, r->framework_id, r->task_id);
}
