/* Two messengers on one loop over loopback tcp: delivery in order, the
 * bound address of port 0, and that garbage, unknown types and oversized
 * payloads are dropped and counted without touching the handler. */
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pipeline0/push.h>

#include "agent.pb-c.h"
#include "check.h"
#include "loop.h"
#include "messenger.h"
#include "mosaic.pb-c.h"
#include "scheduler.pb-c.h"

typedef struct ctx {
	int pings;
	uint64_t last_seq;
	int in_order;
	char from[MESSENGER_ADDR_MAX];
} ctx;

static void
on_ping(void *arg, const char *from, const ProtobufCMessage *msg)
{
	ctx *c = arg;
	const Mosaic__Ping *p = (const Mosaic__Ping *)msg;
	if (p->seq != c->last_seq + 1)
		c->in_order = 0;
	c->last_seq = p->seq;
	c->pings++;
	snprintf(c->from, sizeof(c->from), "%s", from);
}

static const messenger_route routes[] = {
	{MOSAIC__MESSAGE_TYPE__MSG_PING, &mosaic__ping__descriptor, on_ping},
};

static void
run_until(mosaic_loop *loop, int *counter, int want, double seconds)
{
	double end = mosaic_mono_now() + seconds;
	while (*counter < want && mosaic_mono_now() < end)
		loop_run_once(loop, 0.05);
}

int
main(void)
{
	mosaic_loop *loop;
	CHECK_OK(loop_new(&loop));
	messenger *a, *b;
	ctx ca = {0, 0, 1, ""}, cb = {0, 0, 1, ""};
	char err[256];
	CHECK_OK(messenger_open(&a, loop, "tcp://127.0.0.1:0", routes, 1, &ca, err, sizeof(err)));
	CHECK_OK(messenger_open(&b, loop, "tcp://127.0.0.1:0", routes, 1, &cb, err, sizeof(err)));
	CHECK(strstr(messenger_address(a), ":0") == NULL);
	CHECK(messenger_open(&a, loop, "bogus://x", routes, 1, &ca, err, sizeof(err)) == MOSAIC_ENET);
	CHECK(strstr(err, "bogus://x") != NULL);

	for (uint64_t i = 1; i <= 1000; i++) {
		Mosaic__Ping p = MOSAIC__PING__INIT;
		p.has_seq = 1;
		p.seq = i;
		CHECK_OK(messenger_send(a, messenger_address(b), MOSAIC__MESSAGE_TYPE__MSG_PING, &p.base));
	}
	run_until(loop, &cb.pings, 1000, 10);
	CHECK(cb.pings == 1000);
	CHECK(cb.in_order);
	CHECK(strcmp(cb.from, messenger_address(a)) == 0);

	/* Unknown type, undecodable payload. */
	messenger_send_raw(a, messenger_address(b), 9999, (const uint8_t *)"x", 1);
	messenger_send_raw(a, messenger_address(b), MOSAIC__MESSAGE_TYPE__MSG_PING, (const uint8_t *)"\xff\xff\xff", 3);
	/* A raw nng peer sending bytes that are no envelope at all, and one over the limit. */
	nng_socket raw;
	CHECK(nng_push0_open(&raw) == 0);
	CHECK(nng_dial(raw, messenger_address(b), NULL, 0) == 0);
	CHECK(nng_send(raw, "garbage!", 8, 0) == 0);
	size_t big = MESSENGER_MAX_MSG + 100;
	char *bigbuf = calloc(1, big);
	CHECK(nng_send(raw, bigbuf, big, 0) == 0);
	free(bigbuf);
	messenger_stats st;
	double end = mosaic_mono_now() + 5;
	do {
		loop_run_once(loop, 0.05);
		messenger_stats_get(b, &st);
	} while ((st.dropped_undecodable < 2 || st.dropped_unknown_type < 1 || st.dropped_oversized < 1) &&
	    mosaic_mono_now() < end);
	CHECK(st.dropped_unknown_type == 1);
	CHECK(st.dropped_undecodable == 2);
	CHECK(st.dropped_oversized == 1);
	CHECK(cb.pings == 1000);

	/* A send too large is refused at the sender. */
	Mosaic__Error e = MOSAIC__ERROR__INIT;
	char *huge = malloc(MESSENGER_MAX_MSG + 1);
	memset(huge, 'a', MESSENGER_MAX_MSG);
	huge[MESSENGER_MAX_MSG] = '\0';
	e.message = huge;
	CHECK(messenger_send(a, messenger_address(b), MOSAIC__MESSAGE_TYPE__MSG_ERROR, &e.base) == MOSAIC_ETOOBIG);
	free(huge);

	/* Still works after all that. */
	Mosaic__Ping p = MOSAIC__PING__INIT;
	p.has_seq = 1;
	p.seq = 1001;
	messenger_send(a, messenger_address(b), MOSAIC__MESSAGE_TYPE__MSG_PING, &p.base);
	run_until(loop, &cb.pings, 1001, 5);
	CHECK(cb.pings == 1001);

	nng_close(raw);
	messenger_close(a);
	messenger_close(b);
	loop_free(loop);
	return check_done();
}
