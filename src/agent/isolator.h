/* isolator.h - private to the containerizer: one small ops table per way
 * of limiting a container (cgroup v2, cgroup v1, rlimits), chosen once at
 * containerizer_open. Not thread-safe, like the containerizer. */
#ifndef MOSAIC_ISOLATOR_H
#define MOSAIC_ISOLATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define ISO_MAX_DIRS 4

/* A container's cgroup directories, one per hierarchy it joins (v1 has one
 * per controller, v2 one). The strings are owned; rlimits use none. */
typedef struct iso_cgroup {
	char *dirs[ISO_MAX_DIRS];
	unsigned ndirs;
	int mem;     /* index in dirs of the memory controller's directory, -1 none */
	int freezer; /* v1: index of the freezer's directory, -1 none */
	/* v1: the limits its directories hold (limits_set), for reuse */
	bool limits_set;
	double cpus;
	uint64_t mem_bytes;
} iso_cgroup;

/* What the child does between fork and exec, prepared by the parent so
 * the child only makes system calls: write its pid into each join_fds
 * (cgroup.procs opened O_WRONLY|O_CLOEXEC) and set the data rlimit. */
typedef struct iso_child {
	int join_fds[ISO_MAX_DIRS];
	const char *join_dirs[ISO_MAX_DIRS]; /* for error messages; point into iso_cgroup */
	unsigned njoin;
	bool set_data;
	struct rlimit data;
} iso_child;

typedef struct isolator_ops {
	const char *name; /* "cgroup2", "cgroup1", "rlimit" */
	/* open: 0 and *st (freed by close) when usable here under group,
	 * else MOSAIC_ENOTSUP. */
	int (*open)(void **st, const char *group);
	void (*close)(void *st);
	/* prepare the container id: create its cgroups with the limits, fill
	 * cg and ch. On failure nothing is left behind and err says why. */
	int (*prepare)(void *st, const char *id, double cpus, uint64_t mem_bytes, iso_cgroup *cg,
	               iso_child *ch, char *err, size_t errlen);
	/* signal every process still in the container */
	void (*signal)(void *st, const iso_cgroup *cg, int sig);
	/* kill what is left, remove the cgroups, free cg's strings */
	void (*destroy)(void *st, iso_cgroup *cg);
	uint64_t (*memory)(void *st, const iso_cgroup *cg, pid_t pid);
} isolator_ops;

extern const isolator_ops isolator_cgroup2_ops;
extern const isolator_ops isolator_cgroup1_ops;
extern const isolator_ops isolator_rlimit_ops;

/* Helpers shared by both cgroup versions (isolator_cgroup.c). */

/* iso_cg_mount returns the mount point (caller frees) of the first
 * filesystem of type fstype whose options include option (NULL: any), or
 * NULL. */
char *iso_cg_mount(const char *fstype, const char *option);
/* mkdir -p; 0 or an errno */
int iso_cg_mkdirs(const char *path);
/* A container's directory: one mkdir, as its group exists (mkdir -p only
 * when another process removed the group meanwhile). 0 and *fresh true
 * when it is new, so it holds the kernel's defaults; 0 and *fresh false
 * when it was there already; or an errno. */
int iso_cg_mkleaf(const char *path, bool *fresh);
/* write val to dir/file; 0 or an errno */
int iso_cg_write(const char *dir, const char *file, const char *val);
bool iso_cg_read_u64(const char *dir, const char *file, uint64_t *v);
bool iso_cg_exists(const char *dir, const char *file);
/* send sig to every pid in dir/cgroup.procs; returns how many were listed */
unsigned iso_cg_signal(const char *dir, int sig);
/* SIGKILL whatever is in dir until it is empty (bounded), then rmdir it */
void iso_cg_remove(const char *dir);
/* rmdir an empty cgroup: true when it is gone; false when processes are
 * left (EBUSY) or it cannot go, for iso_cg_remove to deal with. */
bool iso_cg_rmdir(const char *dir);
/* no process in dir (its cgroup.procs reads empty); false if unreadable */
bool iso_cg_empty(const char *dir);
/* open dir/cgroup.procs for the child to join; the fd or -errno */
int iso_cg_join_fd(const char *dir);
void iso_cgroup_free(iso_cgroup *cg);
void iso_child_close(iso_child *ch);
/* a per-process sleep of ms milliseconds for the bounded retry loops */
void iso_sleep_ms(unsigned ms);

#endif
