#include <string.h>

#include "check.h"
#include "resources.h"

static void
test_parse_format(void)
{
	mosaic_resources r;
	char err[128], buf[256];
	CHECK_OK(res_parse(&r, "cpus:4;mem:2048;disk:10000;ports:[31000-32000]", err, sizeof(err)));
	CHECK_NEAR(r.cpus, 4, 1e-9);
	CHECK_NEAR(r.mem, 2048, 1e-9);
	CHECK_NEAR(r.disk, 10000, 1e-9);
	CHECK(r.nports == 1 && r.ports[0].begin == 31000 && r.ports[0].end == 32000);
	CHECK(strcmp(res_format(&r, buf, sizeof(buf)), "cpus:4;mem:2048;disk:10000;ports:[31000-32000]") == 0);

	CHECK(res_parse(&r, "cpus:x", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "cpus:x") != NULL);
	CHECK(res_parse(&r, "cpu:1", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "unknown resource 'cpu'") != NULL);
	CHECK(res_parse(&r, "cpus:-1", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(res_parse(&r, "ports:[5-3]", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(res_parse(&r, "ports:[1-70000]", err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK_OK(res_parse(&r, "", err, sizeof(err)));
	CHECK(res_is_empty(&r));
	CHECK(strcmp(res_format(&r, buf, sizeof(buf)), "{}") == 0);
}

static void
test_arith(void)
{
	mosaic_resources a, b;
	CHECK_OK(res_parse(&a, "cpus:4;mem:1024;ports:[100-200]", NULL, 0));
	CHECK_OK(res_parse(&b, "cpus:1.5;mem:24;ports:[150-160]", NULL, 0));
	CHECK(res_contains(&a, &b));
	CHECK_OK(res_sub(&a, &b));
	CHECK_NEAR(a.cpus, 2.5, 1e-9);
	CHECK(a.nports == 2 && a.ports[0].end == 149 && a.ports[1].begin == 161);
	CHECK(!res_contains(&a, &b));
	CHECK(res_sub(&a, &b) == MOSAIC_EINVAL);
	CHECK_OK(res_add(&a, &b));
	CHECK(a.nports == 1 && a.ports[0].begin == 100 && a.ports[0].end == 200);
	CHECK(res_port_count(&a) == 101);
	/* Subtracting everything leaves an empty vector, with no float dust. */
	mosaic_resources c = a;
	CHECK_OK(res_sub(&c, &a));
	CHECK(res_is_empty(&c));
	/* 0.1 added ten times and removed ten times is zero. */
	mosaic_resources d, tenth;
	res_clear(&d);
	res_clear(&tenth);
	tenth.cpus = 0.1;
	for (int i = 0; i < 10; i++)
		res_add(&d, &tenth);
	for (int i = 0; i < 10; i++)
		CHECK_OK(res_sub(&d, &tenth));
	CHECK(res_is_empty(&d));
}

int
main(void)
{
	test_parse_format();
	test_arith();
	return check_done();
}
