/* split.h - where `mapred put` cuts a file into blocks.
 *
 * Blocks hold whole lines, so a map task reads its block alone and never
 * needs its neighbour's bytes (a word never spans two blocks, since '\n'
 * separates words). A block ends right after the last '\n' that keeps it
 * within block_size bytes, or at the end of the file; a line longer than
 * block_size gets a block of its own, whole. So every block but such a line's
 * is at most block_size long, the blocks tile the file in order with no gap
 * or overlap, and an empty file has no block.
 *
 * Reads with pread(2) in 64 KiB windows around each cut, not the whole file
 * (except to find the end of a line longer than a block). Blocking I/O; no
 * shared state. */
#ifndef MOSAIC_MAPRED_SPLIT_H
#define MOSAIC_MAPRED_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#define SPLIT_DEFAULT_BLOCK (64ull << 20)

typedef struct split_block {
	uint64_t offset;
	uint64_t length;
} split_block;

/* split_parse_size: "512K", "64M", "1G", "2T" (also "64MB", "64MiB", lower
 * case; powers of 1024) or plain bytes "4096" -> bytes. MOSAIC_EINVAL on
 * anything else, on zero and on overflow. */
int split_parse_size(const char *s, uint64_t *out);

/* split_fd: the blocks of the file open at fd (read from offset 0 to its
 * size at the call). *out is a heap array of *n blocks the caller frees
 * (NULL when *n is 0). MOSAIC_EINVAL for a zero block_size, MOSAIC_EIO on a
 * read error (nothing to free then). */
int split_fd(int fd, uint64_t block_size, split_block **out, size_t *n);
/* split_file: split_fd of the file at path (MOSAIC_ENOENT if absent). */
int split_file(const char *path, uint64_t block_size, split_block **out, size_t *n);
/* split_buf: the same cut of len bytes in memory (tests, small inputs). */
int split_buf(const void *data, size_t len, uint64_t block_size, split_block **out, size_t *n);

#endif
