/* test_allocator.c - the hierarchical DRF allocator: the DRF paper's example
 * played out as Mesos frameworks would, weights, roles, filters, suppress,
 * deactivation, removals, error cases, and a randomised comparison against a
 * plain model that re-derives the HDRF choice for every offer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "allocator.h"
#include "check.h"
#include "errors.h"
#include "resources.h"

static mosaic_resources
R(const char *text)
{
	mosaic_resources r;
	if (res_parse(&r, text, NULL, 0) != 0) {
		fprintf(stderr, "bad resources in test: %s\n", text);
		abort();
	}
	return r;
}

static uint64_t test_rng = 88172645463325252ULL;

static uint32_t
rnd(uint32_t n)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 7;
	test_rng ^= test_rng << 17;
	return n ? (uint32_t)(test_rng % n) : 0;
}

/* Declines every offer in out, as a framework that wants nothing would. */
static void
recover_all(allocator *a, const allocator_offers *out)
{
	for (size_t i = 0; i < out->count; i++)
		CHECK_OK(allocator_recover(a, out->items[i].framework_id, out->items[i].agent_id,
		    &out->items[i].resources));
}

/* The framework and agent of offer i, or "" past the end: a failed count
 * check must not turn into a crash. */
static const char *
fw_of(const allocator_offers *out, size_t i)
{
	return i < out->count ? out->items[i].framework_id : "";
}

static const char *
agent_of(const allocator_offers *out, size_t i)
{
	return i < out->count ? out->items[i].agent_id : "";
}

/* Resources of offer i, or empty past the end. */
static const mosaic_resources *
res_of(const allocator_offers *out, size_t i)
{
	static const mosaic_resources none;
	return i < out->count ? &out->items[i].resources : &none;
}

static size_t
count_for(const allocator_offers *out, const char *fw)
{
	size_t n = 0;
	for (size_t i = 0; i < out->count; i++)
		n += strcmp(out->items[i].framework_id, fw) == 0;
	return n;
}

/* DRF paper (Ghodsi et al., NSDI 2011), section 4: 9 CPUs and 18 GB; A's
 * tasks are <1 CPU, 4 GB>, B's <3 CPUs, 1 GB>. Each framework launches at
 * most one task per offer and declines (with a filter) an offer its task
 * does not fit. DRF ends with A running 3 tasks and B 2, both at 2/3. */
static void
test_drf_paper(void)
{
	allocator *a = allocator_new(NULL);
	mosaic_resources agent = R("cpus:9;mem:18432");
	CHECK_OK(allocator_add_agent(a, "s1", &agent));
	CHECK_OK(allocator_add_framework(a, "A", "role-a"));
	CHECK_OK(allocator_add_framework(a, "B", "role-b"));
	struct {
		const char *id;
		mosaic_resources task;
		int tasks, declines;
	} fws[2] = {{"A", R("cpus:1;mem:4096"), 0, 0}, {"B", R("cpus:3;mem:1024"), 0, 0}};

	allocator_offers out = {0};
	int quiet_rounds = 0;
	for (double now = 0; now < 200 && quiet_rounds < 20; now += 1) {
		allocator_offers_clear(&out);
		allocator_allocate(a, now, &out);
		int launched = 0;
		for (size_t i = 0; i < out.count; i++) {
			allocator_offer *o = &out.items[i];
			int f = strcmp(o->framework_id, "A") == 0 ? 0 : 1;
			CHECK(strcmp(o->framework_id, fws[f].id) == 0);
			if (res_contains(&o->resources, &fws[f].task)) {
				mosaic_resources rest = o->resources;
				CHECK_OK(res_sub(&rest, &fws[f].task));
				CHECK_OK(allocator_recover(a, fws[f].id, o->agent_id, &rest));
				fws[f].tasks++;
				launched++;
			} else {
				CHECK_OK(allocator_recover(a, fws[f].id, o->agent_id, &o->resources));
				CHECK_OK(allocator_filter(a, fws[f].id, o->agent_id, now + 5));
				fws[f].declines++;
			}
		}
		quiet_rounds = launched ? 0 : quiet_rounds + 1;
	}
	CHECK(fws[0].tasks == 3);
	CHECK(fws[1].tasks == 2);
	/* Both were offered the leftover <0 CPU, 4 GB> and turned it down. */
	CHECK(fws[0].declines > 0 && fws[1].declines > 0);
	CHECK_NEAR(allocator_framework_share(a, "A"), 2.0 / 3, 1e-9);
	CHECK_NEAR(allocator_framework_share(a, "B"), 2.0 / 3, 1e-9);
	CHECK_NEAR(allocator_role_share(a, "role-a"), 2.0 / 3, 1e-9);
	mosaic_resources held, free_;
	CHECK_OK(allocator_framework_allocated(a, "A", &held));
	CHECK_NEAR(held.cpus, 3, 1e-9);
	CHECK_NEAR(held.mem, 12288, 1e-9);
	CHECK_OK(allocator_agent_free(a, "s1", &free_));
	CHECK_NEAR(free_.cpus, 0, 1e-9);
	CHECK_NEAR(free_.mem, 18432 - 12288 - 2048, 1e-9);
	allocator_offers_fini(&out);
	allocator_free(a);
}

/* A saturated cluster of small agents, frameworks that always want more
 * unit tasks, and a tenth of the tasks finishing each round: the allocated
 * shares settle at the roles' weights, 1:2. */
static void
test_weights_saturated(void)
{
	enum { NAGENTS = 300 };
	allocator *a = allocator_new(NULL);
	mosaic_resources agent = R("cpus:2;mem:2048"), task = R("cpus:1;mem:1024");
	char id[32];
	for (int i = 0; i < NAGENTS; i++) {
		snprintf(id, sizeof(id), "agent-%03d", i);
		CHECK_OK(allocator_add_agent(a, id, &agent));
	}
	CHECK_OK(allocator_set_weight(a, "light", 1));
	CHECK_OK(allocator_set_weight(a, "heavy", 2));
	CHECK_NEAR(allocator_weight(a, "heavy"), 2, 0);
	CHECK_NEAR(allocator_weight(a, "unknown"), 1, 0);
	CHECK_OK(allocator_add_framework(a, "f-light", "light"));
	CHECK_OK(allocator_add_framework(a, "f-heavy", "heavy"));
	static int tasks[2][NAGENTS]; /* running tasks per framework and agent */
	const char *names[2] = {"f-light", "f-heavy"};
	allocator_offers out = {0};
	for (int round = 0; round < 60; round++) {
		allocator_offers_clear(&out);
		allocator_allocate(a, round, &out);
		for (size_t i = 0; i < out.count; i++) {
			allocator_offer *o = &out.items[i];
			int f = strcmp(o->framework_id, "f-heavy") == 0;
			int ag = atoi(o->agent_id + strlen("agent-"));
			mosaic_resources rest = o->resources;
			while (res_contains(&rest, &task)) {
				CHECK_OK(res_sub(&rest, &task));
				tasks[f][ag]++;
			}
			if (!res_is_empty(&rest))
				CHECK_OK(allocator_recover(a, o->framework_id, o->agent_id, &rest));
		}
		if (round == 59)
			break;
		/* A tenth of the running tasks finish. */
		int running = 0;
		for (int f = 0; f < 2; f++)
			for (int ag = 0; ag < NAGENTS; ag++)
				running += tasks[f][ag];
		for (int k = 0; k < running / 10; k++) {
			int f, ag;
			do {
				f = (int)rnd(2);
				ag = (int)rnd(NAGENTS);
			} while (!tasks[f][ag]);
			snprintf(id, sizeof(id), "agent-%03d", ag);
			CHECK_OK(allocator_recover(a, names[f], id, &task));
			tasks[f][ag]--;
		}
	}
	double sl = allocator_framework_share(a, "f-light"), sh = allocator_framework_share(a, "f-heavy");
	CHECK_NEAR(sl + sh, 1.0, 1e-9); /* saturated */
	CHECK(sl > 0 && sh / sl > 2 * 0.9 && sh / sl < 2 * 1.1);
	/* Role shares are reported undivided by the weight. */
	CHECK_NEAR(allocator_role_share(a, "heavy"), sh, 1e-9);

	/* Changing a weight re-orders at once: with light at weight 4, the
	 * next freed agents go to light until it passes 4:2. */
	CHECK_OK(allocator_set_weight(a, "light", 4));
	for (int ag = 0; ag < NAGENTS; ag++) {
		snprintf(id, sizeof(id), "agent-%03d", ag);
		for (int f = 0; f < 2; f++)
			for (int t = tasks[f][ag]; t > 0; t--)
				if (rnd(5) == 0) {
					CHECK_OK(allocator_recover(a, names[f], id, &task));
					tasks[f][ag]--;
				}
	}
	allocator_offers_clear(&out);
	allocator_allocate(a, 100, &out);
	CHECK(count_for(&out, "f-light") > 0 && count_for(&out, "f-heavy") == 0);
	CHECK(allocator_set_weight(a, "light", 0) == MOSAIC_EINVAL);
	CHECK(allocator_set_weight(a, "light", -1) == MOSAIC_EINVAL);
	CHECK_NEAR(allocator_weight(a, "light"), 4, 0);
	allocator_offers_fini(&out);
	allocator_free(a);
}

/* Two frameworks in one role split the role's half; the role next to them,
 * with one framework, gets the other half (hierarchical, not flat, DRF). */
static void
test_roles_hierarchy(void)
{
	allocator *a = allocator_new(NULL);
	mosaic_resources agent = R("cpus:1;mem:1024");
	char id[32];
	for (int i = 0; i < 120; i++) {
		snprintf(id, sizeof(id), "a%d", i);
		CHECK_OK(allocator_add_agent(a, id, &agent));
	}
	CHECK_OK(allocator_add_framework(a, "f1", "shared"));
	CHECK_OK(allocator_add_framework(a, "f2", "shared"));
	CHECK_OK(allocator_add_framework(a, "f3", "solo"));
	allocator_offers out = {0};
	CHECK(allocator_allocate(a, 0, &out) == 120);
	CHECK_NEAR(allocator_framework_share(a, "f1"), 0.25, 1.0 / 120);
	CHECK_NEAR(allocator_framework_share(a, "f2"), 0.25, 1.0 / 120);
	CHECK_NEAR(allocator_framework_share(a, "f3"), 0.5, 1.0 / 120);
	CHECK_NEAR(allocator_role_share(a, "shared"), 0.5, 1.0 / 120);
	CHECK(allocator_role_share(a, "nobody") < 0);
	CHECK(allocator_framework_share(a, "nobody") < 0);
	/* Everything is allocated: a second pass offers nothing. */
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 1, &out) == 0);
	allocator_offers_fini(&out);
	allocator_free(a);
}

static void
test_suppress_revive(void)
{
	allocator *a = allocator_new(NULL);
	mosaic_resources agent = R("cpus:4;mem:4096");
	CHECK_OK(allocator_add_agent(a, "a1", &agent));
	CHECK_OK(allocator_add_agent(a, "a2", &agent));
	CHECK_OK(allocator_add_framework(a, "f1", "r1"));
	CHECK_OK(allocator_add_framework(a, "f2", "r2"));
	allocator_offers out = {0};

	CHECK_OK(allocator_suppress(a, "f1"));
	CHECK(allocator_allocate(a, 0, &out) == 2);
	CHECK(count_for(&out, "f2") == 2);
	recover_all(a, &out);
	allocator_offers_clear(&out);

	/* Suppressed for good: f2 suppressed too, nothing is offered. */
	CHECK_OK(allocator_suppress(a, "f2"));
	CHECK(allocator_allocate(a, 1, &out) == 0);
	CHECK_OK(allocator_revive(a, "f1"));
	CHECK(allocator_allocate(a, 2, &out) == 2);
	CHECK(count_for(&out, "f1") == 2);
	recover_all(a, &out);
	allocator_offers_clear(&out);
	CHECK_OK(allocator_revive(a, "f2"));

	/* Revive drops the framework's filters: f1 declined both agents for
	 * a long time, then revived, and is offered again (it sorts first,
	 * by role name, at equal shares). */
	CHECK_OK(allocator_filter(a, "f1", "a1", 1000));
	CHECK_OK(allocator_filter(a, "f1", "a2", 1000));
	CHECK(allocator_allocate(a, 3, &out) == 2);
	CHECK(count_for(&out, "f2") == 2);
	recover_all(a, &out);
	allocator_offers_clear(&out);
	CHECK_OK(allocator_revive(a, "f1"));
	CHECK(allocator_allocate(a, 4, &out) == 2);
	CHECK(count_for(&out, "f1") == 1 && count_for(&out, "f2") == 1);
	CHECK(allocator_suppress(a, "nobody") == MOSAIC_ENOENT);
	CHECK(allocator_revive(a, "nobody") == MOSAIC_ENOENT);
	allocator_offers_fini(&out);
	allocator_free(a);
}

static void
test_filters(void)
{
	allocator *a = allocator_new(NULL);
	mosaic_resources agent = R("cpus:4;mem:4096");
	CHECK_OK(allocator_add_agent(a, "a1", &agent));
	CHECK_OK(allocator_add_framework(a, "f1", "r1"));
	CHECK_OK(allocator_add_framework(a, "f2", "r2"));
	allocator_offers out = {0};

	CHECK(allocator_allocate(a, 0, &out) == 1);
	CHECK(strcmp(fw_of(&out, 0), "f1") == 0);
	/* f1 declines for 10 s. */
	CHECK_OK(allocator_recover(a, "f1", "a1", res_of(&out, 0)));
	CHECK_OK(allocator_filter(a, "f1", "a1", 10));
	for (double now = 1; now < 10; now += 2.25) {
		allocator_offers_clear(&out);
		CHECK(allocator_allocate(a, now, &out) == 1);
		CHECK(strcmp(fw_of(&out, 0), "f2") == 0);
		CHECK_OK(allocator_recover(a, "f2", "a1", res_of(&out, 0)));
	}
	/* Both filtered: the agent stays unoffered. */
	CHECK_OK(allocator_filter(a, "f2", "a1", 12));
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 9.5, &out) == 0);
	/* At `until` the filter is gone. */
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 10, &out) == 1);
	CHECK(strcmp(fw_of(&out, 0), "f1") == 0);
	CHECK_OK(allocator_recover(a, "f1", "a1", res_of(&out, 0)));

	/* A filter is per agent: f1 declined a1 only, so it gets a2. */
	CHECK_OK(allocator_add_agent(a, "a2", &agent));
	CHECK_OK(allocator_suppress(a, "f2"));
	CHECK_OK(allocator_filter(a, "f1", "a1", 20));
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 11, &out) == 1);
	CHECK(strcmp(agent_of(&out, 0), "a2") == 0);
	/* A later Decline replaces the earlier filter. */
	CHECK_OK(allocator_filter(a, "f1", "a1", 13));
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 12.5, &out) == 0);
	CHECK(allocator_allocate(a, 13, &out) == 1);
	CHECK(strcmp(agent_of(&out, 0), "a1") == 0);

	CHECK(allocator_filter(a, "nobody", "a1", 5) == MOSAIC_ENOENT);
	CHECK(allocator_filter(a, "f1", "nowhere", 5) == MOSAIC_ENOENT);
	allocator_offers_fini(&out);
	allocator_free(a);
}

static void
test_deactivate(void)
{
	allocator *a = allocator_new(NULL);
	mosaic_resources agent = R("cpus:4;mem:4096"), used = R("cpus:1;mem:512");
	CHECK_OK(allocator_add_agent(a, "a1", &agent));
	CHECK_OK(allocator_add_agent(a, "a2", &agent));
	CHECK_OK(allocator_add_framework(a, "f1", "r1"));
	CHECK_OK(allocator_add_framework(a, "f2", "r2"));
	CHECK_OK(allocator_use(a, "f1", "a1", &used));
	CHECK_OK(allocator_deactivate_framework(a, "f1"));
	allocator_offers out = {0};
	CHECK(allocator_allocate(a, 0, &out) == 2);
	CHECK(count_for(&out, "f2") == 2);
	/* It keeps what it had. */
	mosaic_resources held;
	CHECK_OK(allocator_framework_allocated(a, "f1", &held));
	CHECK_NEAR(held.cpus, 1, 1e-9);
	CHECK_NEAR(held.mem, 512, 1e-9);
	CHECK_NEAR(allocator_framework_share(a, "f1"), 1.0 / 8, 1e-9);
	recover_all(a, &out);
	allocator_offers_clear(&out);
	CHECK_OK(allocator_activate_framework(a, "f1"));
	CHECK_OK(allocator_activate_framework(a, "f1")); /* idempotent */
	CHECK(allocator_allocate(a, 1, &out) == 2);
	CHECK(count_for(&out, "f1") >= 1);
	CHECK(allocator_deactivate_framework(a, "nobody") == MOSAIC_ENOENT);
	CHECK(allocator_activate_framework(a, "nobody") == MOSAIC_ENOENT);
	allocator_offers_fini(&out);
	allocator_free(a);
}

static void
test_remove(void)
{
	allocator *a = allocator_new(NULL);
	mosaic_resources agent = R("cpus:4;mem:4096"), got, tot;
	CHECK_OK(allocator_add_agent(a, "a1", &agent));
	CHECK_OK(allocator_add_agent(a, "a2", &agent));
	CHECK(allocator_add_agent(a, "a2", &agent) == MOSAIC_EEXIST);
	CHECK_OK(allocator_add_framework(a, "f1", "r1"));
	CHECK(allocator_add_framework(a, "f1", "r2") == MOSAIC_EEXIST);
	allocator_offers out = {0};
	CHECK(allocator_allocate(a, 0, &out) == 2);
	CHECK_NEAR(allocator_framework_share(a, "f1"), 1, 1e-9);

	/* Half of a2 goes back; then a1 goes: its share leaves f1. */
	mosaic_resources half = R("cpus:2;mem:2048");
	CHECK_OK(allocator_recover(a, "f1", "a2", &half));
	CHECK_NEAR(allocator_framework_share(a, "f1"), 0.75, 1e-9);
	CHECK_OK(allocator_remove_agent(a, "a1"));
	CHECK_OK(allocator_framework_allocated(a, "f1", &got));
	CHECK_NEAR(got.cpus, 2, 1e-9);
	CHECK_NEAR(got.mem, 2048, 1e-9);
	allocator_total(a, &tot);
	CHECK_NEAR(tot.cpus, 4, 1e-9);
	CHECK_NEAR(tot.mem, 4096, 1e-9);
	CHECK_NEAR(allocator_framework_share(a, "f1"), 0.5, 1e-9);
	CHECK(allocator_remove_agent(a, "a1") == MOSAIC_ENOENT);
	CHECK(allocator_recover(a, "f1", "a1", &half) == MOSAIC_ENOENT);
	CHECK(allocator_agent_free(a, "a1", &got) == MOSAIC_ENOENT);

	/* Removing the framework gives a2 back whole. */
	CHECK_OK(allocator_remove_framework(a, "f1"));
	CHECK_OK(allocator_agent_free(a, "a2", &got));
	CHECK_NEAR(got.cpus, 4, 1e-9);
	CHECK_NEAR(got.mem, 4096, 1e-9);
	CHECK(allocator_framework_share(a, "f1") < 0);
	CHECK(allocator_framework_allocated(a, "f1", &got) == MOSAIC_ENOENT);
	CHECK(allocator_role_share(a, "r1") < 0); /* no framework, no weight */
	CHECK(allocator_remove_framework(a, "f1") == MOSAIC_ENOENT);
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 1, &out) == 0);
	/* The same id can come back; it starts from nothing. */
	CHECK_OK(allocator_add_framework(a, "f1", "r1"));
	CHECK_NEAR(allocator_framework_share(a, "f1"), 0, 0);
	CHECK(allocator_allocate(a, 2, &out) == 1);
	CHECK_NEAR(res_of(&out, 0)->cpus, 4, 1e-9);
	allocator_offers_fini(&out);
	allocator_free(a);
}

/* Shares follow the cluster total: an added agent re-orders frameworks. */
static void
test_total_changes_reorder(void)
{
	allocator *a = allocator_new(NULL);
	mosaic_resources big = R("cpus:10;mem:1000"), cpu_only = R("cpus:10");
	CHECK_OK(allocator_add_agent(a, "a1", &big));
	CHECK_OK(allocator_add_framework(a, "f1", "r1"));
	CHECK_OK(allocator_add_framework(a, "f2", "r2"));
	mosaic_resources u1 = R("cpus:5"), u2 = R("mem:400");
	CHECK_OK(allocator_use(a, "f1", "a1", &u1));
	CHECK_OK(allocator_use(a, "f2", "a1", &u2));
	CHECK_NEAR(allocator_framework_share(a, "f1"), 0.5, 1e-9);
	CHECK_NEAR(allocator_framework_share(a, "f2"), 0.4, 1e-9);
	/* f2 is lower now, but after a2 joins f1 is at 0.25 < 0.4. */
	CHECK_OK(allocator_add_agent(a, "a2", &cpu_only));
	CHECK_NEAR(allocator_framework_share(a, "f1"), 0.25, 1e-9);
	allocator_offers out = {0};
	CHECK(allocator_allocate(a, 0, &out) == 2);
	CHECK(strcmp(fw_of(&out, 0), "f1") == 0);
	CHECK(strcmp(fw_of(&out, 1), "f2") == 0);
	allocator_offers_fini(&out);
	allocator_free(a);
}

static void
test_use_recover_errors(void)
{
	allocator *a = allocator_new(NULL);
	mosaic_resources agent = R("cpus:4;mem:4096"), got;
	CHECK_OK(allocator_add_agent(a, "a1", &agent));
	CHECK_OK(allocator_add_framework(a, "f1", "r1"));
	CHECK_OK(allocator_add_framework(a, "f2", "r1"));
	mosaic_resources three = R("cpus:3;mem:1024"), two = R("cpus:2"), one = R("cpus:1");
	CHECK_OK(allocator_use(a, "f1", "a1", &three));
	/* Only 1 cpu is free. */
	CHECK(allocator_use(a, "f2", "a1", &two) == MOSAIC_ENOSPC);
	CHECK_OK(allocator_framework_allocated(a, "f2", &got));
	CHECK(res_is_empty(&got));
	CHECK_OK(allocator_use(a, "f2", "a1", &one));
	CHECK(allocator_use(a, "f2", "a1", &one) == MOSAIC_ENOSPC);
	CHECK(allocator_use(a, "nobody", "a1", &one) == MOSAIC_ENOENT);
	CHECK(allocator_use(a, "f1", "nowhere", &one) == MOSAIC_ENOENT);

	/* f2 holds 1 cpu: recovering 2 is refused and changes nothing. */
	CHECK(allocator_recover(a, "f2", "a1", &two) == MOSAIC_EINVAL);
	CHECK_OK(allocator_framework_allocated(a, "f2", &got));
	CHECK_NEAR(got.cpus, 1, 1e-9);
	CHECK_OK(allocator_agent_free(a, "a1", &got));
	CHECK_NEAR(got.cpus, 0, 1e-9);
	CHECK_NEAR(got.mem, 3072, 1e-9);
	/* Memory f2 never held. */
	mosaic_resources mem = R("mem:1");
	CHECK(allocator_recover(a, "f2", "a1", &mem) == MOSAIC_EINVAL);
	CHECK(allocator_recover(a, "nobody", "a1", &one) == MOSAIC_ENOENT);
	CHECK(allocator_recover(a, "f2", "nowhere", &one) == MOSAIC_ENOENT);
	CHECK_OK(allocator_recover(a, "f2", "a1", &one));
	CHECK(allocator_recover(a, "f2", "a1", &one) == MOSAIC_EINVAL);
	CHECK_OK(allocator_recover(a, "f1", "a1", &three));
	CHECK_OK(allocator_agent_free(a, "a1", &got));
	CHECK_NEAR(got.cpus, 4, 1e-9);
	CHECK_NEAR(got.mem, 4096, 1e-9);
	CHECK_NEAR(allocator_role_share(a, "r1"), 0, 1e-12);

	CHECK(allocator_add_agent(a, "", &agent) == MOSAIC_EINVAL);
	CHECK(allocator_add_framework(a, "f3", "") == MOSAIC_EINVAL);
	CHECK(allocator_set_weight(a, "r1", 0) == MOSAIC_EINVAL);
	allocator_free(a);
}

static void
test_min_threshold(void)
{
	allocator *a = allocator_new(NULL); /* min 0.01 cpus or 32 MiB */
	mosaic_resources agent = R("cpus:1;mem:1024"), used = R("cpus:0.995;mem:1000");
	CHECK_OK(allocator_add_agent(a, "a1", &agent));
	CHECK_OK(allocator_add_framework(a, "f1", "r1"));
	CHECK_OK(allocator_use(a, "f1", "a1", &used));
	allocator_offers out = {0};
	/* 0.005 cpus and 24 MiB free: below both minimums. */
	CHECK(allocator_allocate(a, 0, &out) == 0);
	mosaic_resources eight = R("mem:8");
	CHECK_OK(allocator_recover(a, "f1", "a1", &eight));
	CHECK(allocator_allocate(a, 1, &out) == 1);
	CHECK_NEAR(res_of(&out, 0)->mem, 32, 1e-9);
	CHECK_NEAR(res_of(&out, 0)->cpus, 0.005, 1e-9);
	allocator_free(a);

	allocator_config cfg;
	allocator_config_init(&cfg);
	CHECK_NEAR(cfg.min_cpus, 0.01, 0);
	CHECK_NEAR(cfg.min_mem, 32, 0);
	cfg.min_cpus = 1;
	cfg.min_mem = 1e9;
	a = allocator_new(&cfg);
	mosaic_resources small = R("cpus:0.5;mem:4096"), whole = R("cpus:1");
	CHECK_OK(allocator_add_agent(a, "small", &small));
	CHECK_OK(allocator_add_agent(a, "whole", &whole));
	CHECK_OK(allocator_add_framework(a, "f1", "r1"));
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 0, &out) == 1);
	CHECK(strcmp(agent_of(&out, 0), "whole") == 0);
	allocator_offers_fini(&out);
	allocator_free(a);
}

static void
test_ports(void)
{
	allocator *a = allocator_new(NULL);
	mosaic_resources agent = R("cpus:1;mem:64;ports:[31000-31009]"), got;
	CHECK_OK(allocator_add_agent(a, "a1", &agent));
	CHECK_OK(allocator_add_framework(a, "f1", "r1"));
	allocator_offers out = {0};
	CHECK(allocator_allocate(a, 0, &out) == 1);
	CHECK(res_port_count(res_of(&out, 0)) == 10);
	/* Ports alone are not worth an offer. */
	mosaic_resources some = R("ports:[31000-31004]");
	CHECK_OK(allocator_recover(a, "f1", "a1", &some));
	CHECK_OK(allocator_agent_free(a, "a1", &got));
	CHECK(res_port_count(&got) == 5 && got.ports[0].begin == 31000);
	allocator_offers_clear(&out);
	CHECK(allocator_allocate(a, 1, &out) == 0);
	mosaic_resources cpu = R("cpus:1;ports:[31007-31007]");
	CHECK_OK(allocator_recover(a, "f1", "a1", &cpu));
	CHECK(allocator_allocate(a, 2, &out) == 1);
	CHECK(res_port_count(res_of(&out, 0)) == 6);
	CHECK_NEAR(res_of(&out, 0)->cpus, 1, 1e-9);
	mosaic_resources gone = R("ports:[31007-31007]");
	CHECK_OK(allocator_recover(a, "f1", "a1", &gone));
	CHECK(allocator_recover(a, "f1", "a1", &gone) == MOSAIC_EINVAL);
	allocator_offers_fini(&out);
	allocator_free(a);
}

/* The visit order is shuffled (not the order agents joined, nor its
 * reverse), changes between passes, and is the same for the same sequence
 * of calls. */
static void
test_order(void)
{
	enum { N = 30 };
	allocator *x = allocator_new(NULL), *y = allocator_new(NULL);
	mosaic_resources agent = R("cpus:1;mem:1024");
	char id[16];
	for (int i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "a%d", i);
		CHECK_OK(allocator_add_agent(x, id, &agent));
		CHECK_OK(allocator_add_agent(y, id, &agent));
	}
	CHECK_OK(allocator_add_framework(x, "f", "r"));
	CHECK_OK(allocator_add_framework(y, "f", "r"));
	allocator_offers ox = {0}, oy = {0};
	char prev[N][16];
	int same_everywhere = 1, passes_differ = 0;
	for (int pass = 0; pass < 6; pass++) {
		allocator_offers_clear(&ox);
		allocator_offers_clear(&oy);
		CHECK(allocator_allocate(x, pass, &ox) == N);
		CHECK(allocator_allocate(y, pass, &oy) == N);
		if (ox.count != N || oy.count != N)
			break;
		int joined = 1, reversed = 1;
		for (int i = 0; i < N; i++) {
			same_everywhere &= strcmp(ox.items[i].agent_id, oy.items[i].agent_id) == 0;
			if (pass && strcmp(prev[i], ox.items[i].agent_id) != 0)
				passes_differ = 1;
			snprintf(prev[i], sizeof(prev[i]), "%s", ox.items[i].agent_id);
			joined &= atoi(ox.items[i].agent_id + 1) == i;
			reversed &= atoi(ox.items[i].agent_id + 1) == N - 1 - i;
		}
		if (pass == 0)
			CHECK(!joined && !reversed);
		recover_all(x, &ox);
		recover_all(y, &oy);
	}
	CHECK(same_everywhere);
	CHECK(passes_differ);
	allocator_offers_fini(&ox);
	allocator_offers_fini(&oy);
	allocator_free(x);
	allocator_free(y);
}

/* ---- randomised comparison with a model ---- */

enum { M_AGENTS = 8, M_FWS = 6, M_ROLES = 3 };

typedef struct model {
	int agent_up[M_AGENTS];
	double total[M_AGENTS][2]; /* cpus, mem */
	int fw_up[M_FWS], active[M_FWS], suppressed[M_FWS];
	double held[M_FWS][M_AGENTS][2];
	double filter_until[M_FWS][M_AGENTS]; /* < 0: none */
	double weight[M_ROLES];
} model;

static const char *agent_ids[M_AGENTS] = {"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"};
static const char *fw_ids[M_FWS] = {"f0", "f1", "f2", "f3", "f4", "f5"};
static const char *role_ids[M_ROLES] = {"ra", "rb", "rc"};

static int
fw_role(int f)
{
	return f % M_ROLES;
}

static double
m_free(const model *m, int ag, int d)
{
	double v = m->total[ag][d];
	for (int f = 0; f < M_FWS; f++)
		v -= m->held[f][ag][d];
	return v;
}

static double
m_dominant(const model *m, const double alloc[2])
{
	double tot[2] = {0, 0}, s = 0;
	for (int ag = 0; ag < M_AGENTS; ag++)
		for (int d = 0; d < 2; d++)
			tot[d] += m->agent_up[ag] ? m->total[ag][d] : 0;
	for (int d = 0; d < 2; d++)
		if (tot[d] > 0 && alloc[d] / tot[d] > s)
			s = alloc[d] / tot[d];
	return s;
}

static double
m_fw_share(const model *m, int f)
{
	double alloc[2] = {0, 0};
	for (int ag = 0; ag < M_AGENTS; ag++)
		for (int d = 0; d < 2; d++)
			alloc[d] += m->held[f][ag][d];
	return m_dominant(m, alloc);
}

static double
m_role_key(const model *m, int r)
{
	double alloc[2] = {0, 0};
	for (int f = 0; f < M_FWS; f++)
		if (m->fw_up[f] && fw_role(f) == r)
			for (int ag = 0; ag < M_AGENTS; ag++)
				for (int d = 0; d < 2; d++)
					alloc[d] += m->held[f][ag][d];
	return m_dominant(m, alloc) / m->weight[r];
}

static int
m_candidate(const model *m, int f, int ag, double now)
{
	return m->fw_up[f] && m->active[f] && !m->suppressed[f] && !(m->filter_until[f][ag] > now);
}

static int
m_offerable(const model *m, int ag)
{
	double c = m_free(m, ag, 0), mem = m_free(m, ag, 1);
	return m->agent_up[ag] && (c > 1e-9 || mem > 1e-9) && (c >= 0.01 || mem >= 32);
}

/* Checks one offer against HDRF: no role with a candidate for this agent
 * sorts strictly lower than the chosen one, nor any framework in its role. */
static void
m_check_choice(const model *m, int fc, int ag, double now)
{
	CHECK(m_candidate(m, fc, ag, now));
	double ck = m_role_key(m, fw_role(fc)), cs = m_fw_share(m, fc);
	for (int f = 0; f < M_FWS; f++) {
		if (!m_candidate(m, f, ag, now))
			continue;
		CHECK(m_role_key(m, fw_role(f)) >= ck - 1e-9);
		if (fw_role(f) == fw_role(fc))
			CHECK(m_fw_share(m, f) >= cs - 1e-9);
	}
}

static void
m_compare(allocator *a, const model *m)
{
	mosaic_resources got;
	for (int ag = 0; ag < M_AGENTS; ag++) {
		int rv = allocator_agent_free(a, agent_ids[ag], &got);
		CHECK(rv == (m->agent_up[ag] ? MOSAIC_OK : MOSAIC_ENOENT));
		if (rv == MOSAIC_OK) {
			CHECK_NEAR(got.cpus, m_free(m, ag, 0), 1e-6);
			CHECK_NEAR(got.mem, m_free(m, ag, 1), 1e-6);
		}
	}
	for (int f = 0; f < M_FWS; f++) {
		int rv = allocator_framework_allocated(a, fw_ids[f], &got);
		CHECK(rv == (m->fw_up[f] ? MOSAIC_OK : MOSAIC_ENOENT));
		if (rv != MOSAIC_OK)
			continue;
		double c = 0, mem = 0;
		for (int ag = 0; ag < M_AGENTS; ag++) {
			c += m->held[f][ag][0];
			mem += m->held[f][ag][1];
		}
		CHECK_NEAR(got.cpus, c, 1e-6);
		CHECK_NEAR(got.mem, mem, 1e-6);
		CHECK_NEAR(allocator_framework_share(a, fw_ids[f]), m_fw_share(m, f), 1e-9);
	}
}

static void
test_random_model(void)
{
	allocator *a = allocator_new(NULL);
	static model m;
	memset(&m, 0, sizeof(m));
	for (int r = 0; r < M_ROLES; r++)
		m.weight[r] = 1;
	for (int f = 0; f < M_FWS; f++)
		for (int ag = 0; ag < M_AGENTS; ag++)
			m.filter_until[f][ag] = -1;
	allocator_offers out = {0};
	double now = 0;
	int offers_seen = 0;
	for (int step = 0; step < 6000; step++, now += 0.5) {
		int f = (int)rnd(M_FWS), ag = (int)rnd(M_AGENTS);
		switch (rnd(12)) {
		case 0: /* agent joins or leaves */
			if (!m.agent_up[ag]) {
				m.total[ag][0] = 1 + rnd(8);
				m.total[ag][1] = 256.0 * (1 + rnd(16));
				mosaic_resources t = {0};
				t.cpus = m.total[ag][0];
				t.mem = m.total[ag][1];
				CHECK_OK(allocator_add_agent(a, agent_ids[ag], &t));
				m.agent_up[ag] = 1;
			} else if (rnd(3) == 0) {
				CHECK_OK(allocator_remove_agent(a, agent_ids[ag]));
				m.agent_up[ag] = 0;
				for (int g = 0; g < M_FWS; g++) {
					m.held[g][ag][0] = m.held[g][ag][1] = 0;
					m.filter_until[g][ag] = -1;
				}
			}
			break;
		case 1: /* framework subscribes or is torn down */
			if (!m.fw_up[f]) {
				CHECK_OK(allocator_add_framework(a, fw_ids[f], role_ids[fw_role(f)]));
				m.fw_up[f] = m.active[f] = 1;
				m.suppressed[f] = 0;
			} else if (rnd(3) == 0) {
				CHECK_OK(allocator_remove_framework(a, fw_ids[f]));
				m.fw_up[f] = 0;
				for (int g = 0; g < M_AGENTS; g++) {
					m.held[f][g][0] = m.held[f][g][1] = 0;
					m.filter_until[f][g] = -1;
				}
			}
			break;
		case 2: /* (de)activate, suppress, revive */
			if (!m.fw_up[f])
				break;
			switch (rnd(4)) {
			case 0:
				CHECK_OK(allocator_activate_framework(a, fw_ids[f]));
				m.active[f] = 1;
				break;
			case 1:
				CHECK_OK(allocator_deactivate_framework(a, fw_ids[f]));
				m.active[f] = 0;
				break;
			case 2:
				CHECK_OK(allocator_suppress(a, fw_ids[f]));
				m.suppressed[f] = 1;
				break;
			default:
				CHECK_OK(allocator_revive(a, fw_ids[f]));
				m.suppressed[f] = 0;
				for (int g = 0; g < M_AGENTS; g++)
					m.filter_until[f][g] = -1;
			}
			break;
		case 3: { /* weight */
			int r = (int)rnd(M_ROLES);
			m.weight[r] = 0.5 * (1 + rnd(6));
			CHECK_OK(allocator_set_weight(a, role_ids[r], m.weight[r]));
			break;
		}
		case 4: /* a running task found on re-registration */
			if (m.fw_up[f] && m.agent_up[ag]) {
				mosaic_resources u = {0};
				u.cpus = rnd(3);
				u.mem = 128.0 * rnd(4);
				int fits = u.cpus <= m_free(&m, ag, 0) && u.mem <= m_free(&m, ag, 1);
				int rv = allocator_use(a, fw_ids[f], agent_ids[ag], &u);
				CHECK(rv == (fits ? MOSAIC_OK : MOSAIC_ENOSPC));
				if (rv == MOSAIC_OK) {
					m.held[f][ag][0] += u.cpus;
					m.held[f][ag][1] += u.mem;
				}
			}
			break;
		case 5: /* decline with a filter */
			if (m.fw_up[f] && m.agent_up[ag]) {
				double until = now + 0.5 * rnd(10);
				CHECK_OK(allocator_filter(a, fw_ids[f], agent_ids[ag], until));
				m.filter_until[f][ag] = until;
			}
			break;
		case 6:
		case 7: /* tasks finish, offers declined: part of a holding back */
			if (m.fw_up[f] && m.agent_up[ag]) {
				mosaic_resources r = {0};
				r.cpus = rnd((uint32_t)m.held[f][ag][0] + 2);
				r.mem = 128.0 * rnd((uint32_t)(m.held[f][ag][1] / 128) + 2);
				int ok = r.cpus <= m.held[f][ag][0] && r.mem <= m.held[f][ag][1];
				int rv = allocator_recover(a, fw_ids[f], agent_ids[ag], &r);
				CHECK(rv == (ok ? MOSAIC_OK : MOSAIC_EINVAL));
				if (rv == MOSAIC_OK) {
					m.held[f][ag][0] -= r.cpus;
					m.held[f][ag][1] -= r.mem;
				}
			}
			break;
		default: { /* a pass */
			allocator_offers_clear(&out);
			allocator_allocate(a, now, &out);
			for (int g = 0; g < M_FWS; g++)
				for (int h = 0; h < M_AGENTS; h++)
					if (m.filter_until[g][h] >= 0 && m.filter_until[g][h] <= now)
						m.filter_until[g][h] = -1;
			int offered[M_AGENTS] = {0};
			for (size_t i = 0; i < out.count; i++) {
				int fc = atoi(out.items[i].framework_id + 1);
				int oa = atoi(out.items[i].agent_id + 1);
				CHECK(!offered[oa]);
				offered[oa] = 1;
				CHECK(m_offerable(&m, oa));
				m_check_choice(&m, fc, oa, now);
				/* The whole free pool of the agent. */
				CHECK_NEAR(out.items[i].resources.cpus, m_free(&m, oa, 0), 1e-6);
				CHECK_NEAR(out.items[i].resources.mem, m_free(&m, oa, 1), 1e-6);
				m.held[fc][oa][0] += out.items[i].resources.cpus;
				m.held[fc][oa][1] += out.items[i].resources.mem;
				offers_seen++;
			}
			/* Whatever is still offerable has no one to go to. */
			for (int h = 0; h < M_AGENTS; h++) {
				if (!m_offerable(&m, h))
					continue;
				for (int g = 0; g < M_FWS; g++)
					CHECK(!m_candidate(&m, g, h, now));
			}
		}
		}
		m_compare(a, &m);
	}
	CHECK(offers_seen > 200); /* the walk did exercise the pass */
	allocator_offers_fini(&out);
	allocator_free(a);
}

int
main(void)
{
	test_drf_paper();
	test_weights_saturated();
	test_roles_hierarchy();
	test_suppress_revive();
	test_filters();
	test_deactivate();
	test_remove();
	test_total_changes_reorder();
	test_use_recover_errors();
	test_min_threshold();
	test_ports();
	test_order();
	test_random_model();
	return check_done();
}
