/* test_depspec.c - sbatch --dependency: parsing (the man page's examples,
 * array tasks, delays, malformed lists), canonical formatting, and
 * evaluation: truth tables of every type against every job state, AND and
 * OR lists, aftercorr, after+time, singleton; and the job state names. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "depspec.h"
#include "errors.h"

/* A fake job table for the look-up callback. */
typedef struct fake_job {
	uint32_t id, index;
	jobstate state;
	int64_t start;
} fake_job;

typedef struct fake_db {
	fake_job jobs[16];
	size_t n;
	uint32_t last_id, last_index; /* the last look-up, to check what was asked */
	int calls;
} fake_db;

static void
lookup(void *arg, uint32_t job_id, uint32_t array_index, depspec_job_info *out)
{
	fake_db *db = arg;
	db->calls++;
	db->last_id = job_id;
	db->last_index = array_index;
	for (size_t i = 0; i < db->n; i++) {
		if (db->jobs[i].id == job_id && db->jobs[i].index == array_index) {
			out->state = db->jobs[i].state;
			out->start_time = db->jobs[i].start;
			return;
		}
	}
	out->state = JOBSTATE_UNKNOWN;
}

static void
put(fake_db *db, uint32_t id, uint32_t index, jobstate s, int64_t start)
{
	for (size_t i = 0; i < db->n; i++) {
		if (db->jobs[i].id == id && db->jobs[i].index == index) {
			db->jobs[i].state = s;
			db->jobs[i].start = start;
			return;
		}
	}
	db->jobs[db->n++] = (fake_job){id, index, s, start};
}

static depspec_result
eval_text(const char *text, fake_db *db, const depspec_ctx *base, char *why, size_t whylen)
{
	depspec d;
	char err[200];
	if (depspec_parse(&d, text, err, sizeof(err)) != MOSAIC_OK) {
		fprintf(stderr, "  test dependency '%s' does not parse: %s\n", text, err);
		CHECK(0);
		return DEPSPEC_NEVER;
	}
	depspec_ctx ctx = base ? *base : (depspec_ctx){.job_id = 99, .array_index = DEPSPEC_WHOLE_JOB};
	ctx.lookup = lookup;
	ctx.lookup_arg = db;
	if (ctx.now == 0)
		ctx.now = 10000;
	depspec_result r = depspec_eval(&d, &ctx, why, whylen);
	depspec_fini(&d);
	return r;
}

static void
test_parse(void)
{
	depspec d;
	CHECK_OK(depspec_parse(&d, "afterok:12", NULL, 0));
	CHECK(d.count == 1 && d.op == DEPSPEC_AND && d.terms[0].type == DEPSPEC_AFTEROK &&
	      d.terms[0].job_id == 12 && d.terms[0].array_index == DEPSPEC_WHOLE_JOB &&
	      d.terms[0].delay == 0);
	depspec_fini(&d);
	CHECK(d.terms == NULL && d.count == 0);

	/* The man page: "-d afterok:20:21,afterany:23" and "-d afterok:20:21?afterany:23". */
	CHECK_OK(depspec_parse(&d, "afterok:20:21,afterany:23", NULL, 0));
	CHECK(d.count == 3 && d.op == DEPSPEC_AND);
	CHECK(d.terms[0].type == DEPSPEC_AFTEROK && d.terms[0].job_id == 20);
	CHECK(d.terms[1].type == DEPSPEC_AFTEROK && d.terms[1].job_id == 21);
	CHECK(d.terms[2].type == DEPSPEC_AFTERANY && d.terms[2].job_id == 23);
	depspec_fini(&d);
	CHECK_OK(depspec_parse(&d, "afterok:20:21?afterany:23", NULL, 0));
	CHECK(d.count == 3 && d.op == DEPSPEC_OR);
	depspec_fini(&d);

	CHECK_OK(depspec_parse(&d, "after:12+5:13", NULL, 0));
	CHECK(d.count == 2 && d.terms[0].type == DEPSPEC_AFTER && d.terms[0].delay == 300 &&
	      d.terms[1].delay == 0);
	depspec_fini(&d);
	CHECK_OK(depspec_parse(&d, "afterok:12_3:12_*:14", NULL, 0));
	CHECK(d.count == 3 && d.terms[0].array_index == 3 && d.terms[1].array_index == DEPSPEC_WHOLE_JOB &&
	      d.terms[1].job_id == 12 && d.terms[2].job_id == 14);
	depspec_fini(&d);
	CHECK_OK(depspec_parse(&d, "singleton", NULL, 0));
	CHECK(d.count == 1 && d.terms[0].type == DEPSPEC_SINGLETON);
	depspec_fini(&d);
	CHECK_OK(depspec_parse(&d, "12", NULL, 0)); /* afterany is the default type */
	CHECK(d.count == 1 && d.terms[0].type == DEPSPEC_AFTERANY && d.terms[0].job_id == 12);
	depspec_fini(&d);
	CHECK_OK(depspec_parse(&d, "12:13,afternotok:14", NULL, 0));
	CHECK(d.count == 3 && d.terms[1].type == DEPSPEC_AFTERANY && d.terms[2].type == DEPSPEC_AFTERNOTOK);
	depspec_fini(&d);
	CHECK_OK(depspec_parse(&d, "aftercorr:7,singleton", NULL, 0));
	CHECK(d.count == 2 && d.terms[0].type == DEPSPEC_AFTERCORR && d.terms[1].type == DEPSPEC_SINGLETON);
	depspec_fini(&d);
	CHECK_OK(depspec_parse(&d, "", NULL, 0));
	CHECK(d.count == 0);
	depspec_fini(&d);

	static const struct {
		const char *text, *fragment;
	} bad[] = {
	    {"afterok:1,afterany:2?afterok:3", "not both"},
	    {"afterfoo:12", "unsupported dependency type 'afterfoo'"},
	    {"expand:12", "unsupported dependency type 'expand'"},
	    {"afterok", "needs job ids"},
	    {"afterok:", "bad job id"},
	    {"afterok:0", "bad job id"},
	    {"afterok:abc", "bad job id"},
	    {"afterok:12+5", "only for 'after'"},
	    {"after:12+x", "bad delay"},
	    {"singleton:12", "takes no job ids"},
	    {"afterok:12,", "empty term"},
	    {",afterok:12", "empty term"},
	    {"afterok:12_[1-3]", "bad array index"},
	    {"afterok:12-13", "unexpected '-'"},
	    {"afterok:99999999999", "bad job id"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[200] = "";
		int rv = depspec_parse(&d, bad[i].text, err, sizeof(err));
		CHECK(rv == MOSAIC_EINVAL && d.terms == NULL && d.count == 0);
		CHECK(strstr(err, bad[i].fragment) != NULL);
		if (rv != MOSAIC_EINVAL || strstr(err, bad[i].fragment) == NULL)
			fprintf(stderr, "  '%s' -> rv %d err '%s'\n", bad[i].text, rv, err);
	}
}

static void
test_format(void)
{
	const char *texts[] = {"afterok:12:13_2,afterany:14", "after:7+5?singleton",
	                       "afterok:20:21?afterany:23",   "afternotok:5",
	                       "aftercorr:9,afterok:9",       "singleton"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		depspec d;
		CHECK_OK(depspec_parse(&d, texts[i], NULL, 0));
		char *s = depspec_format(&d);
		CHECK(strcmp(s, texts[i]) == 0);
		if (strcmp(s, texts[i]) != 0)
			fprintf(stderr, "  formatted '%s' as '%s'\n", texts[i], s);
		free(s);
		depspec_fini(&d);
	}
	depspec d;
	CHECK_OK(depspec_parse(&d, "12:13_*", NULL, 0));
	char *s = depspec_format(&d);
	CHECK(strcmp(s, "afterany:12:13") == 0);
	free(s);
	depspec_fini(&d);
	s = depspec_format(&(depspec){0});
	CHECK(strcmp(s, "") == 0);
	free(s);
}

static void
test_truth_tables(void)
{
	/* Rows: the state of job 12; columns: after, afterany, afterok,
	 * afternotok, aftercorr (S satisfied, W wait, N never). */
	static const struct {
		jobstate state;
		const char *want;
	} rows[] = {
	    {JOBSTATE_PENDING, "WWWWW"},   {JOBSTATE_RUNNING, "SWWWW"},       {JOBSTATE_COMPLETED, "SSSNS"},
	    {JOBSTATE_FAILED, "SSNSN"},    {JOBSTATE_CANCELLED, "SSNSN"},     {JOBSTATE_TIMEOUT, "SSNSN"},
	    {JOBSTATE_NODE_FAIL, "SSNSN"}, {JOBSTATE_OUT_OF_MEMORY, "SSNSN"}, {JOBSTATE_UNKNOWN, "SSNNN"},
	};
	const char *deps[] = {"after:12", "afterany:12", "afterok:12", "afternotok:12", "aftercorr:12"};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		for (size_t c = 0; c < 5; c++) {
			fake_db db = {0};
			if (rows[r].state != JOBSTATE_UNKNOWN)
				put(&db, 12, DEPSPEC_WHOLE_JOB, rows[r].state, 100);
			depspec_result res = eval_text(deps[c], &db, NULL, NULL, 0);
			char got = res == DEPSPEC_SATISFIED ? 'S' : res == DEPSPEC_WAIT ? 'W' : 'N';
			CHECK(got == rows[r].want[c]);
			if (got != rows[r].want[c])
				fprintf(stderr, "  %s with job 12 %s: got %c, wanted %c\n", deps[c],
				        jobstate_name(rows[r].state), got, rows[r].want[c]);
		}
	}
}

static void
test_lists(void)
{
	/* AND and OR of two terms, over every pair of outcomes: job 1 is
	 * made to give S, W or N to afterok; job 2 likewise. */
	static const jobstate make[3] = {JOBSTATE_COMPLETED, JOBSTATE_RUNNING, JOBSTATE_FAILED};
	static const char and_table[3][3] = {{'S', 'W', 'N'}, {'W', 'W', 'N'}, {'N', 'N', 'N'}};
	static const char or_table[3][3] = {{'S', 'S', 'S'}, {'S', 'W', 'W'}, {'S', 'W', 'N'}};
	for (int a = 0; a < 3; a++) {
		for (int b = 0; b < 3; b++) {
			fake_db db = {0};
			put(&db, 1, DEPSPEC_WHOLE_JOB, make[a], 0);
			put(&db, 2, DEPSPEC_WHOLE_JOB, make[b], 0);
			depspec_result r1 = eval_text("afterok:1:2", &db, NULL, NULL, 0);
			depspec_result r2 = eval_text("afterok:1?afterok:2", &db, NULL, NULL, 0);
			char g1 = r1 == DEPSPEC_SATISFIED ? 'S' : r1 == DEPSPEC_WAIT ? 'W' : 'N';
			char g2 = r2 == DEPSPEC_SATISFIED ? 'S' : r2 == DEPSPEC_WAIT ? 'W' : 'N';
			CHECK(g1 == and_table[a][b]);
			CHECK(g2 == or_table[a][b]);
		}
	}

	/* The man page's example: afterok:20:21,afterany:23. */
	fake_db db = {0};
	put(&db, 20, DEPSPEC_WHOLE_JOB, JOBSTATE_COMPLETED, 0);
	put(&db, 21, DEPSPEC_WHOLE_JOB, JOBSTATE_COMPLETED, 0);
	put(&db, 23, DEPSPEC_WHOLE_JOB, JOBSTATE_RUNNING, 0);
	char why[256];
	CHECK(eval_text("afterok:20:21,afterany:23", &db, NULL, why, sizeof(why)) == DEPSPEC_WAIT);
	CHECK(strcmp(why, "afterany:23: job 23 is RUNNING") == 0);
	put(&db, 23, DEPSPEC_WHOLE_JOB, JOBSTATE_CANCELLED, 0);
	CHECK(eval_text("afterok:20:21,afterany:23", &db, NULL, why, sizeof(why)) == DEPSPEC_SATISFIED);
	put(&db, 21, DEPSPEC_WHOLE_JOB, JOBSTATE_TIMEOUT, 0);
	CHECK(eval_text("afterok:20:21,afterany:23", &db, NULL, why, sizeof(why)) == DEPSPEC_NEVER);
	CHECK(strcmp(why, "afterok:21: job 21 is TIMEOUT") == 0);
	/* ... and afterok:20:21?afterany:23: any one is enough. */
	put(&db, 20, DEPSPEC_WHOLE_JOB, JOBSTATE_FAILED, 0);
	put(&db, 21, DEPSPEC_WHOLE_JOB, JOBSTATE_RUNNING, 0);
	put(&db, 23, DEPSPEC_WHOLE_JOB, JOBSTATE_PENDING, 0);
	CHECK(eval_text("afterok:20:21?afterany:23", &db, NULL, why, sizeof(why)) == DEPSPEC_WAIT);
	put(&db, 21, DEPSPEC_WHOLE_JOB, JOBSTATE_COMPLETED, 0);
	CHECK(eval_text("afterok:20:21?afterany:23", &db, NULL, why, sizeof(why)) == DEPSPEC_SATISFIED);
	CHECK(strcmp(why, "afterok:21: job 21 is COMPLETED") == 0);
	put(&db, 21, DEPSPEC_WHOLE_JOB, JOBSTATE_FAILED, 0);
	put(&db, 23, DEPSPEC_WHOLE_JOB, JOBSTATE_CANCELLED, 0);
	CHECK(eval_text("afterok:20:21?afterany:23", &db, NULL, why, sizeof(why)) == DEPSPEC_SATISFIED);
	put(&db, 23, DEPSPEC_WHOLE_JOB, JOBSTATE_RUNNING, 0);
	CHECK(eval_text("afterok:20:21?afterok:23", &db, NULL, why, sizeof(why)) == DEPSPEC_WAIT);
	put(&db, 23, DEPSPEC_WHOLE_JOB, JOBSTATE_NODE_FAIL, 0);
	CHECK(eval_text("afterok:20:21?afterok:23", &db, NULL, why, sizeof(why)) == DEPSPEC_NEVER);

	/* No dependency at all. */
	depspec_ctx ctx = {.lookup = lookup, .lookup_arg = &db};
	CHECK(depspec_eval(&(depspec){0}, &ctx, NULL, 0) == DEPSPEC_SATISFIED);
	CHECK(strcmp(depspec_reason(DEPSPEC_WAIT), "Dependency") == 0);
	CHECK(strcmp(depspec_reason(DEPSPEC_NEVER), "DependencyNeverSatisfied") == 0);
	CHECK(strcmp(depspec_reason(DEPSPEC_SATISFIED), "None") == 0);
}

static void
test_arrays_and_delays(void)
{
	fake_db db = {0};
	/* One task of an array. */
	put(&db, 12, 3, JOBSTATE_COMPLETED, 0);
	put(&db, 12, DEPSPEC_WHOLE_JOB, JOBSTATE_RUNNING, 0);
	CHECK(eval_text("afterok:12_3", &db, NULL, NULL, 0) == DEPSPEC_SATISFIED);
	CHECK(db.last_id == 12 && db.last_index == 3);
	CHECK(eval_text("afterok:12", &db, NULL, NULL, 0) == DEPSPEC_WAIT);
	CHECK(db.last_index == DEPSPEC_WHOLE_JOB);

	/* aftercorr: task 4 of job 30 waits on task 4 of job 12. */
	depspec_ctx self = {.job_id = 30, .array_index = 4};
	put(&db, 12, 4, JOBSTATE_RUNNING, 0);
	CHECK(eval_text("aftercorr:12", &db, &self, NULL, 0) == DEPSPEC_WAIT);
	CHECK(db.last_id == 12 && db.last_index == 4);
	put(&db, 12, 4, JOBSTATE_COMPLETED, 0);
	CHECK(eval_text("aftercorr:12", &db, &self, NULL, 0) == DEPSPEC_SATISFIED);
	put(&db, 12, 4, JOBSTATE_FAILED, 0);
	CHECK(eval_text("aftercorr:12", &db, &self, NULL, 0) == DEPSPEC_NEVER);

	/* after:7+5 - five minutes after job 7 started. */
	depspec_ctx at = {.job_id = 99, .array_index = DEPSPEC_WHOLE_JOB, .now = 10000};
	put(&db, 7, DEPSPEC_WHOLE_JOB, JOBSTATE_RUNNING, 10000 - 100);
	char why[256];
	CHECK(eval_text("after:7+5", &db, &at, why, sizeof(why)) == DEPSPEC_WAIT);
	CHECK(strstr(why, "waiting 200 more seconds") != NULL);
	put(&db, 7, DEPSPEC_WHOLE_JOB, JOBSTATE_RUNNING, 10000 - 300);
	CHECK(eval_text("after:7+5", &db, &at, NULL, 0) == DEPSPEC_SATISFIED);
	CHECK(eval_text("after:7", &db, &at, NULL, 0) == DEPSPEC_SATISFIED);
	/* Cancelled while pending: counts from the cancellation. */
	put(&db, 7, DEPSPEC_WHOLE_JOB, JOBSTATE_CANCELLED, 10000 - 60);
	CHECK(eval_text("after:7+2", &db, &at, NULL, 0) == DEPSPEC_WAIT);
	CHECK(eval_text("after:7+1", &db, &at, NULL, 0) == DEPSPEC_SATISFIED);

	/* Why an unknown job blocks afterok for good. */
	CHECK(eval_text("afterok:555", &db, NULL, why, sizeof(why)) == DEPSPEC_NEVER);
	CHECK(strstr(why, "job 555 is unknown") != NULL);
}

static depspec_result
singleton(const depspec_peer *peers, size_t n, uint32_t id, uint32_t index)
{
	fake_db db = {0};
	depspec_ctx ctx = {
	    .job_id = id, .array_index = index, .user = "ana", .name = "train", .peers = peers, .npeers = n};
	return eval_text("singleton", &db, &ctx, NULL, 0);
}

static void
test_singleton(void)
{
	const uint32_t W = DEPSPEC_WHOLE_JOB;
	depspec_peer self = {50, W, "ana", "train", JOBSTATE_PENDING, true};
	CHECK(singleton(&self, 1, 50, W) == DEPSPEC_SATISFIED); /* itself does not count */
	CHECK(singleton(NULL, 0, 50, W) == DEPSPEC_SATISFIED);

	depspec_peer running[] = {self, {40, W, "ana", "train", JOBSTATE_RUNNING, false}};
	CHECK(singleton(running, 2, 50, W) == DEPSPEC_WAIT);
	depspec_peer other_user[] = {self, {40, W, "bob", "train", JOBSTATE_RUNNING, false}};
	CHECK(singleton(other_user, 2, 50, W) == DEPSPEC_SATISFIED);
	depspec_peer other_name[] = {self, {40, W, "ana", "eval", JOBSTATE_RUNNING, false}};
	CHECK(singleton(other_name, 2, 50, W) == DEPSPEC_SATISFIED);
	/* Two held-back singletons: only the earlier may go. */
	depspec_peer pend[] = {self, {45, W, "ana", "train", JOBSTATE_PENDING, true}};
	CHECK(singleton(pend, 2, 50, W) == DEPSPEC_WAIT);
	pend[1].job_id = 55;
	CHECK(singleton(pend, 2, 50, W) == DEPSPEC_SATISFIED);
	/* A pending job that is not a singleton does not hold it back. */
	depspec_peer plain[] = {self, {45, W, "ana", "train", JOBSTATE_PENDING, false}};
	CHECK(singleton(plain, 2, 50, W) == DEPSPEC_SATISFIED);
	/* Finished jobs do not count. */
	depspec_peer done[] = {self, {45, W, "ana", "train", JOBSTATE_COMPLETED, true}};
	CHECK(singleton(done, 2, 50, W) == DEPSPEC_SATISFIED);
	/* Tasks of one array run one at a time, lowest index first. */
	depspec_peer tasks[] = {{60, 1, "ana", "train", JOBSTATE_PENDING, true},
	                        {60, 2, "ana", "train", JOBSTATE_PENDING, true}};
	CHECK(singleton(tasks, 2, 60, 1) == DEPSPEC_SATISFIED);
	CHECK(singleton(tasks, 2, 60, 2) == DEPSPEC_WAIT);
	tasks[0].state = JOBSTATE_RUNNING;
	CHECK(singleton(tasks, 2, 60, 2) == DEPSPEC_WAIT);
	/* singleton AND afterok. */
	fake_db db = {0};
	put(&db, 3, W, JOBSTATE_COMPLETED, 0);
	depspec_ctx ctx = {
	    .job_id = 50, .array_index = W, .user = "ana", .name = "train", .peers = running, .npeers = 2};
	CHECK(eval_text("afterok:3,singleton", &db, &ctx, NULL, 0) == DEPSPEC_WAIT);
	ctx.peers = other_user;
	CHECK(eval_text("afterok:3,singleton", &db, &ctx, NULL, 0) == DEPSPEC_SATISFIED);
}

static void
test_jobstate(void)
{
	for (int s = 0; s < JOBSTATE_COUNT; s++) {
		CHECK(jobstate_parse(jobstate_name((jobstate)s)) == (jobstate)s);
		CHECK(jobstate_parse(jobstate_code((jobstate)s)) == (jobstate)s || s == JOBSTATE_UNKNOWN);
	}
	CHECK(jobstate_parse("completed") == JOBSTATE_COMPLETED);
	CHECK(jobstate_parse("pd") == JOBSTATE_PENDING);
	CHECK(jobstate_parse("bogus") == JOBSTATE_UNKNOWN);
	CHECK(jobstate_parse(NULL) == JOBSTATE_UNKNOWN);
	CHECK(strcmp(jobstate_name((jobstate)99), "UNKNOWN") == 0);
	CHECK(strcmp(jobstate_code(JOBSTATE_OUT_OF_MEMORY), "OOM") == 0);
	CHECK(!jobstate_is_terminal(JOBSTATE_RUNNING) && jobstate_is_terminal(JOBSTATE_COMPLETED));
	CHECK(!jobstate_is_failure(JOBSTATE_COMPLETED) && jobstate_is_failure(JOBSTATE_CANCELLED));
	CHECK(!jobstate_is_terminal(JOBSTATE_UNKNOWN) && !jobstate_is_failure(JOBSTATE_UNKNOWN));
}

int
main(void)
{
	test_parse();
	test_format();
	test_truth_tables();
	test_lists();
	test_arrays_and_delays();
	test_singleton();
	test_jobstate();
	return check_done();
}
