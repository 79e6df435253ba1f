#include "sortbuf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "kvfile.h"
#include "mem.h"
#include "merge.h"
#include "partition.h"
#include "util.h"

/* One held record. prefix is the key's first 8 bytes big-endian (zero
 * padded), which decides most comparisons without reaching the bytes; seq
 * is the arrival order, the tie-break that makes the sort stable. */
typedef struct sortbuf_rec {
	uint64_t prefix;
	uint64_t off; /* key then value bytes, in data */
	uint32_t klen, vlen;
	uint32_t part;
	uint32_t seq;
} sortbuf_rec;

struct sortbuf {
	char *outdir;
	uint32_t nparts;
	size_t limit;
	char *data; /* bytes of the held records */
	size_t dlen, dcap;
	sortbuf_rec *recs;
	size_t nrecs, rcap;
	char *line; /* an unfinished line carried between feeds */
	size_t llen, lcap;
	uint32_t spills;
	bool finished;
	int err;
	sortbuf_stats st;
};

int
sortbuf_new(sortbuf **out, const char *outdir, uint32_t nparts, size_t mem_limit)
{
	*out = NULL;
	if (nparts == 0)
		return MOSAIC_EINVAL;
	sortbuf *s = xcalloc(1, sizeof(*s));
	s->outdir = xstrdup(outdir);
	s->nparts = nparts;
	s->limit = mem_limit ? mem_limit : SORTBUF_DEFAULT_LIMIT;
	*out = s;
	return MOSAIC_OK;
}

static int
rec_cmp(const void *a, const void *b, void *arg)
{
	const sortbuf_rec *x = a, *y = b;
	const char *data = arg;
	if (x->part != y->part)
		return x->part < y->part ? -1 : 1;
	if (x->prefix != y->prefix)
		return x->prefix < y->prefix ? -1 : 1;
	int c = kvrec_keycmp(data + x->off, x->klen, data + y->off, y->klen);
	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts the held records and writes them as nparts runs under dir. */
static int
write_runs(sortbuf *s, const char *dir)
{
	int rv = util_mkdir_p(dir);
	if (rv)
		return rv;
	qsort_r(s->recs, s->nrecs, sizeof(sortbuf_rec), rec_cmp, s->data);
	size_t i = 0;
	for (uint32_t r = 0; r < s->nparts && !rv; r++) {
		char *path = kvfile_part_path(dir, r);
		kvfile_writer w;
		rv = kvfile_writer_open(&w, path);
		free(path);
		if (rv)
			break;
		for (; i < s->nrecs && s->recs[i].part == r && !rv; i++) {
			const sortbuf_rec *e = &s->recs[i];
			rv = kvfile_put(&w, s->data + e->off, e->klen, s->data + e->off + e->klen, e->vlen);
		}
		if (rv)
			kvfile_writer_abort(&w);
		else
			rv = kvfile_writer_close(&w);
	}
	s->nrecs = 0;
	s->dlen = 0;
	return rv;
}

static char *
spill_dir(const sortbuf *s, uint32_t k)
{
	return xasprintf("%s/spill-%u", s->outdir, k);
}

static int
spill(sortbuf *s)
{
	char *dir = spill_dir(s, s->spills);
	int rv = write_runs(s, dir);
	free(dir);
	if (!rv)
		s->spills++;
	return rv;
}

static int
add_rec(sortbuf *s, const char *key, size_t klen, const char *val, size_t vlen)
{
	if (s->finished)
		return MOSAIC_ESTATE;
	if (s->err)
		return s->err;
	if (klen + vlen > KVFILE_MAX_LINE)
		return s->err = MOSAIC_ETOOBIG;
	size_t need = klen + vlen + sizeof(sortbuf_rec);
	if (s->nrecs > 0 && s->dlen + (s->nrecs + 1) * sizeof(sortbuf_rec) + need > s->limit &&
	    (s->err = spill(s)) != 0)
		return s->err;
	/* Both buffers double, but neither past the limit unless one record
	 * needs it: what is held stays under mem_limit (spills see to that),
	 * what is allocated under twice that. */
	size_t dneed = s->dlen + klen + vlen;
	if (dneed > s->dcap) {
		size_t cap = s->dcap ? s->dcap : 1u << 16;
		while (cap < dneed)
			cap *= 2;
		s->dcap = cap > s->limit && dneed <= s->limit ? s->limit : cap;
		s->data = xrealloc(s->data, s->dcap);
	}
	if (s->nrecs == s->rcap) {
		size_t cap = s->rcap ? s->rcap * 2 : 1024, most = s->limit / sizeof(sortbuf_rec) + 1;
		s->rcap = cap > most && s->nrecs < most ? most : cap;
		s->recs = xrealloc(s->recs, s->rcap * sizeof(sortbuf_rec));
	}
	sortbuf_rec *e = &s->recs[s->nrecs];
	unsigned char pre[8] = {0};
	memcpy(pre, key, klen < 8 ? klen : 8);
	e->prefix = 0;
	for (int i = 0; i < 8; i++)
		e->prefix = e->prefix << 8 | pre[i];
	e->off = s->dlen;
	e->klen = (uint32_t)klen;
	e->vlen = (uint32_t)vlen;
	e->part = partition_of(key, klen, s->nparts);
	e->seq = (uint32_t)s->nrecs;
	memcpy(s->data + s->dlen, key, klen);
	memcpy(s->data + s->dlen + klen, val, vlen);
	s->dlen += klen + vlen;
	s->nrecs++;
	s->st.records++;
	return MOSAIC_OK;
}

int
sortbuf_add(sortbuf *s, const char *key, size_t klen, const char *val, size_t vlen)
{
	/* The runs are lines of "key\tvalue": such bytes would change the
	 * record when read back. */
	if (memchr(key, '\t', klen) || memchr(key, '\n', klen) || memchr(val, '\n', vlen))
		return MOSAIC_EINVAL;
	return add_rec(s, key, klen, val, vlen);
}

static int
add_line(sortbuf *s, const char *line, size_t len)
{
	kvrec rec;
	kvrec_parse(&rec, line, len);
	return add_rec(s, rec.key, rec.klen, rec.val, rec.vlen);
}

/* Appends to the carried line. */
static int
carry(sortbuf *s, const char *p, size_t n)
{
	if (s->llen + n > KVFILE_MAX_LINE)
		return s->err = MOSAIC_ETOOBIG;
	if (s->llen + n > s->lcap) {
		s->lcap = (s->llen + n) * 2;
		s->line = xrealloc(s->line, s->lcap);
	}
	memcpy(s->line + s->llen, p, n);
	s->llen += n;
	return MOSAIC_OK;
}

int
sortbuf_feed(sortbuf *s, const void *data, size_t len)
{
	if (s->finished)
		return MOSAIC_ESTATE;
	const char *p = data, *end = p + len;
	s->st.bytes += len;
	int rv = s->err;
	while (!rv && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return carry(s, p, (size_t)(end - p));
		if (s->llen) {
			if ((rv = carry(s, p, (size_t)(nl - p))) == 0)
				rv = add_line(s, s->line, s->llen);
			s->llen = 0;
		} else {
			rv = add_line(s, p, (size_t)(nl - p));
		}
		p = nl + 1;
	}
	return rv;
}

int
sortbuf_finish(sortbuf *s, sortbuf_stats *st)
{
	if (s->finished)
		return MOSAIC_ESTATE;
	int rv = s->err;
	uint32_t fed_spills = s->spills;
	if (!rv && s->llen) {
		rv = add_line(s, s->line, s->llen);
		s->llen = 0;
	}
	s->finished = true;
	if (!rv && s->spills == 0) {
		rv = write_runs(s, s->outdir);
	} else if (!rv && (rv = spill(s)) == 0) {
		for (uint32_t r = 0; r < s->nparts && !rv; r++) {
			merge *m;
			merge_new(&m);
			for (uint32_t k = 0; k < s->spills && !rv; k++) {
				char *dir = spill_dir(s, k);
				char *path = kvfile_part_path(dir, r);
				rv = merge_add_file(m, path);
				free(path);
				free(dir);
			}
			char *out = kvfile_part_path(s->outdir, r);
			kvfile_writer w;
			if (!rv && (rv = kvfile_writer_open(&w, out)) == 0) {
				rv = merge_write(m, &w);
				if (rv)
					kvfile_writer_abort(&w);
				else
					rv = kvfile_writer_close(&w);
			}
			free(out);
			merge_free(m);
		}
	}
	if (st) {
		*st = s->st;
		st->spills = fed_spills;
	}
	return s->err = rv;
}

void
sortbuf_free(sortbuf *s)
{
	if (!s)
		return;
	for (uint32_t k = 0; k < s->spills; k++) {
		char *dir = spill_dir(s, k);
		util_remove_tree(dir);
		free(dir);
	}
	free(s->outdir);
	free(s->data);
	free(s->recs);
	free(s->line);
	free(s);
}
