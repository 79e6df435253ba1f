/* test_agent_flags - mosaic-agent's command line: --attributes and
 * --resources syntax, which resources were given, hostnames, and that bad
 * values fail with a message naming the flag. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_flags.h"
#include "check.h"
#include "util.h"

static int
parse(agent_config *cfg, char *err, size_t errlen, int argc, const char **argv)
{
	return agent_flags_parse(cfg, argc, (char **)argv, err, errlen);
}

int
main(void)
{
	agent_attr attrs[AGENT_MAX_ATTRS];
	size_t n = 0;
	char err[256];
	CHECK_OK(agent_flags_attributes("rack:r1;zone:a", attrs, AGENT_MAX_ATTRS, &n, err, sizeof(err)));
	CHECK(n == 2);
	CHECK(strcmp(attrs[0].name, "rack") == 0 && strcmp(attrs[0].value, "r1") == 0);
	CHECK(strcmp(attrs[1].name, "zone") == 0 && strcmp(attrs[1].value, "a") == 0);
	CHECK_OK(agent_flags_attributes(" ; os:debian:12 ;", attrs, AGENT_MAX_ATTRS, &n, err, sizeof(err)));
	CHECK(n == 1 && strcmp(attrs[0].value, "debian:12") == 0);
	CHECK_OK(agent_flags_attributes("", attrs, AGENT_MAX_ATTRS, &n, err, sizeof(err)));
	CHECK(n == 0);
	CHECK(agent_flags_attributes("rack", attrs, AGENT_MAX_ATTRS, &n, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "rack") != NULL);
	CHECK(agent_flags_attributes("rack:", attrs, AGENT_MAX_ATTRS, &n, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(agent_flags_attributes(":x", attrs, AGENT_MAX_ATTRS, &n, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(agent_flags_attributes("a b:x", attrs, AGENT_MAX_ATTRS, &n, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(agent_flags_attributes("rack:1;rack:2", attrs, AGENT_MAX_ATTRS, &n, err, sizeof(err)) ==
	      MOSAIC_EINVAL);
	CHECK(strstr(err, "twice") != NULL);
	CHECK(agent_flags_attributes("a:1;b:2;c:3", attrs, 2, &n, err, sizeof(err)) == MOSAIC_EINVAL);

	mosaic_resources r;
	unsigned given;
	CHECK_OK(agent_flags_resources("cpus:4;mem:2048;ports:[31000-32000]", &r, &given, err, sizeof(err)));
	CHECK(given == (AGENT_RES_CPUS | AGENT_RES_MEM | AGENT_RES_PORTS));
	CHECK_NEAR(r.cpus, 4, 1e-9);
	CHECK(r.nports == 1 && r.ports[0].begin == 31000);
	CHECK_OK(agent_flags_resources("disk:10", &r, &given, err, sizeof(err)));
	CHECK(given == AGENT_RES_DISK);
	CHECK(agent_flags_resources("cpus:-1", &r, &given, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(agent_flags_resources("bogus:1", &r, &given, err, sizeof(err)) == MOSAIC_EINVAL);

	CHECK(agent_flags_hostname_valid("agent1"));
	CHECK(agent_flags_hostname_valid("node-1.example.org"));
	CHECK(!agent_flags_hostname_valid(""));
	CHECK(!agent_flags_hostname_valid("a/b"));
	CHECK(!agent_flags_hostname_valid(".."));

	char dir[] = "/tmp/mosaic-flags-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char wd[512];
	snprintf(wd, sizeof(wd), "%s/agentdir/sub", dir);
	agent_config cfg;
	unsetenv("MOSAIC_MASTER");
	const char *ok[] = {"mosaic-agent",
	                    "--work-dir",
	                    wd,
	                    "--hostname",
	                    "agent1",
	                    "--attributes=rack:r1",
	                    "--resources",
	                    "cpus:2;mem:512",
	                    "--recovery-timeout",
	                    "2m",
	                    "--log-level",
	                    "debug",
	                    "--topology",
	                    "pack:2 numa:1 core:8 pu:2",
	                    "--gc-delay",
	                    "2d",
	                    "--gc-disk-headroom",
	                    "0.25"};
	CHECK_OK(parse(&cfg, err, sizeof(err), 18, ok));
	CHECK_NEAR(cfg.gc_delay, 2 * 86400, 1e-9);
	CHECK_NEAR(cfg.gc_disk_headroom, 0.25, 1e-9);
	CHECK(strcmp(cfg.hostname, "agent1") == 0);
	CHECK(strcmp(cfg.master, "tcp://127.0.0.1:5050") == 0);
	CHECK(cfg.nattrs == 1);
	CHECK(cfg.res_given == (AGENT_RES_CPUS | AGENT_RES_MEM));
	CHECK_NEAR(cfg.recovery_timeout, 120, 1e-9);
	CHECK(cfg.log_level == 3);
	CHECK(cfg.work_dir[0] == '/' && strstr(cfg.work_dir, "/agentdir/sub") != NULL);
	CHECK(strstr(cfg.executor, "mosaic-executor") != NULL);

	setenv("MOSAIC_MASTER", "tcp://127.0.0.1:6060", 1);
	const char *env[] = {"mosaic-agent", "--work-dir", wd};
	CHECK_OK(parse(&cfg, err, sizeof(err), 3, env));
	CHECK(strcmp(cfg.master, "tcp://127.0.0.1:6060") == 0);
	const char *flag_wins[] = {"mosaic-agent", "--work-dir", wd, "--master", "tcp://127.0.0.1:7070"};
	CHECK_OK(parse(&cfg, err, sizeof(err), 5, flag_wins));
	CHECK(strcmp(cfg.master, "tcp://127.0.0.1:7070") == 0);
	unsetenv("MOSAIC_MASTER");

	struct {
		const char *argv[4];
		const char *needle;
	} bad[] = {
	    {{"mosaic-agent", "--resources", "cpus:x", NULL}, "--resources"},
	    {{"mosaic-agent", "--attributes", "rack", NULL}, "--attributes"},
	    {{"mosaic-agent", "--recovery-timeout", "soon", NULL}, "--recovery-timeout"},
	    {{"mosaic-agent", "--log-level", "loud", NULL}, "--log-level"},
	    {{"mosaic-agent", "--http", "8080", NULL}, "--http"},
	    {{"mosaic-agent", "--master", "localhost:5050", NULL}, "--master"},
	    {{"mosaic-agent", "--hostname", "a/b", NULL}, "--hostname"},
	    {{"mosaic-agent", "--frobnicate", "1", NULL}, "--frobnicate"},
	    {{"mosaic-agent", "--isolation", "docker", NULL}, "--isolation"},
	    {{"mosaic-agent", "--executor-idle-timeout", "-1", NULL}, "--executor-idle-timeout"},
	    {{"mosaic-agent", "--listen", NULL, NULL}, "--listen"},
	    {{"mosaic-agent", "--gc-delay", "soon", NULL}, "--gc-delay"},
	    {{"mosaic-agent", "--gc-disk-headroom", "1.5", NULL}, "--gc-disk-headroom"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int argc = bad[i].argv[2] ? 3 : 2;
		err[0] = '\0';
		int rv = parse(&cfg, err, sizeof(err), argc, bad[i].argv);
		CHECK(rv == MOSAIC_EINVAL);
		if (!strstr(err, bad[i].needle))
			fprintf(stderr, "case %zu: message '%s' does not name %s\n", i, err, bad[i].needle);
		CHECK(strstr(err, bad[i].needle) != NULL);
	}
	util_remove_tree(dir);
	return check_done();
}
