/* mapred-task: the program mapred's tasks run (see mrtask.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mrtask.h"

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {{"store", mrtask_store},
	            {"unstore", mrtask_unstore},
	            {"map", mrtask_map},
	            {"reduce", mrtask_reduce}};
	/* A peer hanging up is an error to report, not a reason to die silently. */
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr,
	        "usage: mapred-task store|unstore|map|reduce ... (run by mapred's tasks; see mrtask.h)\n");
	return MRTASK_EXIT_USAGE;
}
