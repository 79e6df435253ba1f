#include "slurm_time.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "errors.h"

#define BEGIN_SYNTAX                                                                                         \
	"expected now[+count[units]], HH:MM[:SS] [AM|PM], YYYY-MM-DD[THH:MM[:SS]], "                         \
	"MM/DD[/YY], MMDD[YY], midnight, noon, elevenses, fika, teatime, today or tomorrow"

/* read_uint reads 1 to 9 decimal digits at *p and advances it. Nine digits
 * keep every sum below far from overflow: a billion minutes is already
 * nonsense as a time limit. */
static bool
read_uint(const char **p, int64_t *v)
{
	const char *s = *p;
	int64_t n = 0;
	int digits = 0;
	while (isdigit((unsigned char)*s)) {
		if (++digits > 9)
			return false;
		n = n * 10 + (*s - '0');
		s++;
	}
	if (digits == 0)
		return false;
	*v = n;
	*p = s;
	return true;
}

int
slurm_time_parse(const char *text, int64_t *secs)
{
	if (text == NULL)
		return MOSAIC_EINVAL;
	if (strcasecmp(text, "UNLIMITED") == 0 || strcasecmp(text, "INFINITE") == 0 ||
	    strcmp(text, "-1") == 0) {
		*secs = SLURM_TIME_UNLIMITED;
		return MOSAIC_OK;
	}
	const char *p = text;
	int64_t f[3] = {0, 0, 0}, total;
	if (!read_uint(&p, &f[0]))
		return MOSAIC_EINVAL;
	if (*p == '-') {
		/* days-hours[:minutes[:seconds]] */
		int64_t days = f[0];
		p++;
		int n = 0;
		if (!read_uint(&p, &f[n++]))
			return MOSAIC_EINVAL;
		while (*p == ':' && n < 3) {
			p++;
			if (!read_uint(&p, &f[n++]))
				return MOSAIC_EINVAL;
		}
		if (*p != '\0')
			return MOSAIC_EINVAL;
		total = days * 86400 + f[0] * 3600 + f[1] * 60 + f[2];
	} else {
		/* minutes, minutes:seconds or hours:minutes:seconds */
		int n = 1;
		while (*p == ':' && n < 3) {
			p++;
			if (!read_uint(&p, &f[n++]))
				return MOSAIC_EINVAL;
		}
		if (*p != '\0')
			return MOSAIC_EINVAL;
		if (n == 1)
			total = f[0] * 60;
		else if (n == 2)
			total = f[0] * 60 + f[1];
		else
			total = f[0] * 3600 + f[1] * 60 + f[2];
	}
	*secs = total == 0 ? SLURM_TIME_UNLIMITED : total;
	return MOSAIC_OK;
}

char *
slurm_time_format(int64_t secs, char *buf, size_t len)
{
	if (secs == SLURM_TIME_UNLIMITED)
		snprintf(buf, len, "UNLIMITED");
	else if (secs < 0)
		snprintf(buf, len, "INVALID");
	else if (secs >= 86400)
		snprintf(buf, len, "%lld-%02d:%02d:%02d", (long long)(secs / 86400), (int)(secs / 3600 % 24),
		         (int)(secs / 60 % 60), (int)(secs % 60));
	else
		snprintf(buf, len, "%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60),
		         (int)(secs % 60));
	return buf;
}

char *
slurm_time_format_elapsed(int64_t secs, char *buf, size_t len)
{
	if (secs < 0)
		snprintf(buf, len, "INVALID");
	else if (secs >= 86400)
		snprintf(buf, len, "%lld-%02d:%02d:%02d", (long long)(secs / 86400), (int)(secs / 3600 % 24),
		         (int)(secs / 60 % 60), (int)(secs % 60));
	else if (secs >= 3600)
		snprintf(buf, len, "%d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60),
		         (int)(secs % 60));
	else
		snprintf(buf, len, "%d:%02d", (int)(secs / 60), (int)(secs % 60));
	return buf;
}

/* --begin */

typedef struct begin_parts {
	int hour, min, sec;  /* hour < 0: no time of day given */
	int year, mon, mday; /* mon < 0: no date; year < 0: no year (tm_year otherwise) */
} begin_parts;

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* keyword: length of word if p starts with it (any case) as a whole word. */
static size_t
keyword(const char *p, const char *word)
{
	size_t n = strlen(word);
	if (strncasecmp(p, word, n) != 0 || isalpha((unsigned char)p[n]))
		return 0;
	return n;
}

/* read_digits reads exactly 1..max digits (as many as there are, up to max). */
static bool
read_digits(const char **p, int max, int *v)
{
	int n = 0, d = 0;
	while (d < max && isdigit((unsigned char)**p)) {
		n = n * 10 + (**p - '0');
		(*p)++;
		d++;
	}
	*v = n;
	return d > 0;
}

/* now[{+|-}count[units]]: the whole text. */
static int
parse_now(const char *p, int64_t now, int64_t *when, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		int64_t mult;
	} units[] = {
	    {"seconds", 1},  {"second", 1},     {"secs", 1},      {"sec", 1},      {"s", 1},
	    {"minutes", 60}, {"minute", 60},    {"mins", 60},     {"min", 60},     {"m", 60},
	    {"hours", 3600}, {"hour", 3600},    {"h", 3600},      {"days", 86400}, {"day", 86400},
	    {"d", 86400},    {"weeks", 604800}, {"week", 604800}, {"w", 604800},
	};
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0') {
		*when = now;
		return MOSAIC_OK;
	}
	int sign = *p == '+' ? 1 : *p == '-' ? -1 : 0;
	if (sign == 0) {
		seterr(err, errlen, "expected now+count[units] after 'now'");
		return MOSAIC_EINVAL;
	}
	p++;
	while (isspace((unsigned char)*p))
		p++;
	int64_t count;
	if (!read_uint(&p, &count)) {
		seterr(err, errlen, "expected a count after 'now%c'", sign > 0 ? '+' : '-');
		return MOSAIC_EINVAL;
	}
	while (isspace((unsigned char)*p))
		p++;
	int64_t mult = 1;
	if (*p != '\0') {
		size_t i;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcasecmp(p, units[i].name) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0])) {
			seterr(err, errlen, "unknown time unit '%s' (seconds, minutes, hours, days or weeks)",
			       p);
			return MOSAIC_EINVAL;
		}
		mult = units[i].mult;
	}
	*when = now + sign * count * mult;
	return MOSAIC_OK;
}

/* HH:MM[:SS] [AM|PM] */
static int
parse_clock(const char **pp, begin_parts *b, char *err, size_t errlen)
{
	const char *p = *pp;
	int h, m, s = 0;
	if (!read_digits(&p, 2, &h) || *p++ != ':' || !isdigit((unsigned char)p[0]) ||
	    !isdigit((unsigned char)p[1])) {
		seterr(err, errlen, "expected HH:MM[:SS]");
		return MOSAIC_EINVAL;
	}
	read_digits(&p, 2, &m);
	if (*p == ':') {
		p++;
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1])) {
			seterr(err, errlen, "expected two digits of seconds");
			return MOSAIC_EINVAL;
		}
		read_digits(&p, 2, &s);
	}
	if (h > 23 || m > 59 || s > 59) {
		seterr(err, errlen, "%02d:%02d:%02d is not a time of day", h, m, s);
		return MOSAIC_EINVAL;
	}
	const char *q = p;
	while (isspace((unsigned char)*q))
		q++;
	if (keyword(q, "pm")) {
		if (h > 12) {
			seterr(err, errlen, "%d PM is not a time of day", h);
			return MOSAIC_EINVAL;
		}
		h = h == 12 ? 12 : h + 12;
		p = q + 2;
	} else if (keyword(q, "am")) {
		if (h > 12) {
			seterr(err, errlen, "%d AM is not a time of day", h);
			return MOSAIC_EINVAL;
		}
		h = h == 12 ? 0 : h;
		p = q + 2;
	}
	if (b->hour >= 0) {
		seterr(err, errlen, "two times of day given");
		return MOSAIC_EINVAL;
	}
	b->hour = h, b->min = m, b->sec = s;
	*pp = p;
	return MOSAIC_OK;
}

/* YYYY-MM-DD, or MMDD[YY], MM/DD[/YY], MM.DD[.YY] */
static int
parse_date(const char **pp, begin_parts *b, char *err, size_t errlen)
{
	const char *p = *pp;
	int y = -1, m, d;
	bool iso = isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	           isdigit((unsigned char)p[2]) && isdigit((unsigned char)p[3]) && p[4] == '-';
	if (iso) {
		read_digits(&p, 4, &y);
		p++;
		if (!read_digits(&p, 2, &m) || *p++ != '-' || !read_digits(&p, 2, &d)) {
			seterr(err, errlen, "expected YYYY-MM-DD");
			return MOSAIC_EINVAL;
		}
		y -= 1900;
	} else {
		if (!read_digits(&p, 2, &m)) {
			seterr(err, errlen, BEGIN_SYNTAX);
			return MOSAIC_EINVAL;
		}
		char sep = (*p == '/' || *p == '.') ? *p++ : 0;
		if (!read_digits(&p, 2, &d)) {
			seterr(err, errlen, "expected MM/DD[/YY] or MMDD[YY]");
			return MOSAIC_EINVAL;
		}
		if (sep && *p == sep)
			p++;
		int yy;
		const char *start = p;
		if (read_digits(&p, 2, &yy)) {
			if (p - start != 2 || isdigit((unsigned char)*p)) {
				seterr(err, errlen, "expected a two-digit year");
				return MOSAIC_EINVAL;
			}
			y = 100 + yy; /* years since 1900: "20" is 2020 */
		}
	}
	if (m < 1 || m > 12 || d < 1 || d > 31) {
		seterr(err, errlen, "month %d, day %d is not a date", m, d);
		return MOSAIC_EINVAL;
	}
	if (b->mon >= 0) {
		seterr(err, errlen, "two dates given");
		return MOSAIC_EINVAL;
	}
	b->year = y, b->mon = m - 1, b->mday = d;
	*pp = p;
	return MOSAIC_OK;
}

/* The local date `days` days after now's. */
static void
local_date(int64_t now, int days, begin_parts *b)
{
	time_t t = (time_t)now;
	struct tm tm;
	localtime_r(&t, &tm);
	/* Noon keeps a daylight-saving change from moving the date. */
	tm.tm_mday += days;
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	mktime(&tm);
	b->year = tm.tm_year, b->mon = tm.tm_mon, b->mday = tm.tm_mday;
}

int
slurm_time_parse_begin(const char *text, int64_t now, int64_t *when, char *err, size_t errlen)
{
	static const struct {
		const char *word;
		int hour;
	} named[] = {{"midnight", 0}, {"noon", 12}, {"elevenses", 11}, {"fika", 15}, {"teatime", 16}};
	if (text == NULL || *text == '\0') {
		seterr(err, errlen, "empty time");
		return MOSAIC_EINVAL;
	}
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	size_t n;
	if (keyword(p, "now"))
		return parse_now(p + 3, now, when, err, errlen);

	begin_parts b = {-1, 0, 0, -1, -1, -1};
	while (*p != '\0') {
		if ((n = keyword(p, "today")) != 0 || (n = keyword(p, "tomorrow")) != 0) {
			if (b.mon >= 0) {
				seterr(err, errlen, "two dates given");
				return MOSAIC_EINVAL;
			}
			local_date(now, n == 8, &b);
			p += n;
			continue;
		}
		size_t i;
		for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
			if ((n = keyword(p, named[i].word)) != 0)
				break;
		if (i < sizeof(named) / sizeof(named[0])) {
			if (b.hour >= 0) {
				seterr(err, errlen, "two times of day given");
				return MOSAIC_EINVAL;
			}
			b.hour = named[i].hour, b.min = b.sec = 0;
			p += n;
			continue;
		}
		/* Separators between a date and a time, as in Slurm. */
		if (isspace((unsigned char)*p) || *p == '-' || *p == 'T') {
			p++;
			continue;
		}
		if (!isdigit((unsigned char)*p)) {
			seterr(err, errlen, BEGIN_SYNTAX);
			return MOSAIC_EINVAL;
		}
		int rv = (p[1] == ':' || (p[1] != '\0' && p[2] == ':')) ? parse_clock(&p, &b, err, errlen)
		                                                        : parse_date(&p, &b, err, errlen);
		if (rv != MOSAIC_OK)
			return rv;
	}
	if (b.hour < 0 && b.mon < 0) {
		seterr(err, errlen, BEGIN_SYNTAX);
		return MOSAIC_EINVAL;
	}

	time_t tnow = (time_t)now;
	struct tm nt;
	localtime_r(&tnow, &nt);
	int now_tod = nt.tm_hour * 3600 + nt.tm_min * 60 + nt.tm_sec;
	if (b.mon < 0) {
		/* A time of day alone: the next time the clock shows it. */
		int tod = b.hour * 3600 + b.min * 60 + b.sec;
		local_date(now, tod > now_tod ? 0 : 1, &b);
	}
	if (b.hour < 0)
		b.hour = b.min = b.sec = 0;
	if (b.year < 0) {
		/* A date without a year: this year unless it has passed. */
		long want = ((long)b.mon * 32 + b.mday) * 86400L + b.hour * 3600 + b.min * 60 + b.sec;
		long have = ((long)nt.tm_mon * 32 + nt.tm_mday) * 86400L + now_tod;
		b.year = want > have ? nt.tm_year : nt.tm_year + 1;
	}
	struct tm tm = {0};
	tm.tm_year = b.year, tm.tm_mon = b.mon, tm.tm_mday = b.mday;
	tm.tm_hour = b.hour, tm.tm_min = b.min, tm.tm_sec = b.sec;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1 || tm.tm_mon != b.mon || tm.tm_mday != b.mday) {
		seterr(err, errlen, "%04d-%02d-%02d is not a date", b.year + 1900, b.mon + 1, b.mday);
		return MOSAIC_EINVAL;
	}
	*when = (int64_t)t;
	return MOSAIC_OK;
}
