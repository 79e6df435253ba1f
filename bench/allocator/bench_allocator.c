/* bench_allocator.c - the cost of one allocation pass of the hierarchical DRF
 * allocator, driven in-process over a grid of cluster sizes.
 *
 * For each grid point: build the cluster (agents of 16-48 cpus, frameworks
 * spread over four roles of weights 4, 2, 1, 0.5), then time
 *   - the first pass: every agent free, every framework at share 0 (median
 *     of REPS passes, everything recovered between them), and
 *   - a steady-state pass: 10% of the outstanding offers come back (half as
 *     finished work, half declined with a 5 s filter) and the pass hands
 *     them out again (median of REPS).
 * Memory is the resident-set growth of building the cluster, and the peak
 * (VmHWM, reset per grid point through /proc/self/clear_refs) over the
 * point's passes, both relative to the RSS before it was built.
 *
 * A benchmark, not a test: it prints figures, it does not pass or fail.
 * Usage: bench_allocator [--quick]   (--quick: 1000x100 and 10000x1000) */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "allocator.h"
#include "errors.h"
#include "resources.h"

enum { REPS = 5, NROLES = 4 };

static const char *role_names[NROLES] = {"prod", "batch", "dev", "test"};
static const double role_weights[NROLES] = {4, 2, 1, 0.5};

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A field of /proc/self/status in KiB, or -1. */
static long
status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	char line[256];
	long v = -1;
	size_t n = strlen(field);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* Resets VmHWM to the current RSS (Linux >= 4.0), so each grid point has its
 * own peak. Returns 0 when it worked. */
static int
reset_peak(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (!f)
		return -1;
	int rv = fputs("5", f) < 0;
	return fclose(f) != 0 || rv ? -1 : 0;
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t bench_rng = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(uint32_t n)
{
	bench_rng ^= bench_rng << 13;
	bench_rng ^= bench_rng >> 7;
	bench_rng ^= bench_rng << 17;
	return (uint32_t)(bench_rng % n);
}

static void
must(int rv, const char *what)
{
	if (rv != MOSAIC_OK) {
		fprintf(stderr, "bench_allocator: %s: %s\n", what, mosaic_strerror(rv));
		exit(2);
	}
}

typedef struct result {
	int agents, frameworks;
	double build_ms, first_ms, steady_ms;
	size_t first_offers, steady_offers;
	double rss_build_mib, rss_peak_mib;
	int peak_reset;
} result;

static void
build(allocator *a, int nagents, int nfws)
{
	char id[64], err[128];
	for (int r = 0; r < NROLES; r++)
		must(allocator_set_weight(a, role_names[r], role_weights[r]), "set_weight");
	for (int i = 0; i < nagents; i++) {
		/* Three machine sizes, as a real fleet has: 16, 32 and 48 cores
		 * with 4 GiB per core, 500 GB of disk and a port range. */
		static const char *shapes[3] = {
		    "cpus:16;mem:65536;disk:500000;ports:[31000-32000]",
		    "cpus:32;mem:131072;disk:500000;ports:[31000-32000]",
		    "cpus:48;mem:196608;disk:500000;ports:[31000-32000]",
		};
		mosaic_resources t;
		must(res_parse(&t, shapes[i % 3], err, sizeof(err)), "res_parse");
		snprintf(id, sizeof(id), "agent-%06d", i);
		must(allocator_add_agent(a, id, &t), "add_agent");
	}
	for (int i = 0; i < nfws; i++) {
		snprintf(id, sizeof(id), "framework-%05d", i);
		must(allocator_add_framework(a, id, role_names[i % NROLES]), "add_framework");
	}
}

static void
recover_offer(allocator *a, const allocator_offer *o)
{
	must(allocator_recover(a, o->framework_id, o->agent_id, &o->resources), "recover");
}

static result
run_point(int nagents, int nfws)
{
	result res = {.agents = nagents, .frameworks = nfws};
	malloc_trim(0);
	res.peak_reset = reset_peak() == 0;
	long rss0 = status_kib("VmRSS");

	double t0 = now_ms();
	allocator *a = allocator_new(NULL);
	build(a, nagents, nfws);
	res.build_ms = now_ms() - t0;
	res.rss_build_mib = (status_kib("VmRSS") - rss0) / 1024.0;

	allocator_offers out = {0};
	double now = 0, times[REPS];

	/* First pass, from empty: give everything back between repetitions
	 * (untimed), so each one starts from the same empty state. */
	for (int r = 0; r < REPS; r++) {
		allocator_offers_clear(&out);
		t0 = now_ms();
		res.first_offers = allocator_allocate(a, now, &out);
		times[r] = now_ms() - t0;
		now += 1;
		if (r + 1 < REPS)
			for (size_t i = 0; i < out.count; i++)
				recover_offer(a, &out.items[i]);
	}
	res.first_ms = median(times, REPS);

	/* Steady state: `held` is what frameworks hold (the offers they
	 * kept); each repetition 10% of it comes back, then a pass. */
	allocator_offers held = out, fresh = {0};
	out = (allocator_offers){0};
	size_t steady_offers[REPS];
	for (int r = 0; r < REPS; r++) {
		size_t back = held.count / 10;
		for (size_t k = 0; k < back; k++) {
			size_t i = rnd((uint32_t)held.count);
			allocator_offer *o = &held.items[i];
			recover_offer(a, o);
			if (k % 2) /* declined: not again for 5 s */
				must(allocator_filter(a, o->framework_id, o->agent_id, now + 5), "filter");
			held.items[i] = held.items[--held.count];
		}
		allocator_offers_clear(&fresh);
		t0 = now_ms();
		steady_offers[r] = allocator_allocate(a, now, &fresh);
		times[r] = now_ms() - t0;
		now += 1;
		for (size_t i = 0; i < fresh.count; i++) {
			if (held.count == held.cap) {
				held.cap = held.cap ? 2 * held.cap : 64;
				held.items = realloc(held.items, held.cap * sizeof(*held.items));
				if (!held.items)
					abort();
			}
			held.items[held.count++] = fresh.items[i];
		}
	}
	res.steady_ms = median(times, REPS);
	res.steady_offers = steady_offers[REPS / 2];

	res.rss_peak_mib = (status_kib("VmHWM") - rss0) / 1024.0;
	allocator_offers_fini(&held);
	allocator_offers_fini(&fresh);
	allocator_free(a);
	return res;
}

int
main(int argc, char **argv)
{
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	if (argc > 1 && !quick) {
		fprintf(stderr, "usage: bench_allocator [--quick]\n");
		return 2;
	}
	static const int full[][2] = {
	    {1000, 100}, {1000, 1000}, {1000, 6000},
	    {10000, 100}, {10000, 1000}, {10000, 6000},
	    {50000, 100}, {50000, 1000}, {50000, 6000},
	};
	static const int small[][2] = {{1000, 100}, {10000, 1000}};
	const int(*grid)[2] = quick ? small : full;
	int npoints = quick ? 2 : 9;

	printf("allocator pass, hierarchical DRF: %d roles (weights 4/2/1/0.5), agents of 16/32/48 cpus\n",
	    NROLES);
	printf("times: median of %d passes (CLOCK_MONOTONIC); steady = pass after 10%% of offers return\n",
	    REPS);
	printf("memory: RSS growth from building the cluster; "
	    "peak = VmHWM over the point, minus RSS before\n\n");
	printf("%7s %10s | %9s | %13s %8s | %14s %8s | %10s %9s\n", "agents", "frameworks", "build ms",
	    "first pass ms", "offers", "steady pass ms", "offers", "build MiB", "peak MiB");
	printf("--------------------+-----------+------------------------+"
	    "-------------------------+---------------------\n");
	double target_first = -1, target_steady = -1;
	int peak_ok = 1;
	for (int p = 0; p < npoints; p++) {
		result r = run_point(grid[p][0], grid[p][1]);
		printf("%7d %10d | %9.1f | %13.2f %8zu | %14.2f %8zu | %10.1f %9.1f\n", r.agents,
		    r.frameworks, r.build_ms, r.first_ms, r.first_offers, r.steady_ms, r.steady_offers,
		    r.rss_build_mib, r.rss_peak_mib);
		fflush(stdout);
		peak_ok &= r.peak_reset;
		if (r.agents == 10000 && r.frameworks == 1000) {
			target_first = r.first_ms;
			target_steady = r.steady_ms;
		}
	}
	if (!peak_ok)
		printf("\nnote: could not reset VmHWM (/proc/self/clear_refs): "
		    "peaks are since process start\n");
	printf("\ntarget: <= 50 ms for 10000 agents x 1000 frameworks; "
	    "measured: first pass %.2f ms, steady pass %.2f ms\n",
	    target_first, target_steady);
	return 0;
}
