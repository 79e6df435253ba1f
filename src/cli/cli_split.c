#include "cli_split.h"

#include <math.h>

#include "errors.h"

static void
ports_of(mosaic_resources *r, unsigned index, unsigned n)
{
	unsigned k = (CLI_SPLIT_PORT_END - CLI_SPLIT_PORT_BASE) / (n ? n : 1);
	if (k > CLI_SPLIT_PORTS)
		k = CLI_SPLIT_PORTS;
	r->nports = 1;
	r->ports[0].begin = CLI_SPLIT_PORT_BASE + k * index;
	r->ports[0].end = r->ports[0].begin + k - 1;
}

void
cli_split_agent(mosaic_resources *out, unsigned index, unsigned n, long online_cpus, double mem_total_mib,
                double disk_free_mib)
{
	res_clear(out);
	if (n == 0)
		n = 1;
	long cpus = online_cpus / (long)n;
	out->cpus = cpus < CLI_SPLIT_MIN_CPUS ? CLI_SPLIT_MIN_CPUS : (double)cpus;
	double mem = floor(mem_total_mib * 0.8 / n);
	out->mem = mem < CLI_SPLIT_MIN_MEM ? CLI_SPLIT_MIN_MEM : mem;
	double disk = floor(disk_free_mib / n);
	out->disk = disk < 0 ? 0 : disk > CLI_SPLIT_DISK_CAP ? CLI_SPLIT_DISK_CAP : disk;
	ports_of(out, index, n);
}

int
cli_split_given(mosaic_resources *out, const char *text, unsigned index, unsigned n, char *err,
                size_t errlen)
{
	int rv = res_parse(out, text, err, errlen);
	if (rv != 0)
		return rv;
	if (out->nports == 0)
		ports_of(out, index, n);
	return MOSAIC_OK;
}
