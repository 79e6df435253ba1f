/* mpiout.h - the ranks' output as mmpirun prints it.
 *
 * Output arrives in chunks from many ranks at once; printed as it comes,
 * a line of one rank would be cut by another's. So each (rank, stream)
 * keeps its partial line until the newline (or MPIOUT_LINE_MAX bytes, or
 * the rank's end), and whole lines go out in one write, prefixed with
 * "[rank] " under --tag-output. OpenMPI's own tags ("[1,3]<stdout>:") are
 * read back into the same form, so both launchers print alike.
 *
 * Writes are blocking writes to the two descriptors given. Not
 * thread-safe; no globals. */
#ifndef MOSAIC_MPI_MPIOUT_H
#define MOSAIC_MPI_MPIOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MPIOUT_LINE_MAX (64u << 10)
#define MPIOUT_NO_RANK UINT32_MAX /* output of no rank in particular: never tagged */

typedef struct mpiout mpiout;

/* mpiout_new: nranks ranks (0..nranks-1), lines to out_fd (stream 1) and
 * err_fd (stream 2). The caller owns the result (mpiout_free, which
 * flushes partial lines first). */
mpiout *mpiout_new(unsigned nranks, int out_fd, int err_fd, bool tag);
void mpiout_free(mpiout *o);

/* mpiout_write: len bytes of rank's stream (1 stdout, 2 stderr). A rank
 * out of range counts as MPIOUT_NO_RANK. */
void mpiout_write(mpiout *o, uint32_t rank, int stream, const void *data, size_t len);
/* mpiout_flush_rank writes a rank's partial lines as they are. */
void mpiout_flush_rank(mpiout *o, uint32_t rank);
void mpiout_flush_all(mpiout *o);

/* mpiout_openmpi_tag parses OpenMPI's --tag-output prefix at the start of
 * line ("[JOB,RANK]<stdout>:" or "<stderr>:"): true with the rank, the
 * stream and the length of the prefix. */
bool mpiout_openmpi_tag(const char *line, size_t len, uint32_t *rank, int *stream, size_t *prefix);

/* mpiout_write_openmpi: a chunk of mpirun's own stdout or stderr (stream),
 * run with OpenMPI's --tag-output: tagged lines go to their rank, others
 * through as they are. */
void mpiout_write_openmpi(mpiout *o, int stream, const void *data, size_t len);

#endif
