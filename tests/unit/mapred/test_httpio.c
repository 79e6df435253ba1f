/* httpc and httpd together on loopback: a range served whole and in 4 MiB
 * requests, offsets and lengths, answers for what is not there, a sink that
 * refuses, and a server that is not there. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

#include "blocksum.h"
#include "check.h"
#include "httpc.h"
#include "httpd.h"
#include "util.h"

static int
refuse(void *arg, const void *data, size_t len)
{
	return MOSAIC_ENOSPC;
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	char dir[] = "/tmp/test_httpio.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char path[256];
	snprintf(path, sizeof(path), "%s/data", dir);
	size_t size = 9u << 20; /* more than two requests' worth */
	unsigned char *data = malloc(size);
	for (size_t i = 0; i < size; i++)
		data[i] = (unsigned char)(i * 7 + (i >> 12));
	CHECK_OK(util_write_file_atomic(path, data, size));

	httpd *h;
	char err[256];
	CHECK_OK(httpd_open(&h, "127.0.0.1", err, sizeof(err)));
	char *whole, *part;
	CHECK_OK(httpd_publish(h, path, 0, size, &whole));
	CHECK_OK(httpd_publish(h, path, 1000, 5000, &part));
	CHECK(httpd_publish(h, "/no/such/file", 0, 1, &part) == MOSAIC_ENOENT);
	CHECK(strncmp(whole, "http://127.0.0.1:", 17) == 0);

	httpc_buf buf = {0};
	httpc_result res;
	CHECK_OK(httpc_fetch(whole, 0, HTTPC_NO_SIZE, 10, httpc_sink_buf, &buf, &res));
	CHECK(buf.len == size && memcmp(buf.data, data, size) == 0);
	CHECK(res.body == size && res.file_size == size && res.status == 200);
	buf.len = 0;
	CHECK_OK(httpc_fetch(whole, 4194000, 500000, 10, httpc_sink_buf, &buf, &res));
	CHECK(buf.len == 500000 && memcmp(buf.data, data + 4194000, 500000) == 0);
	buf.len = 0;
	CHECK_OK(httpc_fetch(part, 0, HTTPC_NO_SIZE, 10, httpc_sink_buf, &buf, &res));
	CHECK(buf.len == 5000 && memcmp(buf.data, data + 1000, 5000) == 0);
	/* Asking past the end is an error, not a short answer. */
	buf.len = 0;
	CHECK(httpc_fetch(part, 4000, 2000, 10, httpc_sink_buf, &buf, &res) == MOSAIC_EDECODE);
	uint64_t sz = 0;
	CHECK_OK(httpc_size(whole, 10, &sz, &res));
	CHECK(sz == size);

	/* One request is capped at a chunk, and says the whole size. */
	buf.len = 0;
	CHECK_OK(httpc_get(whole, 10, httpc_sink_buf, &buf, &res));
	CHECK(buf.len == HTTPC_CHUNK && res.file_size == size);

	char *missing = strdup(whole);
	missing[strlen(missing) - 1] = '9';
	CHECK(httpc_get(missing, 10, httpc_sink_buf, &buf, &res) == MOSAIC_ENOENT && res.status == 404);
	CHECK(strstr(res.err, "404") != NULL && strstr(res.err, "no such block") != NULL);
	char *badq = malloc(strlen(whole) + 16);
	sprintf(badq, "%s?offset=-1", whole);
	CHECK(httpc_get(badq, 10, httpc_sink_buf, &buf, &res) == MOSAIC_EIO && res.status == 400);
	CHECK(strstr(res.err, "offset and length must be non-negative integers") != NULL);
	free(badq);
	CHECK(httpc_fetch(whole, 0, HTTPC_NO_SIZE, 10, refuse, NULL, &res) == MOSAIC_ENOSPC);
	httpc_buf small = {.max = 100};
	CHECK(httpc_fetch(part, 0, HTTPC_NO_SIZE, 10, httpc_sink_buf, &small, &res) == MOSAIC_ETOOBIG);
	free(small.data);

	uint64_t reqs, bytes;
	httpd_stats(h, &reqs, &bytes);
	CHECK(reqs >= 7 && bytes >= size + HTTPC_CHUNK + 500000);
	httpd_close(h);

	/* Nobody listens there now. */
	CHECK(httpc_get(whole, 2, NULL, NULL, &res) == MOSAIC_ENET);
	CHECK(res.err[0] != '\0');
	char host[64], port[8], p[64];
	CHECK(httpc_url_split("ftp://x/y", host, sizeof(host), port, sizeof(port), p, sizeof(p)) ==
	      MOSAIC_EINVAL);
	CHECK_OK(
	    httpc_url_split("http://[::1]:81/a?b=1", host, sizeof(host), port, sizeof(port), p, sizeof(p)));
	CHECK(strcmp(host, "::1") == 0 && strcmp(port, "81") == 0 && strcmp(p, "/a?b=1") == 0);
	CHECK_OK(httpc_url_split("http://h", host, sizeof(host), port, sizeof(port), p, sizeof(p)));
	CHECK(strcmp(host, "h") == 0 && strcmp(port, "80") == 0 && strcmp(p, "/") == 0);
	CHECK(httpc_url_split("http://h:x/", host, sizeof(host), port, sizeof(port), p, sizeof(p)) ==
	      MOSAIC_EINVAL);

	free(missing);
	free(whole);
	free(part);
	free(buf.data);
	free(data);
	util_remove_tree(dir);
	return check_done();
}
