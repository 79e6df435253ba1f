/* job_openmpi.c - OpenMPI's mpirun under mmpirun (see job.h).
 *
 * As soon as the gang is launched, mmpirun writes the map of the job's
 * hosts to the proxies' addresses (ports from the offers, known before
 * the proxies start) and runs mpirun here, with:
 *   --host NAME:K,...             the gang's agents and ranks, in rank order
 *   --map-by slot|node            as the gang mapped them (the same order)
 *   --bind-to none                OpenMPI's binding ignores the task's
 *                                 cores (mpibind.h); ranks keep the task's
 *                                 mask, or mosaic-mpi-bind narrows it
 *   plm_rsh_agent mosaic-mpi-rsh  orted starts through the proxy, inside
 *                                 the task, not over ssh
 *   plm_rsh_no_tree_spawn 1       only mpirun launches orteds (an orted
 *                                 has no map to launch others with)
 *   --leave-session-attached      orted stays the proxy's child (else it
 *                                 daemonizes out of the task)
 *   oob/btl_tcp_if_include lo     when every agent is on this machine:
 *                                 traffic stays on loopback
 *   btl self,vader                when the gang is on one agent
 *   --allow-run-as-root           when we are root
 * mpirun gets its own process group, so a kill reaches its launch agents
 * too, and is spawned with posix_spawn: this process runs nng threads and
 * must not fork (DESIGN §9). */
#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mem.h"
#include "util.h"

#define MPIRUN_GRACE 3.0 /* SIGTERM -> SIGKILL of mpirun's group */

extern char **environ;

bool
job_openmpi_find(const char *hint, char *out, size_t len, bool *is_openmpi)
{
	*is_openmpi = false;
	out[0] = '\0';
	if (hint) {
		if (access(hint, X_OK) != 0)
			return false;
		snprintf(out, len, "%s", hint);
	} else {
		const char *path = getenv("PATH");
		char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
		for (char *save, *d = strtok_r(copy, ":", &save); d && !out[0];
		     d = strtok_r(NULL, ":", &save)) {
			char cand[PATH_MAX];
			snprintf(cand, sizeof(cand), "%s/mpirun", *d ? d : ".");
			if (access(cand, X_OK) == 0)
				snprintf(out, len, "%s", cand);
		}
		free(copy);
		if (!out[0])
			return false;
	}
	/* Debian's alternatives lead to mpirun.openmpi -> orterun: the name
	 * says whose mpirun it is, without running it. */
	char real[PATH_MAX];
	if (realpath(out, real) &&
	    (strstr(real, "openmpi") || strstr(real, "orterun") || strstr(real, "ompi")))
		*is_openmpi = true;
	return true;
}

static bool
loopback(const char *h)
{
	return strncmp(h, "127.", 4) == 0 || strcmp(h, "::1") == 0 || strcmp(h, "localhost") == 0;
}

typedef struct argvec {
	char **v;
	size_t n;
} argvec;

static void
add(argvec *a, const char *s)
{
	a->v = xrealloc(a->v, (a->n + 2) * sizeof(*a->v));
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

static void
add_mca(argvec *a, const char *k, const char *v)
{
	add(a, "--mca");
	add(a, k);
	add(a, v);
}

static void
argvec_free(argvec *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

/* The map goes in whole (written aside, then renamed) but is not synced:
 * it lives as long as this job and is read within milliseconds by the
 * launch agents, and an fsync here (1-3 ms, more on a busy disk) would
 * sit between the launch and mpirun's start. */
static int
write_map_file(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rv = fd < 0 ? -1 : 0;
	while (rv == 0 && len) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rv = -1;
		else
			data += w, len -= (size_t)w;
	}
	if (fd >= 0 && close(fd) != 0)
		rv = -1;
	if (rv == 0 && rename(tmp, path) != 0)
		rv = -1;
	if (rv != 0)
		unlink(tmp);
	free(tmp);
	return rv;
}

static int
write_map(job *j)
{
	if (!j->tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(j->tmpdir, sizeof(j->tmpdir), "%s/mmpirun.XXXXXX", base && *base ? base : "/tmp");
		if (!mkdtemp(j->tmpdir)) {
			job_say(j, "cannot make a directory for the host map: %s", strerror(errno));
			j->tmpdir[0] = '\0';
			return -1;
		}
	}
	size_t len = 64, at = 0;
	for (size_t i = 0; i < j->ntasks; i++)
		len += strlen(j->tasks[i].host) + strlen(j->tasks[i].addr) + 16;
	char *buf = xmalloc(len);
	at += (size_t)snprintf(buf, len, "# host proxy (mmpirun attempt %u)\n", j->attempt);
	for (size_t i = 0; i < j->ntasks; i++) {
		const job_task *t = &j->tasks[i];
		at +=
		    (size_t)snprintf(buf + at, len - at, strchr(t->addr, ':') ? "%s [%s]:%u\n" : "%s %s:%u\n",
		                     t->host, t->addr, t->first_port);
	}
	char *path = xasprintf("%s/map", j->tmpdir);
	int rv = write_map_file(path, buf, at);
	free(path);
	free(buf);
	if (rv != 0)
		job_say(j, "cannot write the host map in %s", j->tmpdir);
	return rv ? -1 : 0;
}

static void
on_output(mosaic_sched *s, int fd, int revents, void *arg)
{
	job *j = arg;
	int k = fd == j->mpirun_fd[0] ? 0 : fd == j->mpirun_fd[1] ? 1 : -1;
	if (k < 0)
		return;
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		mpiout_write_openmpi(j->out, k + 1, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	mosaic_sched_fd_remove(s, fd);
	close(fd);
	j->mpirun_fd[k] = -1;
}

static void
build_argv(job *j, argvec *a)
{
	const mpiopts *o = j->o;
	add(a, j->mpirun);
	char *np = xasprintf("%u", o->map.np);
	add(a, "-n");
	add(a, np);
	free(np);
	size_t len = 1, at = 0;
	for (size_t i = 0; i < j->ntasks; i++)
		len += strlen(j->tasks[i].host) + 16;
	char *hosts = xmalloc(len);
	bool local = true;
	for (size_t i = 0; i < j->ntasks; i++) {
		at += (size_t)snprintf(hosts + at, len - at, "%s%s:%u", i ? "," : "", j->tasks[i].host,
		                       j->tasks[i].nranks);
		local &= loopback(j->tasks[i].addr);
	}
	add(a, "--host");
	add(a, hosts);
	free(hosts);
	add(a, "--map-by");
	add(a, o->map.map_by == RANKMAP_BY_NODE ? "node" : "slot");
	add(a, "--bind-to");
	add(a, "none");
	char *rsh = xasprintf("%s/mosaic-mpi-rsh", j->bindir);
	add_mca(a, "plm_rsh_agent", rsh);
	free(rsh);
	add_mca(a, "plm_rsh_no_tree_spawn", "1");
	/* Without tree spawn mpirun tells each orted to daemonize, which
	 * would leave the task (and its cgroup's accounting) behind. */
	add(a, "--leave-session-attached");
	if (local) {
		add_mca(a, "oob_tcp_if_include", "lo");
		add_mca(a, "btl_tcp_if_include", "lo");
		/* Agents sharing this machine: each orted thinks its ranks
		 * have cores of their own and lets them spin, while they share
		 * the machine's (6 spinning ranks on 2 cores: a 100-round ring
		 * takes 4 s instead of 0.1 s). mpirun yields itself when it
		 * knows it oversubscribes; here only we know. */
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		if (cores > 0 && o->map.np > (unsigned long)cores)
			add_mca(a, "mpi_yield_when_idle", "1");
	}
	/* All ranks on one agent: they talk through shared memory only, and
	 * not opening the TCP transport saves ~70 ms of MPI_Init here. */
	bool user_btl = false;
	for (size_t i = 0; i < o->nmca; i++)
		user_btl |= strcmp(o->mca[2 * i], "btl") == 0;
	if (j->ntasks == 1 && !user_btl)
		add_mca(a, "btl", "self,vader");
	if (geteuid() == 0)
		add(a, "--allow-run-as-root");
	if (o->tag_output)
		add(a, "--tag-output");
	for (size_t i = 0; i < j->nenv; i++) {
		add(a, "-x");
		add(a, j->env[i]);
	}
	for (size_t i = 0; i < o->nmca; i++)
		add_mca(a, o->mca[2 * i], o->mca[2 * i + 1]);
	if (o->map.bind_to != RANKMAP_BIND_NONE) {
		char *bind = xasprintf("%s/mosaic-mpi-bind", j->bindir);
		add(a, bind);
		free(bind);
		add(a, "--bind");
		add(a, rankmap_bind_name(o->map.bind_to));
		char *c = xasprintf("%.0f", ceil(o->map.cpus_per_rank - 1e-9));
		add(a, "--cores-per-rank");
		add(a, c);
		free(c);
		add(a, "--");
	}
	for (int i = 0; i < o->argc; i++)
		add(a, o->argv[i]);
}

int
job_openmpi_start(job *j)
{
	if (write_map(j) != 0)
		return -1;
	argvec a = {0}, env = {0};
	build_argv(j, &a);
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "MOSAIC_MPI_", 11) != 0)
			add(&env, *e);
	char *map = xasprintf("MOSAIC_MPI_MAP=%s/map", j->tmpdir),
	     *tok = xasprintf("MOSAIC_MPI_TOKEN=%s", j->token);
	add(&env, map);
	add(&env, tok);
	free(map);
	free(tok);

	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_init(&fa);
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&dfl, sigs[i]);
	/* The loop blocks these for signalfd; mpirun must feel them. */
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr,
	                         POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	int pipes[2][2] = {{-1, -1}, {-1, -1}};
	if (j->o->tag_output) {
		for (int k = 0; k < 2; k++) {
			if (pipe2(pipes[k], O_CLOEXEC) != 0) {
				job_say(j, "pipe: %s", strerror(errno));
				goto fail;
			}
			posix_spawn_file_actions_adddup2(&fa, pipes[k][1], k + 1);
		}
	}
	if (j->o->verbose) {
		fputs("mmpirun: running:", stderr);
		for (size_t i = 0; i < a.n; i++)
			fprintf(stderr, " %s", a.v[i]);
		fputc('\n', stderr);
	}
	pid_t pid;
	int rv = posix_spawn(&pid, j->mpirun, &fa, &attr, a.v, env.v);
	if (rv != 0) {
		job_say(j, "cannot run %s: %s", j->mpirun, strerror(rv));
		goto fail;
	}
	j->mpirun_pid = pid;
	j->mpirun_running = true;
	j->mpirun_done = false;
	for (int k = 0; k < 2; k++)
		if (pipes[k][0] >= 0) {
			close(pipes[k][1]);
			fcntl(pipes[k][0], F_SETFL, fcntl(pipes[k][0], F_GETFL) | O_NONBLOCK);
			j->mpirun_fd[k] = pipes[k][0];
			mosaic_sched_fd_add(j->s, pipes[k][0], POLLIN, on_output, j);
		}
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	argvec_free(&a);
	argvec_free(&env);
	return 0;
fail:
	for (int k = 0; k < 2; k++)
		for (int e = 0; e < 2; e++)
			if (pipes[k][e] >= 0)
				close(pipes[k][e]);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	argvec_free(&a);
	argvec_free(&env);
	return -1;
}

static void
hard_kill(mosaic_sched *s, void *arg)
{
	job *j = arg;
	j->mpirun_kill_timer = 0;
	if (j->mpirun_running)
		kill(-j->mpirun_pid, SIGKILL);
}

void
job_openmpi_kill(job *j)
{
	if (!j->mpirun_running)
		return;
	kill(-j->mpirun_pid, SIGTERM);
	if (!j->mpirun_kill_timer)
		j->mpirun_kill_timer = mosaic_sched_timer_add(j->s, MPIRUN_GRACE, hard_kill, j);
}

void
job_openmpi_reap(job *j)
{
	if (!j->mpirun_running)
		return;
	int status;
	pid_t r = waitpid(j->mpirun_pid, &status, WNOHANG);
	if (r != j->mpirun_pid)
		return;
	j->mpirun_running = false;
	j->mpirun_done = true;
	j->mpirun_status = WIFEXITED(status)     ? WEXITSTATUS(status)
	                   : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
	                                         : 1;
	if (j->mpirun_kill_timer) {
		mosaic_sched_timer_cancel(j->s, j->mpirun_kill_timer);
		j->mpirun_kill_timer = 0;
	}
	/* Its launch agents die with their connections; what is left of
	 * the group (nothing, normally) goes now. */
	kill(-j->mpirun_pid, SIGKILL);
	for (int k = 0; k < 2; k++)
		if (j->mpirun_fd[k] >= 0) {
			/* Drain what mpirun wrote before it exited. */
			char buf[65536];
			ssize_t n;
			while ((n = read(j->mpirun_fd[k], buf, sizeof(buf))) > 0)
				mpiout_write_openmpi(j->out, k + 1, buf, (size_t)n);
			mosaic_sched_fd_remove(j->s, j->mpirun_fd[k]);
			close(j->mpirun_fd[k]);
			j->mpirun_fd[k] = -1;
		}
	mpiout_flush_all(j->out);
	job_verbose(j, "mpirun exited with status %d after %.3f s", j->mpirun_status,
	            mosaic_sched_now(j->s) - j->t_running);
	job_check(j);
}

void
job_openmpi_stop_now(job *j)
{
	if (j->mpirun_running) {
		kill(-j->mpirun_pid, SIGKILL);
		waitpid(j->mpirun_pid, NULL, 0);
		j->mpirun_running = false;
	}
	if (j->mpirun_kill_timer) {
		mosaic_sched_timer_cancel(j->s, j->mpirun_kill_timer);
		j->mpirun_kill_timer = 0;
	}
	for (int k = 0; k < 2; k++)
		if (j->mpirun_fd[k] >= 0) {
			mosaic_sched_fd_remove(j->s, j->mpirun_fd[k]);
			close(j->mpirun_fd[k]);
			j->mpirun_fd[k] = -1;
		}
}

void
job_openmpi_cleanup(job *j)
{
	if (j->mpirun_running) {
		kill(-j->mpirun_pid, SIGKILL);
		waitpid(j->mpirun_pid, NULL, 0);
		j->mpirun_running = false;
	}
	for (int k = 0; k < 2; k++)
		if (j->mpirun_fd[k] >= 0) {
			close(j->mpirun_fd[k]);
			j->mpirun_fd[k] = -1;
		}
	if (j->tmpdir[0])
		util_remove_tree(j->tmpdir);
	j->tmpdir[0] = '\0';
}
