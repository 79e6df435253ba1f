/* wordcount.h - the map side of word count: tokenize and count in one pass.
 *
 * A word is a maximal run of ASCII letters [A-Za-z], case kept; every other
 * byte (digit, punctuation, space, any byte >= 0x80) separates words, so
 * "don't" is "don" and "t", "naïve" is "na" and "ve". This equals
 * `tr -cs A-Za-z '\n'`.
 *
 * Speed is the point of this module (a map task should be bound by its disk,
 * not by counting): input is read in 1 MiB chunks into one buffer, letters
 * are found 64 bytes at a time as a bit mask (SSE2 where there is SSE2), each
 * word is hashed from 8-byte loads, and counted in an open-addressing table
 * whose slots carry the word's length, hash and first 8 bytes, so most
 * look-ups never leave the slot. Words are copied once, into an arena, when
 * first seen; nothing is allocated per occurrence. With a real vocabulary
 * the table outgrows the caches and rare words cost a cache (and TLB) miss
 * each, so words are hashed in batches of 32 whose slots are prefetched
 * before the look-ups, and a large table asks for huge pages. Sorting
 * happens once, over the distinct words, by a radix sort on their first 8
 * bytes.
 *
 * The counting table is the combiner: each distinct word leaves a map task
 * once, with its count. A table is not thread-safe; use one per thread. */
#ifndef MOSAIC_MAPRED_WORDCOUNT_H
#define MOSAIC_MAPRED_WORDCOUNT_H

#include <stddef.h>
#include <stdint.h>

typedef struct wc_table wc_table;

typedef struct wc_entry {
	const char *word; /* in the table's arena; not NUL-terminated */
	uint32_t len;
	uint64_t count;
} wc_entry;

/* wc_table_new: *out is an empty table, freed with wc_table_free. */
void wc_table_new(wc_table **out);
/* wc_table_free: frees the table and every word it holds; NULL is fine. */
void wc_table_free(wc_table *t);
/* wc_table_clear: forgets every word and gives back their memory, leaving
 * the table as new (the scan buffer stays). Invalidates the words handed
 * out by wc_table_sorted. */
void wc_table_clear(wc_table *t);

/* wc_count_buf: counts the words in len bytes at data; the buffer's two ends
 * are word boundaries. data is only read during the call. */
void wc_count_buf(wc_table *t, const void *data, size_t len);
/* wc_count_fd: counts the words of bytes [offset, offset + length) of fd
 * (length UINT64_MAX: to the end of the file), read with pread(2). The range's
 * ends are word boundaries (blocks end after '\n'). When mem_limit is not 0
 * it stops early, at a word boundary, once the table holds mem_limit bytes,
 * so the caller can write the table out, clear it and call again from
 * offset + *consumed. *consumed is the number of bytes counted; it is less
 * than length only after such a stop or at the end of the file. MOSAIC_EIO on
 * a read error (the table then holds the counts of an unknown prefix). */
int wc_count_fd(wc_table *t, int fd, uint64_t offset, uint64_t length, size_t mem_limit, uint64_t *consumed);

/* wc_distinct: distinct words held. wc_total: word occurrences counted.
 * wc_memory: bytes of memory the table holds (slots and arena). */
size_t wc_distinct(const wc_table *t);
uint64_t wc_total(const wc_table *t);
size_t wc_memory(const wc_table *t);
/* wc_find: the count of a word (0 if never seen). */
uint64_t wc_find(const wc_table *t, const char *word, size_t len);
/* wc_slot_hash: the 32-bit hash the table files a word under. In-process
 * only (it depends on endianness; partitions use partition_hash); public so
 * that tests can build words that collide in it. */
uint32_t wc_slot_hash(const char *word, size_t len);

/* wc_table_sorted: every distinct word with its count, sorted byte-wise
 * (LC_ALL=C order). The array is the caller's to free(); the words in it
 * belong to the table and live until it is cleared or freed. *n is its
 * length; NULL when the table is empty. */
wc_entry *wc_table_sorted(const wc_table *t, size_t *n);

/* wc_write_partitions: writes the table as nparts sorted runs
 * "<dir>/part-<r>" (kvfile_part_path), "word\tcount\n" each, a word going to
 * run partition_of(word, nparts). Every run is created, empty or not; each
 * appears under its name only once complete. *records, if not NULL, gets
 * the number of lines written. MOSAIC_EINVAL for nparts 0. */
int wc_write_partitions(const wc_table *t, const char *dir, uint32_t nparts, uint64_t *records);

#endif
