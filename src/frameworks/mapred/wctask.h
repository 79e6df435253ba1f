/* wctask.h - the two tasks of a word-count job, whole: what the mapred
 * daemon's map and reduce tasks call once their input is on local disk.
 *
 * A map task counts the words of its block and leaves one sorted run per
 * reducer, "<outdir>/part-<r>" ("word\tcount\n", each word once: the
 * counting table is the combiner). When the table outgrows mem_limit it is
 * written out as sorted runs under "<outdir>/spill-<k>/" and cleared; at the
 * end each reducer's spilled runs are merged (summing) into its part-<r> and
 * the spill directories removed. The limit is checked after each 1 MiB of
 * input, so the table can pass it by what that chunk adds (and by its slot
 * array doubling). A reduce task merges its runs from every map, summing
 * counts, into one output file.
 *
 * Blocking file I/O; no shared state, so tasks may run in threads side by
 * side. Outputs appear under their final names only when complete. */
#ifndef MOSAIC_MAPRED_WCTASK_H
#define MOSAIC_MAPRED_WCTASK_H

#include <stddef.h>
#include <stdint.h>

/* A word-count table of a 64 MiB block of prose holds a few tens of MiB;
 * the limit is for inputs with many distinct words. */
#define WCTASK_DEFAULT_MEM (256u << 20)

typedef struct wctask_stats {
	uint64_t bytes_in;    /* input bytes read */
	uint64_t words;       /* word occurrences (map) or input records (reduce) */
	uint64_t records_out; /* lines written */
	uint32_t spills;      /* times a map's table was written out early */
} wctask_stats;

/* wctask_map: counts bytes [offset, offset + length) of the file at input
 * (length UINT64_MAX: to its end; the range must start and end on line
 * boundaries, as split_* makes them) into nparts runs under outdir, which
 * must exist. mem_limit 0 means no limit. *st, if not NULL, is filled in.
 * MOSAIC_ENOENT (no input), _EIO, _EINVAL (nparts 0). */
int wctask_map(const char *input, uint64_t offset, uint64_t length, const char *outdir, uint32_t nparts,
               size_t mem_limit, wctask_stats *st);

/* wctask_reduce: merges the n sorted runs at the paths in inputs (in map
 * order), summing each word's counts, into the file at output. MOSAIC_ENOENT
 * for a missing run, _EINVAL for a malformed or unsorted one, _EIO. */
int wctask_reduce(const char *const *inputs, size_t n, const char *output, wctask_stats *st);

#endif
