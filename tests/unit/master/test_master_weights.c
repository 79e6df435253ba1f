/* The --weights syntax and role names. */
#include <string.h>

#include "check.h"
#include "weights.h"

int
main(void)
{
	weights w;
	char err[256];
	CHECK_OK(weights_parse(&w, "batch=1,mpi=2", err, sizeof(err)));
	CHECK(w.count == 2);
	CHECK(strcmp(w.items[0].role, "batch") == 0 && w.items[0].weight == 1);
	CHECK(strcmp(w.items[1].role, "mpi") == 0 && w.items[1].weight == 2);
	weights_fini(&w);

	CHECK_OK(weights_parse(&w, " batch = 0.5 , *=3,mapred=1e1 ", err, sizeof(err)));
	CHECK(w.count == 3);
	CHECK(w.items[0].weight == 0.5 && strcmp(w.items[1].role, "*") == 0 && w.items[2].weight == 10);
	weights_fini(&w);

	CHECK_OK(weights_parse(&w, "", err, sizeof(err)));
	CHECK(w.count == 0);
	CHECK_OK(weights_parse(&w, NULL, err, sizeof(err)));
	CHECK(w.count == 0);

	CHECK(weights_parse(&w, "batch=x", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "'batch=x': weight must be a positive number") == 0);
	CHECK(w.count == 0 && w.items == NULL);
	CHECK(weights_parse(&w, "batch=1,mpi=0", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "'mpi=0': weight must be a positive number") == 0);
	CHECK(weights_parse(&w, "batch=-1", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(weights_parse(&w, "batch=inf", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(weights_parse(&w, "batch=1x", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(weights_parse(&w, "batch", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "ROLE=WEIGHT") != NULL);
	CHECK(weights_parse(&w, "a=1,,b=2", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(weights_parse(&w, "bad role=1", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "role must be") != NULL);
	CHECK(weights_parse(&w, "a=1,a=2", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "twice") != NULL);

	CHECK(weights_role_valid("*"));
	CHECK(weights_role_valid("batch.high-1"));
	CHECK(!weights_role_valid(""));
	CHECK(!weights_role_valid("../etc"));
	CHECK(!weights_role_valid(NULL));
	return check_done();
}
