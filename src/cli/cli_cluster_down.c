/* cli_cluster_down.c - `mosaic cluster down`: stop a local cluster and
 * leave no process of it behind. Politely first (the agents kill their
 * own tasks and executors on SIGUSR1), then by force: everything that
 * belongs to the cluster is found from a snapshot of /proc (sessions,
 * process groups, children, working directories), so tasks whose executor
 * died are found too. */
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_cluster.h"
#include "cli_proc.h"
#include "errors.h"
#include "loop.h"
#include "mem.h"

#define POLITE_BATCH_SECONDS 3.0 /* mbatchd commits and exits */
#define POLITE_AGENT_SECONDS 6.0 /* agents kill their tasks (3 s grace) and exit */
#define POLITE_SECONDS 10.0      /* then everything else, before SIGKILL */
#define KILL_ROUNDS 5

typedef struct member {
	pid_t pid;
	unsigned long long start;
	char what[48];
	bool daemon; /* from a pid file of dir */
	bool killed; /* needed SIGKILL */
} member;

typedef struct set {
	member *v;
	size_t n, cap;
} set;

static member *
set_find(const set *s, pid_t pid)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].pid == pid)
			return &s->v[i];
	return NULL;
}

static member *
set_add(set *s, pid_t pid, unsigned long long start, const char *what)
{
	member *m = set_find(s, pid);
	if (m)
		return m;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 32;
		s->v = xrealloc(s->v, s->cap * sizeof(member));
	}
	m = &s->v[s->n++];
	memset(m, 0, sizeof(*m));
	m->pid = pid;
	m->start = start;
	snprintf(m->what, sizeof(m->what), "%s", what);
	return m;
}

static bool
member_alive(const member *m)
{
	return cli_proc_start(m->pid) == m->start && m->start != 0;
}

static void
sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	nanosleep(&ts, NULL);
}

static bool
is_mosaic_program(const char *exe0)
{
	const char *base = strrchr(exe0, '/');
	base = base ? base + 1 : exe0;
	return strncmp(base, "mosaic-", 7) == 0;
}

/* Add to family every process that belongs to the cluster: found from the
 * roots (daemons and executors, even dead ones: their sessions and groups
 * keep their pids), by parentage, by a command line of a mosaic program
 * naming dir, or by a working directory inside an agent's directory. Never
 * this process or its ancestors (a shell whose cwd is a sandbox). */
static void
collect(const char *dir, const set *roots, set *family)
{
	cli_proc_info *ps;
	size_t n;
	if (cli_proc_snapshot(&ps, &n, dir) != 0)
		return;
	set mine = {0};
	pid_t p = getpid();
	for (int depth = 0; p > 1 && depth < 64; depth++) {
		set_add(&mine, p, 0, "");
		pid_t parent = 0;
		for (size_t i = 0; i < n; i++)
			if (ps[i].pid == p)
				parent = ps[i].ppid;
		p = parent;
	}
	char agents_prefix[CLI_CLUSTER_PATH];
	snprintf(agents_prefix, sizeof(agents_prefix), "%s/agent", dir);
	size_t plen = strlen(agents_prefix);
	bool changed = true;
	while (changed) {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			const cli_proc_info *q = &ps[i];
			if (set_find(family, q->pid) || set_find(&mine, q->pid))
				continue;
			bool belongs = set_find(roots, q->pid) || set_find(roots, q->sid) ||
			               set_find(roots, q->pgid) || set_find(family, q->ppid) ||
			               (q->cmdline_has_dir && is_mosaic_program(q->exe0)) ||
			               strncmp(q->cwd, agents_prefix, plen) == 0;
			if (!belongs)
				continue;
			const member *r = set_find(roots, q->pid);
			set_add(family, q->pid, q->start, r ? r->what : q->comm)->daemon = r && r->daemon;
			changed = true;
		}
	}
	free(mine.v);
	free(ps);
}

/* Daemons from dir's pid files, executors from the agents' directories. */
static void
find_roots(const char *dir, set *roots)
{
	static const char *const patterns[] = {"%s/master.pid", "%s/agent*.pid", "%s/agent*/executors/*/pid",
	                                       "%s/mbatchd.pid"};
	static const char *const programs[] = {"mosaic-master", "mosaic-agent", "mosaic-executor", "mbatchd"};
	for (size_t k = 0; k < 4; k++) {
		char pattern[CLI_CLUSTER_PATH];
		snprintf(pattern, sizeof(pattern), patterns[k], dir);
		glob_t g;
		if (glob(pattern, 0, NULL, &g) != 0)
			continue;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			pid_t pid;
			if (cli_proc_read_pidfile(g.gl_pathv[i], &pid) != 0)
				continue;
			const char *prog = programs[k];
			unsigned long long start = cli_proc_start(pid);
			/* A pid file may outlive its process and the pid be reused. */
			if (!start || !cli_proc_is(pid, prog))
				continue;
			char what[48];
			if (k == 2) {
				snprintf(what, sizeof(what), "executor");
			} else {
				const char *base = strrchr(g.gl_pathv[i], '/') + 1;
				snprintf(what, sizeof(what), "%.*s", (int)(strlen(base) - 4), base);
			}
			set_add(roots, pid, start, what)->daemon = k != 2;
		}
		globfree(&g);
	}
}

/* Wait until the members named prefix... (all with NULL) are gone. */
static size_t
wait_gone(const set *s, const char *prefix, double until)
{
	for (;;) {
		size_t alive = 0;
		for (size_t i = 0; i < s->n; i++)
			if ((!prefix || strncmp(s->v[i].what, prefix, strlen(prefix)) == 0) &&
			    member_alive(&s->v[i]))
				alive++;
		if (alive == 0 || mosaic_mono_now() >= until)
			return alive;
		sleep_s(0.05);
	}
}

/* Signals the roots (daemons and executors, from their pid files) named
 * prefix... that are alive. */
static void
signal_roots(const set *roots, const char *prefix, int sig)
{
	for (size_t i = 0; i < roots->n; i++)
		if (strncmp(roots->v[i].what, prefix, strlen(prefix)) == 0 && member_alive(&roots->v[i]))
			kill(roots->v[i].pid, sig);
}

static void
remove_pidfiles(const char *dir)
{
	char pattern[CLI_CLUSTER_PATH];
	snprintf(pattern, sizeof(pattern), "%s/*.pid", dir);
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0)
		return;
	for (size_t i = 0; i < g.gl_pathc; i++)
		unlink(g.gl_pathv[i]);
	globfree(&g);
}

int
cli_cluster_stop_all(const char *dir, bool quiet)
{
	double t0 = mosaic_mono_now();
	set roots = {0}, family = {0};
	find_roots(dir, &roots);
	collect(dir, &roots, &family);
	if (family.n == 0) {
		remove_pidfiles(dir);
		if (!quiet)
			printf("mosaic cluster down: nothing running from %s\n", dir);
		free(roots.v);
		return 0;
	}
	/* mbatchd first: it must not take the agents' killing of its tasks
	 * for lost agents and start them again elsewhere. It keeps its jobs
	 * (state in dir/mbatchd) for the next `cluster up`. */
	signal_roots(&roots, "mbatchd", SIGTERM);
	wait_gone(&family, "mbatchd", t0 + POLITE_BATCH_SECONDS);
	signal_roots(&roots, "agent", SIGUSR1);
	wait_gone(&family, "agent", t0 + POLITE_AGENT_SECONDS);
	signal_roots(&roots, "agent", SIGTERM);
	signal_roots(&roots, "master", SIGTERM);
	/* An executor whose agent was killed (kill -9) keeps its tasks for
	 * the agent's return: asked, it kills them (with their grace) and
	 * leaves, where it would otherwise wait for SIGKILL. */
	signal_roots(&roots, "executor", SIGTERM);
	wait_gone(&family, NULL, t0 + POLITE_SECONDS);
	/* Force: whatever is left, and anything started meanwhile. */
	for (int round = 0; round < KILL_ROUNDS; round++) {
		collect(dir, &roots, &family);
		size_t alive = 0;
		for (size_t i = 0; i < family.n; i++) {
			member *m = &family.v[i];
			if (!member_alive(m))
				continue;
			alive++;
			m->killed = true;
			kill(m->pid, SIGKILL);
			/* A group leader takes its group along (tasks' children). */
			if (getpgid(m->pid) == m->pid)
				kill(-m->pid, SIGKILL);
		}
		if (alive == 0)
			break;
		wait_gone(&family, NULL, mosaic_mono_now() + 0.5);
	}
	size_t left = wait_gone(&family, NULL, mosaic_mono_now() + 2.0);
	remove_pidfiles(dir);
	if (!quiet) {
		printf("mosaic cluster down: stopped");
		size_t shown = 0, others = 0, killed = 0;
		for (size_t i = 0; i < family.n; i++) {
			const member *m = &family.v[i];
			if (m->daemon)
				printf("%s %s (pid %d)", shown++ ? "," : "", m->what, (int)m->pid);
			else
				others++;
			killed += m->killed;
		}
		if (!shown)
			printf(" no daemon (none was running)");
		printf("\n");
		if (others)
			printf("  and %zu executor and task process%s with them\n", others,
			       others == 1 ? "" : "es");
		if (killed) {
			printf("  killed with SIGKILL after %.0f s:", POLITE_SECONDS);
			for (size_t i = 0, k = 0; i < family.n && k < 10; i++)
				if (family.v[i].killed) {
					printf("%s %s (pid %d)", k++ ? "," : "", family.v[i].what,
					       (int)family.v[i].pid);
				}
			printf("%s\n", killed > 10 ? ", ..." : "");
		}
	}
	if (left) {
		fprintf(stderr, "mosaic cluster down: %zu process%s would not die:", left,
		        left == 1 ? "" : "es");
		for (size_t i = 0; i < family.n; i++)
			if (member_alive(&family.v[i]))
				fprintf(stderr, " %d (%s)", (int)family.v[i].pid, family.v[i].what);
		fprintf(stderr, "\n");
	}
	free(roots.v);
	free(family.v);
	return left ? 1 : 0;
}

enum { D_DIR, D_HELP };

static const cli_opt down_opts[] = {
    {"dir", 0, true, D_DIR},
    {"help", 'h', false, D_HELP},
    {NULL, 0, false, 0},
};

int
cli_cluster_down(int argc, char **argv)
{
	const char *cmd = "cluster down";
	const char *dir_flag = NULL;
	char dirbuf[PATH_MAX], dir[PATH_MAX];
	cli_args a;
	cli_args_init(&a, argc, argv);
	const char *val;
	int id;
	while ((id = cli_args_next(&a, down_opts, &val)) >= 0) {
		if (id == D_DIR)
			dir_flag = val;
		if (id == D_HELP) {
			printf(
			    "usage: mosaic cluster down [--dir DIR]\n\n"
			    "Stop the local cluster started from DIR (default %s): agents first\n"
			    "(they kill their tasks and executors), then the master; after ~10 s whatever\n"
			    "of it is left is killed. Removes the pid files; keeps logs and state.\n",
			    cli_default_dir(dirbuf, sizeof(dirbuf)));
			return CLI_EXIT_OK;
		}
	}
	if (id == CLI_ARGS_ERROR)
		return cli_args_fail(cmd, a.err);
	int rv = cli_args_no_positionals(&a, cmd);
	if (rv != 0)
		return rv;
	if (!dir_flag)
		dir_flag = cli_default_dir(dirbuf, sizeof(dirbuf));
	if (!realpath(dir_flag, dir)) {
		printf("mosaic cluster down: nothing running from %s (no such directory)\n", dir_flag);
		return CLI_EXIT_OK;
	}
	return cli_cluster_stop_all(dir, false) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
