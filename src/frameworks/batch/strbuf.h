/* strbuf.h - a growable NUL-terminated string, for the batch modules that
 * build texts (formats, expansions). Allocation failure aborts (mem.h). */
#ifndef MOSAIC_BATCH_STRBUF_H
#define MOSAIC_BATCH_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
	char *buf; /* always NUL-terminated after strbuf_init */
	size_t len, cap;
} strbuf;

void strbuf_init(strbuf *s);
void strbuf_fini(strbuf *s); /* frees buf */
void strbuf_append(strbuf *s, const char *text, size_t n);
void strbuf_puts(strbuf *s, const char *text);
void strbuf_printf(strbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(strbuf *s, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* strbuf_clear empties s, keeping its memory. */
void strbuf_clear(strbuf *s);
/* strbuf_take returns the heap string (the caller frees it); s is left
 * finalized (strbuf_init it again to reuse it). */
char *strbuf_take(strbuf *s);

#endif
