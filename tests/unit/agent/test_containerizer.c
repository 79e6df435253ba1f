/* test_containerizer - real processes under the isolation chosen here
 * (cgroup v1 when run as root on our CI machines), and under rlimits. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "containerizer.h"

static char tmp[PATH_MAX]; /* realpath of the mkdtemp directory */
static char group[64];
static char *env[] = {"PATH=/usr/bin:/bin", "FOO=bar baz", NULL};

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A fresh sandbox directory tmp/name; returns a static path. */
static const char *
sandbox(const char *name)
{
	static char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	mkdir(path, 0777);
	chmod(path, 0777); /* the setuid test writes here as nobody */
	return path;
}

static container_spec
shell(const char *id, const char *box, const char *cmd)
{
	container_spec s = {
	    .id = id, .sandbox = box, .shell = true, .command = cmd, .env = env, .uid = -1, .gid = -1};
	return s;
}

static pid_t
launch(containerizer *c, const container_spec *s)
{
	char err[256] = "";
	pid_t pid = -1;
	int rv = containerizer_launch(c, s, &pid, err, sizeof(err));
	CHECK(rv == 0);
	if (rv != 0)
		fprintf(stderr, "  launch %s: %s: %s\n", s->id, mosaic_strerror(rv), err);
	return rv == 0 ? pid : -1;
}

/* Reap until pid comes back; bounded so a broken kill cannot hang CI. */
static bool
wait_exit(containerizer *c, pid_t pid, container_exit *ex, double secs)
{
	double end = now() + secs;
	while (pid > 0 && now() < end) {
		int rv = containerizer_reap(c, ex);
		if (rv == 0 && ex->pid == pid)
			return true;
		if (rv == MOSAIC_EAGAIN)
			sleep_ms(5);
	}
	fprintf(stderr, "  pid %d did not exit\n", (int)pid);
	return false;
}

static pid_t
run(containerizer *c, const container_spec *s, container_exit *ex)
{
	pid_t pid = launch(c, s);
	CHECK(wait_exit(c, pid, ex, 20));
	return pid;
}

static const char *
slurp(const char *dir, const char *file)
{
	static char buf[4096];
	char path[PATH_MAX + 128];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (f) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static bool
output_is(const char *dir, const char *file, const char *want)
{
	const char *got = slurp(dir, file);
	if (strcmp(got, want) == 0)
		return true;
	fprintf(stderr, "  %s/%s: got '%s', want '%s'\n", dir, file, got, want);
	return false;
}

/* gone, or a zombie nobody reaps: either way no longer running */
static bool
dead(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return true;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *paren = strrchr(buf, ')');
	return paren && (paren[2] == 'Z' || paren[2] == 'X');
}

static bool
wait_dead(pid_t pid, double secs)
{
	double end = now() + secs;
	while (!dead(pid) && now() < end)
		sleep_ms(10);
	return dead(pid);
}

static pid_t
wait_pid_file(const char *dir, const char *file)
{
	double end = now() + 5;
	while (now() < end) {
		const char *s = slurp(dir, file);
		if (strchr(s, '\n'))
			return (pid_t)atoi(s);
		sleep_ms(10);
	}
	return -1;
}

static void
test_basics(containerizer *c)
{
	container_exit ex;
	const char *box = sandbox("basic");
	container_spec s = shell("basic", box, "echo out; echo err >&2");
	run(c, &s, &ex);
	CHECK(ex.exited && ex.exit_code == 0);
	CHECK(output_is(box, "stdout", "out\n"));
	CHECK(output_is(box, "stderr", "err\n"));

	s = shell("exit3", sandbox("exit3"), "exit 3");
	run(c, &s, &ex);
	CHECK(ex.exited && ex.exit_code == 3);

	s = shell("kill9", sandbox("kill9"), "kill -9 $$");
	run(c, &s, &ex);
	CHECK(!ex.exited && ex.term_signal == 9);

	/* the environment is exactly the one given, argv passes through */
	box = sandbox("env");
	s = shell("env", box, NULL);
	s.shell = false;
	s.command = "env"; /* found on the task's PATH */
	run(c, &s, &ex);
	CHECK(ex.exited && ex.exit_code == 0);
	CHECK(output_is(box, "stdout", "PATH=/usr/bin:/bin\nFOO=bar baz\n"));
	char *argv[] = {"echo", "a  b", "c", NULL};
	s.command = "/bin/echo";
	s.argv = argv;
	s.id = "argv";
	s.sandbox = box = sandbox("argv");
	run(c, &s, &ex);
	CHECK(output_is(box, "stdout", "a  b c\n"));

	CHECK(containerizer_signal(c, 999999, SIGTERM) == MOSAIC_ENOENT);
}

static void
test_failures(containerizer *c)
{
	char err[256];
	pid_t pid;
	container_spec s = shell("missing", sandbox("missing"), "/no/such");
	s.shell = false;
	CHECK(containerizer_launch(c, &s, &pid, err, sizeof(err)) == MOSAIC_EIO);
	CHECK(strcmp(err, "exec /no/such: No such file or directory") == 0);
	s.command = "no-such-program-mosaic";
	CHECK(containerizer_launch(c, &s, &pid, err, sizeof(err)) == MOSAIC_EIO);
	CHECK(strcmp(err, "exec no-such-program-mosaic: No such file or directory") == 0);
	if (strcmp(err, "exec no-such-program-mosaic: No such file or directory") != 0)
		fprintf(stderr, "  err: %s\n", err);
	s.sandbox = "/no/such/sandbox";
	CHECK(containerizer_launch(c, &s, &pid, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "/no/such/sandbox") != NULL);
	s = shell("bad/id", sandbox("badid"), "true");
	CHECK(containerizer_launch(c, &s, &pid, err, sizeof(err)) == MOSAIC_EINVAL);
	s = shell("badcpus", sandbox("badcpus"), "true");
	s.cpu_list = "1-0";
	CHECK(containerizer_launch(c, &s, &pid, err, sizeof(err)) == MOSAIC_EINVAL);
	/* a failed launch leaves no child behind to reap */
	container_exit ex;
	CHECK(containerizer_reap(c, &ex) == MOSAIC_EAGAIN);
}

static void
test_cwd_and_paths(containerizer *c)
{
	container_exit ex;
	char want[PATH_MAX + 64], link[PATH_MAX + 64], work[PATH_MAX];
	const char *box = sandbox("cwd");
	container_spec s = shell("cwd", box, "pwd");
	s.cwd = "/no/such/dir";
	run(c, &s, &ex);
	snprintf(want, sizeof(want), "%s\n", box);
	CHECK(output_is(box, "stdout", want));

	snprintf(work, sizeof(work), "%s", sandbox("work"));
	box = sandbox("paths");
	s = shell("paths", box, "pwd; echo oops >&2");
	s.cwd = work;
	s.stdout_path = "task.out"; /* relative to cwd */
	run(c, &s, &ex);
	snprintf(want, sizeof(want), "%s\n", work);
	CHECK(output_is(work, "task.out", want));
	CHECK(output_is(box, "stdout", want)); /* through the link */
	snprintf(want, sizeof(want), "%s/task.out", work);
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/stdout", box);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	CHECK(strcmp(link, want) == 0);
	CHECK(output_is(box, "stderr", "oops\n"));
}

/* An inline script: written into the sandbox (mode 0700), exec'd with its
 * #! interpreter, its arguments after argv[0]; bad ones refused before
 * anything runs. */
static void
test_script(containerizer *c)
{
	container_exit ex;
	char want[PATH_MAX + 256], path[PATH_MAX + 64];
	const char *box = sandbox("script");
	container_spec s = shell("script", box, "job");
	s.shell = true; /* ignored with a script */
	s.script = "#!/bin/bash -e\n"
	           "echo \"0=$0 n=$# 1=$1 2=$2 foo=$FOO bash=${BASH_VERSION:+yes}\"\n"
	           "[ -x \"$0\" ] && echo exec-ok\n"
	           "false\n"
	           "echo not reached\n";
	char *argv[] = {"job-name", "a  b", "c", NULL};
	s.argv = argv;
	run(c, &s, &ex);
	CHECK(ex.exited && ex.exit_code == 1); /* bash -e from the #! line stopped at false */
	snprintf(want, sizeof(want), "0=%s/script n=2 1=a  b 2=c foo=bar baz bash=yes\nexec-ok\n", box);
	CHECK(output_is(box, "stdout", want));
	struct stat st;
	snprintf(path, sizeof(path), "%s/script", box);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0700 && st.st_uid == geteuid());

	/* no argv: {command}; a #! line of the interpreter only */
	box = sandbox("script2");
	s = shell("script2", box, "job");
	s.script = "#!/bin/sh\necho \"n=$#\"\n";
	run(c, &s, &ex);
	CHECK(ex.exited && ex.exit_code == 0 && output_is(box, "stdout", "n=0\n"));

	char err[256];
	pid_t pid;
	s = shell("noshebang", sandbox("noshebang"), "job");
	s.script = "echo hi\n";
	CHECK(containerizer_launch(c, &s, &pid, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "#!") != NULL);
	s.script = "#!/no/such/interpreter\necho hi\n";
	CHECK(containerizer_launch(c, &s, &pid, err, sizeof(err)) == MOSAIC_EIO);
	CHECK(strstr(err, "(#!/no/such/interpreter): No such file or directory") != NULL);
	if (!strstr(err, "(#!/no/such/interpreter)"))
		fprintf(stderr, "  err: %s\n", err);
	char *big = malloc(CONTAINER_SCRIPT_MAX + 2);
	memset(big, '#', CONTAINER_SCRIPT_MAX + 1);
	big[1] = '!';
	big[CONTAINER_SCRIPT_MAX + 1] = '\0';
	s = shell("bigscript", box = sandbox("bigscript"), "job");
	s.script = big;
	CHECK(containerizer_launch(c, &s, &pid, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "over the limit") != NULL);
	snprintf(path, sizeof(path), "%s/script", box);
	CHECK(access(path, F_OK) != 0); /* refused before anything was written */
	/* at the limit it runs (a comment of 1 MiB) */
	memcpy(big, "#!/bin/sh\n", 10);
	big[CONTAINER_SCRIPT_MAX - 1] = '\n';
	big[CONTAINER_SCRIPT_MAX] = '\0';
	s.id = "bigscript2";
	s.sandbox = box = sandbox("bigscript2");
	run(c, &s, &ex);
	CHECK(ex.exited && ex.exit_code == 0);
	free(big);
	CHECK(containerizer_reap(c, &ex) == MOSAIC_EAGAIN);
}

/* Tasks with the same script and user share one cached file, linked into
 * each sandbox; one rewritten in place is not shared again. */
static const char cache_script[] = "#!/bin/sh\necho \"run $1\"\n"
                                   "[ \"$1\" = edit ] && echo 'echo edited' >> \"$0\"\nexit 0\n";

/* The script of a run of cache_script with argument arg, its output checked. */
static void
run_cached(containerizer *c, const char *id, char *arg, struct stat *st)
{
	container_exit ex;
	char want[64], path[PATH_MAX + 64];
	char *argv[] = {"job", arg, NULL};
	const char *box = sandbox(id);
	container_spec s = shell(id, box, "job");
	s.script = cache_script;
	s.argv = argv;
	run(c, &s, &ex);
	snprintf(want, sizeof(want), "run %s\n", arg);
	CHECK(ex.exited && ex.exit_code == 0 && output_is(box, "stdout", want));
	snprintf(path, sizeof(path), "%s/script", box);
	CHECK(stat(path, st) == 0);
}

static void
test_script_cache(containerizer *c)
{
	struct stat s1, s2, s3;
	run_cached(c, "cache1", "one", &s1);
	run_cached(c, "cache2", "edit", &s2);
	CHECK(s1.st_ino == s2.st_ino && s2.st_nlink >= 3 && (s1.st_mode & 07777) == 0700);
	/* cache2 appended to the shared file; the next gets the text it asked for */
	run_cached(c, "cache3", "three", &s3);
	CHECK(s3.st_ino != s1.st_ino && s3.st_size == (off_t)strlen(cache_script));
}

/* Output to a device: no link to it in the sandbox. */
static void
test_devnull(containerizer *c)
{
	container_exit ex;
	char path[PATH_MAX + 64];
	struct stat st;
	const char *box = sandbox("devnull");
	container_spec s = shell("devnull", box, "echo out; echo err >&2");
	s.stdout_path = "/dev/null";
	s.stderr_path = "/dev/null";
	run(c, &s, &ex);
	CHECK(ex.exited && ex.exit_code == 0);
	snprintf(path, sizeof(path), "%s/stdout", box);
	CHECK(lstat(path, &st) != 0 && errno == ENOENT);
	snprintf(path, sizeof(path), "%s/stderr", box);
	CHECK(lstat(path, &st) != 0 && errno == ENOENT);
}

static void
test_binding(containerizer *c)
{
	container_exit ex;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char *box = sandbox("cpu0");
	container_spec s = shell("cpu0", box, "grep Cpus_allowed_list /proc/self/status");
	s.cpu_list = "0";
	run(c, &s, &ex);
	CHECK(output_is(box, "stdout", "Cpus_allowed_list:\t0\n"));
	if (ncpu > 1) {
		s.id = "cpu1";
		s.sandbox = box = sandbox("cpu1");
		s.cpu_list = "1";
		run(c, &s, &ex);
		CHECK(output_is(box, "stdout", "Cpus_allowed_list:\t1\n"));
	}
	/* node 0 exists on any Linux machine; node 63 is a synthetic one */
	s = shell("numa0", box = sandbox("numa0"),
	          "grep -c bind:0 /proc/self/numa_maps >/dev/null && echo bound");
	s.mem_nodes = "0";
	run(c, &s, &ex);
	CHECK(output_is(box, "stdout", "bound\n"));
	s = shell("numa63", box = sandbox("numa63"), "grep -c bind /proc/self/numa_maps");
	s.mem_nodes = "63";
	run(c, &s, &ex);
	CHECK(ex.exited && ex.exit_code == 1 && output_is(box, "stdout", "0\n"));
}

static void
test_kill(containerizer *c, const char *name)
{
	container_exit ex;
	char id[64];
	/* the group: the shell's background child dies with it */
	snprintf(id, sizeof(id), "group-%s", name);
	const char *box = sandbox(id);
	container_spec s = shell(id, box, "sleep 100 & echo $! > bg.pid; sleep 100");
	pid_t pid = launch(c, &s);
	pid_t bg = wait_pid_file(box, "bg.pid");
	CHECK(bg > 0);
	CHECK(!dead(bg));
	CHECK_OK(containerizer_signal(c, pid, SIGKILL));
	CHECK(wait_exit(c, pid, &ex, 5));
	CHECK(!ex.exited && ex.term_signal == SIGKILL);
	CHECK(bg > 0 && wait_dead(bg, 5));

	/* leftovers of a task that exits are killed at reap */
	snprintf(id, sizeof(id), "leftover-%s", name);
	box = sandbox(id);
	s = shell(id, box, "sleep 100 & echo $! > bg.pid; exit 0");
	pid = launch(c, &s);
	CHECK(wait_exit(c, pid, &ex, 5));
	CHECK(ex.exited && ex.exit_code == 0);
	bg = (pid_t)atoi(slurp(box, "bg.pid"));
	CHECK(bg > 0 && wait_dead(bg, 5));
}

static void
test_memory(containerizer *c, const char *name)
{
	container_exit ex;
	char id[64];
	snprintf(id, sizeof(id), "mem-%s", name);
	container_spec s = shell(id, sandbox(id), "head -c 200M /dev/zero | tail");
	s.mem_bytes = 50 << 20;
	run(c, &s, &ex);
	CHECK(!(ex.exited && ex.exit_code == 0)); /* killed, or tail failed */
	/* the same without a limit succeeds: the limit is what stopped it */
	snprintf(id, sizeof(id), "nomem-%s", name);
	s = shell(id, sandbox(id), "head -c 200M /dev/zero | tail");
	run(c, &s, &ex);
	CHECK(ex.exited && ex.exit_code == 0);
}

/* cgroup v1 specifics: the task sits in its leaf, the limits are written,
 * the leaf goes at reap. */
static const char *
path_of(pid_t pid, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/%d", (int)pid);
	return buf;
}

static void
test_cgroup1(containerizer *c)
{
	char dir[256], path[512];
	container_exit ex;
	container_spec s = shell("cg1", sandbox("cg1"), "head -c 30M /dev/zero | tail; sleep 100");
	s.cpus = 0.5;
	s.mem_bytes = 100 << 20;
	pid_t pid = launch(c, &s);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/cpu/%s/cg1", group);
	CHECK(strcmp(slurp(dir, "cpu.cfs_quota_us"), "50000\n") == 0);
	CHECK(strcmp(slurp(dir, "cpu.shares"), "512\n") == 0);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory/%s/cg1", group);
	CHECK(strcmp(slurp(dir, "memory.limit_in_bytes"), "104857600\n") == 0);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	snprintf(dir, sizeof(dir), "memory:/%s/cg1\n", group);
	CHECK(strstr(slurp(path, "cgroup"), dir) != NULL);
	/* peak use shows the 30 MB tail held, within the deadline */
	double end = now() + 10;
	while (containerizer_memory(c, pid) < (30u << 20) && now() < end)
		sleep_ms(20);
	CHECK(containerizer_memory(c, pid) >= (30u << 20));
	CHECK_OK(containerizer_signal(c, pid, SIGKILL));
	CHECK(wait_exit(c, pid, &ex, 5));
	/* The next container gets cg1's directories, renamed, with its own
	 * limits and a peak of its own (not cg1's 30 MB). */
	container_spec s2 = shell("cg2", sandbox("cg2"), "sleep 100");
	s2.cpus = 0.25;
	s2.mem_bytes = 50 << 20;
	pid = launch(c, &s2);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory/%s/cg1", group);
	CHECK(access(dir, F_OK) != 0);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/cpu/%s/cg1", group);
	CHECK(access(dir, F_OK) != 0);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/cpu/%s/cg2", group);
	CHECK(strcmp(slurp(dir, "cpu.cfs_quota_us"), "25000\n") == 0);
	CHECK(strcmp(slurp(dir, "cpu.shares"), "256\n") == 0);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory/%s/cg2", group);
	CHECK(strcmp(slurp(dir, "memory.limit_in_bytes"), "52428800\n") == 0);
	snprintf(dir, sizeof(dir), "memory:/%s/cg2\n", group);
	CHECK(strstr(slurp(path_of(pid, path, sizeof(path)), "cgroup"), dir) != NULL);
	CHECK(containerizer_memory(c, pid) < (20u << 20));
	CHECK_OK(containerizer_signal(c, pid, SIGKILL));
	CHECK(wait_exit(c, pid, &ex, 5));
	/* Kept empty for the next one; removed when the containerizer
	 * closes (checked at the end). */
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/cpu/%s/cg2", group);
	CHECK(access(dir, F_OK) == 0 && strcmp(slurp(dir, "cgroup.procs"), "") == 0);
	/* A container that leaves page cache charged (8 MB written) is not
	 * reused: the next one's peak is its own. */
	container_spec s3 = shell("cg3", sandbox("cg3"), "head -c 8M /dev/zero > fill");
	s3.mem_bytes = 100 << 20;
	run(c, &s3, &ex);
	CHECK(ex.exited && ex.exit_code == 0);
	container_spec s4 = shell("cg4", sandbox("cg4"), "sleep 100");
	s4.mem_bytes = 100 << 20;
	pid = launch(c, &s4);
	CHECK(containerizer_memory(c, pid) < (4u << 20));
	CHECK_OK(containerizer_signal(c, pid, SIGKILL));
	CHECK(wait_exit(c, pid, &ex, 5));
}

static void
test_rlimit(void)
{
	containerizer *c = NULL;
	container_exit ex;
	CHECK(containerizer_open_with(&c, group, "bogus") == MOSAIC_EINVAL);
	CHECK_OK(containerizer_open_with(&c, group, "rlimit"));
	if (!c)
		return;
	CHECK(strcmp(containerizer_isolation(c), "rlimit") == 0);
	const char *box = sandbox("ulimit");
	container_spec s = shell("ulimit", box, "ulimit -d");
	s.mem_bytes = 64 << 20;
	run(c, &s, &ex);
	CHECK(output_is(box, "stdout", "65536\n")); /* KiB */
	test_memory(c, "rlimit");
	test_kill(c, "rlimit");
	CHECK(containerizer_reap(c, &ex) == MOSAIC_EAGAIN);
	containerizer_close(c);
}

static void
test_user(containerizer *c)
{
	container_exit ex;
	const char *box = sandbox("user");
	container_spec s = shell("user", box, "id -u; id -g; id -G");
	s.uid = 65534;
	s.gid = 65534;
	run(c, &s, &ex);
	CHECK(output_is(box, "stdout", "65534\n65534\n65534\n"));
	/* gid from the user's entry; the daemon's supplementary groups (given
	 * one here) do not follow the task */
	gid_t mine[64], extra = 4;
	int n = getgroups(64, mine);
	CHECK(n >= 0 && setgroups(1, &extra) == 0);
	s = shell("user2", box = sandbox("user2"), "id -u; id -G");
	s.uid = 65534;
	run(c, &s, &ex);
	CHECK(output_is(box, "stdout", "65534\n65534\n"));
	CHECK(setgroups(n > 0 ? (size_t)n : 0, mine) == 0);

	/* a script as nobody: nobody's file, which nobody may run (0700) */
	s = shell("user3", box = sandbox("user3"), "job");
	s.script = "#!/bin/sh\nid -u\n";
	s.uid = 65534;
	run(c, &s, &ex);
	CHECK(ex.exited && ex.exit_code == 0);
	CHECK(output_is(box, "stdout", "65534\n"));
	char path[PATH_MAX + 64];
	struct stat st;
	snprintf(path, sizeof(path), "%s/script", box);
	CHECK(stat(path, &st) == 0 && st.st_uid == 65534 && (st.st_mode & 07777) == 0700);
}

/* A sandbox on a noexec file system: the script cannot be exec'd, so its
 * #! interpreter runs it, as the kernel would have. Root only: a private
 * mount namespace keeps the tmpfs to this process. */
static void
test_noexec(containerizer *c)
{
	char dir[PATH_MAX + 64];
	snprintf(dir, sizeof(dir), "%s/noexec", tmp);
	mkdir(dir, 0755);
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", dir, "tmpfs", MS_NOEXEC, "size=4m") != 0) {
		printf("skipped: noexec sandbox (%s)\n", strerror(errno));
		return;
	}
	container_exit ex;
	char box[PATH_MAX + 128];
	snprintf(box, sizeof(box), "%s/box", dir);
	mkdir(box, 0755);
	container_spec s = shell("noexec", box, "job");
	s.script = "#!/bin/sh -e\necho \"$0 $1\"\n";
	char *argv[] = {"job", "arg1", NULL};
	s.argv = argv;
	run(c, &s, &ex);
	CHECK(ex.exited && ex.exit_code == 0);
	char want[PATH_MAX + 256];
	snprintf(want, sizeof(want), "%s/script arg1\n", box);
	CHECK(output_is(box, "stdout", want));
	umount2(dir, MNT_DETACH);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
main(void)
{
	char templ[] = "/tmp/mosaic-ctest-XXXXXX";
	if (!mkdtemp(templ) || !realpath(templ, tmp)) {
		perror("mkdtemp");
		return 1;
	}
	chmod(tmp, 0755);
	snprintf(group, sizeof(group), "mosaic-test/%d", (int)getpid());

	containerizer *c = NULL;
	CHECK_OK(containerizer_open(&c, group));
	if (!c)
		return check_done();
	const char *iso = containerizer_isolation(c);
	printf("isolation: %s\n", iso);
	/* as root with a writable v1 memory hierarchy, cgroups must be used */
	if (geteuid() == 0 && access("/sys/fs/cgroup/memory/memory.limit_in_bytes", W_OK) == 0)
		CHECK(strcmp(iso, "rlimit") != 0);

	/* scripts cached as the executor has them, for every test below */
	char scripts[PATH_MAX + 64];
	snprintf(scripts, sizeof(scripts), "%s/scripts", tmp);
	CHECK_OK(containerizer_cache_scripts(c, scripts));
	test_basics(c);
	test_failures(c);
	test_cwd_and_paths(c);
	test_script(c);
	test_script_cache(c);
	test_devnull(c);
	test_binding(c);
	test_kill(c, iso);
	test_memory(c, iso);
	if (strcmp(iso, "cgroup1") == 0)
		test_cgroup1(c);
	else
		printf("skipped: cgroup v1 checks (isolation is %s)\n", iso);
	if (geteuid() == 0) {
		test_user(c);
		test_noexec(c);
	} else {
		printf("skipped: setuid and noexec sandbox (not root)\n");
	}
	container_exit ex;
	CHECK(containerizer_reap(c, &ex) == MOSAIC_EAGAIN); /* nothing left */
	containerizer_close(c);
	CHECK(access(scripts, F_OK) != 0); /* the cache goes with it */
	test_rlimit();

	/* the group is gone with its last container */
	char dir[256];
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory/%s", group);
	if (strcmp(iso, "cgroup1") == 0)
		CHECK(access(dir, F_OK) != 0);
	rmdir("/sys/fs/cgroup/memory/mosaic-test");
	rmdir("/sys/fs/cgroup/cpu/mosaic-test");
	rmdir("/sys/fs/cgroup/freezer/mosaic-test");
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return check_done();
}
