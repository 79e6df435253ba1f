/* http.h - the master's HTTP server (nng's): /api/state, /metrics, /health
 * and the web UI's static files at /.
 *
 * Threading: nng calls the handlers on its own threads. /health and static
 * files need no master state and are answered there; /api/state and
 * /metrics are handed to the loop with loop_post, rendered by the render
 * function on the loop's thread, and their nng aio is completed from the
 * loop. The master's state is never touched from an nng thread. */
#ifndef MOSAIC_HTTP_H
#define MOSAIC_HTTP_H

#include <stddef.h>

#include "loop.h"

typedef struct http_server http_server;

/* Runs on the loop thread: returns the body for path ("/api/state" or
 * "/metrics"), a heap string the server frees, and sets *content_type to a
 * static string. */
typedef char *(*http_render_fn)(void *ctx, const char *path, const char **content_type);

/* http_open listens on hostport ("127.0.0.1:5080", "http://h:p"; port 0
 * picks one: see http_address). webui_dir, when it names a directory, is
 * served at /; otherwise / answers a short page of links. On failure
 * returns MOSAIC_ENET with the reason in err. The caller owns *out
 * (http_close). */
int http_open(http_server **out, mosaic_loop *loop, const char *hostport, const char *webui_dir,
              http_render_fn render, void *ctx, char *err, size_t errlen);

/* http_close answers the requests already handed to the loop (running the
 * loop briefly), then stops the server. Call on the loop thread, outside
 * any loop callback. */
void http_close(http_server *s);

/* "http://host:port" with the bound port. */
const char *http_address(const http_server *s);

#endif
