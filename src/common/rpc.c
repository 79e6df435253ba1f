#include "rpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "mem.h"
#include "mosaic.pb-c.h"
#include "net.h"
#include "pbmem.h"

#define READ_CHUNK 65536
#define SWEEP_SECONDS 60.0

/* ---- addresses ---- */

typedef struct rpc_addr {
	bool unix_path;
	char host[256];
	char port[16];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
} rpc_addr;

static int
parse_url(const char *url, rpc_addr *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (strncmp(url, "ipc://", 6) == 0) {
		const char *p = url + 6;
		if (!*p || strlen(p) >= sizeof(a->path)) {
			snprintf(err, errlen, "'%s': an ipc:// address needs a path shorter than %zu bytes", url,
			         sizeof(a->path));
			return MOSAIC_EINVAL;
		}
		a->unix_path = true;
		snprintf(a->path, sizeof(a->path), "%s", p);
		return MOSAIC_OK;
	}
	const char *p = strncmp(url, "tcp://", 6) == 0 ? url + 6 : NULL;
	const char *colon = p ? strrchr(p, ':') : NULL;
	if (!p || !colon || colon == p || !colon[1] || strlen(colon + 1) >= sizeof(a->port) ||
	    (size_t)(colon - p) >= sizeof(a->host)) {
		snprintf(err, errlen, "'%s' is not a tcp://host:port or ipc:///path address", url);
		return MOSAIC_EINVAL;
	}
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535) {
		snprintf(err, errlen, "'%s': the port must be a number from 0 to 65535", url);
		return MOSAIC_EINVAL;
	}
	const char *h = p;
	size_t hl = (size_t)(colon - p);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') { /* [::1] */
		h++;
		hl -= 2;
	}
	snprintf(a->host, sizeof(a->host), "%.*s", (int)hl, h);
	snprintf(a->port, sizeof(a->port), "%ld", port);
	return MOSAIC_OK;
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One frame (length + envelope) in a fresh buffer; NULL over RPC_MAX_MSG. */
static uint8_t *
frame(uint32_t type, uint64_t seq, const uint8_t *payload, size_t len, size_t *out_len)
{
	Mosaic__Envelope env = MOSAIC__ENVELOPE__INIT;
	env.type = type;
	env.from = "";
	env.has_seq = 1;
	env.seq = seq;
	if (payload) {
		env.has_payload = 1;
		env.payload.data = (uint8_t *)payload;
		env.payload.len = len;
	}
	size_t size = mosaic__envelope__get_packed_size(&env);
	if (size > RPC_MAX_MSG)
		return NULL;
	uint8_t *buf = xmalloc(4 + size);
	put_be32(buf, (uint32_t)size);
	mosaic__envelope__pack(&env, buf + 4);
	*out_len = 4 + size;
	return buf;
}

/* ---- server ---- */

typedef struct rconn {
	rpc_server *srv;
	uint64_t id;
	int fd;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	double last;
	bool want_out;
} rconn;

struct rpc_server {
	mosaic_loop *loop;
	int lfd;
	rpc_addr addr;
	char address[MESSENGER_ADDR_MAX];
	rpc_handler fn;
	void *ctx;
	rconn **conns;
	size_t nconns, capconns;
	uint64_t next_id;
	uint64_t sweep_timer;
};

static rconn *
find_conn(rpc_server *s, uint64_t id, size_t *index)
{
	for (size_t i = 0; i < s->nconns; i++)
		if (s->conns[i]->id == id) {
			if (index)
				*index = i;
			return s->conns[i];
		}
	return NULL;
}

static void
conn_close(rpc_server *s, rconn *c)
{
	size_t i;
	if (find_conn(s, c->id, &i))
		s->conns[i] = s->conns[--s->nconns];
	loop_fd_remove(s->loop, c->fd);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

/* Write what the socket takes; 0, or -1 when the connection broke. */
static int
conn_flush(rpc_server *s, rconn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	bool want = c->out_len > 0;
	if (want != c->want_out) {
		loop_fd_modify(s->loop, c->fd, POLLIN | (want ? POLLOUT : 0));
		c->want_out = want;
	}
	return 0;
}

/* Hand every complete request to the handler (at most what one wake-up
 * read: 16 chunks); -1 closes the connection, -2 says it is gone. */
static int
conn_dispatch(rpc_server *s, rconn *c)
{
	size_t off = 0;
	uint64_t id = c->id;
	while (c->in_len - off >= 4) {
		uint32_t len = get_be32(c->in + off);
		if (len > RPC_MAX_MSG) {
			LOGW("rpc: closing a connection that sent a %u-byte message (limit %u)", len, RPC_MAX_MSG);
			return -1;
		}
		if (c->in_len - off - 4 < len)
			break;
		pbmem *mem;
		Mosaic__Envelope *env =
		    (Mosaic__Envelope *)pbmem_unpack(&mosaic__envelope__descriptor, len, c->in + off + 4, &mem);
		if (!env) {
			LOGW("rpc: closing a connection that sent an undecodable %u-byte message", len);
			return -1;
		}
		off += 4 + len;
		s->fn(s->ctx, id, env->type, env->has_seq ? env->seq : 0,
		      env->has_payload ? env->payload.data : NULL, env->has_payload ? env->payload.len : 0);
		pbmem_free(mem);
		/* The handler may have answered, and the answer may have broken
		 * the connection: look it up again. */
		if (!find_conn(s, id, NULL))
			return -2;
	}
	if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	return 0;
}

static void
on_conn(mosaic_loop *loop, int fd, int revents, void *arg)
{
	rconn *c = arg;
	rpc_server *s = c->srv;
	c->last = loop_now(loop);
	if ((revents & POLLOUT) && conn_flush(s, c) != 0) {
		conn_close(s, c);
		return;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	bool eof = false;
	for (int k = 0; k < 16; k++) {
		if (c->in_cap - c->in_len < READ_CHUNK) {
			c->in_cap = c->in_len + READ_CHUNK > 2 * c->in_cap ? c->in_len + READ_CHUNK : 2 * c->in_cap;
			c->in = xrealloc(c->in, c->in_cap);
		}
		ssize_t n = recv(fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			if ((size_t)n < READ_CHUNK)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		eof = true; /* closed, or an error */
		break;
	}
	int rv = conn_dispatch(s, c);
	if (rv == -2)
		return; /* gone already */
	if (rv != 0 || eof) {
		conn_close(s, c);
		return;
	}
	if (c->in_len == 0 && c->in_cap > 4 * READ_CHUNK) { /* after a large request */
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	}
}

static void
on_accept(mosaic_loop *loop, int fd, int revents, void *arg)
{
	rpc_server *s = arg;
	for (int k = 0; k < 64; k++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				LOGW("rpc: accept: %s", strerror(errno));
			return;
		}
		if (s->nconns >= RPC_MAX_CONNS) {
			LOGW("rpc: %d connections open already (the limit): closing a new one", RPC_MAX_CONNS);
			close(cfd);
			continue;
		}
		if (!s->addr.unix_path) {
			int one = 1;
			setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		rconn *c = xcalloc(1, sizeof(*c));
		c->srv = s;
		c->id = ++s->next_id;
		c->fd = cfd;
		c->last = loop_now(loop);
		if (s->nconns == s->capconns) {
			s->capconns = s->capconns ? 2 * s->capconns : 16;
			s->conns = xrealloc(s->conns, s->capconns * sizeof(*s->conns));
		}
		s->conns[s->nconns++] = c;
			loop_fd_add(loop, cfd, POLLIN, on_conn, c);
	}
}

static void
sweep(mosaic_loop *loop, void *arg)
{
	rpc_server *s = arg;
	double now = loop_now(loop);
	for (size_t i = 0; i < s->nconns;) {
		rconn *c = s->conns[i];
		if (now - c->last > RPC_IDLE_SECONDS) {
			LOGD("rpc: closing a connection idle for %.0f s", now - c->last);
			conn_close(s, c); /* moves the last one here */
		} else {
			i++;
		}
	}
	s->sweep_timer = loop_timer_start(loop, SWEEP_SECONDS, sweep, s);
}

int
rpc_server_open(rpc_server **out, mosaic_loop *loop, const char *url, rpc_handler fn, void *ctx, char *err,
                size_t errlen)
{
	rpc_addr a;
	int rv = parse_url(url, &a, err, errlen);
	if (rv != 0)
		return rv;
	int fd = -1;
	char bound[MESSENGER_ADDR_MAX];
	if (a.unix_path) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a.path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		/* A socket file left by a daemon that died is in the way. */
		if (fd >= 0 && bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 && errno == EADDRINUSE) {
			int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (probe >= 0 && connect(probe, (struct sockaddr *)&sun, sizeof(sun)) != 0 &&
			    errno == ECONNREFUSED)
				unlink(a.path);
			if (probe >= 0)
				close(probe);
			if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
				snprintf(err, errlen, "cannot listen on %s: %s", url, strerror(errno));
				close(fd);
				return MOSAIC_ENET;
			}
		} else if (fd < 0) {
			snprintf(err, errlen, "socket: %s", strerror(errno));
			return MOSAIC_ENET;
		}
		snprintf(bound, sizeof(bound), "ipc://%s", a.path);
	} else {
		struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
		struct addrinfo *ai = NULL;
		const char *host = strcmp(a.host, "*") == 0 ? NULL : a.host;
		int gai = getaddrinfo(host, a.port, &hints, &ai);
		if (gai != 0) {
			snprintf(err, errlen, "cannot resolve %s: %s", a.host, gai_strerror(gai));
			return MOSAIC_ENET;
		}
		int e = 0;
		for (struct addrinfo *p = ai; p && fd < 0; p = p->ai_next) {
			fd = socket(p->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				e = errno;
				continue;
			}
			int one = 1;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, p->ai_addr, p->ai_addrlen) != 0) {
				e = errno;
				close(fd);
				fd = -1;
			}
		}
		freeaddrinfo(ai);
		if (fd < 0) {
			snprintf(err, errlen, "cannot listen on %s: %s", url, strerror(e));
			return MOSAIC_ENET;
		}
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int port = 0;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
			port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			                                      : ((struct sockaddr_in *)&ss)->sin_port);
		bool v6 = strchr(a.host, ':') != NULL;
		snprintf(bound, sizeof(bound), "tcp://%s%s%s:%d", v6 ? "[" : "", a.host, v6 ? "]" : "", port);
	}
	if (listen(fd, 512) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", url, strerror(errno));
		close(fd);
		return MOSAIC_ENET;
	}
	rpc_server *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->lfd = fd;
	s->addr = a;
	s->fn = fn;
	s->ctx = ctx;
	snprintf(s->address, sizeof(s->address), "%s", bound);
	loop_fd_add(loop, fd, POLLIN, on_accept, s);
	s->sweep_timer = loop_timer_start(loop, SWEEP_SECONDS, sweep, s);
	*out = s;
	return MOSAIC_OK;
}

void
rpc_server_close(rpc_server *s)
{
	if (!s)
		return;
	while (s->nconns)
		conn_close(s, s->conns[0]);
	free(s->conns);
	loop_timer_cancel(s->loop, s->sweep_timer);
	loop_fd_remove(s->loop, s->lfd);
	close(s->lfd);
	if (s->addr.unix_path)
		unlink(s->addr.path);
	free(s);
}

const char *
rpc_server_address(const rpc_server *s)
{
	return s->address;
}

int
rpc_server_reply(rpc_server *s, uint64_t conn, uint32_t type, uint64_t seq, const uint8_t *payload,
                 size_t len)
{
	rconn *c = find_conn(s, conn, NULL);
	if (!c)
		return MOSAIC_ENOENT;
	size_t flen;
	uint8_t *f = frame(type, seq, payload, len, &flen);
	if (!f) {
		LOGW("rpc: not sending a %zu-byte answer: over the %u-byte limit", len, RPC_MAX_MSG);
		return MOSAIC_ETOOBIG;
	}
	if (c->out_len + flen > RPC_MAX_PENDING_OUT) {
		LOGW("rpc: closing a connection whose client left %zu bytes of answers unread", c->out_len);
		free(f);
		conn_close(s, c);
		return MOSAIC_ENOENT;
	}
	if (c->out_len + flen > c->out_cap) {
		c->out_cap = c->out_len + flen;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, f, flen);
	c->out_len += flen;
	free(f);
	c->last = loop_now(s->loop);
	if (conn_flush(s, c) != 0) {
		conn_close(s, c);
		return MOSAIC_ENOENT;
	}
	return MOSAIC_OK;
}

/* ---- client ---- */

struct rpc_client {
	int fd;
	char url[MESSENGER_ADDR_MAX];
};

int
rpc_client_open(rpc_client **out, const char *url, double timeout, char *err, size_t errlen)
{
	rpc_addr a;
	int rv = parse_url(url, &a, err, errlen);
	if (rv != 0)
		return rv;
	double deadline = mosaic_mono_now() + timeout;
	int fd = -1;
	if (a.unix_path) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a.path);
		int e = 0;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			e = errno;
		else if ((e = net_connect(fd, &sun, sizeof(sun), deadline)) != 0) {
			close(fd);
			fd = -1;
		}
		if (fd < 0) {
			snprintf(err, errlen, "%s", strerror(e));
			return MOSAIC_ENET;
		}
	} else {
		if ((rv = net_dial(a.host, a.port, deadline, &fd, err, errlen)) != 0)
			return MOSAIC_ENET;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	rpc_client *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	snprintf(c->url, sizeof(c->url), "%s", url);
	*out = c;
	return MOSAIC_OK;
}

void
rpc_client_close(rpc_client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

int
rpc_client_send(rpc_client *c, uint32_t type, uint64_t seq, const uint8_t *payload, size_t len,
                double deadline, char *err, size_t errlen)
{
	size_t flen;
	uint8_t *f = frame(type, seq, payload, len, &flen);
	if (!f) {
		snprintf(err, errlen, "a %zu-byte request is over the %u-byte limit", len, RPC_MAX_MSG);
		return MOSAIC_ETOOBIG;
	}
	size_t off = 0;
	int rv = MOSAIC_OK;
	while (off < flen) {
		ssize_t n = send(c->fd, f + off, flen - off, MSG_NOSIGNAL);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if ((rv = net_wait(c->fd, POLLOUT, deadline)) == 0)
				continue;
			snprintf(err, errlen, "%s took no request in time", c->url);
			break;
		}
		snprintf(err, errlen, "cannot send to %s: %s", c->url, strerror(errno));
		rv = MOSAIC_ENET;
		break;
	}
	free(f);
	return rv;
}

/* Read exactly len bytes before the deadline. */
static int
read_full(rpc_client *c, uint8_t *buf, size_t len, double deadline, char *err, size_t errlen)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = recv(c->fd, buf + off, len - off, 0);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0) {
			snprintf(err, errlen, "%s closed the connection", c->url);
			return MOSAIC_ENET;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (net_wait(c->fd, POLLIN, deadline) == 0)
				continue;
			snprintf(err, errlen, "%s did not answer in time", c->url);
			return MOSAIC_ETIMEDOUT;
		}
		snprintf(err, errlen, "cannot read from %s: %s", c->url, strerror(errno));
		return MOSAIC_ENET;
	}
	return MOSAIC_OK;
}

int
rpc_client_recv(rpc_client *c, uint32_t *type, uint64_t *seq, uint8_t **payload, size_t *len,
                double deadline, char *err, size_t errlen)
{
	uint8_t hdr[4];
	int rv = read_full(c, hdr, sizeof(hdr), deadline, err, errlen);
	if (rv != 0)
		return rv;
	uint32_t n = get_be32(hdr);
	if (n > RPC_MAX_MSG) {
		snprintf(err, errlen, "%s sent a %u-byte answer (the limit is %u)", c->url, n, RPC_MAX_MSG);
		return MOSAIC_EDECODE;
	}
	uint8_t *body = xmalloc(n ? n : 1);
	if ((rv = read_full(c, body, n, deadline, err, errlen)) != 0) {
		free(body);
		return rv;
	}
	Mosaic__Envelope *env = mosaic__envelope__unpack(NULL, n, body);
	free(body);
	if (!env) {
		snprintf(err, errlen, "%s sent an undecodable answer", c->url);
		return MOSAIC_EDECODE;
	}
	*type = env->type;
	*seq = env->has_seq ? env->seq : 0;
	*len = env->has_payload ? env->payload.len : 0;
	*payload = xmalloc(*len ? *len : 1);
	if (*len)
		memcpy(*payload, env->payload.data, *len);
	mosaic__envelope__free_unpacked(env, NULL);
	return MOSAIC_OK;
}
