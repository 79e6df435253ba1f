#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *
cli_master(const char *flag)
{
	if (flag && *flag)
		return flag;
	const char *env = getenv("MOSAIC_MASTER");
	return env && *env ? env : CLI_DEFAULT_MASTER;
}

char *
cli_default_dir(char *buf, size_t len)
{
	const char *home = getenv("MOSAIC_HOME");
	if (home && *home)
		snprintf(buf, len, "%s", home);
	else
		snprintf(buf, len, "/tmp/mosaic-%u", (unsigned)getuid());
	return buf;
}

int
cli_no_master(const char *master)
{
	fprintf(stderr, "mosaic: no master answering at %s (is the cluster up? try 'mosaic cluster up')\n",
	        master);
	return CLI_EXIT_FAIL;
}
