/* isolator_cgroup1.c - cgroup v1: one directory per container in each of
 * the memory, cpu and (when mounted) freezer hierarchies, e.g.
 * /sys/fs/cgroup/memory/<group>/<id>.
 *
 * Making and removing those directories is most of what starting a short
 * task costs the executor (the kernel creates and tears down every control
 * file of every controller). So an ended container's directories, once
 * empty, are kept as spares (at most V1_SPARES) and renamed to the next
 * container's id (v1 allows a rename within the parent); its memory peak
 * is reset first, and one still holding over V1_SPARE_RESIDUE of charges
 * is removed instead, so figures are the new task's own give or take that.
 * Spares go when the isolator closes.
 *
 * Each write to a control file is a kernfs open, write and close, paid per
 * task: a new directory starts with the kernel's defaults (no memory
 * limit, 1024 shares, no quota, a 100 ms period), so only what differs
 * from them is written; a directory left from before gets every value. */
#include "isolator.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

#define FREEZE_WAIT_MS 1000
#define V1_SPARES 32
#define V1_SPARE_RESIDUE (1u << 20) /* bytes a reused spare may hold charged */

typedef struct v1 {
	char *mem, *cpu, *freezer; /* <mount>/<group>; freezer may be NULL */
	bool memsw;                /* memory.memsw.* (swap accounting) is there */
	bool quota;                /* cpu.cfs_quota_us (CFS bandwidth) is there */
	iso_cgroup spares[V1_SPARES]; /* ended containers' directories, empty */
	unsigned nspares;
} v1;

static void cg_remove(iso_cgroup *cg);

#define V1_DEFAULT_SHARES 1024
#define V1_DEFAULT_PERIOD 100000

/* <mount of controller>/<group>, created and writable, or NULL */
static char *
group_dir(const char *controller, const char *group)
{
	char *mnt = iso_cg_mount("cgroup", controller);
	if (!mnt)
		return NULL;
	char *dir = xasprintf("%s/%s", mnt, group);
	free(mnt);
	if (iso_cg_mkdirs(dir) != 0 || access(dir, W_OK) != 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void
v1_close(void *st)
{
	v1 *s = st;
	if (!s)
		return;
	while (s->nspares > 0)
		cg_remove(&s->spares[--s->nspares]);
	/* best effort: only an empty group goes; running containers stay */
	char *dirs[] = {s->mem, s->cpu, s->freezer};
	for (int i = 0; i < 3; i++) {
		if (dirs[i])
			rmdir(dirs[i]);
		free(dirs[i]);
	}
	free(s);
}

static int
v1_open(void **st, const char *group)
{
	v1 *s = xcalloc(1, sizeof(*s));
	s->mem = group_dir("memory", group);
	s->cpu = group_dir("cpu", group);
	if (!s->mem || !s->cpu || !iso_cg_exists(s->mem, "memory.limit_in_bytes") ||
	    !iso_cg_exists(s->cpu, "cpu.shares")) {
		v1_close(s);
		return MOSAIC_ENOTSUP;
	}
	/* the freezer is optional: it only makes the final kill race-free */
	s->freezer = group_dir("freezer", group);
	/* a leaf has the control files its group has */
	s->memsw = iso_cg_exists(s->mem, "memory.memsw.limit_in_bytes");
	s->quota = iso_cg_exists(s->cpu, "cpu.cfs_quota_us");
	*st = s;
	return MOSAIC_OK;
}

/* 0 or the errno of the memory limit's write. memsw (memory+swap) must
 * stay >= the memory limit at every step; setting it closes the escape
 * into swap (best effort, as it always was). */
static int
set_memory(const v1 *s, const char *dir, uint64_t mem, bool fresh)
{
	if (fresh && !mem)
		return 0; /* unlimited already */
	char val[32];
	snprintf(val, sizeof(val), mem ? "%" PRIu64 : "-1", mem);
	int rv;
	if (fresh) {
		/* both unlimited: the memory limit goes down first */
		rv = iso_cg_write(dir, "memory.limit_in_bytes", val);
		if (rv == 0 && s->memsw)
			iso_cg_write(dir, "memory.memsw.limit_in_bytes", val);
		return rv;
	}
	/* limits unknown: memsw before and after, so one of the two writes
	 * succeeds whichever way the limit moves */
	if (s->memsw)
		iso_cg_write(dir, "memory.memsw.limit_in_bytes", val);
	rv = iso_cg_write(dir, "memory.limit_in_bytes", val);
	if (s->memsw)
		iso_cg_write(dir, "memory.memsw.limit_in_bytes", val);
	return rv;
}

static int
set_cpu(const v1 *s, const char *dir, double cpus, bool fresh)
{
	char val[32];
	uint64_t period = V1_DEFAULT_PERIOD;
	long long shares = cpus > 0 ? llround(cpus * 1024) : V1_DEFAULT_SHARES;
	shares = shares < 2 ? 2 : shares;
	int rv = 0;
	if (!fresh || shares != V1_DEFAULT_SHARES) {
		snprintf(val, sizeof(val), "%lld", shares);
		rv = iso_cg_write(dir, "cpu.shares", val);
	}
	if (rv == 0 && s->quota && (!fresh || cpus > 0)) {
		if (!fresh)
			iso_cg_read_u64(dir, "cpu.cfs_period_us", &period);
		long long quota = llround(cpus * (double)period);
		snprintf(val, sizeof(val), "%lld", cpus > 0 ? (quota < 1000 ? 1000 : quota) : -1);
		rv = iso_cg_write(dir, "cpu.cfs_quota_us", val);
	}
	return rv;
}

/* Where a leftover process would sit: the freezer, else the first
 * hierarchy. */
static const char *
judge_dir(const iso_cgroup *cg)
{
	return cg->ndirs > 0 ? cg->dirs[cg->freezer >= 0 ? cg->freezer : 0] : NULL;
}

/* Remove a container's directories, killing what is left in them. */
static void
cg_remove(iso_cgroup *cg)
{
	/* The usual end: the leader has been reaped and left nothing behind,
	 * so the directories are empty and go at once (rmdir refuses a
	 * populated cgroup). */
	const char *judge = judge_dir(cg);
	if (judge && iso_cg_rmdir(judge)) {
		for (unsigned i = 0; i < cg->ndirs; i++)
			if ((int)i != cg->freezer && !iso_cg_rmdir(cg->dirs[i]))
				iso_cg_remove(cg->dirs[i]);
		iso_cgroup_free(cg);
		return;
	}
	if (cg->freezer >= 0) {
		/* Frozen tasks cannot fork while we kill them; SIGKILL takes
		 * effect once they are thawed. */
		const char *fz = cg->dirs[cg->freezer];
		char state[32] = "";
		iso_cg_write(fz, "freezer.state", "FROZEN");
		for (unsigned w = 0; w < FREEZE_WAIT_MS; w += 5) {
			char *path = xasprintf("%s/freezer.state", fz);
			FILE *f = fopen(path, "re");
			free(path);
			if (!f || !fgets(state, sizeof(state), f) || strncmp(state, "FREEZING", 8) != 0) {
				if (f)
					fclose(f);
				break;
			}
			fclose(f);
			iso_sleep_ms(5);
		}
		iso_cg_signal(fz, SIGKILL);
		iso_cg_write(fz, "freezer.state", "THAWED");
	}
	for (unsigned i = 0; i < cg->ndirs; i++)
		iso_cg_remove(cg->dirs[i]);
	iso_cgroup_free(cg);
}

static void
v1_destroy(void *st, iso_cgroup *cg)
{
	v1 *s = st;
	const char *judge = judge_dir(cg);
	if (judge && s->nspares < V1_SPARES && iso_cg_empty(judge)) {
		s->spares[s->nspares++] = *cg;
		memset(cg, 0, sizeof(*cg));
		cg->mem = cg->freezer = -1;
		return;
	}
	cg_remove(cg);
}

/* The newest spare, renamed to id's directories, emptied of the memory
 * its last container left charged and with its peak reset, in *cg; false
 * (and the spare removed) if any of that fails. */
static bool
spare_take(v1 *s, const char *const *roots, const char *id, iso_cgroup *cg)
{
	*cg = s->spares[--s->nspares];
	bool ok = true;
	for (unsigned i = 0; ok && i < cg->ndirs; i++) {
		char *to = xasprintf("%s/%s", roots[i], id);
		ok = rename(cg->dirs[i], to) == 0;
		if (ok) {
			free(cg->dirs[i]);
			cg->dirs[i] = to;
		} else {
			free(to);
		}
	}
	/* What an ended task leaves charged is mostly kernel memory (its
	 * dentries and the like, 0.1-0.3 MiB for a shell), which
	 * memory.force_empty cannot reclaim all of: it then retries its
	 * reclaim sixteen times, a quarter of what the executor spent per task. So
	 * a spare holding more than V1_SPARE_RESIDUE is not reused (its
	 * removal hands the charges to the parent at no reclaim cost), and
	 * the peak restarts from what is left. */
	uint64_t left = 0;
	if (ok && cg->mem >= 0)
		ok = iso_cg_read_u64(cg->dirs[cg->mem], "memory.usage_in_bytes", &left) &&
		     left <= V1_SPARE_RESIDUE &&
		     iso_cg_write(cg->dirs[cg->mem], "memory.max_usage_in_bytes", "0") == 0;
	if (!ok)
		cg_remove(cg);
	return ok;
}

static int
v1_prepare(void *st, const char *id, double cpus, uint64_t mem, iso_cgroup *cg, iso_child *ch, char *err,
           size_t errlen)
{
	v1 *s = st;
	const char *roots[] = {s->mem, s->cpu, s->freezer};
	bool fresh[3] = {false, false, false};
	int rv = 0;
	memset(ch, 0, sizeof(*ch));
	bool reused = s->nspares > 0 && spare_take(s, roots, id, cg);
	if (!reused) {
		memset(cg, 0, sizeof(*cg));
		cg->mem = 0;
		cg->freezer = s->freezer ? 2 : -1;
		for (unsigned i = 0; i < 3 && roots[i]; i++) {
			cg->dirs[cg->ndirs++] = xasprintf("%s/%s", roots[i], id);
			if ((rv = iso_cg_mkleaf(cg->dirs[i], &fresh[i])) != 0) {
				snprintf(err, errlen, "mkdir %s: %s", cg->dirs[i], strerror(rv));
				goto fail;
			}
		}
	}
	/* a spare that holds these limits already needs no write */
	if (!reused || !cg->limits_set || cg->mem_bytes != mem || cg->cpus != cpus) {
		cg->limits_set = false;
		if ((rv = set_memory(s, cg->dirs[0], mem, fresh[0])) != 0) {
			snprintf(err, errlen, "cgroup %s: memory limit of %" PRIu64 " bytes: %s", cg->dirs[0],
			         mem, strerror(rv));
			goto fail;
		}
		if ((rv = set_cpu(s, cg->dirs[1], cpus, fresh[1])) != 0) {
			snprintf(err, errlen, "cgroup %s: cpu limit: %s", cg->dirs[1], strerror(rv));
			goto fail;
		}
		cg->limits_set = true;
		cg->mem_bytes = mem;
		cg->cpus = cpus;
	}
	for (unsigned i = 0; i < cg->ndirs; i++) {
		int fd = iso_cg_join_fd(cg->dirs[i]);
		if (fd < 0) {
			snprintf(err, errlen, "open %s/cgroup.procs: %s", cg->dirs[i], strerror(-fd));
			goto fail;
		}
		ch->join_dirs[ch->njoin] = cg->dirs[i];
		ch->join_fds[ch->njoin++] = fd;
	}
	return MOSAIC_OK;
fail:
	iso_child_close(ch);
	v1_destroy(st, cg);
	return MOSAIC_EIO;
}

static void
v1_signal(void *st, const iso_cgroup *cg, int sig)
{
	(void)st;
	if (cg->ndirs > 0)
		iso_cg_signal(cg->dirs[0], sig);
}

static uint64_t
v1_memory(void *st, const iso_cgroup *cg, pid_t pid)
{
	uint64_t v = 0;
	(void)st;
	(void)pid;
	if (cg->mem >= 0 && !iso_cg_read_u64(cg->dirs[cg->mem], "memory.max_usage_in_bytes", &v))
		iso_cg_read_u64(cg->dirs[cg->mem], "memory.usage_in_bytes", &v);
	return v;
}

const isolator_ops isolator_cgroup1_ops = {
    .name = "cgroup1",
    .open = v1_open,
    .close = v1_close,
    .prepare = v1_prepare,
    .signal = v1_signal,
    .destroy = v1_destroy,
    .memory = v1_memory,
};
