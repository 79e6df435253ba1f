/* A restarted master (same --work-dir) recognises its agents, frameworks
 * and weights: a returning agent keeps its id and its tasks are adopted,
 * a framework re-subscribes with its id (from a new address) and finds
 * them; tasks of removed or unknown frameworks are stopped. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "harness.h"
#include "master_impl.h"
#include "util.h"

#define A1 "tcp://127.0.0.1:7101"
#define A1B "tcp://127.0.0.1:7102"
#define F1 "tcp://127.0.0.1:8101"
#define F1B "tcp://127.0.0.1:8102"

#define T(x) MOSAIC__MESSAGE_TYPE__MSG_##x

static double
fw_cpus(master *m, const char *fw)
{
	mosaic_resources r;
	if (allocator_framework_allocated(m->alloc, fw, &r) != 0)
		return -1;
	return r.cpus;
}

static master *
restart(mosaic_loop *loop, master *old, const char *work, capture *c, const char *weights_text)
{
	master_free(old);
	capture_clear(c);
	master_config cfg;
	master_config_init(&cfg);
	weights w = {0};
	char err[128];
	if (weights_text)
		weights_parse(&w, weights_text, err, sizeof(err));
	cfg.weights = &w;
	master *m = h_master(loop, work, c, &cfg);
	weights_fini(&w);
	return m;
}

int
main(void)
{
	char base[] = "/tmp/mosaic-test-restart-XXXXXX";
	CHECK(mkdtemp(base) != NULL);
	char work[300];
	snprintf(work, sizeof(work), "%s/master", base);
	mosaic_loop *loop;
	CHECK_OK(loop_new(&loop));
	capture c = {0};

	/* First life: an agent, a framework, a running task, a weight. */
	master *m = restart(loop, NULL, work, &c, "batch=2,mpi=0.5");
	CHECK(allocator_weight(m->alloc, "batch") == 2);
	char a1[64], fw[64], ids[4][64], agents[4][64];
	h_register_agent(m, &c, A1, "node1", "cpus:4;mem:4096", 10, a1);
	h_subscribe(m, &c, F1, "mbatchd", "batch", 3600, NULL, fw);
	master_allocate_now(m);
	CHECK(h_offers(&c, F1, ids, agents, 4) == 1);
	const char *oid[] = {ids[0]};
	h_task t[] = {{"job-1", a1, "cpus:1;mem:100", NULL, 0}};
	h_accept(m, F1, oid, 1, MOSAIC__OPERATION_TYPE__OP_LAUNCH, t, 1, 0);
	h_status(m, A1, fw, "job-1", MOSAIC__TASK_STATE__TASK_RUNNING, 1);

	/* Second life, no --weights: the registry's weights hold. */
	m = restart(loop, m, work, &c, NULL);
	CHECK(allocator_weight(m->alloc, "batch") == 2 && allocator_weight(m->alloc, "mpi") == 0.5);
	master_framework *f = master_framework_find(m, fw);
	CHECK(f && !f->connected && f->failover_timeout == 3600 && strcmp(f->role, "batch") == 0);
	CHECK(master_agent_find(m, a1) == NULL);
	CHECK(master_allocate_now(m) == 0);
	/* The agent returns from a new address with its task, and one of a
	 * framework nobody knows (no FrameworkInfo): the first is adopted,
	 * the second killed. */
	h_task back[] = {
	    {"job-1", a1, "cpus:1;mem:100", fw, MOSAIC__TASK_STATE__TASK_RUNNING},
	    {"ghost-1", a1, "cpus:1", "fw-ghost", MOSAIC__TASK_STATE__TASK_RUNNING},
	    {"done-1", a1, "cpus:1", fw, MOSAIC__TASK_STATE__TASK_FINISHED},
	};
	h_reregister_agent(m, A1B, a1, "node1", "cpus:4;mem:4096", back, 3, NULL, 0);
	Mosaic__AgentRegistered *reg =
	    capture_last(&c, A1B, T(AGENT_REGISTERED), &mosaic__agent_registered__descriptor);
	CHECK(reg && strcmp(reg->agent_id, a1) == 0);
	Mosaic__KillTask *kt = capture_last(&c, A1B, T(KILL_TASK), &mosaic__kill_task__descriptor);
	CHECK(kt && strcmp(kt->task_id, "ghost-1") == 0 && strcmp(kt->framework_id, "fw-ghost") == 0);
	CHECK(capture_count(&c, A1B, T(KILL_TASK)) == 1);
	master_task *job = master_task_find(f, "job-1");
	CHECK(job && !job->completed && job->state == MOSAIC__TASK_STATE__TASK_RUNNING && job->accounted);
	CHECK(master_task_find(f, "done-1") == NULL);
	CHECK(fw_cpus(m, fw) == 1);
	CHECK(m->counters.tasks_adopted == 1);
	/* The disconnected framework gets no offers until it is back. */
	CHECK(master_allocate_now(m) == 0);
	/* It re-subscribes with its id from a new address and finds its task. */
	char again[64];
	h_subscribe(m, &c, F1B, "mbatchd", "batch", 3600, fw, again);
	CHECK(strcmp(again, fw) == 0 && f->connected && strcmp(f->address, F1B) == 0);
	capture_clear(&c);
	Mosaic__Reconcile rec = MOSAIC__RECONCILE__INIT;
	master_handle(m, T(RECONCILE), F1B, &rec.base);
	int states[4];
	CHECK(capture_updates(&c, F1B, "job-1", states, 4, NULL) == 1 &&
	      states[0] == MOSAIC__TASK_STATE__TASK_RUNNING);
	CHECK(master_allocate_now(m) == 1);
	/* Its task's updates reach it at the new address. */
	h_status(m, A1B, fw, "job-1", MOSAIC__TASK_STATE__TASK_FINISHED, 2);
	CHECK(capture_updates(&c, F1B, "job-1", states, 4, NULL) == 2);
	CHECK(capture_count(&c, F1, T(UPDATE)) == 0);
	/* An agent id the registry never saw is admitted too. */
	h_reregister_agent(m, "tcp://127.0.0.1:7103", "agent-from-elsewhere", "node9", "cpus:1;mem:64", NULL,
	                   0, NULL, 0);
	CHECK(master_agent_find(m, "agent-from-elsewhere") &&
	      master_agent_find(m, "agent-from-elsewhere")->active);
	CHECK(registry_agent_known(m->reg, "agent-from-elsewhere"));

	/* A framework known only through an agent's report (registry lost
	 * it) is recovered from the FrameworkInfo the agent sends. */
	Mosaic__FrameworkInfo other = MOSAIC__FRAMEWORK_INFO__INIT;
	other.id = "fw-other";
	other.name = "mapred";
	other.role = "mapred";
	const Mosaic__FrameworkInfo *infos[] = {&other};
	h_task orun[] = {{"map-1", "agent-x2", "cpus:1", "fw-other", MOSAIC__TASK_STATE__TASK_RUNNING}};
	capture_clear(&c);
	h_reregister_agent(m, "tcp://127.0.0.1:7104", "agent-x2", "node8", "cpus:2;mem:64", orun, 1, infos,
	                   1);
	CHECK(capture_count(&c, "tcp://127.0.0.1:7104", T(KILL_TASK)) == 0);
	master_framework *of = master_framework_find(m, "fw-other");
	CHECK(of && !of->connected && master_task_find(of, "map-1") != NULL);

	/* Teardown, then a restart: the framework stays removed, and its
	 * tasks an agent still reports are shut down. */
	Mosaic__Teardown td = MOSAIC__TEARDOWN__INIT;
	master_handle(m, T(TEARDOWN), F1B, &td.base);
	CHECK(master_framework_find(m, fw) == NULL);
	m = restart(loop, m, work, &c, "batch=3");
	CHECK(master_framework_find(m, fw) == NULL);
	CHECK(master_framework_find(m, "fw-other") != NULL);
	CHECK(allocator_weight(m->alloc, "batch") == 3);
	h_subscribe(m, &c, F1, "mbatchd", "batch", 3600, fw, again);
	CHECK(again[0] == '\0');
	h_task stale[] = {{"job-2", a1, "cpus:1", fw, MOSAIC__TASK_STATE__TASK_RUNNING}};
	h_reregister_agent(m, A1, a1, "node1", "cpus:4;mem:4096", stale, 1, NULL, 0);
	Mosaic__ShutdownFramework *sd =
	    capture_last(&c, A1, T(SHUTDOWN_FRAMEWORK), &mosaic__shutdown_framework__descriptor);
	CHECK(sd && strcmp(sd->framework_id, fw) == 0);
	CHECK(capture_count(&c, A1, T(KILL_TASK)) == 0);
	/* Until job-2 ends, its cpu is not offered. */
	mosaic_resources free_a1;
	CHECK(allocator_agent_free(m->alloc, a1, &free_a1) == 0 && free_a1.cpus == 3);
	h_status(m, A1, fw, "job-2", MOSAIC__TASK_STATE__TASK_KILLED, 9);
	CHECK(allocator_agent_free(m->alloc, a1, &free_a1) == 0 && free_a1.cpus == 4);

	/* The flag's weight was persisted. */
	m = restart(loop, m, work, &c, NULL);
	CHECK(allocator_weight(m->alloc, "batch") == 3);
	master_free(m);
	capture_fini(&c);
	loop_free(loop);
	util_remove_tree(base);
	return check_done();
}
