/* The master driven in-process through its dispatch table, with every
 * message it sends captured: registration, offers, Accept validation and
 * batching, gangs, status updates and acknowledgements, kill, reconcile,
 * agent loss, re-registration, bad input, and the timers (offer timeout,
 * framework disconnection and failover). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "harness.h"
#include "master_impl.h"
#include "util.h"

#define A1 "tcp://127.0.0.1:7001"
#define A2 "tcp://127.0.0.1:7002"
#define F1 "tcp://127.0.0.1:8001"
#define F2 "tcp://127.0.0.1:8002"
#define CLI "tcp://127.0.0.1:9001"

#define T(x) MOSAIC__MESSAGE_TYPE__MSG_##x

static char base[] = "/tmp/mosaic-test-master-XXXXXX";
static int nwork;

static const char *
workdir(void)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/w%d", base, nwork++);
	return path;
}

static double
fw_cpus(master *m, const char *fw)
{
	mosaic_resources r;
	if (allocator_framework_allocated(m->alloc, fw, &r) != 0)
		return -1;
	return r.cpus;
}

static void
test_registration(mosaic_loop *loop)
{
	capture c = {0};
	master *m = h_master(loop, workdir(), &c, NULL);
	char a1[64], again[64], other[64];
	h_register_agent(m, &c, A1, "node1", "cpus:4;mem:4096", 100, a1);
	CHECK(strncmp(a1, "agent-", 6) == 0);
	Mosaic__AgentRegistered *reg =
	    capture_last(&c, A1, T(AGENT_REGISTERED), &mosaic__agent_registered__descriptor);
	CHECK(reg && reg->ping_interval == 1.0 && reg->max_missed == 5 &&
	      strcmp(reg->master_id, master_id(m)) == 0);
	/* Our answer was lost; the same process asks again: same id. */
	h_register_agent(m, &c, A1, "node1", "cpus:4;mem:4096", 100, again);
	CHECK(strcmp(a1, again) == 0);
	mosaic_resources total;
	allocator_total(m->alloc, &total);
	CHECK(total.cpus == 4 && total.mem == 4096);
	/* A new process at the same address: the old agent is gone. */
	h_register_agent(m, &c, A1, "node1", "cpus:2;mem:1024", 101, other);
	CHECK(strncmp(other, "agent-", 6) == 0 && strcmp(other, a1) != 0);
	CHECK(!master_agent_find(m, a1)->active);
	allocator_total(m->alloc, &total);
	CHECK(total.cpus == 2);

	/* Bad registrations are refused with a reason, and change nothing. */
	capture_clear(&c);
	codec_res cr;
	Mosaic__AgentInfo info;
	h_agent_info(&info, &cr, NULL, A2, "node2", "cpus:1", 5);
	info.resources->has_cpus = 1;
	info.resources->cpus = -1;
	Mosaic__RegisterAgent req = MOSAIC__REGISTER_AGENT__INIT;
	req.info = &info;
	master_handle(m, T(REGISTER_AGENT), A2, &req.base);
	Mosaic__AgentRefused *ref =
	    capture_last(&c, A2, T(AGENT_REFUSED), &mosaic__agent_refused__descriptor);
	CHECK(ref && strstr(ref->reason, "resources") != NULL);
	h_agent_info(&info, &cr, NULL, A2, "", "cpus:1", 5);
	master_handle(m, T(REGISTER_AGENT), A2, &req.base);
	h_agent_info(&info, &cr, NULL, "http://not-a-messenger", "node2", "cpus:1", 5);
	master_handle(m, T(REGISTER_AGENT), A2, &req.base);
	CHECK(capture_count(&c, A2, T(AGENT_REFUSED)) == 3);
	CHECK(capture_count(&c, A2, T(AGENT_REGISTERED)) == 0);
	/* Re-registration needs a valid id. */
	h_reregister_agent(m, A2, "../../etc", "node2", "cpus:1", NULL, 0, NULL, 0);
	CHECK(capture_count(&c, A2, T(AGENT_REFUSED)) == 4);
	allocator_total(m->alloc, &total);
	CHECK(total.cpus == 2);
	CHECK(m->counters.messages_invalid == 4);
	master_free(m);
	capture_fini(&c);
}

static void
test_offer_accept_status(mosaic_loop *loop)
{
	capture c = {0};
	master *m = h_master(loop, workdir(), &c, NULL);
	char a1[64], fw[64], fw2[64];
	h_register_agent(m, &c, A1, "node1", "cpus:4;mem:4096", 100, a1);
	h_subscribe(m, &c, F1, "fw1", "batch", 60, NULL, fw);
	CHECK(strncmp(fw, "fw-", 3) == 0);
	CHECK(master_allocate_now(m) == 1);
	char ids[8][64], agents[8][64];
	CHECK(h_offers(&c, F1, ids, agents, 8) == 1);
	CHECK(strcmp(agents[0], a1) == 0);
	Mosaic__Offers *offers = capture_last(&c, F1, T(OFFERS), &mosaic__offers__descriptor);
	CHECK(offers->offers[0]->resources->cpus == 4 && strcmp(offers->offers[0]->hostname, "node1") == 0);
	capture_clear(&c);

	const char *oid[] = {ids[0]};
	h_task tasks[] = {
	    {"t1", a1, "cpus:1;mem:128", NULL, 0},
	    {"t2", NULL, "cpus:1;mem:128", NULL, 0}, /* no agent_id: the only agent of the offers */
	    {"bad id!", a1, "cpus:1", NULL, 0},
	    {"t1", a1, "cpus:1", NULL, 0},
	    {"t3", a1, "cpus:8;mem:128", NULL, 0},
	    {"t4", "agent-elsewhere", "cpus:1", NULL, 0},
	    {"t5", a1, "disk:10", NULL, 0},
	};
	h_accept(m, F1, oid, 1, MOSAIC__OPERATION_TYPE__OP_LAUNCH, tasks, 7, 5);
	/* One RunTasks for the agent, with both good tasks. */
	CHECK(capture_count(&c, A1, T(RUN_TASKS)) == 1);
	Mosaic__RunTasks *rt = capture_last(&c, A1, T(RUN_TASKS), &mosaic__run_tasks__descriptor);
	CHECK(rt && rt->n_tasks == 2);
	CHECK(rt && strcmp(rt->tasks[0]->task_id, "t1") == 0 && strcmp(rt->tasks[1]->task_id, "t2") == 0);
	CHECK(rt && strcmp(rt->tasks[1]->agent_id, a1) == 0 && strcmp(rt->framework->id, fw) == 0);
	CHECK(rt && strcmp(rt->framework_address, F1) == 0);
	CHECK(capture_count(&c, F1, T(ACCEPT_RESULT)) == 0);
	Mosaic__TaskStatus *st = NULL;
	int states[8];
	CHECK(capture_updates(&c, F1, "bad id!", states, 8, &st) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_ERROR);
	CHECK(capture_updates(&c, F1, "t1", states, 8, &st) == 1 && strstr(st->message, "twice") != NULL);
	CHECK(capture_updates(&c, F1, "t3", states, 8, &st) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_ERROR);
	CHECK(st && strstr(st->message, "does not fit agent") && strstr(st->message, "wants cpus:8"));
	CHECK(st && !st->has_uuid && st->source == MOSAIC__STATUS_SOURCE__SOURCE_MASTER);
	CHECK(capture_updates(&c, F1, "t4", states, 8, &st) == 1 && strstr(st->message, "no accepted offer"));
	CHECK(capture_updates(&c, F1, "t5", states, 8, &st) == 1 &&
	      strstr(st->message, "neither cpus nor mem"));
	/* The launched tasks keep their resources; the rest went back. */
	CHECK(fw_cpus(m, fw) == 2);
	CHECK(strmap_count(&m->offers) == 0);
	CHECK(m->counters.tasks_launched == 2 && m->counters.tasks_invalid == 5);
	/* Filtered for 5 s: no offer to fw1, but another framework gets it. */
	capture_clear(&c);
	CHECK(master_allocate_now(m) == 0);
	h_subscribe(m, &c, F2, "fw2", "mpi", 0, NULL, fw2);
	CHECK(master_allocate_now(m) == 1);
	CHECK(h_offers(&c, F2, ids, agents, 8) == 1);
	CHECK(capture_count(&c, F1, T(OFFERS)) == 0);

	/* Status updates: forwarded with their uuid, each retry again;
	 * the framework's acknowledgement goes to the agent. */
	capture_clear(&c);
	h_status(m, A1, fw, "t1", MOSAIC__TASK_STATE__TASK_RUNNING, 1);
	h_status(m, A1, fw, "t1", MOSAIC__TASK_STATE__TASK_RUNNING, 1);
	CHECK(capture_updates(&c, F1, "t1", states, 8, &st) == 2 &&
	      states[1] == MOSAIC__TASK_STATE__TASK_RUNNING);
	CHECK(st && st->has_uuid && st->uuid.len == 16 && strcmp(st->agent_id, a1) == 0);
	CHECK(st && strcmp(st->agent_hostname, "node1") == 0 && strcmp(st->framework_id, fw) == 0);
	CHECK(capture_count(&c, A1, T(STATUS_UPDATE_ACK)) == 0);
	h_ack(m, F1, a1, "t1", 1);
	Mosaic__StatusUpdateAck *ack =
	    capture_last(&c, A1, T(STATUS_UPDATE_ACK), &mosaic__status_update_ack__descriptor);
	CHECK(ack && strcmp(ack->task_id, "t1") == 0 && strcmp(ack->framework_id, fw) == 0 &&
	      ack->uuid.len == 16);
	CHECK(master_task_find(master_framework_find(m, fw), "t1")->state ==
	      MOSAIC__TASK_STATE__TASK_RUNNING);
	/* Terminal: resources come back once, however often it is resent. */
	h_status(m, A1, fw, "t1", MOSAIC__TASK_STATE__TASK_FINISHED, 2);
	CHECK(fw_cpus(m, fw) == 1);
	h_status(m, A1, fw, "t1", MOSAIC__TASK_STATE__TASK_FINISHED, 2);
	CHECK(fw_cpus(m, fw) == 1);
	CHECK(capture_updates(&c, F1, "t1", states, 8, NULL) == 4);
	master_task *t1 = master_task_find(master_framework_find(m, fw), "t1");
	CHECK(t1 && t1->completed && t1->state == MOSAIC__TASK_STATE__TASK_FINISHED);
	CHECK(m->counters.tasks_terminal[MOSAIC__TASK_STATE__TASK_FINISHED] == 1);
	/* An update of a framework that does not exist is acknowledged by us. */
	h_status(m, A1, "fw-gone", "tx", MOSAIC__TASK_STATE__TASK_KILLED, 3);
	CHECK(capture_count(&c, A1, T(STATUS_UPDATE_ACK)) == 2);
	/* ... and one from an unregistered address is ignored. */
	h_status(m, A2, fw, "t2", MOSAIC__TASK_STATE__TASK_RUNNING, 4);
	CHECK(capture_updates(&c, F1, "t2", NULL, 0, NULL) == 0);

	/* Kill: a known task goes to its agent; an unknown one is LOST. */
	capture_clear(&c);
	Mosaic__Kill k = MOSAIC__KILL__INIT;
	k.task_id = "t2";
	master_handle(m, T(KILL), F1, &k.base);
	Mosaic__KillTask *kt = capture_last(&c, A1, T(KILL_TASK), &mosaic__kill_task__descriptor);
	CHECK(kt && strcmp(kt->task_id, "t2") == 0 && strcmp(kt->framework_id, fw) == 0);
	k.task_id = "nope";
	master_handle(m, T(KILL), F1, &k.base);
	CHECK(capture_updates(&c, F1, "nope", states, 8, &st) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_LOST);
	k.task_id = "t1";
	master_handle(m, T(KILL), F1, &k.base);
	CHECK(capture_updates(&c, F1, "t1", states, 8, NULL) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_FINISHED);

	/* Reconcile: implicit gives the running ones, explicit what is asked. */
	capture_clear(&c);
	Mosaic__Reconcile rec = MOSAIC__RECONCILE__INIT;
	master_handle(m, T(RECONCILE), F1, &rec.base);
	CHECK(capture_count(&c, F1, T(UPDATE)) == 1);
	CHECK(capture_updates(&c, F1, "t2", states, 8, &st) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_STAGING);
	CHECK(st && !st->has_uuid && strcmp(st->reason, "REASON_RECONCILIATION") == 0);
	capture_clear(&c);
	Mosaic__ReconcileTask r1 = MOSAIC__RECONCILE_TASK__INIT, r2 = MOSAIC__RECONCILE_TASK__INIT;
	r1.task_id = "t1";
	r2.task_id = "ghost";
	Mosaic__ReconcileTask *rts[] = {&r1, &r2};
	rec.n_tasks = 2;
	rec.tasks = rts;
	master_handle(m, T(RECONCILE), F1, &rec.base);
	CHECK(capture_updates(&c, F1, "t1", states, 8, NULL) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_FINISHED);
	CHECK(capture_updates(&c, F1, "ghost", states, 8, &st) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_LOST);
	CHECK(st && strcmp(st->message, "unknown task") == 0);

	/* State for the CLI, and the same as JSON and metrics. */
	capture_clear(&c);
	Mosaic__GetState gs = MOSAIC__GET_STATE__INIT;
	master_handle(m, T(GET_STATE), CLI, &gs.base);
	Mosaic__State *state = capture_last(&c, CLI, T(STATE), &mosaic__state__descriptor);
	CHECK(state && state->n_agents == 1 && state->n_frameworks == 2 && state->n_tasks == 2);
	CHECK(state && state->n_roles == 2 && strcmp(state->master_id, master_id(m)) == 0);
	bool launched = false;
	for (size_t i = 0; state && i < state->n_counters; i++)
		if (strcmp(state->counters[i]->name, "tasks_launched") == 0)
			launched = state->counters[i]->value == 2;
	CHECK(launched);
	for (size_t i = 0; state && i < state->n_frameworks; i++)
		if (strcmp(state->frameworks[i]->id, fw) == 0)
			CHECK(state->frameworks[i]->used->cpus == 1 &&
			      state->frameworks[i]->running_tasks == 1 &&
			      state->frameworks[i]->dominant_share == 0.25);
	char *json = master_state_json(m);
	CHECK(strstr(json, "\"task_id\":\"t2\"") && strstr(json, "\"state\":\"TASK_FINISHED\""));
	CHECK(strstr(json, "\"hostname\":\"node1\"") && strstr(json, "\"counters\":{"));
	free(json);
	char *metrics = master_metrics_text(m);
	CHECK(strstr(metrics, "mosaic_tasks{state=\"TASK_STAGING\"} 1\n") != NULL);
	CHECK(strstr(metrics, "mosaic_agents{state=\"active\"} 1\n") != NULL);
	CHECK(strstr(metrics, "mosaic_role_dominant_share{role=\"batch\"} 0.25\n") != NULL);
	CHECK(strstr(metrics, "mosaic_tasks_terminal_total{state=\"TASK_FINISHED\"} 1\n") != NULL);
	CHECK(strstr(metrics, "mosaic_messages_dropped_total{reason=\"invalid\"}") != NULL);
	CHECK(strstr(metrics, "mosaic_allocation_seconds_count") != NULL);
	free(metrics);

	/* Teardown: its tasks' agents are told, it is gone. */
	capture_clear(&c);
	Mosaic__Teardown td = MOSAIC__TEARDOWN__INIT;
	master_handle(m, T(TEARDOWN), F1, &td.base);
	Mosaic__ShutdownFramework *sd =
	    capture_last(&c, A1, T(SHUTDOWN_FRAMEWORK), &mosaic__shutdown_framework__descriptor);
	CHECK(sd && strcmp(sd->framework_id, fw) == 0);
	CHECK(master_framework_find(m, fw) == NULL);
	CHECK(fw_cpus(m, fw) == -1);
	CHECK(registry_framework_removed(m->reg, fw));
	/* Its tasks stay visible: t1 as it ended, t2 killed with it. */
	json = master_state_json(m);
	CHECK(strstr(json, "\"task_id\":\"t1\",\"framework_id\"") != NULL);
	CHECK(strstr(json, "\"reason\":\"REASON_FRAMEWORK_REMOVED\"") != NULL);
	free(json);
	CHECK(m->narchive == 2);
	/* t2 runs until the shutdown reaches its agent: what it uses is not
	 * offered until it ends. fw2 holds 3 cpus of a1 in its offer, and
	 * the one t1 used is free. */
	mosaic_resources free_a1;
	CHECK(allocator_agent_free(m->alloc, a1, &free_a1) == 0 && free_a1.cpus == 1);
	double mem_before = free_a1.mem;
	h_status(m, A1, fw, "t2", MOSAIC__TASK_STATE__TASK_RUNNING, 5);
	CHECK(allocator_agent_free(m->alloc, a1, &free_a1) == 0 && free_a1.cpus == 1);
	h_status(m, A1, fw, "t2", MOSAIC__TASK_STATE__TASK_KILLED, 6);
	CHECK(allocator_agent_free(m->alloc, a1, &free_a1) == 0 && free_a1.cpus == 2 &&
	      free_a1.mem == mem_before + 128);
	h_status(m, A1, fw, "t2", MOSAIC__TASK_STATE__TASK_KILLED, 6); /* a retry: once */
	CHECK(allocator_agent_free(m->alloc, a1, &free_a1) == 0 && free_a1.cpus == 2);
	master_free(m);
	capture_fini(&c);
}

/* A framework whose tasks have all ended still has executors waiting on
 * the agents it used: its removal reaches every agent. */
static void
test_teardown_idle(mosaic_loop *loop)
{
	capture c = {0};
	master *m = h_master(loop, workdir(), &c, NULL);
	char a1[64], a2[64], fw[64];
	h_register_agent(m, &c, A1, "node1", "cpus:2;mem:1024", 1, a1);
	h_register_agent(m, &c, A2, "node2", "cpus:2;mem:1024", 2, a2);
	h_subscribe(m, &c, F1, "fw1", "batch", 60, NULL, fw);
	CHECK(master_allocate_now(m) == 2);
	char ids[8][64], agents[8][64];
	CHECK(h_offers(&c, F1, ids, agents, 8) == 2);
	const char *oid[] = {ids[0], ids[1]};
	h_task t[] = {{"t1", agents[0], "cpus:1", NULL, 0}};
	h_accept(m, F1, oid, 2, MOSAIC__OPERATION_TYPE__OP_LAUNCH, t, 1, 0);
	const char *ran = strcmp(agents[0], a1) == 0 ? A1 : A2;
	h_status(m, ran, fw, "t1", MOSAIC__TASK_STATE__TASK_FINISHED, 1);
	CHECK(master_framework_find(m, fw)->nactive == 0);
	capture_clear(&c);
	Mosaic__Teardown td = MOSAIC__TEARDOWN__INIT;
	master_handle(m, T(TEARDOWN), F1, &td.base);
	CHECK(capture_count(&c, A1, T(SHUTDOWN_FRAMEWORK)) == 1);
	CHECK(capture_count(&c, A2, T(SHUTDOWN_FRAMEWORK)) == 1);
	master_free(m);
	capture_fini(&c);
}

static void
test_gang(mosaic_loop *loop)
{
	capture c = {0};
	master *m = h_master(loop, workdir(), &c, NULL);
	char a1[64], a2[64], fw[64];
	h_register_agent(m, &c, A1, "node1", "cpus:2;mem:1024", 1, a1);
	h_register_agent(m, &c, A2, "node2", "cpus:4;mem:1024", 2, a2);
	h_subscribe(m, &c, F1, "mpi", "mpi", 60, NULL, fw);
	CHECK(master_allocate_now(m) == 2);
	/* One Offers message per framework per pass. */
	CHECK(capture_count(&c, F1, T(OFFERS)) == 1);
	char ids[8][64], agents[8][64];
	CHECK(h_offers(&c, F1, ids, agents, 8) == 2);
	const char *oids[] = {ids[0], ids[1]};
	capture_clear(&c);
	h_task gang[] = {{"r0", a2, "cpus:4;mem:512", NULL, 0}, {"r1", a1, "cpus:4;mem:512", NULL, 0}};
	h_accept(m, F1, oids, 2, MOSAIC__OPERATION_TYPE__OP_LAUNCH_GANG, gang, 2, 0);
	CHECK(capture_count(&c, NULL, T(RUN_TASKS)) == 0);
	Mosaic__AcceptResult *ar = capture_last(&c, F1, T(ACCEPT_RESULT), &mosaic__accept_result__descriptor);
	char want[256];
	snprintf(want, sizeof(want),
	         "gang: task r1 does not fit agent %s: wants cpus:4;mem:512, offered cpus:2;mem:1024", a1);
	CHECK(ar && !ar->ok && ar->n_offer_ids == 2 && strcmp(ar->reason, want) == 0);
	int states[4];
	Mosaic__TaskStatus *st;
	CHECK(capture_updates(&c, F1, "r0", states, 4, &st) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_ERROR);
	CHECK(st && strcmp(st->message, want) == 0);
	CHECK(capture_updates(&c, F1, "r1", states, 4, &st) == 1 && strcmp(st->message, want) == 0);
	CHECK(fw_cpus(m, fw) == 0 && strmap_count(&m->offers) == 0);
	CHECK(master_task_find(master_framework_find(m, fw), "r0") == NULL);

	/* A gang that fits starts everywhere at once: one RunTasks per agent. */
	capture_clear(&c);
	CHECK(master_allocate_now(m) == 2);
	CHECK(h_offers(&c, F1, ids, agents, 8) == 2);
	capture_clear(&c);
	h_task good[] = {{"r0", a2, "cpus:4;mem:512", NULL, 0},
	                 {"r1", a1, "cpus:2;mem:512", NULL, 0},
	                 {"r2", a2, "mem:256", NULL, 0}};
	h_accept(m, F1, oids, 2, MOSAIC__OPERATION_TYPE__OP_LAUNCH_GANG, good, 3, 0);
	CHECK(capture_count(&c, A1, T(RUN_TASKS)) == 1 && capture_count(&c, A2, T(RUN_TASKS)) == 1);
	Mosaic__RunTasks *rt = capture_last(&c, A2, T(RUN_TASKS), &mosaic__run_tasks__descriptor);
	CHECK(rt && rt->n_tasks == 2);
	CHECK(capture_count(&c, F1, T(ACCEPT_RESULT)) == 0 && capture_count(&c, F1, T(UPDATE)) == 0);
	CHECK(fw_cpus(m, fw) == 6);

	/* Offers that are gone: every task dropped, nothing launched. */
	capture_clear(&c);
	h_task late[] = {{"z0", a2, "mem:1", NULL, 0}};
	h_accept(m, F1, oids, 1, MOSAIC__OPERATION_TYPE__OP_LAUNCH, late, 1, 0);
	CHECK(capture_updates(&c, F1, "z0", states, 4, &st) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_DROPPED);
	ar = capture_last(&c, F1, T(ACCEPT_RESULT), &mosaic__accept_result__descriptor);
	CHECK(ar && !ar->ok && strstr(ar->reason, "no longer valid"));
	master_free(m);
	capture_fini(&c);
}

/* GangDemand reaches the allocator's gang reservation; a launched gang
 * withdraws it; cancel withdraws it too. */
static void
test_gang_demand(mosaic_loop *loop)
{
	capture c = {0};
	master_config cfg;
	master_config_init(&cfg);
	cfg.alloc.gang_starvation = 0;
	master *m = h_master(loop, workdir(), &c, &cfg);
	char a1[64], a2[64], fw[64];
	h_register_agent(m, &c, A1, "node1", "cpus:2;mem:1024", 1, a1);
	h_register_agent(m, &c, A2, "node2", "cpus:2;mem:1024", 2, a2);
	h_subscribe(m, &c, F1, "mmpirun", "mpi", 60, NULL, fw);
	mosaic_resources per;
	h_res(&per, "cpus:2;mem:512");
	codec_res cr;
	Mosaic__GangDemand gd = MOSAIC__GANG_DEMAND__INIT;
	gd.per_task = codec_res_to_pb(&cr, &per);
	gd.has_tasks = 1;
	gd.tasks = 2;
	gd.has_since = 1;
	gd.since = mosaic_wall_now() - 5;
	master_handle(m, T(GANG_DEMAND), F1, &gd.base);
	master_framework *f = master_framework_find(m, fw);
	CHECK(f->gang_wanted && f->gang_tasks == 2);
	CHECK(capture_count(&c, F1, T(ERROR)) == 0);
	CHECK(master_allocate_now(m) == 2);
	allocator_gang_info gi;
	allocator_gang_reservation(m->alloc, &gi);
	CHECK(gi.phase != ALLOCATOR_GANG_NONE && gi.framework_id && strcmp(gi.framework_id, fw) == 0);
	char *json = master_state_json(m);
	CHECK(strstr(json, "\"gang_reservation\":{\"phase\":") != NULL);
	CHECK(strstr(json, "\"gang_demand\":{\"tasks\":2") != NULL);
	free(json);
	char ids[8][64], agents[8][64];
	CHECK(h_offers(&c, F1, ids, agents, 8) == 2);
	const char *oids[] = {ids[0], ids[1]};
	h_task gang[] = {{"r0", a1, "cpus:2;mem:512", NULL, 0}, {"r1", a2, "cpus:2;mem:512", NULL, 0}};
	h_accept(m, F1, oids, 2, MOSAIC__OPERATION_TYPE__OP_LAUNCH_GANG, gang, 2, 0);
	CHECK(capture_count(&c, NULL, T(RUN_TASKS)) == 2);
	CHECK(!f->gang_wanted);
	allocator_gang_reservation(m->alloc, &gi);
	CHECK(gi.phase == ALLOCATOR_GANG_NONE);
	/* Declared again, then cancelled. */
	master_handle(m, T(GANG_DEMAND), F1, &gd.base);
	CHECK(f->gang_wanted);
	Mosaic__GangDemand cancel = MOSAIC__GANG_DEMAND__INIT;
	cancel.has_cancel = 1;
	cancel.cancel = 1;
	master_handle(m, T(GANG_DEMAND), F1, &cancel.base);
	CHECK(!f->gang_wanted);
	master_free(m);
	capture_fini(&c);
}

static void
test_agent_lost(mosaic_loop *loop)
{
	capture c = {0};
	master_config cfg;
	master_config_init(&cfg);
	cfg.max_missed_pings = 2;
	master *m = h_master(loop, workdir(), &c, &cfg);
	char a1[64], fw[64], ids[8][64], agents[8][64];
	h_register_agent(m, &c, A1, "node1", "cpus:4;mem:4096", 1, a1);
	h_subscribe(m, &c, F1, "fw1", "batch", 60, NULL, fw);
	master_allocate_now(m);
	h_offers(&c, F1, ids, agents, 8);
	const char *oid[] = {ids[0]};
	h_task t[] = {{"t1", a1, "cpus:1;mem:64", NULL, 0}};
	h_accept(m, F1, oid, 1, MOSAIC__OPERATION_TYPE__OP_LAUNCH, t, 1, 0);
	h_status(m, A1, fw, "t1", MOSAIC__TASK_STATE__TASK_RUNNING, 1);
	CHECK(master_allocate_now(m) == 1); /* the rest, offered again */
	h_offers(&c, F1, ids, agents, 8);
	capture_clear(&c);

	/* Pongs keep it alive. */
	master_agents_ping_tick(m);
	master_agents_ping_tick(m);
	Mosaic__Pong pong = MOSAIC__PONG__INIT;
	pong.agent_id = a1;
	master_handle(m, T(PONG), A1, &pong.base);
	master_agents_ping_tick(m);
	CHECK(master_agent_find(m, a1)->active);
	CHECK(capture_count(&c, A1, T(PING)) == 3);
	/* Silence: lost after 2 unanswered pings. */
	master_agents_ping_tick(m);
	master_agents_ping_tick(m);
	CHECK(!master_agent_find(m, a1)->active);
	int states[4];
	Mosaic__TaskStatus *st;
	CHECK(capture_updates(&c, F1, "t1", states, 4, &st) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_LOST);
	CHECK(st && strcmp(st->reason, "REASON_AGENT_REMOVED") == 0);
	Mosaic__AgentLost *al = capture_last(&c, F1, T(AGENT_LOST), &mosaic__agent_lost__descriptor);
	CHECK(al && strcmp(al->agent_id, a1) == 0 && strcmp(al->hostname, "node1") == 0);
	Mosaic__Rescind *rs = capture_last(&c, F1, T(RESCIND), &mosaic__rescind__descriptor);
	CHECK(rs && strcmp(rs->offer_id, ids[0]) == 0);
	mosaic_resources total;
	allocator_total(m->alloc, &total);
	CHECK(total.cpus == 0 && fw_cpus(m, fw) == 0);
	CHECK(master_allocate_now(m) == 0);
	size_t pings = capture_count(&c, A1, T(PING));
	master_agents_ping_tick(m);
	CHECK(capture_count(&c, A1, T(PING)) == pings);

	/* It comes back with its task, which the master gave up: killed. */
	capture_clear(&c);
	h_task back[] = {{"t1", a1, "cpus:1;mem:64", fw, MOSAIC__TASK_STATE__TASK_RUNNING}};
	h_reregister_agent(m, A1, a1, "node1", "cpus:4;mem:4096", back, 1, NULL, 0);
	Mosaic__KillTask *kt = capture_last(&c, A1, T(KILL_TASK), &mosaic__kill_task__descriptor);
	CHECK(kt && strcmp(kt->task_id, "t1") == 0 && strcmp(kt->framework_id, fw) == 0);
	CHECK(capture_count(&c, A1, T(AGENT_REGISTERED)) == 1);
	CHECK(master_agent_find(m, a1)->active);
	allocator_total(m->alloc, &total);
	CHECK(total.cpus == 4 && fw_cpus(m, fw) == 0);
	CHECK(master_allocate_now(m) == 1);

	/* A live agent re-registering (its own restart) keeps the tasks it
	 * reports; one it does not report, past the staging grace, is lost. */
	h_offers(&c, F1, ids, agents, 8);
	h_task two[] = {{"k1", a1, "cpus:1", NULL, 0}, {"k2", a1, "cpus:1", NULL, 0}};
	h_accept(m, F1, oid, 1, MOSAIC__OPERATION_TYPE__OP_LAUNCH, two, 2, 0);
	h_status(m, A1, fw, "k1", MOSAIC__TASK_STATE__TASK_RUNNING, 5);
	h_status(m, A1, fw, "k2", MOSAIC__TASK_STATE__TASK_RUNNING, 6);
	CHECK(fw_cpus(m, fw) == 2);
	capture_clear(&c);
	h_task only[] = {{"k1", a1, "cpus:1", fw, MOSAIC__TASK_STATE__TASK_RUNNING}};
	h_reregister_agent(m, "tcp://127.0.0.1:7011", a1, "node1", "cpus:4;mem:4096", only, 1, NULL, 0);
	CHECK(capture_updates(&c, F1, "k2", states, 4, &st) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_LOST);
	CHECK(capture_updates(&c, F1, "k1", NULL, 0, NULL) == 0);
	CHECK(fw_cpus(m, fw) == 1);
	CHECK(strcmp(master_agent_find(m, a1)->address, "tcp://127.0.0.1:7011") == 0);
	/* Kill now goes to the new address. */
	Mosaic__Kill k = MOSAIC__KILL__INIT;
	k.task_id = "k1";
	master_handle(m, T(KILL), F1, &k.base);
	CHECK(capture_count(&c, "tcp://127.0.0.1:7011", T(KILL_TASK)) == 1);
	master_free(m);
	capture_fini(&c);
}

static void
test_bad_input(mosaic_loop *loop)
{
	capture c = {0};
	master *m = h_master(loop, workdir(), &c, NULL);
	char a1[64], fw[64], id[64];
	h_register_agent(m, &c, A1, "node1", "cpus:4;mem:4096", 1, a1);
	capture_clear(&c);
	const char *stranger = "tcp://127.0.0.1:6666";
	/* Messages from an address with no framework get an Error. */
	Mosaic__Accept acc = MOSAIC__ACCEPT__INIT;
	master_handle(m, T(ACCEPT), stranger, &acc.base);
	Mosaic__Error *e = capture_last(&c, stranger, T(ERROR), &mosaic__error__descriptor);
	CHECK(e && strstr(e->message, "send Subscribe first"));
	/* Subscribe: bad role, empty name, bad id. */
	h_subscribe(m, &c, F1, "fw", "bad role", 0, NULL, id);
	CHECK(id[0] == '\0');
	h_subscribe(m, &c, F1, "", "batch", 0, NULL, id);
	CHECK(id[0] == '\0');
	h_subscribe(m, &c, F1, "fw", "batch", 0, "x/../y", id);
	CHECK(id[0] == '\0');
	h_subscribe(m, &c, F1, "fw", "batch", NAN, NULL, id);
	CHECK(id[0] == '\0');
	CHECK(capture_count(&c, F1, T(ERROR)) == 4);
	/* An address we could not answer: nothing is sent, nothing kept. */
	h_subscribe(m, &c, "garbage", "fw", "batch", 0, NULL, id);
	CHECK(capture_count(&c, "garbage", T(SUBSCRIBED)) == 0 && strmap_count(&m->frameworks) == 0);
	h_subscribe(m, &c, F1, "fw", "batch", 0, NULL, fw);
	CHECK(fw[0] != '\0');
	/* A retried Subscribe from the same address and name: same id. */
	h_subscribe(m, &c, F1, "fw", "batch", 0, NULL, id);
	CHECK(strcmp(id, fw) == 0 && strmap_count(&m->frameworks) == 1);
	/* Re-subscribing cannot change the role. */
	h_subscribe(m, &c, F1, "fw", "other", 0, fw, id);
	CHECK(id[0] == '\0');
	capture_clear(&c);
	/* Keepalive of an unknown framework. */
	Mosaic__Keepalive ka = MOSAIC__KEEPALIVE__INIT;
	ka.framework_id = "fw-unknown";
	master_handle(m, T(KEEPALIVE), F2, &ka.base);
	CHECK(capture_count(&c, F2, T(ERROR)) == 1);
	/* Decline with a bad filter, Kill with bad grace, Reconcile with bad ids. */
	Mosaic__Filters f = MOSAIC__FILTERS__INIT;
	f.has_refuse_seconds = 1;
	f.refuse_seconds = NAN;
	Mosaic__Decline d = MOSAIC__DECLINE__INIT;
	d.filters = &f;
	master_handle(m, T(DECLINE), F1, &d.base);
	Mosaic__Kill k = MOSAIC__KILL__INIT;
	k.task_id = "t1";
	k.has_grace_seconds = 1;
	k.grace_seconds = -1;
	master_handle(m, T(KILL), F1, &k.base);
	Mosaic__ReconcileTask rt = MOSAIC__RECONCILE_TASK__INIT;
	rt.task_id = "no way";
	Mosaic__ReconcileTask *rts[] = {&rt};
	Mosaic__Reconcile rec = MOSAIC__RECONCILE__INIT;
	rec.n_tasks = 1;
	rec.tasks = rts;
	master_handle(m, T(RECONCILE), F1, &rec.base);
	Mosaic__GangDemand gd = MOSAIC__GANG_DEMAND__INIT;
	gd.has_tasks = 1;
	gd.tasks = 0;
	master_handle(m, T(GANG_DEMAND), F1, &gd.base);
	Mosaic__FrameworkMessage fm = MOSAIC__FRAMEWORK_MESSAGE__INIT;
	master_handle(m, T(FRAMEWORK_MESSAGE), F1, &fm.base);
	CHECK(capture_count(&c, F1, T(ERROR)) == 5);
	CHECK(capture_count(&c, F1, T(UPDATE)) == 0);
	/* A payload of the wrong type for its message type. */
	master_handle(m, T(ACCEPT), F1, &ka.base);
	master_handle(m, 9999, F1, &ka.base);
	/* Acknowledge with an empty uuid; Pong and UpdateAgent from strangers. */
	Mosaic__Acknowledge ack = MOSAIC__ACKNOWLEDGE__INIT;
	ack.agent_id = a1;
	ack.task_id = "t1";
	master_handle(m, T(ACKNOWLEDGE), F1, &ack.base);
	CHECK(capture_count(&c, A1, T(STATUS_UPDATE_ACK)) == 0);
	Mosaic__Pong pong = MOSAIC__PONG__INIT;
	pong.agent_id = "bad id";
	master_handle(m, T(PONG), stranger, &pong.base);
	Mosaic__UpdateAgent ua = MOSAIC__UPDATE_AGENT__INIT;
	ua.agent_id = a1;
	master_handle(m, T(UPDATE_AGENT), stranger, &ua.base);
	/* Status update with a bad state and one with a huge uuid. */
	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.task_id = "t1";
	st.state = 42;
	Mosaic__StatusUpdate su = MOSAIC__STATUS_UPDATE__INIT;
	su.framework_id = fw;
	su.status = &st;
	master_handle(m, T(STATUS_UPDATE), A1, &su.base);
	uint8_t big[100] = {0};
	st.state = MOSAIC__TASK_STATE__TASK_RUNNING;
	st.has_uuid = 1;
	st.uuid.data = big;
	st.uuid.len = sizeof(big);
	master_handle(m, T(STATUS_UPDATE), A1, &su.base);
	CHECK(capture_count(&c, F1, T(UPDATE)) == 0);
	CHECK(m->counters.messages_invalid >= 20);
	/* Still serving. */
	CHECK(master_allocate_now(m) == 1);
	master_free(m);
	capture_fini(&c);
}

static void
test_timers(mosaic_loop *loop)
{
	capture c = {0};
	master_config cfg;
	master_config_init(&cfg);
	cfg.heartbeat_interval = 0.05;
	cfg.keepalive_timeout = 0.4;
	cfg.offer_timeout = 0.2;
	cfg.allocation_interval = 30;
	cfg.ping_interval = 30;
	master *m = h_master(loop, workdir(), &c, &cfg);
	char err[256], a1[64], fw[64];
	CHECK_OK(master_start(m, err, sizeof(err)));
	h_register_agent(m, &c, A1, "node1", "cpus:4;mem:4096", 1, a1);
	h_subscribe(m, &c, F1, "fw1", "batch", 1.0, NULL, fw);
	Mosaic__Keepalive ka = MOSAIC__KEEPALIVE__INIT;
	ka.framework_id = fw;
	/* The event-driven pass offers within a few tens of ms. */
	h_run(loop, 0.1);
	CHECK(capture_count(&c, F1, T(OFFERS)) == 1);
	CHECK(capture_count(&c, F1, T(HEARTBEAT)) >= 1);
	/* Unanswered, the offer times out and is offered again. */
	for (int i = 0; i < 6; i++) {
		master_handle(m, T(KEEPALIVE), F1, &ka.base);
		h_run(loop, 0.05);
	}
	CHECK(capture_count(&c, F1, T(RESCIND)) >= 1);
	CHECK(m->counters.offers_expired >= 1);
	CHECK(capture_count(&c, F1, T(OFFERS)) >= 2);
	CHECK(master_framework_find(m, fw)->connected);
	/* Launch a task, then go silent: disconnected, then removed. Take
	 * the outstanding offer (or make one) without running the loop. */
	capture_clear(&c);
	master_allocate_now(m);
	master_offer *o = master_framework_find(m, fw)->offers;
	CHECK(o != NULL);
	char ids[1][64];
	snprintf(ids[0], 64, "%s", o ? o->id : "");
	const char *oid[] = {ids[0]};
	h_task t[] = {{"t1", a1, "cpus:1", NULL, 0}};
	h_accept(m, F1, oid, 1, MOSAIC__OPERATION_TYPE__OP_LAUNCH, t, 1, 0);
	CHECK(capture_count(&c, A1, T(RUN_TASKS)) == 1);
	h_run(loop, 0.8);
	master_framework *f = master_framework_find(m, fw);
	CHECK(f && !f->connected && m->counters.frameworks_disconnected == 1);
	CHECK(f && f->noffers == 0);
	h_run(loop, 1.2);
	CHECK(master_framework_find(m, fw) == NULL);
	CHECK(capture_count(&c, A1, T(SHUTDOWN_FRAMEWORK)) == 1);
	/* Removed for good: re-subscribing with its id is refused. */
	char id[64];
	h_subscribe(m, &c, F1, "fw1", "batch", 1.0, fw, id);
	CHECK(id[0] == '\0');
	Mosaic__Error *e = capture_last(&c, F1, T(ERROR), &mosaic__error__descriptor);
	CHECK(e && strstr(e->message, "was removed"));
	master_free(m);
	capture_fini(&c);
}

/* Allocation after events: the first event after a quiet spell gets its
 * pass in the loop round that brought it (a framework that subscribes to
 * an idle cluster is offered at once, not after allocation_delay); events
 * that follow a pass within allocation_delay share one later pass. */
static void
test_event_passes(mosaic_loop *loop)
{
	capture c = {0};
	master_config cfg;
	master_config_init(&cfg);
	cfg.allocation_interval = 30;
	cfg.allocation_delay = 0.5;
	cfg.ping_interval = 30;
	master *m = h_master(loop, workdir(), &c, &cfg);
	char err[256], a1[64], a2[64], a3[64], fw[64];
	CHECK_OK(master_start(m, err, sizeof(err)));
	h_register_agent(m, &c, A1, "node1", "cpus:4;mem:4096", 1, a1);
	h_subscribe(m, &c, F1, "fw1", "batch", 1.0, NULL, fw);
	uint64_t passes = m->counters.allocation_passes;
	/* One round of the loop, no waiting: both events, one pass. */
	loop_run_once(loop, 0);
	CHECK(m->counters.allocation_passes == passes + 1);
	CHECK(capture_count(&c, F1, T(OFFERS)) == 1);
	/* Right after that pass: a decline and a new agent wait for the next
	 * slot, and share it. */
	Mosaic__Offers *o = capture_last(&c, F1, T(OFFERS), &mosaic__offers__descriptor);
	CHECK(o && o->n_offers == 1);
	char *ids[1] = {o ? o->offers[0]->id : ""};
	Mosaic__Filters f = MOSAIC__FILTERS__INIT;
	f.has_refuse_seconds = 1;
	f.refuse_seconds = 0;
	Mosaic__Decline d = MOSAIC__DECLINE__INIT;
	d.n_offer_ids = 1;
	d.offer_ids = ids;
	d.filters = &f;
	master_handle(m, T(DECLINE), F1, &d.base);
	h_register_agent(m, &c, A2, "node2", "cpus:4;mem:4096", 2, a2);
	loop_run_once(loop, 0);
	CHECK(m->counters.allocation_passes == passes + 1);
	CHECK(capture_count(&c, F1, T(OFFERS)) == 1);
	h_run(loop, 0.7);
	CHECK(m->counters.allocation_passes == passes + 2);
	CHECK(capture_count(&c, F1, T(OFFERS)) == 2);
	o = capture_last(&c, F1, T(OFFERS), &mosaic__offers__descriptor);
	CHECK(o && o->n_offers == 2); /* both agents, one message */
	/* Quiet for longer than allocation_delay: the next event is served at once. */
	h_run(loop, 0.6);
	CHECK(m->counters.allocation_passes == passes + 2);
	h_register_agent(m, &c, "tcp://127.0.0.1:7003", "node3", "cpus:4;mem:4096", 3, a3);
	loop_run_once(loop, 0);
	CHECK(m->counters.allocation_passes == passes + 3);
	CHECK(capture_count(&c, F1, T(OFFERS)) == 3);
	master_free(m);
	capture_fini(&c);
}

int
main(void)
{
	CHECK(mkdtemp(base) != NULL);
	mosaic_loop *loop;
	CHECK_OK(loop_new(&loop));
	test_registration(loop);
	test_offer_accept_status(loop);
	test_teardown_idle(loop);
	test_gang(loop);
	test_gang_demand(loop);
	test_agent_lost(loop);
	test_bad_input(loop);
	test_timers(loop);
	test_event_passes(loop);
	loop_free(loop);
	util_remove_tree(base);
	return check_done();
}
