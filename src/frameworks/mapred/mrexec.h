/* mrexec.h - running a user's command (a streaming mapper, combiner or
 * reducer) inside a map or reduce task: /bin/sh -c CMD with its stdin and
 * stdout on descriptors of ours and its stderr the task's, as Hadoop
 * Streaming does. posix_spawn, so nothing runs between fork and exec.
 * Blocking; the calling task is single-threaded. */
#ifndef MOSAIC_MAPRED_MREXEC_H
#define MOSAIC_MAPRED_MREXEC_H

#include <stddef.h>
#include <sys/types.h>

/* mrexec_spawn starts cmd with stdin on in_fd and stdout on out_fd (both
 * stay open here; close your copies as needed). MOSAIC_EIO with the reason
 * in err. */
int mrexec_spawn(const char *cmd, int in_fd, int out_fd, pid_t *pid, char *err, size_t errlen);

/* mrexec_wait reaps pid: MOSAIC_OK if it exited 0, else MOSAIC_EIO with
 * "exited 3" or "killed by signal 9" in err (what is prefixed). */
int mrexec_wait(pid_t pid, const char *what, char *err, size_t errlen);

#endif
