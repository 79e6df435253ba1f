/* mbatch_http.h - one HTTP/1.1 GET to an agent's file server (its address
 * comes with the job: "http://127.0.0.1:PORT"), for `mbatch logs`. Plain
 * sockets, one request per connection, every step bounded by a timeout. */
#ifndef MOSAIC_BATCH_MBATCH_HTTP_H
#define MOSAIC_BATCH_MBATCH_HTTP_H

#include <stddef.h>

typedef struct mbatch_http_response {
	int status;
	char *body; /* NUL-terminated heap copy (mbatch_http_response_fini) */
	size_t len;
	long long file_size; /* X-Mosaic-File-Size, or -1 */
} mbatch_http_response;

/* mbatch_http_get: GET base + path ("http://host:port" + "/files/..."). 0
 * with *out filled for any HTTP status; MOSAIC_ENET, MOSAIC_ETIMEDOUT or
 * MOSAIC_EINVAL with the reason in err when no answer came. Answers over
 * max bytes are cut (MOSAIC_ETOOBIG). */
int mbatch_http_get(const char *base, const char *path, double timeout, size_t max, mbatch_http_response *out,
                    char *err, size_t errlen);
void mbatch_http_response_fini(mbatch_http_response *r);

#endif
