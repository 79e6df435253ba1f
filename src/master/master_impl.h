/* master_impl.h - the master's state and the functions its files share.
 * Only src/master/master*.c (and white-box tests) include it; everyone else
 * uses master.h.
 *
 * Ownership: the master owns agents, frameworks, offers and tasks. Tables
 * key them by id (and agents and frameworks also by address); cross
 * references are pointers inside the master only, and each removal unlinks
 * every reference before freeing (offers and tasks go before their agent or
 * framework). Other modules and the wire see ids only. */
#ifndef MOSAIC_MASTER_IMPL_H
#define MOSAIC_MASTER_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.pb-c.h"
#include "allocator.h"
#include "http.h"
#include "ids.h"
#include "master.h"
#include "messenger.h"
#include "mosaic.pb-c.h"
#include "operator.pb-c.h"
#include "pbmem.h"
#include "registry.h"
#include "resources.h"
#include "scheduler.pb-c.h"
#include "strmap.h"

/* Reconciliation answers sent per loop turn, so a framework reconciling
 * many tasks cannot overrun its peer queue (MESSENGER_SENDBUF). */
#define MASTER_RECONCILE_CHUNK 1024
/* Offers in one Offers message; a pass with more for one framework (very
 * large clusters) sends several, to stay under MESSENGER_MAX_MSG. */
#define MASTER_OFFERS_PER_MESSAGE 4096
/* Longest string from the wire the master keeps (names, hostnames). */
#define MASTER_NAME_MAX 256
#define MASTER_NSTATES 13 /* TaskState values 0..TASK_GONE */

typedef struct master_agent master_agent;
typedef struct master_framework master_framework;
typedef struct master_task master_task;
typedef struct master_offer master_offer;

struct master_offer {
	char id[MOSAIC_ID_MAX];
	master_framework *fw;
	master_agent *agent;
	mosaic_resources res;
	double created;                    /* loop time */
	master_offer *fw_prev, *fw_next;   /* the framework's offers */
	master_offer *ag_prev, *ag_next;   /* the agent's offers */
	master_offer *age_prev, *age_next; /* all offers, oldest first (timeouts) */
};

struct master_task {
	char id[MOSAIC_ID_MAX];
	char agent_id[MOSAIC_ID_MAX];
	char fw_id[MOSAIC_ID_MAX];
	master_framework *fw; /* NULL once archived (its framework was removed) */
	master_agent *agent;  /* while active; NULL once completed */
	char *name;
	char *message; /* of the latest status, may be NULL */
	char *reason;
	mosaic_resources res;
	int state;
	double updated;                 /* wall time of the latest state */
	double launched;                /* loop time it was launched or adopted */
	bool completed;                 /* terminal: in the framework's completed list */
	bool accounted;                 /* its resources are allocated to the framework in the allocator */
	bool seen;                      /* scratch flag for agent re-registration */
	master_task *ag_prev, *ag_next; /* the agent's active tasks */
	master_task *done_prev, *done_next; /* completed tasks (framework's or archive), oldest first */
};

struct master_agent {
	char id[MOSAIC_ID_MAX];
	char address[MESSENGER_ADDR_MAX]; /* where it is reached: the latest envelope `from` */
	Mosaic__AgentInfo *info;          /* our copy (id set), for offers and state, in info_mem */
	pbmem *info_mem;
	mosaic_resources total;
	bool active;       /* registered and answering pings */
	bool in_allocator; /* its resources are in the pool */
	unsigned missed;   /* pings sent since the last pong */
	uint64_t ping_seq;
	double registered_time; /* wall */
	master_task *tasks;     /* active tasks */
	size_t ntasks;
	master_offer *offers;
	size_t noffers;
	/* Tasks of removed frameworks still ending here ("framework/task" ->
	 * master_orphan): their resources are withheld from the pool until
	 * the agent reports them ended, so nothing it still uses is offered. */
	strmap orphans;
	master_agent *next; /* registration order */
};

struct master_framework {
	char id[MOSAIC_ID_MAX];
	char address[MESSENGER_ADDR_MAX]; /* latest `from`; "" when unknown (recovered) */
	char *name, *role, *principal, *user, *hostname;
	double failover_timeout;
	double min_failover; /* recovery grace after a master restart, else 0 */
	bool connected;
	bool suppressed;
	double last_seen;       /* loop time of its latest message */
	double disconnected_at; /* loop time */
	double registered_time; /* wall */
	strmap tasks;           /* task id -> master_task, active and completed */
	size_t nactive;
	master_task *done_head, *done_tail;
	size_t ndone;
	master_offer *offers;
	size_t noffers;
	master_offer **pending; /* offers of the current allocation pass, to send */
	size_t npending, cappending;
	bool gang_wanted; /* the gang demand it declared (GangDemand), in the allocator */
	mosaic_resources gang_per_task;
	uint32_t gang_tasks;
	double gang_since;      /* wall time, as the framework sent it */
	double gang_since_loop; /* the same moment on the loop's clock, for the allocator */
	master_framework *prev, *next;
};

typedef struct master_counters {
	uint64_t offers_sent, offers_accepted, offers_declined, offers_rescinded, offers_expired;
	uint64_t tasks_launched, tasks_invalid, tasks_adopted;
	uint64_t updates_forwarded, updates_from_agents, acks_relayed;
	uint64_t messages_invalid; /* decoded but rejected by validation */
	uint64_t agents_registered, agents_reregistered, agents_lost;
	uint64_t frameworks_subscribed, frameworks_disconnected, frameworks_removed;
	uint64_t allocation_passes;
	uint64_t tasks_terminal[MASTER_NSTATES];
	double allocation_seconds_total, allocation_seconds_last, allocation_seconds_max;
} master_counters;

typedef struct reconcile_job {
	char framework_id[MOSAIC_ID_MAX];
	char (*task_ids)[MOSAIC_ID_MAX];
	char (*agent_ids)[MOSAIC_ID_MAX]; /* "" when not given */
	size_t n, next;
	struct reconcile_job *link;
} reconcile_job;

struct master {
	mosaic_loop *loop;
	master_config cfg; /* its strings point to the copies below */
	char *cfg_listen, *cfg_http, *cfg_work_dir, *cfg_webui_dir;
	char id[MOSAIC_ID_MAX];
	double start_time; /* wall */
	messenger *msgr;
	http_server *http;
	registry *reg;
	allocator *alloc;
	master_send_fn send_fn;
	void *send_arg;
	strmap agents, agents_by_addr;
	strmap frameworks, frameworks_by_addr;
	strmap offers;
	master_agent *agent_head, *agent_tail;
	master_framework *fw_head, *fw_tail;
	master_offer *age_head, *age_tail;
	allocator_offers alloc_out;
	weights role_weights; /* every weight set, for state */
	uint64_t alloc_timer, alloc_soon_timer, ping_timer, heartbeat_timer, offer_timer, reconcile_timer;
	double last_pass; /* monotonic time of the last allocation pass (master_allocate_soon spaces them) */
	bool started;
	reconcile_job *rjobs_head, *rjobs_tail;
	/* Reconciliation questions about tasks on agents the registry knows
	 * but that have not re-registered since this master started: as in
	 * Mesos, no answer until the agent returns or its grace ends. */
	reconcile_job *rjobs_deferred;
	uint64_t deferred_timer;
	/* Tasks of removed frameworks, newest last, at most cfg.completed_tasks:
	 * operators still see how a torn-down framework's tasks ended. */
	master_task *archive_head, *archive_tail;
	size_t narchive;
	master_counters counters;
};

/* master.c: plumbing shared by the handlers. */
int master_send(master *m, const char *to, uint32_t type, const ProtobufCMessage *msg);
void master_send_error(master *m, const char *to, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* master_reject counts and logs (WARN) a rejected message. */
void master_reject(master *m, const char *from, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void master_allocate_soon(master *m);
double master_now(master *m);
/* Peer addresses we are willing to dial: tcp://, ipc://, tls+tcp://. */
bool master_addr_valid(const char *addr);
/* A printable, truncated copy of untrusted text, for logs and messages. */
const char *master_safe(const char *s, char *buf, size_t len);
/* A string from the wire we keep: printable and shorter than max. */
bool master_text_ok(const char *s, size_t max);
bool master_weight_set(master *m, const char *role, double weight);

/* master_agents.c */
void master_on_register_agent(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_reregister_agent(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_pong(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_update_agent(void *ctx, const char *from, const ProtobufCMessage *msg);
master_agent *master_agent_find(master *m, const char *id);
void master_agents_ping_tick(master *m);
void master_agent_lost(master *m, master_agent *a, const char *why);
void master_agents_free(master *m);
/* A task of a removed framework, still alive on agent a: withhold its
 * resources until master_agent_orphan_ended (its terminal update), or until
 * the agent is lost or re-registers. */
void master_agent_orphan_add(master *m, master_agent *a, const char *framework_id,
                             const char *task_id, const mosaic_resources *res);
void master_agent_orphan_ended(master *m, master_agent *a, const char *framework_id,
                               const char *task_id);

/* master_frameworks.c */
void master_on_subscribe(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_keepalive(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_teardown(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_suppress(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_revive(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_gang_demand(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_framework_message(void *ctx, const char *from, const ProtobufCMessage *msg);
master_framework *master_framework_find(master *m, const char *id);
/* The subscribed framework sending from `from`; otherwise an Error goes
 * back, the message is counted as rejected and NULL is returned. */
master_framework *master_framework_from(master *m, const char *from, const char *what);
/* A framework the master learns of without a Subscribe (registry after a
 * restart, or an agent's report): disconnected, in the allocator but
 * inactive, given recovery_grace to re-subscribe. NULL if info is bad. */
master_framework *master_framework_recover(master *m, const Mosaic__FrameworkInfo *info, bool persist);
void master_frameworks_recover_registry(master *m);
void master_frameworks_heartbeat_tick(master *m);
void master_framework_remove(master *m, master_framework *fw, const char *why);
/* Fill out with fw's info; strings are borrowed from fw. */
void master_framework_info(const master_framework *fw, Mosaic__FrameworkInfo *out);
void master_frameworks_free(master *m);

/* master_offers.c */
size_t master_offers_allocate(master *m);
master_offer *master_offer_find(master *m, const char *id);
/* Unlink and free o: no message, no allocator change. */
void master_offer_discard(master *m, master_offer *o);
/* Tell the framework (when connected) the offer is gone, give its
 * resources back when recover is set, and discard it. */
void master_offer_rescind(master *m, master_offer *o, bool recover);
void master_offers_rescind_framework(master *m, master_framework *fw, bool recover);
void master_offers_rescind_agent(master *m, master_agent *a, bool recover);
void master_on_decline(void *ctx, const char *from, const ProtobufCMessage *msg);

/* Withdraw fw's gang demand (it launched its gang, or gave up). */
void master_framework_clear_gang(master *m, master_framework *fw);

/* master_accept.c */
void master_on_accept(void *ctx, const char *from, const ProtobufCMessage *msg);

/* master_tasks.c */
master_task *master_task_find(master_framework *fw, const char *task_id);
/* master_task_add creates an active task on agent a, replacing a completed
 * task of the same id. Its resources are not yet accounted: the caller sets
 * accounted when they are allocated to fw in the allocator. */
master_task *master_task_add(master *m, master_framework *fw, master_agent *a, const char *task_id,
                             const char *name, const mosaic_resources *res, int state);
void master_task_set(master_task *t, int state, const char *message, const char *reason);
/* Give the task's resources back to the pool, once. */
void master_task_recover(master *m, master_task *t);
/* master_task_terminal: recover, leave the agent, join the completed list
 * (which evicts its oldest beyond cfg.completed_tasks). */
void master_task_terminal(master *m, master_task *t);
/* An update the master makes itself (no uuid, no ack), sent when the
 * framework is connected. */
void master_task_send_update(master *m, master_framework *fw, const char *task_id, const char *agent_id,
                             int state, const char *message, const char *reason);
/* master_task_lost: LOST with reason, update to the framework, terminal. */
void master_task_lost(master *m, master_task *t, const char *reason, const char *message);
void master_tasks_free(master_framework *fw);
/* Move all of fw's tasks to the master's archive (active ones as KILLED
 * with why); fw is left with none. */
void master_tasks_archive(master *m, master_framework *fw, const char *why);
void master_archive_free(master *m);
void master_on_kill(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_status_update(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_acknowledge(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_on_reconcile(void *ctx, const char *from, const ProtobufCMessage *msg);
void master_reconcile_jobs_free(master *m);

/* master_state.c */
void master_on_get_state(void *ctx, const char *from, const ProtobufCMessage *msg);

#endif
