#include "mbatch_http.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "loop.h"
#include "mem.h"
#include "net.h"

static int
connect_to(const char *host, const char *port, double end, int *out, char *err, size_t errlen)
{
	char why[256];
	int rv = net_dial(host, port, end, out, why, sizeof(why));
	if (rv != 0)
		snprintf(err, errlen, "cannot connect to %s:%s: %s", host, port, why);
	return rv == 0 ? 0 : MOSAIC_ENET;
}

/* Parse "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n" at the start of buf. */
static bool
parse_head(const char *buf, size_t len, mbatch_http_response *out, size_t *body, long long *clen)
{
	const char *end = NULL;
	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i;
			break;
		}
	if (!end || sscanf(buf, "HTTP/%*d.%*d %d", &out->status) != 1)
		return false;
	*body = (size_t)(end - buf) + 4;
	*clen = -1;
	for (const char *p = strstr(buf, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n")) {
		const char *h = p + 2;
		if (strncasecmp(h, "Content-Length:", 15) == 0)
			*clen = atoll(h + 15);
		else if (strncasecmp(h, "X-Mosaic-File-Size:", 19) == 0)
			out->file_size = atoll(h + 19);
	}
	return true;
}

int
mbatch_http_get(const char *base, const char *path, double timeout, size_t max, mbatch_http_response *out,
                char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->file_size = -1;
	if (strncmp(base, "http://", 7) != 0) {
		snprintf(err, errlen, "'%s' is not an http:// address", base);
		return MOSAIC_EINVAL;
	}
	char host[256], port[16] = "80";
	const char *hp = base + 7, *slash = strchr(hp, '/');
	size_t hlen = slash ? (size_t)(slash - hp) : strlen(hp);
	const char *colon = memchr(hp, ':', hlen);
	if (colon) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - hp), hp);
		snprintf(port, sizeof(port), "%.*s", (int)(hlen - (size_t)(colon - hp) - 1), colon + 1);
	} else {
		snprintf(host, sizeof(host), "%.*s", (int)hlen, hp);
	}
	double end = mosaic_mono_now() + timeout;
	int fd;
	int rv = connect_to(host, port, end, &fd, err, errlen);
	if (rv)
		return rv;
	char *req =
	    xasprintf("GET %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n", path, host, port);
	size_t sent = 0, rlen = strlen(req);
	while (rv == 0 && sent < rlen) {
		ssize_t n = send(fd, req + sent, rlen - sent, MSG_NOSIGNAL);
		if (n > 0)
			sent += (size_t)n;
		else if (n < 0 && errno == EAGAIN)
			rv = net_wait(fd, POLLOUT, end);
		else
			rv = MOSAIC_ENET;
	}
	free(req);
	size_t cap = 65536, len = 0, body = 0;
	long long clen = -1;
	char *buf = xmalloc(cap + 1);
	bool head = false;
	while (rv == 0) {
		if (head && clen >= 0 && len >= body + (size_t)clen)
			break;
		if (len == cap) {
			if (cap > max + 65536) {
				rv = MOSAIC_ETOOBIG;
				break;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t n = recv(fd, buf + len, cap - len, 0);
		if (n > 0) {
			len += (size_t)n;
			buf[len] = '\0';
			if (!head)
				head = parse_head(buf, len, out, &body, &clen);
		} else if (n == 0) {
			break;
		} else if (errno == EAGAIN || errno == EINTR) {
			rv = net_wait(fd, POLLIN, end);
		} else {
			rv = MOSAIC_ENET;
		}
	}
	close(fd);
	if (rv == 0 && !head)
		rv = MOSAIC_EDECODE;
	if (rv != 0) {
		snprintf(err, errlen, "GET %s%s: %s", base, path,
		         rv == MOSAIC_ETIMEDOUT ? "no answer in time"
		         : rv == MOSAIC_EDECODE ? "not an HTTP answer"
		                                : mosaic_strerror(rv));
		free(buf);
		return rv;
	}
	size_t blen = len - body;
	if (clen >= 0 && (size_t)clen < blen)
		blen = (size_t)clen;
	out->body = xmalloc(blen + 1);
	memcpy(out->body, buf + body, blen);
	out->body[blen] = '\0';
	out->len = blen;
	free(buf);
	return MOSAIC_OK;
}

void
mbatch_http_response_fini(mbatch_http_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}
