#include "codec.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "mem.h"

Mosaic__Resources *
codec_res_to_pb(codec_res *pb, const mosaic_resources *r)
{
	mosaic__resources__init(&pb->msg);
	pb->msg.has_cpus = r->cpus > 0;
	pb->msg.cpus = r->cpus;
	pb->msg.has_mem = r->mem > 0;
	pb->msg.mem = r->mem;
	pb->msg.has_disk = r->disk > 0;
	pb->msg.disk = r->disk;
	pb->msg.has_gpus = r->gpus > 0;
	pb->msg.gpus = r->gpus;
	for (uint32_t i = 0; i < r->nports; i++) {
		mosaic__range__init(&pb->ranges[i]);
		pb->ranges[i].begin = r->ports[i].begin;
		pb->ranges[i].end = r->ports[i].end;
		pb->range_ptrs[i] = &pb->ranges[i];
	}
	pb->msg.n_ports = r->nports;
	pb->msg.ports = r->nports ? pb->range_ptrs : NULL;
	return &pb->msg;
}

static int
scalar_ok(double v)
{
	return isfinite(v) && v >= 0;
}

int
codec_res_from_pb(mosaic_resources *r, const Mosaic__Resources *pb)
{
	res_clear(r);
	if (!pb)
		return MOSAIC_OK;
	if (!scalar_ok(pb->cpus) || !scalar_ok(pb->mem) || !scalar_ok(pb->disk) || !scalar_ok(pb->gpus))
		return MOSAIC_EINVAL;
	r->cpus = pb->has_cpus ? pb->cpus : 0;
	r->mem = pb->has_mem ? pb->mem : 0;
	r->disk = pb->has_disk ? pb->disk : 0;
	r->gpus = pb->has_gpus ? pb->gpus : 0;
	if (pb->n_ports > MOSAIC_MAX_PORT_RANGES)
		return MOSAIC_EINVAL;
	for (size_t i = 0; i < pb->n_ports; i++) {
		const Mosaic__Range *g = pb->ports[i];
		if (g->begin > g->end || g->end > 65535)
			return MOSAIC_EINVAL;
		mosaic_resources one;
		res_clear(&one);
		one.nports = 1;
		one.ports[0].begin = (uint32_t)g->begin;
		one.ports[0].end = (uint32_t)g->end;
		if (res_add(r, &one) != 0)
			return MOSAIC_EINVAL;
	}
	return MOSAIC_OK;
}

Mosaic__Resources *
codec_res_new_pb(const mosaic_resources *r)
{
	codec_res tmp;
	codec_res_to_pb(&tmp, r);
	Mosaic__Resources *pb = xmalloc(sizeof(*pb));
	*pb = tmp.msg;
	if (r->nports) {
		pb->ports = xmalloc(r->nports * sizeof(Mosaic__Range *));
		for (uint32_t i = 0; i < r->nports; i++) {
			pb->ports[i] = xmalloc(sizeof(Mosaic__Range));
			*pb->ports[i] = tmp.ranges[i];
		}
	}
	return pb;
}

void
codec_res_free(Mosaic__Resources *pb)
{
	if (!pb)
		return;
	for (size_t i = 0; i < pb->n_ports; i++)
		free(pb->ports[i]);
	free(pb->ports);
	free(pb);
}

const char *
codec_task_state_name(int state)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&mosaic__task_state__descriptor, state);
	return v ? v->name : "TASK_UNKNOWN";
}

int
codec_task_state_terminal(int s)
{
	return s == MOSAIC__TASK_STATE__TASK_FINISHED || s == MOSAIC__TASK_STATE__TASK_FAILED ||
	    s == MOSAIC__TASK_STATE__TASK_KILLED || s == MOSAIC__TASK_STATE__TASK_ERROR ||
	    s == MOSAIC__TASK_STATE__TASK_LOST || s == MOSAIC__TASK_STATE__TASK_DROPPED ||
	    s == MOSAIC__TASK_STATE__TASK_GONE;
}

void
codec_res_json(json_writer *w, const char *key, const mosaic_resources *r)
{
	json_key(w, key);
	json_object_begin(w);
	json_kv_number(w, "cpus", r->cpus);
	json_kv_number(w, "mem", r->mem);
	json_kv_number(w, "disk", r->disk);
	json_kv_number(w, "gpus", r->gpus);
	json_key(w, "ports");
	json_array_begin(w);
	for (uint32_t i = 0; i < r->nports; i++) {
		json_array_begin(w);
		json_int(w, r->ports[i].begin);
		json_int(w, r->ports[i].end);
		json_array_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}
