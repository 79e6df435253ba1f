/* master.h - libmosaic-master: the Mosaic master as a library, so that
 * mosaic-master's main.c, tests and benchmarks drive the same code.
 *
 * The master is a state machine on one event loop: messages in (through
 * the messenger, or master_handle in tests), messages out (through the
 * messenger, or a send function the caller sets), timers for allocation,
 * pings, heartbeats and offer timeouts. Everything here must be called on
 * the loop's thread. */
#ifndef MOSAIC_MASTER_H
#define MOSAIC_MASTER_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "allocator.h"
#include "loop.h"
#include "weights.h"

typedef struct master master;

/* How the master sends: to is a peer address, type a MOSAIC__MESSAGE_TYPE__*,
 * msg is only borrowed for the call. Returns 0 or a mosaic_err. */
typedef int (*master_send_fn)(void *arg, const char *to, uint32_t type, const ProtobufCMessage *msg);

typedef struct master_config {
	const char *listen;         /* messenger url; NULL: no messenger (tests set a send function) */
	const char *http;           /* "host:port" of the HTTP server; NULL or "": none */
	const char *work_dir;       /* the registry lives here */
	const char *webui_dir;      /* static files served at / when the directory exists */
	const weights *weights;     /* role weights given on the command line; they override the registry's */
	double allocation_interval; /* seconds between periodic allocation passes */
	double allocation_delay;    /* least time between event-driven passes (the first after a
	                             * quiet spell runs at once, at the end of its loop round) */
	double offer_timeout;       /* offers are rescinded after this; 0: never */
	double ping_interval;       /* master -> agent Ping */
	unsigned max_missed_pings;  /* agent unreachable after this many unanswered pings */
	double heartbeat_interval;  /* master -> framework Heartbeat */
	double keepalive_timeout;   /* framework disconnected after this without a message */
	double recovery_grace;      /* least failover time of frameworks recovered after a master restart */
	double staging_grace;       /* a STAGING task its agent does not report yet is kept this long */
	double refuse_default;      /* Decline/Accept filter when none is given */
	size_t completed_tasks;     /* completed tasks kept per framework */
	allocator_config alloc;
} master_config;

/* master_config_init fills the documented defaults (docs/PROTOCOL.md). */
void master_config_init(master_config *cfg);

/* master_new opens the registry in cfg->work_dir, applies the weights and
 * recovers the frameworks the registry knows (disconnected until they
 * re-subscribe). No network yet. On failure returns a mosaic_err with the
 * reason in err. cfg's strings are copied. The caller owns *out
 * (master_free). */
int master_new(master **out, mosaic_loop *loop, const master_config *cfg, char *err, size_t errlen);

/* master_start opens the messenger (when cfg->listen is set) and the HTTP
 * server (when cfg->http is set) and starts the timers. On failure returns
 * MOSAIC_ENET or MOSAIC_EIO with the reason in err. */
int master_start(master *m, char *err, size_t errlen);

/* master_free stops everything and frees the master; in-flight HTTP
 * requests are answered first. */
void master_free(master *m);

/* Replace how the master sends (tests capture messages this way). */
void master_set_send(master *m, master_send_fn fn, void *arg);

/* master_handle delivers one decoded message, as the messenger would: the
 * master's routes table picks the handler by type. msg is borrowed. */
void master_handle(master *m, uint32_t type, const char *from, const ProtobufCMessage *msg);

/* master_allocate_now runs one allocation pass at once and sends its
 * offers; returns the number of offers made. */
size_t master_allocate_now(master *m);

const char *master_id(const master *m);
/* The messenger address ("" without a messenger) and the HTTP base URL
 * ("" without an HTTP server). */
const char *master_address(const master *m);
const char *master_http_address(const master *m);

/* /api/state and /metrics bodies; the caller frees the string. */
char *master_state_json(master *m);
char *master_metrics_text(master *m);

#endif
