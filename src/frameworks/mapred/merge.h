/* merge.h - k-way merge of sorted runs of "key\tvalue" records.
 *
 * The reduce side of every job: a reducer's input is one run per map task
 * (fetched to files or held in memory), each sorted by key; merge yields
 * their records in key order. Records with equal keys come in the order the
 * runs were added, and within a run in their order, so a merge is stable and
 * re-running it gives the same bytes. A run found out of order stops the
 * merge with MOSAIC_EINVAL rather than produce silently wrong output.
 *
 * Memory: one reader buffer per run plus a copy of each run's last key.
 * Not thread-safe; blocks on reads of file runs. */
#ifndef MOSAIC_MAPRED_MERGE_H
#define MOSAIC_MAPRED_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvfile.h"

typedef struct merge merge;

/* merge_new: *out is an empty merge the caller frees with merge_free. */
void merge_new(merge **out);
/* merge_add_file: adds the run in the file at path (MOSAIC_ENOENT, _EIO).
 * Runs must all be added before the first merge_next. */
int merge_add_file(merge *m, const char *path);
/* merge_add_mem: adds the run in len bytes at data, which the caller keeps
 * alive and unchanged until merge_free. Both adds fail with MOSAIC_ESTATE
 * once merging has started. */
int merge_add_mem(merge *m, const void *data, size_t len);
/* merge_next: the next record in key order, true; false at the end or on an
 * error (merge_error). rec stays valid until the next call. *new_key, when
 * new_key is not NULL, tells whether this record's key differs from the
 * previous record's (true for the first): the groups a reducer sees. */
bool merge_next(merge *m, kvrec *rec, bool *new_key);
/* merge_error: the first error met (a run's read error, or MOSAIC_EINVAL for
 * a run out of order); 0 if none. */
int merge_error(const merge *m);
/* merge_sum: the word-count reducer: writes "key\t<sum>\n" per key, summing
 * the decimal values of its records. MOSAIC_EINVAL on a value that is not a
 * decimal number or a sum past 2^64-1. Returns the merge's or the writer's
 * first error; the writer stays the caller's to close. */
int merge_sum(merge *m, kvfile_writer *w);
/* merge_write: writes every record in merge order (a streaming reducer's
 * stdin, or spilled runs merged into one). Errors as merge_sum. */
int merge_write(merge *m, kvfile_writer *w);
/* merge_records: records returned so far. */
uint64_t merge_records(const merge *m);
/* merge_free: closes the runs, frees everything; NULL is fine. */
void merge_free(merge *m);

#endif
