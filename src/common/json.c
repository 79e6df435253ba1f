#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static void
put(json_writer *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		while (w->len + n + 1 > w->cap)
			w->cap = w->cap ? 2 * w->cap : 1024;
		w->buf = xrealloc(w->buf, w->cap);
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void
puts_(json_writer *w, const char *s)
{
	put(w, s, strlen(s));
}

void
json_init(json_writer *w)
{
	memset(w, 0, sizeof(*w));
	put(w, "", 0);
}

void
json_fini(json_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

char *
json_take(json_writer *w)
{
	char *s = w->buf;
	memset(w, 0, sizeof(*w));
	return s;
}

/* Before any value: a comma if something precedes it at this depth. */
static void
value_prefix(json_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->need_comma[w->depth])
		put(w, ",", 1);
	w->need_comma[w->depth] = true;
}

static void
open_(json_writer *w, const char *c)
{
	value_prefix(w);
	puts_(w, c);
	if (w->depth < JSON_MAX_DEPTH - 1)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void
close_(json_writer *w, const char *c)
{
	if (w->depth > 0)
		w->depth--;
	puts_(w, c);
}

void json_object_begin(json_writer *w) { open_(w, "{"); }
void json_object_end(json_writer *w) { close_(w, "}"); }
void json_array_begin(json_writer *w) { open_(w, "["); }
void json_array_end(json_writer *w) { close_(w, "]"); }

void
json_escape(json_writer *w, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char tmp[8];
		switch (*p) {
		case '"': puts_(w, "\\\""); break;
		case '\\': puts_(w, "\\\\"); break;
		case '\n': puts_(w, "\\n"); break;
		case '\r': puts_(w, "\\r"); break;
		case '\t': puts_(w, "\\t"); break;
		default:
			if (*p < 0x20) {
				snprintf(tmp, sizeof(tmp), "\\u%04x", *p);
				puts_(w, tmp);
			} else {
				put(w, (const char *)p, 1);
			}
		}
	}
}

void
json_key(json_writer *w, const char *key)
{
	value_prefix(w);
	put(w, "\"", 1);
	json_escape(w, key);
	put(w, "\":", 2);
	w->after_key = true;
}

void
json_string(json_writer *w, const char *s)
{
	if (!s) {
		json_null(w);
		return;
	}
	value_prefix(w);
	put(w, "\"", 1);
	json_escape(w, s);
	put(w, "\"", 1);
}

void
json_number(json_writer *w, double v)
{
	if (!isfinite(v)) {
		json_null(w);
		return;
	}
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%.17g", v);
	/* %.17g round-trips but prints 0.1 as 0.10000000000000001: prefer the
	 * shortest of %.15g that reads back the same. */
	char short_[64];
	snprintf(short_, sizeof(short_), "%.15g", v);
	value_prefix(w);
	puts_(w, strtod(short_, NULL) == v ? short_ : tmp);
}

void
json_int(json_writer *w, int64_t v)
{
	char tmp[32];
	snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	value_prefix(w);
	puts_(w, tmp);
}

void
json_bool(json_writer *w, bool v)
{
	value_prefix(w);
	puts_(w, v ? "true" : "false");
}

void
json_null(json_writer *w)
{
	value_prefix(w);
	puts_(w, "null");
}

void json_kv_string(json_writer *w, const char *k, const char *s) { json_key(w, k); json_string(w, s); }
void json_kv_number(json_writer *w, const char *k, double v) { json_key(w, k); json_number(w, v); }
void json_kv_int(json_writer *w, const char *k, int64_t v) { json_key(w, k); json_int(w, v); }
void json_kv_bool(json_writer *w, const char *k, bool v) { json_key(w, k); json_bool(w, v); }
