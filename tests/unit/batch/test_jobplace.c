/* test_jobplace.c - topology options into whole cores, a layout and the
 * agent's placement, with the job's cpus grown to what the layout binds. */
#include <string.h>

#include "check.h"
#include "jobplace.h"

static void
spec(batch_job_spec *s, uint32_t cpus, batch_cpu_bind cb, batch_mem_bind mb, uint32_t sockets, uint32_t cps)
{
	directives_spec_init(s);
	s->cpus_per_task = cpus;
	s->cpu_bind = cb;
	s->mem_bind = mb;
	s->sockets_per_node = sockets;
	s->cores_per_socket = cps;
}

int
main(void)
{
	batch_job_spec s;
	jobplace p;

	spec(&s, 3, BATCH_CPU_BIND_DEFAULT, BATCH_MEM_BIND_DEFAULT, 0, 0);
	jobplace_from_spec(&p, &s);
	CHECK(!p.whole_cores && p.placement.kind == MOSAIC_SCHED_PLACE_NONE && p.cpus == 3);
	CHECK(strcmp(p.text, "none") == 0);

	spec(&s, 3, BATCH_CPU_BIND_NONE, BATCH_MEM_BIND_NONE, 0, 0);
	jobplace_from_spec(&p, &s);
	CHECK(!p.whole_cores && p.placement.kind == MOSAIC_SCHED_PLACE_NONE);

	spec(&s, 4, BATCH_CPU_BIND_CORES, BATCH_MEM_BIND_DEFAULT, 0, 0);
	jobplace_from_spec(&p, &s);
	CHECK(p.whole_cores && p.placement.kind == MOSAIC_SCHED_PLACE_PACK && p.placement.cores == 4);
	CHECK(p.placement.sockets == 0 && p.placement.cores_per_socket == 0 && !p.placement.mem_bind);
	CHECK(strcmp(p.text, "pack 4 cores") == 0);

	spec(&s, 4, BATCH_CPU_BIND_SOCKETS, BATCH_MEM_BIND_DEFAULT, 0, 0);
	jobplace_from_spec(&p, &s);
	CHECK(p.placement.kind == MOSAIC_SCHED_PLACE_SPREAD && p.placement.cores == 4);

	spec(&s, 2, BATCH_CPU_BIND_DEFAULT, BATCH_MEM_BIND_LOCAL, 0, 0);
	jobplace_from_spec(&p, &s);
	CHECK(p.whole_cores && p.placement.kind == MOSAIC_SCHED_PLACE_NUMA && p.placement.mem_bind);
	CHECK(strcmp(p.text, "numa 2 cores, memory local") == 0);

	spec(&s, 2, BATCH_CPU_BIND_CORES, BATCH_MEM_BIND_LOCAL, 0, 0);
	jobplace_from_spec(&p, &s);
	CHECK(p.placement.kind == MOSAIC_SCHED_PLACE_PACK && p.placement.mem_bind);

	/* S x C: the product, and the job's cpus grow to it. */
	spec(&s, 1, BATCH_CPU_BIND_DEFAULT, BATCH_MEM_BIND_DEFAULT, 2, 3);
	jobplace_from_spec(&p, &s);
	CHECK(p.whole_cores && p.sockets == 2 && p.cores_per_socket == 3);
	CHECK(p.placement.cores == 6 && p.placement.sockets == 2 && p.placement.cores_per_socket == 3);
	CHECK(p.cpus == 6);
	CHECK(strcmp(p.text, "pack 6 cores (2 sockets x 3)") == 0);

	/* Only C: as many sockets as the cpus need. */
	spec(&s, 5, BATCH_CPU_BIND_DEFAULT, BATCH_MEM_BIND_DEFAULT, 0, 2);
	jobplace_from_spec(&p, &s);
	CHECK(p.sockets == 3 && p.cores_per_socket == 2 && p.placement.cores == 6 && p.cpus == 6);

	/* Only S: the cpus spread evenly, rounded up per socket. */
	spec(&s, 5, BATCH_CPU_BIND_DEFAULT, BATCH_MEM_BIND_DEFAULT, 2, 0);
	jobplace_from_spec(&p, &s);
	CHECK(p.sockets == 2 && p.cores_per_socket == 3 && p.placement.cores == 6);

	/* C too small for the cpus: C grows. */
	spec(&s, 8, BATCH_CPU_BIND_DEFAULT, BATCH_MEM_BIND_DEFAULT, 2, 1);
	jobplace_from_spec(&p, &s);
	CHECK(p.sockets == 2 && p.cores_per_socket == 4 && p.placement.cores == 8 && p.cpus == 8);
	return check_done();
}
