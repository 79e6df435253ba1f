/* agent_proc.c - /proc look-ups for liveness and identity. */
#include "agent_proc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

bool
agent_proc_alive(pid_t pid)
{
	if (pid <= 0)
		return false;
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return false;
	/* kill(pid, 0) succeeds on a zombie nobody reaped yet: look at its
	 * state, the field after the parenthesised command name. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	char *stat = NULL;
	if (util_read_file(path, 4096, &stat, NULL) != 0)
		return false;
	const char *rp = strrchr(stat, ')');
	bool alive = rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
	free(stat);
	return alive;
}

bool
agent_proc_has_arg(pid_t pid, const char *arg)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	char *cmd = NULL;
	size_t len = 0;
	if (pid <= 0 || util_read_file(path, 1 << 16, &cmd, &len) != 0)
		return false;
	bool found = false;
	for (size_t i = 0; i < len; i += strlen(cmd + i) + 1) {
		if (strcmp(cmd + i, arg) == 0) {
			found = true;
			break;
		}
	}
	free(cmd);
	return found;
}
