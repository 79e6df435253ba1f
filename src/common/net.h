/* net.h - blocking-with-a-deadline socket helpers for clients that do not
 * run a loop (command-line tools, task programs): wait for readiness,
 * dial TCP. Deadlines are mosaic_mono_now() times. */
#ifndef MOSAIC_NET_H
#define MOSAIC_NET_H

#include <stddef.h>

/* net_wait waits until fd is ready for events (POLLIN / POLLOUT).
 * MOSAIC_OK, MOSAIC_ETIMEDOUT at the deadline, MOSAIC_ENET on a poll
 * error. */
int net_wait(int fd, short events, double deadline);

/* net_connect finishes a non-blocking connect of fd to sa before the
 * deadline: 0, or the errno that says why not (ETIMEDOUT at the
 * deadline). */
int net_connect(int fd, const void *sa, unsigned salen, double deadline);

/* net_dial connects to host:port (every address it resolves to, in
 * turn) before the deadline; *out is a non-blocking, close-on-exec
 * socket. MOSAIC_ENOENT when host does not resolve, MOSAIC_ETIMEDOUT at
 * the deadline, MOSAIC_ENET otherwise; only the reason in err ("cannot
 * resolve h: ...", "timed out", "Connection refused"), for the caller to
 * say what it could not reach. */
int net_dial(const char *host, const char *port, double deadline, int *out, char *err, size_t errlen);

#endif
