/* test_slurm_time.c - sbatch's --time formats (the man page's examples and
 * malformed ones), their display as squeue shows them, and --begin times
 * relative to a fixed `now` in UTC and across a daylight-saving change. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "errors.h"
#include "slurm_time.h"

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {
	    .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
	return (int64_t)timegm(&tm);
}

static int64_t
limit(const char *text)
{
	int64_t v = -999;
	if (slurm_time_parse(text, &v) != MOSAIC_OK)
		return -999;
	return v;
}

static void
test_limits(void)
{
	/* The formats the sbatch man page lists, with its examples. */
	CHECK(limit("60") == 3600);                 /* minutes */
	CHECK(limit("30:30") == 1830);              /* minutes:seconds */
	CHECK(limit("4:30:30") == 4 * 3600 + 1830); /* hours:minutes:seconds */
	CHECK(limit("03:00:00") == 3 * 3600);
	CHECK(limit("4-12") == 4 * 86400 + 12 * 3600); /* days-hours */
	CHECK(limit("4-12:15") == 4 * 86400 + 12 * 3600 + 15 * 60);
	CHECK(limit("4-12:15:30") == 4 * 86400 + 12 * 3600 + 15 * 60 + 30);
	CHECK(limit("2-02:30:00") == 2 * 86400 + 2 * 3600 + 30 * 60);
	CHECK(limit("90") == 5400); /* fields need not be normalised */
	CHECK(limit("0:90") == 90);
	CHECK(limit("0:30") == 30);
	CHECK(limit("UNLIMITED") == SLURM_TIME_UNLIMITED);
	CHECK(limit("infinite") == SLURM_TIME_UNLIMITED);
	CHECK(limit("-1") == SLURM_TIME_UNLIMITED);
	CHECK(limit("0") == SLURM_TIME_UNLIMITED); /* "zero requests that no time limit be imposed" */
	CHECK(limit("0-0:0:0") == SLURM_TIME_UNLIMITED);

	const char *bad[] = {"",           "1:2:3:4", "1-2-3", "abc",       "1:", ":1",
	                     "1-",         "-5",      "1.5",   "1 ",        " 1", "1-2:3:4:5",
	                     "9999999999", "1h",      "1-:30", "UNLIMITEDX"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 42;
		int rv = slurm_time_parse(bad[i], &v);
		CHECK(rv == MOSAIC_EINVAL);
		CHECK(v == 42);
		if (rv != MOSAIC_EINVAL)
			fprintf(stderr, "  accepted '%s'\n", bad[i]);
	}
	CHECK(slurm_time_parse(NULL, &(int64_t){0}) == MOSAIC_EINVAL);
}

static void
test_format(void)
{
	char buf[SLURM_TIME_BUFLEN];
	CHECK(strcmp(slurm_time_format(93784, buf, sizeof(buf)), "1-02:03:04") == 0);
	CHECK(strcmp(slurm_time_format(300, buf, sizeof(buf)), "00:05:00") == 0);
	CHECK(strcmp(slurm_time_format(0, buf, sizeof(buf)), "00:00:00") == 0);
	CHECK(strcmp(slurm_time_format(86399, buf, sizeof(buf)), "23:59:59") == 0);
	CHECK(strcmp(slurm_time_format(86400, buf, sizeof(buf)), "1-00:00:00") == 0);
	CHECK(strcmp(slurm_time_format(SLURM_TIME_UNLIMITED, buf, sizeof(buf)), "UNLIMITED") == 0);
	CHECK(strcmp(slurm_time_format(-5, buf, sizeof(buf)), "INVALID") == 0);
	CHECK(strcmp(slurm_time_format(400 * 86400 + 1, buf, sizeof(buf)), "400-00:00:01") == 0);

	/* What is printed reads back to the same limit. */
	int64_t samples[] = {1, 59, 60, 3599, 3600, 86399, 86400, 93784, 1000000, SLURM_TIME_UNLIMITED};
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		CHECK(limit(slurm_time_format(samples[i], buf, sizeof(buf))) == samples[i]);

	/* squeue's TIME column. */
	CHECK(strcmp(slurm_time_format_elapsed(0, buf, sizeof(buf)), "0:00") == 0);
	CHECK(strcmp(slurm_time_format_elapsed(5, buf, sizeof(buf)), "0:05") == 0);
	CHECK(strcmp(slurm_time_format_elapsed(754, buf, sizeof(buf)), "12:34") == 0);
	CHECK(strcmp(slurm_time_format_elapsed(3723, buf, sizeof(buf)), "1:02:03") == 0);
	CHECK(strcmp(slurm_time_format_elapsed(273906, buf, sizeof(buf)), "3-04:05:06") == 0);
	CHECK(strcmp(slurm_time_format_elapsed(-1, buf, sizeof(buf)), "INVALID") == 0);
}

static int64_t
begin(const char *text, int64_t now)
{
	int64_t when = -999;
	char err[200] = "";
	if (slurm_time_parse_begin(text, now, &when, err, sizeof(err)) != MOSAIC_OK)
		return -999;
	return when;
}

static void
expect_bad_begin(const char *text, int64_t now, const char *fragment)
{
	int64_t when = 7;
	char err[200] = "";
	int rv = slurm_time_parse_begin(text, now, &when, err, sizeof(err));
	CHECK(rv == MOSAIC_EINVAL);
	CHECK(when == 7);
	CHECK(strstr(err, fragment) != NULL);
	if (rv != MOSAIC_EINVAL || strstr(err, fragment) == NULL)
		fprintf(stderr, "  '%s' -> rv %d, err '%s' (wanted '%s')\n", text, rv, err, fragment);
}

static void
test_begin_utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	int64_t now = utc(2024, 3, 10, 15, 30, 0); /* a Sunday afternoon */
	CHECK(now == 1710084600);

	/* The man page's examples. */
	CHECK(begin("16:00", now) == utc(2024, 3, 10, 16, 0, 0));
	CHECK(begin("now+1hour", now) == now + 3600);
	CHECK(begin("now+60", now) == now + 60); /* seconds by default */
	CHECK(begin("2010-01-20T12:34:00", now) == 1263990840);

	CHECK(begin("now", now) == now);
	CHECK(begin("NOW", now) == now);
	CHECK(begin("now+2days", now) == now + 2 * 86400);
	CHECK(begin("now+1week", now) == now + 7 * 86400);
	CHECK(begin("now + 30 minutes", now) == now + 1800);
	CHECK(begin("now+5m", now) == now + 300);
	CHECK(begin("now-10", now) == now - 10);

	/* A time of day: today if still to come, else tomorrow. */
	CHECK(begin("15:00", now) == utc(2024, 3, 11, 15, 0, 0));
	CHECK(begin("15:30", now) == utc(2024, 3, 11, 15, 30, 0));
	CHECK(begin("15:30:01", now) == utc(2024, 3, 10, 15, 30, 1));
	CHECK(begin("4:00pm", now) == utc(2024, 3, 10, 16, 0, 0));
	CHECK(begin("11:00 AM", now) == utc(2024, 3, 11, 11, 0, 0));
	CHECK(begin("12:00 AM", now) == utc(2024, 3, 11, 0, 0, 0));
	CHECK(begin("12:30 PM", now) == utc(2024, 3, 11, 12, 30, 0));
	CHECK(begin("midnight", now) == utc(2024, 3, 11, 0, 0, 0));
	CHECK(begin("noon", now) == utc(2024, 3, 11, 12, 0, 0));
	CHECK(begin("teatime", now) == utc(2024, 3, 10, 16, 0, 0));
	CHECK(begin("fika", now) == utc(2024, 3, 11, 15, 0, 0));
	CHECK(begin("elevenses", now) == utc(2024, 3, 11, 11, 0, 0));

	/* Dates; without a time, 00:00:00. */
	CHECK(begin("tomorrow", now) == utc(2024, 3, 11, 0, 0, 0));
	CHECK(begin("today", now) == utc(2024, 3, 10, 0, 0, 0));
	CHECK(begin("tomorrow 16:00", now) == utc(2024, 3, 11, 16, 0, 0));
	CHECK(begin("noon tomorrow", now) == utc(2024, 3, 11, 12, 0, 0));
	CHECK(begin("today teatime", now) == utc(2024, 3, 10, 16, 0, 0));
	CHECK(begin("2024-12-25", now) == utc(2024, 12, 25, 0, 0, 0));
	CHECK(begin("2024-12-25T08:00", now) == utc(2024, 12, 25, 8, 0, 0));
	CHECK(begin("2024-2-9T08:05:09", now) == utc(2024, 2, 9, 8, 5, 9));
	CHECK(begin("03/20", now) == utc(2024, 3, 20, 0, 0, 0));
	CHECK(begin("03/01", now) == utc(2025, 3, 1, 0, 0, 0));   /* passed: next year */
	CHECK(begin("03/10", now) == utc(2025, 3, 10, 0, 0, 0));  /* today at 00:00 has passed */
	CHECK(begin("032025", now) == utc(2025, 3, 20, 0, 0, 0)); /* MMDDYY */
	CHECK(begin("0320", now) == utc(2024, 3, 20, 0, 0, 0));   /* MMDD */
	CHECK(begin("03.20.25", now) == utc(2025, 3, 20, 0, 0, 0));
	CHECK(begin("03/20/25-14:00", now) == utc(2025, 3, 20, 14, 0, 0));
	CHECK(begin("2024-02-29", now) == utc(2024, 2, 29, 0, 0, 0)); /* a leap day */

	expect_bad_begin("2023-02-29", now, "not a date");
	expect_bad_begin("2024-02-30", now, "not a date");
	expect_bad_begin("2024-13-01", now, "not a date");
	expect_bad_begin("25:00", now, "not a time of day");
	expect_bad_begin("12:60", now, "not a time of day");
	expect_bad_begin("13:00 PM", now, "not a time of day");
	expect_bad_begin("tomorrow today", now, "two dates");
	expect_bad_begin("16:00 17:00", now, "two times of day");
	expect_bad_begin("whenever", now, "expected");
	expect_bad_begin("", now, "empty");
	expect_bad_begin("now+", now, "count");
	expect_bad_begin("now*3", now, "now+count");
	expect_bad_begin("now+1fortnight", now, "unknown time unit");
	expect_bad_begin("nowish", now, "expected");
	expect_bad_begin("16:0", now, "HH:MM");
	expect_bad_begin("03/20/2025", now, "two-digit year");
}

static void
test_begin_dst(void)
{
	/* Paris moves to summer time on 2024-03-31 at 02:00: "tomorrow" from
	 * the day before is a local midnight, not now + 24 hours. */
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	int64_t now = 1711796400;                          /* 2024-03-30 12:00 CET */
	CHECK(begin("tomorrow", now) == 1711839600);       /* 2024-03-31 00:00 CET */
	CHECK(begin("tomorrow 12:00", now) == 1711879200); /* 2024-03-31 12:00 CEST */
	CHECK(begin("now+1day", now) == now + 86400);
	setenv("TZ", "UTC", 1);
	tzset();
}

int
main(void)
{
	test_limits();
	test_format();
	test_begin_utc();
	test_begin_dst();
	return check_done();
}
