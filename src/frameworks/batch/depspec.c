#include "depspec.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"
#include "strbuf.h"

static const char *const type_names[] = {
    [DEPSPEC_AFTER] = "after",           [DEPSPEC_AFTERANY] = "afterany",   [DEPSPEC_AFTEROK] = "afterok",
    [DEPSPEC_AFTERNOTOK] = "afternotok", [DEPSPEC_AFTERCORR] = "aftercorr", [DEPSPEC_SINGLETON] = "singleton",
};
#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

static void
say(char *buf, size_t len, const char *fmt, ...)
{
	if (buf == NULL || len == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static int
fail(depspec *out, char *err, size_t errlen, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	depspec_fini(out);
	return MOSAIC_EINVAL;
}

static bool
read_u32(const char **p, const char *end, uint32_t *v)
{
	const char *s = *p;
	uint64_t n = 0;
	if (s >= end || !isdigit((unsigned char)*s))
		return false;
	while (s < end && isdigit((unsigned char)*s)) {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > UINT32_MAX - 1)
			return false;
		s++;
	}
	*v = (uint32_t)n;
	*p = s;
	return true;
}

static void
push(depspec *d, size_t *cap, depspec_term t)
{
	if (d->count == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		d->terms = xrealloc(d->terms, *cap * sizeof(*d->terms));
	}
	d->terms[d->count++] = t;
}

/* One "type:id[:id...]" (or "singleton", or bare ids) from [s, end). */
static int
parse_term(depspec *out, size_t *cap, const char *s, const char *end, char *err, size_t errlen)
{
	int len = (int)(end - s);
	depspec_type type = DEPSPEC_AFTERANY;
	const char *ids = s;
	if (!isdigit((unsigned char)*s)) {
		const char *colon = memchr(s, ':', (size_t)(end - s));
		const char *name_end = colon ? colon : end;
		size_t n = (size_t)(name_end - s), i;
		for (i = 0; i < NTYPES; i++)
			if (strlen(type_names[i]) == n && strncmp(s, type_names[i], n) == 0)
				break;
		if (i == NTYPES)
			return fail(
			    out, err, errlen,
			    "unsupported dependency type '%.*s' (after, afterany, afterok, afternotok, "
			    "aftercorr or singleton)",
			    (int)n, s);
		type = (depspec_type)i;
		if (type == DEPSPEC_SINGLETON) {
			if (colon != NULL)
				return fail(out, err, errlen, "'singleton' takes no job ids");
			push(out, cap, (depspec_term){.type = type, .array_index = DEPSPEC_WHOLE_JOB});
			return MOSAIC_OK;
		}
		if (colon == NULL)
			return fail(out, err, errlen, "'%.*s' needs job ids: %.*s:<job_id>[:<job_id>...]",
			            len, s, len, s);
		ids = colon + 1;
	}
	const char *p = ids;
	for (;;) {
		depspec_term t = {.type = type, .array_index = DEPSPEC_WHOLE_JOB};
		if (!read_u32(&p, end, &t.job_id) || t.job_id == 0)
			return fail(out, err, errlen, "bad job id at '%.*s' in '%.*s'", (int)(end - p), p,
			            len, s);
		if (p < end && *p == '_') {
			p++;
			if (p < end && *p == '*')
				p++;
			else if (!read_u32(&p, end, &t.array_index))
				return fail(out, err, errlen, "bad array index at '%.*s' in '%.*s'",
				            (int)(end - p), p, len, s);
		}
		if (p < end && *p == '+') {
			uint32_t minutes;
			p++;
			if (type != DEPSPEC_AFTER)
				return fail(out, err, errlen,
				            "a '+minutes' delay is only for 'after' ('%.*s')", len, s);
			if (!read_u32(&p, end, &minutes))
				return fail(out, err, errlen, "bad delay in minutes at '%.*s'",
				            (int)(end - p), p);
			t.delay = (int64_t)minutes * 60;
		}
		push(out, cap, t);
		if (p == end)
			return MOSAIC_OK;
		if (*p != ':')
			return fail(out, err, errlen, "unexpected '%c' in '%.*s'", *p, len, s);
		p++;
	}
}

int
depspec_parse(depspec *out, const char *text, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (text == NULL || *text == '\0')
		return MOSAIC_OK;
	bool has_and = strchr(text, ',') != NULL, has_or = strchr(text, '?') != NULL;
	if (has_and && has_or)
		return fail(out, err, errlen,
		            "use either ',' (all must be satisfied) or '?' (any is enough) in one "
		            "dependency, not both");
	out->op = has_or ? DEPSPEC_OR : DEPSPEC_AND;
	char sep = has_or ? '?' : ',';
	size_t cap = 0;
	const char *s = text;
	for (;;) {
		const char *e = strchr(s, sep);
		if (e == NULL)
			e = s + strlen(s);
		if (e == s)
			return fail(out, err, errlen, "empty term in '%s'", text);
		int rv = parse_term(out, &cap, s, e, err, errlen);
		if (rv != MOSAIC_OK)
			return rv;
		if (*e == '\0')
			return MOSAIC_OK;
		s = e + 1;
	}
}

void
depspec_fini(depspec *d)
{
	free(d->terms);
	memset(d, 0, sizeof(*d));
}

static void
put_job(strbuf *sb, uint32_t job_id, uint32_t index)
{
	if (index == DEPSPEC_WHOLE_JOB)
		strbuf_printf(sb, "%u", job_id);
	else
		strbuf_printf(sb, "%u_%u", job_id, index);
}

char *
depspec_format(const depspec *d)
{
	strbuf sb;
	strbuf_init(&sb);
	for (size_t i = 0; i < d->count; i++) {
		const depspec_term *t = &d->terms[i];
		bool same = i > 0 && t->type == d->terms[i - 1].type && t->type != DEPSPEC_SINGLETON;
		if (same) {
			strbuf_puts(&sb, ":");
		} else {
			if (i > 0)
				strbuf_puts(&sb, d->op == DEPSPEC_OR ? "?" : ",");
			strbuf_puts(&sb, type_names[t->type]);
			if (t->type == DEPSPEC_SINGLETON)
				continue;
			strbuf_puts(&sb, ":");
		}
		put_job(&sb, t->job_id, t->array_index);
		if (t->delay > 0)
			strbuf_printf(&sb, "+%lld", (long long)(t->delay / 60));
	}
	return strbuf_take(&sb);
}

/* Evaluation */

static void
name_term(const depspec_term *t, uint32_t index, char *buf, size_t len)
{
	if (t->type == DEPSPEC_SINGLETON)
		snprintf(buf, len, "singleton");
	else if (index == DEPSPEC_WHOLE_JOB)
		snprintf(buf, len, "%s:%u", type_names[t->type], t->job_id);
	else
		snprintf(buf, len, "%s:%u_%u", type_names[t->type], t->job_id, index);
}

static depspec_result
eval_singleton(const depspec_ctx *ctx, char *why, size_t whylen)
{
	if (ctx->user == NULL || ctx->name == NULL)
		return DEPSPEC_SATISFIED;
	for (size_t i = 0; i < ctx->npeers; i++) {
		const depspec_peer *p = &ctx->peers[i];
		if (p->job_id == ctx->job_id && p->array_index == ctx->array_index)
			continue;
		if (p->user == NULL || p->name == NULL || strcmp(p->user, ctx->user) != 0 ||
		    strcmp(p->name, ctx->name) != 0)
			continue;
		/* Array tasks order by (job id, index); a plain job's
		 * DEPSPEC_WHOLE_JOB index sorts after its (nonexistent) tasks,
		 * which is harmless since ids differ then. */
		bool earlier = p->job_id < ctx->job_id ||
		               (p->job_id == ctx->job_id && p->array_index < ctx->array_index);
		if (p->state == JOBSTATE_RUNNING ||
		    (p->state == JOBSTATE_PENDING && p->singleton && earlier)) {
			if (p->array_index == DEPSPEC_WHOLE_JOB)
				say(why, whylen, "singleton: job %u of the same user and name is %s",
				    p->job_id, jobstate_name(p->state));
			else
				say(why, whylen, "singleton: job %u_%u of the same user and name is %s",
				    p->job_id, p->array_index, jobstate_name(p->state));
			return DEPSPEC_WAIT;
		}
	}
	say(why, whylen, "singleton: no other job of the same user and name is running");
	return DEPSPEC_SATISFIED;
}

static depspec_result
eval_term(const depspec_term *t, const depspec_ctx *ctx, char *why, size_t whylen)
{
	if (t->type == DEPSPEC_SINGLETON)
		return eval_singleton(ctx, why, whylen);

	uint32_t index = t->array_index;
	if (t->type == DEPSPEC_AFTERCORR && index == DEPSPEC_WHOLE_JOB)
		index = ctx->array_index;
	depspec_job_info info = {JOBSTATE_UNKNOWN, 0};
	ctx->lookup(ctx->lookup_arg, t->job_id, index, &info);

	char term[64], job[32];
	name_term(t, index, term, sizeof(term));
	if (index == DEPSPEC_WHOLE_JOB)
		snprintf(job, sizeof(job), "%u", t->job_id);
	else
		snprintf(job, sizeof(job), "%u_%u", t->job_id, index);

	jobstate s = info.state;
	if (s == JOBSTATE_UNKNOWN) {
		bool gone_ok = t->type == DEPSPEC_AFTER || t->type == DEPSPEC_AFTERANY;
		say(why, whylen, "%s: job %s is unknown%s", term, job,
		    gone_ok ? " (taken as ended)" : ", so how it ended cannot be known");
		return gone_ok ? DEPSPEC_SATISFIED : DEPSPEC_NEVER;
	}
	say(why, whylen, "%s: job %s is %s", term, job, jobstate_name(s));
	if (s == JOBSTATE_PENDING)
		return DEPSPEC_WAIT;
	switch (t->type) {
	case DEPSPEC_AFTER:
		if (info.start_time + t->delay > ctx->now) {
			say(why, whylen, "%s: job %s started; waiting %lld more seconds", term, job,
			    (long long)(info.start_time + t->delay - ctx->now));
			return DEPSPEC_WAIT;
		}
		return DEPSPEC_SATISFIED;
	case DEPSPEC_AFTERANY: return jobstate_is_terminal(s) ? DEPSPEC_SATISFIED : DEPSPEC_WAIT;
	case DEPSPEC_AFTEROK:
	case DEPSPEC_AFTERCORR:
		if (!jobstate_is_terminal(s))
			return DEPSPEC_WAIT;
		return s == JOBSTATE_COMPLETED ? DEPSPEC_SATISFIED : DEPSPEC_NEVER;
	case DEPSPEC_AFTERNOTOK:
		if (!jobstate_is_terminal(s))
			return DEPSPEC_WAIT;
		return jobstate_is_failure(s) ? DEPSPEC_SATISFIED : DEPSPEC_NEVER;
	default: return DEPSPEC_NEVER;
	}
}

depspec_result
depspec_eval(const depspec *d, const depspec_ctx *ctx, char *why, size_t whylen)
{
	say(why, whylen, "no dependency");
	if (d->count == 0)
		return DEPSPEC_SATISFIED;
	/* The first term that decides writes `why`; a term that does not
	 * decide writes into a scratch buffer instead. */
	char scratch[256], first_wait[256] = "";
	depspec_result all = d->op == DEPSPEC_AND ? DEPSPEC_SATISFIED : DEPSPEC_NEVER;
	bool any_wait = false;
	for (size_t i = 0; i < d->count; i++) {
		depspec_result r = eval_term(&d->terms[i], ctx, scratch, sizeof(scratch));
		if (d->op == DEPSPEC_AND && r == DEPSPEC_NEVER) {
			say(why, whylen, "%s", scratch);
			return DEPSPEC_NEVER;
		}
		if (d->op == DEPSPEC_OR && r == DEPSPEC_SATISFIED) {
			say(why, whylen, "%s", scratch);
			return DEPSPEC_SATISFIED;
		}
		if (r == DEPSPEC_WAIT && !any_wait) {
			any_wait = true;
			snprintf(first_wait, sizeof(first_wait), "%s", scratch);
		}
		if (i == d->count - 1 && !any_wait)
			say(why, whylen, "%s", scratch);
	}
	if (any_wait) {
		say(why, whylen, "%s", first_wait);
		return DEPSPEC_WAIT;
	}
	return all;
}

const char *
depspec_reason(depspec_result r)
{
	switch (r) {
	case DEPSPEC_WAIT: return "Dependency";
	case DEPSPEC_NEVER: return "DependencyNeverSatisfied";
	default: return "None";
	}
}
