#include "resources.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

void
res_clear(mosaic_resources *r)
{
	memset(r, 0, sizeof(*r));
}

static double *
scalar_ptr(mosaic_resources *r, int which)
{
	switch (which) {
	case RES_CPUS: return &r->cpus;
	case RES_MEM: return &r->mem;
	case RES_DISK: return &r->disk;
	default: return &r->gpus;
	}
}

double
res_scalar(const mosaic_resources *r, int which)
{
	return *scalar_ptr((mosaic_resources *)r, which);
}

bool
res_is_empty(const mosaic_resources *r)
{
	for (int i = 0; i < RES_NSCALARS; i++)
		if (res_scalar(r, i) > MOSAIC_RES_EPSILON)
			return false;
	return r->nports == 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const mosaic_range *x = a, *y = b;
	return x->begin < y->begin ? -1 : x->begin > y->begin;
}

/* Sort and coalesce n ranges from in into out (capacity cap). */
static int
ranges_normalize(mosaic_range *in, uint32_t n, mosaic_range *out, uint32_t *nout, uint32_t cap)
{
	qsort(in, n, sizeof(*in), range_cmp);
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (k > 0 && (uint64_t)in[i].begin <= (uint64_t)out[k - 1].end + 1) {
			if (in[i].end > out[k - 1].end)
				out[k - 1].end = in[i].end;
			continue;
		}
		if (k == cap)
			return MOSAIC_ENOSPC;
		out[k++] = in[i];
	}
	*nout = k;
	return MOSAIC_OK;
}

int
res_add(mosaic_resources *a, const mosaic_resources *b)
{
	if (b->nports) {
		mosaic_range tmp[2 * MOSAIC_MAX_PORT_RANGES], out[MOSAIC_MAX_PORT_RANGES];
		uint32_t n = 0, nout = 0;
		memcpy(tmp, a->ports, a->nports * sizeof(mosaic_range));
		memcpy(tmp + a->nports, b->ports, b->nports * sizeof(mosaic_range));
		n = a->nports + b->nports;
		if (ranges_normalize(tmp, n, out, &nout, MOSAIC_MAX_PORT_RANGES) != 0)
			return MOSAIC_ENOSPC;
		memcpy(a->ports, out, nout * sizeof(mosaic_range));
		a->nports = nout;
	}
	a->cpus += b->cpus;
	a->mem += b->mem;
	a->disk += b->disk;
	a->gpus += b->gpus;
	return MOSAIC_OK;
}

static bool
range_in(const mosaic_resources *have, mosaic_range r)
{
	for (uint32_t i = 0; i < have->nports; i++)
		if (have->ports[i].begin <= r.begin && r.end <= have->ports[i].end)
			return true;
	return false;
}

bool
res_contains(const mosaic_resources *have, const mosaic_resources *want)
{
	for (int i = 0; i < RES_NSCALARS; i++)
		if (res_scalar(want, i) > res_scalar(have, i) + MOSAIC_RES_EPSILON)
			return false;
	for (uint32_t i = 0; i < want->nports; i++)
		if (!range_in(have, want->ports[i]))
			return false;
	return true;
}

static double
clamp0(double v)
{
	return fabs(v) < MOSAIC_RES_EPSILON ? 0.0 : v;
}

int
res_sub(mosaic_resources *a, const mosaic_resources *b)
{
	if (!res_contains(a, b))
		return MOSAIC_EINVAL;
	mosaic_resources r = *a;
	for (uint32_t i = 0; i < b->nports; i++) {
		mosaic_range cut = b->ports[i];
		mosaic_range next[MOSAIC_MAX_PORT_RANGES + 1];
		uint32_t n = 0;
		for (uint32_t j = 0; j < r.nports; j++) {
			mosaic_range h = r.ports[j];
			if (cut.end < h.begin || cut.begin > h.end) {
				next[n++] = h;
				continue;
			}
			if (h.begin < cut.begin)
				next[n++] = (mosaic_range){h.begin, cut.begin - 1};
			if (cut.end < h.end)
				next[n++] = (mosaic_range){cut.end + 1, h.end};
		}
		if (n > MOSAIC_MAX_PORT_RANGES)
			return MOSAIC_ENOSPC;
		memcpy(r.ports, next, n * sizeof(mosaic_range));
		r.nports = n;
	}
	r.cpus = clamp0(r.cpus - b->cpus);
	r.mem = clamp0(r.mem - b->mem);
	r.disk = clamp0(r.disk - b->disk);
	r.gpus = clamp0(r.gpus - b->gpus);
	*a = r;
	return MOSAIC_OK;
}

uint64_t
res_port_count(const mosaic_resources *r)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < r->nports; i++)
		n += (uint64_t)r->ports[i].end - r->ports[i].begin + 1;
	return n;
}

static void
seterr(char *err, size_t errlen, const char *fmt, const char *a, size_t alen)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, (int)alen, a);
}

static int
parse_ranges(mosaic_resources *out, const char *v, size_t vlen, char *err, size_t errlen)
{
	mosaic_range tmp[MOSAIC_MAX_PORT_RANGES];
	uint32_t n = 0;
	if (vlen < 2 || v[0] != '[' || v[vlen - 1] != ']') {
		seterr(err, errlen, "ports must look like [31000-32000], got '%.*s'", v, vlen);
		return MOSAIC_EINVAL;
	}
	const char *p = v + 1, *end = v + vlen - 1;
	while (p < end) {
		char *q;
		errno = 0;
		unsigned long b = strtoul(p, &q, 10), e;
		if (q == p || errno) {
			seterr(err, errlen, "bad port range in '%.*s'", v, vlen);
			return MOSAIC_EINVAL;
		}
		e = b;
		if (*q == '-') {
			p = q + 1;
			e = strtoul(p, &q, 10);
			if (q == p) {
				seterr(err, errlen, "bad port range in '%.*s'", v, vlen);
				return MOSAIC_EINVAL;
			}
		}
		if (b > e || e > 65535) {
			seterr(err, errlen, "port range out of order or above 65535 in '%.*s'", v, vlen);
			return MOSAIC_EINVAL;
		}
		if (n == MOSAIC_MAX_PORT_RANGES) {
			seterr(err, errlen, "more than 16 port ranges in '%.*s'", v, vlen);
			return MOSAIC_ENOSPC;
		}
		tmp[n++] = (mosaic_range){(uint32_t)b, (uint32_t)e};
		p = q;
		while (p < end && (*p == ',' || *p == ' '))
			p++;
		if (p < end && !isdigit((unsigned char)*p)) {
			seterr(err, errlen, "bad port range in '%.*s'", v, vlen);
			return MOSAIC_EINVAL;
		}
	}
	return ranges_normalize(tmp, n, out->ports, &out->nports, MOSAIC_MAX_PORT_RANGES);
}

int
res_parse(mosaic_resources *out, const char *text, char *err, size_t errlen)
{
	mosaic_resources r;
	res_clear(&r);
	const char *p = text;
	while (*p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!*p)
			break;
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		if (!colon) {
			seterr(err, errlen, "expected name:value, got '%.*s'", p, len);
			return MOSAIC_EINVAL;
		}
		size_t nlen = (size_t)(colon - p);
		const char *v = colon + 1;
		size_t vlen = len - nlen - 1;
		if (nlen == 5 && strncmp(p, "ports", 5) == 0) {
			int rv = parse_ranges(&r, v, vlen, err, errlen);
			if (rv)
				return rv;
		} else {
			double *dst = NULL;
			if (nlen == 4 && strncmp(p, "cpus", 4) == 0)
				dst = &r.cpus;
			else if (nlen == 3 && strncmp(p, "mem", 3) == 0)
				dst = &r.mem;
			else if (nlen == 4 && strncmp(p, "disk", 4) == 0)
				dst = &r.disk;
			else if (nlen == 4 && strncmp(p, "gpus", 4) == 0)
				dst = &r.gpus;
			if (!dst) {
				seterr(err, errlen, "unknown resource '%.*s' (known: cpus, mem, disk, gpus, ports)", p, nlen);
				return MOSAIC_EINVAL;
			}
			char buf[64];
			if (vlen == 0 || vlen >= sizeof(buf)) {
				seterr(err, errlen, "bad value in '%.*s'", p, len);
				return MOSAIC_EINVAL;
			}
			memcpy(buf, v, vlen);
			buf[vlen] = '\0';
			char *q;
			errno = 0;
			double d = strtod(buf, &q);
			if (*q || errno || !isfinite(d) || d < 0) {
				seterr(err, errlen, "value must be a non-negative number in '%.*s'", p, len);
				return MOSAIC_EINVAL;
			}
			*dst = d;
		}
		p += len;
	}
	*out = r;
	return MOSAIC_OK;
}

char *
res_format(const mosaic_resources *r, char *buf, size_t len)
{
	static const char *names[RES_NSCALARS] = {"cpus", "mem", "disk", "gpus"};
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < RES_NSCALARS; i++) {
		double v = res_scalar(r, i);
		if (v <= MOSAIC_RES_EPSILON || off >= len)
			continue;
		/* 15 digits: what was typed comes back as typed (%g's 6 made
		 * 24000123 MiB "2.40001e+07") */
		off += (size_t)snprintf(buf + off, len - off, "%s%s:%.15g", off ? ";" : "", names[i], v);
	}
	if (r->nports && off < len) {
		off += (size_t)snprintf(buf + off, len - off, "%sports:[", off ? ";" : "");
		for (uint32_t i = 0; i < r->nports && off < len; i++)
			off += (size_t)snprintf(buf + off, len - off, "%s%u-%u", i ? "," : "", r->ports[i].begin,
			    r->ports[i].end);
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "]");
	}
	if (off == 0)
		snprintf(buf, len, "{}");
	return buf;
}
