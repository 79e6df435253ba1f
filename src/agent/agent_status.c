/* agent_status.c - checkpointed, ordered, retried status updates.
 *
 * One stream per (framework, task) holds that task's updates in order; only
 * its head is ever in flight, so the master and the framework see a task's
 * states in the order they happened, even across resends and restarts.
 * Streams whose head must go out now sit on a ready list (cheap to flush on
 * every loop round); retries are found by a scan in agent_status_tick, which
 * the agent runs a few times a second. */
#include "agent_status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "ids.h"
#include "log.h"
#include "mem.h"
#include "util.h"

#define STREAM_BUCKETS 4096

typedef struct entry {
	char key[AGENT_STATUS_KEY_LEN];
	uint8_t uuid[MOSAIC_UUID_LEN];
	int state;
	uint8_t *data;
	size_t len;
	struct entry *next;
} entry;

typedef struct stream {
	char fw[MOSAIC_ID_MAX];
	char task[MOSAIC_ID_MAX];
	entry *head, *tail;
	size_t n;
	bool sent;        /* the head went out at least once since it became head */
	bool ready;       /* on the ready list */
	double next_send; /* when the head is resent */
	double backoff;
	struct stream *hnext;       /* hash chain */
	struct stream *prev, *next; /* every stream */
	struct stream *rnext;       /* ready list */
} stream;

struct agent_status {
	const agent_status_ops *ops;
	void *ctx;
	bool active;
	uint64_t next_seq;
	size_t pending;
	stream *buckets[STREAM_BUCKETS];
	stream *all;
	stream *ready, *ready_tail;
};

static uint32_t
hash2(const char *a, const char *b)
{
	return util_hash_pair(a, b) % STREAM_BUCKETS;
}

static stream *
stream_find(const agent_status *s, const char *fw, const char *task)
{
	for (stream *st = s->buckets[hash2(fw, task)]; st; st = st->hnext)
		if (strcmp(st->fw, fw) == 0 && strcmp(st->task, task) == 0)
			return st;
	return NULL;
}

static stream *
stream_get(agent_status *s, const char *fw, const char *task)
{
	stream *st = stream_find(s, fw, task);
	if (st)
		return st;
	st = xcalloc(1, sizeof(*st));
	snprintf(st->fw, sizeof(st->fw), "%s", fw);
	snprintf(st->task, sizeof(st->task), "%s", task);
	st->backoff = AGENT_STATUS_RETRY_MIN;
	uint32_t b = hash2(fw, task);
	st->hnext = s->buckets[b];
	s->buckets[b] = st;
	st->next = s->all;
	if (s->all)
		s->all->prev = st;
	s->all = st;
	return st;
}

static void
stream_free(agent_status *s, stream *st)
{
	uint32_t b = hash2(st->fw, st->task);
	for (stream **pp = &s->buckets[b]; *pp; pp = &(*pp)->hnext) {
		if (*pp == st) {
			*pp = st->hnext;
			break;
		}
	}
	if (st->prev)
		st->prev->next = st->next;
	else
		s->all = st->next;
	if (st->next)
		st->next->prev = st->prev;
	free(st);
}

static void
make_ready(agent_status *s, stream *st)
{
	st->sent = false;
	st->backoff = AGENT_STATUS_RETRY_MIN;
	if (st->ready)
		return;
	st->ready = true;
	st->rnext = NULL;
	if (s->ready_tail)
		s->ready_tail->rnext = st;
	else
		s->ready = st;
	s->ready_tail = st;
}

static void
entry_free(entry *e)
{
	free(e->data);
	free(e);
}

static void
enqueue(agent_status *s, stream *st, entry *e)
{
	if (st->tail)
		st->tail->next = e;
	else
		st->head = e;
	st->tail = e;
	st->n++;
	s->pending++;
	if (st->head == e && s->active)
		make_ready(s, st);
}

void
agent_status_new(agent_status **out, const agent_status_ops *ops, void *ctx)
{
	agent_status *s = xcalloc(1, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
	s->next_seq = 1;
	*out = s;
}

void
agent_status_free(agent_status *s)
{
	if (!s)
		return;
	while (s->all) {
		stream *st = s->all;
		while (st->head) {
			entry *e = st->head;
			st->head = e->next;
			entry_free(e);
		}
		stream_free(s, st);
	}
	free(s);
}

int
agent_status_add(agent_status *s, const char *fw, Mosaic__TaskStatus *status, double now)
{
	(void)now;
	entry *e = xcalloc(1, sizeof(*e));
	uuid_new(e->uuid);
	e->state = status->state;
	snprintf(e->key, sizeof(e->key), "%020llu", (unsigned long long)s->next_seq);

	/* The uuid travels inside the caller's status only while packing. */
	protobuf_c_boolean had = status->has_uuid;
	ProtobufCBinaryData old = status->uuid;
	status->has_uuid = 1;
	status->uuid.data = e->uuid;
	status->uuid.len = MOSAIC_UUID_LEN;
	Mosaic__StatusUpdate u = MOSAIC__STATUS_UPDATE__INIT;
	u.framework_id = (char *)fw;
	u.status = status;
	e->len = mosaic__status_update__get_packed_size(&u);
	e->data = xmalloc(e->len);
	mosaic__status_update__pack(&u, e->data);
	status->has_uuid = had;
	status->uuid = old;

	if (s->ops->save(s->ctx, e->key, e->data, e->len) != 0) {
		entry_free(e);
		return MOSAIC_EIO;
	}
	s->next_seq++;
	enqueue(s, stream_get(s, fw, status->task_id), e);
	return MOSAIC_OK;
}

int
agent_status_restore(agent_status *s, const char *key, const uint8_t *data, size_t len)
{
	Mosaic__StatusUpdate *u = mosaic__status_update__unpack(NULL, len, data);
	if (!u)
		return MOSAIC_EDECODE;
	int rv = MOSAIC_EDECODE;
	char *end;
	unsigned long long seq = strtoull(key, &end, 10);
	if (*end || strlen(key) >= AGENT_STATUS_KEY_LEN || !id_valid(u->framework_id) ||
	    !id_valid(u->status->task_id) || !u->status->has_uuid || u->status->uuid.len != MOSAIC_UUID_LEN)
		goto out;
	entry *e = xcalloc(1, sizeof(*e));
	snprintf(e->key, sizeof(e->key), "%s", key);
	memcpy(e->uuid, u->status->uuid.data, MOSAIC_UUID_LEN);
	e->state = u->status->state;
	e->data = xmalloc(len);
	memcpy(e->data, data, len);
	e->len = len;
	if (seq >= s->next_seq)
		s->next_seq = seq + 1;
	enqueue(s, stream_get(s, u->framework_id, u->status->task_id), e);
	rv = MOSAIC_OK;
out:
	mosaic__status_update__free_unpacked(u, NULL);
	return rv;
}

int
agent_status_ack(agent_status *s, const char *fw, const char *task, const uint8_t *uuid, size_t len,
                 double now)
{
	(void)now;
	stream *st = stream_find(s, fw, task);
	if (!st || !st->head || len != MOSAIC_UUID_LEN || memcmp(st->head->uuid, uuid, len) != 0)
		return MOSAIC_ENOENT;
	entry *e = st->head;
	st->head = e->next;
	if (!st->head)
		st->tail = NULL;
	st->n--;
	s->pending--;
	s->ops->drop(s->ctx, e->key);
	int state = e->state;
	entry_free(e);
	char fwc[MOSAIC_ID_MAX], taskc[MOSAIC_ID_MAX];
	snprintf(fwc, sizeof(fwc), "%s", st->fw);
	snprintf(taskc, sizeof(taskc), "%s", st->task);
	size_t more = st->n;
	if (st->head) {
		if (s->active)
			make_ready(s, st);
	} else if (!st->ready) {
		/* A stream on the ready list is freed by the flush that meets it. */
		stream_free(s, st);
	}
	if (s->ops->acked)
		s->ops->acked(s->ctx, fwc, taskc, state, more);
	return MOSAIC_OK;
}

void
agent_status_set_active(agent_status *s, bool active, double now)
{
	(void)now;
	s->active = active;
	if (!active)
		return;
	for (stream *st = s->all; st; st = st->next)
		if (st->head)
			make_ready(s, st);
}

static void
send_head(agent_status *s, stream *st, double now)
{
	s->ops->send(s->ctx, st->head->data, st->head->len);
	st->next_send = now + st->backoff;
	st->backoff = fmin(st->backoff * 2, AGENT_STATUS_RETRY_MAX);
	st->sent = true;
}

void
agent_status_flush(agent_status *s, double now)
{
	if (!s->active)
		return;
	while (s->ready) {
		stream *st = s->ready;
		s->ready = st->rnext;
		if (!s->ready)
			s->ready_tail = NULL;
		st->ready = false;
		st->rnext = NULL;
		if (!st->head)
			stream_free(s, st);
		else if (!st->sent)
			send_head(s, st, now);
	}
}

double
agent_status_tick(agent_status *s, double now)
{
	double next = INFINITY;
	if (!s->active)
		return next;
	for (stream *st = s->all; st; st = st->next) {
		if (!st->head || !st->sent)
			continue;
		if (now >= st->next_send) {
			LOGD("resending %s of %s/%s", codec_task_state_name(st->head->state), st->fw,
			     st->task);
			send_head(s, st, now);
		}
		if (st->next_send < next)
			next = st->next_send;
	}
	return next;
}

size_t
agent_status_pending(const agent_status *s)
{
	return s->pending;
}

size_t
agent_status_pending_task(const agent_status *s, const char *fw, const char *task)
{
	const stream *st = stream_find(s, fw, task);
	return st ? st->n : 0;
}

void
agent_status_clear(agent_status *s)
{
	s->ready = s->ready_tail = NULL;
	while (s->all) {
		stream *st = s->all;
		while (st->head) {
			entry *e = st->head;
			st->head = e->next;
			s->ops->drop(s->ctx, e->key);
			entry_free(e);
		}
		stream_free(s, st);
	}
	s->pending = 0;
}
