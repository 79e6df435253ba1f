/* mosaic-agent: flags, logging, the loop. Everything else is the agent
 * library (agent.h). Exit status: 0 after a stop, 1 when start-up fails,
 * 2 for bad flags (or a --topology hwloc refuses). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "agent_flags.h"
#include "errors.h"
#include "log.h"
#include "loop.h"

int
main(int argc, char **argv)
{
	static agent_config cfg;
	char err[1024] = "";
	int rv = agent_flags_parse(&cfg, argc, argv, err, sizeof(err));
	if (rv == AGENT_FLAGS_HELP)
		return 0;
	if (rv != 0) {
		fprintf(stderr, "mosaic-agent: %s\n", err);
		return 2;
	}
	if (log_init("agent", cfg.log_level, cfg.log_file[0] ? cfg.log_file : NULL) != 0) {
		fprintf(stderr, "mosaic-agent: cannot open log file %s\n", cfg.log_file);
		return 2;
	}
	/* A peer that vanishes mid-write must not kill the agent. */
	signal(SIGPIPE, SIG_IGN);
	cfg.handle_signals = true;
	mosaic_loop *loop;
	if (loop_new(&loop) != 0) {
		LOGE("cannot create the event loop");
		return 1;
	}
	agent *a;
	if ((rv = agent_new(&a, loop, &cfg, err, sizeof(err))) != 0) {
		LOGE("cannot start: %s", err);
		if (cfg.log_file[0])
			fprintf(stderr, "mosaic-agent: %s\n", err);
		loop_free(loop);
		/* EINVAL: a flag's value (a bad --topology) only now found wrong. */
		return rv == MOSAIC_EINVAL ? 2 : 1;
	}
	loop_run(loop);
	agent_free(a);
	loop_free(loop);
	return 0;
}
