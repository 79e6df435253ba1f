#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "httpc.h"
#include "mem.h"

#define REQ_MAX 8192
#define IO_TIMEOUT_S 30

typedef struct range {
	int fd;
	dev_t dev; /* the file's identity, to share one descriptor per file */
	ino_t ino;
	uint64_t offset, length;
} range;

struct httpd {
	int lfd;
	int stop[2]; /* a byte here wakes the accept thread to leave */
	pthread_t acceptor;
	pthread_mutex_t mu;
	pthread_cond_t idle;
	unsigned active; /* connection threads running */
	range *ranges;
	size_t n, cap;
	char token[33];
	char base[300]; /* http://host:port */
	uint64_t requests, bytes;
};

static void
set_timeouts(int fd)
{
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
answer_text(int fd, int status, const char *reason, const char *text)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
	                 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: "
	                 "close\r\n\r\n",
	                 status, reason, strlen(text));
	if (send_all(fd, head, (size_t)n) == 0)
		send_all(fd, text, strlen(text));
}

/* "offset=N&length=M" (either may be missing): false if malformed. */
static bool
parse_query(const char *q, uint64_t *offset, uint64_t *length, bool *has_length)
{
	while (q && *q) {
		size_t n = strcspn(q, "&");
		uint64_t *dst = NULL;
		if (n > 7 && strncmp(q, "offset=", 7) == 0)
			dst = offset;
		else if (n > 7 && strncmp(q, "length=", 7) == 0) {
			dst = length;
			*has_length = true;
		}
		if (dst) {
			if (n - 7 > 20 || strspn(q + 7, "0123456789") < n - 7)
				return false;
			*dst = strtoull(q + 7, NULL, 10);
		}
		q += n + (q[n] == '&');
	}
	return true;
}

/* The block index a path names ("/b/<token>/<index>"); false if none. */
static bool
parse_block(const char *path, const char *token, size_t *index)
{
	char want[64];
	int len = snprintf(want, sizeof(want), "/b/%s/", token);
	if (len < 0 || (size_t)len >= sizeof(want) || strncmp(path, want, (size_t)len) != 0)
		return false;
	const char *num = path + len;
	if (!*num || strspn(num, "0123456789") != strlen(num) || strlen(num) > 9)
		return false;
	*index = (size_t)strtoul(num, NULL, 10);
	return true;
}

int
httpd_parse_request(const char *req, const char *token, httpd_request *out)
{
	char method[8], uri[2048];
	memset(out, 0, sizeof(*out));
	out->why = "bad request\n";
	if (sscanf(req, "%7s %2047s HTTP/1.", method, uri) != 2)
		return 400;
	out->why = "GET only\n";
	if (strcmp(method, "GET") != 0)
		return 405;
	char *q = strchr(uri, '?');
	if (q)
		*q++ = '\0';
	out->why = "no such block\n";
	if (!parse_block(uri, token, &out->block))
		return 404;
	out->why = "offset and length must be non-negative integers\n";
	if (!parse_query(q, &out->offset, &out->length, &out->has_length))
		return 400;
	out->why = NULL;
	return 200;
}

/* The range published as block i; false if none. */
static bool
lookup(httpd *h, size_t i, range *out)
{
	bool found = false;
	pthread_mutex_lock(&h->mu);
	if (i < h->n) {
		*out = h->ranges[i];
		found = true;
	}
	pthread_mutex_unlock(&h->mu);
	return found;
}

static void
serve(httpd *h, int fd)
{
	char req[REQ_MAX + 1];
	size_t have = 0;
	char *end = NULL;
	while (!end) {
		if (have == REQ_MAX) {
			answer_text(fd, 431, "Request Header Fields Too Large", "request too large\n");
			return;
		}
		ssize_t n = recv(fd, req + have, REQ_MAX - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		have += (size_t)n;
		req[have] = '\0';
		end = strstr(req, "\r\n\r\n");
	}
	httpd_request hr;
	range r;
	int status = httpd_parse_request(req, h->token, &hr);
	if (status == 200 && !lookup(h, hr.block, &r)) {
		status = 404;
		hr.why = "no such block\n";
	}
	if (status != 200) {
		answer_text(fd, status,
		            status == 405   ? "Method Not Allowed"
		            : status == 404 ? "Not Found"
		                            : "Bad Request",
		            hr.why);
		return;
	}
	uint64_t want = hr.offset < r.length ? r.length - hr.offset : 0;
	if (hr.has_length && hr.length < want)
		want = hr.length;
	if (want > HTTPC_CHUNK)
		want = HTTPC_CHUNK;
	char head[256];
	int hn = snprintf(head, sizeof(head),
	                  "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
	                  "%llu\r\nX-Mosaic-File-Size: %llu\r\nConnection: close\r\n\r\n",
	                  (unsigned long long)want, (unsigned long long)r.length);
	if (send_all(fd, head, (size_t)hn) != 0)
		return;
	off_t pos = (off_t)(r.offset + hr.offset);
	uint64_t left = want;
	while (left) {
		ssize_t s = sendfile(fd, r.fd, &pos, left);
		if (s < 0 && errno == EINTR)
			continue;
		if (s <= 0)
			return;
		left -= (uint64_t)s;
	}
	pthread_mutex_lock(&h->mu);
	h->requests++;
	h->bytes += want;
	pthread_mutex_unlock(&h->mu);
}

typedef struct conn {
	httpd *h;
	int fd;
} conn;

static void *
conn_main(void *arg)
{
	conn *c = arg;
	serve(c->h, c->fd);
	shutdown(c->fd, SHUT_WR);
	close(c->fd);
	pthread_mutex_lock(&c->h->mu);
	if (--c->h->active == 0)
		pthread_cond_broadcast(&c->h->idle);
	pthread_mutex_unlock(&c->h->mu);
	free(c);
	return NULL;
}

static void *
accept_main(void *arg)
{
	httpd *h = arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = h->lfd, .events = POLLIN}, {.fd = h->stop[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		int fd = accept4(h->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		set_timeouts(fd);
		pthread_mutex_lock(&h->mu);
		bool full = h->active >= HTTPD_MAX_CONN;
		if (!full)
			h->active++;
		pthread_mutex_unlock(&h->mu);
		if (full) {
			answer_text(fd, 503, "Service Unavailable", "busy, try again\n");
			close(fd);
			continue;
		}
		conn *c = xmalloc(sizeof(*c));
		c->h = h;
		c->fd = fd;
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &attr, conn_main, c) != 0) {
			close(fd);
			free(c);
			pthread_mutex_lock(&h->mu);
			if (--h->active == 0)
				pthread_cond_broadcast(&h->idle);
			pthread_mutex_unlock(&h->mu);
		}
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

int
httpd_open(httpd **out, const char *host, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE},
	                *ai;
	int g = getaddrinfo(host, "0", &hints, &ai);
	if (g != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(g));
		return MOSAIC_ENET;
	}
	int lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(lfd, 128) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", host, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		freeaddrinfo(ai);
		return MOSAIC_ENET;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN], port[16];
	if (getsockname(lfd, (struct sockaddr *)&ss, &sl) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, ip, sizeof(ip), port, sizeof(port),
	                NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(err, errlen, "cannot learn the port bound on %s", host);
		close(lfd);
		return MOSAIC_ENET;
	}
	unsigned char rnd[16];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		close(lfd);
		return MOSAIC_EIO;
	}
	httpd *h = xcalloc(1, sizeof(*h));
	for (int i = 0; i < 16; i++)
		snprintf(h->token + 2 * i, 3, "%02x", rnd[i]);
	snprintf(h->base, sizeof(h->base), strchr(ip, ':') ? "http://[%s]:%s" : "http://%s:%s", ip, port);
	h->lfd = lfd;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->idle, NULL);
	if (pipe2(h->stop, O_CLOEXEC) != 0 || pthread_create(&h->acceptor, NULL, accept_main, h) != 0) {
		snprintf(err, errlen, "cannot start the server thread: %s", strerror(errno));
		close(lfd);
		free(h);
		return MOSAIC_EIO;
	}
	*out = h;
	return MOSAIC_OK;
}

void
httpd_close(httpd *h)
{
	if (!h)
		return;
	if (write(h->stop[1], "x", 1) < 0) {
		/* The pipe is ours and empty: cannot fail in practice. */
	}
	pthread_join(h->acceptor, NULL);
	close(h->lfd);
	pthread_mutex_lock(&h->mu);
	while (h->active)
		pthread_cond_wait(&h->idle, &h->mu);
	pthread_mutex_unlock(&h->mu);
	for (size_t i = 0; i < h->n; i++) {
		bool shared = false;
		for (size_t j = 0; j < i && !shared; j++)
			shared = h->ranges[j].fd == h->ranges[i].fd;
		if (!shared)
			close(h->ranges[i].fd);
	}
	free(h->ranges);
	close(h->stop[0]);
	close(h->stop[1]);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->idle);
	free(h);
}

int
httpd_publish(httpd *h, const char *path, uint64_t offset, uint64_t length, char **url)
{
	struct stat want;
	if (stat(path, &want) != 0)
		return errno == ENOENT ? MOSAIC_ENOENT : MOSAIC_EIO;
	/* One descriptor per file, shared by its ranges. */
	int fd = -1;
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->n && fd < 0; i++)
		if (h->ranges[i].dev == want.st_dev && h->ranges[i].ino == want.st_ino)
			fd = h->ranges[i].fd;
	pthread_mutex_unlock(&h->mu);
	if (fd < 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? MOSAIC_ENOENT : MOSAIC_EIO;
	pthread_mutex_lock(&h->mu);
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->ranges = xrealloc(h->ranges, h->cap * sizeof(range));
	}
	size_t i = h->n++;
	h->ranges[i] = (range){fd, want.st_dev, want.st_ino, offset, length};
	pthread_mutex_unlock(&h->mu);
	*url = xasprintf("%s/b/%s/%zu", h->base, h->token, i);
	return MOSAIC_OK;
}

void
httpd_stats(httpd *h, uint64_t *requests, uint64_t *bytes)
{
	pthread_mutex_lock(&h->mu);
	*requests = h->requests;
	*bytes = h->bytes;
	pthread_mutex_unlock(&h->mu);
}
