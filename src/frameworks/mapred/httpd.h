/* httpd.h - the `mapred put` client's own small HTTP server: it lends byte
 * ranges of local files to the store tasks that copy blocks onto agents
 * (the agents' file server is read-only, so blocks travel by being fetched,
 * never pushed). It answers GET <path>?offset=N&length=M like the agents'
 * file server (X-Mosaic-File-Size, at most HTTPC_CHUNK bytes an answer), so
 * one client (httpc.h) reads both.
 *
 * Each range is published under a path holding a random 128-bit token, so
 * only whoever was given the URL (a task of ours) can read it. Bytes go out
 * with sendfile(2). An accept thread hands each connection to a thread of
 * its own (at most HTTPD_MAX_CONN at once; more get 503), one request per
 * connection. Thread-safe: ranges may be added while serving. The process
 * should ignore SIGPIPE (a client may hang up mid-answer). */
#ifndef MOSAIC_MAPRED_HTTPD_H
#define MOSAIC_MAPRED_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTPD_MAX_CONN 64

typedef struct httpd httpd;

/* httpd_open listens on host (port chosen by the system) and starts
 * serving. On failure MOSAIC_ENET (or EIO) with the reason in err. The
 * caller owns *out (httpd_close). */
int httpd_open(httpd **out, const char *host, char *err, size_t errlen);
/* httpd_close stops accepting, waits for answers under way, closes the
 * files; NULL is fine. */
void httpd_close(httpd *h);

/* httpd_publish: serves bytes [offset, offset + length) of the file at
 * path; *url (heap, the caller frees) is where. The file is opened now and
 * stays open until close. MOSAIC_ENOENT / MOSAIC_EIO if it cannot be. */
int httpd_publish(httpd *h, const char *path, uint64_t offset, uint64_t length, char **url);

/* What a request asks for: a published block, from offset, length
 * bytes (all of the rest without has_length). */
typedef struct httpd_request {
	size_t block;
	uint64_t offset, length;
	bool has_length;
	const char *why; /* the answer's text when it is not 200 */
} httpd_request;

/* httpd_parse_request reads req (NUL-terminated, through its blank line)
 * as this server does: 200 and *out, or the status to answer: 400 for a
 * malformed request line or query, 405 for another method than GET, 404
 * for a path that is not /b/<token>/<index>. Exposed for fuzzing. */
int httpd_parse_request(const char *req, const char *token, httpd_request *out);

/* Requests answered with 200 so far, and body bytes sent. */
void httpd_stats(httpd *h, uint64_t *requests, uint64_t *bytes);

#endif
