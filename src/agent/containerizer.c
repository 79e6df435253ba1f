/* containerizer.c - vfork-style spawning of tasks into their isolation,
 * signalling, reaping.
 *
 * The child is made with clone(CLONE_VM | CLONE_VFORK) on a stack of its
 * own: it shares the parent's memory (no page tables to copy, no
 * copy-on-write faults in the parent afterwards) and the parent sleeps
 * until it has exec'd or exited. So the child, from clone to execve, makes
 * system calls only: it must not allocate, take a lock (nng's threads hold
 * them; stdio's too) or write the parent's memory, except the one report
 * it leaves on failure. Everything that allocates or parses (argv, paths,
 * cpu masks, groups, cgroup fds, the script file) is prepared in a
 * child_plan before. */
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"
#include "isolator.h"
#include "loop.h"
#include "mem.h"
#include "topology.h"
#include "util.h"

#define MPOL_BIND_ 2   /* <numaif.h> is libnuma's; the value is the kernel ABI */
#define NODE_BITS 1024 /* NUMA nodes a mem_nodes list may name */
#define MAX_GROUPS 256 /* supplementary groups kept for a task's user */
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
/* The child's stack, from clone to execve: a few frames of system calls.
 * Below it a guard page. */
#define CHILD_STACK (64u << 10)
#define USER_SLOTS 8
/* Inline scripts kept for hard links (containerizer_cache_scripts): the
 * most recent SCRIPT_SLOTS of at most SCRIPT_CACHE_MAX bytes each. */
#define SCRIPT_SLOTS 16
#define SCRIPT_CACHE_MAX (64u << 10)

typedef struct entry {
	pid_t pid;
	char *id;
	iso_cgroup cg;
} entry;

/* One user as NSS gave it, and the groups for one primary gid. */
typedef struct user_slot {
	bool used, known;
	uid_t uid;
	double at; /* mosaic_mono_now() of the look-up */
	char *name, *home;
	gid_t gid;
	bool have_groups;
	gid_t groups_gid; /* the gid the group list was made for */
	gid_t groups[MAX_GROUPS];
	int ngroups;
} user_slot;

/* One cached script: its text, for whom, and its file's size and mtime
 * when written (a file changed since is not linked again). */
typedef struct script_slot {
	char *text, *path;
	size_t len;
	int uid, gid;
	struct timespec mtime;
	uint64_t used; /* containerizer.script_tick at its last use */
} script_slot;

struct containerizer {
	const isolator_ops *ops;
	void *iso;
	entry *entries;
	unsigned n, cap;
	char *stack; /* mapping of a guard page, then CHILD_STACK */
	size_t stack_len;
	user_slot users[USER_SLOTS];
	char *script_dir; /* NULL: every script written to its sandbox */
	script_slot scripts[SCRIPT_SLOTS];
	uint64_t script_tick, script_seq;
};

/* Steps of the child's set-up, as its report names them. */
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
	int step, err, index; /* step -1: no failure */
} report;

typedef struct child_plan {
	const char *path; /* for execve */
	char **argv;
	/* A script's interpreter and its argv as the kernel would make them
	 * from the #! line, run when the script itself may not be executed
	 * (EACCES: a sandbox on a noexec file system). NULL: none. */
	char *interp, *interp_arg;
	char **interp_argv;
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
	/* The parent's: written by the child only to say why it gives up
	 * (the parent sleeps until the child execs or exits). */
	volatile report *rep;
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
		/* One stack for every child: launches are one at a time, and
		 * the parent sleeps while a child runs on it. */
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		c->stack_len = CHILD_STACK + page;
		c->stack = mmap(NULL, c->stack_len, PROT_READ | PROT_WRITE,
		                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (c->stack == MAP_FAILED) {
			/* as xmalloc does: out of memory is not an error to handle */
			fprintf(stderr, "out of memory mapping %zu bytes of stack\n", c->stack_len);
			abort();
		}
		mprotect(c->stack, page, PROT_NONE);
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

static void
script_slot_drop(script_slot *sl)
{
	if (sl->path)
		unlink(sl->path);
	free(sl->text);
	free(sl->path);
	memset(sl, 0, sizeof(*sl));
}

int
containerizer_cache_scripts(containerizer *c, const char *dir)
{
	for (unsigned i = 0; i < SCRIPT_SLOTS; i++)
		script_slot_drop(&c->scripts[i]);
	free(c->script_dir);
	c->script_dir = NULL;
	if (!dir)
		return MOSAIC_OK;
	/* what an earlier executor left: names only, sandboxes keep theirs */
	if (util_remove_tree(dir) != 0 || util_mkdir_p(dir) != 0)
		return MOSAIC_EIO;
	c->script_dir = xstrdup(dir);
	return MOSAIC_OK;
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
	for (unsigned i = 0; i < USER_SLOTS; i++) {
		free(c->users[i].name);
		free(c->users[i].home);
	}
	for (unsigned i = 0; i < SCRIPT_SLOTS; i++)
		script_slot_drop(&c->scripts[i]);
	if (c->script_dir)
		rmdir(c->script_dir);
	free(c->script_dir);
	munmap(c->stack, c->stack_len);
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

/* Sanitizer instrumentation may allocate (a fake stack frame) or report
 * (stdio, locks): none of it in a child that shares our memory. */
#define CHILD_CODE __attribute__((no_sanitize("address", "undefined")))

CHILD_CODE static _Noreturn void
fail(const child_plan *p, int step, int index)
{
	p->rep->err = errno;
	p->rep->index = index;
	p->rep->step = step;
	_exit(127);
}

CHILD_CODE static int
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

CHILD_CODE static _Noreturn void
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
	if (errno == EACCES && p->interp_argv)
		execve(p->interp, p->interp_argv, p->envp);
	fail(p, ST_EXEC, 0);
}

CHILD_CODE static int
child_main(void *arg)
{
	child_run(arg);
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
 * found in the sandbox - unless path is a device (/dev/null: nothing to
 * find, and an inode the less per task). Returns the absolute path (owned
 * by the caller). */
static char *
output_path(const char *sandbox, const char *cwd, const char *name, const char *path, char *err,
            size_t errlen)
{
	char *inbox = xasprintf("%s/%s", sandbox, name);
	if (!path)
		return inbox;
	char *abs = abs_path(cwd, path);
	struct stat st;
	if (strcmp(abs, inbox) != 0 &&
	    !(stat(abs, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))) {
		/* a fresh sandbox has no such entry: unlink only when it does */
		int rv = symlink(abs, inbox);
		if (rv != 0 && errno == EEXIST && unlink(inbox) == 0)
			rv = symlink(abs, inbox);
		if (rv != 0) {
			snprintf(err, errlen, "symlink %s: %s", inbox, strerror(errno));
			free(abs);
			abs = NULL;
		}
	}
	free(inbox);
	return abs;
}

/* The cached entry of uid, looked up again once older than the TTL. */
static user_slot *
user_find(containerizer *c, uid_t uid)
{
	double now = mosaic_mono_now();
	user_slot *u = NULL;
	for (unsigned i = 0; i < USER_SLOTS && !u; i++)
		if (c->users[i].used && c->users[i].uid == uid)
			u = &c->users[i];
	if (u && now - u->at < CONTAINER_USER_TTL)
		return u;
	if (!u) {
		/* a free slot, or the oldest */
		u = &c->users[0];
		for (unsigned i = 0; i < USER_SLOTS; i++) {
			if (!c->users[i].used) {
				u = &c->users[i];
				break;
			}
			if (c->users[i].at < u->at)
				u = &c->users[i];
		}
	}
	free(u->name);
	free(u->home);
	memset(u, 0, sizeof(*u));
	u->used = true;
	u->uid = uid;
	u->at = now;
	struct passwd pw, *res = NULL;
	char buf[4096];
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res) {
		u->known = true;
		u->name = xstrdup(pw.pw_name);
		u->home = xstrdup(pw.pw_dir ? pw.pw_dir : "/");
		u->gid = pw.pw_gid;
	}
	return u;
}

int
containerizer_user(containerizer *c, uid_t uid, container_user *out)
{
	user_slot *u = user_find(c, uid);
	if (!u->known)
		return MOSAIC_ENOENT;
	out->name = u->name;
	out->home = u->home;
	out->gid = u->gid;
	return MOSAIC_OK;
}

/* The task's user keeps its own supplementary groups, never the daemon's
 * (root's): looked up here since NSS may allocate and take locks. */
static void
user_groups(containerizer *c, child_plan *p)
{
	if (p->uid >= 0) {
		user_slot *u = user_find(c, (uid_t)p->uid);
		if (u->known) {
			if (p->gid < 0)
				p->gid = (int)u->gid;
			if (!u->have_groups || u->groups_gid != (gid_t)p->gid) {
				u->ngroups = MAX_GROUPS;
				u->groups_gid = (gid_t)p->gid;
				u->have_groups =
				    getgrouplist(u->name, (gid_t)p->gid, u->groups, &u->ngroups) >= 0;
			}
			if (u->have_groups) {
				memcpy(p->groups, u->groups, (size_t)u->ngroups * sizeof(gid_t));
				p->ngroups = u->ngroups;
				return;
			}
		}
	}
	/* unknown user, or too many groups: the primary group alone, or none */
	p->groups[0] = (gid_t)p->gid;
	p->ngroups = p->gid >= 0 ? 1 : 0;
}

/* The inline script as <sandbox>/script, the task user's, mode 0700.
 * Written by the parent: the child may not allocate or loop over a
 * megabyte. O_EXCL and O_NOFOLLOW: nothing the task's user left in the
 * sandbox is followed or reused. */
static int
write_script(const char *path, const char *script, int uid, int gid, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
	if (fd < 0 && errno == EEXIST && unlink(path) == 0)
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return MOSAIC_EIO;
	}
	size_t len = strlen(script), off = 0;
	const char *step = "write";
	while (off < len) {
		ssize_t n = write(fd, script + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	/* the umask may not take the owner's bits (read once: the executor
	 * never changes it) */
	static int owner_masked = -1;
	if (owner_masked < 0) {
		mode_t m = umask(0);
		umask(m);
		owner_masked = (m & 0700) != 0;
	}
	step = "chmod";
	if (owner_masked && fchmod(fd, 0700) != 0)
		goto fail;
	/* a chown to ourselves would only dirty the inode */
	step = "chown";
	bool uid_other = uid >= 0 && (uid_t)uid != geteuid(), gid_other = gid >= 0 && (gid_t)gid != getegid();
	if ((uid_other || gid_other) && fchown(fd, (uid_t)uid, (gid_t)gid) != 0)
		goto fail;
	step = "close";
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return MOSAIC_OK;
fail:
	snprintf(err, errlen, "cannot %s %s: %s", step, path, strerror(errno ? errno : EIO));
	if (fd >= 0)
		close(fd);
	unlink(path);
	return MOSAIC_EIO;
}

/* link(from, to), replacing whatever is at to (a link is not followed) */
static bool
link_onto(const char *from, const char *to)
{
	if (link(from, to) == 0)
		return true;
	return errno == EEXIST && unlink(to) == 0 && link(from, to) == 0;
}

static bool
same_file(const char *path, size_t len, const struct timespec *mtime)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len &&
	       st.st_mtim.tv_sec == mtime->tv_sec && st.st_mtim.tv_nsec == mtime->tv_nsec;
}

/* The script as path (<sandbox>/script): a hard link to the file cached
 * for the same text and user when there is one, else written (and cached).
 * A link is a directory entry, where a file is a new inode too - on ext4
 * the dearer part of starting a short task. A cached file whose size or
 * mtime changed since it was written (a task rewrote its script in place)
 * is not linked again. */
static int
place_script(containerizer *c, const char *path, const char *script, int uid, int gid, char *err,
             size_t errlen)
{
	size_t len = strlen(script);
	if (!c->script_dir || len > SCRIPT_CACHE_MAX)
		return write_script(path, script, uid, gid, err, errlen);
	c->script_tick++;
	script_slot *victim = &c->scripts[0];
	for (unsigned i = 0; i < SCRIPT_SLOTS; i++) {
		script_slot *sl = &c->scripts[i];
		if (sl->text && sl->len == len && sl->uid == uid && sl->gid == gid &&
		    memcmp(sl->text, script, len) == 0) {
			if (same_file(sl->path, len, &sl->mtime) && link_onto(sl->path, path)) {
				sl->used = c->script_tick;
				return MOSAIC_OK;
			}
			victim = sl; /* changed or gone: written anew */
			break;
		}
		if (!sl->text || (victim->text && sl->used < victim->used))
			victim = sl;
	}
	script_slot_drop(victim);
	char *cached = xasprintf("%s/%llu", c->script_dir, (unsigned long long)++c->script_seq);
	struct stat st;
	char ignored[8];
	if (write_script(cached, script, uid, gid, ignored, sizeof(ignored)) != 0 || stat(cached, &st) != 0 ||
	    !link_onto(cached, path)) {
		unlink(cached);
		free(cached);
		return write_script(path, script, uid, gid, err, errlen);
	}
	victim->text = xstrndup(script, len);
	victim->path = cached;
	victim->len = len;
	victim->uid = uid;
	victim->gid = gid;
	victim->mtime = st.st_mtim;
	victim->used = c->script_tick;
	return MOSAIC_OK;
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

/* The #! line as Linux reads it: the interpreter, and the rest of the line
 * (blanks trimmed) as one optional argument. */
static void
shebang(const char *script, char **interp, char **arg)
{
	*interp = *arg = NULL;
	const char *p = script + 2, *eol = strchr(p, '\n');
	if (!eol)
		eol = p + strlen(p);
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	const char *q = p;
	while (q < eol && *q != ' ' && *q != '\t')
		q++;
	if (q == p)
		return;
	*interp = xstrndup(p, (size_t)(q - p));
	while (q < eol && (*q == ' ' || *q == '\t'))
		q++;
	const char *e = eol;
	while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e > q)
		*arg = xstrndup(q, (size_t)(e - q));
}

static void
plan_free(child_plan *p)
{
	free(p->interp);
	free(p->interp_arg);
	free(p->interp_argv);
	free(p->argv);
	free((char *)p->path);
	free(p->out_path);
	free(p->err_path);
	free((char *)p->cwd);
	free((char *)p->sandbox);
}

static int
plan_make(containerizer *c, child_plan *p, const container_spec *spec, char *err, size_t errlen)
{
	static char *const empty_env[] = {NULL};
	memset(p, 0, sizeof(*p));
	p->uid = spec->uid;
	p->gid = spec->gid;
	p->envp = spec->env ? spec->env : empty_env;
	/* An absolute sandbox is taken as it is (the agent's are); realpath
	 * would look at every component of it. */
	char *sandbox = spec->sandbox[0] == '/' ? xstrdup(spec->sandbox) : realpath(spec->sandbox, NULL);
	if (!sandbox || !is_dir(sandbox)) {
		snprintf(err, errlen, "sandbox %s: %s", spec->sandbox,
		         sandbox ? "not a directory" : strerror(errno));
		free(sandbox);
		return MOSAIC_EINVAL;
	}
	p->sandbox = sandbox;
	if (p->uid >= 0 || p->gid >= 0)
		user_groups(c, p);
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
	if (spec->script) {
		char *path = xasprintf("%s/" CONTAINER_SCRIPT_NAME, sandbox);
		p->path = path;
		int rv = place_script(c, path, spec->script, p->uid, p->gid, err, errlen);
		if (rv != 0)
			return rv;
		size_t n = 0;
		while (spec->argv && spec->argv[n])
			n++;
		p->argv = xcalloc(n ? n + 1 : 2, sizeof(char *));
		if (n)
			memcpy(p->argv, spec->argv, n * sizeof(char *));
		else
			p->argv[0] = (char *)spec->command;
		shebang(spec->script, &p->interp, &p->interp_arg);
		if (p->interp) {
			size_t k = 0;
			p->interp_argv = xcalloc(n + 4, sizeof(char *));
			p->interp_argv[k++] = p->interp;
			if (p->interp_arg)
				p->interp_argv[k++] = p->interp_arg;
			p->interp_argv[k++] = path;
			for (size_t i = 1; i < n; i++)
				p->interp_argv[k++] = spec->argv[i];
		}
	} else if (spec->shell) {
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
	default:
		if (spec->script)
			snprintf(err, errlen, "exec %s (#!%s): %s", p->path, p->interp ? p->interp : "", e);
		else
			snprintf(err, errlen, "exec %s: %s", p->path, e);
		break;
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
	if (spec->script) {
		size_t len = strnlen(spec->script, CONTAINER_SCRIPT_MAX + 1);
		if (len > CONTAINER_SCRIPT_MAX) {
			snprintf(err, errlen, "the script is over the limit of %u bytes (1 MiB)",
			         CONTAINER_SCRIPT_MAX);
			return MOSAIC_EINVAL;
		}
		if (strncmp(spec->script, "#!", 2) != 0) {
			snprintf(err, errlen,
			         "the script does not start with a #! line naming its interpreter");
			return MOSAIC_EINVAL;
		}
	}
	for (unsigned i = 0; i < c->n; i++) {
		if (strcmp(c->entries[i].id, spec->id) == 0) {
			snprintf(err, errlen, "container %s is running", spec->id);
			return MOSAIC_EINVAL;
		}
	}
	child_plan p;
	int rv = plan_make(c, &p, spec, err, errlen);
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
	volatile report rep = {.step = -1};
	p.rep = &rep;
	/* No handler of the daemon may run in the child before exec: it
	 * would run on the child's stack over the parent's memory. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* Returns once the child has exec'd (its group made, its cgroups
	 * joined: a signal right after launch finds them) or exited. */
	pid_t child = clone(child_main, c->stack + c->stack_len, CLONE_VM | CLONE_VFORK | SIGCHLD, &p);
	int clone_errno = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	iso_child_close(&p.iso);
	if (child < 0) {
		snprintf(err, errlen, "clone: %s", strerror(clone_errno));
		goto fail;
	}
	if (rep.step >= 0) {
		report r = {.step = rep.step, .err = rep.err, .index = rep.index};
		child_error(&p, spec, &r, err, errlen);
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
