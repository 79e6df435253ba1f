/* agent_path.h - bounded path formatting for the agent and the executor:
 * every path is built under the work directory, whose length the flags
 * cap, but a truncated path must still fail loudly rather than name a
 * different file. */
#ifndef MOSAIC_AGENT_PATH_H
#define MOSAIC_AGENT_PATH_H

#include <stddef.h>

/* agent_path formats into out; MOSAIC_ETOOBIG (out then holds "") when it
 * does not fit in cap. */
int agent_path(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* agent_msg formats a message (an error text) into out, cut short when it
 * does not fit. */
void agent_msg(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
