/* proxy.c - a gang task's agent-side half (see proxy.h): one poll loop
 * over mmpirun's connection, the launch agent's, the children's output
 * pipes and a signalfd. */
#include "proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loop.h"
#include "mem.h"
#include "mpiwire.h"
#include "util.h"

#define READ_CHUNK (64u << 10)
#define OUT_HIGH (1u << 20) /* stop reading children above this much unsent */
#define DRAIN_SECONDS 2.0   /* a child's pipes after it exited (a grandchild may keep them) */
#define FLUSH_SECONDS 10.0  /* the last frames to a slow peer */

typedef struct child {
	pid_t pid;
	uint32_t rank; /* MPIWIRE_NO_RANK: the command a RUN started */
	int fd[2];     /* stdout, stderr (read ends); -1 closed */
	bool exited, reported;
	int status;
	double exited_at;
} child;

typedef struct conn {
	int fd; /* -1: none */
	mpiwire_buf in, out;
} conn;

typedef struct proxy {
	const proxy_config *cfg;
	conn up;  /* mmpirun */
	conn rsh; /* the launch agent (openmpi) */
	int lfd;  /* openmpi listener */
	int sfd;  /* signalfd */
	child *kids;
	size_t nkids;
	bool started;  /* GO or RUN came */
	bool aborting; /* killing everything */
	bool hard_killed;
	double abort_at, start_deadline;
	int result;
	bool have_result;
	char tmpdir[256]; /* openmpi: orted's private tmpdir */
} proxy;

static void
say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mosaic-mpi-proxy: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int
status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static void
conn_close(conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	mpiwire_buf_fini(&c->in);
	mpiwire_buf_fini(&c->out);
}

/* Where a child's output and exit go. */
static conn *
dest(proxy *p)
{
	return p->cfg->openmpi ? &p->rsh : &p->up;
}

static void
kill_all(proxy *p, int sig)
{
	for (size_t i = 0; i < p->nkids; i++)
		if (!p->kids[i].exited && kill(-p->kids[i].pid, sig) != 0)
			kill(p->kids[i].pid, sig); /* not a group leader (yet) */
}

static void
start_abort(proxy *p, const char *why)
{
	if (p->aborting)
		return;
	p->aborting = true;
	p->abort_at = mosaic_mono_now();
	if (why && p->nkids)
		say("%s: stopping %zu process(es)", why, p->nkids);
	else if (why)
		say("%s", why);
	kill_all(p, SIGTERM);
}

static void
set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Starts one child: argv, or /bin/sh -c command. Rank children get the
 * per-rank variables and their slice of the cores. */
static int
spawn(proxy *p, uint32_t rank, unsigned local, char *const *argv, const char *command)
{
	int out[2], err[2];
	if (pipe2(out, O_CLOEXEC) != 0)
		return -1;
	if (pipe2(err, O_CLOEXEC) != 0) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(out[0]), close(out[1]), close(err[0]), close(err[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		/* The child: single-threaded parent, so anything goes until exec. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, command ? SIGTERM : SIGKILL);
		if (getppid() != parent)
			_exit(1);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL); /* ignored here; a rank gets the default */
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		unsetenv("MOSAIC_MPI_TOKEN");
		if (p->cfg->host)
			setenv("MOSAIC_MPI_HOST", p->cfg->host, 1);
		if (!command) {
			char v[32];
			snprintf(v, sizeof(v), "%u", rank);
			setenv("MOSAIC_RANK", v, 1);
			snprintf(v, sizeof(v), "%u", local);
			setenv("MOSAIC_LOCAL_RANK", v, 1);
			snprintf(v, sizeof(v), "%u", p->cfg->nranks);
			setenv("MOSAIC_LOCAL_SIZE", v, 1);
			char e[256], desc[256];
			if (mpibind_apply(local, p->cfg->nranks, p->cfg->cores_per_rank, p->cfg->bind, desc,
			                  sizeof(desc), e, sizeof(e)) != 0) {
				dprintf(2, "mosaic-mpi-proxy: rank %u: %s\n", rank, e);
				_exit(126);
			}
			if (*desc)
				setenv("MOSAIC_RANK_CPUS", desc, 1);
			execvp(argv[0], argv);
			dprintf(2, "mosaic-mpi-proxy: rank %u: cannot run %s: %s\n", rank, argv[0],
			        strerror(errno));
			_exit(errno == ENOENT ? 127 : 126);
		}
		setenv("OMPI_MCA_orte_tmpdir_base", p->tmpdir, 1);
		setenv("OMPI_MCA_btl_vader_backing_directory", p->tmpdir, 1);
		if (!getenv("PATH"))
			setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		dprintf(2, "mosaic-mpi-proxy: cannot run /bin/sh: %s\n", strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* also here: no race with a kill right after */
	close(out[1]);
	close(err[1]);
	set_nonblock(out[0]);
	set_nonblock(err[0]);
	p->kids = xrealloc(p->kids, (p->nkids + 1) * sizeof(*p->kids));
	p->kids[p->nkids++] = (child){.pid = pid, .rank = rank, .fd = {out[0], err[0]}};
	return 0;
}

static void
start_ranks(proxy *p)
{
	p->started = true;
	for (unsigned i = 0; i < p->cfg->nranks && !p->aborting; i++)
		if (spawn(p, p->cfg->ranks[i], i, p->cfg->argv, NULL) != 0) {
			char msg[256];
			snprintf(msg, sizeof(msg), "cannot start rank %u: %s", p->cfg->ranks[i],
			         strerror(errno));
			mpiwire_put_text(&p->up.out, MPIWIRE_ERROR, msg);
			p->result = 1;
			p->have_result = true;
			start_abort(p, msg);
		}
}

/* Frames from mmpirun. */
static void
on_up(proxy *p)
{
	long n = mpiwire_fill(p->up.fd, &p->up.in);
	if (n == 0 || n == -1) {
		close(p->up.fd);
		p->up.fd = -1;
		start_abort(p, "lost the connection to mmpirun");
		return;
	}
	mpiwire_frame f;
	int r;
	while ((r = mpiwire_next(&p->up.in, &f)) == 1) {
		if (f.type == MPIWIRE_GO && !p->cfg->openmpi && !p->started) {
			start_ranks(p);
		} else if (f.type == MPIWIRE_ABORT) {
			char why[256];
			mpiwire_get_text(&f, why, sizeof(why));
			char msg[300];
			snprintf(msg, sizeof(msg), "mmpirun ends the gang (%s)", why);
			start_abort(p, msg);
		}
	}
	if (r < 0)
		start_abort(p, "mmpirun speaks garbage");
}

/* The launch agent's RUN (openmpi). */
static void
on_rsh(proxy *p)
{
	long n = mpiwire_fill(p->rsh.fd, &p->rsh.in);
	if (n == 0 || n == -1) {
		close(p->rsh.fd);
		p->rsh.fd = -1;
		if (p->nkids)
			start_abort(p, "the launch agent went away");
		return;
	}
	mpiwire_frame f;
	int r;
	while ((r = mpiwire_next(&p->rsh.in, &f)) == 1) {
		char token[MPIWIRE_TOKEN_LEN + 8];
		const char *cmd;
		size_t clen;
		if (f.type != MPIWIRE_RUN || mpiwire_get_run(&f, token, sizeof(token), &cmd, &clen) != 0 ||
		    !mpiwire_token_equal(token, p->cfg->token)) {
			mpiwire_put_text(&p->rsh.out, MPIWIRE_ERROR,
			                 "refused: not a RUN with this job's token");
			mpiwire_flush(p->rsh.fd, &p->rsh.out);
			close(p->rsh.fd);
			p->rsh.fd = -1;
			return;
		}
		if (p->started) {
			mpiwire_put_text(&p->rsh.out, MPIWIRE_ERROR,
			                 "refused: this task already runs a command");
			continue;
		}
		p->started = true;
		char *command = xstrndup(cmd, clen);
		if (spawn(p, MPIWIRE_NO_RANK, 0, NULL, command) != 0) {
			char msg[256];
			snprintf(msg, sizeof(msg), "cannot start the command: %s", strerror(errno));
			mpiwire_put_text(&p->rsh.out, MPIWIRE_ERROR, msg);
			p->result = 1;
			p->have_result = true;
			start_abort(p, msg);
		}
		free(command);
	}
	if (r < 0) {
		close(p->rsh.fd);
		p->rsh.fd = -1;
	}
}

static void
on_accept(proxy *p)
{
	int fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (p->rsh.fd >= 0 || p->started) {
		mpiwire_buf b;
		mpiwire_buf_init(&b);
		mpiwire_put_text(&b, MPIWIRE_ERROR, "refused: this task already serves a launch agent");
		mpiwire_flush(fd, &b);
		mpiwire_buf_fini(&b);
		close(fd);
		return;
	}
	p->rsh.fd = fd;
}

static void
on_output(proxy *p, child *k, int s)
{
	char buf[READ_CHUNK];
	ssize_t n = read(k->fd[s], buf, sizeof(buf));
	if (n > 0) {
		conn *d = dest(p);
		if (d->fd >= 0)
			mpiwire_put_out(&d->out, k->rank, (uint8_t)(s + 1), buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	close(k->fd[s]);
	k->fd[s] = -1;
}

static void
reap(proxy *p)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (size_t i = 0; i < p->nkids; i++)
			if (p->kids[i].pid == pid) {
				p->kids[i].exited = true;
				p->kids[i].status = status;
				p->kids[i].exited_at = mosaic_mono_now();
			}
}

/* Exit statuses of children whose output is drained, in the order they
 * became reportable; the first failure ends the others. */
static void
report(proxy *p, double now)
{
	for (size_t i = 0; i < p->nkids; i++) {
		child *k = &p->kids[i];
		if (!k->exited || k->reported)
			continue;
		if ((k->fd[0] >= 0 || k->fd[1] >= 0) && now < k->exited_at + DRAIN_SECONDS)
			continue;
		for (int s = 0; s < 2; s++)
			if (k->fd[s] >= 0) {
				close(k->fd[s]);
				k->fd[s] = -1;
			}
		k->reported = true;
		int code = WIFEXITED(k->status) ? WEXITSTATUS(k->status) : 0;
		int sig = WIFSIGNALED(k->status) ? WTERMSIG(k->status) : 0;
		conn *d = dest(p);
		if (d->fd >= 0)
			mpiwire_put_exit(&d->out, k->rank, code, sig);
		if (p->cfg->openmpi && p->up.fd >= 0 && d != &p->up)
			mpiwire_put_exit(&p->up.out, k->rank, code, sig);
		bool failed = status_code(k->status) != 0;
		if (!p->have_result && (failed || p->cfg->openmpi)) {
			p->result = status_code(k->status);
			p->have_result = true;
		}
		if (failed && !p->aborting && !p->cfg->openmpi) {
			char msg[128];
			snprintf(msg, sizeof(msg), "rank %u failed (exit status %d)", k->rank,
			         status_code(k->status));
			start_abort(p, msg);
		}
	}
}

static bool
all_reported(const proxy *p)
{
	for (size_t i = 0; i < p->nkids; i++)
		if (!p->kids[i].reported)
			return false;
	return true;
}

/* The last frames, within a bound: the exit statuses matter most. */
static void
flush_blocking(conn *c)
{
	if (c->fd < 0)
		return;
	double end = mosaic_mono_now() + FLUSH_SECONDS;
	while (mpiwire_pending(&c->out) && mosaic_mono_now() < end) {
		if (mpiwire_flush(c->fd, &c->out) != 0)
			return;
		if (mpiwire_pending(&c->out)) {
			struct pollfd pf = {.fd = c->fd, .events = POLLOUT};
			poll(&pf, 1, 100);
		}
	}
}

static int
setup(proxy *p)
{
	const proxy_config *c = p->cfg;
	char err[256];
	if (c->openmpi) {
		/* orted's session directory holds PMIx's shared job data and
		 * the ranks' shared-memory segments (vader's backing files):
		 * on tmpfs (/dev/shm, OpenMPI's own default for the segments)
		 * they are memory, on a disk file system every page written
		 * costs a block allocation. It also holds unix sockets: the
		 * path stays short (sun_path is 108 bytes), not in the deep
		 * sandbox. */
		const char *base = "/dev/shm";
		if (access(base, W_OK | X_OK) != 0) {
			base = getenv("TMPDIR");
			if (!base || !*base || strlen(base) > 40)
				base = "/tmp";
		}
		snprintf(p->tmpdir, sizeof(p->tmpdir), "%s/mmpi.XXXXXX", base);
		if (!mkdtemp(p->tmpdir)) {
			say("cannot make a directory in %s: %s", base, strerror(errno));
			p->tmpdir[0] = '\0';
			return -1;
		}
		p->lfd = mpiwire_listen(c->listen_host, c->listen_port, NULL, err, sizeof(err));
		if (p->lfd < 0) {
			say("%s", err);
			return -1;
		}
	}
	p->up.fd = mpiwire_connect(c->connect, c->connect_timeout, err, sizeof(err));
	if (p->up.fd < 0) {
		say("cannot reach mmpirun: %s", err);
		return -1;
	}
	set_nonblock(p->up.fd);
	mpiwire_put_hello(&p->up.out, c->place, c->token);
	mpiwire_flush(p->up.fd, &p->up.out);
	return 0;
}

static int
poll_once(proxy *p)
{
	size_t cap = 4 + 2 * p->nkids, n = 0;
	struct pollfd *pf = xcalloc(cap, sizeof(*pf));
	conn *d = dest(p);
	bool room = mpiwire_pending(&d->out) < OUT_HIGH || d->fd < 0;
	pf[n++] = (struct pollfd){.fd = p->sfd, .events = POLLIN};
	pf[n++] = (struct pollfd){.fd = p->up.fd,
	                          .events = (short)(POLLIN | (mpiwire_pending(&p->up.out) ? POLLOUT : 0))};
	pf[n++] = (struct pollfd){.fd = p->rsh.fd,
	                          .events = (short)(POLLIN | (mpiwire_pending(&p->rsh.out) ? POLLOUT : 0))};
	pf[n++] = (struct pollfd){.fd = p->lfd >= 0 && !p->started ? p->lfd : -1, .events = POLLIN};
	for (size_t i = 0; i < p->nkids; i++)
		for (int s = 0; s < 2; s++)
			pf[n++] = (struct pollfd){.fd = room ? p->kids[i].fd[s] : -1, .events = POLLIN};
	double now = mosaic_mono_now(), wake = now + 1;
	if (!p->started && p->start_deadline < wake)
		wake = p->start_deadline;
	if (p->aborting && !p->hard_killed && p->abort_at + p->cfg->kill_grace < wake)
		wake = p->abort_at + p->cfg->kill_grace;
	int ms = wake > now ? (int)((wake - now) * 1000) + 1 : 0;
	int r = poll(pf, (nfds_t)n, ms);
	if (r > 0) {
		if (pf[0].revents) {
			struct signalfd_siginfo si;
			while (read(p->sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap(p);
				else
					start_abort(p, strsignal((int)si.ssi_signo));
			}
		}
		if (pf[1].revents & POLLOUT)
			mpiwire_flush(p->up.fd, &p->up.out);
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR))
			on_up(p);
		if (pf[2].revents & POLLOUT)
			mpiwire_flush(p->rsh.fd, &p->rsh.out);
		if (pf[2].revents & (POLLIN | POLLHUP | POLLERR))
			on_rsh(p);
		if (pf[3].revents & POLLIN)
			on_accept(p);
		for (size_t i = 0, k = 4; i < p->nkids; i++)
			for (int s = 0; s < 2; s++, k++)
				if (k < n && pf[k].revents && p->kids[i].fd[s] == pf[k].fd)
					on_output(p, &p->kids[i], s);
	}
	free(pf);
	return r;
}

int
proxy_run(const proxy_config *cfg)
{
	proxy p = {.cfg = cfg, .up = {.fd = -1}, .rsh = {.fd = -1}, .lfd = -1, .sfd = -1};
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	p.sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	int rc = 1;
	if (p.sfd < 0 || setup(&p) != 0) {
		if (p.up.fd >= 0) {
			mpiwire_put_text(&p.up.out, MPIWIRE_ERROR,
			                 "the proxy could not start (see its stderr)");
			flush_blocking(&p.up);
		}
		goto out;
	}
	p.start_deadline = mosaic_mono_now() + cfg->start_timeout;
	for (;;) {
		poll_once(&p);
		double now = mosaic_mono_now();
		reap(&p);
		report(&p, now);
		if (!p.started && !p.aborting && now >= p.start_deadline) {
			char msg[160];
			snprintf(msg, sizeof(msg), "nothing to run after %.0f s (no %s came)",
			         cfg->start_timeout, cfg->openmpi ? "launch agent" : "GO from mmpirun");
			mpiwire_put_text(&p.up.out, MPIWIRE_ERROR, msg);
			start_abort(&p, msg);
		}
		if (p.aborting && !p.hard_killed && now >= p.abort_at + cfg->kill_grace) {
			p.hard_killed = true;
			kill_all(&p, SIGKILL);
		}
		bool idle = p.nkids == 0 && (p.aborting || (!cfg->openmpi && p.started));
		if ((p.started || p.aborting) && all_reported(&p) && (p.nkids || idle))
			break;
		if (p.aborting && p.hard_killed && now >= p.abort_at + cfg->kill_grace + DRAIN_SECONDS + 1)
			break; /* a child that SIGKILL did not end: nothing more to do */
	}
	rc = p.have_result ? p.result : p.aborting ? 128 + SIGTERM : 0;
	flush_blocking(dest(&p));
	if (dest(&p) != &p.up)
		flush_blocking(&p.up);
out:
	for (size_t i = 0; i < p.nkids; i++)
		for (int s = 0; s < 2; s++)
			if (p.kids[i].fd[s] >= 0)
				close(p.kids[i].fd[s]);
	free(p.kids);
	conn_close(&p.up);
	conn_close(&p.rsh);
	if (p.lfd >= 0)
		close(p.lfd);
	if (p.sfd >= 0)
		close(p.sfd);
	if (p.tmpdir[0])
		util_remove_tree(p.tmpdir);
	return rc;
}
