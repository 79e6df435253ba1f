/* codec.h - conversions between wire types (protobuf-c) and domain types
 * shared by every daemon. */
#ifndef MOSAIC_CODEC_H
#define MOSAIC_CODEC_H

#include "mosaic.pb-c.h"
#include "json.h"
#include "resources.h"

/* A Mosaic__Resources with storage for its ranges, so it can live on the
 * stack: codec_res_to_pb fills it from r and returns &pb->msg. */
typedef struct codec_res {
	Mosaic__Resources msg;
	Mosaic__Range ranges[MOSAIC_MAX_PORT_RANGES];
	Mosaic__Range *range_ptrs[MOSAIC_MAX_PORT_RANGES];
} codec_res;

Mosaic__Resources *codec_res_to_pb(codec_res *pb, const mosaic_resources *r);
/* codec_res_from_pb: MOSAIC_EINVAL for negative, non-finite or too many
 * port ranges (wire input is not trusted). NULL pb gives empty. */
int codec_res_from_pb(mosaic_resources *r, const Mosaic__Resources *pb);

/* A heap copy of a resources message (caller frees with codec_res_free). */
Mosaic__Resources *codec_res_new_pb(const mosaic_resources *r);
void codec_res_free(Mosaic__Resources *pb);

/* codec_res_json writes key: {"cpus":..,"mem":..,"disk":..,"gpus":..,
 * "ports":[[begin,end],...]} - the one JSON shape of resources. */
void codec_res_json(json_writer *w, const char *key, const mosaic_resources *r);

/* Task state names as Mesos spells them ("TASK_RUNNING"). */
const char *codec_task_state_name(int state);
/* Terminal states: FINISHED, FAILED, KILLED, ERROR, LOST, DROPPED, GONE. */
int codec_task_state_terminal(int state);

#endif
