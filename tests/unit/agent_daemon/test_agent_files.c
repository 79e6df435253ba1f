/* test_agent_files - the file server's path checks on a real sandbox tree
 * (sandbox files, nested files, "..", absolute paths, symlinks out, the
 * stdout link the containerizer may make, unknown ids, the latest run
 * being the highest), then the server
 * itself over loopback: /health, offset/length, X-Mosaic-File-Size, 403,
 * 404. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent_files.h"
#include "agent_path.h"
#include "ids.h"
#include "check.h"
#include "util.h"

static char work[256];

static void
write_file(const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", work, rel);
	CHECK_OK(util_write_file_atomic(p, text, strlen(text)));
}

static int
status_of(const char *rel)
{
	int fd = -1;
	uint64_t size = 0;
	int st = agent_files_open_target(work, rel, &fd, &size);
	if (fd >= 0 && st == 200)
		close(fd);
	return st;
}

/* One HTTP/1.1 GET over loopback; returns the status, fills body and the
 * X-Mosaic-File-Size header. */
static int
http_get(int port, const char *path, char *body, size_t cap, char *size_hdr, size_t hcap)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {5, 0};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(s);
		return -1;
	}
	char req[1024];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
	                 path);
	if (write(s, req, (size_t)n) != n) {
		close(s);
		return -1;
	}
	static char buf[1 << 16];
	size_t got = 0;
	ssize_t r;
	while (got < sizeof(buf) - 1 && (r = read(s, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	close(s);
	int status = 0;
	sscanf(buf, "HTTP/1.1 %d", &status);
	char *h = strcasestr(buf, "X-Mosaic-File-Size: ");
	if (size_hdr) {
		size_hdr[0] = '\0';
		if (h)
			sscanf(h + 20, "%31s", size_hdr);
	}
	char *b = strstr(buf, "\r\n\r\n");
	if (body) {
		snprintf(body, cap, "%s", b ? b + 4 : "");
	}
	return status;
}

int
main(void)
{
	snprintf(work, sizeof(work), "/tmp/mosaic-files-XXXXXX");
	if (!mkdtemp(work))
		return 1;
	char p[512], q[512];
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t1.1/out", work);
	CHECK_OK(util_mkdir_p(p));
	/* The highest run is the latest. */
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t1.0", work);
	CHECK_OK(util_mkdir_p(p));
	write_file("frameworks/fw-1/tasks/t1.0/stderr", "old run\n");
	write_file("frameworks/fw-1/tasks/t1.1/stderr", "oops\n");
	/* a task whose runs start past a gap has none the server sees, and a
	 * run that is a link is not followed */
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t3.1", work);
	CHECK_OK(util_mkdir_p(p));
	write_file("frameworks/fw-1/tasks/t3.1/stdout", "unseen\n");
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t4.0", work);
	CHECK(symlink("t1.1", p) == 0);
	write_file("frameworks/fw-1/tasks/t1.1/out/part-0", "0123456789");
	write_file("secret", "top secret\n");
	/* Inside links are fine, outside ones are not. */
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t1.1/inner", work);
	CHECK(symlink("out/part-0", p) == 0);
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t1.1/escape", work);
	snprintf(q, sizeof(q), "%s/secret", work);
	CHECK(symlink(q, p) == 0);
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t1.1/out/up", work);
	CHECK(symlink("../../../../../secret", p) == 0);
	/* The containerizer's stdout link to a user-chosen file outside. */
	write_file("user-output.txt", "hello\n");
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t1.1/stdout", work);
	snprintf(q, sizeof(q), "%s/user-output.txt", work);
	CHECK(symlink(q, p) == 0);

	char id[MOSAIC_ID_MAX];
	CHECK(agent_sandbox_parse("t1.0", id, sizeof(id)) == 0 && strcmp(id, "t1") == 0);
	CHECK(agent_sandbox_parse("a.b.12", id, sizeof(id)) == 12 && strcmp(id, "a.b") == 0);
	CHECK(agent_sandbox_parse("t1", id, sizeof(id)) == -1);
	CHECK(agent_sandbox_parse("t1.", id, sizeof(id)) == -1);
	CHECK(agent_sandbox_parse(".0", id, sizeof(id)) == -1);
	CHECK(agent_sandbox_parse("t1.01", id, sizeof(id)) == -1);
	CHECK(agent_sandbox_parse("t1.1x", id, sizeof(id)) == -1);
	CHECK(agent_sandbox_parse("t1.100000", id, sizeof(id)) == -1);
	CHECK(agent_sandbox_parse("t1.99999", id, sizeof(id)) == 99999);
	CHECK(agent_sandbox_parse("t1.0", id, 2) == -1);
	CHECK(agent_sandbox_latest(q, sizeof(q), work, "fw-1", "t1") == 1 && strstr(q, "/tasks/t1.1") != NULL);
	CHECK(agent_sandbox_latest(q, sizeof(q), work, "fw-1", "t3") == -1);
	CHECK(status_of("fw-1/t1/stderr") == 200);
	CHECK(status_of("fw-1/t1/out/part-0") == 200);
	CHECK(status_of("fw-1/t1/./out//part-0") == 200);
	CHECK(status_of("fw-1/t1/inner") == 200);
	CHECK(status_of("fw-1/t1/stdout") == 200);
	CHECK(status_of("fw-1/t1/escape") == 403);
	CHECK(status_of("fw-1/t1/out/up") == 403);
	CHECK(status_of("fw-1/t1/../../../../../secret") == 403);
	CHECK(status_of("fw-1/t1/out/../stderr") == 403);
	CHECK(status_of("fw-1/t1//etc/passwd") == 403);
	CHECK(status_of("fw-1/t1/out/../../escape") == 403);
	CHECK(status_of("fw-1/t1/nope") == 404);
	CHECK(status_of("fw-1/t1/out") == 404); /* a directory */
	CHECK(status_of("fw-1/t1/") == 404);
	CHECK(status_of("fw-1/t2/stdout") == 404);
	CHECK(status_of("fw-1/t3/stdout") == 404);
	CHECK(status_of("fw-1/t4/stderr") == 404);
	CHECK(status_of("fw-9/t1/stdout") == 404);
	CHECK(status_of("..%2f/t1/stdout") == 404);
	CHECK(status_of("../t1/stdout") == 404);
	CHECK(status_of("fw-1") == 404);
	/* stdout links are allowed at the top only. */
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t1.1/out/stdout", work);
	CHECK(symlink(q, p) == 0);
	CHECK(status_of("fw-1/t1/out/stdout") == 403);

	agent_files *f;
	char err[256];
	CHECK_OK(agent_files_open(&f, "127.0.0.1:0", work, err, sizeof(err)));
	const char *url = agent_files_url(f);
	CHECK(strncmp(url, "http://127.0.0.1:", 17) == 0);
	int port = atoi(url + 17);
	CHECK(port > 0);
	char body[4096], size[32];
	CHECK(http_get(port, "/health", body, sizeof(body), NULL, 0) == 200);
	CHECK(strcmp(body, "ok") == 0);
	CHECK(http_get(port, "/files/fw-1/t1/stdout", body, sizeof(body), size, sizeof(size)) == 200);
	CHECK(strcmp(body, "hello\n") == 0);
	CHECK(strcmp(size, "6") == 0);
	CHECK(http_get(port, "/files/fw-1/t1/stderr", body, sizeof(body), NULL, 0) == 200);
	CHECK(strcmp(body, "oops\n") == 0);
	CHECK(http_get(port, "/files/fw-1/t1/out/part-0?offset=3&length=4", body, sizeof(body), size,
	               sizeof(size)) == 200);
	CHECK(strcmp(body, "3456") == 0);
	CHECK(strcmp(size, "10") == 0);
	CHECK(http_get(port, "/files/fw-1/t1/out/part-0?offset=8", body, sizeof(body), NULL, 0) == 200);
	CHECK(strcmp(body, "89") == 0);
	CHECK(http_get(port, "/files/fw-1/t1/out/part-0?offset=80", body, sizeof(body), size, sizeof(size)) ==
	      200);
	CHECK(strcmp(body, "") == 0 && strcmp(size, "10") == 0);
	CHECK(http_get(port, "/files/fw-1/t1/out%2fpart-0", body, sizeof(body), NULL, 0) == 200);
	CHECK(strcmp(body, "0123456789") == 0);
	CHECK(http_get(port, "/files/fw-1/t1/out/part-0?offset=x", body, sizeof(body), NULL, 0) == 400);
	CHECK(http_get(port, "/files/fw-1/t1/escape", body, sizeof(body), NULL, 0) == 403);
	CHECK(http_get(port, "/files/fw-1/t1/%2e%2e/%2e%2e/secret", body, sizeof(body), NULL, 0) == 403);
	CHECK(http_get(port, "/files/fw-1/t1/a%00b", body, sizeof(body), NULL, 0) == 400);
	CHECK(http_get(port, "/files/fw-1/t7/stdout", body, sizeof(body), NULL, 0) == 404);
	CHECK(http_get(port, "/other", body, sizeof(body), NULL, 0) == 404);
	agent_files_close(f);
	util_remove_tree(work);
	return check_done();
}
