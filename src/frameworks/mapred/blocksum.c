#include "blocksum.h"

#include <string.h>

#include "errors.h"

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t
rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/* Little-endian loads; compilers turn them into one load on x86. */
static inline uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static inline uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
round1(uint64_t acc, uint64_t in)
{
	acc += in * P2;
	acc = rotl(acc, 31);
	return acc * P1;
}

static inline uint64_t
merge1(uint64_t acc, uint64_t v)
{
	acc ^= round1(0, v);
	return acc * P1 + P4;
}

static void
stripes(uint64_t v[4], const unsigned char *p, size_t n)
{
	uint64_t a = v[0], b = v[1], c = v[2], d = v[3];
	for (size_t i = 0; i + 32 <= n; i += 32) {
		a = round1(a, le64(p + i));
		b = round1(b, le64(p + i + 8));
		c = round1(c, le64(p + i + 16));
		d = round1(d, le64(p + i + 24));
	}
	v[0] = a, v[1] = b, v[2] = c, v[3] = d;
}

void
blocksum_init(blocksum *b)
{
	memset(b, 0, sizeof(*b));
	b->v[0] = P1 + P2;
	b->v[1] = P2;
	b->v[2] = 0;
	b->v[3] = (uint64_t)0 - P1;
}

void
blocksum_update(blocksum *b, const void *data, size_t len)
{
	const unsigned char *p = data;
	b->total += len;
	if (b->nbuf) {
		size_t take = 32 - b->nbuf < len ? 32 - b->nbuf : len;
		memcpy(b->buf + b->nbuf, p, take);
		b->nbuf += take;
		p += take;
		len -= take;
		if (b->nbuf < 32)
			return;
		stripes(b->v, b->buf, 32);
		b->nbuf = 0;
	}
	size_t whole = len & ~(size_t)31;
	stripes(b->v, p, whole);
	memcpy(b->buf, p + whole, len - whole);
	b->nbuf = len - whole;
}

uint64_t
blocksum_final(const blocksum *b)
{
	uint64_t h;
	if (b->total >= 32) {
		h = rotl(b->v[0], 1) + rotl(b->v[1], 7) + rotl(b->v[2], 12) + rotl(b->v[3], 18);
		for (int i = 0; i < 4; i++)
			h = merge1(h, b->v[i]);
	} else {
		h = P5;
	}
	h += b->total;
	const unsigned char *p = b->buf;
	size_t n = b->nbuf;
	for (; n >= 8; p += 8, n -= 8) {
		h ^= round1(0, le64(p));
		h = rotl(h, 27) * P1 + P4;
	}
	if (n >= 4) {
		h ^= (uint64_t)le32(p) * P1;
		h = rotl(h, 23) * P2 + P3;
		p += 4;
		n -= 4;
	}
	for (; n; p++, n--) {
		h ^= (uint64_t)*p * P5;
		h = rotl(h, 11) * P1;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

uint64_t
blocksum_of(const void *data, size_t len)
{
	blocksum b;
	blocksum_init(&b);
	blocksum_update(&b, data, len);
	return blocksum_final(&b);
}

void
blocksum_hex(uint64_t sum, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--, sum >>= 4)
		out[i] = digits[sum & 15];
	out[16] = '\0';
}

int
blocksum_parse(const char *hex, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	for (; hex && hex[i]; i++) {
		char c = hex[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
		        : c >= 'a' && c <= 'f' ? c - 'a' + 10
		        : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                               : -1;
		if (d < 0 || i >= 16)
			return MOSAIC_EINVAL;
		v = v << 4 | (uint64_t)d;
	}
	if (i != 16)
		return MOSAIC_EINVAL;
	*out = v;
	return MOSAIC_OK;
}
