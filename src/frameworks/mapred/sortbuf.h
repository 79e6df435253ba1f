/* sortbuf.h - the map side of a streaming job: the mapper command's output,
 * partitioned and sorted, as one run per reducer.
 *
 * Feed it the mapper's stdout as it comes (any chunking). Each line is a
 * record "key<TAB>value" (no tab: all key, empty value, as in Hadoop
 * Streaming), sent to reducer partition_of(key). Records are held in memory
 * up to mem_limit bytes (their bytes plus 32 bytes of index each); when the
 * next record would pass it, the held records are sorted and written out as
 * one run per reducer under "<outdir>/spill-<k>/". sortbuf_finish leaves
 * "<outdir>/part-<r>" for every reducer r, sorted by key (byte-wise), and
 * stable: records with equal keys keep the order the mapper wrote them.
 * With spills, the runs are merged (merge.h), which keeps that order too.
 *
 * So the records held stay within mem_limit (the buffers allocated, within
 * twice that), except that a single record larger than it is still accepted
 * (and held alone). Lines are limited to KVFILE_MAX_LINE. Blocking file
 * I/O; not thread-safe. */
#ifndef MOSAIC_MAPRED_SORTBUF_H
#define MOSAIC_MAPRED_SORTBUF_H

#include <stddef.h>
#include <stdint.h>

#define SORTBUF_DEFAULT_LIMIT (64u << 20)

typedef struct sortbuf sortbuf;

typedef struct sortbuf_stats {
	uint64_t records; /* records taken */
	uint64_t bytes;   /* bytes fed (or key+value bytes added) */
	uint32_t spills;  /* runs written before finish */
} sortbuf_stats;

/* sortbuf_new: *out writes under outdir (which must exist) for nparts
 * reducers; mem_limit 0 takes SORTBUF_DEFAULT_LIMIT. The caller frees it
 * with sortbuf_free. MOSAIC_EINVAL for nparts 0. */
int sortbuf_new(sortbuf **out, const char *outdir, uint32_t nparts, size_t mem_limit);
/* sortbuf_feed: len bytes of mapper output, split into lines here; a line
 * may continue in the next call. The bytes are copied. Returns the first
 * error (writing a spill: MOSAIC_EIO; a line over KVFILE_MAX_LINE:
 * MOSAIC_ETOOBIG), which sticks. */
int sortbuf_feed(sortbuf *s, const void *data, size_t len);
/* sortbuf_add: one record, already split (copied). MOSAIC_EINVAL for a key
 * holding a tab or a newline, or a value holding a newline. */
int sortbuf_add(sortbuf *s, const char *key, size_t klen, const char *val, size_t vlen);
/* sortbuf_finish: takes a last unterminated line as a record, and writes the
 * runs "<outdir>/part-<r>". *st, if not NULL, gets the counts. After it only
 * sortbuf_free is allowed (MOSAIC_ESTATE otherwise). */
int sortbuf_finish(sortbuf *s, sortbuf_stats *st);
/* sortbuf_free: frees everything and removes spill directories; NULL is
 * fine. Runs already finished stay. */
void sortbuf_free(sortbuf *s);

#endif
