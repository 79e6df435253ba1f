/* test_mpibind.c - ranks' slices of their task's cores: plain cores,
 * hyperthreads kept together, two packages and socket binding, more
 * ranks than cores (wrapping), unsorted input, and the PU list format. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mpibind.h"

static const char *
slice(const mpibind_pu *p, size_t n, unsigned local, unsigned nlocal, unsigned cpr, mpibind_mode m)
{
	static char buf[256];
	int out[64];
	size_t k = mpibind_slice(p, n, local, nlocal, cpr, m, out);
	return mpibind_format(out, k, buf, sizeof(buf));
}

int
main(void)
{
	/* Four plain cores 4-7, given unsorted. */
	mpibind_pu plain[] = {{6, 0, 2}, {4, 0, 0}, {7, 0, 3}, {5, 0, 1}};
	CHECK(strcmp(slice(plain, 4, 0, 4, 1, MPIBIND_CORE), "4") == 0);
	CHECK(strcmp(slice(plain, 4, 3, 4, 1, MPIBIND_CORE), "7") == 0);
	CHECK(strcmp(slice(plain, 4, 1, 2, 2, MPIBIND_CORE), "6-7") == 0);
	CHECK(strcmp(slice(plain, 4, 0, 4, 1, MPIBIND_NONE), "") == 0);
	/* More ranks than cores: wrap round rather than fail. */
	CHECK(strcmp(slice(plain, 4, 5, 6, 1, MPIBIND_CORE), "5") == 0);

	/* Two cores with hyperthreads: core 0 = PUs 0,8; core 1 = PUs 1,9. */
	mpibind_pu ht[] = {{0, 0, 0}, {1, 0, 1}, {8, 0, 0}, {9, 0, 1}};
	CHECK(strcmp(slice(ht, 4, 0, 2, 1, MPIBIND_CORE), "0,8") == 0);
	CHECK(strcmp(slice(ht, 4, 1, 2, 1, MPIBIND_CORE), "1,9") == 0);

	/* Two packages of two cores: socket binding widens to the package. */
	mpibind_pu two[] = {{0, 0, 0}, {1, 0, 1}, {2, 1, 0}, {3, 1, 1}};
	CHECK(strcmp(slice(two, 4, 2, 4, 1, MPIBIND_CORE), "2") == 0);
	CHECK(strcmp(slice(two, 4, 2, 4, 1, MPIBIND_SOCKET), "2-3") == 0);
	CHECK(strcmp(slice(two, 4, 0, 4, 1, MPIBIND_SOCKET), "0-1") == 0);
	/* A rank of two cores straddling the packages gets both packages. */
	mpibind_pu three[] = {{0, 0, 0}, {1, 0, 1}, {2, 1, 0}};
	CHECK(strcmp(slice(three, 3, 0, 1, 3, MPIBIND_SOCKET), "0-2") == 0);

	/* Unknown core ids: every PU is a core. */
	mpibind_pu unk[] = {{3, -1, -1}, {2, -1, -1}};
	CHECK(strcmp(slice(unk, 2, 0, 2, 1, MPIBIND_CORE), "2") == 0);
	CHECK(strcmp(slice(unk, 2, 1, 2, 1, MPIBIND_CORE), "3") == 0);

	char buf[64];
	int pus[] = {0, 1, 2, 3, 8, 10, 11};
	CHECK(strcmp(mpibind_format(pus, 7, buf, sizeof(buf)), "0-3,8,10-11") == 0);
	CHECK(strcmp(mpibind_format(pus, 0, buf, sizeof(buf)), "") == 0);
	CHECK(mpibind_parse_mode("core") == MPIBIND_CORE && mpibind_parse_mode("socket") == MPIBIND_SOCKET &&
	      mpibind_parse_mode("none") == MPIBIND_NONE && mpibind_parse_mode("hwthread") == -1);

	/* This process: its own mask, read back. */
	mpibind_pu *self;
	size_t n = mpibind_self(&self);
	CHECK(n >= 1);
	free(self);
	return check_done();
}
