#include "arrayspec.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"
#include "strbuf.h"

static int
fail(arrayspec *out, char *err, size_t errlen, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	memset(out, 0, sizeof(*out));
	return MOSAIC_EINVAL;
}

/* read_index reads a decimal number that fits in 32 bits. */
static bool
read_index(const char **p, const char *end, uint32_t *v)
{
	const char *s = *p;
	uint64_t n = 0;
	if (s >= end || !isdigit((unsigned char)*s))
		return false;
	while (s < end && isdigit((unsigned char)*s)) {
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > UINT32_MAX)
			return false;
		s++;
	}
	*v = (uint32_t)n;
	*p = s;
	return true;
}

int
arrayspec_parse(arrayspec *out, const char *text, uint32_t max_size, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (max_size == 0)
		max_size = ARRAYSPEC_DEFAULT_MAX_SIZE;
	if (text == NULL || *text == '\0')
		return fail(out, err, errlen, "empty array specification");

	const char *pct = strchr(text, '%');
	const char *end = pct ? pct : text + strlen(text);
	uint32_t throttle = 0;
	if (pct != NULL) {
		const char *q = pct + 1;
		const char *qend = q + strlen(q);
		if (!read_index(&q, qend, &throttle) || q != qend || throttle == 0)
			return fail(out, err, errlen,
			            "bad limit '%s' after '%%': expected a number of tasks >= 1", pct + 1);
	}

	/* A bitmap over the allowed indexes dedups overlapping items ("1-5,3")
	 * and bounds memory by max_size, whatever the text repeats. */
	uint8_t *bits = xcalloc((max_size + 7) / 8, 1);
	size_t count = 0;
	const char *p = text;
	while (p < end) {
		const char *item = p;
		uint32_t a, b, step = 1;
		if (!read_index(&p, end, &a)) {
			free(bits);
			return fail(out, err, errlen, "expected an index at '%.*s'", (int)(end - item), item);
		}
		b = a;
		if (p < end && *p == '-') {
			p++;
			if (!read_index(&p, end, &b)) {
				free(bits);
				return fail(out, err, errlen, "expected the end of the range at '%.*s'",
				            (int)(end - item), item);
			}
			if (p < end && *p == ':') {
				p++;
				if (!read_index(&p, end, &step) || step == 0) {
					free(bits);
					return fail(out, err, errlen, "expected a step >= 1 at '%.*s'",
					            (int)(end - item), item);
				}
			}
		}
		if (p < end && *p != ',') {
			free(bits);
			return fail(out, err, errlen, "unexpected '%c' in '%.*s'", *p, (int)(end - item),
			            item);
		}
		if (b < a) {
			free(bits);
			return fail(out, err, errlen, "range %u-%u goes backwards", a, b);
		}
		if (b >= max_size) {
			free(bits);
			return fail(out, err, errlen,
			            "index %u is over the limit: indexes go from 0 to %u (at most %u tasks)",
			            b, max_size - 1, max_size);
		}
		for (uint64_t i = a; i <= b; i += step) {
			if (!(bits[i / 8] & (1u << (i % 8)))) {
				bits[i / 8] |= (uint8_t)(1u << (i % 8));
				count++;
			}
		}
		if (p < end) {
			p++; /* the comma */
			if (p == end) {
				free(bits);
				return fail(out, err, errlen, "a ',' with nothing after it");
			}
		}
	}
	if (count == 0) {
		free(bits);
		return fail(out, err, errlen, "no indexes before '%%'");
	}
	out->ids = xmalloc(count * sizeof(*out->ids));
	for (uint32_t i = 0, k = 0; i < max_size && k < count; i++)
		if (bits[i / 8] & (1u << (i % 8)))
			out->ids[k++] = i;
	out->count = count;
	out->throttle = throttle;
	free(bits);
	return MOSAIC_OK;
}

void
arrayspec_fini(arrayspec *a)
{
	free(a->ids);
	memset(a, 0, sizeof(*a));
}

static void
format_into(strbuf *sb, const uint32_t *ids, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (sb->len > 0)
			strbuf_puts(sb, ",");
		if (i + 1 < n) {
			uint32_t step = ids[i + 1] - ids[i];
			size_t j = i + 1;
			while (j + 1 < n && ids[j + 1] - ids[j] == step)
				j++;
			if (step == 1) {
				strbuf_printf(sb, "%u-%u", ids[i], ids[j]);
				i = j + 1;
				continue;
			}
			if (j - i + 1 >= 3) {
				strbuf_printf(sb, "%u-%u:%u", ids[i], ids[j], step);
				i = j + 1;
				continue;
			}
		}
		strbuf_printf(sb, "%u", ids[i]);
		i++;
	}
}

char *
arrayspec_format_ids(const uint32_t *ids, size_t n)
{
	strbuf sb;
	strbuf_init(&sb);
	format_into(&sb, ids, n);
	return strbuf_take(&sb);
}

char *
arrayspec_format(const arrayspec *a)
{
	strbuf sb;
	strbuf_init(&sb);
	format_into(&sb, a->ids, a->count);
	if (a->throttle > 0)
		strbuf_printf(&sb, "%%%u", a->throttle);
	return strbuf_take(&sb);
}
