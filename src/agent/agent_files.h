/* agent_files.h - the agent's read-only HTTP file server for sandboxes
 * (docs/PROTOCOL.md, "Sandboxes and files"), on nng's HTTP server:
 *
 *   GET /files/<framework_id>/<task_id>/<path>?offset=N&length=M
 *   GET /health
 *
 * The handler runs on nng's threads and never touches agent state: sandbox
 * paths are deterministic (<work_dir>/frameworks/<fw>/tasks/<task>.<n>,
 * the latest run being the highest n), so it resolves everything from the
 * file system alone. */
#ifndef MOSAIC_AGENT_FILES_H
#define MOSAIC_AGENT_FILES_H

#include <stddef.h>
#include <stdint.h>

/* Bytes one request returns at most. */
#define AGENT_FILES_MAX_READ (4u << 20)

typedef struct agent_files agent_files;

/* agent_files_open serves work_dir on listen ("host:port"; port 0 picks
 * one). On failure MOSAIC_ENET with the reason in err. The caller owns
 * *out (agent_files_close). */
int agent_files_open(agent_files **out, const char *listen, const char *work_dir, char *err, size_t errlen);
void agent_files_close(agent_files *f);
/* "http://host:port" with the bound port. */
const char *agent_files_url(const agent_files *f);

/* agent_files_open_target is the server's path check, exposed for tests:
 * rel is the decoded request path after "/files/" ("fw/task/dir/file").
 * Returns the HTTP status: 200 with *fd open on the regular file and *size
 * its size; 403 when it would leave the task's sandbox (an absolute path,
 * "..", a symlink out - except a top-level stdout/stderr link the
 * containerizer made to a file the sandbox's owner owns); 404 for an
 * unknown framework, task or file, or a non-regular file. */
int agent_files_open_target(const char *work_dir, const char *rel, int *fd, uint64_t *size);

#endif
