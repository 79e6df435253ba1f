/* cli_proc.h - processes for `mosaic cluster`: starting daemons in their
 * own session, pid files, and a snapshot of /proc to find everything a
 * cluster left running. Linux only. */
#ifndef MOSAIC_CLI_PROC_H
#define MOSAIC_CLI_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* cli_proc_spawn starts argv[0] (a path) with posix_spawn in a new session
 * (POSIX_SPAWN_SETSID): stdin /dev/null, stdout and stderr appended to
 * log_path. MOSAIC_EIO with the reason in err. */
int cli_proc_spawn(pid_t *pid, char *const *argv, const char *log_path, char *err, size_t errlen);

/* Pid files hold the decimal pid and a newline. */
int cli_proc_write_pidfile(const char *path, pid_t pid);
/* cli_proc_read_pidfile: MOSAIC_ENOENT when absent, MOSAIC_EINVAL when unreadable. */
int cli_proc_read_pidfile(const char *path, pid_t *pid);

/* A process exists and is not a zombie. */
bool cli_proc_alive(pid_t pid);
/* The process's argv[0] ends in /name or is name (e.g. "mosaic-agent"). */
bool cli_proc_is(pid_t pid, const char *name);

typedef struct cli_proc_info {
	pid_t pid, ppid, pgid, sid;
	unsigned long long start; /* start time in clock ticks since boot: tells a reused pid */
	char comm[32];
	char exe0[256];       /* argv[0] */
	char cwd[512];        /* "" when unreadable */
	bool cmdline_has_dir; /* the command line names the cluster directory */
} cli_proc_info;

/* cli_proc_snapshot lists every process but zombies; dir (may be NULL) is
 * looked for in command lines. The caller frees *out. */
int cli_proc_snapshot(cli_proc_info **out, size_t *n, const char *dir);
/* The start time of a live process, 0 if gone. */
unsigned long long cli_proc_start(pid_t pid);

#endif
