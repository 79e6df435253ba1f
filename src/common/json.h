/* json.h - a small JSON writer into a growable buffer (for /api/state,
 * /metrics-adjacent output and the CLIs' --json). Commas are inserted for
 * you; keys and strings are escaped. */
#ifndef MOSAIC_JSON_H
#define MOSAIC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 32

typedef struct json_writer {
	char *buf;
	size_t len, cap;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
} json_writer;

void json_init(json_writer *w);
void json_fini(json_writer *w);          /* frees buf */
char *json_take(json_writer *w);         /* caller owns the returned string (free) */

void json_object_begin(json_writer *w);
void json_object_end(json_writer *w);
void json_array_begin(json_writer *w);
void json_array_end(json_writer *w);
void json_key(json_writer *w, const char *key);
void json_string(json_writer *w, const char *s);   /* NULL writes null */
void json_number(json_writer *w, double v);        /* non-finite writes null */
void json_int(json_writer *w, int64_t v);
void json_bool(json_writer *w, bool v);
void json_null(json_writer *w);

/* key + value shorthands */
void json_kv_string(json_writer *w, const char *key, const char *s);
void json_kv_number(json_writer *w, const char *key, double v);
void json_kv_int(json_writer *w, const char *key, int64_t v);
void json_kv_bool(json_writer *w, const char *key, bool v);

/* Append s with JSON escaping but no quotes, to any writer. */
void json_escape(json_writer *w, const char *s);

#endif
