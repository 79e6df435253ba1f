/* http.c - the master's HTTP server on nng's supplemental HTTP server.
 *
 * Life cycle of a dynamic request (/api/state, /metrics): the nng thread
 * counts it in `pending`, posts a job to the loop and returns; the loop
 * renders the body, completes the aio and uncounts it. http_close sets
 * `closing` (later requests get 503 on the nng thread), runs the loop
 * until `pending` is zero, then stops the server. The http_server struct
 * is reference-counted by its handlers (nng keeps a handler alive while a
 * callback on it may run), so a straggling callback never sees it freed. */
#include "http.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "errors.h"
#include "log.h"
#include "mem.h"

#define HTTP_DRAIN_SECONDS 5.0
#define HTTP_UI_MAX_FILES 1000
#define HTTP_UI_MAX_DEPTH 4

struct http_server {
	mosaic_loop *loop;
	nng_http_server *srv;
	http_render_fn render;
	void *ctx;
	atomic_int pending;
	atomic_bool closing;
	atomic_int refs;
	char address[128];
};

typedef struct http_job {
	http_server *s;
	nng_aio *aio;
	const char *path;
} http_job;

static const char http_index[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>Mosaic master</title></head>"
    "<body><h1>Mosaic master</h1><ul>"
    "<li><a href=\"/api/state\">/api/state</a> &mdash; agents, frameworks, roles, tasks (JSON)</li>"
    "<li><a href=\"/metrics\">/metrics</a> &mdash; Prometheus metrics</li>"
    "<li><a href=\"/health\">/health</a></li>"
    "</ul><p>Start the master with --webui-dir to serve the web UI here.</p></body></html>\n";

static void
http_unref(void *arg)
{
	http_server *s = arg;
	if (atomic_fetch_sub(&s->refs, 1) == 1)
		free(s);
}

static void
http_respond(nng_aio *aio, uint16_t status, const char *ctype, const char *body, size_t len)
{
	nng_http_res *res = NULL;
	int rv = nng_http_res_alloc(&res);
	if (rv == 0 && (rv = nng_http_res_set_status(res, status)) == 0 &&
	    (rv = nng_http_res_set_header(res, "Content-Type", ctype)) == 0 &&
	    (rv = nng_http_res_set_header(res, "Cache-Control", "no-store")) == 0 &&
	    (rv = nng_http_res_set_header(res, "Access-Control-Allow-Origin", "*")) == 0)
		rv = nng_http_res_copy_data(res, body, len);
	if (rv != 0) {
		if (res)
			nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

/* On the loop thread. */
static void
http_job_run(mosaic_loop *loop, void *arg)
{
	http_job *job = arg;
	http_server *s = job->s;
	const char *ctype = "text/plain";
	char *body = s->render(s->ctx, job->path, &ctype);
	http_respond(job->aio, 200, ctype, body ? body : "", body ? strlen(body) : 0);
	free(body);
	free(job);
	atomic_fetch_sub(&s->pending, 1);
}

/* On an nng thread: touch nothing of the master, hand over to the loop. */
static void
http_dispatch(nng_aio *aio, const char *path)
{
	nng_http_handler *h = nng_aio_get_input(aio, 1);
	http_server *s = nng_http_handler_get_data(h);
	/* Counted before `closing` is read: http_close waits for every
	 * request that read it false. */
	atomic_fetch_add(&s->pending, 1);
	if (atomic_load(&s->closing)) {
		static const char bye[] = "shutting down\n";
		http_respond(aio, 503, "text/plain", bye, sizeof(bye) - 1);
		atomic_fetch_sub(&s->pending, 1);
		return;
	}
	http_job *job = xmalloc(sizeof(*job));
	job->s = s;
	job->aio = aio;
	job->path = path;
	loop_post(s->loop, http_job_run, job);
}

static void
http_on_state(nng_aio *aio)
{
	http_dispatch(aio, "/api/state");
}

static void
http_on_metrics(nng_aio *aio)
{
	http_dispatch(aio, "/metrics");
}

static int
http_add(http_server *s, nng_http_handler *h, bool with_data, const char **step)
{
	int rv;
	if (with_data) {
		atomic_fetch_add(&s->refs, 1);
		if ((rv = nng_http_handler_set_data(h, s, http_unref)) != 0) {
			atomic_fetch_sub(&s->refs, 1);
			nng_http_handler_free(h);
			*step = "set handler data";
			return rv;
		}
	}
	if ((rv = nng_http_server_add_handler(s->srv, h)) != 0) {
		nng_http_handler_free(h);
		*step = "add a handler";
	}
	return rv;
}

static bool
http_is_dir(const char *path)
{
	struct stat st;
	return path && *path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
http_name_ok(const char *name)
{
	if (name[0] == '.' || !name[0])
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

/* The web UI: one file handler per file, found once at start. nng 1.5's
 * tree handler at / would claim /api/state and /metrics too, so the tree
 * is not used; files added later need a restart. Names outside
 * [A-Za-z0-9._-], dot files and symbolic links are not served. */
static void
http_add_ui(http_server *s, const char *dir, const char *prefix, int depth, size_t *count, bool *has_index)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && *count < HTTP_UI_MAX_FILES) {
		if (!http_name_ok(e->d_name))
			continue;
		char path[4096], uri[1024];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(uri, sizeof(uri), "%s/%s", prefix, e->d_name);
		if (lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < HTTP_UI_MAX_DEPTH)
				http_add_ui(s, path, uri, depth + 1, count, has_index);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		const char *step;
		nng_http_handler *h;
		for (int i = 0; i < 2; i++) {
			/* index.html also answers for its directory. */
			const char *at = uri;
			char dir_uri[1024];
			if (i == 1) {
				if (strcmp(e->d_name, "index.html") != 0)
					break;
				snprintf(dir_uri, sizeof(dir_uri), "%s/", prefix);
				at = dir_uri;
				if (!*prefix)
					*has_index = true;
			}
			if (nng_http_handler_alloc_file(&h, at, path) != 0 ||
			    http_add(s, h, false, &step) != 0)
				LOGW("web UI: not serving %s at %s (the path is taken)", path, at);
			else
				(*count)++;
		}
	}
	closedir(d);
}

int
http_open(http_server **out, mosaic_loop *loop, const char *hostport, const char *webui_dir,
          http_render_fn render, void *ctx, char *err, size_t errlen)
{
	char url[256];
	if (strncmp(hostport, "http://", 7) == 0)
		snprintf(url, sizeof(url), "%s", hostport);
	else
		snprintf(url, sizeof(url), "http://%s", hostport);
	http_server *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->render = render;
	s->ctx = ctx;
	atomic_init(&s->pending, 0);
	atomic_init(&s->closing, false);
	atomic_init(&s->refs, 1);
	nng_url *u = NULL;
	nng_http_handler *h;
	const char *step = "parse the address";
	int rv;
	if ((rv = nng_url_parse(&u, url)) != 0)
		goto fail;
	step = "create the server";
	if ((rv = nng_http_server_hold(&s->srv, u)) != 0)
		goto fail;
	step = "create a handler";
	if ((rv = nng_http_handler_alloc(&h, "/api/state", http_on_state)) != 0 ||
	    (rv = http_add(s, h, true, &step)))
		goto fail_release;
	if ((rv = nng_http_handler_alloc(&h, "/metrics", http_on_metrics)) != 0 ||
	    (rv = http_add(s, h, true, &step)))
		goto fail_release;
	if ((rv = nng_http_handler_alloc_static(&h, "/health", "ok\n", 3, "text/plain")) != 0 ||
	    (rv = http_add(s, h, false, &step)))
		goto fail_release;
	bool has_index = false;
	size_t files = 0;
	if (http_is_dir(webui_dir))
		http_add_ui(s, webui_dir, "", 0, &files, &has_index);
	else if (webui_dir && *webui_dir)
		LOGW("--webui-dir %s is not a directory; serving a page of links at /", webui_dir);
	if (!has_index) {
		if ((rv = nng_http_handler_alloc_static(&h, "/", http_index, sizeof(http_index) - 1,
		                                        "text/html")) != 0 ||
		    (rv = http_add(s, h, false, &step)) != 0)
			goto fail_release;
	}
	step = "listen";
	if ((rv = nng_http_server_start(s->srv)) != 0)
		goto fail_release;
	nng_sockaddr sa;
	int port = 0;
	if (nng_http_server_get_addr(s->srv, &sa) == 0 && sa.s_family == NNG_AF_INET)
		port = ntohs(sa.s_in.sa_port);
	snprintf(s->address, sizeof(s->address), "http://%s:%d", u->u_hostname,
	         port ? port : atoi(u->u_port));
	nng_url_free(u);
	*out = s;
	return MOSAIC_OK;
fail_release:
	nng_http_server_release(s->srv);
fail:
	if (err && errlen)
		snprintf(err, errlen, "HTTP server on %s: cannot %s: %s", hostport, step, nng_strerror(rv));
	if (u)
		nng_url_free(u);
	http_unref(s);
	return MOSAIC_ENET;
}

void
http_close(http_server *s)
{
	if (!s)
		return;
	atomic_store(&s->closing, true);
	double end = mosaic_mono_now() + HTTP_DRAIN_SECONDS;
	while (atomic_load(&s->pending) > 0 && mosaic_mono_now() < end)
		loop_run_once(s->loop, 0.01);
	nng_http_server_stop(s->srv);
	nng_http_server_release(s->srv);
	http_unref(s);
}

const char *
http_address(const http_server *s)
{
	return s->address;
}
