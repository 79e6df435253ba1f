/* test_agent_status - the status update manager with a fake clock: saved
 * before sent, one update in flight per task and in order, retries 1 s
 * doubling to 30 s, acks of the wrong uuid ignored, nothing sent while
 * inactive, everything resent on activation, and a restart from the saved
 * rows. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_status.h"
#include "check.h"
#include "ids.h"

#define MAXROWS 64

typedef struct fake {
	char keys[MAXROWS][AGENT_STATUS_KEY_LEN];
	uint8_t *rows[MAXROWS];
	size_t lens[MAXROWS];
	int nrows;
	/* what was sent, decoded */
	char sent_task[256][MOSAIC_ID_MAX];
	int sent_state[256];
	uint8_t sent_uuid[256][MOSAIC_UUID_LEN];
	int nsent;
	int saved_before_sent; /* every send found its row saved */
	int acked;
	int fail_save;
} fake;

static int
f_save(void *ctx, const char *key, const uint8_t *data, size_t len)
{
	fake *f = ctx;
	if (f->fail_save)
		return 1;
	snprintf(f->keys[f->nrows], AGENT_STATUS_KEY_LEN, "%s", key);
	f->rows[f->nrows] = malloc(len);
	memcpy(f->rows[f->nrows], data, len);
	f->lens[f->nrows] = len;
	f->nrows++;
	return 0;
}

static void
f_drop(void *ctx, const char *key)
{
	fake *f = ctx;
	for (int i = 0; i < f->nrows; i++) {
		if (strcmp(f->keys[i], key) == 0) {
			free(f->rows[i]);
			f->nrows--;
			memmove(&f->keys[i], &f->keys[i + 1], (size_t)(f->nrows - i) * sizeof(f->keys[0]));
			memmove(&f->rows[i], &f->rows[i + 1], (size_t)(f->nrows - i) * sizeof(f->rows[0]));
			memmove(&f->lens[i], &f->lens[i + 1], (size_t)(f->nrows - i) * sizeof(f->lens[0]));
			return;
		}
	}
}

static void
f_send(void *ctx, const uint8_t *data, size_t len)
{
	fake *f = ctx;
	Mosaic__StatusUpdate *u = mosaic__status_update__unpack(NULL, len, data);
	if (!u)
		return;
	int saved = 0;
	for (int i = 0; i < f->nrows; i++)
		if (f->lens[i] == len && memcmp(f->rows[i], data, len) == 0)
			saved = 1;
	if (!saved)
		f->saved_before_sent = 0;
	snprintf(f->sent_task[f->nsent], MOSAIC_ID_MAX, "%s", u->status->task_id);
	f->sent_state[f->nsent] = u->status->state;
	memcpy(f->sent_uuid[f->nsent], u->status->uuid.data, MOSAIC_UUID_LEN);
	f->nsent++;
	mosaic__status_update__free_unpacked(u, NULL);
}

static void
f_acked(void *ctx, const char *fw, const char *task, int state, size_t more)
{
	fake *f = ctx;
	f->acked++;
}

static const agent_status_ops ops = {f_save, f_drop, f_send, f_acked};

static void
add(agent_status *s, const char *task, int state, double now)
{
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.task_id = (char *)task;
	st.state = state;
	CHECK_OK(agent_status_add(s, "fw-1", &st, now));
	CHECK(!st.has_uuid); /* the caller's status is left as it was */
}

int
main(void)
{
	fake f;
	memset(&f, 0, sizeof(f));
	f.saved_before_sent = 1;
	agent_status *s;
	agent_status_new(&s, &ops, &f);
	double now = 1000;

	/* Inactive: saved, not sent. */
	add(s, "t1", MOSAIC__TASK_STATE__TASK_RUNNING, now);
	add(s, "t1", MOSAIC__TASK_STATE__TASK_FINISHED, now);
	add(s, "t2", MOSAIC__TASK_STATE__TASK_RUNNING, now);
	agent_status_flush(s, now);
	CHECK(f.nsent == 0);
	CHECK(f.nrows == 3);
	CHECK(agent_status_pending(s) == 3);
	CHECK(agent_status_pending_task(s, "fw-1", "t1") == 2);

	/* Active: one head per task goes out, t1's FINISHED waits. */
	agent_status_set_active(s, true, now);
	agent_status_flush(s, now);
	CHECK(f.nsent == 2);
	CHECK(f.saved_before_sent);
	int t1_first = strcmp(f.sent_task[0], "t1") == 0 ? 0 : 1;
	CHECK(f.sent_state[t1_first] == MOSAIC__TASK_STATE__TASK_RUNNING);

	/* Retries: 1 s, then 2 s, 4 s ... capped at 30 s. */
	agent_status_tick(s, now + 0.5);
	CHECK(f.nsent == 2);
	agent_status_tick(s, now + 1.0);
	CHECK(f.nsent == 4);
	agent_status_tick(s, now + 2.0);
	CHECK(f.nsent == 4);
	agent_status_tick(s, now + 3.0);
	CHECK(f.nsent == 6);
	double t = now + 3.0, last = t;
	for (int i = 0; i < 12; i++) {
		double next = agent_status_tick(s, t);
		last = t;
		t = next;
	}
	CHECK_NEAR(t - last, AGENT_STATUS_RETRY_MAX, 1e-9);

	/* A wrong uuid is no ack; the right one releases t1's next update. */
	uint8_t bogus[MOSAIC_UUID_LEN] = {0};
	CHECK(agent_status_ack(s, "fw-1", "t1", bogus, sizeof(bogus), t) == MOSAIC_ENOENT);
	CHECK(agent_status_ack(s, "fw-1", "t9", bogus, sizeof(bogus), t) == MOSAIC_ENOENT);
	CHECK_OK(agent_status_ack(s, "fw-1", "t1", f.sent_uuid[t1_first], MOSAIC_UUID_LEN, t));
	CHECK(agent_status_ack(s, "fw-1", "t1", f.sent_uuid[t1_first], MOSAIC_UUID_LEN, t) == MOSAIC_ENOENT);
	CHECK(f.acked == 1);
	CHECK(f.nrows == 2);
	int before = f.nsent;
	agent_status_flush(s, t);
	CHECK(f.nsent == before + 1);
	CHECK(strcmp(f.sent_task[f.nsent - 1], "t1") == 0);
	CHECK(f.sent_state[f.nsent - 1] == MOSAIC__TASK_STATE__TASK_FINISHED);
	/* Its back-off starts over at 1 s. */
	before = f.nsent;
	agent_status_tick(s, t + 1.0);
	int t1_resent = 0;
	for (int i = before; i < f.nsent; i++)
		t1_resent += strcmp(f.sent_task[i], "t1") == 0;
	CHECK(t1_resent == 1);

	/* A failing save queues nothing. */
	f.fail_save = 1;
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.task_id = "t3";
	st.state = MOSAIC__TASK_STATE__TASK_RUNNING;
	CHECK(agent_status_add(s, "fw-1", &st, t) == MOSAIC_EIO);
	CHECK(agent_status_pending(s) == 2);
	f.fail_save = 0;

	/* Restart: a new manager from the saved rows, in key order, sends
	 * the same updates (same uuids) once active. */
	agent_status *r;
	fake g;
	memset(&g, 0, sizeof(g));
	g.saved_before_sent = 1;
	agent_status_new(&r, &ops, &g);
	for (int i = 0; i < f.nrows; i++) {
		CHECK_OK(agent_status_restore(r, f.keys[i], f.rows[i], f.lens[i]));
		f_save(&g, f.keys[i], f.rows[i], f.lens[i]);
	}
	CHECK(agent_status_restore(r, "00000000000000000999", (const uint8_t *)"\xff\xff", 2) ==
	      MOSAIC_EDECODE);
	CHECK(agent_status_pending(r) == 2);
	agent_status_set_active(r, true, t);
	agent_status_flush(r, t);
	CHECK(g.nsent == 2);
	CHECK(g.saved_before_sent);
	/* A new update after the restart sorts after the restored ones. */
	Mosaic__TaskStatus st2 = MOSAIC__TASK_STATUS__INIT;
	st2.task_id = "t2";
	st2.state = MOSAIC__TASK_STATE__TASK_FINISHED;
	CHECK_OK(agent_status_add(r, "fw-1", &st2, t));
	CHECK(strcmp(g.keys[g.nrows - 1], g.keys[0]) > 0 && strcmp(g.keys[g.nrows - 1], g.keys[1]) > 0);
	agent_status_flush(r, t);
	CHECK(g.nsent == 2); /* t2 RUNNING is still in flight */

	/* Deactivating stops retries. */
	agent_status_set_active(r, false, t);
	before = g.nsent;
	agent_status_tick(r, t + 100);
	CHECK(g.nsent == before);
	agent_status_clear(r);
	CHECK(agent_status_pending(r) == 0);
	CHECK(g.nrows == 0);

	agent_status_free(s);
	agent_status_free(r);
	for (int i = 0; i < f.nrows; i++)
		free(f.rows[i]);
	return check_done();
}
