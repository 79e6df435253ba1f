#include "cli_proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

extern char **environ;

int
cli_proc_spawn(pid_t *pid, char *const *argv, const char *log_path, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	/* A session of its own: no terminal signals, and it outlives us. The
	 * signal mask is reset too, in case the caller blocked some. */
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
	int rv = posix_spawn(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rv != 0) {
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(rv));
		return MOSAIC_EIO;
	}
	return MOSAIC_OK;
}

int
cli_proc_write_pidfile(const char *path, pid_t pid)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return MOSAIC_EIO;
	fprintf(f, "%d\n", (int)pid);
	return fclose(f) == 0 ? MOSAIC_OK : MOSAIC_EIO;
}

int
cli_proc_read_pidfile(const char *path, pid_t *pid)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? MOSAIC_ENOENT : MOSAIC_EIO;
	long v = 0;
	int ok = fscanf(f, "%ld", &v) == 1 && v > 1 && v < 1L << 30;
	fclose(f);
	if (!ok)
		return MOSAIC_EINVAL;
	*pid = (pid_t)v;
	return MOSAIC_OK;
}

/* /proc/<pid>/stat after the command name (which may hold spaces and
 * parentheses): "S ppid pgrp session ...". */
static int
read_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgid, pid_t *sid, unsigned long long *start, char *comm,
          size_t commlen)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *open_paren = strchr(buf, '(');
	char *close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -1;
	if (comm)
		snprintf(comm, commlen, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	int p, g, s;
	unsigned long long st = 0;
	/* Fields 3.. : state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice threads
	 * itrealvalue starttime */
	if (sscanf(close_paren + 2,
	           "%c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", state, &p,
	           &g, &s, &st) != 5)
		return -1;
	*ppid = p;
	*pgid = g;
	*sid = s;
	*start = st;
	return 0;
}

bool
cli_proc_alive(pid_t pid)
{
	char state;
	pid_t a, b, c;
	unsigned long long st;
	if (pid <= 0 || read_stat(pid, &state, &a, &b, &c, &st, NULL, 0) != 0)
		return false;
	return state != 'Z' && state != 'X';
}

unsigned long long
cli_proc_start(pid_t pid)
{
	char state;
	pid_t a, b, c;
	unsigned long long st;
	if (read_stat(pid, &state, &a, &b, &c, &st, NULL, 0) != 0 || state == 'Z' || state == 'X')
		return 0;
	return st;
}

/* argv[0] and whether the whole command line contains needle. */
static void
read_cmdline(pid_t pid, char *exe0, size_t len, const char *needle, bool *has)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	exe0[0] = '\0';
	*has = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	size_t first = strnlen(buf, len - 1);
	memcpy(exe0, buf, first);
	exe0[first] = '\0';
	if (!needle || !*needle)
		return;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	*has = strstr(buf, needle) != NULL;
}

bool
cli_proc_is(pid_t pid, const char *name)
{
	char exe0[256];
	bool has;
	read_cmdline(pid, exe0, sizeof(exe0), NULL, &has);
	const char *base = strrchr(exe0, '/');
	base = base ? base + 1 : exe0;
	return strcmp(base, name) == 0;
}

int
cli_proc_snapshot(cli_proc_info **out, size_t *n, const char *dir)
{
	DIR *d = opendir("/proc");
	if (!d)
		return MOSAIC_EIO;
	size_t cap = 256, k = 0;
	cli_proc_info *v = xcalloc(cap, sizeof(*v));
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		cli_proc_info p;
		memset(&p, 0, sizeof(p));
		char state;
		p.pid = (pid_t)pid;
		if (read_stat(p.pid, &state, &p.ppid, &p.pgid, &p.sid, &p.start, p.comm, sizeof(p.comm)) !=
		        0 ||
		    state == 'Z' || state == 'X')
			continue;
		read_cmdline(p.pid, p.exe0, sizeof(p.exe0), dir, &p.cmdline_has_dir);
		char path[64];
		snprintf(path, sizeof(path), "/proc/%ld/cwd", pid);
		ssize_t m = readlink(path, p.cwd, sizeof(p.cwd) - 1);
		p.cwd[m > 0 ? m : 0] = '\0';
		if (k == cap) {
			cap *= 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[k++] = p;
	}
	closedir(d);
	*out = v;
	*n = k;
	return MOSAIC_OK;
}
