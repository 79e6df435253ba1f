/* The codec boundary: task specs checked and turned into TaskInfo (shell
 * and argv, environment, placement, labels), offers and statuses turned
 * into the public views, and the public resource helpers. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mosaic/sched.h"
#include "sched_codec.h"

static void
test_task(void)
{
	char err[256];
	sched_task_pb p;
	mosaic_sched_task t = {0};
	t.id = "t-1";
	t.agent_id = "agent-1";
	t.shell = "echo hi";
	CHECK_OK(sched_codec_task(&p, &t, err, sizeof(err)));
	CHECK(strcmp(p.info.name, "t-1") == 0); /* name defaults to the id */
	CHECK(p.cmd.has_shell && p.cmd.shell && strcmp(p.cmd.value, "echo hi") == 0);
	CHECK(p.info.placement == NULL);
	CHECK(!p.info.has_kill_grace_seconds);
	/* It packs and unpacks to the same thing. */
	size_t len = mosaic__task_info__get_packed_size(&p.info);
	uint8_t *buf = malloc(len);
	mosaic__task_info__pack(&p.info, buf);
	Mosaic__TaskInfo *back = mosaic__task_info__unpack(NULL, len, buf);
	CHECK(back && strcmp(back->command->value, "echo hi") == 0 && strcmp(back->agent_id, "agent-1") == 0);
	mosaic__task_info__free_unpacked(back, NULL);
	free(buf);
	sched_codec_task_fini(&p);

	const char *argv[] = {"/bin/ls", "-l", "/tmp", NULL};
	const char *env[] = {"A=1", "B=x=y", NULL};
	mosaic_sched_attribute labels[] = {{"job", "42"}};
	t.shell = NULL;
	t.argv = argv;
	t.env = env;
	t.name = "listing";
	t.placement.kind = MOSAIC_SCHED_PLACE_NUMA;
	t.placement.cores = 2;
	t.placement.mem_bind = true;
	t.kill_grace = 10;
	t.labels = labels;
	t.nlabels = 1;
	t.resources.cpus = 2;
	t.resources.mem = 256;
	t.data = "xyz";
	t.data_len = 3;
	CHECK_OK(sched_codec_task(&p, &t, err, sizeof(err)));
	CHECK(p.cmd.has_shell && !p.cmd.shell);
	CHECK(p.cmd.n_arguments == 3 && strcmp(p.cmd.arguments[2], "/tmp") == 0);
	CHECK(strcmp(p.cmd.value, "/bin/ls") == 0);
	CHECK(p.cmd.n_environment == 2);
	CHECK(strcmp(p.cmd.environment[1]->name, "B") == 0 &&
	      strcmp(p.cmd.environment[1]->value, "x=y") == 0);
	CHECK(p.info.placement && p.info.placement->kind == MOSAIC__PLACEMENT_KIND__PLACE_NUMA);
	CHECK(p.info.placement->cores == 2 && p.info.placement->mem_bind);
	CHECK(p.info.has_kill_grace_seconds && p.info.kill_grace_seconds == 10);
	CHECK(p.info.n_labels == 1 && strcmp(p.info.labels[0]->value, "42") == 0);
	CHECK(p.info.resources->cpus == 2 && p.info.resources->mem == 256);
	CHECK(p.info.has_data && p.info.data.len == 3);
	sched_codec_task_fini(&p);

	/* Refusals name the problem. */
	mosaic_sched_task bad = t;
	bad.shell = "also";
	CHECK(sched_codec_task(&p, &bad, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "exactly one") != NULL);
	bad = t;
	bad.id = "../etc";
	CHECK(sched_codec_task(&p, &bad, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "../etc") != NULL);
	bad = t;
	bad.agent_id = NULL;
	CHECK(sched_codec_task(&p, &bad, err, sizeof(err)) == MOSAIC_EINVAL);
	bad = t;
	const char *badenv[] = {"NOEQUALS", NULL};
	bad.env = badenv;
	CHECK(sched_codec_task(&p, &bad, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "NOEQUALS") != NULL);
	bad = t;
	bad.resources.mem = -1;
	CHECK(sched_codec_task(&p, &bad, err, sizeof(err)) == MOSAIC_EINVAL);
	bad = t;
	bad.argv = NULL;
	CHECK(sched_codec_task(&p, &bad, err, sizeof(err)) == MOSAIC_EINVAL);
}

/* An inline script: CommandInfo.script, argv as its arguments, value a
 * name for the master; bad scripts refused before anything is sent. */
static void
test_script(void)
{
	char err[256];
	sched_task_pb p;
	mosaic_sched_task t = {0};
	t.id = "s-1";
	t.agent_id = "agent-1";
	t.script = "#!/bin/bash\necho \"$@\"\n";
	CHECK_OK(sched_codec_task(&p, &t, err, sizeof(err)));
	CHECK(p.cmd.script && strcmp(p.cmd.script, t.script) == 0);
	CHECK(p.cmd.value && strcmp(p.cmd.value, "script") == 0 && p.cmd.n_arguments == 0);
	sched_codec_task_fini(&p);
	const char *argv[] = {"job", "a", "b c", NULL};
	t.argv = argv;
	CHECK_OK(sched_codec_task(&p, &t, err, sizeof(err)));
	CHECK(strcmp(p.cmd.value, "job") == 0 && p.cmd.n_arguments == 3);
	CHECK(strcmp(p.cmd.arguments[2], "b c") == 0);
	size_t len = mosaic__task_info__get_packed_size(&p.info);
	uint8_t *buf = malloc(len);
	mosaic__task_info__pack(&p.info, buf);
	Mosaic__TaskInfo *back = mosaic__task_info__unpack(NULL, len, buf);
	CHECK(back && back->command->script && strcmp(back->command->script, t.script) == 0);
	mosaic__task_info__free_unpacked(back, NULL);
	free(buf);
	sched_codec_task_fini(&p);

	mosaic_sched_task bad = t;
	bad.shell = "echo";
	CHECK(sched_codec_task(&p, &bad, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "both a script and a shell") != NULL);
	bad = t;
	bad.script = "echo no interpreter\n";
	CHECK(sched_codec_task(&p, &bad, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "#!") != NULL);
	char *big = malloc(MOSAIC_SCHED_MAX_SCRIPT + 2);
	memset(big, 'x', MOSAIC_SCHED_MAX_SCRIPT + 1);
	memcpy(big, "#!/bin/sh\n", 10);
	big[MOSAIC_SCHED_MAX_SCRIPT + 1] = '\0';
	bad.script = big;
	CHECK(sched_codec_task(&p, &bad, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strstr(err, "over the limit") != NULL);
	big[MOSAIC_SCHED_MAX_SCRIPT] = '\0'; /* at the limit: fine */
	CHECK_OK(sched_codec_task(&p, &bad, err, sizeof(err)));
	sched_codec_task_fini(&p);
	free(big);
}

static void
test_offers_status(void)
{
	Mosaic__Resources r = MOSAIC__RESOURCES__INIT;
	r.has_cpus = 1;
	r.cpus = 4;
	r.has_mem = 1;
	r.mem = 2048;
	Mosaic__Attribute at = MOSAIC__ATTRIBUTE__INIT;
	at.name = "rack";
	at.value = "r1";
	Mosaic__Attribute *atp[] = {&at};
	uint32_t numa[] = {2, 1};
	Mosaic__TopologySummary topo = MOSAIC__TOPOLOGY_SUMMARY__INIT;
	topo.has_sockets = 1;
	topo.sockets = 2;
	topo.free_cores_per_numa = numa;
	topo.n_free_cores_per_numa = 2;
	Mosaic__Offer o1 = MOSAIC__OFFER__INIT, o2 = MOSAIC__OFFER__INIT;
	o1.id = "offer-1";
	o1.agent_id = "agent-1";
	o1.hostname = "agent1";
	o1.resources = &r;
	o1.attributes = atp;
	o1.n_attributes = 1;
	o1.topology = &topo;
	Mosaic__Resources neg = MOSAIC__RESOURCES__INIT;
	neg.has_cpus = 1;
	neg.cpus = -1;
	o2.id = "offer-2";
	o2.agent_id = "agent-2";
	o2.resources = &neg;
	Mosaic__Offer *ov[] = {&o1, &o2};
	Mosaic__Offers offers = MOSAIC__OFFERS__INIT;
	offers.offers = ov;
	offers.n_offers = 2;
	sched_offer_batch b;
	sched_codec_offers(&b, &offers);
	CHECK(b.n == 1); /* the one with negative cpus is dropped */
	CHECK(strcmp(b.offers[0].id, "offer-1") == 0);
	CHECK(b.offers[0].resources.cpus == 4 && b.offers[0].resources.mem == 2048);
	CHECK(strcmp(mosaic_sched_offer_attribute(&b.offers[0], "rack"), "r1") == 0);
	CHECK(mosaic_sched_offer_attribute(&b.offers[0], "zone") == NULL);
	CHECK(b.offers[0].topology.present && b.offers[0].topology.sockets == 2);
	CHECK(b.offers[0].topology.nnuma == 2 && b.offers[0].topology.free_cores_per_numa[0] == 2);
	CHECK(strcmp(b.offers[0].agent_http, "") == 0);
	sched_offer_batch_fini(&b);

	Mosaic__TaskStatus st = MOSAIC__TASK_STATUS__INIT;
	st.task_id = "t-1";
	st.state = MOSAIC__TASK_STATE__TASK_FAILED;
	st.has_exit_code = 1;
	st.exit_code = 3;
	uint8_t u[16] = {0xde, 0xad, 0xbe, 0xef};
	st.has_uuid = 1;
	st.uuid.data = u;
	st.uuid.len = 16;
	char hex[65];
	mosaic_sched_status s;
	sched_codec_status(&s, &st, hex);
	CHECK(s.state == MOSAIC_SCHED_TASK_FAILED && s.has_exit_code && s.exit_code == 3);
	CHECK(s.uuid && strncmp(s.uuid, "deadbeef", 8) == 0 && strlen(s.uuid) == 32);
	CHECK(strcmp(s.message, "") == 0 && strcmp(s.agent_id, "") == 0);
	uint8_t back[32];
	CHECK(sched_codec_hex_decode(s.uuid, back, sizeof(back)) == 16 && memcmp(back, u, 16) == 0);
	CHECK(sched_codec_hex_decode("xyz", back, sizeof(back)) == -1);
	st.has_uuid = 0;
	sched_codec_status(&s, &st, hex);
	CHECK(s.uuid == NULL);
}

static void
test_public_values(void)
{
	mosaic_sched_resources a, b;
	char err[128], buf[256];
	CHECK_OK(mosaic_sched_resources_parse(&a, "cpus:4;mem:1024;ports:[31000-31009]", err, sizeof(err)));
	CHECK_OK(mosaic_sched_resources_parse(&b, "cpus:1;mem:128;ports:[31002-31002]", err, sizeof(err)));
	CHECK(mosaic_sched_resources_contains(&a, &b));
	CHECK(!mosaic_sched_resources_contains(&b, &a));
	CHECK_OK(mosaic_sched_resources_subtract(&a, &b));
	CHECK(a.cpus == 3 && a.nports == 2);
	CHECK(mosaic_sched_resources_subtract(&b, &a) == MOSAIC_SCHED_EINVAL);
	CHECK_OK(mosaic_sched_resources_add(&a, &b));
	mosaic_sched_resources_format(&a, buf, sizeof(buf));
	CHECK(strcmp(buf, "cpus:4;mem:1024;ports:[31000-31009]") == 0);
	CHECK(mosaic_sched_resources_parse(&a, "cpus:x", err, sizeof(err)) == MOSAIC_SCHED_EINVAL);
	CHECK(strcmp(mosaic_sched_task_state_name(MOSAIC_SCHED_TASK_RUNNING), "TASK_RUNNING") == 0);
	CHECK(mosaic_sched_task_state_terminal(MOSAIC_SCHED_TASK_KILLED));
	CHECK(!mosaic_sched_task_state_terminal(MOSAIC_SCHED_TASK_KILLING));
	CHECK(strlen(mosaic_sched_strerror(MOSAIC_SCHED_ESTATE)) > 0);
	/* Unsorted ports from a caller are normalised on the way in. */
	mosaic_sched_resources u = {0};
	u.nports = 2;
	u.ports[0] = (mosaic_sched_range){40, 50};
	u.ports[1] = (mosaic_sched_range){10, 20};
	mosaic_sched_resources w = {0};
	w.nports = 1;
	w.ports[0] = (mosaic_sched_range){12, 13};
	CHECK(mosaic_sched_resources_contains(&u, &w));
}

int
main(void)
{
	test_task();
	test_script();
	test_offers_status();
	test_public_values();
	return check_done();
}
