#include "jobplace.h"

#include <stdio.h>
#include <string.h>

void
jobplace_from_spec(jobplace *out, const batch_job_spec *s)
{
	memset(out, 0, sizeof(*out));
	uint32_t cpus = directives_spec_cpus(s);
	out->cpus = cpus;
	bool layout = s->cores_per_socket > 0 || s->sockets_per_node > 0;
	bool mem_local = s->mem_bind == BATCH_MEM_BIND_LOCAL;
	bool cpu_kind = s->cpu_bind == BATCH_CPU_BIND_CORES || s->cpu_bind == BATCH_CPU_BIND_SOCKETS;
	if (!layout && !mem_local && !cpu_kind) {
		snprintf(out->text, sizeof(out->text), "none");
		return;
	}
	out->whole_cores = true;
	unsigned need = cpus < 1 ? 1 : cpus;
	mosaic_sched_placement *pl = &out->placement;
	pl->cores = need;
	pl->mem_bind = mem_local;
	if (layout) {
		/* The same arithmetic as backfill's cores_fit, so that what the
		 * scheduler found free is what the agent is asked for. */
		unsigned S = s->sockets_per_node, C = s->cores_per_socket;
		if (S == 0)
			S = (need + C - 1) / C;
		if (S == 0)
			S = 1;
		if (C == 0 || (unsigned long long)C * S < need)
			C = (need + S - 1) / S;
		out->sockets = S;
		out->cores_per_socket = C;
		pl->sockets = S;
		pl->cores_per_socket = C;
		pl->cores = S * C;
		if (out->cpus < pl->cores)
			out->cpus = pl->cores;
	}
	if (s->cpu_bind == BATCH_CPU_BIND_SOCKETS)
		pl->kind = MOSAIC_SCHED_PLACE_SPREAD;
	else if (mem_local && !layout && s->cpu_bind != BATCH_CPU_BIND_CORES)
		pl->kind = MOSAIC_SCHED_PLACE_NUMA;
	else
		pl->kind = MOSAIC_SCHED_PLACE_PACK;
	static const char *const kinds[] = {"none", "pack", "spread", "numa"};
	int n = snprintf(out->text, sizeof(out->text), "%s %u core%s", kinds[pl->kind], pl->cores,
	                 pl->cores == 1 ? "" : "s");
	if (layout && n > 0 && (size_t)n < sizeof(out->text))
		n += snprintf(out->text + n, sizeof(out->text) - (size_t)n, " (%u socket%s x %u)",
		              pl->sockets, pl->sockets == 1 ? "" : "s", pl->cores_per_socket);
	if (mem_local && n > 0 && (size_t)n < sizeof(out->text))
		snprintf(out->text + n, sizeof(out->text) - (size_t)n, ", memory local");
}
