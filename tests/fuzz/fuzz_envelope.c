/* fuzz_envelope.c - what any peer can send a daemon: an nng message body,
 * decoded by messenger_decode as an Envelope (or a batch of them) and its
 * payload as the message its type names. Every message type the daemons
 * route is routed here; a decoded message is packed again, every other
 * one after it was kept past the decode (messenger_keep). */
#include <stdlib.h>

#include "fuzz.h"
#include "log.h"
#include "messenger.h"
#include "mosaic.pb-c.h"
#include "pbmem.h"
#include "agent.pb-c.h"
#include "executor.pb-c.h"
#include "scheduler.pb-c.h"
#include "operator.pb-c.h"

static void
repack(const ProtobufCMessage *msg)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *b = malloc(n ? n : 1);
	if (!b)
		abort();
	protobuf_c_message_pack(msg, b);
	free(b);
}

/* Every other message is kept (messenger_keep) and packed again only
 * after messenger_decode returned: ASan sees any part freed with the
 * envelope or the batch. */
#define KEEP_MAX 64
static struct {
	pbmem *mem;
	const ProtobufCMessage *msg;
} kept[KEEP_MAX];
static size_t nkept, nseen;

static void
handle(void *ctx, const char *from, const ProtobufCMessage *msg)
{
	(void)ctx;
	(void)from;
	repack(msg);
	if (nseen++ % 2 && nkept < KEEP_MAX) {
		kept[nkept].mem = messenger_keep();
		kept[nkept++].msg = msg;
	}
}

#define R(T, d) {.type = MOSAIC__MESSAGE_TYPE__MSG_##T, .desc = &mosaic__##d##__descriptor, .fn = handle}
static const messenger_route routes[] = {
    R(ACCEPT, accept), R(ACKNOWLEDGE, acknowledge), R(DECLINE, decline),
    R(FRAMEWORK_MESSAGE, framework_message), R(GANG_DEMAND, gang_demand), R(GET_STATE, get_state),
    R(KEEPALIVE, keepalive), R(KILL, kill), R(PONG, pong), R(RECONCILE, reconcile),
    R(REGISTER_AGENT, register_agent), R(REREGISTER_AGENT, reregister_agent), R(REVIVE, revive),
    R(STATUS_UPDATE, status_update), R(SUBSCRIBE, subscribe), R(SUPPRESS, suppress),
    R(TEARDOWN, teardown), R(UPDATE_AGENT, update_agent), R(PING, ping), R(RUN_TASKS, run_tasks),
    R(ACCEPT_RESULT, accept_result), R(AGENT_LOST, agent_lost), R(ERROR, error), R(HEARTBEAT, heartbeat),
    R(OFFERS, offers), R(RESCIND, rescind), R(STATE, state), R(SUBSCRIBED, subscribed), R(UPDATE, update),
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	if (!quiet++)
		log_init("fuzz", LOG_ERROR, NULL);
	messenger_stats st = {0};
	messenger_decode(routes, sizeof(routes) / sizeof(routes[0]), data, size, &st, NULL);
	for (size_t i = 0; i < nkept; i++) {
		repack(kept[i].msg);
		pbmem_free(kept[i].mem);
	}
	nkept = 0;
	return 0;
}

static void
add_env(uint8_t ***bufs, size_t **lens, size_t *n, uint32_t type, const ProtobufCMessage *payload,
        uint8_t *out, size_t *outlen)
{
	uint8_t pl[4096];
	Mosaic__Envelope env = MOSAIC__ENVELOPE__INIT;
	env.type = type;
	env.from = "tcp://127.0.0.1:5050";
	env.has_seq = 1;
	env.seq = 7;
	if (payload) {
		env.has_payload = 1;
		env.payload.data = pl;
		env.payload.len = protobuf_c_message_pack(payload, pl);
	}
	*outlen = mosaic__envelope__pack(&env, out);
	fuzz_seed_add(bufs, lens, n, out, *outlen);
}

size_t
fuzz_seeds(uint8_t ***bufs, size_t **lens)
{
	size_t n = 0, l1, l2, l3;
	uint8_t e1[8192], e2[8192], e3[8192];

	Mosaic__TaskStatus ts = MOSAIC__TASK_STATUS__INIT;
	ts.task_id = "job-1";
	ts.state = MOSAIC__TASK_STATE__TASK_FINISHED;
	ts.message = "done";
	ts.has_uuid = 1;
	ts.uuid.data = (uint8_t *)"0123456789abcdef";
	ts.uuid.len = 16;
	Mosaic__StatusUpdate su = MOSAIC__STATUS_UPDATE__INIT;
	su.framework_id = "fw-1";
	su.status = &ts;
	add_env(bufs, lens, &n, MOSAIC__MESSAGE_TYPE__MSG_STATUS_UPDATE, &su.base, e1, &l1);

	Mosaic__CommandInfo cmd = MOSAIC__COMMAND_INFO__INIT;
	cmd.value = "echo hi";
	cmd.script = "#!/bin/sh\necho hi\n";
	Mosaic__Resources res = MOSAIC__RESOURCES__INIT;
	res.has_cpus = 1;
	res.cpus = 1;
	Mosaic__TaskInfo ti = MOSAIC__TASK_INFO__INIT, *tis[1] = {&ti};
	ti.task_id = "t1";
	ti.resources = &res;
	ti.command = &cmd;
	Mosaic__FrameworkInfo fi = MOSAIC__FRAMEWORK_INFO__INIT;
	fi.id = "fw-1";
	fi.name = "batch";
	Mosaic__RunTasks rt = MOSAIC__RUN_TASKS__INIT;
	rt.framework = &fi;
	rt.n_tasks = 1;
	rt.tasks = tis;
	add_env(bufs, lens, &n, MOSAIC__MESSAGE_TYPE__MSG_RUN_TASKS, &rt.base, e2, &l2);

	Mosaic__Ping ping = MOSAIC__PING__INIT;
	add_env(bufs, lens, &n, MOSAIC__MESSAGE_TYPE__MSG_PING, &ping.base, e3, &l3);

	/* a batch of the three, as the messenger sends them */
	ProtobufCBinaryData parts[3] = {{l1, e1}, {l2, e2}, {l3, e3}};
	Mosaic__EnvelopeBatch b = MOSAIC__ENVELOPE_BATCH__INIT;
	b.n_envelopes = 3;
	b.envelopes = parts;
	uint8_t out[32768];
	size_t lo;
	add_env(bufs, lens, &n, MOSAIC__MESSAGE_TYPE__MSG_BATCH, &b.base, out, &lo);
	return n;
}
