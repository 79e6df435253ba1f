/* How cluster up shares a machine among agents. */
#include <string.h>

#include "check.h"
#include "cli_split.h"
#include "errors.h"

int
main(void)
{
	mosaic_resources r;
	/* 8 cpus, 24 GiB, 80 GiB free, 3 agents. */
	cli_split_agent(&r, 0, 3, 8, 24576, 81920);
	CHECK(r.cpus == 2);     /* 8/3 -> 2 whole cpus */
	CHECK(r.mem == 6553);   /* floor(24576*0.8/3) */
	CHECK(r.disk == 27306); /* floor(81920/3) */
	CHECK(r.nports == 1 && r.ports[0].begin == 31000 && r.ports[0].end == 31588); /* 1768/3 */
	cli_split_agent(&r, 2, 3, 8, 24576, 81920);
	CHECK(r.ports[0].begin == 32178 && r.ports[0].end == 32766);
	/* One agent: 1000, as Mesos' default agent range. */
	cli_split_agent(&r, 0, 1, 8, 24576, 81920);
	CHECK(r.ports[0].begin == 31000 && r.ports[0].end == 31999);

	/* A small machine: at least 2 cpus and 512 MiB each. */
	cli_split_agent(&r, 0, 4, 2, 1024, 100);
	CHECK(r.cpus == 2 && r.mem == 512 && r.disk == 25);
	/* A big one: disk capped, cpus shared. */
	cli_split_agent(&r, 1, 2, 64, 262144, 1e7);
	CHECK(r.cpus == 32 && r.mem == 104857 && r.disk == CLI_SPLIT_DISK_CAP);
	/* Ports never overlap and stay below the ephemeral range (32768) up
	 * to the agent limit. */
	mosaic_resources last, before;
	cli_split_agent(&last, CLI_SPLIT_MAX_AGENTS - 1, CLI_SPLIT_MAX_AGENTS, 2, 1024, 0);
	cli_split_agent(&before, CLI_SPLIT_MAX_AGENTS - 2, CLI_SPLIT_MAX_AGENTS, 2, 1024, 0);
	CHECK(last.ports[0].end < 32768 && before.ports[0].end < last.ports[0].begin);
	CHECK(last.ports[0].end - last.ports[0].begin + 1 >= 50);

	char err[128];
	CHECK_OK(cli_split_given(&r, "cpus:2;mem:1024", 1, 4, err, sizeof(err)));
	CHECK(r.cpus == 2 && r.mem == 1024 && r.ports[0].begin == 31442 && r.ports[0].end == 31883);
	CHECK_OK(cli_split_given(&r, "cpus:1;ports:[40000-40010]", 1, 4, err, sizeof(err)));
	CHECK(r.ports[0].begin == 40000 && r.ports[0].end == 40010);
	CHECK(cli_split_given(&r, "cpus:two", 0, 4, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strlen(err) > 0);
	return check_done();
}
