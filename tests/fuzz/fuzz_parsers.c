/* fuzz_parsers.c - the small parsers of what users type: resources
 * ("cpus:4;mem:1024"), durations ("90s", "2w"), Slurm times and --begin,
 * array specs, dependency specs, job references and output patterns. The
 * first byte picks the parser, the rest is its text. Where a parser has a
 * canonical format, what it formats must parse back to the same text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrayspec.h"
#include "depspec.h"
#include "fuzz.h"
#include "jobref.h"
#include "outpattern.h"
#include "resources.h"
#include "slurm_time.h"
#include "util.h"

static void
arrays(const char *text)
{
	arrayspec a, b;
	char err[256];
	if (arrayspec_parse(&a, text, ARRAYSPEC_DEFAULT_MAX_SIZE, err, sizeof(err)) != 0)
		return;
	char *f = arrayspec_format(&a);
	fuzz_must(arrayspec_parse(&b, f, ARRAYSPEC_DEFAULT_MAX_SIZE, err, sizeof(err)) == 0, "array format unreadable", f);
	fuzz_must(b.count == a.count && b.throttle == a.throttle && memcmp(a.ids, b.ids, a.count * sizeof(*a.ids)) == 0,
	     "array format reads back different ids", text);
	free(f);
	arrayspec_fini(&a);
	arrayspec_fini(&b);
}

static void
deps(const char *text)
{
	depspec a, b;
	char err[256];
	if (depspec_parse(&a, text, err, sizeof(err)) != 0)
		return;
	char *f = depspec_format(&a);
	if (*f) {
		fuzz_must(depspec_parse(&b, f, err, sizeof(err)) == 0, "dependency format unreadable", f);
		char *g = depspec_format(&b);
		fuzz_must(strcmp(f, g) == 0, "dependency format not stable", text);
		free(g);
		depspec_fini(&b);
	}
	free(f);
	depspec_fini(&a);
}

static void
times(const char *text)
{
	int64_t s, t;
	char buf[64];
	if (slurm_time_parse(text, &s) == 0 && s >= 0) {
		slurm_time_format(s, buf, sizeof(buf));
		fuzz_must(slurm_time_parse(buf, &t) == 0 && t == s, "time format reads back different", text);
	}
	char err[256];
	slurm_time_parse_begin(text, 1700000000, &s, err, sizeof(err));
	slurm_time_format_elapsed(s < 0 ? 0 : s % 100000000, buf, sizeof(buf));
}

static void
resources(const char *text)
{
	mosaic_resources r, q;
	char err[256], buf[1024];
	if (res_parse(&r, text, err, sizeof(err)) != 0)
		return;
	char again[1024];
	res_format(&r, buf, sizeof(buf));
	if (strcmp(buf, "{}") == 0) /* how an empty set is shown */
		return;
	fuzz_must(res_parse(&q, buf, err, sizeof(err)) == 0, "resources format unreadable", buf);
	fuzz_must(strcmp(res_format(&q, again, sizeof(again)), buf) == 0, "resources format not stable", text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *text = malloc(size);
	if (!text)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	double d;
	jobref jr;
	char err[256];
	switch (data[0] % 7) {
	case 0: resources(text); break;
	case 1: util_parse_duration(text, &d); break;
	case 2: times(text); break;
	case 3: arrays(text); break;
	case 4: deps(text); break;
	case 5:
		if (jobref_parse(&jr, text, err, sizeof(err)) == 0)
			jobref_fini(&jr);
		break;
	default: {
		outpattern_vars v = {.job_id = 12, .job_name = "sim", .user = "ana", .is_array = true,
		                     .array_job_id = 10, .array_index = 3, .node = NULL};
		free(outpattern_expand(text, &v));
	}
	}
	free(text);
	return 0;
}

size_t
fuzz_seeds(uint8_t ***bufs, size_t **lens)
{
	static const char *const s[] = {
	    "\0cpus:4;mem:1024;disk:100;ports:[31000-31999,32000-32000]", "\1" "1w2d3h4m5.5s",
	    "\2" "1-02:03:04", "\2now+1hour", "\2" "2026-11-22T10:00", "\3" "0-15%4", "\3" "1,3,5,7-21:2",
	    "\4" "afterok:12:13_2,afterany:14?singleton", "\4" "after:7+5", "\5" "12_[1-3,7]",
	    "\6logs/%x-%j-%A_%a.%u.%N.out%%"};
	size_t n = 0;
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		fuzz_seed_add(bufs, lens, &n, s[i], 1 + strlen(s[i] + 1));
	return n;
}
