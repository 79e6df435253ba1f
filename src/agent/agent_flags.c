/* agent_flags.c - mosaic-agent's flags: defaults, parsing, validation. */
#include "agent_flags.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "util.h"

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
agent_config_init(agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->master, sizeof(cfg->master), "tcp://127.0.0.1:5050");
	snprintf(cfg->listen, sizeof(cfg->listen), "tcp://127.0.0.1:0");
	snprintf(cfg->http, sizeof(cfg->http), "127.0.0.1:0");
	snprintf(cfg->work_dir, sizeof(cfg->work_dir), "./mosaic-agent-work");
	cfg->log_level = LOG_INFO;
	cfg->recovery_timeout = 120;
	cfg->executor_register_timeout = 30;
	cfg->reconnect_timeout = 10;
	cfg->executor_idle_timeout = 60;
	cfg->gc_delay = 7 * 86400; /* Mesos' default: a week */
	cfg->gc_disk_headroom = 0.1;
}

void
agent_flags_usage(FILE *out)
{
	fprintf(out,
	        "usage: mosaic-agent [flags]\n"
	        "  --master URL          master address (env MOSAIC_MASTER; default tcp://127.0.0.1:5050)\n"
	        "  --listen URL          this agent's address (default tcp://127.0.0.1:0)\n"
	        "  --http HOST:PORT      sandbox file server (default 127.0.0.1:0)\n"
	        "  --work-dir DIR        checkpoint, sandboxes, executors (default ./mosaic-agent-work)\n"
	        "  --hostname NAME       the agent's name (default: this machine's)\n"
	        "  --resources SPEC      e.g. 'cpus:4;mem:2048;disk:10000;ports:[31000-32000]' (default: "
	        "discovered)\n"
	        "  --attributes SPEC     e.g. 'rack:r1;zone:a'\n"
	        "  --topology DESC       synthetic hwloc topology, e.g. 'pack:2 numa:1 core:8 pu:2'\n"
	        "  --executor PATH       mosaic-executor binary (default: beside mosaic-agent)\n"
	        "  --recovery-timeout D  how long executors wait for a restarted agent (default 120s)\n"
	        "  --executor-idle-timeout D  shut down a framework's executor after it ran no task\n"
	        "                        this long (default 60s)\n"
	        "  --gc-delay D          remove an ended task's sandbox after D (default 7d; sooner\n"
	        "                        as the disk fills: D * max(0, 1 - headroom - used))\n"
	        "  --gc-disk-headroom F  the disk fraction kept free, 0 to 1 (default 0.1)\n"
	        "  --log-level LEVEL     error, warn, info, debug (default info)\n"
	        "  --log-file PATH       log here instead of stderr\n");
}

int
agent_flags_hostname_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 253 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
			return 0;
	return 1;
}

static int
attr_name_valid(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

int
agent_flags_attributes(const char *text, agent_attr *attrs, size_t max, size_t *n, char *err, size_t errlen)
{
	size_t count = 0;
	const char *p = text;
	while (*p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!*p)
			break;
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		if (!colon) {
			seterr(err, errlen, "expected name:value, got '%.*s'", (int)len, p);
			return MOSAIC_EINVAL;
		}
		size_t nlen = (size_t)(colon - p), vlen = len - nlen - 1;
		/* Spaces around a part are layout, not content. */
		while (nlen && p[nlen - 1] == ' ')
			nlen--;
		const char *v = colon + 1;
		while (vlen && *v == ' ') {
			v++;
			vlen--;
		}
		while (vlen && v[vlen - 1] == ' ')
			vlen--;
		if (!attr_name_valid(p, nlen)) {
			seterr(err, errlen, "bad attribute name '%.*s' (1-63 of A-Z a-z 0-9 . _ -)",
			       (int)nlen, p);
			return MOSAIC_EINVAL;
		}
		if (vlen == 0 || vlen > 127) {
			seterr(err, errlen, "attribute '%.*s' needs a value of 1-127 characters", (int)nlen,
			       p);
			return MOSAIC_EINVAL;
		}
		for (size_t i = 0; i < vlen; i++) {
			if (!isprint((unsigned char)v[i])) {
				seterr(err, errlen, "attribute '%.*s' has a non-printable value", (int)nlen,
				       p);
				return MOSAIC_EINVAL;
			}
		}
		for (size_t i = 0; i < count; i++) {
			if (strlen(attrs[i].name) == nlen && strncmp(attrs[i].name, p, nlen) == 0) {
				seterr(err, errlen, "attribute '%.*s' given twice", (int)nlen, p);
				return MOSAIC_EINVAL;
			}
		}
		if (count == max) {
			seterr(err, errlen, "more than %zu attributes", max);
			return MOSAIC_EINVAL;
		}
		snprintf(attrs[count].name, sizeof(attrs[count].name), "%.*s", (int)nlen, p);
		snprintf(attrs[count].value, sizeof(attrs[count].value), "%.*s", (int)vlen, v);
		count++;
		p += len;
	}
	*n = count;
	return MOSAIC_OK;
}

int
agent_flags_resources(const char *text, mosaic_resources *out, unsigned *given, char *err, size_t errlen)
{
	int rv = res_parse(out, text, err, errlen);
	if (rv)
		return rv;
	static const struct {
		const char *name;
		unsigned bit;
	} names[] = {{"cpus", AGENT_RES_CPUS},
	             {"mem", AGENT_RES_MEM},
	             {"disk", AGENT_RES_DISK},
	             {"gpus", AGENT_RES_GPUS},
	             {"ports", AGENT_RES_PORTS}};
	*given = 0;
	/* res_parse accepted it, so every item is name:value. */
	for (const char *p = text; *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *colon = strchr(p, ':');
		if (!colon)
			break;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if ((size_t)(colon - p) == strlen(names[i].name) &&
			    strncmp(p, names[i].name, strlen(names[i].name)) == 0)
				*given |= names[i].bit;
		const char *semi = strchr(colon, ';');
		p = semi ? semi + 1 : colon + strlen(colon);
	}
	return MOSAIC_OK;
}

/* mosaic-executor lives beside mosaic-agent (build tree and install alike). */
static void
default_executor(agent_config *cfg)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		snprintf(cfg->executor, sizeof(cfg->executor), "mosaic-executor");
		return;
	}
	self[n] = '\0';
	snprintf(cfg->executor, sizeof(cfg->executor), "%s/mosaic-executor", dirname(self));
}

static int
copy_flag(char *dst, size_t cap, const char *flag, const char *val, char *err, size_t errlen)
{
	if (!*val || strlen(val) >= cap) {
		seterr(err, errlen, "%s: value empty or longer than %zu characters", flag, cap - 1);
		return MOSAIC_EINVAL;
	}
	memcpy(dst, val, strlen(val) + 1);
	return MOSAIC_OK;
}

static int
finish(agent_config *cfg, char *err, size_t errlen)
{
	if (!cfg->hostname[0]) {
		char h[AGENT_HOSTNAME_MAX] = "";
		if (gethostname(h, sizeof(h) - 1) != 0 || !h[0])
			snprintf(h, sizeof(h), "localhost");
		snprintf(cfg->hostname, sizeof(cfg->hostname), "%s", h);
	}
	if (!agent_flags_hostname_valid(cfg->hostname)) {
		seterr(err, errlen, "--hostname: '%s' is not a valid name (1-253 of A-Z a-z 0-9 . _ -)",
		       cfg->hostname);
		return MOSAIC_EINVAL;
	}
	if (strncmp(cfg->master, "tcp://", 6) != 0 && strncmp(cfg->master, "ipc://", 6) != 0 &&
	    strncmp(cfg->master, "tls+tcp://", 10) != 0) {
		seterr(err, errlen, "--master: '%s' is not a tcp://host:port address", cfg->master);
		return MOSAIC_EINVAL;
	}
	if (strncmp(cfg->listen, "tcp://", 6) != 0 && strncmp(cfg->listen, "ipc://", 6) != 0 &&
	    strncmp(cfg->listen, "tls+tcp://", 10) != 0) {
		seterr(err, errlen, "--listen: '%s' is not a tcp://host:port address", cfg->listen);
		return MOSAIC_EINVAL;
	}
	const char *colon = strrchr(cfg->http, ':');
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || colon == cfg->http || !colon[1] || *end || port < 0 || port > 65535 ||
	    strchr(cfg->http, '/')) {
		seterr(err, errlen, "--http: '%s' is not host:port", cfg->http);
		return MOSAIC_EINVAL;
	}
	if (!cfg->executor[0])
		default_executor(cfg);
	if (util_mkdir_p(cfg->work_dir) != 0) {
		seterr(err, errlen, "--work-dir: cannot create %s: %s", cfg->work_dir, strerror(errno));
		return MOSAIC_EINVAL;
	}
	char abs[PATH_MAX];
	if (!realpath(cfg->work_dir, abs)) {
		seterr(err, errlen, "--work-dir: %s: %s", cfg->work_dir, strerror(errno));
		return MOSAIC_EINVAL;
	}
	/* Sandboxes, sockets and executors' flags are built from it. */
	if (strlen(abs) > PATH_MAX - 512) {
		seterr(err, errlen, "--work-dir: %s is too long", abs);
		return MOSAIC_EINVAL;
	}
	snprintf(cfg->work_dir, sizeof(cfg->work_dir), "%s", abs);
	return MOSAIC_OK;
}

int
agent_flags_parse(agent_config *cfg, int argc, char **argv, char *err, size_t errlen)
{
	agent_config_init(cfg);
	const char *env = getenv("MOSAIC_MASTER");
	if (env && *env)
		snprintf(cfg->master, sizeof(cfg->master), "%s", env);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			agent_flags_usage(stdout);
			return AGENT_FLAGS_HELP;
		}
		if (strncmp(arg, "--", 2) != 0) {
			seterr(err, errlen, "unexpected argument '%s'", arg);
			return MOSAIC_EINVAL;
		}
		char name[64];
		const char *val;
		const char *eq = strchr(arg, '=');
		if (eq) {
			snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
			val = eq + 1;
		} else {
			snprintf(name, sizeof(name), "%s", arg);
			if (i + 1 >= argc) {
				seterr(err, errlen, "%s needs a value", name);
				return MOSAIC_EINVAL;
			}
			val = argv[++i];
		}
		int rv = MOSAIC_OK;
		if (strcmp(name, "--master") == 0) {
			rv = copy_flag(cfg->master, sizeof(cfg->master), name, val, err, errlen);
		} else if (strcmp(name, "--listen") == 0) {
			rv = copy_flag(cfg->listen, sizeof(cfg->listen), name, val, err, errlen);
		} else if (strcmp(name, "--http") == 0) {
			rv = copy_flag(cfg->http, sizeof(cfg->http), name, val, err, errlen);
		} else if (strcmp(name, "--work-dir") == 0) {
			rv = copy_flag(cfg->work_dir, sizeof(cfg->work_dir), name, val, err, errlen);
		} else if (strcmp(name, "--hostname") == 0) {
			rv = copy_flag(cfg->hostname, sizeof(cfg->hostname), name, val, err, errlen);
		} else if (strcmp(name, "--executor") == 0) {
			rv = copy_flag(cfg->executor, sizeof(cfg->executor), name, val, err, errlen);
		} else if (strcmp(name, "--isolation") == 0) {
			if (strcmp(val, "cgroup2") && strcmp(val, "cgroup1") && strcmp(val, "rlimit")) {
				seterr(err, errlen,
				       "--isolation: '%s' is not one of cgroup2, cgroup1, rlimit", val);
				rv = MOSAIC_EINVAL;
			} else {
				snprintf(cfg->isolation, sizeof(cfg->isolation), "%s", val);
			}
		} else if (strcmp(name, "--topology") == 0) {
			rv = copy_flag(cfg->topology, sizeof(cfg->topology), name, val, err, errlen);
		} else if (strcmp(name, "--log-file") == 0) {
			rv = copy_flag(cfg->log_file, sizeof(cfg->log_file), name, val, err, errlen);
		} else if (strcmp(name, "--log-level") == 0) {
			cfg->log_level = log_level_parse(val);
			if (cfg->log_level < 0) {
				seterr(err, errlen,
				       "--log-level: '%s' is not one of error, warn, info, debug", val);
				rv = MOSAIC_EINVAL;
			}
		} else if (strcmp(name, "--recovery-timeout") == 0) {
			if (util_parse_duration(val, &cfg->recovery_timeout) != 0) {
				seterr(err, errlen,
				       "--recovery-timeout: '%s' is not a duration (e.g. 120s, 2m)", val);
				rv = MOSAIC_EINVAL;
			}
		} else if (strcmp(name, "--executor-idle-timeout") == 0) {
			if (util_parse_duration(val, &cfg->executor_idle_timeout) != 0) {
				seterr(err, errlen,
				       "--executor-idle-timeout: '%s' is not a duration (e.g. 60s, 5m)", val);
				rv = MOSAIC_EINVAL;
			}
		} else if (strcmp(name, "--gc-delay") == 0) {
			if (util_parse_duration(val, &cfg->gc_delay) != 0) {
				seterr(err, errlen, "--gc-delay: '%s' is not a duration (e.g. 7d, 12h)", val);
				rv = MOSAIC_EINVAL;
			}
		} else if (strcmp(name, "--gc-disk-headroom") == 0) {
			char *end;
			errno = 0;
			double h = strtod(val, &end);
			if (end == val || *end || errno || !(h >= 0 && h <= 1)) {
				seterr(err, errlen, "--gc-disk-headroom: '%s' is not a fraction from 0 to 1",
				       val);
				rv = MOSAIC_EINVAL;
			} else {
				cfg->gc_disk_headroom = h;
			}
		} else if (strcmp(name, "--resources") == 0) {
			char why[256] = "";
			if (agent_flags_resources(val, &cfg->resources, &cfg->res_given, why, sizeof(why)) !=
			    0) {
				seterr(err, errlen, "--resources: %s", why);
				rv = MOSAIC_EINVAL;
			}
		} else if (strcmp(name, "--attributes") == 0) {
			char why[256] = "";
			if (agent_flags_attributes(val, cfg->attrs, AGENT_MAX_ATTRS, &cfg->nattrs, why,
			                           sizeof(why)) != 0) {
				seterr(err, errlen, "--attributes: %s", why);
				rv = MOSAIC_EINVAL;
			}
		} else {
			seterr(err, errlen, "unknown flag %s (see --help)", name);
			rv = MOSAIC_EINVAL;
		}
		if (rv)
			return rv;
	}
	return finish(cfg, err, errlen);
}
