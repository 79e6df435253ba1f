/* gang_hello.c - a gang without MPI: every rank reports to rank 0 over TCP.
 *
 * mmpirun without OpenMPI starts each rank with Mosaic's gang environment:
 *   MOSAIC_RANK         this rank, 0..size-1
 *   MOSAIC_WORLD_SIZE   ranks in the gang
 *   MOSAIC_LOCAL_RANK   this rank's index among the ranks on its agent
 *   MOSAIC_PEERS        host:port of every rank, in rank order, comma-separated
 *   MOSAIC_COORDINATOR  host:port of rank 0 (default: the first peer)
 * Rank 0 listens on the port of its own MOSAIC_PEERS entry; every other rank
 * connects to the coordinator (retrying while rank 0 starts up), sends
 * "hello <rank>" and waits for "ok". Rank 0 checks it heard every rank
 * exactly once and prints the sum of the ranks, which must be
 * size*(size-1)/2. Everything is bounded by MOSAIC_HELLO_TIMEOUT seconds
 * (default 60). Exit status: 0 all heard, 1 a check failed or time ran
 * out, 2 a bad environment. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORLD 65536

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Milliseconds left until deadline (0 when past), for poll. */
static int
ms_left(double deadline)
{
	double left = deadline - now_s();
	return left > 0 ? (int)(left * 1000) + 1 : 0;
}

static long
env_long(const char *name, long min, long max, long dflt, bool required)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		if (required) {
			fprintf(stderr, "gang_hello: %s is not set (run me under mmpirun)\n", name);
			exit(2);
		}
		return dflt;
	}
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || *end || x < min || x > max) {
		fprintf(stderr, "gang_hello: %s=%s is not a number in %ld..%ld\n", name, v, min, max);
		exit(2);
	}
	return x;
}

/* Splits "host:port" or "[v6]:port" into host and port (in place). */
static bool
split_hostport(char *s, char **host, char **port)
{
	char *colon = strrchr(s, ':');
	if (!colon || colon == s || !colon[1])
		return false;
	*colon = '\0';
	*port = colon + 1;
	*host = s;
	size_t n = strlen(s);
	if (s[0] == '[' && n > 2 && s[n - 1] == ']') {
		s[n - 1] = '\0';
		*host = s + 1;
	}
	return true;
}

/* The n-th entry of a comma-separated list, copied into buf. */
static bool
list_entry(const char *list, long n, char *buf, size_t len)
{
	const char *p = list;
	for (long i = 0; i < n; i++) {
		p = strchr(p, ',');
		if (!p)
			return false;
		p++;
	}
	size_t k = strcspn(p, ",");
	if (k == 0 || k >= len)
		return false;
	memcpy(buf, p, k);
	buf[k] = '\0';
	return true;
}

static long
list_count(const char *list)
{
	long n = 1;
	for (const char *p = list; *p; p++)
		n += *p == ',';
	return n;
}

/* Reads one line (up to len-1 bytes, without the newline) before deadline.
 * buf is NUL-terminated even on failure (with what arrived). */
static bool
read_line(int fd, char *buf, size_t len, double deadline)
{
	size_t at = 0;
	bool ok = false;
	while (at + 1 < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, ms_left(deadline)) <= 0)
			break;
		ssize_t r = read(fd, buf + at, 1);
		if (r <= 0)
			break;
		if (buf[at] == '\n') {
			ok = true;
			break;
		}
		at++;
	}
	buf[at] = '\0';
	return ok;
}

static bool
write_all(int fd, const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* ---- rank 0 ---- */

static int
listen_on(const char *port)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
	struct addrinfo *res, *ai;
	int rv = getaddrinfo(NULL, port, &hints, &res);
	if (rv) {
		fprintf(stderr, "gang_hello: rank 0: port %s: %s\n", port, gai_strerror(rv));
		return -1;
	}
	/* Prefer IPv6 with IPv4 mapped in: one socket hears both. */
	int fd = -1;
	for (int pass = 0; pass < 2 && fd < 0; pass++)
		for (ai = res; ai && fd < 0; ai = ai->ai_next) {
			if ((pass == 0) != (ai->ai_family == AF_INET6))
				continue;
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd < 0)
				continue;
			int one = 1, zero = 0;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (ai->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
				close(fd);
				fd = -1;
			}
		}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "gang_hello: rank 0: cannot listen on port %s: %s\n", port, strerror(errno));
	return fd;
}

static int
coordinate(long size, const char *port, double deadline)
{
	int lfd = listen_on(port);
	if (lfd < 0)
		return 1;
	unsigned char *heard = calloc((size_t)size, 1);
	struct pollfd *pfd = calloc((size_t)size, sizeof(*pfd)); /* [0] listener, then clients */
	if (!heard || !pfd) {
		fprintf(stderr, "gang_hello: out of memory\n");
		return 1;
	}
	heard[0] = 1;
	long nheard = 1, nfd = 1, bad = 0;
	long long sum = 0;
	pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
	while (nheard < size && ms_left(deadline) > 0) {
		if (poll(pfd, (nfds_t)nfd, ms_left(deadline)) <= 0)
			continue;
		if ((pfd[0].revents & POLLIN) && nfd < size) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0)
				pfd[nfd++] = (struct pollfd){.fd = c, .events = POLLIN};
		}
		for (long i = nfd - 1; i >= 1; i--) {
			if (!pfd[i].revents)
				continue;
			/* A hello is one short line: read it whole, briefly bounded. */
			char line[64];
			long r = -1;
			if (read_line(pfd[i].fd, line, sizeof(line), now_s() + 5) &&
			    sscanf(line, "hello %ld", &r) == 1 && r > 0 && r < size && !heard[r]) {
				heard[r] = 1;
				nheard++;
				sum += r;
				write_all(pfd[i].fd, "ok\n");
			} else {
				fprintf(stderr, "gang_hello: rank 0: bad or repeated hello \"%s\"\n", line);
				bad++;
			}
			close(pfd[i].fd);
			pfd[i] = pfd[--nfd];
		}
	}
	for (long i = 0; i < nfd; i++)
		close(pfd[i].fd);
	long long expected = (long long)size * (size - 1) / 2;
	printf("gang_hello: rank 0 heard %ld of %ld ranks, sum of ranks = %lld (expected %lld)%s\n", nheard,
	    size, sum, expected, nheard == size && sum == expected && !bad ? "" : ": FAILED");
	if (nheard < size) {
		printf("gang_hello: missing ranks:");
		for (long r = 0; r < size; r++)
			if (!heard[r])
				printf(" %ld", r);
		printf("\n");
	}
	free(heard);
	free(pfd);
	return nheard == size && sum == expected && !bad ? 0 : 1;
}

/* ---- the other ranks ---- */

/* One connection attempt gets at most 2 s (a host that drops packets must
 * not eat the whole budget before rank 0 is up). */
static double
attempt_deadline(double deadline)
{
	double t = now_s() + 2;
	return t < deadline ? t : deadline;
}

/* A non-blocking connect bounded by the deadline; -1 on failure. */
static int
connect_once(const char *host, const char *port, double deadline)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res;
	if (getaddrinfo(host, port, &hints, &res))
		return -1;
	int fd = -1;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};
			int err = 0;
			socklen_t el = sizeof(err);
			if (errno != EINPROGRESS || poll(&p, 1, ms_left(deadline)) <= 0 ||
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err) {
				close(fd);
				fd = -1;
				continue;
			}
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	}
	freeaddrinfo(res);
	return fd;
}

static int
report(long rank, char *coordinator, double deadline)
{
	char *host, *port;
	if (!split_hostport(coordinator, &host, &port)) {
		fprintf(
		    stderr, "gang_hello: rank %ld: coordinator \"%s\" is not host:port\n", rank, coordinator);
		return 2;
	}
	/* Rank 0 may not be listening yet: retry, 50 ms apart, until the deadline. */
	int fd = -1;
	while ((fd = connect_once(host, port, attempt_deadline(deadline))) < 0 && ms_left(deadline) > 0)
		nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	if (fd < 0) {
		fprintf(stderr, "gang_hello: rank %ld: could not reach rank 0 at %s:%s in time\n", rank, host,
		    port);
		return 1;
	}
	char msg[64], line[64];
	snprintf(msg, sizeof(msg), "hello %ld\n", rank);
	bool ok =
	    write_all(fd, msg) && read_line(fd, line, sizeof(line), deadline) && strcmp(line, "ok") == 0;
	close(fd);
	if (!ok)
		fprintf(stderr, "gang_hello: rank %ld: rank 0 did not acknowledge\n", rank);
	return ok ? 0 : 1;
}

int
main(void)
{
	long size = env_long("MOSAIC_WORLD_SIZE", 1, MAX_WORLD, 0, true);
	long rank = env_long("MOSAIC_RANK", 0, size - 1, 0, true);
	long local = env_long("MOSAIC_LOCAL_RANK", 0, MAX_WORLD, -1, false);
	long timeout = env_long("MOSAIC_HELLO_TIMEOUT", 1, 86400, 60, false);
	double deadline = now_s() + (double)timeout;
	const char *peers = getenv("MOSAIC_PEERS");
	if (!peers || !*peers) {
		fprintf(stderr, "gang_hello: MOSAIC_PEERS is not set (run me under mmpirun)\n");
		return 2;
	}
	if (list_count(peers) != size) {
		fprintf(stderr, "gang_hello: MOSAIC_PEERS has %ld entries for MOSAIC_WORLD_SIZE=%ld\n",
		    list_count(peers), size);
		return 2;
	}
	char self[512], coord[512];
	if (!list_entry(peers, rank, self, sizeof(self))) {
		fprintf(stderr, "gang_hello: MOSAIC_PEERS has no usable entry for rank %ld\n", rank);
		return 2;
	}
	const char *c = getenv("MOSAIC_COORDINATOR");
	if (c && *c)
		snprintf(coord, sizeof(coord), "%s", c);
	else if (!list_entry(peers, 0, coord, sizeof(coord)))
		return 2;
	char hostname[256] = "?";
	gethostname(hostname, sizeof(hostname) - 1);
	fprintf(stderr, "gang_hello: rank %ld of %ld (local rank %ld) on %s, peer address %s\n", rank, size,
	    local, hostname, self);

	if (rank != 0)
		return report(rank, coord, deadline);
	if (size == 1) {
		printf("gang_hello: rank 0 heard 1 of 1 ranks, sum of ranks = 0 (expected 0)\n");
		return 0;
	}
	char *host, *port;
	if (!split_hostport(self, &host, &port)) {
		fprintf(stderr, "gang_hello: rank 0: peer entry \"%s\" is not host:port\n", self);
		return 2;
	}
	return coordinate(size, port, deadline);
}
