#include "weights.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"

bool
weights_role_valid(const char *role)
{
	return role && (strcmp(role, "*") == 0 || id_valid(role));
}

static int
weights_fail(weights *out, char *err, size_t errlen, const char *item, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "'%s': %s", item, why);
	weights_fini(out);
	return MOSAIC_EINVAL;
}

int
weights_parse(weights *out, const char *text, char *err, size_t errlen)
{
	out->items = NULL;
	out->count = 0;
	if (!text)
		return MOSAIC_OK;
	char *copy = xstrdup(text);
	int rv = MOSAIC_OK;
	/* An all-blank text means no weights; otherwise every item counts,
	 * empty ones included, so "a=1,,b=2" is an error rather than a guess. */
	const char *p = copy;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0') {
		free(copy);
		return MOSAIC_OK;
	}
	char *rest = copy, *tok;
	size_t cap = 0;
	while ((tok = strsep(&rest, ",")) != NULL) {
		while (isspace((unsigned char)*tok))
			tok++;
		size_t n = strlen(tok);
		while (n > 0 && isspace((unsigned char)tok[n - 1]))
			tok[--n] = '\0';
		/* Error messages quote the item as given (trimmed). */
		char item[128];
		snprintf(item, sizeof(item), "%s", tok);
		char *eq = strchr(tok, '=');
		if (!eq) {
			rv = weights_fail(out, err, errlen, item, "expected ROLE=WEIGHT");
			break;
		}
		*eq = '\0';
		char *role = tok, *val = eq + 1;
		for (size_t k = strlen(role); k > 0 && isspace((unsigned char)role[k - 1]); k--)
			role[k - 1] = '\0';
		while (isspace((unsigned char)*val))
			val++;
		if (!weights_role_valid(role)) {
			rv = weights_fail(out, err, errlen, item,
			                  "role must be '*' or 1-63 characters of [A-Za-z0-9._-]");
			break;
		}
		char *end;
		errno = 0;
		double w = strtod(val, &end);
		if (end == val || *end != '\0' || errno || !isfinite(w) || w <= 0) {
			rv = weights_fail(out, err, errlen, item, "weight must be a positive number");
			break;
		}
		for (size_t i = 0; i < out->count && !rv; i++)
			if (strcmp(out->items[i].role, role) == 0)
				rv = weights_fail(out, err, errlen, item, "role given twice");
		if (rv)
			break;
		if (out->count == cap) {
			cap = cap ? 2 * cap : 8;
			out->items = xrealloc(out->items, cap * sizeof(*out->items));
		}
		snprintf(out->items[out->count].role, sizeof(out->items[0].role), "%s", role);
		out->items[out->count].weight = w;
		out->count++;
	}
	free(copy);
	return rv;
}

void
weights_fini(weights *w)
{
	free(w->items);
	w->items = NULL;
	w->count = 0;
}
