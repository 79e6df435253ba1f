/* httpc.h - a small blocking HTTP/1.1 GET client: the data path of mapred.
 * Map tasks fetch blocks, reducers fetch map outputs, and the mapred client
 * fetches reducers' outputs and task counters, all from the agents' file
 * servers (GET /files/<fw>/<task>/<path>?offset=N&length=M, at most 4 MiB a
 * request, the whole size in X-Mosaic-File-Size); store tasks fetch blocks
 * from the `mapred put` client's own server (httpd.h), which answers the
 * same way.
 *
 * No nng here on purpose: map and reduce tasks fork mapper and reducer
 * commands, and nng is not fork-safe. One connection per request
 * ("Connection: close"), plain sockets, IPv4 or IPv6 host names; every
 * connect, read and write waits at most `timeout` seconds. Blocking; no
 * shared state, so threads may fetch side by side. */
#ifndef MOSAIC_MAPRED_HTTPC_H
#define MOSAIC_MAPRED_HTTPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most one request asks for: the agents' file server's cap. */
#define HTTPC_CHUNK (4u << 20)
#define HTTPC_NO_SIZE UINT64_MAX

typedef struct httpc_result {
	int status;         /* HTTP status of the last response, 0 if none came */
	uint64_t file_size; /* its X-Mosaic-File-Size, HTTPC_NO_SIZE if absent */
	uint64_t body;      /* body bytes passed to the sink, over all requests */
	char err[256];      /* what went wrong, for people ("" on success) */
} httpc_result;

/* What a response's header block says. */
typedef struct httpc_head {
	int status;         /* 100-999 */
	uint64_t file_size; /* X-Mosaic-File-Size, HTTPC_NO_SIZE if absent or malformed */
	bool has_length;    /* a well-formed Content-Length came */
	uint64_t length;
} httpc_head;

/* httpc_parse_head reads head (NUL-terminated: the status line and the
 * header lines, each ending "\r\n") into *out; MOSAIC_EDECODE with the
 * reason in err for what is not an HTTP response, or a chunked one.
 * Exposed for fuzzing. */
int httpc_parse_head(const char *head, httpc_head *out, char *err, size_t errlen);

/* A sink takes body bytes as they arrive (read during the call only);
 * non-zero aborts the transfer with that error. */
typedef int (*httpc_sink_fn)(void *arg, const void *data, size_t len);

/* httpc_get: one GET of url (http://host:port/path?query). Body bytes of a
 * 200 response go to sink; another status is returned in res->status with
 * the start of its body in res->err, and MOSAIC_ENOENT for 404, MOSAIC_EPERM
 * for 403, MOSAIC_EIO otherwise. MOSAIC_EINVAL for a url we cannot parse,
 * MOSAIC_ENET when the server cannot be reached or the connection breaks,
 * MOSAIC_ETIMEDOUT, MOSAIC_EDECODE for a malformed response, or the sink's
 * error. */
int httpc_get(const char *url, double timeout, httpc_sink_fn sink, void *arg, httpc_result *res);

/* httpc_fetch: the bytes [offset, offset + length) of a file (length
 * HTTPC_NO_SIZE: to its end) at url (no query of its own), in requests of
 * at most HTTPC_CHUNK bytes with ?offset=&length=, in order, to sink. Fails
 * as httpc_get, and with MOSAIC_EDECODE if the file's size changes between
 * requests or a response is short. res->body is the bytes delivered. */
int httpc_fetch(const char *url, uint64_t offset, uint64_t length, double timeout, httpc_sink_fn sink,
                void *arg, httpc_result *res);

/* httpc_size: the size of the file at url (one request for no bytes). */
int httpc_size(const char *url, double timeout, uint64_t *size, httpc_result *res);

/* Sinks: into a file descriptor (arg: int *), or into a growing heap
 * buffer (arg: httpc_buf *, whose data the caller frees). */
int httpc_sink_fd(void *arg, const void *data, size_t len);
typedef struct httpc_buf {
	char *data;
	size_t len, cap;
	size_t max; /* MOSAIC_ETOOBIG past this many bytes; 0: no limit */
} httpc_buf;
int httpc_sink_buf(void *arg, const void *data, size_t len);

/* httpc_url_split: "http://host:port/path" -> host, port, path ("/" if
 * none). MOSAIC_EINVAL for another scheme or an over-long part. */
int httpc_url_split(const char *url, char *host, size_t hostcap, char *port, size_t portcap, char *path,
                    size_t pathcap);

#endif
