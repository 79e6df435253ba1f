#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

void
strbuf_init(strbuf *s)
{
	s->cap = 64;
	s->len = 0;
	s->buf = xmalloc(s->cap);
	s->buf[0] = '\0';
}

void
strbuf_fini(strbuf *s)
{
	free(s->buf);
	s->buf = NULL;
	s->len = s->cap = 0;
}

static void
reserve(strbuf *s, size_t more)
{
	if (s->len + more + 1 <= s->cap)
		return;
	while (s->len + more + 1 > s->cap)
		s->cap *= 2;
	s->buf = xrealloc(s->buf, s->cap);
}

void
strbuf_append(strbuf *s, const char *text, size_t n)
{
	reserve(s, n);
	memcpy(s->buf + s->len, text, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

void
strbuf_puts(strbuf *s, const char *text)
{
	strbuf_append(s, text, strlen(text));
}

void
strbuf_vprintf(strbuf *s, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	if (n > 0) {
		reserve(s, (size_t)n);
		vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, again);
		s->len += (size_t)n;
	}
	va_end(again);
}

void
strbuf_printf(strbuf *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(s, fmt, ap);
	va_end(ap);
}

void
strbuf_clear(strbuf *s)
{
	s->len = 0;
	s->buf[0] = '\0';
}

char *
strbuf_take(strbuf *s)
{
	char *r = s->buf;
	s->buf = NULL;
	s->len = s->cap = 0;
	return r;
}
