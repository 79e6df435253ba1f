/* containerizer.h - starting, limiting, signalling and reaping task
 * processes. Used by mosaic-executor (which spawns every task of its
 * framework directly) and by the agent (which spawns executors).
 *
 * Isolation is chosen once at open, as a small ops table: cgroup v2 where
 * its cpu and memory controllers are available, cgroup v1 where its memory
 * and cpu hierarchies are writable (as on this machine as root), otherwise
 * rlimits. The child is started with fork+exec and nothing but raw system
 * calls in between (nng is not fork-safe): it makes its own process group,
 * joins its cgroup, sets rlimits, CPU affinity and memory policy, drops to
 * the task's user, changes directory, redirects stdout/stderr and execs. An
 * exec failure is reported back to the parent through a close-on-exec pipe,
 * so containerizer_launch fails with the reason ("sh: not found").
 *
 * Not thread-safe; one per process. */
#ifndef MOSAIC_CONTAINERIZER_H
#define MOSAIC_CONTAINERIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct containerizer containerizer;

typedef struct container_spec {
	const char *id;          /* unique name of the container (cgroup leaf), e.g. "fw.task.run" */
	const char *sandbox;     /* existing directory; stdout and stderr files go here */
	const char *cwd;         /* working directory (relative: to sandbox); NULL or missing -> sandbox */
	bool shell;              /* run command with /bin/sh -c */
	const char *command;     /* shell command, or the program when !shell */
	char *const *argv;       /* argv when !shell (NULL-terminated); NULL -> {command} */
	char *const *env;        /* "NAME=VALUE" entries, NULL-terminated; the whole environment (NULL: empty) */
	const char *stdout_path; /* NULL: <sandbox>/stdout; else this file, and <sandbox>/stdout links to it */
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
/* containerizer_close frees the table only: running containers and their
 * cgroups stay (executors outlive an agent restart). */
void containerizer_close(containerizer *c);
/* "cgroup2", "cgroup1" or "rlimit". */
const char *containerizer_isolation(const containerizer *c);

/* containerizer_launch starts the process; on success *pid is its pid and
 * process group id. On failure returns MOSAIC_EIO (or MOSAIC_EINVAL) and a
 * message in err saying what failed (cgroup set-up, chdir, exec ...). */
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

/* Peak or current memory use of a live container in bytes (0 if unknown). */
uint64_t containerizer_memory(containerizer *c, pid_t pid);

#endif
