/* test_arrayspec.c - sbatch --array: the man page's examples, the limit on
 * indexes (MaxArraySize), malformed texts, and formatting back (round trips
 * over random sets). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arrayspec.h"
#include "check.h"
#include "errors.h"

/* ids of text as "a b c" with "%N" when throttled, or "ERR: message". */
static char out_buf[4096];

static const char *
expand(const char *text, uint32_t max)
{
	arrayspec a;
	char err[200] = "";
	if (arrayspec_parse(&a, text, max, err, sizeof(err)) != MOSAIC_OK) {
		CHECK(a.ids == NULL && a.count == 0);
		snprintf(out_buf, sizeof(out_buf), "ERR: %s", err);
		return out_buf;
	}
	size_t n = 0;
	out_buf[0] = '\0';
	for (size_t i = 0; i < a.count && n < sizeof(out_buf) - 16; i++)
		n += (size_t)snprintf(out_buf + n, sizeof(out_buf) - n, "%s%u", i ? " " : "", a.ids[i]);
	if (a.throttle)
		snprintf(out_buf + n, sizeof(out_buf) - n, " %%%u", a.throttle);
	arrayspec_fini(&a);
	return out_buf;
}

static void
expect(const char *text, const char *want)
{
	const char *got = expand(text, 0);
	CHECK(strcmp(got, want) == 0);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "  '%s' -> '%s', wanted '%s'\n", text, got, want);
}

static void
expect_error(const char *text, uint32_t max, const char *fragment)
{
	const char *got = expand(text, max);
	CHECK(strncmp(got, "ERR: ", 5) == 0 && strstr(got, fragment) != NULL);
	if (strncmp(got, "ERR: ", 5) != 0 || strstr(got, fragment) == NULL)
		fprintf(stderr, "  '%s' -> '%s', wanted an error with '%s'\n", text, got, fragment);
}

static void
test_examples(void)
{
	expect("0-15", "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15");
	expect("0,6,16-32", "0 6 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32");
	expect("0-15:4", "0 4 8 12"); /* "equivalent to --array=0,4,8,12" */
	expect("0-15%4", "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 %4");
	expect("1,3,5", "1 3 5");
	expect("1-9:2", "1 3 5 7 9");
	expect("1,5-7", "1 5 6 7");
	expect("7", "7");
	expect("0", "0");
	expect("7,1,3", "1 3 7");           /* sorted */
	expect("1-5,3,4-6", "1 2 3 4 5 6"); /* duplicates merged */
	expect("1-10:3,2", "1 2 4 7 10");

	arrayspec a;
	CHECK_OK(arrayspec_parse(&a, "0-99%4", 0, NULL, 0));
	CHECK(a.count == 100 && a.ids[99] == 99 && a.throttle == 4);
	arrayspec_fini(&a);
	CHECK(a.ids == NULL && a.count == 0);
}

static void
test_limits(void)
{
	arrayspec a;
	/* The default MaxArraySize 10001 allows indexes 0..10000. */
	CHECK_OK(arrayspec_parse(&a, "0-10000", 0, NULL, 0));
	CHECK(a.count == ARRAYSPEC_DEFAULT_MAX_SIZE);
	arrayspec_fini(&a);
	expect_error("0-10001", 0,
	             "index 10001 is over the limit: indexes go from 0 to 10000 (at most 10001 tasks)");
	expect_error("20000", 0, "index 20000 is over the limit");
	expect_error("1-4000000000", 0, "over the limit");
	CHECK(strcmp(expand("1000", 1001), "1000") == 0);
	expect_error("1001", 1001, "indexes go from 0 to 1000 (at most 1001 tasks)");
	/* A large text of repeats stays bounded by the limit. */
	char big[4000] = "";
	for (int i = 0; i < 300; i++)
		strcat(big, i ? ",0-10000" : "0-10000");
	CHECK_OK(arrayspec_parse(&a, big, 0, NULL, 0));
	CHECK(a.count == 10001);
	arrayspec_fini(&a);
}

static void
test_errors(void)
{
	expect_error("", 0, "empty");
	expect_error("5-3", 0, "range 5-3 goes backwards");
	expect_error("1,,2", 0, "expected an index");
	expect_error("1,", 0, "nothing after");
	expect_error(",1", 0, "expected an index");
	expect_error("a", 0, "expected an index");
	expect_error("1-", 0, "end of the range");
	expect_error("1-5:0", 0, "step >= 1");
	expect_error("1-5:", 0, "step >= 1");
	expect_error("5:2", 0, "unexpected ':'");
	expect_error("%4", 0, "no indexes before '%'");
	expect_error("1%0", 0, "bad limit '0'");
	expect_error("1%", 0, "bad limit");
	expect_error("1%x", 0, "bad limit 'x'");
	expect_error("1-5%4%2", 0, "bad limit '4%2'");
	expect_error("4294967296", 0, "expected an index");
	expect_error("1 2", 0, "unexpected ' '");
	expect_error("1-3_2", 0, "unexpected '_'");
	CHECK(arrayspec_parse(&(arrayspec){0}, NULL, 0, NULL, 0) == MOSAIC_EINVAL);
}

static void
expect_format(const uint32_t *ids, size_t n, uint32_t throttle, const char *want)
{
	arrayspec a = {(uint32_t *)ids, n, throttle};
	char *got = arrayspec_format(&a);
	CHECK(strcmp(got, want) == 0);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "  formatted '%s', wanted '%s'\n", got, want);
	free(got);
}

static void
test_format(void)
{
	expect_format((uint32_t[]){0, 1, 2, 3}, 4, 0, "0-3");
	expect_format((uint32_t[]){0, 1, 2, 3}, 4, 4, "0-3%4");
	expect_format((uint32_t[]){1, 3, 5, 7, 9}, 5, 0, "1-9:2");
	expect_format((uint32_t[]){1, 5, 6, 7}, 4, 0, "1,5-7");
	expect_format((uint32_t[]){0, 4, 5, 6}, 4, 0, "0,4-6");
	expect_format((uint32_t[]){1, 2, 5, 8, 11}, 5, 0, "1-2,5-11:3");
	expect_format((uint32_t[]){1, 10}, 2, 0, "1,10");
	expect_format((uint32_t[]){3}, 1, 2, "3%2");
	char *s = arrayspec_format_ids(NULL, 0);
	CHECK(strcmp(s, "") == 0);
	free(s);
	s = arrayspec_format_ids((uint32_t[]){4, 5, 6, 7, 8, 9, 11}, 7);
	CHECK(strcmp(s, "4-9,11") == 0);
	free(s);

	/* Random sets read back to themselves. */
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 500; round++) {
		uint32_t ids[200];
		size_t n = 0;
		int density = 1 + round % 7;
		for (uint32_t i = 0; i < 200; i++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			if (rng % 8 < (uint64_t)density)
				ids[n++] = i;
		}
		if (n == 0)
			continue;
		arrayspec a = {ids, n, (uint32_t)(round % 3)}, b;
		char *text = arrayspec_format(&a);
		int rv = arrayspec_parse(&b, text, 0, NULL, 0);
		CHECK(rv == MOSAIC_OK);
		bool same = rv == MOSAIC_OK && b.count == n && b.throttle == a.throttle &&
		            memcmp(b.ids, ids, n * sizeof(*ids)) == 0;
		CHECK(same);
		if (!same)
			fprintf(stderr, "  round trip failed for '%s'\n", text);
		free(text);
		arrayspec_fini(&b);
	}
}

int
main(void)
{
	test_examples();
	test_limits();
	test_errors();
	test_format();
	return check_done();
}
