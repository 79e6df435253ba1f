/* delay.h - delay scheduling of one job's map tasks (Zaharia et al., "Delay
 * scheduling", EuroSys 2010), as a pure policy: plain structs in, decisions
 * out, time passed in as `now` (seconds, any monotonic origin). No I/O, no
 * clock, no globals.
 *
 * Each pending map task names the agents holding a replica of its block
 * (and their racks, when agents carry a rack attribute). On an offer from an
 * agent the policy launches, in this order: tasks whose data is on that
 * agent (node-local), tasks whose data is in its rack (rack-local, once
 * allowed), tasks without any preference, then any task (off-rack, once
 * allowed). Never more than the offer's slots.
 *
 * The wait is counted in TIME, not in skipped offers (like Hadoop's fair
 * scheduler; offers in Mesos arrive at irregular rates, so a count of skips
 * means different delays on different clusters). With W = locality_wait:
 * the job may launch rack-local W seconds after its wait began, and
 * off-rack 2W after (W after, when no task names a rack). The wait begins
 * when the job starts, when tasks arrive to an empty job, and at each reset.
 *
 * A launch at a level less local than the job's current level moves the job
 * to that level and restarts the wait there. A launch at or above the
 * current locality resets the job to the level launched and restarts the
 * wait -- the paper's rule -- but only if no offer has been turned away for
 * locality since the wait began. That condition avoids the known pitfall of
 * the paper's rule (Spark's SPARK-18886): when tasks are shorter than W and
 * the data sits on few agents, those agents' own local launches would
 * restart the wait over and over, so idle agents elsewhere would never get a
 * task and the job would run on a few machines. Here an agent turned away
 * keeps the clock running, and gets work once the wait is over.
 * (delay_config.reset_on_local_launch restores the paper's rule, to compare.)
 *
 * Spread: with delay_config.spread and the number of agents known
 * (delay_set_agents), one offer takes at most ceil(pending / agents) tasks,
 * so a job's last waves are not piled onto the first agent that offers
 * while the others' offers are on their way. The framework should decline
 * what an offer did not use with a short refuse time.
 *
 * Task ids are the caller's small integers (a map's index in the job):
 * memory is O(largest id). Costs: delay_on_offer is O(pending x prefs),
 * the rest O(1) amortized. Not thread-safe. */
#ifndef MOSAIC_MAPRED_DELAY_H
#define MOSAIC_MAPRED_DELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DELAY_MAX_PREFS 8

typedef enum delay_level {
	DELAY_NODE_LOCAL = 0, /* the offering agent holds the task's block */
	DELAY_RACK_LOCAL = 1, /* an agent of the offering agent's rack holds it */
	DELAY_OFF_RACK = 2,   /* neither */
	DELAY_NO_PREF = 3,    /* a launch of a task naming no agent (never waits) */
} delay_level;

typedef struct delay_config {
	double locality_wait;       /* W, seconds; <= 0: no waiting at all */
	bool spread;                /* cap each offer at ceil(pending / agents) */
	bool reset_on_local_launch; /* the paper's reset rule, pitfall included */
} delay_config;

/* An agent holding a replica; rack NULL or "" when unknown. The strings are
 * copied. */
typedef struct delay_pref {
	const char *agent;
	const char *rack;
} delay_pref;

typedef struct delay_offer {
	const char *agent;
	const char *rack; /* NULL or "" when the agent has no rack attribute */
	uint32_t slots;   /* map tasks the offer can hold */
} delay_offer;

typedef struct delay_launch {
	uint32_t task;
	delay_level level;
} delay_launch;

typedef struct delay_counters {
	uint64_t node_local, rack_local, off_rack, no_pref; /* launches by locality */
	uint64_t offers_skipped;                            /* offers turned away with tasks pending */
} delay_counters;

typedef struct delay_policy delay_policy;

/* delay_new: *out schedules one job whose wait begins at now; the caller
 * frees it with delay_free. cfg is copied. */
void delay_new(delay_policy **out, const delay_config *cfg, double now);
void delay_free(delay_policy *d);

/* delay_add_task: task becomes pending with nprefs preferred agents (0 is
 * fine: it will run anywhere at once). Used at the start, and again for a
 * task whose launch failed or whose output was lost. MOSAIC_EEXIST if it is
 * already pending, MOSAIC_EINVAL if nprefs > DELAY_MAX_PREFS or a pref has
 * no agent. */
int delay_add_task(delay_policy *d, uint32_t task, const delay_pref *prefs, size_t nprefs, double now);
/* delay_remove_task: task is no longer pending (killed, job ended).
 * MOSAIC_ENOENT if it was not pending. */
int delay_remove_task(delay_policy *d, uint32_t task);
/* delay_set_agents: how many agents the cluster has (for spread). */
void delay_set_agents(delay_policy *d, uint32_t agents);

/* delay_on_offer: which pending tasks to launch on the offer, most local
 * first. Writes up to o->slots launches into out (room for o->slots) and
 * returns how many; those tasks are no longer pending. 0 with tasks pending
 * means the offer was turned away for locality: decline it. */
size_t delay_on_offer(delay_policy *d, const delay_offer *o, double now, delay_launch *out);

/* delay_allowed_level: the least local level a launch may have at now
 * (DELAY_NODE_LOCAL, _RACK_LOCAL or _OFF_RACK). */
delay_level delay_allowed_level(const delay_policy *d, double now);
/* delay_next_change: when the allowed level will next widen (so the
 * framework can revive its offers then), or INFINITY if it will not (no
 * task pending, or already off-rack). */
double delay_next_change(const delay_policy *d, double now);
/* delay_pending: tasks pending. */
size_t delay_pending(const delay_policy *d);
/* delay_get_counters: launches by the locality they achieved, and skips. */
void delay_get_counters(const delay_policy *d, delay_counters *c);

#endif
