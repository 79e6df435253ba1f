/* mosaic-executor: started by mosaic-agent (never by hand), one per
 * framework per agent. Parses its flags and runs the executor library
 * (executor.h). Exit status: 0 after a clean shutdown, 1 when it could not
 * start or left tasks behind, 2 for bad flags. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "executor.h"
#include "log.h"
#include "loop.h"
#include "util.h"

static void
usage(FILE *out)
{
	fprintf(out, "usage: mosaic-executor --agent URL --framework-id ID --executor-id ID --address URL\n"
	             "         --work-dir DIR --hostname NAME [--recovery-timeout 120s] [--agent-pid PID]\n"
	             "         [--isolation cgroup2|cgroup1|rlimit] [--log-file PATH] [--log-level LEVEL]\n"
	             "         [--sandbox-layout N]  (tests of upgrades: announce layout N, 0 none)\n"
	             "(started by mosaic-agent)\n");
}

static int
set(char *dst, size_t cap, const char *flag, const char *val)
{
	if (!*val || strlen(val) >= cap) {
		fprintf(stderr, "mosaic-executor: %s: empty or too long\n", flag);
		return -1;
	}
	memcpy(dst, val, strlen(val) + 1);
	return 0;
}

/* A whole number from 0 to INT_MAX; -1 for anything else. */
static int
number(const char *val, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < 0 || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

static int
parse(executor_config *cfg, char *log_file, size_t log_cap, int *level, int argc, char **argv)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->recovery_timeout = 120;
	cfg->sandbox_layout = -1;
	cfg->agent_pid = getppid();
	*level = LOG_INFO;
	for (int i = 1; i < argc; i++) {
		const char *flag = argv[i];
		if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "mosaic-executor: %s needs a value\n", flag);
			return -1;
		}
		const char *val = argv[++i];
		int rv = 0;
		if (strcmp(flag, "--agent") == 0)
			rv = set(cfg->agent, sizeof(cfg->agent), flag, val);
		else if (strcmp(flag, "--framework-id") == 0)
			rv = set(cfg->framework_id, sizeof(cfg->framework_id), flag, val);
		else if (strcmp(flag, "--executor-id") == 0)
			rv = set(cfg->executor_id, sizeof(cfg->executor_id), flag, val);
		else if (strcmp(flag, "--address") == 0)
			rv = set(cfg->address, sizeof(cfg->address), flag, val);
		else if (strcmp(flag, "--work-dir") == 0)
			rv = set(cfg->work_dir, sizeof(cfg->work_dir), flag, val);
		else if (strcmp(flag, "--hostname") == 0)
			rv = set(cfg->hostname, sizeof(cfg->hostname), flag, val);
		else if (strcmp(flag, "--isolation") == 0)
			rv = set(cfg->isolation, sizeof(cfg->isolation), flag, val);
		else if (strcmp(flag, "--log-file") == 0)
			rv = set(log_file, log_cap, flag, val);
		else if (strcmp(flag, "--recovery-timeout") == 0)
			rv = util_parse_duration(val, &cfg->recovery_timeout) ? -1 : 0;
		else if (strcmp(flag, "--sandbox-layout") == 0)
			rv = number(val, &cfg->sandbox_layout);
		else if (strcmp(flag, "--agent-pid") == 0) {
			int pid = 0;
			rv = number(val, &pid);
			cfg->agent_pid = (pid_t)pid;
		} else if (strcmp(flag, "--log-level") == 0)
			rv = (*level = log_level_parse(val)) < 0 ? -1 : 0;
		else
			rv = -1;
		if (rv) {
			fprintf(stderr, "mosaic-executor: bad flag %s %s\n", flag, val);
			return -1;
		}
	}
	if (!cfg->agent[0] || !cfg->address[0] || !cfg->work_dir[0] || !cfg->hostname[0] ||
	    !id_valid(cfg->framework_id) || !id_valid(cfg->executor_id) || strchr(cfg->hostname, '/')) {
		fprintf(stderr, "mosaic-executor: --agent, --address, --work-dir, --hostname and valid "
		                "--framework-id and --executor-id are required\n");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static executor_config cfg;
	static char log_file[4096];
	int level;
	if (parse(&cfg, log_file, sizeof(log_file), &level, argc, argv) != 0) {
		usage(stderr);
		return 2;
	}
	if (log_init("executor", level, log_file[0] ? log_file : NULL) != 0)
		fprintf(stderr, "mosaic-executor: cannot open %s; logging to stderr\n", log_file);
	/* SIGPIPE keeps its default: tasks inherit it (nng sends with
	 * MSG_NOSIGNAL and needs no help). */
	cfg.handle_signals = true;
	mosaic_loop *loop;
	if (loop_new(&loop) != 0)
		return 1;
	executor *e;
	char err[512] = "";
	if (executor_new(&e, loop, &cfg, err, sizeof(err)) != 0) {
		LOGE("cannot start: %s", err);
		loop_free(loop);
		return 1;
	}
	loop_run(loop);
	int code = executor_exit_code(e);
	executor_free(e);
	loop_free(loop);
	return code;
}
