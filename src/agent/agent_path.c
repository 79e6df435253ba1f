/* agent_path.c - see agent_path.h. */
#include "agent_path.h"

#include <stdarg.h>
#include <stdio.h>

#include "errors.h"

int
agent_path(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			out[0] = '\0';
		return MOSAIC_ETOOBIG;
	}
	return MOSAIC_OK;
}

void
agent_msg(char *out, size_t cap, const char *fmt, ...)
{
	if (!out || !cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}
