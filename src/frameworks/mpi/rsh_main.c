/* rsh_main.c - mosaic-mpi-rsh, OpenMPI's launch agent under mmpirun.
 *
 * mpirun runs it as it would run ssh (plm_rsh_agent):
 *     mosaic-mpi-rsh [ssh options] HOST orted -mca ... (words of a shell command)
 * It looks HOST up in the map mmpirun wrote ($MOSAIC_MPI_MAP: lines
 * "HOST HOST:PORT" naming the proxy in the gang task on that agent), sends
 * the proxy the command with the job's token ($MOSAIC_MPI_TOKEN), prints
 * what the command writes to its own stdout and stderr, and exits with
 * the command's status - so to mpirun, orted ran "on HOST" over ssh, while
 * it really ran inside the task the gang got there. Exit status 255 (as
 * ssh) when the proxy cannot be reached or refuses. A signal, or mpirun
 * closing on us, closes the connection, which makes the proxy stop orted. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "mem.h"
#include "mpiwire.h"

#define RSH_FAIL 255
#define CONNECT_SECONDS 15.0

static int
fail(const char *host, const char *fmt, const char *detail)
{
	fprintf(stderr, "mosaic-mpi-rsh: %s: ", host ? host : "?");
	fprintf(stderr, fmt, detail);
	fputc('\n', stderr);
	return RSH_FAIL;
}

/* The proxy address for host in the map file, copied into addr. */
static int
lookup(const char *map, const char *host, char *addr, size_t len)
{
	FILE *f = fopen(map, "r");
	if (!f)
		return -1;
	char line[1024];
	int found = -1;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		char h[512], a[512];
		if (line[0] == '#' || sscanf(line, "%511s %511s", h, a) != 2)
			continue;
		if (strcmp(h, host) == 0 && strlen(a) < len) {
			strcpy(addr, a);
			found = 0;
		}
	}
	fclose(f);
	return found;
}

/* Skips ssh's own options: the first word that is not one is the host. */
static int
host_index(int argc, char **argv)
{
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		/* Options of ssh that take a value. */
		if (strchr("bcDEeFIiJLlmOopQRSWw", argv[i][1]) && argv[i][2] == '\0')
			i++;
		i++;
	}
	return i;
}

static void
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

int
main(int argc, char **argv)
{
	int h = host_index(argc, argv);
	if (h + 1 >= argc)
		return fail(NULL, "%s",
		            "usage: mosaic-mpi-rsh HOST COMMAND... (run by mpirun under mmpirun)");
	const char *host = argv[h], *map = getenv("MOSAIC_MPI_MAP"), *token = getenv("MOSAIC_MPI_TOKEN");
	if (!map || !token)
		return fail(host, "%s",
		            "MOSAIC_MPI_MAP and MOSAIC_MPI_TOKEN are not set (run by mmpirun only)");
	char addr[512];
	if (lookup(map, host, addr, sizeof(addr)) != 0)
		return fail(host, "not a host of this job (map %s)", map);

	/* The words make one shell command, as ssh joins them. */
	size_t len = 1;
	for (int i = h + 1; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *cmd = xmalloc(len);
	cmd[0] = '\0';
	for (int i = h + 1; i < argc; i++) {
		strcat(cmd, argv[i]);
		if (i + 1 < argc)
			strcat(cmd, " ");
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);

	char err[512];
	int fd = mpiwire_connect(addr, CONNECT_SECONDS, err, sizeof(err));
	if (fd < 0) {
		free(cmd);
		return fail(host, "cannot reach the gang task's proxy: %s", err);
	}
	mpiwire_buf in, out;
	mpiwire_buf_init(&in);
	mpiwire_buf_init(&out);
	mpiwire_put_run(&out, token, cmd);
	free(cmd);
	int rc = RSH_FAIL;
	if (mpiwire_flush(fd, &out) != 0 || mpiwire_pending(&out)) {
		fail(host, "cannot send the command to the proxy: %s", strerror(errno));
		goto done;
	}
	for (;;) {
		struct pollfd pf[2] = {{.fd = fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				rc = 128 + (int)si.ssi_signo;
			break; /* closing the connection stops the command */
		}
		if (!pf[0].revents)
			continue;
		long n = mpiwire_fill(fd, &in);
		if (n == -2)
			continue;
		if (n <= 0) {
			fail(host, "%s", "the proxy closed the connection before the command ended");
			break;
		}
		mpiwire_frame f;
		int r = 0;
		bool end = false;
		while (!end && (r = mpiwire_next(&in, &f)) == 1) {
			uint32_t rank;
			uint8_t stream;
			const uint8_t *data;
			size_t dlen;
			int32_t code, signo;
			if (mpiwire_get_out(&f, &rank, &stream, &data, &dlen) == 0) {
				write_all(stream == MPIWIRE_STDERR ? 2 : 1, data, dlen);
			} else if (mpiwire_get_exit(&f, &rank, &code, &signo) == 0) {
				rc = signo ? 128 + signo : code;
				end = true;
			} else if (f.type == MPIWIRE_ERROR) {
				char msg[512];
				mpiwire_get_text(&f, msg, sizeof(msg));
				fail(host, "proxy: %s", msg);
				end = true;
			}
		}
		if (end || r < 0)
			break;
	}
done:
	close(fd);
	mpiwire_buf_fini(&in);
	mpiwire_buf_fini(&out);
	return rc;
}
