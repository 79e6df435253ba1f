/* cli_cluster.h - what `mosaic cluster up` (cli_cluster.c) and `down`
 * (cli_cluster_down.c) share. */
#ifndef MOSAIC_CLI_CLUSTER_H
#define MOSAIC_CLI_CLUSTER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* A path made of the cluster directory (a realpath, < PATH_MAX) and a
 * short suffix. */
#define CLI_CLUSTER_PATH (PATH_MAX + 64)

/* cli_cluster_find_program: the path of a Mosaic program, beside this one
 * or on PATH; MOSAIC_ENOENT when neither has it. */
int cli_cluster_find_program(const char *name, char *out, size_t len);

/* cli_cluster_stop_all stops every process of the cluster in dir: agents
 * with SIGUSR1 (they kill their tasks and executors), the master with
 * SIGTERM, then, after at most ~10 s, SIGKILL to whatever of it is left:
 * daemons, executors (dir/agent* /executors/ * /pid), their sessions,
 * process groups and children, and processes working inside an agent's
 * directory. Removes dir's pid files. Unless quiet, reports what it
 * stopped on stdout. Returns 0 when nothing is left, 1 otherwise. */
int cli_cluster_stop_all(const char *dir, bool quiet);

int cli_cluster_down(int argc, char **argv);

#endif
