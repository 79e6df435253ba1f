/* sched_codec.h - the boundary between the wire types (protobuf-c) and
 * the public types of mosaic/sched.h. Wire types go no further than this
 * module and the message handlers that call it. */
#ifndef MOSAIC_SCHED_CODEC_H
#define MOSAIC_SCHED_CODEC_H

#include <stddef.h>

#include "codec.h"
#include "mosaic/sched.h"
#include "mosaic.pb-c.h"
#include "resources.h"
#include "scheduler.pb-c.h"

void sched_codec_res_in(mosaic_resources *out, const mosaic_sched_resources *in);
void sched_codec_res_out(mosaic_sched_resources *out, const mosaic_resources *in);

/* The public view of an Offers message. Strings and arrays point into the
 * message, so the batch lives no longer than it. n may be smaller than the
 * message's count: offers with invalid resources are skipped (and logged). */
typedef struct sched_offer_batch {
	mosaic_sched_offer *offers;
	mosaic_resources *res; /* internal form of each offer's resources */
	size_t n;
	mosaic_sched_attribute *attrs; /* storage for every offer's attributes */
} sched_offer_batch;

void sched_codec_offers(sched_offer_batch *out, const Mosaic__Offers *pb);
void sched_offer_batch_fini(sched_offer_batch *b);

/* The public view of a TaskStatus; strings point into pb. uuid_hex needs
 * 2 * SCHED_DEDUP_UUID_MAX + 1 bytes. */
void sched_codec_status(mosaic_sched_status *out, const Mosaic__TaskStatus *pb, char *uuid_hex);

/* A TaskInfo built from a public task spec, with the storage its parts
 * need. Strings point at the caller's: the spec must outlive the packing. */
typedef struct sched_task_pb {
	Mosaic__TaskInfo info;
	Mosaic__CommandInfo cmd;
	Mosaic__Placement placement;
	codec_res res;
	Mosaic__EnvVar *env;
	Mosaic__EnvVar **envp;
	char **env_names;
	size_t nenv;
	Mosaic__Attribute *labels;
	Mosaic__Attribute **labelp;
	char **args;
} sched_task_pb;

/* sched_codec_task checks t and builds out. MOSAIC_EINVAL with a message
 * in err for an invalid spec (out then needs no fini). */
int sched_codec_task(sched_task_pb *out, const mosaic_sched_task *t, char *err, size_t errlen);
void sched_codec_task_fini(sched_task_pb *p);

/* Parse 2n hex characters into bytes; returns the byte count, or -1 if not hex. */
int sched_codec_hex_decode(const char *hex, uint8_t *out, size_t max);

#endif
