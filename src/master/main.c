/* mosaic-master - flags, logging, the loop and signals around
 * libmosaic-master. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "errors.h"
#include "log.h"
#include "loop.h"
#include "master.h"
#include "util.h"
#include "weights.h"

static const char usage[] =
    "Usage: mosaic-master [options]\n"
    "\n"
    "The Mosaic master: offers the cluster's resources to frameworks with\n"
    "hierarchical Dominant Resource Fairness.\n"
    "\n"
    "Options:\n"
    "  --listen URL               messenger address (default tcp://127.0.0.1:5050)\n"
    "  --http HOST:PORT           HTTP server for /api/state, /metrics, /health and the\n"
    "                             web UI (default 127.0.0.1:5080; \"none\" disables it)\n"
    "  --work-dir DIR             registry of agents, frameworks and weights\n"
    "                             (default ./mosaic-master-work)\n"
    "  --weights ROLE=W,...       role weights, e.g. batch=1,mpi=2 (kept in the registry;\n"
    "                             given here they override the stored ones)\n"
    "  --allocation-interval DUR  time between periodic allocation passes (default 1s)\n"
    "  --offer-timeout DUR        rescind offers not answered by then; 0 never (default 30s)\n"
    "  --ping-interval DUR        time between pings to each agent (default 1s)\n"
    "  --max-missed-pings N       an agent is unreachable after N unanswered pings (default 5)\n"
    "  --log-level LEVEL          error, warn, info or debug (default info)\n"
    "  --log-file PATH            append the log here instead of stderr\n"
    "  --webui-dir DIR            static files served at / (the web UI;\n"
    "                             default: <bin>/../share/mosaic/web if present)\n"
    "  -h, --help                 this text\n"
    "\n"
    "Durations: 1.5 (seconds), 250ms, 30s, 2m, 1h.\n"
    "SIGTERM or SIGINT stops the master cleanly.\n";

enum {
	OPT_LISTEN = 256,
	OPT_HTTP,
	OPT_WORK_DIR,
	OPT_WEIGHTS,
	OPT_ALLOCATION_INTERVAL,
	OPT_OFFER_TIMEOUT,
	OPT_PING_INTERVAL,
	OPT_MAX_MISSED_PINGS,
	OPT_LOG_LEVEL,
	OPT_LOG_FILE,
	OPT_WEBUI_DIR,
};

static const struct option options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"http", required_argument, NULL, OPT_HTTP},
    {"work-dir", required_argument, NULL, OPT_WORK_DIR},
    {"weights", required_argument, NULL, OPT_WEIGHTS},
    {"allocation-interval", required_argument, NULL, OPT_ALLOCATION_INTERVAL},
    {"offer-timeout", required_argument, NULL, OPT_OFFER_TIMEOUT},
    {"ping-interval", required_argument, NULL, OPT_PING_INTERVAL},
    {"max-missed-pings", required_argument, NULL, OPT_MAX_MISSED_PINGS},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"log-file", required_argument, NULL, OPT_LOG_FILE},
    {"webui-dir", required_argument, NULL, OPT_WEBUI_DIR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void __attribute__((noreturn, format(printf, 1, 2))) bad_flag(const char *fmt, ...)
{
	va_list ap;
	fputs("mosaic-master: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'mosaic-master --help'.\n", stderr);
	exit(2);
}

/* positive: the value must be > 0 (intervals); otherwise >= 0 allowed. */
static double
duration_flag(const char *flag, const char *text, bool positive)
{
	double v;
	if (util_parse_duration(text, &v) != 0)
		bad_flag("%s: '%s': not a duration (e.g. 1.5, 250ms, 30s, 2m)", flag, text);
	if (positive && v <= 0)
		bad_flag("%s: '%s': must be more than zero", flag, text);
	return v;
}

/* tcp://HOST:PORT, tls+tcp://HOST:PORT or ipc://PATH. */
static void
check_listen(const char *url)
{
	const char *rest = NULL;
	if (strncmp(url, "tcp://", 6) == 0)
		rest = url + 6;
	else if (strncmp(url, "tls+tcp://", 10) == 0)
		rest = url + 10;
	else if (strncmp(url, "ipc://", 6) == 0 && url[6])
		return;
	const char *colon = rest ? strrchr(rest, ':') : NULL;
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || colon == rest || !colon[1] || *end || port < 0 || port > 65535)
		bad_flag("--listen: '%s': expected tcp://HOST:PORT or ipc://PATH", url);
}

/* HOST:PORT or http://HOST:PORT. */
static void
check_http(const char *hostport)
{
	const char *rest = strncmp(hostport, "http://", 7) == 0 ? hostport + 7 : hostport;
	const char *colon = strrchr(rest, ':');
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || colon == rest || !colon[1] || *end || port < 0 || port > 65535 || strchr(rest, '/'))
		bad_flag("--http: '%s': expected HOST:PORT (or none)", hostport);
}

static void
on_signal(mosaic_loop *loop, int signo, void *arg)
{
	log_msg(LOG_INFO, "%s received; stopping", strsignal(signo));
	loop_stop(loop);
}

static bool
default_webui(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	struct stat st;
	snprintf(out, len, "%s/../share/mosaic/web", exe);
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode);
}

int
main(int argc, char **argv)
{
	master_config cfg;
	master_config_init(&cfg);
	weights w = {0};
	int level = LOG_INFO;
	const char *log_file = NULL;
	char err[512];
	int opt;
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			check_listen(optarg);
			cfg.listen = optarg;
			break;
		case OPT_HTTP:
			if (strcmp(optarg, "none") != 0)
				check_http(optarg);
			cfg.http = strcmp(optarg, "none") == 0 ? NULL : optarg;
			break;
		case OPT_WORK_DIR:
			if (!*optarg)
				bad_flag("--work-dir: must not be empty");
			cfg.work_dir = optarg;
			break;
		case OPT_WEIGHTS:
			weights_fini(&w);
			if (weights_parse(&w, optarg, err, sizeof(err)) != 0)
				bad_flag("--weights: %s", err);
			break;
		case OPT_ALLOCATION_INTERVAL:
			cfg.allocation_interval = duration_flag("--allocation-interval", optarg, true);
			break;
		case OPT_OFFER_TIMEOUT:
			cfg.offer_timeout = duration_flag("--offer-timeout", optarg, false);
			break;
		case OPT_PING_INTERVAL:
			cfg.ping_interval = duration_flag("--ping-interval", optarg, true);
			break;
		case OPT_MAX_MISSED_PINGS: {
			char *end;
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (end == optarg || *end || errno || n < 1 || n > 1000)
				bad_flag("--max-missed-pings: '%s': must be a whole number from 1 to 1000",
				         optarg);
			cfg.max_missed_pings = (unsigned)n;
			break;
		}
		case OPT_LOG_LEVEL:
			if ((level = log_level_parse(optarg)) < 0)
				bad_flag("--log-level: '%s': must be error, warn, info or debug", optarg);
			break;
		case OPT_LOG_FILE: log_file = optarg; break;
		case OPT_WEBUI_DIR: cfg.webui_dir = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc)
		bad_flag("unexpected argument '%s'", argv[optind]);
	cfg.weights = &w;
	/* By default the UI installed beside the program: <bin>/../share/mosaic/web. */
	char webui[PATH_MAX];
	if (!cfg.webui_dir && default_webui(webui, sizeof(webui)))
		cfg.webui_dir = webui;
	if (log_init("master", level, log_file) != 0) {
		fprintf(stderr, "mosaic-master: --log-file: cannot open %s: %s\n", log_file, strerror(errno));
		return 2;
	}

	/* Signals go through the loop's signalfd: set them up before any
	 * thread (nng's) starts, so every thread inherits the mask. */
	signal(SIGPIPE, SIG_IGN);
	mosaic_loop *loop;
	if (loop_new(&loop) != 0) {
		fprintf(stderr, "mosaic-master: cannot create the event loop\n");
		return 1;
	}
	loop_signal_add(loop, SIGTERM, on_signal, NULL);
	loop_signal_add(loop, SIGINT, on_signal, NULL);

	master *m;
	int rv = master_new(&m, loop, &cfg, err, sizeof(err));
	weights_fini(&w);
	if (rv != 0) {
		log_msg(LOG_ERROR, "%s", err);
		fprintf(stderr, "mosaic-master: %s\n", err);
		loop_free(loop);
		return 1;
	}
	if ((rv = master_start(m, err, sizeof(err))) != 0) {
		log_msg(LOG_ERROR, "%s", err);
		fprintf(stderr, "mosaic-master: %s\n", err);
		master_free(m);
		loop_free(loop);
		return 1;
	}
	loop_run(loop);
	master_free(m);
	loop_free(loop);
	log_msg(LOG_INFO, "stopped");
	return 0;
}
