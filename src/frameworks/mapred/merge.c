#include "merge.h"

#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"

typedef struct merge_run {
	kvfile_reader reader;
	kvrec cur;  /* the run's current record, in its reader's buffer */
	char *prev; /* copy of the key before cur: order check, group edges */
	size_t prevlen, prevcap;
} merge_run;

struct merge {
	merge_run *runs;
	size_t nruns, cap;
	uint32_t *heap; /* run indices, a min-heap on (cur key, run index) */
	size_t nheap;
	bool started;
	bool have_last;
	uint32_t last; /* run whose record merge_next returned last */
	int err;
	uint64_t records;
};

void
merge_new(merge **out)
{
	*out = xcalloc(1, sizeof(merge));
}

static merge_run *
merge_grow(merge *m)
{
	if (m->nruns == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 8;
		m->runs = xrealloc(m->runs, m->cap * sizeof(*m->runs));
	}
	merge_run *r = &m->runs[m->nruns];
	memset(r, 0, sizeof(*r));
	return r;
}

int
merge_add_file(merge *m, const char *path)
{
	if (m->started)
		return MOSAIC_ESTATE;
	merge_run *r = merge_grow(m);
	int rv = kvfile_reader_open(&r->reader, path);
	if (rv == 0)
		m->nruns++;
	return rv;
}

int
merge_add_mem(merge *m, const void *data, size_t len)
{
	if (m->started)
		return MOSAIC_ESTATE;
	merge_run *r = merge_grow(m);
	kvfile_reader_init_mem(&r->reader, data, len);
	m->nruns++;
	return MOSAIC_OK;
}

/* True when run a's current record goes before run b's. */
static bool
run_less(const merge *m, uint32_t a, uint32_t b)
{
	const kvrec *x = &m->runs[a].cur, *y = &m->runs[b].cur;
	int c = kvrec_keycmp(x->key, x->klen, y->key, y->klen);
	return c < 0 || (c == 0 && a < b);
}

static void
sift_down(merge *m, size_t i)
{
	uint32_t *h = m->heap;
	for (;;) {
		size_t l = 2 * i + 1, best = i;
		if (l < m->nheap && run_less(m, h[l], h[best]))
			best = l;
		if (l + 1 < m->nheap && run_less(m, h[l + 1], h[best]))
			best = l + 1;
		if (best == i)
			return;
		uint32_t t = h[i];
		h[i] = h[best];
		h[best] = t;
		i = best;
	}
}

/* Reads run i's next record into cur; false at its end or on error. */
static bool
run_read(merge *m, uint32_t i)
{
	merge_run *r = &m->runs[i];
	if (kvfile_next(&r->reader, &r->cur))
		return true;
	if (kvfile_reader_error(&r->reader) && !m->err)
		m->err = kvfile_reader_error(&r->reader);
	return false;
}

static void
merge_start(merge *m)
{
	m->started = true;
	m->heap = xmalloc((m->nruns ? m->nruns : 1) * sizeof(*m->heap));
	for (uint32_t i = 0; i < m->nruns; i++)
		if (run_read(m, i))
			m->heap[m->nheap++] = i;
	for (size_t i = m->nheap / 2; i-- > 0;)
		sift_down(m, i);
}

/* Moves the run at the top of the heap (the one last returned) past its
 * record, keeping a copy of that record's key. */
static void
merge_advance(merge *m)
{
	uint32_t i = m->heap[0];
	merge_run *r = &m->runs[i];
	if (r->cur.klen > r->prevcap) {
		r->prevcap = r->cur.klen * 2 + 16;
		r->prev = xrealloc(r->prev, r->prevcap);
	}
	if (r->cur.klen) /* an empty key (a blank line) may come before any buffer */
		memcpy(r->prev, r->cur.key, r->cur.klen);
	r->prevlen = r->cur.klen;
	if (run_read(m, i)) {
		if (kvrec_keycmp(r->cur.key, r->cur.klen, r->prev, r->prevlen) < 0) {
			m->err = MOSAIC_EINVAL;
			return;
		}
	} else {
		m->heap[0] = m->heap[--m->nheap];
	}
	sift_down(m, 0);
}

bool
merge_next(merge *m, kvrec *rec, bool *new_key)
{
	if (!m->started)
		merge_start(m);
	else if (m->have_last && m->nheap > 0 && !m->err)
		merge_advance(m);
	if (m->err || m->nheap == 0)
		return false;
	uint32_t i = m->heap[0];
	*rec = m->runs[i].cur;
	if (new_key) {
		/* The previous record's key was copied into its run's prev when
		 * that run advanced. */
		const merge_run *p = &m->runs[m->last];
		*new_key = !m->have_last || kvrec_keycmp(rec->key, rec->klen, p->prev, p->prevlen) != 0;
	}
	m->have_last = true;
	m->last = i;
	m->records++;
	return true;
}

int
merge_error(const merge *m)
{
	return m->err;
}

uint64_t
merge_records(const merge *m)
{
	return m->records;
}

/* Parses a decimal count; false on anything else or overflow. */
static bool
parse_u64(const char *s, size_t n, uint64_t *out)
{
	if (n == 0 || n > 20)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

int
merge_sum(merge *m, kvfile_writer *w)
{
	kvrec rec;
	bool new_key, have = false;
	char *key = NULL;
	size_t klen = 0, kcap = 0;
	uint64_t sum = 0;
	int rv = MOSAIC_OK;
	while (merge_next(m, &rec, &new_key)) {
		uint64_t v;
		if (!parse_u64(rec.val, rec.vlen, &v)) {
			rv = MOSAIC_EINVAL;
			break;
		}
		if (new_key) {
			if (have && (rv = kvfile_put_u64(w, key, klen, sum)) != 0)
				break;
			if (rec.klen > kcap) {
				kcap = rec.klen * 2 + 16;
				key = xrealloc(key, kcap);
			}
			if (rec.klen)
				memcpy(key, rec.key, rec.klen);
			klen = rec.klen;
			sum = 0;
			have = true;
		}
		if (sum > UINT64_MAX - v) {
			rv = MOSAIC_EINVAL;
			break;
		}
		sum += v;
	}
	if (!rv)
		rv = m->err;
	if (!rv && have)
		rv = kvfile_put_u64(w, key, klen, sum);
	free(key);
	return rv;
}

int
merge_write(merge *m, kvfile_writer *w)
{
	kvrec rec;
	int rv = MOSAIC_OK;
	while (!rv && merge_next(m, &rec, NULL))
		rv = kvfile_put(w, rec.key, rec.klen, rec.val, rec.vlen);
	return rv ? rv : m->err;
}

void
merge_free(merge *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nruns; i++) {
		kvfile_reader_close(&m->runs[i].reader);
		free(m->runs[i].prev);
	}
	free(m->runs);
	free(m->heap);
	free(m);
}
