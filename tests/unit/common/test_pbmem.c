/* pbmem: a message unpacked or copied into an arena packs back to the same
 * bytes, over several chunks; what does not decode gives NULL and no
 * arena. messenger_keep: a handler that keeps its payload has it intact
 * after messenger_decode returns (ASan would see it freed), also from
 * inside a batch; one that does not keep gives it back; outside a handler
 * there is nothing to keep. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "messenger.h"
#include "mosaic.pb-c.h"
#include "pbmem.h"
#include "scheduler.pb-c.h"
#include "test_envelope.h"

#define NVARS 300

/* A task whose environment has NVARS variables, packed into *len bytes. */
static uint8_t *
packed_task(size_t *len)
{
	static char names[NVARS][16], values[NVARS][48];
	static Mosaic__EnvVar vars[NVARS];
	static Mosaic__EnvVar *pvars[NVARS];
	for (int i = 0; i < NVARS; i++) {
		snprintf(names[i], sizeof(names[i]), "VAR_%d", i);
		snprintf(values[i], sizeof(values[i]), "value of variable number %d", i);
		mosaic__env_var__init(&vars[i]);
		vars[i].name = names[i];
		vars[i].value = values[i];
		pvars[i] = &vars[i];
	}
	Mosaic__CommandInfo cmd = MOSAIC__COMMAND_INFO__INIT;
	cmd.value = "true";
	cmd.n_environment = NVARS;
	cmd.environment = pvars;
	Mosaic__Resources res = MOSAIC__RESOURCES__INIT;
	Mosaic__TaskInfo t = MOSAIC__TASK_INFO__INIT;
	t.task_id = "t1";
	t.resources = &res;
	t.command = &cmd;
	*len = mosaic__task_info__get_packed_size(&t);
	uint8_t *buf = malloc(*len);
	mosaic__task_info__pack(&t, buf);
	return buf;
}

static int
same_bytes(const ProtobufCMessage *m, const uint8_t *buf, size_t len)
{
	if (protobuf_c_message_get_packed_size(m) != len)
		return 0;
	uint8_t *again = malloc(len);
	protobuf_c_message_pack(m, again);
	int same = memcmp(again, buf, len) == 0;
	free(again);
	return same;
}

typedef struct kept {
	pbmem *mem[4];
	const Mosaic__Error *msg[4];
	int n, given_back;
} kept;

static void
on_error(void *arg, const char *from, const ProtobufCMessage *msg)
{
	kept *k = arg;
	(void)from;
	const Mosaic__Error *e = (const Mosaic__Error *)msg;
	if (strcmp(e->message, "give back") == 0) {
		k->given_back++;
		return;
	}
	k->mem[k->n] = messenger_keep();
	k->msg[k->n++] = e;
	CHECK(messenger_keep() == NULL); /* kept once */
}

static const messenger_route routes[] = {
    {MOSAIC__MESSAGE_TYPE__MSG_ERROR, &mosaic__error__descriptor, on_error},
};

/* A packed envelope of an Error saying text. */
static ProtobufCBinaryData
error_envelope(const char *text)
{
	Mosaic__Error e = MOSAIC__ERROR__INIT;
	e.message = (char *)text;
	uint8_t payload[256];
	size_t plen = mosaic__error__pack(&e, payload);
	return test_envelope(MOSAIC__MESSAGE_TYPE__MSG_ERROR, payload, plen);
}

int
main(void)
{
	size_t len;
	uint8_t *buf = packed_task(&len);

	pbmem *mem = NULL;
	ProtobufCMessage *m = pbmem_unpack(&mosaic__task_info__descriptor, len, buf, &mem);
	CHECK(m != NULL && mem != NULL);
	const Mosaic__TaskInfo *t = (const Mosaic__TaskInfo *)m;
	CHECK(t->command->n_environment == NVARS);
	CHECK(strcmp(t->command->environment[NVARS - 1]->value, "value of variable number 299") == 0);
	CHECK(same_bytes(m, buf, len));

	pbmem *cmem = NULL;
	ProtobufCMessage *c = pbmem_copy(m, &cmem);
	pbmem_free(mem); /* the copy owns all of its parts */
	CHECK(same_bytes(c, buf, len));
	CHECK(pbmem_size(cmem) >= len);
	pbmem_free(cmem);

	/* A small first chunk: the rest comes from further chunks. */
	pbmem *small = pbmem_new(0);
	size_t before = pbmem_size(small);
	m = protobuf_c_message_unpack(&mosaic__task_info__descriptor, pbmem_allocator(small), len, buf);
	CHECK(m != NULL && same_bytes(m, buf, len));
	CHECK(pbmem_size(small) > before + len);
	pbmem_free(small);
	pbmem_free(NULL);

	mem = (pbmem *)1;
	CHECK(pbmem_unpack(&mosaic__task_info__descriptor, 3, (const uint8_t *)"\xff\xff\xff", &mem) == NULL);
	CHECK(mem == NULL);
	free(buf);

	/* messenger_keep */
	CHECK(messenger_keep() == NULL);
	kept k = {0};
	messenger_stats st = {0};
	ProtobufCBinaryData one = error_envelope("kept alone");
	messenger_decode(routes, 1, one.data, one.len, &st, &k);
	ProtobufCBinaryData envs[3] = {error_envelope("kept in a batch"), error_envelope("give back"),
	                               error_envelope("kept too")};
	ProtobufCBinaryData batch = test_batch(envs, 3);
	messenger_decode(routes, 1, batch.data, batch.len, &st, &k);
	CHECK(st.received == 4);
	CHECK(k.n == 3 && k.given_back == 1);
	CHECK(k.n == 3 && strcmp(k.msg[0]->message, "kept alone") == 0 &&
	      strcmp(k.msg[1]->message, "kept in a batch") == 0 &&
	      strcmp(k.msg[2]->message, "kept too") == 0);
	CHECK(messenger_keep() == NULL);
	for (int i = 0; i < k.n; i++)
		pbmem_free(k.mem[i]);
	free(one.data);
	free(batch.data);
	for (int i = 0; i < 3; i++)
		free(envs[i].data);
	return check_done();
}
