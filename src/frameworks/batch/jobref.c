#include "jobref.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arrayspec.h"
#include "errors.h"
#include "mem.h"

#define SYNTAX "expected N, N_K, N_[K-L,M] or N_*"

static int
fail(jobref *out, const char *text, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (err && errlen)
		snprintf(err, errlen, "'%s' is not a job id: %s", text, SYNTAX);
	return MOSAIC_EINVAL;
}

/* A decimal id of 1 to 4294967295, nothing else around it. */
static bool
read_id(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v == 0 || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

int
jobref_parse(jobref *out, const char *text, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (!text)
		return fail(out, "", err, errlen);
	const char *us = strchr(text, '_');
	size_t idlen = us ? (size_t)(us - text) : strlen(text);
	if (!read_id(text, idlen, &out->job_id))
		return fail(out, text, err, errlen);
	if (!us)
		return MOSAIC_OK;
	const char *rest = us + 1;
	if (strcmp(rest, "*") == 0)
		return MOSAIC_OK;
	size_t n = strlen(rest);
	char *list;
	if (n >= 2 && rest[0] == '[' && rest[n - 1] == ']')
		list = xstrndup(rest + 1, n - 2);
	else if (n > 0 && isdigit((unsigned char)rest[0]))
		list = xstrdup(rest);
	else
		return fail(out, text, err, errlen);
	/* No '%' throttle here: that only means something to --array. Indexes
	 * are bounded as --array bounds them (MaxArraySize). */
	arrayspec a;
	int rv = strchr(list, '%') ? MOSAIC_EINVAL : arrayspec_parse(&a, list, 0, NULL, 0);
	free(list);
	if (rv != MOSAIC_OK)
		return fail(out, text, err, errlen);
	out->has_index = true;
	out->indexes = a.ids;
	out->nindexes = a.count;
	return MOSAIC_OK;
}

void
jobref_fini(jobref *r)
{
	free(r->indexes);
	memset(r, 0, sizeof(*r));
}

bool
jobref_matches(const jobref *r, uint32_t job_id, uint32_t array_job_id, uint32_t index)
{
	if (!r->has_index)
		return r->job_id == job_id || (array_job_id != 0 && r->job_id == array_job_id);
	if (array_job_id == 0 || r->job_id != array_job_id)
		return false;
	size_t lo = 0, hi = r->nindexes;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->indexes[mid] == index)
			return true;
		if (r->indexes[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

char *
jobref_format(char *buf, uint32_t job_id, bool is_array_task, uint32_t array_job_id, uint32_t index)
{
	if (is_array_task)
		snprintf(buf, JOBREF_BUFLEN, "%u_%u", array_job_id, index);
	else
		snprintf(buf, JOBREF_BUFLEN, "%u", job_id);
	return buf;
}

char *
jobref_exit_format(char *buf, size_t len, bool has_exit, int exit_code, int term_signal)
{
	snprintf(buf, len, "%d:%d", has_exit ? exit_code : 0, term_signal);
	return buf;
}
