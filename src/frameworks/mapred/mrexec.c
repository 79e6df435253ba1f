#include "mrexec.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errors.h"

extern char **environ;

int
mrexec_spawn(const char *cmd, int in_fd, int out_fd, pid_t *pid, char *err, size_t errlen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	/* The command gets default signal dispositions: the task ignores
	 * SIGPIPE for itself, but `head` upstream of a pipe should not. */
	sigset_t dfl;
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
	int rc = posix_spawn(pid, "/bin/sh", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start /bin/sh -c '%s': %s", cmd, strerror(rc));
		return MOSAIC_EIO;
	}
	return MOSAIC_OK;
}

int
mrexec_wait(pid_t pid, const char *what, char *err, size_t errlen)
{
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			snprintf(err, errlen, "%s: waitpid: %s", what, strerror(errno));
			return MOSAIC_EIO;
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return MOSAIC_OK;
	if (WIFEXITED(st))
		snprintf(err, errlen, "%s exited %d", what, WEXITSTATUS(st));
	else
		snprintf(err, errlen, "%s killed by signal %d (%s)", what, WTERMSIG(st),
		         strsignal(WTERMSIG(st)));
	return MOSAIC_EIO;
}
