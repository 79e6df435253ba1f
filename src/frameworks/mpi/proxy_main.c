/* proxy_main.c - mosaic-mpi-proxy's command line (see proxy.h). mmpirun
 * writes it into each gang task; people do not run it by hand.
 *
 *   mosaic-mpi-proxy --connect HOST:PORT --place K [--host NAME]
 *       (--openmpi --listen HOST:PORT | --ranks R,R,... [--bind core|socket|none]
 *        [--cores-per-rank C] -- PROG ARGS...)
 *       [--connect-timeout T] [--start-timeout T] [--kill-grace T]
 * The job's token comes in MOSAIC_MPI_TOKEN (not argv: anyone can read a
 * command line). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "mpiwire.h"
#include "proxy.h"
#include "util.h"

static int
usage(const char *why)
{
	fprintf(stderr,
	        "mosaic-mpi-proxy: %s\n"
	        "usage: mosaic-mpi-proxy --connect HOST:PORT --place K [--host NAME]\n"
	        "         (--openmpi --listen HOST:PORT | --ranks R,R,... [--bind core|socket|none]\n"
	        "          [--cores-per-rank C] -- PROG ARGS...)\n"
	        "         [--connect-timeout T] [--start-timeout T] [--kill-grace T]\n"
	        "(started by mmpirun in each gang task, with MOSAIC_MPI_TOKEN in the environment)\n",
	        why);
	return 2;
}

static int
parse_ranks(const char *s, unsigned **out, unsigned *n)
{
	*n = 0;
	*out = NULL;
	const char *p = s;
	while (*p) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || errno || v > (1ul << 24) || (*end && *end != ','))
			return -1;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = (unsigned)v;
		p = *end ? end + 1 : end;
	}
	return *n ? 0 : -1;
}

/* HOST:PORT into host (copied) and port. */
static int
split(const char *s, char *host, size_t hlen, uint16_t *port)
{
	const char *c = strrchr(s, ':');
	char *end;
	if (!c || c == s || (size_t)(c - s) >= hlen)
		return -1;
	unsigned long v = strtoul(c + 1, &end, 10);
	if (*end || v == 0 || v > 65535)
		return -1;
	memcpy(host, s, (size_t)(c - s));
	host[c - s] = '\0';
	*port = (uint16_t)v;
	return 0;
}

int
main(int argc, char **argv)
{
	proxy_config c = {.connect_timeout = 30, .start_timeout = 120, .kill_grace = 2, .cores_per_rank = 1};
	unsigned *ranks = NULL;
	char lhost[256];
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "--openmpi") == 0) {
			c.openmpi = true;
			continue;
		}
		if (!v)
			return usage("an option without its value");
		i++;
		if (strcmp(a, "--connect") == 0) {
			c.connect = v;
		} else if (strcmp(a, "--place") == 0) {
			c.place = (uint32_t)strtoul(v, NULL, 10);
		} else if (strcmp(a, "--host") == 0) {
			c.host = v;
		} else if (strcmp(a, "--listen") == 0) {
			if (split(v, lhost, sizeof(lhost), &c.listen_port) != 0)
				return usage("--listen wants HOST:PORT");
			c.listen_host = lhost;
		} else if (strcmp(a, "--ranks") == 0) {
			if (parse_ranks(v, &ranks, &c.nranks) != 0)
				return usage("--ranks wants a comma-separated list of rank numbers");
			c.ranks = ranks;
		} else if (strcmp(a, "--bind") == 0) {
			int m = mpibind_parse_mode(v);
			if (m < 0)
				return usage("--bind wants core, socket or none");
			c.bind = (mpibind_mode)m;
		} else if (strcmp(a, "--cores-per-rank") == 0) {
			c.cores_per_rank = (unsigned)strtoul(v, NULL, 10);
		} else if (strcmp(a, "--connect-timeout") == 0 || strcmp(a, "--start-timeout") == 0 ||
		           strcmp(a, "--kill-grace") == 0) {
			double d;
			if (util_parse_duration(v, &d) != 0)
				return usage("a timeout wants a duration (30, 5s, 2m)");
			*(a[2] == 'c'   ? &c.connect_timeout
			  : a[2] == 's' ? &c.start_timeout
			                : &c.kill_grace) = d;
		} else {
			return usage("unknown option");
		}
	}
	c.token = getenv("MOSAIC_MPI_TOKEN");
	if (!c.connect || !c.token || !*c.token)
		return usage("--connect and MOSAIC_MPI_TOKEN are required");
	if (c.openmpi ? !c.listen_host : (!c.nranks || i >= argc))
		return usage(c.openmpi ? "--openmpi needs --listen"
		                       : "generic mode needs --ranks and a program");
	/* The token must not reach what we start (spawn unsets it too). */
	c.token = xstrdup(c.token);
	unsetenv("MOSAIC_MPI_TOKEN");
	c.argv = argv + i;
	int rc = proxy_run(&c);
	free((char *)c.token);
	free(ranks);
	return rc;
}
