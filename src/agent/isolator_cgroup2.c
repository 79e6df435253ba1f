/* isolator_cgroup2.c - cgroup v2: one directory per container under
 * <mount>/<group>, with the cpu and memory controllers enabled down to it.
 * A new directory starts with the kernel's defaults (memory.max and
 * memory.swap.max "max", cpu.max "max 100000"): those are not written
 * again for each task. */
#include "isolator.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

typedef struct v2 {
	char *group; /* <mount>/<group> */
	bool swap;   /* memory.swap.max is there */
	bool kill;   /* cgroup.kill (Linux 5.14) is there */
} v2;

static bool
has_controllers(const char *mnt)
{
	char *path = xasprintf("%s/cgroup.controllers", mnt);
	FILE *f = fopen(path, "re");
	char word[64];
	bool cpu = false, memory = false;
	free(path);
	if (!f)
		return false;
	while (fscanf(f, "%63s", word) == 1) {
		cpu |= strcmp(word, "cpu") == 0;
		memory |= strcmp(word, "memory") == 0;
	}
	fclose(f);
	return cpu && memory;
}

/* Leaves only get cpu.* and memory.* files when every ancestor enables the
 * controllers for its children, from the mount down to our group. */
static int
enable_down(const char *mnt, const char *group)
{
	char *path = xasprintf("%s/%s", mnt, group);
	size_t base = strlen(mnt);
	int rv = 0;
	for (size_t i = base;; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char c = path[i];
		path[i] = '\0';
		rv = iso_cg_write(path, "cgroup.subtree_control", "+cpu +memory");
		path[i] = c;
		if (rv != 0 || c == '\0')
			break;
	}
	free(path);
	return rv;
}

static void
v2_close(void *st)
{
	v2 *s = st;
	if (!s)
		return;
	rmdir(s->group); /* best effort: running containers keep it */
	free(s->group);
	free(s);
}

static int
v2_open(void **st, const char *group)
{
	char *mnt = iso_cg_mount("cgroup2", NULL);
	if (!mnt)
		return MOSAIC_ENOTSUP;
	v2 *s = xcalloc(1, sizeof(*s));
	s->group = xasprintf("%s/%s", mnt, group);
	int ok = has_controllers(mnt) && iso_cg_mkdirs(s->group) == 0 && access(s->group, W_OK) == 0 &&
	         enable_down(mnt, group) == 0 && iso_cg_exists(s->group, "cgroup.subtree_control");
	free(mnt);
	if (!ok) {
		v2_close(s);
		return MOSAIC_ENOTSUP;
	}
	/* a leaf has the files its group has */
	s->swap = iso_cg_exists(s->group, "memory.swap.max");
	s->kill = iso_cg_exists(s->group, "cgroup.kill");
	*st = s;
	return MOSAIC_OK;
}

static void
v2_destroy(void *st, iso_cgroup *cg)
{
	v2 *s = st;
	/* an empty cgroup (the usual end: nothing outlived the leader) goes
	 * at once; rmdir refuses a populated one */
	if (cg->ndirs > 0 && !iso_cg_rmdir(cg->dirs[0])) {
		/* cgroup.kill (Linux 5.14) kills atomically, forks included;
		 * iso_cg_remove's loop covers older kernels */
		if (s->kill)
			iso_cg_write(cg->dirs[0], "cgroup.kill", "1");
		iso_cg_remove(cg->dirs[0]);
	}
	iso_cgroup_free(cg);
}

static int
v2_prepare(void *st, const char *id, double cpus, uint64_t mem, iso_cgroup *cg, iso_child *ch, char *err,
           size_t errlen)
{
	v2 *s = st;
	char val[64];
	const char *step = "mkdir";
	int rv;
	memset(cg, 0, sizeof(*cg));
	memset(ch, 0, sizeof(*ch));
	cg->freezer = -1;
	cg->mem = 0;
	cg->dirs[cg->ndirs++] = xasprintf("%s/%s", s->group, id);
	const char *dir = cg->dirs[0];
	bool fresh;
	if ((rv = iso_cg_mkleaf(dir, &fresh)) != 0)
		goto fail;
	snprintf(val, sizeof(val), mem ? "%" PRIu64 : "max", mem);
	step = "memory.max";
	if ((mem || !fresh) && (rv = iso_cg_write(dir, "memory.max", val)) != 0)
		goto fail;
	/* no escape into swap: the limit is the memory the task may use */
	if (s->swap && (mem || !fresh))
		iso_cg_write(dir, "memory.swap.max", mem ? "0" : "max");
	uint64_t period = 100000;
	long long quota = llround(cpus * (double)period);
	if (cpus > 0)
		snprintf(val, sizeof(val), "%lld %" PRIu64, quota < 1000 ? 1000 : quota, period);
	else
		snprintf(val, sizeof(val), "max %" PRIu64, period);
	step = "cpu.max";
	if ((cpus > 0 || !fresh) && (rv = iso_cg_write(dir, "cpu.max", val)) != 0)
		goto fail;
	/* v1 shares (1024 per cpu, 2..262144) mapped onto weight 1..10000,
	 * the conversion runc and systemd use */
	long long shares = cpus > 0 ? llround(cpus * 1024) : 1024;
	shares = shares < 2 ? 2 : shares > 262144 ? 262144 : shares;
	snprintf(val, sizeof(val), "%lld", 1 + ((shares - 2) * 9999) / 262142);
	step = "cpu.weight";
	if ((rv = iso_cg_write(dir, "cpu.weight", val)) != 0)
		goto fail;
	step = "open cgroup.procs";
	int fd = iso_cg_join_fd(dir);
	if (fd < 0) {
		rv = -fd;
		goto fail;
	}
	ch->join_dirs[0] = dir;
	ch->join_fds[0] = fd;
	ch->njoin = 1;
	return MOSAIC_OK;
fail:
	snprintf(err, errlen, "cgroup %s: %s: %s", dir, step, strerror(rv));
	v2_destroy(st, cg);
	return MOSAIC_EIO;
}

static void
v2_signal(void *st, const iso_cgroup *cg, int sig)
{
	(void)st;
	if (cg->ndirs > 0)
		iso_cg_signal(cg->dirs[0], sig);
}

static uint64_t
v2_memory(void *st, const iso_cgroup *cg, pid_t pid)
{
	uint64_t v = 0;
	(void)st;
	(void)pid;
	/* memory.peak is Linux 5.19+; before that only the current use */
	if (cg->ndirs > 0 && !iso_cg_read_u64(cg->dirs[0], "memory.peak", &v))
		iso_cg_read_u64(cg->dirs[0], "memory.current", &v);
	return v;
}

const isolator_ops isolator_cgroup2_ops = {
    .name = "cgroup2",
    .open = v2_open,
    .close = v2_close,
    .prepare = v2_prepare,
    .signal = v2_signal,
    .destroy = v2_destroy,
    .memory = v2_memory,
};
