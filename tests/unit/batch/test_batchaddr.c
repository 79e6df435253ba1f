/* test_batchaddr.c - where `mbatch` looks for mbatchd: an explicit address,
 * $MBATCH_ADDRESS, else the master's port + 1010 (- 1010 near the top). */
#include <string.h>

#include "batchaddr.h"
#include "check.h"

static void
expect(const char *explicit_addr, const char *env, const char *master, const char *want)
{
	char out[BATCHADDR_MAX];
	CHECK_OK(batchaddr_resolve(explicit_addr, env, master, out, sizeof(out)));
	CHECK(strcmp(out, want) == 0);
	if (strcmp(out, want) != 0)
		fprintf(stderr, "  got %s, want %s\n", out, want);
}

int
main(void)
{
	expect(NULL, NULL, NULL, "tcp://127.0.0.1:6060");
	expect(NULL, "", "", "tcp://127.0.0.1:6060");
	expect(NULL, NULL, "tcp://127.0.0.1:5050", "tcp://127.0.0.1:6060");
	expect(NULL, NULL, "tcp://127.0.0.1:27150", "tcp://127.0.0.1:28160");
	expect(NULL, NULL, "tcp://10.0.0.5:65000", "tcp://127.0.0.1:63990");
	expect(NULL, "tcp://127.0.0.1:7000", "tcp://127.0.0.1:5050", "tcp://127.0.0.1:7000");
	expect("tcp://127.0.0.1:7001", "tcp://127.0.0.1:7000", NULL, "tcp://127.0.0.1:7001");
	char out[BATCHADDR_MAX];
	CHECK(batchaddr_resolve(NULL, NULL, "tcp://127.0.0.1", out, sizeof(out)) == MOSAIC_EINVAL);
	CHECK(batchaddr_resolve(NULL, NULL, "tcp://127.0.0.1:0", out, sizeof(out)) == MOSAIC_EINVAL);
	CHECK(batchaddr_resolve(NULL, NULL, "tcp://127.0.0.1:99999", out, sizeof(out)) == MOSAIC_EINVAL);
	CHECK(batchaddr_derive("tcp://h:x", out, sizeof(out)) == MOSAIC_EINVAL);
	return check_done();
}
