/* kvfile.h - the text format of every intermediate and final mapred file:
 * one record per line, "key<TAB>value\n".
 *
 * Parsing follows Hadoop Streaming: a line splits at its first tab; a line
 * without a tab is all key with an empty value (written back as "key\t\n");
 * a last line without '\n' is still a record. Keys order byte-wise with
 * unsigned bytes and a prefix before its extensions, which is the order of
 * `LC_ALL=C sort`.
 *
 * A writer buffers in memory and writes with write(2); a writer opened on a
 * path writes "<path>.tmp" and renames it to path at close, so a reducer
 * never fetches a half-written map output and a crashed task leaves no file
 * under the final name. A reader reads a file in large chunks, or walks a
 * caller's memory buffer (a partition fetched over HTTP) without copying.
 * Neither is thread-safe; each blocks on its file descriptor. */
#ifndef MOSAIC_MAPRED_KVFILE_H
#define MOSAIC_MAPRED_KVFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest line a reader accepts (MOSAIC_ETOOBIG beyond). */
#define KVFILE_MAX_LINE (64u << 20)

typedef struct kvrec {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
} kvrec;

/* kvrec_parse: splits line (len bytes, without its '\n') at its first tab.
 * rec points into line. */
void kvrec_parse(kvrec *rec, const char *line, size_t len);

/* kvrec_keycmp: <0, 0, >0 as key a sorts before, with, after key b (byte-wise,
 * unsigned; a proper prefix first). */
int kvrec_keycmp(const char *a, size_t alen, const char *b, size_t blen);

/* kvfile_part_path: "<dir>/part-<r>", the map output run for reducer r.
 * kvfile_output_path: "<dir>/part-r-<r as 5 digits>", reducer r's output.
 * Both return a heap string the caller frees. */
char *kvfile_part_path(const char *dir, uint32_t r);
char *kvfile_output_path(const char *dir, uint32_t r);

typedef struct kvfile_writer {
	int fd;
	char *path; /* final name; NULL when writing a borrowed fd */
	char *tmp;  /* "<path>.tmp" until close */
	char *buf;
	size_t len, cap;
	int err;          /* first error, sticky */
	uint64_t records; /* records put */
	uint64_t bytes;   /* bytes put (flushed or not) */
} kvfile_writer;

/* kvfile_writer_open: creates "<path>.tmp" (0644, truncated). On error nothing
 * is left to close. */
int kvfile_writer_open(kvfile_writer *w, const char *path);
/* kvfile_writer_init_fd: writes to fd (a pipe to a reducer command, say); fd
 * stays the caller's: close() flushes but does not close it. A write to a
 * pipe whose reader left fails with MOSAIC_EIO only if SIGPIPE is ignored. */
void kvfile_writer_init_fd(kvfile_writer *w, int fd);
/* kvfile_put writes "key\tval\n"; kvfile_put_u64 writes "key\t<decimal>\n".
 * The bytes are copied. They return the writer's sticky error (0 if none):
 * after an error, further puts do nothing. */
int kvfile_put(kvfile_writer *w, const char *key, size_t klen, const char *val, size_t vlen);
int kvfile_put_u64(kvfile_writer *w, const char *key, size_t klen, uint64_t v);
/* kvfile_put_raw writes len bytes as they are (for lines already formatted). */
int kvfile_put_raw(kvfile_writer *w, const char *data, size_t len);
/* kvfile_writer_flush: writes out the buffer; returns the sticky error. */
int kvfile_writer_flush(kvfile_writer *w);
/* kvfile_writer_close: flushes, closes and renames the temporary file to its
 * final name. On any error (this one or an earlier put's) the temporary file
 * is removed, no final file appears, and the error is returned. Frees the
 * writer's memory either way. */
int kvfile_writer_close(kvfile_writer *w);
/* kvfile_writer_abort: drops everything written, removes the temporary file. */
void kvfile_writer_abort(kvfile_writer *w);

typedef struct kvfile_reader {
	int fd;           /* -1 when reading memory */
	char *buf;        /* owned in file mode; the caller's data in memory mode */
	size_t cap;       /* allocated size of buf (file mode) */
	size_t pos, end;  /* unread bytes are buf[pos, end) */
	bool eof;         /* nothing more to read into buf */
	int err;          /* first error, sticky */
	uint64_t records; /* records returned */
} kvfile_reader;

/* kvfile_reader_open: reads the file at path; MOSAIC_ENOENT if absent. */
int kvfile_reader_open(kvfile_reader *r, const char *path);
/* kvfile_reader_init_mem: walks len bytes at data, which the caller keeps
 * alive and unchanged until the reader is closed. */
void kvfile_reader_init_mem(kvfile_reader *r, const void *data, size_t len);
/* kvfile_next: the next record, true; false at the end or on an error (see
 * kvfile_reader_error). rec points into the reader's buffer (or the caller's
 * memory) and stays valid until the next call on this reader. */
bool kvfile_next(kvfile_reader *r, kvrec *rec);
/* kvfile_next_line: as kvfile_next, the line without its '\n', unparsed. */
bool kvfile_next_line(kvfile_reader *r, const char **line, size_t *len);
/* kvfile_reader_error: the first error met (0 when the end was reached). */
int kvfile_reader_error(const kvfile_reader *r);
/* kvfile_reader_close: closes the file and frees the reader's buffer;
 * idempotent. */
void kvfile_reader_close(kvfile_reader *r);

#endif
