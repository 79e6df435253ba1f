#include "cli_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "errors.h"
#include "mem.h"

/* The agent answers at most 4 MiB per request. */
#define PAGE (4u << 20)

int
cli_http_get(const char *url, double timeout, cli_http_response *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->file_size = -1;
	nng_url *u = NULL;
	nng_http_client *client = NULL;
	nng_http_req *req = NULL;
	nng_http_res *res = NULL;
	nng_aio *aio = NULL;
	int rv;
	const char *step = "parse the address";
	if ((rv = nng_url_parse(&u, url)) != 0)
		goto done;
	step = "set up the request";
	if ((rv = nng_http_client_alloc(&client, u)) != 0 || (rv = nng_http_req_alloc(&req, u)) != 0 ||
	    (rv = nng_http_res_alloc(&res)) != 0 || (rv = nng_aio_alloc(&aio, NULL, NULL)) != 0)
		goto done;
	nng_aio_set_timeout(aio, (nng_duration)(timeout * 1000));
	step = "get";
	nng_http_client_transact(client, req, res, aio);
	nng_aio_wait(aio);
	if ((rv = nng_aio_result(aio)) != 0)
		goto done;
	out->status = nng_http_res_get_status(res);
	void *data;
	size_t len;
	nng_http_res_get_data(res, &data, &len);
	out->body = xmalloc(len + 1);
	if (len)
		memcpy(out->body, data, len);
	out->body[len] = '\0';
	out->len = len;
	const char *size = nng_http_res_get_header(res, "X-Mosaic-File-Size");
	if (size)
		out->file_size = strtoll(size, NULL, 10);
done:
	if (rv != 0)
		snprintf(err, errlen, "cannot %s %s: %s", step, url, nng_strerror(rv));
	nng_aio_free(aio);
	if (res)
		nng_http_res_free(res);
	if (req)
		nng_http_req_free(req);
	if (client)
		nng_http_client_free(client);
	if (u)
		nng_url_free(u);
	if (rv == 0)
		return MOSAIC_OK;
	return rv == NNG_ETIMEDOUT                        ? MOSAIC_ETIMEDOUT
	       : rv == NNG_EADDRINVAL || rv == NNG_EINVAL ? MOSAIC_EINVAL
	                                                  : MOSAIC_ENET;
}

void
cli_http_response_fini(cli_http_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int
cli_http_task_file(const char *agent_http, const char *framework_id, const char *task_id, const char *name,
                   size_t max, char **data, size_t *len, bool *truncated, char *err, size_t errlen)
{
	size_t have = 0, cap = 0;
	char *buf = NULL;
	*truncated = false;
	int rv = MOSAIC_OK;
	const char *base = agent_http;
	size_t blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	for (;;) {
		size_t want = max - have < PAGE ? max - have : PAGE;
		char url[1024];
		snprintf(url, sizeof(url), "%.*s/files/%s/%s/%s?offset=%zu&length=%zu", (int)blen, base,
		         framework_id, task_id, name, have, want);
		cli_http_response r;
		if ((rv = cli_http_get(url, 10.0, &r, err, errlen)) != 0)
			break;
		if (r.status != 200) {
			snprintf(err, errlen, "%s: HTTP %d%s%.200s", url, r.status, r.len ? ": " : "",
			         r.body);
			rv = r.status == 404 ? MOSAIC_ENOENT : MOSAIC_EIO;
			cli_http_response_fini(&r);
			break;
		}
		if (have + r.len + 1 > cap) {
			cap = have + r.len + 1;
			buf = xrealloc(buf, cap);
		}
		if (r.len)
			memcpy(buf + have, r.body, r.len);
		have += r.len;
		long long size = r.file_size;
		size_t got = r.len;
		cli_http_response_fini(&r);
		/* Done at the end of the file; without a size header, when a
		 * page came back short. */
		if (size >= 0 ? (long long)have >= size : got < want)
			break;
		if (got == 0)
			break;
		if (have >= max) {
			*truncated = true;
			break;
		}
	}
	if (rv != 0) {
		free(buf);
		return rv;
	}
	if (!buf)
		buf = xmalloc(1);
	buf[have] = '\0';
	*data = buf;
	*len = have;
	return MOSAIC_OK;
}
