/* The master's string map: put/find/del, growth, iteration with removal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "strmap.h"

#define N 5000

int
main(void)
{
	strmap m;
	strmap_init(&m);
	static char keys[N][16];
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		CHECK_OK(strmap_put(&m, keys[i], keys[i]));
	}
	CHECK(strmap_count(&m) == N);
	CHECK(strmap_put(&m, keys[7], NULL) == MOSAIC_EEXIST);
	CHECK(strmap_find(&m, "k4999") == keys[4999]);
	CHECK(strmap_find(&m, "nope") == NULL);
	CHECK(strmap_del(&m, "k10") == keys[10]);
	CHECK(strmap_del(&m, "k10") == NULL);
	CHECK(strmap_find(&m, "k10") == NULL);

	/* Remove every even entry while iterating. */
	strmap_iter it;
	strmap_iter_init(&it, &m);
	const char *k;
	int seen = 0;
	while (strmap_iter_next(&it, &k) != NULL) {
		seen++;
		if (atoi(k + 1) % 2 == 0)
			strmap_del(&m, k);
	}
	CHECK(seen == N - 1);
	CHECK(strmap_count(&m) == N / 2);
	CHECK(strmap_find(&m, "k11") == keys[11]);
	CHECK(strmap_find(&m, "k12") == NULL);
	strmap_fini(&m);

	strmap e;
	strmap_init(&e);
	strmap_iter_init(&it, &e);
	CHECK(strmap_iter_next(&it, NULL) == NULL);
	CHECK(strmap_del(&e, "x") == NULL);
	strmap_fini(&e);
	return check_done();
}
