#include "cli_table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

struct cli_table {
	size_t ncols;
	char **headers;
	char *align;
	char **cells; /* rows * ncols */
	size_t rows, cap;
};

cli_table *
cli_table_new(size_t ncols, const char *const *headers, const char *align)
{
	cli_table *t = xcalloc(1, sizeof(*t));
	t->ncols = ncols;
	t->headers = xcalloc(ncols, sizeof(char *));
	t->align = xcalloc(ncols + 1, 1);
	for (size_t i = 0; i < ncols; i++) {
		t->headers[i] = xstrdup(headers[i]);
		t->align[i] = align && i < strlen(align) && align[i] == 'r' ? 'r' : 'l';
	}
	return t;
}

void
cli_table_free(cli_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		free(t->headers[i]);
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->headers);
	free(t->align);
	free(t->cells);
	free(t);
}

void
cli_table_row(cli_table *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof(char *));
	}
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->rows * t->ncols + i] = xstrdup(cells[i] && *cells[i] ? cells[i] : "-");
	t->rows++;
}

size_t
cli_table_rows(const cli_table *t)
{
	return t->rows;
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t
width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

typedef struct sbuf {
	char *p;
	size_t len, cap;
} sbuf;

static void
put(sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? 2 * b->cap : 256;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
pad(sbuf *b, size_t n)
{
	while (n--)
		put(b, " ", 1);
}

static void
render_line(sbuf *b, const cli_table *t, char *const *cells, const size_t *w)
{
	size_t pending = 0; /* spaces owed before the next text: none trail */
	for (size_t c = 0; c < t->ncols; c++) {
		size_t cw = width(cells[c]);
		size_t fill = w[c] > cw ? w[c] - cw : 0;
		if (c > 0)
			pending += 2;
		if (t->align[c] == 'r')
			pending += fill;
		pad(b, pending);
		put(b, cells[c], strlen(cells[c]));
		pending = t->align[c] == 'r' ? 0 : fill;
	}
	put(b, "\n", 1);
}

char *
cli_table_render(const cli_table *t)
{
	size_t *w = xcalloc(t->ncols, sizeof(size_t));
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = width(t->headers[c]);
		for (size_t r = 0; r < t->rows; r++) {
			size_t cw = width(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	}
	sbuf b = {0};
	put(&b, "", 0);
	render_line(&b, t, t->headers, w);
	for (size_t r = 0; r < t->rows; r++)
		render_line(&b, t, &t->cells[r * t->ncols], w);
	free(w);
	return b.p;
}

char *
cli_fmt_num(double v, char *buf, size_t len)
{
	if (!isfinite(v)) {
		snprintf(buf, len, "-");
		return buf;
	}
	/* Two decimals at most, trailing zeros dropped: 4, 1.5, 0.25. */
	snprintf(buf, len, "%.2f", v);
	char *dot = strchr(buf, '.');
	if (dot) {
		char *end = buf + strlen(buf) - 1;
		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*end = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, len, "0");
	return buf;
}

char *
cli_fmt_mem(double mib, char *buf, size_t len)
{
	static const char *units[] = {"M", "G", "T", "P"};
	if (fabs(mib) < 0.5) {
		snprintf(buf, len, "0");
		return buf;
	}
	size_t u = 0;
	double v = mib;
	while (fabs(v) >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	char num[32];
	/* One decimal once past MiB, so 1.5G stays 1.5G. */
	if (u == 0)
		snprintf(num, sizeof(num), "%.0f", v);
	else
		cli_fmt_num(round(v * 10) / 10, num, sizeof(num));
	snprintf(buf, len, "%s%s", num, units[u]);
	return buf;
}

char *
cli_fmt_pct(double fraction, char *buf, size_t len)
{
	if (!isfinite(fraction))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", fraction * 100);
	return buf;
}

char *
cli_fmt_duration(double seconds, char *buf, size_t len)
{
	if (!isfinite(seconds) || seconds < 0)
		seconds = 0;
	unsigned long s = (unsigned long)seconds;
	if (s < 60)
		snprintf(buf, len, "%lus", s);
	else if (s < 3600)
		snprintf(buf, len, "%lum%02lus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%luh%02lum", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lud%02luh", s / 86400, s % 86400 / 3600);
	return buf;
}

char *
cli_fmt_used(double used, double total, int is_mem, char *buf, size_t len)
{
	char a[32], b[32];
	if (is_mem) {
		cli_fmt_mem(used, a, sizeof(a));
		cli_fmt_mem(total, b, sizeof(b));
	} else {
		cli_fmt_num(used, a, sizeof(a));
		cli_fmt_num(total, b, sizeof(b));
	}
	snprintf(buf, len, "%s/%s", a, b);
	return buf;
}
