#include "cli_fit.h"

#include <stdio.h>
#include <string.h>

static bool
fits(const mosaic_resources *have, const mosaic_resources *want)
{
	for (int d = 0; d < RES_NSCALARS; d++)
		if (res_scalar(want, d) > res_scalar(have, d) + MOSAIC_RES_EPSILON)
			return false;
	return true;
}

static void
set_scalar(mosaic_resources *r, int d, double v)
{
	switch (d) {
	case RES_CPUS: r->cpus = v; break;
	case RES_MEM: r->mem = v; break;
	case RES_DISK: r->disk = v; break;
	default: r->gpus = v; break;
	}
}

bool
cli_fit_explain(const mosaic_resources *totals, size_t n, const mosaic_resources *want, char *buf, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (fits(&totals[i], want))
			return false;
	/* The dimensions no agent has enough of, and the most any has. */
	mosaic_resources short_want, largest;
	res_clear(&short_want);
	res_clear(&largest);
	bool any_short = false;
	for (int d = 0; d < RES_NSCALARS; d++) {
		double need = res_scalar(want, d), most = 0;
		for (size_t i = 0; i < n; i++)
			if (res_scalar(&totals[i], d) > most)
				most = res_scalar(&totals[i], d);
		if (need > most + MOSAIC_RES_EPSILON) {
			set_scalar(&short_want, d, need);
			set_scalar(&largest, d, most);
			any_short = true;
		}
	}
	char a[256], b[256];
	if (any_short) {
		res_format(&short_want, a, sizeof(a));
		res_format(&largest, b, sizeof(b));
		/* res_format omits zeros: "the largest agent has {}" reads badly. */
		snprintf(buf, len, "no agent can offer %s \xe2\x80\x94 the largest agent has %s", a,
		         strcmp(b, "{}") == 0 ? "none" : b);
		return true;
	}
	/* Each dimension fits somewhere, but never all on one agent. */
	mosaic_resources scalars = *want;
	scalars.nports = 0;
	res_format(&scalars, a, sizeof(a));
	size_t off = (size_t)snprintf(buf, len, "no single agent can offer %s \xe2\x80\x94 agents have ", a);
	for (size_t i = 0; i < n && i < 4 && off < len; i++) {
		mosaic_resources t = totals[i];
		t.nports = 0;
		res_format(&t, b, sizeof(b));
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", b);
	}
	if (n > 4 && off < len)
		snprintf(buf + off, len - off, ", ...");
	return true;
}
