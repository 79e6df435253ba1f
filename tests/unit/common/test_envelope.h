/* test_envelope.h - packed envelopes for the messenger's tests, as a
 * peer would send them. */
#ifndef MOSAIC_TEST_ENVELOPE_H
#define MOSAIC_TEST_ENVELOPE_H

#include <stdlib.h>

#include "mosaic.pb-c.h"

/* A packed envelope of type with payload, from a made-up peer (the
 * caller frees .data). */
static ProtobufCBinaryData
test_envelope(uint32_t type, const uint8_t *payload, size_t plen)
{
	Mosaic__Envelope env = MOSAIC__ENVELOPE__INIT;
	env.type = type;
	env.from = "tcp://127.0.0.1:1";
	env.has_payload = 1;
	env.payload.data = (uint8_t *)payload;
	env.payload.len = plen;
	ProtobufCBinaryData d;
	d.len = mosaic__envelope__get_packed_size(&env);
	d.data = malloc(d.len);
	mosaic__envelope__pack(&env, d.data);
	return d;
}

/* A packed MSG_BATCH envelope of the n packed envelopes envs. */
static ProtobufCBinaryData
test_batch(const ProtobufCBinaryData *envs, size_t n)
{
	Mosaic__EnvelopeBatch b = MOSAIC__ENVELOPE_BATCH__INIT;
	b.n_envelopes = n;
	b.envelopes = (ProtobufCBinaryData *)envs;
	size_t blen = mosaic__envelope_batch__get_packed_size(&b);
	uint8_t *bbuf = malloc(blen + 1);
	mosaic__envelope_batch__pack(&b, bbuf);
	ProtobufCBinaryData d = test_envelope(MOSAIC__MESSAGE_TYPE__MSG_BATCH, bbuf, blen);
	free(bbuf);
	return d;
}

#endif
