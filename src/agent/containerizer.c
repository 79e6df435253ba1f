/* containerizer.c - fork+exec of tasks into their isolation, signalling,
 * reaping.
 *
 * The parent process runs nng threads, which are not fork-safe, so the
 * child between fork and exec makes system calls only: everything that
 * allocates or parses (argv, paths, cpu masks, groups, cgroup fds) is
 * prepared in a child_plan before fork. */
#include "containerizer.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "isolator.h"
#include "mem.h"
#include "topology.h"

#define MPOL_BIND_ 2   /* <numaif.h> is libnuma's; the value is the kernel ABI */
#define NODE_BITS 1024 /* NUMA nodes a mem_nodes list may name */
#define MAX_GROUPS 256 /* supplementary groups kept for a task's user */
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

typedef struct entry {
	pid_t pid;
	char *id;
	iso_cgroup cg;
} entry;

struct containerizer {
	const isolator_ops *ops;
	void *iso;
	entry *entries;
	unsigned n, cap;
};

/* Steps of the child's set-up, reported through the error pipe. */
enum step {
	ST_SETPGID,
	ST_CGROUP,
	ST_RLIMIT,
	ST_AFFINITY,
	ST_MEMPOLICY,
	ST_GROUPS,
	ST_SETGID,
	ST_SETUID,
	ST_CHDIR,
	ST_STDIN,
	ST_STDOUT,
	ST_STDERR,
	ST_EXEC
};

typedef struct report {
	int step, err, index;
} report;

typedef struct child_plan {
	const char *path; /* for execve */
	char **argv;
	char *const *envp;
	const char *cwd; /* NULL: sandbox */
	const char *sandbox;
	char *out_path, *err_path; /* absolute */
	bool affinity;
	cpu_set_t cpus;
	bool membind;
	unsigned long nodes[NODE_BITS / (8 * sizeof(unsigned long))];
	int uid, gid;
	gid_t groups[MAX_GROUPS];
	int ngroups;
	iso_child iso;
	int errfd;
} child_plan;

static const isolator_ops *const all_ops[] = {&isolator_cgroup2_ops, &isolator_cgroup1_ops,
                                              &isolator_rlimit_ops};

int
containerizer_open_with(containerizer **out, const char *group, const char *isolation)
{
	bool known = isolation == NULL;
	if (!group || !*group)
		group = "mosaic";
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++) {
		void *st = NULL;
		if (isolation && strcmp(isolation, all_ops[i]->name) != 0)
			continue;
		known = true;
		if (all_ops[i]->open(&st, group) != 0)
			continue;
		containerizer *c = xcalloc(1, sizeof(*c));
		c->ops = all_ops[i];
		c->iso = st;
		*out = c;
		return MOSAIC_OK;
	}
	return known ? MOSAIC_ENOTSUP : MOSAIC_EINVAL;
}

int
containerizer_open(containerizer **out, const char *group)
{
	return containerizer_open_with(out, group, NULL);
}

void
containerizer_close(containerizer *c)
{
	if (!c)
		return;
	/* running containers are left alone: executors outlive an agent */
	for (unsigned i = 0; i < c->n; i++) {
		free(c->entries[i].id);
		iso_cgroup_free(&c->entries[i].cg);
	}
	free(c->entries);
	c->ops->close(c->iso);
	free(c);
}

const char *
containerizer_isolation(const containerizer *c)
{
	return c->ops->name;
}

static entry *
find(containerizer *c, pid_t pid)
{
	for (unsigned i = 0; i < c->n; i++)
		if (c->entries[i].pid == pid)
			return &c->entries[i];
	return NULL;
}

/* ---- the child: system calls only from here to execve ---- */

static _Noreturn void
fail(const child_plan *p, int step, int index)
{
	report r = {.step = step, .err = errno, .index = index};
	ssize_t n = write(p->errfd, &r, sizeof(r));
	(void)n;
	_exit(127);
}

static int
open_onto(const char *path, int flags, int target)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	/* dup2 clears close-on-exec on the target */
	if (fd != target && dup2(fd, target) < 0)
		return -1;
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	close(fd);
	return 0;
}

static _Noreturn void
child_run(const child_plan *p)
{
	struct sigaction dfl;
	sigset_t none;
	/* ignored signals survive exec; the task starts with defaults and
	 * nothing blocked, whatever the daemon did */
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (setpgid(0, 0) != 0)
		fail(p, ST_SETPGID, 0);
	char digits[16], *d = digits + sizeof(digits);
	for (unsigned v = (unsigned)getpid(); d == digits + sizeof(digits) || v; v /= 10)
		*--d = (char)('0' + v % 10);
	size_t dlen = (size_t)(digits + sizeof(digits) - d);
	for (unsigned i = 0; i < p->iso.njoin; i++)
		if (write(p->iso.join_fds[i], d, dlen) != (ssize_t)dlen)
			fail(p, ST_CGROUP, (int)i);
	if (p->iso.set_data && setrlimit(RLIMIT_DATA, &p->iso.data) != 0)
		fail(p, ST_RLIMIT, 0);
	if (p->affinity && syscall(SYS_sched_setaffinity, 0, sizeof(p->cpus), &p->cpus) != 0)
		fail(p, ST_AFFINITY, 0);
	if (p->membind && syscall(SYS_set_mempolicy, MPOL_BIND_, p->nodes, NODE_BITS + 1) != 0)
		fail(p, ST_MEMPOLICY, 0);
	/* raw calls: in the child they change the one thread there is, with
	 * none of glibc's all-threads broadcast */
	if ((p->uid >= 0 || p->gid >= 0) && syscall(SYS_setgroups, p->ngroups, p->groups) != 0)
		fail(p, ST_GROUPS, 0);
	if (p->gid >= 0 && syscall(SYS_setgid, p->gid) != 0)
		fail(p, ST_SETGID, 0);
	if (p->uid >= 0 && syscall(SYS_setuid, p->uid) != 0)
		fail(p, ST_SETUID, 0);
	if ((!p->cwd || chdir(p->cwd) != 0) && chdir(p->sandbox) != 0)
		fail(p, ST_CHDIR, 0);
	if (open_onto("/dev/null", O_RDONLY, 0) != 0)
		fail(p, ST_STDIN, 0);
	if (open_onto(p->out_path, O_WRONLY | O_CREAT | O_APPEND, 1) != 0)
		fail(p, ST_STDOUT, 0);
	if (open_onto(p->err_path, O_WRONLY | O_CREAT | O_APPEND, 2) != 0)
		fail(p, ST_STDERR, 0);
	/* descriptors the daemon forgot to mark stay out of the task (5.11+;
	 * older kernels say ENOSYS and the task inherits them) */
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(p->path, p->argv, p->envp);
	fail(p, ST_EXEC, 0);
}

/* ---- the parent: everything that allocates happens here ---- */

static const char *
env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* execve does not search PATH: do it here with the task's own PATH. The
 * result is owned by the caller; a miss returns the name as given and
 * execve reports it. */
static char *
resolve_program(const char *cmd, char *const *env)
{
	if (strchr(cmd, '/'))
		return xstrdup(cmd);
	const char *path = env_get(env, "PATH");
	char *dirs = xstrdup(path ? path : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
	for (char *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *cand = xasprintf("%s/%s", *dir ? dir : ".", cmd);
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			free(dirs);
			return cand;
		}
		free(cand);
	}
	free(dirs);
	return xstrdup(cmd);
}

static char *
abs_path(const char *base, const char *p)
{
	return p[0] == '/' ? xstrdup(p) : xasprintf("%s/%s", base, p);
}

static bool
is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The task writes to path; <sandbox>/<name> links to it so logs are always
 * found in the sandbox. Returns the absolute path (owned by the caller). */
static char *
output_path(const char *sandbox, const char *cwd, const char *name, const char *path, char *err,
            size_t errlen)
{
	char *inbox = xasprintf("%s/%s", sandbox, name);
	if (!path)
		return inbox;
	char *abs = abs_path(cwd, path);
	if (strcmp(abs, inbox) != 0) {
		if ((unlink(inbox) != 0 && errno != ENOENT) || symlink(abs, inbox) != 0) {
			snprintf(err, errlen, "symlink %s: %s", inbox, strerror(errno));
			free(abs);
			abs = NULL;
		}
	}
	free(inbox);
	return abs;
}

/* The task's user keeps its own supplementary groups, never the daemon's
 * (root's): looked up here since NSS may allocate and take locks. */
static void
user_groups(child_plan *p)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (p->uid >= 0 && getpwuid_r((uid_t)p->uid, &pw, buf, sizeof(buf), &res) == 0 && res) {
		if (p->gid < 0)
			p->gid = (int)pw.pw_gid;
		p->ngroups = MAX_GROUPS;
		if (getgrouplist(pw.pw_name, (gid_t)p->gid, p->groups, &p->ngroups) >= 0)
			return;
	}
	/* unknown user, or too many groups: the primary group alone, or none */
	p->groups[0] = (gid_t)p->gid;
	p->ngroups = p->gid >= 0 ? 1 : 0;
}

static int
plan_binding(child_plan *p, const container_spec *spec, char *err, size_t errlen)
{
	uint8_t bits[(NODE_BITS > CPU_SETSIZE ? NODE_BITS : CPU_SETSIZE) / 8];
	if (spec->cpu_list && *spec->cpu_list) {
		if (topology_list_parse(spec->cpu_list, bits, CPU_SETSIZE) != 0) {
			snprintf(err, errlen, "bad cpu list '%s'", spec->cpu_list);
			return MOSAIC_EINVAL;
		}
		CPU_ZERO(&p->cpus);
		for (unsigned i = 0; i < CPU_SETSIZE; i++)
			if (bits[i / 8] >> (i % 8) & 1)
				CPU_SET(i, &p->cpus);
		p->affinity = true;
	}
	if (spec->mem_nodes && *spec->mem_nodes) {
		if (topology_list_parse(spec->mem_nodes, bits, NODE_BITS) != 0) {
			snprintf(err, errlen, "bad NUMA node list '%s'", spec->mem_nodes);
			return MOSAIC_EINVAL;
		}
		/* nodes of a synthetic topology need not exist here: no binding */
		p->membind = true;
		for (unsigned i = 0; i < NODE_BITS; i++) {
			if (!(bits[i / 8] >> (i % 8) & 1))
				continue;
			char node[64];
			snprintf(node, sizeof(node), "/sys/devices/system/node/node%u", i);
			if (!is_dir(node))
				p->membind = false;
			p->nodes[i / (8 * sizeof(unsigned long))] |= 1UL << (i % (8 * sizeof(unsigned long)));
		}
	}
	return MOSAIC_OK;
}

static void
plan_free(child_plan *p)
{
	free(p->argv);
	free((char *)p->path);
	free(p->out_path);
	free(p->err_path);
	free((char *)p->cwd);
	free((char *)p->sandbox);
}

static int
plan_make(child_plan *p, const container_spec *spec, char *err, size_t errlen)
{
	static char *const empty_env[] = {NULL};
	memset(p, 0, sizeof(*p));
	p->uid = spec->uid;
	p->gid = spec->gid;
	p->envp = spec->env ? spec->env : empty_env;
	char *sandbox = realpath(spec->sandbox, NULL);
	if (!sandbox || !is_dir(sandbox)) {
		snprintf(err, errlen, "sandbox %s: %s", spec->sandbox,
		         sandbox ? "not a directory" : strerror(errno));
		free(sandbox);
		return MOSAIC_EINVAL;
	}
	p->sandbox = sandbox;
	if (spec->cwd && *spec->cwd) {
		char *cwd = abs_path(sandbox, spec->cwd); /* relative to the sandbox */
		if (is_dir(cwd))
			p->cwd = cwd;
		else
			free(cwd);
	}
	const char *base = p->cwd ? p->cwd : sandbox;
	if (!(p->out_path = output_path(sandbox, base, "stdout", spec->stdout_path, err, errlen)) ||
	    !(p->err_path = output_path(sandbox, base, "stderr", spec->stderr_path, err, errlen)))
		return MOSAIC_EIO;
	if (spec->shell) {
		p->path = xstrdup("/bin/sh");
		p->argv = xcalloc(4, sizeof(char *));
		p->argv[0] = "sh";
		p->argv[1] = "-c";
		p->argv[2] = (char *)spec->command;
	} else {
		size_t n = 0;
		while (spec->argv && spec->argv[n])
			n++;
		p->path = resolve_program(spec->command, p->envp);
		p->argv = xcalloc(n ? n + 1 : 2, sizeof(char *));
		if (n)
			memcpy(p->argv, spec->argv, n * sizeof(char *));
		else
			p->argv[0] = (char *)spec->command;
	}
	if (p->uid >= 0 || p->gid >= 0)
		user_groups(p);
	return plan_binding(p, spec, err, errlen);
}

static void
child_error(const child_plan *p, const container_spec *spec, const report *r, char *err, size_t errlen)
{
	const char *e = strerror(r->err);
	switch (r->step) {
	case ST_SETPGID: snprintf(err, errlen, "setpgid: %s", e); break;
	case ST_CGROUP: snprintf(err, errlen, "join cgroup %s: %s", p->iso.join_dirs[r->index], e); break;
	case ST_RLIMIT: snprintf(err, errlen, "setrlimit RLIMIT_DATA: %s", e); break;
	case ST_AFFINITY: snprintf(err, errlen, "bind to cpus %s: %s", spec->cpu_list, e); break;
	case ST_MEMPOLICY: snprintf(err, errlen, "bind memory to nodes %s: %s", spec->mem_nodes, e); break;
	case ST_GROUPS: snprintf(err, errlen, "setgroups: %s", e); break;
	case ST_SETGID: snprintf(err, errlen, "setgid %d: %s", p->gid, e); break;
	case ST_SETUID: snprintf(err, errlen, "setuid %d: %s", p->uid, e); break;
	case ST_CHDIR: snprintf(err, errlen, "chdir %s: %s", p->sandbox, e); break;
	case ST_STDIN: snprintf(err, errlen, "open /dev/null: %s", e); break;
	case ST_STDOUT: snprintf(err, errlen, "open %s: %s", p->out_path, e); break;
	case ST_STDERR: snprintf(err, errlen, "open %s: %s", p->err_path, e); break;
	default: snprintf(err, errlen, "exec %s: %s", p->path, e); break;
	}
}

static bool
valid_id(const char *id)
{
	return id && *id && !strchr(id, '/') && strcmp(id, ".") != 0 && strcmp(id, "..") != 0;
}

int
containerizer_launch(containerizer *c, const container_spec *spec, pid_t *pid, char *err, size_t errlen)
{
	char dummy[8];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!spec || !valid_id(spec->id) || !spec->sandbox || !spec->command || !*spec->command) {
		snprintf(err, errlen, "container needs an id without '/', a sandbox and a command");
		return MOSAIC_EINVAL;
	}
	for (unsigned i = 0; i < c->n; i++) {
		if (strcmp(c->entries[i].id, spec->id) == 0) {
			snprintf(err, errlen, "container %s is running", spec->id);
			return MOSAIC_EINVAL;
		}
	}
	child_plan p;
	int rv = plan_make(&p, spec, err, errlen);
	if (rv != 0) {
		plan_free(&p);
		return rv;
	}
	iso_cgroup cg;
	if ((rv = c->ops->prepare(c->iso, spec->id, spec->cpus, spec->mem_bytes, &cg, &p.iso, err, errlen)) !=
	    0) {
		plan_free(&p);
		return rv;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	p.errfd = fds[1];
	/* no handler of the daemon may run in the child before exec */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid_t child = fork();
	if (child == 0)
		child_run(&p);
	int fork_errno = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(fds[1]);
	iso_child_close(&p.iso);
	if (child < 0) {
		close(fds[0]);
		snprintf(err, errlen, "fork: %s", strerror(fork_errno));
		goto fail;
	}
	/* also from this side, so a signal right after launch finds the group */
	setpgid(child, child);
	report r;
	ssize_t n;
	while ((n = read(fds[0], &r, sizeof(r))) < 0 && errno == EINTR)
		;
	close(fds[0]);
	if (n != 0) {
		if (n == (ssize_t)sizeof(r))
			child_error(&p, spec, &r, err, errlen);
		else
			snprintf(err, errlen, "child set-up failed");
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		goto fail;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->entries = xrealloc(c->entries, c->cap * sizeof(entry));
	}
	c->entries[c->n++] = (entry){.pid = child, .id = xstrdup(spec->id), .cg = cg};
	*pid = child;
	plan_free(&p);
	return MOSAIC_OK;
fail:
	iso_child_close(&p.iso);
	c->ops->destroy(c->iso, &cg);
	plan_free(&p);
	return MOSAIC_EIO;
}

int
containerizer_signal(containerizer *c, pid_t pid, int sig)
{
	entry *e = find(c, pid);
	if (!e)
		return MOSAIC_ENOENT;
	if (kill(-pid, sig) != 0 && errno == EPERM)
		return MOSAIC_EPERM;
	c->ops->signal(c->iso, &e->cg, sig);
	return MOSAIC_OK;
}

int
containerizer_reap(containerizer *c, container_exit *out)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (pid == 0 || (pid < 0 && errno == ECHILD))
		return MOSAIC_EAGAIN;
	if (pid < 0)
		return MOSAIC_EIO;
	memset(out, 0, sizeof(*out));
	out->pid = pid;
	out->exited = WIFEXITED(status);
	out->exit_code = out->exited ? WEXITSTATUS(status) : 0;
	out->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	entry *e = find(c, pid);
	if (e) {
		/* the container ends with its leader: what it left behind in its
		 * process group or cgroup goes too */
		kill(-pid, SIGKILL);
		c->ops->destroy(c->iso, &e->cg);
		free(e->id);
		*e = c->entries[--c->n];
	}
	return MOSAIC_OK;
}

uint64_t
containerizer_memory(containerizer *c, pid_t pid)
{
	entry *e = find(c, pid);
	return e ? c->ops->memory(c->iso, &e->cg, pid) : 0;
}
