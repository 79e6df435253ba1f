/* mpiwire.c - frames and sockets between mmpirun, proxies and the launch
 * agent (see mpiwire.h). */
#include "mpiwire.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "ids.h"
#include "loop.h"
#include "mem.h"
#include "net.h"

#define OUT_CHUNK (64u << 10)
#define FILL_MAX (256u << 10)

void
mpiwire_buf_init(mpiwire_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
mpiwire_buf_fini(mpiwire_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

size_t
mpiwire_pending(const mpiwire_buf *b)
{
	return b->len - b->off;
}

/* Room for n more bytes at the end; consumed bytes are dropped first. */
static void
reserve(mpiwire_buf *b, size_t n)
{
	if (b->off && (b->off == b->len || b->off > b->cap / 2)) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Appends a frame whose payload is the concatenation of two parts. */
static void
put2(mpiwire_buf *b, uint8_t type, const void *a, size_t alen, const void *c, size_t clen)
{
	size_t max = MPIWIRE_MAX_FRAME - 1;
	if (alen > max)
		alen = max;
	if (clen > max - alen)
		clen = max - alen;
	reserve(b, 5 + alen + clen);
	uint8_t *p = b->data + b->len;
	put_u32(p, (uint32_t)(1 + alen + clen));
	p[4] = type;
	if (alen)
		memcpy(p + 5, a, alen);
	if (clen)
		memcpy(p + 5 + alen, c, clen);
	b->len += 5 + alen + clen;
}

void
mpiwire_put(mpiwire_buf *b, uint8_t type, const void *payload, size_t len)
{
	put2(b, type, payload, len, NULL, 0);
}

void
mpiwire_put_hello(mpiwire_buf *b, uint32_t place, const char *token)
{
	uint8_t head[4];
	put_u32(head, place);
	put2(b, MPIWIRE_HELLO, head, 4, token, strlen(token));
}

void
mpiwire_put_run(mpiwire_buf *b, const char *token, const char *command)
{
	put2(b, MPIWIRE_RUN, token, strlen(token) + 1, command, strlen(command));
}

void
mpiwire_put_out(mpiwire_buf *b, uint32_t rank, uint8_t stream, const void *data, size_t len)
{
	const uint8_t *p = data;
	do {
		size_t n = len < OUT_CHUNK ? len : OUT_CHUNK;
		uint8_t head[5];
		put_u32(head, rank);
		head[4] = stream;
		put2(b, MPIWIRE_OUT, head, 5, p, n);
		p += n;
		len -= n;
	} while (len);
}

void
mpiwire_put_exit(mpiwire_buf *b, uint32_t rank, int32_t code, int32_t signo)
{
	uint8_t p[12];
	put_u32(p, rank);
	put_u32(p + 4, (uint32_t)code);
	put_u32(p + 8, (uint32_t)signo);
	put2(b, MPIWIRE_EXIT, p, sizeof(p), NULL, 0);
}

void
mpiwire_put_text(mpiwire_buf *b, uint8_t type, const char *text)
{
	put2(b, type, text, strlen(text), NULL, 0);
}

int
mpiwire_next(mpiwire_buf *b, mpiwire_frame *f)
{
	size_t have = b->len - b->off;
	if (have < 4)
		return 0;
	uint32_t n = get_u32(b->data + b->off);
	if (n < 1 || n > MPIWIRE_MAX_FRAME)
		return -1;
	if (have < 4 + (size_t)n)
		return 0;
	f->type = b->data[b->off + 4];
	f->payload = b->data + b->off + 5;
	f->len = n - 1;
	b->off += 4 + (size_t)n;
	return 1;
}

static void
copy_str(char *out, size_t outlen, const uint8_t *p, size_t n)
{
	if (!outlen)
		return;
	if (n > outlen - 1)
		n = outlen - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

int
mpiwire_get_hello(const mpiwire_frame *f, uint32_t *place, char *token, size_t tlen)
{
	if (f->type != MPIWIRE_HELLO || f->len < 4)
		return MOSAIC_EDECODE;
	*place = get_u32(f->payload);
	copy_str(token, tlen, f->payload + 4, f->len - 4);
	return MOSAIC_OK;
}

int
mpiwire_get_run(const mpiwire_frame *f, char *token, size_t tlen, const char **command, size_t *clen)
{
	const uint8_t *nul = f->type == MPIWIRE_RUN ? memchr(f->payload, '\0', f->len) : NULL;
	if (!nul)
		return MOSAIC_EDECODE;
	size_t tl = (size_t)(nul - f->payload);
	copy_str(token, tlen, f->payload, tl);
	*command = (const char *)nul + 1;
	*clen = f->len - tl - 1;
	return MOSAIC_OK;
}

int
mpiwire_get_out(const mpiwire_frame *f, uint32_t *rank, uint8_t *stream, const uint8_t **data, size_t *len)
{
	if (f->type != MPIWIRE_OUT || f->len < 5)
		return MOSAIC_EDECODE;
	*rank = get_u32(f->payload);
	*stream = f->payload[4];
	if (*stream != MPIWIRE_STDOUT && *stream != MPIWIRE_STDERR)
		return MOSAIC_EDECODE;
	*data = f->payload + 5;
	*len = f->len - 5;
	return MOSAIC_OK;
}

int
mpiwire_get_exit(const mpiwire_frame *f, uint32_t *rank, int32_t *code, int32_t *signo)
{
	if (f->type != MPIWIRE_EXIT || f->len != 12)
		return MOSAIC_EDECODE;
	*rank = get_u32(f->payload);
	*code = (int32_t)get_u32(f->payload + 4);
	*signo = (int32_t)get_u32(f->payload + 8);
	return MOSAIC_OK;
}

void
mpiwire_get_text(const mpiwire_frame *f, char *out, size_t len)
{
	copy_str(out, len, f->payload, f->len);
}

/* ---- sockets ---- */

long
mpiwire_fill(int fd, mpiwire_buf *b)
{
	reserve(b, 64u << 10);
	size_t room = b->cap - b->len;
	if (room > FILL_MAX)
		room = FILL_MAX;
	ssize_t n;
	do
		n = read(fd, b->data + b->len, room);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -2 : -1;
	b->len += (size_t)n;
	return (long)n;
}

int
mpiwire_flush(int fd, mpiwire_buf *b)
{
	while (b->off < b->len) {
		ssize_t n = send(fd, b->data + b->off, b->len - b->off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		b->off += (size_t)n;
	}
	b->off = b->len = 0;
	return 0;
}

static int
seterr(char *err, size_t errlen, const char *what, const char *where, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s %s: %s", what, where, why);
	return -1;
}

int
mpiwire_listen(const char *host, uint16_t port, uint16_t *bound, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	struct addrinfo *res;
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", port);
	int rv = getaddrinfo(host && *host ? host : NULL, ps, &hints, &res);
	if (rv)
		return seterr(err, errlen, "listen on", host ? host : "*", gai_strerror(rv));
	int fd = -1, saved = 0;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
			saved = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0) {
		char where[300];
		snprintf(where, sizeof(where), "%s:%u", host ? host : "*", port);
		return seterr(err, errlen, "listen on", where, strerror(saved ? saved : EADDRNOTAVAIL));
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (bound)
		*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		                                        : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

int
mpiwire_connect(const char *hostport, double timeout, char *err, size_t errlen)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof(host) || !colon[1])
		return seterr(err, errlen, "connect to", hostport, "not host:port");
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	double deadline = mosaic_mono_now() + timeout;
	char why[256] = "", failed[256] = "";
	long pause_ms = 1;
	for (;;) {
		int fd, rv = net_dial(host, colon + 1, deadline, &fd, why, sizeof(why));
		if (rv == 0) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			return fd;
		}
		if (rv == MOSAIC_ENOENT)
			return seterr(err, errlen, "connect to", hostport, why);
		/* what went wrong, not that the deadline came during a retry */
		if (rv != MOSAIC_ETIMEDOUT)
			snprintf(failed, sizeof(failed), "%s", why);
		/* Refused on loopback costs nothing: retry often, as the
		 * launch agent may come before the proxy listens - at once
		 * at first (the proxy is usually a few ms from listening),
		 * then backing off to every 20 ms. */
		double pause = (double)pause_ms / 1000.0;
		if (rv == MOSAIC_ETIMEDOUT || mosaic_mono_now() + pause >= deadline)
			break;
		nanosleep(&(struct timespec){0, pause_ms * 1000 * 1000}, NULL);
		if (pause_ms < 20)
			pause_ms = pause_ms * 2 > 20 ? 20 : pause_ms * 2;
	}
	char where[300];
	snprintf(where, sizeof(where), "%s (for %.1f s)", hostport, timeout);
	return seterr(err, errlen, "connect to", where,
	              failed[0] ? failed : why[0] ? why : strerror(ETIMEDOUT));
}

char *
mpiwire_token(char *buf)
{
	uint8_t u[MPIWIRE_TOKEN_LEN / 2];
	uuid_new(u);
	return uuid_format(u, sizeof(u), buf);
}

bool
mpiwire_token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0 && la > 0;
}
