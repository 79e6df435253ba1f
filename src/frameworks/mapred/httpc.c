#include "httpc.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errors.h"
#include "loop.h"
#include "mem.h"
#include "net.h"

#define HEAD_MAX (16u << 10)

static void seterr(httpc_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
seterr(httpc_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

int
httpc_url_split(const char *url, char *host, size_t hostcap, char *port, size_t portcap, char *path,
                size_t pathcap)
{
	if (!url || strncmp(url, "http://", 7) != 0)
		return MOSAIC_EINVAL;
	const char *h = url + 7, *end = h + strcspn(h, "/?");
	const char *colon = NULL;
	const char *hs = h, *he;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (!rb)
			return MOSAIC_EINVAL;
		hs = h + 1;
		he = rb;
		if (rb + 1 < end) {
			if (rb[1] != ':')
				return MOSAIC_EINVAL;
			colon = rb + 1;
		}
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		he = colon ? colon : end;
	}
	size_t hl = (size_t)(he - hs);
	if (hl == 0 || hl >= hostcap)
		return MOSAIC_EINVAL;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	const char *ps = colon ? colon + 1 : "80";
	size_t pl = colon ? (size_t)(end - ps) : 2;
	if (pl == 0 || pl >= portcap || strspn(ps, "0123456789") < pl)
		return MOSAIC_EINVAL;
	memcpy(port, ps, pl);
	port[pl] = '\0';
	const char *rest = *end ? end : "/";
	if (*rest == '?') {
		if (strlen(rest) + 2 > pathcap)
			return MOSAIC_EINVAL;
		snprintf(path, pathcap, "/%s", rest);
		return MOSAIC_OK;
	}
	if (strlen(rest) >= pathcap)
		return MOSAIC_EINVAL;
	strcpy(path, rest);
	return MOSAIC_OK;
}

static int
dial(const char *host, const char *port, double timeout, int *out, httpc_result *r)
{
	char why[256];
	int rv = net_dial(host, port, mosaic_mono_now() + timeout, out, why, sizeof(why));
	if (rv == MOSAIC_ETIMEDOUT)
		seterr(r, "connect to %s:%s: timed out after %.1f s", host, port, timeout);
	else if (rv != 0)
		seterr(r, "connect to %s:%s: %s", host, port, why);
	return rv;
}

static int
send_all(int fd, const char *p, size_t n, double timeout, httpc_result *r)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (net_wait(fd, POLLOUT, mosaic_mono_now() + timeout) != 0) {
				seterr(r, "sending the request timed out");
				return MOSAIC_ETIMEDOUT;
			}
			continue;
		}
		seterr(r, "sending the request: %s", strerror(errno));
		return MOSAIC_ENET;
	}
	return MOSAIC_OK;
}

/* One read of at most cap bytes: >0 bytes, 0 at EOF, -1 with rv set. */
static ssize_t
recv_some(int fd, char *buf, size_t cap, double timeout, int *rv, httpc_result *r)
{
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (net_wait(fd, POLLIN, mosaic_mono_now() + timeout) != 0) {
				seterr(r, "no data for %.1f s", timeout);
				*rv = MOSAIC_ETIMEDOUT;
				return -1;
			}
			continue;
		}
		seterr(r, "reading the response: %s", strerror(errno));
		*rv = MOSAIC_ENET;
		return -1;
	}
}

/* The value of header name in the header block, or NULL. */
static const char *
header(const char *head, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	for (const char *line = strstr(head, "\r\n"); line && line[2]; line = strstr(line + 2, "\r\n")) {
		const char *l = line + 2;
		if (strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
			const char *v = l + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			const char *e = strstr(v, "\r\n");
			*vlen = e ? (size_t)(e - v) : strlen(v);
			while (*vlen && (v[*vlen - 1] == ' ' || v[*vlen - 1] == '\t'))
				(*vlen)--;
			return v;
		}
	}
	return NULL;
}

static bool
header_u64(const char *head, const char *name, uint64_t *out)
{
	size_t n;
	const char *v = header(head, name, &n);
	if (!v || n == 0 || n > 20 || strspn(v, "0123456789") < n)
		return false;
	char tmp[24];
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	errno = 0;
	unsigned long long x = strtoull(tmp, NULL, 10);
	if (errno)
		return false;
	*out = x;
	return true;
}

int
httpc_parse_head(const char *head, httpc_head *out, char *err, size_t errlen)
{
	int major, minor, status;
	size_t tl;
	memset(out, 0, sizeof(*out));
	out->file_size = HTTPC_NO_SIZE;
	if (sscanf(head, "HTTP/%d.%d %d", &major, &minor, &status) != 3 || status < 100 || status > 999) {
		snprintf(err, errlen, "not an HTTP response");
		return MOSAIC_EDECODE;
	}
	if (header(head, "Transfer-Encoding", &tl)) {
		snprintf(err, errlen, "chunked responses are not supported");
		return MOSAIC_EDECODE;
	}
	out->status = status;
	uint64_t fs;
	if (header_u64(head, "X-Mosaic-File-Size", &fs))
		out->file_size = fs;
	out->has_length = header_u64(head, "Content-Length", &out->length);
	return MOSAIC_OK;
}

/* Delivers body bytes: to the sink for a 200, else into res->err. */
static int
deliver(int status, httpc_sink_fn sink, void *arg, const char *p, size_t n, size_t *errlen, httpc_result *r)
{
	if (status == 200) {
		r->body += n;
		return sink ? sink(arg, p, n) : MOSAIC_OK;
	}
	size_t room = sizeof(r->err) - 1 - *errlen;
	size_t take = n < room ? n : room;
	for (size_t i = 0; i < take; i++)
		r->err[*errlen + i] = (p[i] == '\n' || p[i] == '\r') ? ' ' : p[i];
	*errlen += take;
	r->err[*errlen] = '\0';
	return MOSAIC_OK;
}

int
httpc_get(const char *url, double timeout, httpc_sink_fn sink, void *arg, httpc_result *res)
{
	char host[256], port[16], path[2048];
	res->status = 0;
	res->file_size = HTTPC_NO_SIZE;
	res->err[0] = '\0';
	if (httpc_url_split(url, host, sizeof(host), port, sizeof(port), path, sizeof(path)) != 0) {
		seterr(res, "not an http://host:port/path url: %.200s", url ? url : "(null)");
		return MOSAIC_EINVAL;
	}
	int fd, rv = dial(host, port, timeout, &fd, res);
	if (rv)
		return rv;
	bool v6 = strchr(host, ':') != NULL;
	char *req = xasprintf("GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nConnection: close\r\nUser-Agent: "
	                      "mapred\r\n\r\n",
	                      path, v6 ? "[" : "", host, v6 ? "]" : "", port);
	rv = send_all(fd, req, strlen(req), timeout, res);
	free(req);
	char *buf = xmalloc(HEAD_MAX + 1);
	size_t have = 0;
	char *body = NULL;
	while (!rv && !body) {
		if (have == HEAD_MAX) {
			seterr(res, "response headers over %u bytes", HEAD_MAX);
			rv = MOSAIC_EDECODE;
			break;
		}
		ssize_t n = recv_some(fd, buf + have, HEAD_MAX - have, timeout, &rv, res);
		if (n < 0)
			break;
		if (n == 0) {
			seterr(res, "connection closed before the response headers");
			rv = MOSAIC_ENET;
			break;
		}
		have += (size_t)n;
		buf[have] = '\0';
		body = strstr(buf, "\r\n\r\n");
	}
	httpc_head h = {0};
	if (!rv) {
		body[2] = '\0'; /* the header block ends with its last "\r\n" */
		body += 4;
		rv = httpc_parse_head(buf, &h, res->err, sizeof(res->err));
		if (!rv) {
			res->status = h.status;
			res->file_size = h.file_size;
		}
	}
	size_t errlen = 0;
	if (!rv && res->status != 200)
		errlen = (size_t)snprintf(res->err, sizeof(res->err), "HTTP %d: ", res->status);
	if (!rv) {
		uint64_t got = 0;
		size_t first = have - (size_t)(body - buf);
		if (h.has_length && first > h.length)
			first = (size_t)h.length;
		if (first)
			rv = deliver(res->status, sink, arg, body, first, &errlen, res);
		got += first;
		while (!rv && (!h.has_length || got < h.length)) {
			ssize_t n = recv_some(fd, buf, HEAD_MAX, timeout, &rv, res);
			if (n < 0)
				break;
			if (n == 0) {
				if (h.has_length) {
					seterr(res, "connection closed after %llu of %llu body bytes",
					       (unsigned long long)got, (unsigned long long)h.length);
					rv = MOSAIC_ENET;
				}
				break;
			}
			size_t take = (size_t)n;
			if (h.has_length && take > h.length - got)
				take = (size_t)(h.length - got);
			rv = deliver(res->status, sink, arg, buf, take, &errlen, res);
			got += take;
		}
	}
	free(buf);
	close(fd);
	if (!rv && res->status != 200)
		rv = res->status == 404 ? MOSAIC_ENOENT : res->status == 403 ? MOSAIC_EPERM : MOSAIC_EIO;
	return rv;
}

int
httpc_fetch(const char *url, uint64_t offset, uint64_t length, double timeout, httpc_sink_fn sink, void *arg,
            httpc_result *res)
{
	uint64_t size = HTTPC_NO_SIZE, done = 0, body = 0;
	for (;;) {
		uint64_t want = HTTPC_CHUNK;
		if (length != HTTPC_NO_SIZE && length - done < want)
			want = length - done;
		char *u = xasprintf("%s?offset=%llu&length=%llu", url, (unsigned long long)(offset + done),
		                    (unsigned long long)want);
		res->body = 0; /* httpc_get counts into it */
		int rv = httpc_get(u, timeout, sink, arg, res);
		free(u);
		uint64_t got = res->body;
		body += got;
		res->body = body;
		if (rv)
			return rv;
		if (res->file_size == HTTPC_NO_SIZE) {
			seterr(res, "no X-Mosaic-File-Size in the response of %.200s", url);
			return MOSAIC_EDECODE;
		}
		if (size != HTTPC_NO_SIZE && res->file_size != size) {
			seterr(res, "%.200s changed size while read (%llu, then %llu bytes)", url,
			       (unsigned long long)size, (unsigned long long)res->file_size);
			return MOSAIC_EDECODE;
		}
		size = res->file_size;
		uint64_t end = length == HTTPC_NO_SIZE || offset + length > size ? size : offset + length;
		if (length != HTTPC_NO_SIZE && offset + length > size) {
			seterr(res, "%.200s holds %llu bytes, fewer than the %llu wanted from %llu", url,
			       (unsigned long long)size, (unsigned long long)length,
			       (unsigned long long)offset);
			return MOSAIC_EDECODE;
		}
		done += got;
		if (offset + done >= end)
			break;
		if (got == 0) {
			seterr(res, "%.200s: an empty answer at %llu of %llu bytes", url,
			       (unsigned long long)(offset + done), (unsigned long long)end);
			return MOSAIC_EDECODE;
		}
	}
	return MOSAIC_OK;
}

int
httpc_size(const char *url, double timeout, uint64_t *size, httpc_result *res)
{
	char *u = xasprintf("%s?offset=0&length=0", url);
	int rv = httpc_get(u, timeout, NULL, NULL, res);
	free(u);
	if (!rv && res->file_size == HTTPC_NO_SIZE) {
		seterr(res, "no X-Mosaic-File-Size in the response of %.200s", url);
		rv = MOSAIC_EDECODE;
	}
	if (!rv)
		*size = res->file_size;
	return rv;
}

int
httpc_sink_fd(void *arg, const void *data, size_t len)
{
	int fd = *(int *)arg;
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return MOSAIC_EIO;
		p += w;
		len -= (size_t)w;
	}
	return MOSAIC_OK;
}

int
httpc_sink_buf(void *arg, const void *data, size_t len)
{
	httpc_buf *b = arg;
	if (b->max && b->len + len > b->max)
		return MOSAIC_ETOOBIG;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len + 1)
			cap *= 2;
		b->data = xrealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return MOSAIC_OK;
}
