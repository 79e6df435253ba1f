/* isolator_rlimit.c - the fallback where no cgroup hierarchy is writable:
 * memory by RLIMIT_DATA, no cpu limit, and the process group as the only
 * boundary of the container.
 *
 * Why RLIMIT_DATA and not RLIMIT_AS: RLIMIT_AS counts address space that is
 * reserved but never touched (thread stacks, glibc's 64 MB malloc arenas per
 * thread, JVM and Go heaps reserved up front, sanitizer shadow memory), so
 * ordinary programs fail far below the memory they really use. RLIMIT_DATA
 * covers the heap and, since Linux 4.7, private writable mappings, which is
 * where a task's real memory goes.
 *
 * Why no cpu limit: RLIMIT_CPU caps total cpu seconds and kills the task
 * when they run out; it cannot hold a task to a share of a core. */
#include "isolator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

static int
rl_open(void **st, const char *group)
{
	(void)group;
	*st = NULL;
	return MOSAIC_OK;
}

static void
rl_close(void *st)
{
	(void)st;
}

static int
rl_prepare(void *st, const char *id, double cpus, uint64_t mem, iso_cgroup *cg, iso_child *ch, char *err,
           size_t errlen)
{
	(void)st;
	(void)id;
	(void)cpus;
	(void)err;
	(void)errlen;
	memset(cg, 0, sizeof(*cg));
	memset(ch, 0, sizeof(*ch));
	cg->mem = cg->freezer = -1;
	if (mem) {
		ch->set_data = true;
		ch->data.rlim_cur = ch->data.rlim_max = (rlim_t)mem;
	}
	return MOSAIC_OK;
}

static void
rl_signal(void *st, const iso_cgroup *cg, int sig)
{
	/* nothing beyond the process group the containerizer signals */
	(void)st;
	(void)cg;
	(void)sig;
}

static void
rl_destroy(void *st, iso_cgroup *cg)
{
	(void)st;
	iso_cgroup_free(cg);
}

/* Without a cgroup only the leader is measured: its peak resident size. */
static uint64_t
rl_memory(void *st, const iso_cgroup *cg, pid_t pid)
{
	char path[64], line[256];
	unsigned long long kib = 0;
	(void)st;
	(void)cg;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return (uint64_t)kib * 1024;
}

const isolator_ops isolator_rlimit_ops = {
    .name = "rlimit",
    .open = rl_open,
    .close = rl_close,
    .prepare = rl_prepare,
    .signal = rl_signal,
    .destroy = rl_destroy,
    .memory = rl_memory,
};
