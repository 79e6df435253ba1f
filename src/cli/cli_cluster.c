/* cli_cluster.c - `mosaic cluster up|down`: a whole cluster on this
 * machine for trying Mosaic and for tests. `up` starts mosaic-master and N
 * mosaic-agents, each in its own session with its log and pid file in DIR,
 * and returns once every agent is registered. `down` stops them (agents
 * with SIGUSR1, so they kill their tasks and executors first) and then
 * kills whatever of the cluster is left, so nothing stays behind. */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_cluster.h"
#include "cli_proc.h"
#include "cli_split.h"
#include "cli_state.h"
#include "errors.h"
#include "loop.h"
#include "mem.h"
#include "util.h"

static void
sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	nanosleep(&ts, NULL);
}

/* ---- finding the daemons ---- */

/* Beside this program first (an installed or built tree keeps them
 * together), then on PATH. */
int
cli_cluster_find_program(const char *name, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		snprintf(out, len, "%s/%s", dirname(self), name);
		if (access(out, X_OK) == 0)
			return MOSAIC_OK;
	}
	const char *path = getenv("PATH");
	if (!path)
		return MOSAIC_ENOENT;
	char *copy = xstrdup(path), *save = NULL;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", *d ? d : ".", name);
		if (access(out, X_OK) == 0) {
			free(copy);
			return MOSAIC_OK;
		}
	}
	free(copy);
	return MOSAIC_ENOENT;
}

/* The last lines of a log, indented, so an error shows its cause. */
static void
print_log_tail(const char *path, int lines)
{
	char *data;
	size_t len;
	if (util_read_file(path, 1u << 24, &data, &len) != 0)
		return;
	size_t start = len;
	int seen = 0;
	while (start > 0) {
		if (data[start - 1] == '\n' && start != len && ++seen == lines)
			break;
		start--;
	}
	for (char *line = strtok(data + start, "\n"); line; line = strtok(NULL, "\n"))
		fprintf(stderr, "    %s\n", line);
	free(data);
}

/* ---- up ---- */

enum {
	U_AGENTS,
	U_DIR,
	U_AGENT_RES,
	U_WEIGHTS,
	U_MASTER_PORT,
	U_HTTP_PORT,
	U_TIMEOUT,
	U_NO_BATCH,
	U_BATCH_PORT,
	U_AGENT_ARG,
	U_BATCH_ARG,
	U_HELP
};

#define MAX_PASSED_ARGS 16

static const cli_opt up_opts[] = {
    {"agents", 'n', true, U_AGENTS},
    {"dir", 0, true, U_DIR},
    {"agent-resources", 0, true, U_AGENT_RES},
    {"weights", 0, true, U_WEIGHTS},
    {"master-port", 0, true, U_MASTER_PORT},
    {"http-port", 0, true, U_HTTP_PORT},
    {"timeout", 0, true, U_TIMEOUT},
    {"no-batch", 0, false, U_NO_BATCH},
    {"batch-port", 0, true, U_BATCH_PORT},
    {"agent-arg", 0, true, U_AGENT_ARG},
    {"batch-arg", 0, true, U_BATCH_ARG},
    {"help", 'h', false, U_HELP},
    {NULL, 0, false, 0},
};

static void
up_usage(void)
{
	char dir[256];
	printf("usage: mosaic cluster up [options]\n\n"
	       "Start a local cluster: mosaic-master and N mosaic-agents sharing this machine,\n"
	       "each in its own session, logs and pid files in DIR. Returns once every agent\n"
	       "is registered.\n\n"
	       "  -n, --agents N           number of agents (default 3, at most %d)\n"
	       "  --dir DIR                state, logs and pids (default %s)\n"
	       "  --agent-resources SPEC   each agent's resources, e.g. 'cpus:2;mem:1024' (default:\n"
	       "                           the machine split: cpus max(2, cpus/N), 80%% of memory/N,\n"
	       "                           free disk/N; ports from 31000 up, min(1000, 1768/N) each)\n"
	       "  --weights W              role weights for the master, e.g. 'batch=1,mpi=2'\n"
	       "  --master-port P          the master's port on 127.0.0.1 (default 5050)\n"
	       "  --http-port P            the master's HTTP port on 127.0.0.1 (default 5080)\n"
	       "  --timeout T              how long to wait for the agents (default 30s)\n"
	       "  --no-batch               do not start mbatchd, the batch queue\n"
	       "  --batch-port P           mbatchd's port on 127.0.0.1 (default: the master's + 1010,\n"
	       "                           6060 by default, where `mbatch` looks for it)\n"
	       "  --agent-arg ARG          one more argument for every agent, e.g.\n"
	       "                           --agent-arg='--topology=pack:2 numa:1 core:8 pu:2' (repeatable)\n"
	       "  --batch-arg ARG          one more argument for mbatchd, e.g. --batch-arg=--max-jobs=100\n"
	       "  -h, --help               this help\n",
	       CLI_SPLIT_MAX_AGENTS, cli_default_dir(dir, sizeof(dir)));
}

static int
parse_port(const char *val, int *out)
{
	char *end;
	long v = strtol(val, &end, 10);
	if (end == val || *end || v < 1 || v > 65535)
		return MOSAIC_EINVAL;
	*out = (int)v;
	return MOSAIC_OK;
}

/* Whether something listens on 127.0.0.1:port already. */
static bool
port_busy(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	bool busy = bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno == EADDRINUSE;
	close(fd);
	return busy;
}

static double
mem_total_mib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	if (!f)
		return 0;
	char line[256];
	double kib = 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lf kB", &kib) == 1)
			break;
	fclose(f);
	return kib / 1024;
}

static double
disk_free_mib(const char *dir)
{
	struct statvfs sv;
	if (statvfs(dir, &sv) != 0)
		return 0;
	return (double)sv.f_bavail * (double)sv.f_frsize / 1048576.0;
}

typedef struct daemon_proc {
	char name[32]; /* "master", "agent1" ... */
	pid_t pid;
	char log[CLI_CLUSTER_PATH];
	mosaic_resources res;
} daemon_proc;

/* A daemon of ours that has exited: reaped, named, its log shown. */
static bool
exited(daemon_proc *d)
{
	int st;
	if (d->pid <= 0 || waitpid(d->pid, &st, WNOHANG) != d->pid)
		return false;
	if (WIFEXITED(st))
		fprintf(stderr, "mosaic cluster up: %s exited with status %d; the end of %s:\n", d->name,
		        WEXITSTATUS(st), d->log);
	else
		fprintf(stderr, "mosaic cluster up: %s was killed by signal %d; the end of %s:\n", d->name,
		        WTERMSIG(st), d->log);
	print_log_tail(d->log, 8);
	d->pid = 0;
	return true;
}

/* After a failed start: stop what was started, leave the logs. */
static void
abort_up(const char *dir, daemon_proc *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i].pid > 0)
			kill(d[i].pid, i == 0 ? SIGTERM : SIGUSR1);
	double end = mosaic_mono_now() + 5;
	for (size_t i = 0; i < n; i++) {
		while (d[i].pid > 0 && waitpid(d[i].pid, NULL, WNOHANG) == 0 && mosaic_mono_now() < end)
			sleep_s(0.05);
		if (d[i].pid > 0 && cli_proc_alive(d[i].pid)) {
			kill(d[i].pid, SIGKILL);
			waitpid(d[i].pid, NULL, 0);
		}
	}
	/* Executors and tasks of the agents, should any have started. */
	cli_cluster_stop_all(dir, true);
}

/* A cluster from dir still running: its pid files name live daemons. */
static bool
already_running(const char *dir)
{
	char pattern[CLI_CLUSTER_PATH];
	snprintf(pattern, sizeof(pattern), "%s/*.pid", dir);
	glob_t g;
	bool running = false;
	if (glob(pattern, 0, NULL, &g) != 0)
		return false;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		pid_t pid;
		if (cli_proc_read_pidfile(g.gl_pathv[i], &pid) == 0 && cli_proc_alive(pid) &&
		    (cli_proc_is(pid, "mosaic-master") || cli_proc_is(pid, "mosaic-agent") ||
		     cli_proc_is(pid, "mbatchd"))) {
			if (!running)
				fprintf(stderr,
				        "mosaic cluster up: a cluster from %s is already running:", dir);
			fprintf(stderr, " %s (pid %d)", basename(g.gl_pathv[i]), (int)pid);
			running = true;
		} else {
			unlink(g.gl_pathv[i]); /* stale */
		}
	}
	globfree(&g);
	if (running)
		fprintf(stderr, "\n  stop it first: mosaic cluster down --dir %s\n", dir);
	return running;
}

static int
wait_master(const char *master, daemon_proc *m, double seconds)
{
	double end = mosaic_mono_now() + seconds;
	while (mosaic_mono_now() < end) {
		if (exited(m))
			return MOSAIC_EIO;
		cli_state *st;
		char err[256];
		if (cli_state_fetch(&st, master, false, 0.5, err, sizeof(err)) == 0) {
			cli_state_free(st);
			return MOSAIC_OK;
		}
	}
	fprintf(stderr, "mosaic cluster up: the master did not answer at %s within %.0f s; see %s\n", master,
	        seconds, m->log);
	return MOSAIC_ETIMEDOUT;
}

static int
wait_agents(const char *master, daemon_proc *d, size_t n, double seconds)
{
	double end = mosaic_mono_now() + seconds;
	bool *ok = xcalloc(n, sizeof(bool));
	int rv = MOSAIC_ETIMEDOUT;
	while (rv == MOSAIC_ETIMEDOUT && mosaic_mono_now() < end) {
		for (size_t i = 0; i < n; i++)
			if (exited(&d[i])) {
				rv = MOSAIC_EIO;
				break;
			}
		if (rv != MOSAIC_ETIMEDOUT)
			break;
		cli_state *st;
		char err[256];
		if (cli_state_fetch(&st, master, false, 1.0, err, sizeof(err)) == 0) {
			size_t registered = 0;
			for (size_t i = 0; i < n; i++) {
				ok[i] = false;
				for (size_t k = 0; k < st->nagents; k++)
					if (st->agents[k].active &&
					    strcmp(st->agents[k].hostname, d[i].name) == 0)
						ok[i] = true;
				registered += ok[i];
			}
			cli_state_free(st);
			if (registered == n) {
				rv = MOSAIC_OK;
				break;
			}
		}
		sleep_s(0.2);
	}
	if (rv == MOSAIC_ETIMEDOUT) {
		fprintf(stderr, "mosaic cluster up: not every agent registered within %.0f s:\n", seconds);
		for (size_t i = 0; i < n; i++)
			if (!ok[i]) {
				fprintf(stderr, "  %s is not registered; the end of %s:\n", d[i].name,
				        d[i].log);
				print_log_tail(d[i].log, 5);
			}
	}
	free(ok);
	return rv;
}

static int
start_daemon(daemon_proc *d, const char *dir, char *const *argv)
{
	char err[512], pidfile[CLI_CLUSTER_PATH];
	if (cli_proc_spawn(&d->pid, argv, d->log, err, sizeof(err)) != 0) {
		fprintf(stderr, "mosaic cluster up: %s\n", err);
		d->pid = 0;
		return MOSAIC_EIO;
	}
	snprintf(pidfile, sizeof(pidfile), "%s/%s.pid", dir, d->name);
	if (cli_proc_write_pidfile(pidfile, d->pid) != 0) {
		fprintf(stderr, "mosaic cluster up: cannot write %s: %s\n", pidfile, strerror(errno));
		return MOSAIC_EIO;
	}
	return MOSAIC_OK;
}

/* mbatchd's port: the master's + 1010 (5050 -> 6060), or - 1010 past
 * 65535. The same rule as src/frameworks/batch/batchaddr.c, which `mbatch`
 * follows to find it with no flags (the CLI may not include framework
 * code, hence the copy). */
static int
batch_port_for(int master_port)
{
	return master_port + 1010 <= 65535 ? master_port + 1010 : master_port - 1010;
}

/* Started after the agents: it subscribes as a framework and takes jobs
 * once it listens. */
static int
start_batch(const char *dir, const char *master, int port, char *const *extra, size_t nextra, daemon_proc *b)
{
	char bin[PATH_MAX], listen[64], state[CLI_CLUSTER_PATH];
	if (cli_cluster_find_program("mbatchd", bin, sizeof(bin)) != 0) {
		fprintf(stderr,
		        "mosaic cluster up: mbatchd is not beside this program or on PATH; the batch queue "
		        "is not started (--no-batch to say so)\n");
		return MOSAIC_ENOENT;
	}
	snprintf(listen, sizeof(listen), "tcp://127.0.0.1:%d", port);
	snprintf(state, sizeof(state), "%s/mbatchd", dir);
	snprintf(b->name, sizeof(b->name), "mbatchd");
	snprintf(b->log, sizeof(b->log), "%s/mbatchd.log", dir);
	char *argv[10 + MAX_PASSED_ARGS] = {bin,    "--master",    (char *)master, "--listen",
	                                    listen, "--state-dir", state};
	size_t n = 7;
	for (size_t i = 0; i < nextra; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	int rv = start_daemon(b, dir, argv);
	double end = mosaic_mono_now() + 10;
	while (rv == 0 && !port_busy(port)) {
		if (exited(b))
			return MOSAIC_EIO;
		if (mosaic_mono_now() > end) {
			fprintf(stderr,
			        "mosaic cluster up: mbatchd does not listen on %s after 10 s; see %s\n",
			        listen, b->log);
			return MOSAIC_ETIMEDOUT;
		}
		sleep_s(0.05);
	}
	return rv;
}

static int
cluster_up(int argc, char **argv)
{
	const char *cmd = "cluster up";
	long nagents = 3;
	int master_port = 5050, http_port = 5080, batch_port = 0;
	bool batch = true;
	char *agent_args[MAX_PASSED_ARGS], *batch_args[MAX_PASSED_ARGS];
	size_t nagent_args = 0, nbatch_args = 0;
	double timeout = 30;
	const char *dir_flag = NULL, *agent_res = NULL, *weights = NULL;
	cli_args a;
	cli_args_init(&a, argc, argv);
	const char *val;
	int id;
	char msg[512];
	while ((id = cli_args_next(&a, up_opts, &val)) >= 0) {
		char *end;
		switch (id) {
		case U_AGENTS:
			nagents = strtol(val, &end, 10);
			if (end == val || *end || nagents < 1 || nagents > CLI_SPLIT_MAX_AGENTS) {
				snprintf(msg, sizeof(msg), "--agents wants 1 to %d, not '%s'",
				         CLI_SPLIT_MAX_AGENTS, val);
				return cli_args_fail(cmd, msg);
			}
			break;
		case U_DIR: dir_flag = val; break;
		case U_AGENT_RES: agent_res = val; break;
		case U_WEIGHTS: weights = val; break;
		case U_MASTER_PORT:
		case U_HTTP_PORT:
			if (parse_port(val, id == U_MASTER_PORT ? &master_port : &http_port) != 0) {
				snprintf(msg, sizeof(msg), "--%s wants a port number, not '%s'",
				         id == U_MASTER_PORT ? "master-port" : "http-port", val);
				return cli_args_fail(cmd, msg);
			}
			break;
		case U_TIMEOUT:
			if (util_parse_duration(val, &timeout) != 0 || timeout <= 0) {
				snprintf(msg, sizeof(msg), "--timeout wants a duration like 30s, not '%s'",
				         val);
				return cli_args_fail(cmd, msg);
			}
			break;
		case U_NO_BATCH: batch = false; break;
		case U_BATCH_PORT:
			if (parse_port(val, &batch_port) != 0) {
				snprintf(msg, sizeof(msg), "--batch-port wants a port number, not '%s'", val);
				return cli_args_fail(cmd, msg);
			}
			break;
		case U_AGENT_ARG:
		case U_BATCH_ARG:
			if ((id == U_AGENT_ARG ? nagent_args : nbatch_args) == MAX_PASSED_ARGS) {
				snprintf(msg, sizeof(msg), "at most %d --agent-arg and %d --batch-arg",
				         MAX_PASSED_ARGS, MAX_PASSED_ARGS);
				return cli_args_fail(cmd, msg);
			}
			if (id == U_AGENT_ARG)
				agent_args[nagent_args++] = (char *)val;
			else
				batch_args[nbatch_args++] = (char *)val;
			break;
		case U_HELP: up_usage(); return CLI_EXIT_OK;
		}
	}
	if (id == CLI_ARGS_ERROR)
		return cli_args_fail(cmd, a.err);
	int rv = cli_args_no_positionals(&a, cmd);
	if (rv != 0)
		return rv;
	if (master_port == http_port)
		return cli_args_fail(cmd, "--master-port and --http-port must differ");
	if (!batch_port)
		batch_port = batch_port_for(master_port);
	if (batch && (batch_port == master_port || batch_port == http_port))
		return cli_args_fail(cmd,
		                     "mbatchd's port must differ from the master's ports (--batch-port)");

	/* d[0] the master, d[1..nagents] the agents, d[nagents + 1] mbatchd. */
	daemon_proc *d = xcalloc((size_t)nagents + 2, sizeof(*d));
	for (long i = 0; i < nagents; i++) {
		char err[256];
		if (agent_res &&
		    cli_split_given(&d[i + 1].res, agent_res, (unsigned)i, (unsigned)nagents, err, sizeof(err)) != 0) {
			snprintf(msg, sizeof(msg), "--agent-resources: %s", err);
			free(d);
			return cli_args_fail(cmd, msg);
		}
	}

	char dirbuf[PATH_MAX], dir[PATH_MAX];
	if (!dir_flag)
		dir_flag = cli_default_dir(dirbuf, sizeof(dirbuf));
	if (util_mkdir_p(dir_flag) != 0 || !realpath(dir_flag, dir)) {
		fprintf(stderr, "mosaic cluster up: cannot create %s: %s\n", dir_flag, strerror(errno));
		free(d);
		return CLI_EXIT_FAIL;
	}
	if (already_running(dir)) {
		free(d);
		return CLI_EXIT_FAIL;
	}
	int busy = port_busy(master_port)           ? master_port
	           : port_busy(http_port)           ? http_port
	           : batch && port_busy(batch_port) ? batch_port
	                                            : 0;
	if (busy) {
		fprintf(
		    stderr,
		    "mosaic cluster up: port %d on 127.0.0.1 is in use (another cluster?); choose another "
		    "with --%s\n",
		    busy,
		    busy == master_port ? "master-port"
		    : busy == http_port ? "http-port"
		                        : "batch-port");
		free(d);
		return CLI_EXIT_FAIL;
	}
	char master_bin[PATH_MAX], agent_bin[PATH_MAX];
	if (cli_cluster_find_program("mosaic-master", master_bin, sizeof(master_bin)) != 0 ||
	    cli_cluster_find_program("mosaic-agent", agent_bin, sizeof(agent_bin)) != 0) {
		fprintf(stderr,
		        "mosaic cluster up: cannot find mosaic-master and mosaic-agent beside this program "
		        "or on PATH\n");
		free(d);
		return CLI_EXIT_FAIL;
	}

	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	double mem = mem_total_mib(), disk = disk_free_mib(dir);
	for (long i = 0; i < nagents; i++)
		if (!agent_res)
			cli_split_agent(&d[i + 1].res, (unsigned)i, (unsigned)nagents, cpus, mem, disk);

	char master[64], http[64], workdir[CLI_CLUSTER_PATH];
	snprintf(master, sizeof(master), "tcp://127.0.0.1:%d", master_port);
	snprintf(http, sizeof(http), "127.0.0.1:%d", http_port);
	snprintf(d[0].name, sizeof(d[0].name), "master");
	snprintf(d[0].log, sizeof(d[0].log), "%s/master.log", dir);
	snprintf(workdir, sizeof(workdir), "%s/master", dir);
	util_mkdir_p(workdir);
	char *margv[] = {master_bin, "--work-dir", workdir, "--listen", master,
	                 "--http",   http,         NULL,    NULL,       NULL};
	if (weights) {
		margv[7] = "--weights";
		margv[8] = (char *)weights;
	}
	size_t started = 0;
	rv = start_daemon(&d[0], dir, margv);
	if (rv == 0) {
		started = 1;
		rv = wait_master(master, &d[0], 10);
	}
	for (long i = 0; rv == 0 && i < nagents; i++) {
		daemon_proc *ag = &d[i + 1];
		char res[512];
		snprintf(ag->name, sizeof(ag->name), "agent%ld", i + 1);
		snprintf(ag->log, sizeof(ag->log), "%s/%s.log", dir, ag->name);
		snprintf(workdir, sizeof(workdir), "%s/%s", dir, ag->name);
		util_mkdir_p(workdir);
		res_format(&ag->res, res, sizeof(res));
		char *aargv[10 + MAX_PASSED_ARGS] = {agent_bin,    "--master",    master,
		                                     "--work-dir", workdir,       "--hostname",
		                                     ag->name,     "--resources", res};
		for (size_t k = 0; k < nagent_args; k++)
			aargv[9 + k] = agent_args[k];
		aargv[9 + nagent_args] = NULL;
		rv = start_daemon(ag, dir, aargv);
		if (rv == 0)
			started++;
	}
	if (rv == 0)
		rv = wait_agents(master, d + 1, (size_t)nagents, timeout);
	daemon_proc *b = &d[nagents + 1];
	if (rv == 0 && batch) {
		rv = start_batch(dir, master, batch_port, batch_args, nbatch_args, b);
		if (b->pid > 0)
			started++;
	}
	if (rv != 0) {
		fprintf(stderr, "mosaic cluster up: stopping what was started; logs stay in %s\n", dir);
		abort_up(dir, d, started);
		free(d);
		return CLI_EXIT_FAIL;
	}
	printf("master   %s (http://%s), pid %d\n", master, http, (int)d[0].pid);
	for (long i = 1; i <= nagents; i++) {
		char res[512];
		printf("%-8s %s, pid %d\n", d[i].name, res_format(&d[i].res, res, sizeof(res)),
		       (int)d[i].pid);
	}
	if (batch)
		printf("mbatchd  tcp://127.0.0.1:%d, pid %d, jobs in %s/mbatchd\n", batch_port, (int)b->pid,
		       dir);
	printf("%ld agent%s registered; logs and pids in %s\n", nagents, nagents == 1 ? "" : "s", dir);
	if (strcmp(master, CLI_DEFAULT_MASTER) != 0)
		printf("export MOSAIC_MASTER=%s\n", master);
	if (batch && batch_port != batch_port_for(master_port))
		printf("export MBATCH_ADDRESS=tcp://127.0.0.1:%d\n", batch_port);
	printf("stop it with: mosaic cluster down --dir %s\n", dir);
	free(d);
	return CLI_EXIT_OK;
}

/* ---- the dispatcher ---- */

int
cli_cluster_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		FILE *out = argc < 2 ? stderr : stdout;
		fprintf(out, "usage: mosaic cluster up [options]    start a local cluster\n"
		             "       mosaic cluster down [--dir DIR] stop it, leaving no process behind\n"
		             "'mosaic cluster up --help' tells more.\n");
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "up") == 0)
		return cluster_up(argc - 1, argv + 1);
	if (strcmp(argv[1], "down") == 0)
		return cli_cluster_down(argc - 1, argv + 1);
	fprintf(stderr, "mosaic cluster: unknown subcommand '%s' (up or down)\n", argv[1]);
	return CLI_EXIT_USAGE;
}
