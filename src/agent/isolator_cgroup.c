/* isolator_cgroup.c - cgroup file helpers shared by the v1 and v2
 * isolators: mounts, control files, and killing what is left in a group. */
#include "isolator.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"

/* How long a cgroup may take to empty after SIGKILL before we give up on
 * removing it (the rest is left for the next agent's clean-up). */
#define EMPTY_WAIT_MS 3000

void
iso_sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool
has_option(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = opts; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && strncmp(p, opt, n) == 0)
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

char *
iso_cg_mount(const char *fstype, const char *option)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent ent;
	char buf[4096];
	char *found = NULL;
	if (!f)
		return NULL;
	while (!found && getmntent_r(f, &ent, buf, sizeof(buf)))
		if (strcmp(ent.mnt_type, fstype) == 0 && (!option || has_option(ent.mnt_opts, option)))
			found = xstrdup(ent.mnt_dir);
	endmntent(f);
	return found;
}

int
iso_cg_mkdirs(const char *path)
{
	char *p = xstrdup(path);
	int rv = 0;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			rv = errno;
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rv;
}

int
iso_cg_mkleaf(const char *path, bool *fresh)
{
	*fresh = false;
	if (mkdir(path, 0755) == 0) {
		*fresh = true;
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return errno;
	return iso_cg_mkdirs(path);
}

int
iso_cg_write(const char *dir, const char *file, const char *val)
{
	char *path = xasprintf("%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC), rv = 0;
	free(path);
	if (fd < 0)
		return errno;
	size_t len = strlen(val);
	if (write(fd, val, len) != (ssize_t)len)
		rv = errno ? errno : EIO;
	close(fd);
	return rv;
}

bool
iso_cg_read_u64(const char *dir, const char *file, uint64_t *v)
{
	char path[PATH_MAX], buf[32];
	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return false;
	buf[n] = '\0';
	char *end;
	errno = 0;
	unsigned long long x = strtoull(buf, &end, 10);
	if (errno || (*end && *end != '\n'))
		return false;
	*v = x;
	return true;
}

bool
iso_cg_exists(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	bool ok = access(path, F_OK) == 0;
	free(path);
	return ok;
}

unsigned
iso_cg_signal(const char *dir, int sig)
{
	char *path = xasprintf("%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	unsigned n = 0;
	long pid;
	free(path);
	if (!f)
		return 0;
	while (fscanf(f, "%ld", &pid) == 1) {
		if (pid > 0)
			kill((pid_t)pid, sig);
		n++;
	}
	fclose(f);
	return n;
}

void
iso_cg_remove(const char *dir)
{
	/* Kill until empty, then rmdir; rmdir can still say EBUSY for a moment
	 * while the last task finishes exiting. */
	for (unsigned waited = 0; waited < EMPTY_WAIT_MS; waited += 10) {
		if (iso_cg_signal(dir, SIGKILL) == 0 && (rmdir(dir) == 0 || errno == ENOENT))
			return;
		iso_sleep_ms(10);
	}
}

bool
iso_cg_rmdir(const char *dir)
{
	return rmdir(dir) == 0 || errno == ENOENT;
}

bool
iso_cg_empty(const char *dir)
{
	char *path = xasprintf("%s/cgroup.procs", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return false;
	char c;
	ssize_t n;
	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	close(fd);
	return n == 0;
}

int
iso_cg_join_fd(const char *dir)
{
	char *path = xasprintf("%s/cgroup.procs", dir);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	free(path);
	return fd >= 0 ? fd : -errno;
}

void
iso_cgroup_free(iso_cgroup *cg)
{
	for (unsigned i = 0; i < cg->ndirs; i++)
		free(cg->dirs[i]);
	cg->ndirs = 0;
	cg->mem = cg->freezer = -1;
}

void
iso_child_close(iso_child *ch)
{
	for (unsigned i = 0; i < ch->njoin; i++)
		if (ch->join_fds[i] >= 0)
			close(ch->join_fds[i]);
	ch->njoin = 0;
}
