/* pbmem.h - protobuf-c messages whose parts all live in one arena.
 *
 * A decoded message is many small allocations: a task's environment
 * alone is three per variable, some three hundred for a batch job.
 * malloc, free and protobuf-c's unpacking in the daemons took 14% of the
 * whole machine's CPU in the batch bench (perf; bench/batch/README.md,
 * run F). Here the parts come from a few chunks
 * (the first sized from the packed length, each next one twice the last)
 * and go with one pbmem_free.
 *
 * A message from pbmem_unpack or pbmem_copy must never be given to
 * protobuf_c_message_free_unpacked: free its arena instead. */
#ifndef MOSAIC_PBMEM_H
#define MOSAIC_PBMEM_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pbmem pbmem;

/* An empty arena whose first chunk holds about hint bytes. */
pbmem *pbmem_new(size_t hint);
/* Frees the arena and every message in it; NULL is allowed. */
void pbmem_free(pbmem *a);
/* protobuf-c's allocator for the arena, for protobuf_c_message_unpack. */
ProtobufCAllocator *pbmem_allocator(pbmem *a);
/* Bytes the arena has taken from malloc (its chunks). */
size_t pbmem_size(const pbmem *a);

/* buf[0..len) decoded as d, in a new arena (*mem, the caller's to
 * free); NULL (and *mem NULL) if it does not decode. */
ProtobufCMessage *pbmem_unpack(const ProtobufCMessageDescriptor *d, size_t len, const uint8_t *buf,
                               pbmem **mem);
/* A deep copy of m in a new arena (*mem). Aborts if the copy cannot be
 * made (m was built by us, so only memory exhaustion can do that). */
ProtobufCMessage *pbmem_copy(const ProtobufCMessage *m, pbmem **mem);

#endif
