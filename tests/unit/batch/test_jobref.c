/* test_jobref.c - job references as scancel and squeue -j read them
 * ("12", "12_3", "12_[1-3,7]", "12_*"), what they match, and the ExitCode
 * column. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jobref.h"

static void
parse_ok(const char *text, uint32_t id, bool has_index, size_t n)
{
	jobref r;
	char err[256];
	int rv = jobref_parse(&r, text, err, sizeof(err));
	CHECK(rv == 0);
	if (rv != 0) {
		fprintf(stderr, "  '%s': %s\n", text, err);
		return;
	}
	CHECK(r.job_id == id);
	CHECK(r.has_index == has_index);
	CHECK(r.nindexes == n);
	jobref_fini(&r);
}

static void
parse_bad(const char *text)
{
	jobref r;
	char err[256] = "";
	CHECK(jobref_parse(&r, text, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "is not a job id") != NULL);
	CHECK(r.indexes == NULL && r.job_id == 0);
}

int
main(void)
{
	parse_ok("12", 12, false, 0);
	parse_ok("12_3", 12, true, 1);
	parse_ok("12_[1-3,7]", 12, true, 4);
	parse_ok("12_*", 12, false, 0);
	parse_ok("4294967295", 4294967295u, false, 0);
	parse_bad("");
	parse_bad("0");
	parse_bad("x");
	parse_bad("12x");
	parse_bad("-3");
	parse_bad("4294967296");
	parse_bad("12_");
	parse_bad("12_[");
	parse_bad("12_[3-1]");
	parse_bad("12_[1-3%2]");
	parse_bad("12_a");
	parse_bad("12_20000"); /* past MaxArraySize */

	jobref r;
	CHECK_OK(jobref_parse(&r, "12", NULL, 0));
	CHECK(jobref_matches(&r, 12, 0, 0));  /* the job itself */
	CHECK(jobref_matches(&r, 13, 12, 1)); /* every task of array 12 */
	CHECK(!jobref_matches(&r, 13, 0, 0));
	CHECK(!jobref_matches(&r, 14, 13, 1));
	jobref_fini(&r);
	CHECK_OK(jobref_parse(&r, "12_[1,3]", NULL, 0));
	CHECK(jobref_matches(&r, 13, 12, 1));
	CHECK(!jobref_matches(&r, 14, 12, 2));
	CHECK(jobref_matches(&r, 15, 12, 3));
	CHECK(!jobref_matches(&r, 12, 0, 0)); /* a plain job 12 has no task 1 */
	CHECK(!jobref_matches(&r, 21, 20, 1));
	jobref_fini(&r);

	char buf[JOBREF_BUFLEN];
	CHECK(strcmp(jobref_format(buf, 7, false, 0, 0), "7") == 0);
	CHECK(strcmp(jobref_format(buf, 9, true, 7, 2), "7_2") == 0);
	CHECK(strcmp(jobref_format(buf, 4294967295u, true, 4294967295u, 4294967295u),
	             "4294967295_4294967295") == 0);
	char ex[24];
	CHECK(strcmp(jobref_exit_format(ex, sizeof(ex), true, 0, 0), "0:0") == 0);
	CHECK(strcmp(jobref_exit_format(ex, sizeof(ex), true, 1, 0), "1:0") == 0);
	CHECK(strcmp(jobref_exit_format(ex, sizeof(ex), false, 0, 9), "0:9") == 0);
	CHECK(strcmp(jobref_exit_format(ex, sizeof(ex), false, 5, 0), "0:0") == 0);
	return check_done();
}
