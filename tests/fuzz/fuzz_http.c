/* fuzz_http.c - the HTTP that mapred reads off the network: a request to
 * the `mapred put` client's block server (httpd_parse_request), the head
 * of a response from an agent's file server or that block server
 * (httpc_parse_head), and the URLs it is given (httpc_url_split). The
 * first byte picks which, the rest is the text. What each reads must read
 * back the same once written in its canonical form. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "fuzz.h"
#include "httpc.h"
#include "httpd.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

static void
request(const char *text)
{
	httpd_request r, again;
	int status = httpd_parse_request(text, TOKEN, &r);
	fuzz_must(status == 200 || status == 400 || status == 404 || status == 405, "unknown status", text);
	fuzz_must((status == 200) == (r.why == NULL), "a refusal without its reason", text);
	if (status != 200)
		return;
	fuzz_must(r.block <= 999999999, "block index over nine digits", text);
	char canon[256];
	if (r.has_length)
		snprintf(canon, sizeof(canon),
		         "GET /b/" TOKEN "/%zu?offset=%" PRIu64 "&length=%" PRIu64 " HTTP/1.1\r\n\r\n",
		         r.block, r.offset, r.length);
	else
		snprintf(canon, sizeof(canon), "GET /b/" TOKEN "/%zu?offset=%" PRIu64 " HTTP/1.1\r\n\r\n",
		         r.block, r.offset);
	fuzz_must(httpd_parse_request(canon, TOKEN, &again) == 200, "canonical request refused", canon);
	fuzz_must(again.block == r.block && again.offset == r.offset && again.has_length == r.has_length &&
	              again.length == r.length,
	          "canonical request reads back different", text);
}

static void
head(const char *text)
{
	httpc_head h, again;
	char err[128] = "";
	if (httpc_parse_head(text, &h, err, sizeof(err)) != MOSAIC_OK) {
		fuzz_must(err[0] != '\0', "a refused head without its reason", text);
		return;
	}
	fuzz_must(h.status >= 100 && h.status <= 999, "status out of range", text);
	fuzz_must(h.has_length || h.length == 0, "a length without Content-Length", text);
	char canon[256];
	int n = snprintf(canon, sizeof(canon), "HTTP/1.1 %d X\r\n", h.status);
	if (h.has_length)
		n += snprintf(canon + n, sizeof(canon) - (size_t)n, "Content-Length: %" PRIu64 "\r\n",
		              h.length);
	if (h.file_size != HTTPC_NO_SIZE)
		snprintf(canon + n, sizeof(canon) - (size_t)n, "X-Mosaic-File-Size: %" PRIu64 "\r\n",
		         h.file_size);
	fuzz_must(httpc_parse_head(canon, &again, err, sizeof(err)) == MOSAIC_OK, "canonical head refused",
	          canon);
	fuzz_must(again.status == h.status && again.has_length == h.has_length && again.length == h.length &&
	              again.file_size == h.file_size,
	          "canonical head reads back different", text);
}

static void
url(const char *text)
{
	char host[256], port[16], path[2048], h2[256], p2[16], path2[2048];
	if (httpc_url_split(text, host, sizeof(host), port, sizeof(port), path, sizeof(path)) != MOSAIC_OK)
		return;
	fuzz_must(host[0] && port[0] && path[0] == '/', "an empty part", text);
	fuzz_must(strspn(port, "0123456789") == strlen(port), "a port that is not a number", text);
	char *canon = malloc(strlen(host) + strlen(port) + strlen(path) + 16);
	int bracket = strchr(host, ':') || host[0] == '[';
	sprintf(canon, "http://%s%s%s:%s%s", bracket ? "[" : "", host, bracket ? "]" : "", port, path);
	fuzz_must(httpc_url_split(canon, h2, sizeof(h2), p2, sizeof(p2), path2, sizeof(path2)) == MOSAIC_OK,
	          "canonical url refused", canon);
	fuzz_must(strcmp(h2, host) == 0 && strcmp(p2, port) == 0 && strcmp(path2, path) == 0,
	          "canonical url reads back different", text);
	free(canon);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 16384)
		return 0;
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0: request(text); break;
	case 1: head(text); break;
	default: url(text); break;
	}
	free(text);
	return 0;
}

static void
seed(uint8_t ***bufs, size_t **lens, size_t *n, char kind, const char *text)
{
	size_t len = strlen(text);
	char *b = malloc(len + 1);
	b[0] = kind;
	memcpy(b + 1, text, len);
	fuzz_seed_add(bufs, lens, n, b, len + 1);
	free(b);
}

size_t
fuzz_seeds(uint8_t ***bufs, size_t **lens)
{
	size_t n = 0;
	seed(bufs, lens, &n, 0,
	     "GET /b/" TOKEN "/3?offset=4096&length=1048576 HTTP/1.1\r\nHost: h:1\r\n\r\n");
	seed(bufs, lens, &n, 0, "GET /b/" TOKEN "/0 HTTP/1.1\r\n\r\n");
	seed(bufs, lens, &n, 0, "GET /b/" TOKEN "/12?length=5&offset=99999999999999999999 HTTP/1.0\r\n\r\n");
	seed(bufs, lens, &n, 0, "POST /b/" TOKEN "/1 HTTP/1.1\r\n\r\n");
	seed(bufs, lens, &n, 0, "GET /b/ffff/1 HTTP/1.1\r\n\r\n");
	seed(bufs, lens, &n, 0, "GET /b/" TOKEN "/1?offset=-1 HTTP/1.1\r\n\r\n");
	seed(bufs, lens, &n, 1,
	     "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 10\r\n"
	     "X-Mosaic-File-Size: 1234\r\nConnection: close\r\n");
	seed(bufs, lens, &n, 1, "HTTP/1.1 404 Not Found\r\ncontent-length:  7 \r\n");
	seed(bufs, lens, &n, 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n");
	seed(bufs, lens, &n, 1, "HTTP/1.0 200\r\nContent-Length: 18446744073709551616\r\n");
	seed(bufs, lens, &n, 2, "http://127.0.0.1:5051/files/fw-1/t1/part-0?offset=0&length=4194304");
	seed(bufs, lens, &n, 2, "http://[::1]:8080/b/x/1");
	seed(bufs, lens, &n, 2, "http://host?q=1");
	seed(bufs, lens, &n, 2, "http://[[x]:1/");
	return n;
}
