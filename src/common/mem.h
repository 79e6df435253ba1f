/* mem.h - allocation that aborts with a message on failure (as Redis's
 * zmalloc), so callers need no NULL checks. */
#ifndef MOSAIC_MEM_H
#define MOSAIC_MEM_H
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xasprintf returns a heap string the caller owns (free()). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
