/* cli_http.h - fetching a task's sandbox files from its agent's file
 * server (docs/PROTOCOL.md: GET /files/<framework>/<task>/<path>), with
 * nng's HTTP client. The one place of the CLI that knows nng's HTTP API.
 * Blocking, every request bounded by its timeout. */
#ifndef MOSAIC_CLI_HTTP_H
#define MOSAIC_CLI_HTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cli_http_response {
	int status;
	char *body; /* NUL-terminated heap copy (caller frees) */
	size_t len;
	long long file_size; /* X-Mosaic-File-Size, or -1 */
} cli_http_response;

/* cli_http_get: one GET of url ("http://host:port/path?query"). 0 with
 * *out filled for any HTTP status; MOSAIC_ENET / MOSAIC_ETIMEDOUT /
 * MOSAIC_EINVAL with a message in err when no answer came. */
int cli_http_get(const char *url, double timeout, cli_http_response *out, char *err, size_t errlen);
void cli_http_response_fini(cli_http_response *r);

/* cli_http_task_file reads the whole file `name` of a task's latest run,
 * page by page, up to max bytes (*truncated tells when there was more).
 * *data is NUL-terminated and the caller's. MOSAIC_ENOENT for a 404. */
int cli_http_task_file(const char *agent_http, const char *framework_id, const char *task_id,
                       const char *name, size_t max, char **data, size_t *len, bool *truncated, char *err,
                       size_t errlen);

#endif
