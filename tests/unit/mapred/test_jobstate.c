/* jobstate: the life of a job's tasks -- launches and attempts, stale
 * updates, reduces waiting for maps, failures up to the attempt limit, and
 * what an agent's loss or a lost output sends back to be redone. */
#include <string.h>

#include "check.h"
#include "jobstate.h"

static void
launch(jobstate *js, jobstate_kind k, uint32_t i, const char *agent, char *id)
{
	CHECK_OK(jobstate_launch(js, k, i, agent, "http://x", id));
}

static void
test_ids(void)
{
	char id[JOBSTATE_ID_MAX];
	jobstate_task_id(JOBSTATE_MAP, 12, 3, id, sizeof(id));
	CHECK(strcmp(id, "m12.3") == 0);
	jobstate_kind k;
	uint32_t i, a;
	CHECK(jobstate_parse_task_id("r4.2", &k, &i, &a) == 0 && k == JOBSTATE_REDUCE && i == 4 && a == 2);
	CHECK(jobstate_parse_task_id("m12.3", &k, &i, &a) == 0 && k == JOBSTATE_MAP && i == 12 && a == 3);
	CHECK(jobstate_parse_task_id("x1.1", &k, &i, &a) == MOSAIC_EINVAL);
	CHECK(jobstate_parse_task_id("m1", &k, &i, &a) == MOSAIC_EINVAL);
	CHECK(jobstate_parse_task_id("m.1", &k, &i, &a) == MOSAIC_EINVAL);
	CHECK(jobstate_parse_task_id("m1.", &k, &i, &a) == MOSAIC_EINVAL);
	CHECK(jobstate_parse_task_id("m1.2x", &k, &i, &a) == MOSAIC_EINVAL);
	CHECK(jobstate_parse_task_id("s.abc.1.1", &k, &i, &a) == MOSAIC_EINVAL);
}

static void
test_happy_path(void)
{
	jobstate *js;
	jobstate_new(&js, 2, 1, 0);
	char m0[JOBSTATE_ID_MAX], m1[JOBSTATE_ID_MAX], r0[JOBSTATE_ID_MAX];
	/* Reduces wait for every map. */
	CHECK(jobstate_launch(js, JOBSTATE_REDUCE, 0, "a", "h", r0) == MOSAIC_ESTATE);
	launch(js, JOBSTATE_MAP, 0, "a", m0);
	launch(js, JOBSTATE_MAP, 1, "b", m1);
	CHECK(strcmp(m0, "m0.1") == 0 && strcmp(m1, "m1.1") == 0);
	CHECK(jobstate_launch(js, JOBSTATE_MAP, 0, "a", "h", m0) == MOSAIC_ESTATE); /* running already */
	CHECK(jobstate_finished(js, "m0.1"));
	CHECK(!jobstate_finished(js, "m0.1")); /* a duplicate changes nothing */
	CHECK(!jobstate_maps_done(js));
	CHECK(jobstate_finished(js, "m1.1"));
	CHECK(jobstate_maps_done(js) && jobstate_done(js, JOBSTATE_MAP) == 2);
	launch(js, JOBSTATE_REDUCE, 0, "c", r0);
	CHECK(jobstate_finished(js, r0));
	/* A finished reduce is done only once its output is copied back. */
	CHECK(!jobstate_complete(js));
	CHECK(jobstate_task_get(js, JOBSTATE_REDUCE, 0)->phase == JOBSTATE_FINISHED);
	CHECK(jobstate_fetched(js, 0));
	CHECK(jobstate_complete(js) && !jobstate_failure(js));
	jobstate_counters c;
	jobstate_get_counters(js, &c);
	CHECK(c.launched == 3 && c.failed == 0 && c.lost == 0 && c.recomputed == 0);
	jobstate_free(js);
}

static void
test_attempt_limit(void)
{
	jobstate *js;
	jobstate_new(&js, 1, 1, 3);
	char id[JOBSTATE_ID_MAX];
	for (int a = 1; a <= 3; a++) {
		launch(js, JOBSTATE_MAP, 0, "a", id);
		CHECK(jobstate_ended(js, id, false, "exited 1: boom"));
		CHECK(!jobstate_ended(js, id, false, "again")); /* stale now */
		CHECK((jobstate_failure(js) != NULL) == (a == 3));
	}
	CHECK(strstr(jobstate_failure(js), "map 0") && strstr(jobstate_failure(js), "boom"));
	CHECK(jobstate_launch(js, JOBSTATE_MAP, 0, "a", "h", id) != 0);
	jobstate_counters c;
	jobstate_get_counters(js, &c);
	CHECK(c.failed == 3 && c.launched == 3);
	jobstate_free(js);
}

static void
test_stale_updates(void)
{
	jobstate *js;
	jobstate_new(&js, 1, 1, 0);
	char id[JOBSTATE_ID_MAX];
	launch(js, JOBSTATE_MAP, 0, "a", id);
	CHECK(jobstate_ended(js, "m0.1", true, "agent gone"));
	launch(js, JOBSTATE_MAP, 0, "b", id);
	CHECK(strcmp(id, "m0.2") == 0);
	/* The first attempt reports late: ignored, the second one counts. */
	CHECK(!jobstate_finished(js, "m0.1"));
	CHECK(!jobstate_maps_done(js));
	CHECK(jobstate_finished(js, "m0.2"));
	CHECK(strcmp(jobstate_task_get(js, JOBSTATE_MAP, 0)->agent_id, "b") == 0);
	CHECK(!jobstate_finished(js, "m9.1") && !jobstate_finished(js, "r0.1") &&
	      !jobstate_finished(js, "zz"));
	jobstate_free(js);
}

static void
test_agent_lost(void)
{
	jobstate *js;
	jobstate_new(&js, 3, 2, 0);
	char id[JOBSTATE_ID_MAX], r0[JOBSTATE_ID_MAX], r1[JOBSTATE_ID_MAX];
	launch(js, JOBSTATE_MAP, 0, "a", id);
	CHECK(jobstate_finished(js, id));
	launch(js, JOBSTATE_MAP, 1, "b", id);
	CHECK(jobstate_finished(js, id));
	launch(js, JOBSTATE_MAP, 2, "a", id);
	CHECK(jobstate_finished(js, id));
	uint32_t again[8];
	CHECK(jobstate_take_pending_maps(js, again, 8) == 0);
	launch(js, JOBSTATE_REDUCE, 0, "b", r0);
	launch(js, JOBSTATE_REDUCE, 1, "a", r1);
	/* Agent a goes: both maps it held are needed by the running reduces. */
	CHECK(jobstate_agent_lost(js, "a") == 2);
	CHECK(!jobstate_maps_done(js) && jobstate_done(js, JOBSTATE_MAP) == 1);
	size_t n = jobstate_take_pending_maps(js, again, 8);
	CHECK(n == 2 && again[0] == 0 && again[1] == 2);
	CHECK(jobstate_take_pending_maps(js, again, 8) == 0);
	/* The reduce on a is lost by its own update; it must wait for the maps. */
	CHECK(jobstate_ended(js, r1, true, "lost with a"));
	CHECK(jobstate_launch(js, JOBSTATE_REDUCE, 1, "b", "h", r1) == MOSAIC_ESTATE);
	launch(js, JOBSTATE_MAP, 0, "b", id);
	CHECK(strcmp(id, "m0.2") == 0);
	CHECK(jobstate_finished(js, id));
	launch(js, JOBSTATE_MAP, 2, "c", id);
	CHECK(jobstate_finished(js, id));
	CHECK(jobstate_maps_done(js));
	launch(js, JOBSTATE_REDUCE, 1, "c", r1);
	CHECK(strcmp(r1, "r1.2") == 0);
	jobstate_counters c;
	jobstate_get_counters(js, &c);
	CHECK(c.lost == 1 && c.recomputed == 2);
	jobstate_free(js);
}

static void
test_lost_after_reduces_finished(void)
{
	jobstate *js;
	jobstate_new(&js, 1, 1, 0);
	char id[JOBSTATE_ID_MAX], r0[JOBSTATE_ID_MAX];
	launch(js, JOBSTATE_MAP, 0, "a", id);
	CHECK(jobstate_finished(js, id));
	launch(js, JOBSTATE_REDUCE, 0, "b", r0);
	CHECK(jobstate_finished(js, r0));
	/* No reduce needs map outputs any more: losing a costs nothing ... */
	CHECK(jobstate_agent_lost(js, "a") == 0);
	CHECK(jobstate_maps_done(js));
	/* ... until the reduce's own output is lost with b: then the reduce
	 * runs again, and so must the map whose output went with a. */
	CHECK(jobstate_agent_lost(js, "b") == 2);
	CHECK(!jobstate_maps_done(js));
	CHECK(jobstate_task_get(js, JOBSTATE_REDUCE, 0)->phase == JOBSTATE_PENDING);
	uint32_t again[4];
	CHECK(jobstate_take_pending_maps(js, again, 4) == 1 && again[0] == 0);
	jobstate_free(js);
}

static void
test_output_lost(void)
{
	jobstate *js;
	jobstate_new(&js, 2, 1, 2);
	char id[JOBSTATE_ID_MAX], r0[JOBSTATE_ID_MAX];
	launch(js, JOBSTATE_MAP, 0, "a", id);
	CHECK(jobstate_finished(js, id));
	launch(js, JOBSTATE_MAP, 1, "a", id);
	CHECK(jobstate_finished(js, id));
	launch(js, JOBSTATE_REDUCE, 0, "b", r0);
	/* The reducer found map 1's output gone: map 1 is redone, then the reducer. */
	CHECK(jobstate_output_lost(js, JOBSTATE_MAP, 1, "404"));
	CHECK(!jobstate_output_lost(js, JOBSTATE_MAP, 1, "404")); /* pending already */
	CHECK(jobstate_ended(js, r0, false, "could not fetch"));
	launch(js, JOBSTATE_MAP, 1, "c", id);
	/* Its second and last attempt: losing its output once more is fatal. */
	CHECK(jobstate_finished(js, id));
	launch(js, JOBSTATE_REDUCE, 0, "b", r0);
	CHECK(jobstate_output_lost(js, JOBSTATE_MAP, 1, "404 again"));
	CHECK(jobstate_failure(js) && strstr(jobstate_failure(js), "404 again"));
	jobstate_free(js);

	/* A reduce's output the client could not copy: the reduce runs again. */
	jobstate_new(&js, 1, 1, 0);
	launch(js, JOBSTATE_MAP, 0, "a", id);
	CHECK(jobstate_finished(js, id));
	launch(js, JOBSTATE_REDUCE, 0, "b", r0);
	CHECK(!jobstate_output_lost(js, JOBSTATE_REDUCE, 0, "running")); /* not finished yet */
	CHECK(jobstate_finished(js, r0));
	CHECK(jobstate_output_lost(js, JOBSTATE_REDUCE, 0, "copy failed"));
	CHECK(!jobstate_fetched(js, 0));
	launch(js, JOBSTATE_REDUCE, 0, "c", r0);
	CHECK(strcmp(r0, "r0.2") == 0);
	jobstate_free(js);
}

static void
test_finished_on_lost_agent(void)
{
	/* The map's FINISHED travels while its agent is declared lost. */
	jobstate *js;
	jobstate_new(&js, 1, 1, 0);
	char id[JOBSTATE_ID_MAX];
	launch(js, JOBSTATE_MAP, 0, "a", id);
	CHECK(jobstate_agent_lost(js, "a") == 0); /* running: its LOST update will say */
	CHECK(jobstate_finished(js, id));
	CHECK(!jobstate_maps_done(js)); /* its output is on a: redone at once */
	uint32_t again[2];
	CHECK(jobstate_take_pending_maps(js, again, 2) == 1);
	jobstate_fail(js, "first");
	jobstate_fail(js, "second");
	CHECK(strcmp(jobstate_failure(js), "first") == 0);
	CHECK(!jobstate_complete(js));
	jobstate_free(js);
}

int
main(void)
{
	test_ids();
	test_happy_path();
	test_attempt_limit();
	test_stale_updates();
	test_agent_lost();
	test_lost_after_reduces_finished();
	test_output_lost();
	test_finished_on_lost_agent();
	return check_done();
}
