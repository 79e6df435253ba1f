/* agent_files.c - read-only sandbox files over HTTP (nng's HTTP server).
 *
 * Besides the messenger, this is the one place that knows nng: its
 * supplemental HTTP server. Every request is checked against the file
 * system only, then the file is opened and the opened descriptor checked
 * again (/proc/self/fd) so a symlink swapped in between cannot lead out. */
#include "agent_files.h"
#include "agent_path.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "errors.h"
#include "ids.h"
#include "log.h"
#include "mem.h"

struct agent_files {
	nng_http_server *server;
	nng_url *url;
	char public_url[300];
};

/* Is path inside dir (dir itself excluded)? Both are real paths. */
static int
inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Split the first component off *p ("a/b/c" -> "a", *p = "b/c"). */
static int
take_component(const char **p, char *out, size_t cap)
{
	const char *slash = strchr(*p, '/');
	size_t n = slash ? (size_t)(slash - *p) : strlen(*p);
	if (n == 0 || n >= cap)
		return -1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n + (slash ? 1 : 0);
	return 0;
}

/* 403 for "..", 404 for nothing left; collapses "." and empty parts into
 * a clean relative path. */
static int
clean_path(const char *path, char *out, size_t cap)
{
	if (path[0] == '/')
		return 403;
	size_t len = 0;
	out[0] = '\0';
	const char *p = path;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 403;
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (len + n + 2 > cap)
				return 404;
			if (len)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
		p += n + (slash ? 1 : 0);
	}
	return len ? 200 : 404;
}

int
agent_files_open_target(const char *work_dir, const char *rel, int *fd, uint64_t *size)
{
	char fw[MOSAIC_ID_MAX], task[MOSAIC_ID_MAX];
	const char *p = rel;
	if (take_component(&p, fw, sizeof(fw)) || take_component(&p, task, sizeof(task)) || !id_valid(fw) ||
	    !id_valid(task))
		return 404;
	char path[PATH_MAX];
	int status = clean_path(p, path, sizeof(path));
	if (status != 200)
		return status;

	char tasks[PATH_MAX], tasks_real[PATH_MAX], latest[PATH_MAX], sandbox[PATH_MAX];
	if (agent_path(tasks, sizeof(tasks), "%s/frameworks/%s/tasks", work_dir, fw) ||
	    !realpath(tasks, tasks_real) ||
	    agent_sandbox_latest(latest, sizeof(latest), work_dir, fw, task) < 0)
		return 404;
	if (!realpath(latest, sandbox) || !inside(sandbox, tasks_real))
		return 404;

	char target[PATH_MAX], real[PATH_MAX];
	if (agent_path(target, sizeof(target), "%s/%s", sandbox, path))
		return 404;
	/* The containerizer links <sandbox>/stdout to an output file the task
	 * chose (CommandInfo.stdout_path), which may be anywhere. */
	struct stat lst;
	bool output_link = (strcmp(path, "stdout") == 0 || strcmp(path, "stderr") == 0) &&
	                   lstat(target, &lst) == 0 && S_ISLNK(lst.st_mode);
	if (!realpath(target, real))
		return errno == ENOENT || errno == ENOTDIR ? 404 : 403;
	if (!output_link && !inside(real, sandbox))
		return 403;

	int f = open(real, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (f < 0)
		return errno == ENOENT ? 404 : 403;
	struct stat st;
	char fdlink[64], opened[PATH_MAX];
	snprintf(fdlink, sizeof(fdlink), "/proc/self/fd/%d", f);
	ssize_t n = readlink(fdlink, opened, sizeof(opened) - 1);
	if (n > 0)
		opened[n] = '\0';
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(f);
		return 404;
	}
	if (n <= 0 || strcmp(opened, real) != 0) {
		close(f);
		return 403;
	}
	if (output_link) {
		/* Only a file of the sandbox's owner: a task cannot point its
		 * stdout link at someone else's file and read it through us. */
		struct stat sst;
		if (stat(sandbox, &sst) != 0 || sst.st_uid != st.st_uid) {
			close(f);
			return 403;
		}
	}
	*fd = f;
	*size = (uint64_t)st.st_size;
	return 200;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode n bytes of in; -1 for a bad escape or a NUL. */
static int
url_decode(const char *in, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			int hi = hexval(in[i + 1]), lo = hexval(in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || k + 1 >= cap)
			return -1;
		out[k++] = c;
	}
	out[k] = '\0';
	return 0;
}

/* "offset=N&length=M": 0 or -1 for a malformed number. */
static int
parse_query(const char *q, uint64_t *offset, uint64_t *length, int *has_length)
{
	while (q && *q) {
		const char *amp = strchr(q, '&');
		size_t n = amp ? (size_t)(amp - q) : strlen(q);
		uint64_t *dst = NULL;
		size_t klen = 0;
		if (n > 7 && strncmp(q, "offset=", 7) == 0) {
			dst = offset;
			klen = 7;
		} else if (n > 7 && strncmp(q, "length=", 7) == 0) {
			dst = length;
			klen = 7;
			*has_length = 1;
		}
		if (dst) {
			char buf[32];
			if (n - klen >= sizeof(buf))
				return -1;
			memcpy(buf, q + klen, n - klen);
			buf[n - klen] = '\0';
			char *end;
			errno = 0;
			if (buf[0] < '0' || buf[0] > '9')
				return -1;
			unsigned long long v = strtoull(buf, &end, 10);
			if (*end || errno)
				return -1;
			*dst = v;
		}
		q += n + (amp ? 1 : 0);
	}
	return 0;
}

static nng_http_res *
text_response(uint16_t status, const char *text)
{
	nng_http_res *res;
	if (nng_http_res_alloc(&res) != 0)
		return NULL;
	nng_http_res_set_status(res, status);
	nng_http_res_set_header(res, "Content-Type", "text/plain");
	nng_http_res_copy_data(res, text, strlen(text));
	return res;
}

static nng_http_res *
serve(const char *work_dir, const char *uri)
{
	const char *q = strchr(uri, '?');
	size_t plen = q ? (size_t)(q - uri) : strlen(uri);
	char path[PATH_MAX];
	if (url_decode(uri, plen, path, sizeof(path)) != 0)
		return text_response(400, "bad path\n");
	if (strncmp(path, "/files/", 7) != 0)
		return text_response(404, "not found\n");
	uint64_t offset = 0, length = 0;
	int has_length = 0;
	if (parse_query(q ? q + 1 : NULL, &offset, &length, &has_length) != 0)
		return text_response(400, "offset and length must be non-negative integers\n");

	int fd;
	uint64_t size;
	int status = agent_files_open_target(work_dir, path + 7, &fd, &size);
	if (status == 403)
		return text_response(403, "forbidden: outside the task's sandbox\n");
	if (status != 200)
		return text_response(404, "no such framework, task or file\n");

	uint64_t want = offset < size ? size - offset : 0;
	if (has_length && length < want)
		want = length;
	if (want > AGENT_FILES_MAX_READ)
		want = AGENT_FILES_MAX_READ;
	char *buf = xmalloc(want ? want : 1);
	size_t got = 0;
	while (got < want) {
		ssize_t r = pread(fd, buf + got, want - got, (off_t)(offset + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	nng_http_res *res;
	if (nng_http_res_alloc(&res) != 0) {
		free(buf);
		return NULL;
	}
	char sz[32];
	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	nng_http_res_set_header(res, "X-Mosaic-File-Size", sz);
	nng_http_res_set_header(res, "Content-Type", "application/octet-stream");
	nng_http_res_copy_data(res, buf, got);
	free(buf);
	return res;
}

static void
files_cb(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	const char *work_dir = nng_http_handler_get_data(h);
	nng_http_res *res = serve(work_dir, nng_http_req_get_uri(req));
	if (!res) {
		nng_aio_finish(aio, NNG_ENOMEM);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

int
agent_files_open(agent_files **out, const char *listen, const char *work_dir, char *err, size_t errlen)
{
	agent_files *f = xcalloc(1, sizeof(*f));
	char *spec = xasprintf("http://%s", listen);
	nng_http_handler *files = NULL, *health = NULL;
	const char *step = "parse";
	int rv = nng_url_parse(&f->url, spec);
	if (rv)
		goto fail;
	step = "create server for";
	if ((rv = nng_http_server_hold(&f->server, f->url)) != 0)
		goto fail;
	step = "add handlers to";
	if ((rv = nng_http_handler_alloc(&files, "/files", files_cb)) != 0 ||
	    (rv = nng_http_handler_set_tree(files)) != 0 ||
	    (rv = nng_http_handler_set_data(files, xstrdup(work_dir), free)) != 0 ||
	    (rv = nng_http_server_add_handler(f->server, files)) != 0)
		goto fail;
	files = NULL; /* the server owns it now */
	if ((rv = nng_http_handler_alloc_static(&health, "/health", "ok", 2, "text/plain")) != 0 ||
	    (rv = nng_http_server_add_handler(f->server, health)) != 0)
		goto fail;
	health = NULL;
	step = "listen on";
	if ((rv = nng_http_server_start(f->server)) != 0)
		goto fail;
	nng_sockaddr sa;
	step = "get the bound port of";
	if ((rv = nng_http_server_get_addr(f->server, &sa)) != 0)
		goto fail;
	unsigned port = sa.s_family == NNG_AF_INET6 ? ntohs(sa.s_in6.sa_port) : ntohs(sa.s_in.sa_port);
	const char *host = f->url->u_hostname;
	char name[256];
	/* A wildcard cannot be dialled: advertise this machine's name. */
	if (!*host || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) {
		if (gethostname(name, sizeof(name) - 1) != 0)
			snprintf(name, sizeof(name), "127.0.0.1");
		name[sizeof(name) - 1] = '\0';
		host = name;
	}
	snprintf(f->public_url, sizeof(f->public_url), "http://%s%s%s:%u", strchr(host, ':') ? "[" : "", host,
	         strchr(host, ':') ? "]" : "", port);
	free(spec);
	*out = f;
	return MOSAIC_OK;
fail:
	if (err)
		snprintf(err, errlen, "cannot %s HTTP server %s: %s", step, spec, nng_strerror(rv));
	if (files)
		nng_http_handler_free(files);
	if (health)
		nng_http_handler_free(health);
	if (f->server)
		nng_http_server_release(f->server);
	if (f->url)
		nng_url_free(f->url);
	free(spec);
	free(f);
	return MOSAIC_ENET;
}

void
agent_files_close(agent_files *f)
{
	if (!f)
		return;
	nng_http_server_stop(f->server);
	nng_http_server_release(f->server);
	nng_url_free(f->url);
	free(f);
}

const char *
agent_files_url(const agent_files *f)
{
	return f->public_url;
}
