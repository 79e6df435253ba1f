#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "errors.h"
#include "loop.h"

int
net_wait(int fd, short events, double deadline)
{
	for (;;) {
		double left = deadline - mosaic_mono_now();
		if (left <= 0)
			return MOSAIC_ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)(left * 1000) + 1);
		if (n > 0)
			return MOSAIC_OK;
		if (n < 0 && errno != EINTR)
			return MOSAIC_ENET;
	}
}

int
net_connect(int fd, const void *sa, unsigned salen, double deadline)
{
	if (connect(fd, sa, salen) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	if (net_wait(fd, POLLOUT, deadline) != 0)
		return ETIMEDOUT;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
		return errno;
	return soerr;
}

int
net_dial(const char *host, const char *port, double deadline, int *out, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
	int gai = getaddrinfo(host, port, &hints, &ai);
	if (gai != 0) {
		snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(gai));
		return MOSAIC_ENOENT;
	}
	int e = ECONNREFUSED;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if ((e = net_connect(fd, a->ai_addr, a->ai_addrlen, deadline)) == 0) {
			freeaddrinfo(ai);
			*out = fd;
			return MOSAIC_OK;
		}
		close(fd);
		if (e == ETIMEDOUT)
			break;
	}
	freeaddrinfo(ai);
	snprintf(err, errlen, "%s", e == ETIMEDOUT ? "timed out" : strerror(e));
	return e == ETIMEDOUT ? MOSAIC_ETIMEDOUT : MOSAIC_ENET;
}
