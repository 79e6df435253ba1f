/* Why a request can never fit the cluster, in words. */
#include <string.h>

#include "check.h"
#include "cli_fit.h"

static mosaic_resources
res(double cpus, double mem)
{
	mosaic_resources r;
	res_clear(&r);
	r.cpus = cpus;
	r.mem = mem;
	return r;
}

int
main(void)
{
	char buf[512];
	mosaic_resources agents[] = {res(4, 2048), res(2, 8192)};
	mosaic_resources want = res(1, 128);
	CHECK(!cli_fit_explain(agents, 2, &want, buf, sizeof(buf)));
	want = res(4, 2048);
	CHECK(!cli_fit_explain(agents, 2, &want, buf, sizeof(buf)));

	want = res(64, 128);
	CHECK(cli_fit_explain(agents, 2, &want, buf, sizeof(buf)));
	CHECK(strcmp(buf, "no agent can offer cpus:64 \xe2\x80\x94 the largest agent has cpus:4") == 0);

	want = res(64, 99999);
	CHECK(cli_fit_explain(agents, 2, &want, buf, sizeof(buf)));
	CHECK(strstr(buf, "cpus:64;mem:99999") && strstr(buf, "cpus:4;mem:8192"));

	/* Each dimension fits somewhere, never both on one agent. */
	want = res(4, 4096);
	CHECK(cli_fit_explain(agents, 2, &want, buf, sizeof(buf)));
	CHECK(strstr(buf, "no single agent can offer cpus:4;mem:4096") != NULL);
	CHECK(strstr(buf, "cpus:4;mem:2048, cpus:2;mem:8192") != NULL);

	/* Disk nobody has. */
	want = res(1, 1);
	want.disk = 10;
	CHECK(cli_fit_explain(agents, 2, &want, buf, sizeof(buf)));
	CHECK(strstr(buf, "disk:10") && strstr(buf, "has none"));
	return check_done();
}
