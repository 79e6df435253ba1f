/* sched_util.c - the value helpers of the public API: errors, task
 * states, resources, offer attributes, logging. Thin: each converts to the
 * common module that does the work. */
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "log.h"
#include "mosaic/sched.h"
#include "resources.h"
#include "sched_codec.h"

/* The public error numbers are the internal ones. */
_Static_assert(MOSAIC_SCHED_EINVAL == (int)MOSAIC_EINVAL && MOSAIC_SCHED_ENOENT == (int)MOSAIC_ENOENT &&
                   MOSAIC_SCHED_ESTATE == (int)MOSAIC_ESTATE && MOSAIC_SCHED_ENOTSUP == (int)MOSAIC_ENOTSUP &&
                   MOSAIC_SCHED_ETIMEDOUT == (int)MOSAIC_ETIMEDOUT && MOSAIC_SCHED_ENET == (int)MOSAIC_ENET,
               "mosaic_sched_err must match mosaic_err");
_Static_assert(MOSAIC_SCHED_MAX_PORT_RANGES == MOSAIC_MAX_PORT_RANGES, "port ranges differ");
_Static_assert(MOSAIC_SCHED_TASK_GONE == (int)MOSAIC__TASK_STATE__TASK_GONE, "task states differ");

const char *
mosaic_sched_strerror(int err)
{
	return mosaic_strerror(err);
}

const char *
mosaic_sched_task_state_name(int state)
{
	return codec_task_state_name(state);
}

bool
mosaic_sched_task_state_terminal(int state)
{
	return codec_task_state_terminal(state) != 0;
}

int
mosaic_sched_resources_parse(mosaic_sched_resources *out, const char *text, char *err, size_t errlen)
{
	mosaic_resources r;
	int rv = res_parse(&r, text, err, errlen);
	if (rv != 0)
		return rv;
	sched_codec_res_out(out, &r);
	return MOSAIC_OK;
}

char *
mosaic_sched_resources_format(const mosaic_sched_resources *r, char *buf, size_t len)
{
	mosaic_resources in;
	sched_codec_res_in(&in, r);
	return res_format(&in, buf, len);
}

bool
mosaic_sched_resources_contains(const mosaic_sched_resources *have, const mosaic_sched_resources *want)
{
	mosaic_resources h, w;
	sched_codec_res_in(&h, have);
	sched_codec_res_in(&w, want);
	return res_contains(&h, &w);
}

int
mosaic_sched_resources_add(mosaic_sched_resources *a, const mosaic_sched_resources *b)
{
	mosaic_resources x, y;
	sched_codec_res_in(&x, a);
	sched_codec_res_in(&y, b);
	int rv = res_add(&x, &y);
	if (rv == 0)
		sched_codec_res_out(a, &x);
	return rv;
}

int
mosaic_sched_resources_subtract(mosaic_sched_resources *a, const mosaic_sched_resources *b)
{
	mosaic_resources x, y;
	sched_codec_res_in(&x, a);
	sched_codec_res_in(&y, b);
	int rv = res_sub(&x, &y);
	if (rv == 0)
		sched_codec_res_out(a, &x);
	return rv;
}

const char *
mosaic_sched_offer_attribute(const mosaic_sched_offer *offer, const char *name)
{
	for (size_t i = 0; i < offer->nattributes; i++)
		if (strcmp(offer->attributes[i].name, name) == 0)
			return offer->attributes[i].value;
	return NULL;
}

int
mosaic_sched_log_init(const char *component, const char *level, const char *path)
{
	int lvl = log_level_parse(level ? level : "info");
	if (lvl < 0)
		return MOSAIC_EINVAL;
	return log_init(component ? component : "mosaic", lvl, path);
}
