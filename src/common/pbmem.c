/* pbmem.c - an arena allocator for protobuf-c messages (see pbmem.h). */
#include "pbmem.h"

#include <stdio.h>
#include <stdlib.h>

#include "mem.h"

#define ALIGN 16u
#define ROUND(n) (((n) + (ALIGN - 1)) & ~(size_t)(ALIGN - 1))
#define MIN_CHUNK 256u
#define MAX_FIRST (64u << 10) /* later chunks double from here */

typedef struct chunk {
	struct chunk *next;
	size_t cap, used;
} chunk;

struct pbmem {
	ProtobufCAllocator pa;
	chunk *head;     /* the chunk allocations come from; older ones follow */
	size_t next_cap; /* the size of the chunk after it */
	size_t total;
};

#define HDR ROUND(sizeof(chunk))

static unsigned char *
chunk_data(chunk *c)
{
	return (unsigned char *)c + HDR;
}

static chunk *
chunk_new(pbmem *a, size_t cap)
{
	chunk *c = xmalloc(HDR + cap);
	c->cap = cap;
	c->used = 0;
	c->next = a->head;
	a->head = c;
	a->total += HDR + cap;
	return c;
}

static void *
arena_alloc(void *data, size_t size)
{
	pbmem *a = data;
	size = ROUND(size ? size : 1);
	chunk *c = a->head;
	if (c->cap - c->used < size) {
		size_t cap = a->next_cap > size ? a->next_cap : ROUND(size);
		c = chunk_new(a, cap);
		if (a->next_cap < SIZE_MAX / 4)
			a->next_cap *= 2;
	}
	void *p = chunk_data(c) + c->used;
	c->used += size;
	return p;
}

/* Parts go with the arena, never one by one. */
static void
arena_free(void *data, void *p)
{
	(void)data;
	(void)p;
}

pbmem *
pbmem_new(size_t hint)
{
	size_t cap = hint < MIN_CHUNK ? MIN_CHUNK : hint > MAX_FIRST ? MAX_FIRST : ROUND(hint);
	pbmem *a = xcalloc(1, sizeof(*a));
	a->pa.alloc = arena_alloc;
	a->pa.free = arena_free;
	a->pa.allocator_data = a;
	a->next_cap = cap * 2;
	chunk_new(a, cap);
	return a;
}

void
pbmem_free(pbmem *a)
{
	if (!a)
		return;
	for (chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

ProtobufCAllocator *
pbmem_allocator(pbmem *a)
{
	return &a->pa;
}

size_t
pbmem_size(const pbmem *a)
{
	return a ? sizeof(*a) + a->total : 0;
}

/* An unpacked message takes about four times its packed bytes when it
 * is mostly short strings (a pointer, a 24-byte header and a rounded
 * copy for each). */
ProtobufCMessage *
pbmem_unpack(const ProtobufCMessageDescriptor *d, size_t len, const uint8_t *buf, pbmem **mem)
{
	pbmem *a = pbmem_new(len < SIZE_MAX / 8 ? 4 * len + d->sizeof_message : MAX_FIRST);
	ProtobufCMessage *m = protobuf_c_message_unpack(d, &a->pa, len, buf);
	if (!m) {
		pbmem_free(a);
		a = NULL;
	}
	*mem = a;
	return m;
}

ProtobufCMessage *
pbmem_copy(const ProtobufCMessage *m, pbmem **mem)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t stackbuf[4096];
	uint8_t *buf = len <= sizeof(stackbuf) ? stackbuf : xmalloc(len);
	protobuf_c_message_pack(m, buf);
	ProtobufCMessage *copy = pbmem_unpack(m->descriptor, len, buf, mem);
	if (buf != stackbuf)
		free(buf);
	if (!copy) {
		fprintf(stderr, "cannot copy a %s\n", m->descriptor->name);
		abort();
	}
	return copy;
}
