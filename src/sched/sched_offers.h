/* sched_offers.h - the offers a framework holds: outstanding from the
 * moment the master sends them until they are accepted, declined or
 * rescinded. Launches are checked against it (a gone offer is an error
 * before anything is sent, not a TASK_ERROR later).
 *
 * Pure. A framework holds at most about one offer per agent, so a flat
 * array is enough; lookups are linear in the number held. */
#ifndef MOSAIC_SCHED_OFFERS_H
#define MOSAIC_SCHED_OFFERS_H

#include <stdbool.h>
#include <stddef.h>

#include "resources.h"

typedef struct sched_offer_entry {
	char *id;
	char *agent_id;
	mosaic_resources resources;
} sched_offer_entry;

typedef struct sched_offers {
	sched_offer_entry *v;
	size_t n, cap;
} sched_offers;

void sched_offers_init(sched_offers *o);
void sched_offers_fini(sched_offers *o);

/* sched_offers_add copies id and agent_id; an id already held is replaced. */
void sched_offers_add(sched_offers *o, const char *id, const char *agent_id, const mosaic_resources *res);
/* sched_offers_find: the entry (valid until the next change), or NULL. */
const sched_offer_entry *sched_offers_find(const sched_offers *o, const char *id);
/* sched_offers_remove: false if id was not held. */
bool sched_offers_remove(sched_offers *o, const char *id);
size_t sched_offers_count(const sched_offers *o);

/* sched_offers_drain removes every offer (of agent_id only, when not
 * NULL), calling fn with each id before it is freed. */
void sched_offers_drain(sched_offers *o, const char *agent_id, void (*fn)(void *arg, const char *id),
                        void *arg);

#endif
