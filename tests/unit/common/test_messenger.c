/* Two messengers on one loop over loopback tcp: delivery in order, the
 * bound address of port 0, and that garbage, unknown types and oversized
 * payloads are dropped and counted without touching the handler; what one
 * turn of the loop sends to a peer travels batched, in order, a large
 * envelope alone between the batches, and bad batches are dropped. */
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
#include "test_envelope.h"

typedef struct ctx {
	int pings;
	uint64_t last_seq;
	int in_order;
	char from[MESSENGER_ADDR_MAX];
	int errors;
	uint64_t seq_at_error; /* the last ping's seq when the error came */
} ctx;

static void
on_error(void *arg, const char *from, const ProtobufCMessage *msg)
{
	ctx *c = arg;
	c->errors++;
	c->seq_at_error = c->last_seq;
}

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
	{MOSAIC__MESSAGE_TYPE__MSG_ERROR, &mosaic__error__descriptor, on_error},
};

/* An nng message holding a MSG_BATCH envelope of the given envelopes. */
static void
send_batch(nng_socket raw, const ProtobufCBinaryData *envs, size_t n)
{
	ProtobufCBinaryData d = test_batch(envs, n);
	CHECK(nng_send(raw, d.data, d.len, 0) == 0);
	free(d.data);
}

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
	ctx ca = {.in_order = 1}, cb = {.in_order = 1};
	char err[256];
	CHECK_OK(messenger_open(&a, loop, "tcp://127.0.0.1:0", routes, 2, &ca, err, sizeof(err)));
	CHECK_OK(messenger_open(&b, loop, "tcp://127.0.0.1:0", routes, 2, &cb, err, sizeof(err)));
	CHECK(strstr(messenger_address(a), ":0") == NULL);
	CHECK(messenger_open(&a, loop, "bogus://x", routes, 2, &ca, err, sizeof(err)) == MOSAIC_ENET);
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
	messenger_stats sa;
	messenger_stats_get(a, &sa);
	CHECK(sa.sent == 1000);
	CHECK(sa.batches >= 1 && sa.batches < 100); /* one turn: a few batches of 256 KiB at most */

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

	/* In one turn: a ping, an envelope larger than a batch (it goes
	 * alone), another ping. Order is kept. */
	char *large = malloc(400 << 10);
	memset(large, 'b', (400 << 10) - 1);
	large[(400 << 10) - 1] = '\0';
	e.message = large;
	p.seq = 1002;
	CHECK_OK(messenger_send(a, messenger_address(b), MOSAIC__MESSAGE_TYPE__MSG_PING, &p.base));
	CHECK_OK(messenger_send(a, messenger_address(b), MOSAIC__MESSAGE_TYPE__MSG_ERROR, &e.base));
	p.seq = 1003;
	CHECK_OK(messenger_send(a, messenger_address(b), MOSAIC__MESSAGE_TYPE__MSG_PING, &p.base));
	free(large);
	run_until(loop, &cb.pings, 1003, 5);
	CHECK(cb.pings == 1003 && cb.in_order);
	CHECK(cb.errors == 1 && cb.seq_at_error == 1002);

	/* Batches from a raw peer: a good ping beside garbage and beside a
	 * batch nested in the batch; a batch whose body is no batch. Only
	 * the good pings arrive. */
	Mosaic__Ping good = MOSAIC__PING__INIT;
	good.has_seq = 1;
	good.seq = 1004;
	uint8_t pbuf[32];
	size_t plen = mosaic__ping__pack(&good, pbuf);
	ProtobufCBinaryData envs[3];
	envs[0] = test_envelope(MOSAIC__MESSAGE_TYPE__MSG_PING, pbuf, plen);
	envs[1].data = (uint8_t *)"\xff\xfe";
	envs[1].len = 2;
	envs[2] = test_envelope(MOSAIC__MESSAGE_TYPE__MSG_BATCH, (const uint8_t *)"", 0);
	send_batch(raw, envs, 3);
	good.seq = 1005;
	plen = mosaic__ping__pack(&good, pbuf);
	free(envs[0].data);
	envs[0] = test_envelope(MOSAIC__MESSAGE_TYPE__MSG_PING, pbuf, plen);
	send_batch(raw, envs, 1);
	ProtobufCBinaryData notbatch = test_envelope(MOSAIC__MESSAGE_TYPE__MSG_BATCH, (const uint8_t *)"\xff", 1);
	CHECK(nng_send(raw, notbatch.data, notbatch.len, 0) == 0);
	free(notbatch.data);
	free(envs[0].data);
	free(envs[2].data);
	messenger_stats before = st;
	run_until(loop, &cb.pings, 1005, 5);
	end = mosaic_mono_now() + 2;
	do {
		loop_run_once(loop, 0.05);
		messenger_stats_get(b, &st);
	} while (st.dropped_undecodable < before.dropped_undecodable + 2 && mosaic_mono_now() < end);
	CHECK(cb.pings == 1005 && cb.in_order);
	CHECK(st.dropped_undecodable == before.dropped_undecodable + 2);
	CHECK(st.dropped_unknown_type == before.dropped_unknown_type + 1);

	nng_close(raw);
	messenger_close(a);
	messenger_close(b);
	loop_free(loop);
	return check_done();
}
