/* containerizer.h - starting, limiting, signalling and reaping task
 * processes. Used by mosaic-executor (which spawns every task of its
 * framework directly) and by the agent (which spawns executors).
 *
 * Isolation is chosen once at open, as a small ops table: cgroup v2 where
 * its cpu and memory controllers are available, cgroup v1 where its memory
 * and cpu hierarchies are writable (as on this machine as root), otherwise
 * rlimits. The child is started vfork-style (clone with CLONE_VM and
 * CLONE_VFORK on a stack of its own: no copy of the parent's page tables,
 * and the parent waits until the child has exec'd or died) with nothing but
 * raw system calls before exec (nng is not fork-safe, and the memory is the
 * parent's): it makes its own process group, joins its cgroup, sets
 * rlimits, CPU affinity and memory policy, drops to the task's user,
 * changes directory, redirects stdout/stderr and execs. A failure there is
 * written into the parent's memory before the child exits, so
 * containerizer_launch fails with the reason ("exec sh: not found").
 *
 * Not thread-safe; one per process. */
#ifndef MOSAIC_CONTAINERIZER_H
#define MOSAIC_CONTAINERIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The largest inline script (container_spec.script, CommandInfo.script). */
#define CONTAINER_SCRIPT_MAX (1u << 20)
/* Its name in the sandbox. */
#define CONTAINER_SCRIPT_NAME "script"

typedef struct containerizer containerizer;

typedef struct container_spec {
	const char *id;          /* unique name of the container (cgroup leaf), e.g. "fw.task.run" */
	const char *sandbox;     /* existing directory; stdout and stderr files go here */
	const char *cwd;         /* working directory (relative: to sandbox); NULL or missing -> sandbox */
	bool shell;              /* run command with /bin/sh -c (ignored with a script) */
	const char *command;     /* shell command, or the program when !shell; with a script its name */
	char *const *argv;       /* argv when !shell (NULL-terminated); NULL -> {command} */
	/* An inline script (NUL-terminated, at most CONTAINER_SCRIPT_MAX bytes,
	 * starting with "#!"): written to <sandbox>/script, owned by uid/gid
	 * with mode 0700, before the child starts, and executed directly with
	 * argv as above (the kernel runs its #! interpreter). NULL: none. */
	const char *script;
	char *const *env;        /* "NAME=VALUE" entries, NULL-terminated; the whole environment (NULL: empty) */
	const char *stdout_path; /* NULL: <sandbox>/stdout; else this file, and <sandbox>/stdout links to
	                          * it (not when it is a device such as /dev/null) */
	const char *stderr_path; /* likewise for stderr */
	double cpus;             /* cpu limit (shares/quota); 0 = none */
	uint64_t mem_bytes;      /* memory limit; 0 = none */
	const char *cpu_list;    /* OS CPUs to bind to ("0-3"), NULL = no binding */
	const char *mem_nodes;   /* NUMA nodes to bind memory to, NULL = none */
	int uid;                 /* -1: keep */
	int gid;                 /* -1: keep */
} container_spec;

typedef struct container_exit {
	pid_t pid;
	bool exited;      /* true: exit_code valid; false: term_signal valid */
	int exit_code;
	int term_signal;
} container_exit;

/* containerizer_open chooses the isolation. group names this process's
 * subtree ("mosaic/<agent-name>"), so several agents on one machine keep
 * apart. Never fails for lack of cgroups (falls back to rlimits); the caller
 * owns *out. */
int containerizer_open(containerizer **out, const char *group);
/* containerizer_open_with forces one isolation ("cgroup2", "cgroup1",
 * "rlimit"; NULL chooses as containerizer_open): MOSAIC_ENOTSUP when it is
 * not usable here, MOSAIC_EINVAL for an unknown name. For tests and an
 * agent's --isolation flag. */
int containerizer_open_with(containerizer **out, const char *group, const char *isolation);
/* containerizer_cache_scripts keeps inline scripts in dir (emptied first,
 * removed at close) and hard-links them into the sandboxes of tasks with
 * the same script and user, instead of writing each; NULL stops that.
 * MOSAIC_EIO when dir cannot be made. */
int containerizer_cache_scripts(containerizer *c, const char *dir);
/* containerizer_close frees the table only: running containers and their
 * cgroups stay (executors outlive an agent restart). */
void containerizer_close(containerizer *c);
/* "cgroup2", "cgroup1" or "rlimit". */
const char *containerizer_isolation(const containerizer *c);

/* containerizer_launch starts the process; on success *pid is its pid and
 * process group id, already exec'd. On failure returns MOSAIC_EIO (or
 * MOSAIC_EINVAL for a bad spec or script) and a message in err saying what
 * failed (cgroup set-up, writing the script, chdir, exec ...). Blocks for
 * the child's set-up, until its exec. */
int containerizer_launch(containerizer *c, const container_spec *spec, pid_t *pid, char *err, size_t errlen);

/* Send sig to the whole process group of pid (and, with cgroups, to every
 * process left in the container). */
int containerizer_signal(containerizer *c, pid_t pid, int sig);

/* containerizer_reap collects one exited child without blocking: 0 and *out
 * filled, or MOSAIC_EAGAIN when none has exited. It removes the container's
 * cgroup after killing anything left in it (and in its process group). It
 * reaps any child of the process (waitpid(-1)); one not started by
 * containerizer_launch is reported too, with nothing to clean up. */
int containerizer_reap(containerizer *c, container_exit *out);

/* What the containerizer knows of a user: looked up through NSS and kept
 * for CONTAINER_USER_TTL seconds, so a stream of one user's tasks does not
 * read the passwd and group databases for each (a change to them reaches
 * new tasks within that time). */
#define CONTAINER_USER_TTL 10.0

typedef struct container_user {
	const char *name; /* the strings stay valid until the next containerizer call */
	const char *home;
	gid_t gid; /* primary group */
} container_user;

/* containerizer_user fills *out for uid: 0, or MOSAIC_ENOENT for a uid the
 * user database does not know. */
int containerizer_user(containerizer *c, uid_t uid, container_user *out);

/* Peak or current memory use of a live container in bytes (0 if unknown). */
uint64_t containerizer_memory(containerizer *c, pid_t pid);

#endif
