#include "outpattern.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* Slurm's cap on the padding width. */
#define MAX_WIDTH 10

const char *
outpattern_default(bool is_array)
{
	return is_array ? "mbatch-%A_%a.out" : "mbatch-%j.out";
}

/* Backslashes switch expansion off; "\\" stands for one backslash. */
static char *
unescape(const char *pattern)
{
	strbuf sb;
	strbuf_init(&sb);
	for (const char *p = pattern; *p; p++) {
		if (*p == '\\') {
			if (p[1] != '\\')
				continue;
			p++;
		}
		strbuf_append(&sb, p, 1);
	}
	return strbuf_take(&sb);
}

char *
outpattern_expand(const char *pattern, const outpattern_vars *v)
{
	if (strchr(pattern, '\\') != NULL)
		return unescape(pattern);
	strbuf sb;
	strbuf_init(&sb);
	const char *p = pattern;
	while (*p) {
		if (*p != '%') {
			const char *q = strchr(p, '%');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			strbuf_append(&sb, p, n);
			p += n;
			continue;
		}
		const char *start = p++;
		if (*p == '%') {
			strbuf_puts(&sb, "%");
			p++;
			continue;
		}
		int width = 0;
		while (isdigit((unsigned char)*p)) {
			if (width <= MAX_WIDTH)
				width = width * 10 + (*p - '0');
			p++;
		}
		if (width > MAX_WIDTH)
			width = MAX_WIDTH;
		uint32_t num = 0;
		const char *str = NULL;
		char c = *p;
		switch (c) {
		case 'j': num = v->job_id; break;
		case 'A': num = v->is_array ? v->array_job_id : v->job_id; break;
		case 'a': num = v->is_array ? v->array_index : 0; break;
		case 'n':
		case 't': num = 0; break;
		case 'J': break;
		case 'x': str = v->job_name ? v->job_name : ""; break;
		case 'u': str = v->user ? v->user : ""; break;
		case 's': str = "batch"; break;
		case 'N':
			if (v->node == NULL) {
				/* Kept, digits and all, for the expansion at launch. */
				strbuf_append(&sb, start, (size_t)(p + 1 - start));
				p++;
				continue;
			}
			str = v->node;
			break;
		default:
			/* Unknown or truncated: copy what was read unchanged. */
			strbuf_append(&sb, start, (size_t)(p - start));
			if (c != '\0') {
				strbuf_append(&sb, p, 1);
				p++;
			}
			continue;
		}
		p++;
		if (str != NULL)
			strbuf_puts(&sb, str);
		else if (c == 'J')
			strbuf_printf(&sb, "%0*u.batch", width, v->job_id);
		else
			strbuf_printf(&sb, "%0*u", width, num);
	}
	return strbuf_take(&sb);
}
