/* blocksum: XXH64's published values, the same sum however the bytes are
 * fed, and the hex form both ways. */
#include <stdlib.h>
#include <string.h>

#include "blocksum.h"
#include "check.h"

static void
test_known_values(void)
{
	/* XXH64 with seed 0, from the reference implementation's tests. */
	CHECK(blocksum_of("", 0) == 0xEF46DB3751D8E999ULL);
	CHECK(blocksum_of("a", 1) == 0xD24EC4F1A98C6E5BULL);
	CHECK(blocksum_of("abc", 3) == 0x44BC2CF5AD770999ULL);
}

static void
test_chunking(void)
{
	enum { N = 10000 };
	unsigned char *data = malloc(N);
	unsigned x = 12345;
	for (int i = 0; i < N; i++) {
		x = x * 1103515245u + 12345u;
		data[i] = (unsigned char)(x >> 16);
	}
	for (size_t len = 0; len < 300; len += 7) {
		uint64_t whole = blocksum_of(data, len);
		for (size_t step = 1; step < 70; step += 3) {
			blocksum b;
			blocksum_init(&b);
			for (size_t off = 0; off < len; off += step)
				blocksum_update(&b, data + off, len - off < step ? len - off : step);
			CHECK(blocksum_final(&b) == whole);
		}
	}
	uint64_t all = blocksum_of(data, N);
	blocksum b;
	blocksum_init(&b);
	blocksum_update(&b, data, 4097);
	CHECK(blocksum_final(&b) != all); /* a prefix differs */
	blocksum_update(&b, data + 4097, N - 4097);
	CHECK(blocksum_final(&b) == all);
	CHECK(blocksum_final(&b) == all); /* final leaves the state as it was */
	data[5000] ^= 1;
	CHECK(blocksum_of(data, N) != all); /* one bit flipped */
	free(data);
}

static void
test_hex(void)
{
	char hex[17];
	blocksum_hex(0x0123456789abcdefULL, hex);
	CHECK(strcmp(hex, "0123456789abcdef") == 0);
	uint64_t v = 0;
	CHECK(blocksum_parse(hex, &v) == 0 && v == 0x0123456789abcdefULL);
	CHECK(blocksum_parse("0123456789ABCDEF", &v) == 0 && v == 0x0123456789abcdefULL);
	v = 7;
	CHECK(blocksum_parse("0123456789abcde", &v) == MOSAIC_EINVAL && v == 7);
	CHECK(blocksum_parse("0123456789abcdef0", &v) == MOSAIC_EINVAL);
	CHECK(blocksum_parse("0123456789abcdeg", &v) == MOSAIC_EINVAL);
	CHECK(blocksum_parse("", &v) == MOSAIC_EINVAL);
	CHECK(blocksum_parse(NULL, &v) == MOSAIC_EINVAL);
}

int
main(void)
{
	test_known_values();
	test_chunking();
	test_hex();
	return check_done();
}
