/* mpibind.c - a rank's slice of its task's cores (see mpibind.h). */
#include "mpibind.h"

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static int
cmp_pu(const void *x, const void *y)
{
	const mpibind_pu *a = x, *b = y;
	if (a->package != b->package)
		return a->package < b->package ? -1 : 1;
	if (a->core != b->core)
		return a->core < b->core ? -1 : 1;
	return (a->pu > b->pu) - (a->pu < b->pu);
}

static int
cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	return (a > b) - (a < b);
}

/* A PU with an unknown core id is a core of its own. */
static bool
same_core(const mpibind_pu *a, const mpibind_pu *b)
{
	return a->package == b->package && a->core == b->core && a->core >= 0;
}

size_t
mpibind_slice(const mpibind_pu *pus, size_t n, unsigned local, unsigned nlocal, unsigned cores_per_rank,
              mpibind_mode mode, int *out)
{
	if (!n || !nlocal || mode == MPIBIND_NONE)
		return 0;
	if (!cores_per_rank)
		cores_per_rank = 1;
	mpibind_pu *s = xmalloc(n * sizeof(*s));
	memcpy(s, pus, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_pu);
	/* first[c]: index in s of core c's first PU. */
	size_t *first = xmalloc((n + 1) * sizeof(*first)), ncores = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || !same_core(&s[i - 1], &s[i]))
			first[ncores++] = i;
	first[ncores] = n;
	/* The rank's cores, wrapping when ranks ask for more than there is
	 * (mpirun would refuse; the agent never gives fewer, so this only
	 * guards against a task bound more narrowly than planned). */
	bool *mine = xcalloc(ncores, sizeof(*mine));
	for (unsigned k = 0; k < cores_per_rank; k++)
		mine[((size_t)local * cores_per_rank + k) % ncores] = true;
	size_t m = 0;
	for (size_t c = 0; c < ncores; c++) {
		if (!mine[c])
			continue;
		for (size_t i = first[c]; i < first[c + 1]; i++)
			out[m++] = s[i].pu;
	}
	if (mode == MPIBIND_SOCKET) {
		/* Widen to the packages of the rank's cores. */
		m = 0;
		for (size_t i = 0; i < n; i++) {
			bool on = false;
			for (size_t c = 0; c < ncores && !on; c++)
				on = mine[c] && s[first[c]].package == s[i].package;
			if (on)
				out[m++] = s[i].pu;
		}
	}
	qsort(out, m, sizeof(*out), cmp_int);
	free(mine);
	free(first);
	free(s);
	return m;
}

char *
mpibind_format(const int *pus, size_t n, char *buf, size_t len)
{
	size_t at = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n && at < len;) {
		size_t j = i;
		while (j + 1 < n && pus[j + 1] == pus[j] + 1)
			j++;
		int w = j > i ? snprintf(buf + at, len - at, "%s%d-%d", at ? "," : "", pus[i], pus[j])
		              : snprintf(buf + at, len - at, "%s%d", at ? "," : "", pus[i]);
		if (w < 0)
			break;
		at += (size_t)w;
		i = j + 1;
	}
	return buf;
}

int
mpibind_parse_mode(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "none") == 0)
		return MPIBIND_NONE;
	if (strcmp(s, "core") == 0)
		return MPIBIND_CORE;
	if (strcmp(s, "socket") == 0)
		return MPIBIND_SOCKET;
	return -1;
}

static int
read_int(int pu, const char *what)
{
	char path[128];
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/%s", pu, what);
	FILE *f = fopen(path, "r");
	int v = -1;
	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

size_t
mpibind_self(mpibind_pu **out)
{
	*out = NULL;
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	size_t n = (size_t)CPU_COUNT(&set), k = 0;
	if (!n)
		return 0;
	*out = xcalloc(n, sizeof(**out));
	for (int pu = 0; pu < CPU_SETSIZE && k < n; pu++)
		if (CPU_ISSET(pu, &set))
			(*out)[k++] =
			    (mpibind_pu){pu, read_int(pu, "physical_package_id"), read_int(pu, "core_id")};
	return k;
}

int
mpibind_apply(unsigned local, unsigned nlocal, unsigned cores_per_rank, mpibind_mode mode, char *desc,
              size_t desclen, char *err, size_t errlen)
{
	if (desc && desclen)
		desc[0] = '\0';
	if (mode == MPIBIND_NONE)
		return 0;
	mpibind_pu *pus;
	size_t n = mpibind_self(&pus);
	if (!n) {
		snprintf(err, errlen, "cannot read this process's cpu affinity: %s", strerror(errno));
		return -1;
	}
	int *mine = xmalloc(n * sizeof(*mine));
	size_t m = mpibind_slice(pus, n, local, nlocal, cores_per_rank, mode, mine);
	cpu_set_t set;
	CPU_ZERO(&set);
	for (size_t i = 0; i < m; i++)
		CPU_SET(mine[i], &set);
	int rv = 0;
	if (m && sched_setaffinity(0, sizeof(set), &set) != 0) {
		snprintf(err, errlen, "cannot bind to cpus: %s", strerror(errno));
		rv = -1;
	}
	if (desc && m)
		mpibind_format(mine, m, desc, desclen);
	free(mine);
	free(pus);
	return rv;
}
