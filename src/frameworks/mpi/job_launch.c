/* job_launch.c - the gang's tasks (see job.h).
 *
 * One task per agent, running mosaic-mpi-proxy for that agent's ranks,
 * rather than one task per rank: OpenMPI needs exactly one orted per host
 * and it must run inside a task, so the per-agent task is needed there
 * anyway; and for the generic launcher it keeps one launch path, one
 * status stream and one connection per agent (a 64-rank job on 8 agents
 * is 8 tasks, not 64 executor spawns and 64 update chains), while the
 * proxy still gives each rank its own environment, binding, output and
 * exit status. The cost is that Mosaic sees the agent's ranks as one
 * task: the task's resources are the sum of its ranks'. */
#include "job.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "mem.h"

void
job_tasks_free(job *j)
{
	for (size_t i = 0; i < j->ntasks; i++) {
		job_task *t = &j->tasks[i];
		free(t->ranks);
		if (t->fd >= 0) {
			mosaic_sched_fd_remove(j->s, t->fd);
			close(t->fd);
		}
		mpiwire_buf_fini(&t->in);
		mpiwire_buf_fini(&t->out);
	}
	free(j->tasks);
	j->tasks = NULL;
	j->ntasks = 0;
	free(j->launch_ids);
	j->launch_ids = NULL;
	j->nlaunch = 0;
	j->nhello = 0;
}

static const job_offer *
offer_of_agent(const job *j, const char *agent_id)
{
	for (size_t i = 0; i < j->noffers; i++)
		if (strcmp(j->offers[i].agent_id, agent_id) == 0)
			return &j->offers[i];
	return NULL;
}

/* The host of "http://HOST:PORT" (brackets of an IPv6 address kept off). */
static void
http_host(const char *url, char *out, size_t len)
{
	out[0] = '\0';
	const char *p = strstr(url, "://");
	if (!p)
		return;
	p += 3;
	size_t n;
	if (*p == '[') {
		p++;
		n = strcspn(p, "]");
	} else {
		n = strcspn(p, ":/");
	}
	if (n && n < len) {
		memcpy(out, p, n);
		out[n] = '\0';
	}
}

/* A name for the host list that OpenMPI takes for a remote host, so
 * that it hands it to our launch agent: letters, digits and '-' (a dot
 * would be taken for a domain and cut), never this machine's own name or
 * "localhost" (OpenMPI would start those ranks itself, outside the
 * gang's task), never a duplicate. */
static void
job_host_name(const job *j, size_t k, const char *h, char *out, size_t len)
{
	char clean[200];
	size_t n = 0;
	for (const char *p = h; *p && n + 1 < sizeof(clean); p++)
		clean[n++] = isalnum((unsigned char)*p) || *p == '-' ? *p : '-';
	clean[n] = '\0';
	char self[256] = "";
	gethostname(self, sizeof(self) - 1);
	self[strcspn(self, ".")] = '\0';
	bool clash = n == 0 || strcasecmp(clean, "localhost") == 0 || strcasecmp(clean, self) == 0 ||
	             isdigit((unsigned char)clean[0]);
	for (size_t i = 0; i < k && !clash; i++)
		clash = strcmp(j->tasks[i].host, clean) == 0;
	if (clash)
		snprintf(out, len, "mosaic-%zu-%s", k, clean);
	else
		snprintf(out, len, "%s", clean);
}

static void
res_out(mosaic_sched_resources *out, const mosaic_resources *in)
{
	memset(out, 0, sizeof(*out));
	out->cpus = in->cpus;
	out->mem = in->mem;
	out->disk = in->disk;
	out->gpus = in->gpus;
	out->nports = in->nports;
	for (uint32_t i = 0; i < in->nports; i++)
		out->ports[i] = (mosaic_sched_range){in->ports[i].begin, in->ports[i].end};
}

/* "host:port,host:port" of every rank, in rank order. */
static char *
peers(const job *j, const rankmap *plan)
{
	char **entry = xcalloc(plan->np, sizeof(*entry));
	size_t len = 1;
	for (size_t k = 0; k < plan->nplaces; k++)
		for (unsigned i = 0; i < plan->places[k].nranks; i++) {
			unsigned r = plan->places[k].ranks[i];
			const char *a = j->tasks[k].addr;
			entry[r] = strchr(a, ':')
			               ? xasprintf("[%s]:%u", a, rankmap_place_port(&plan->places[k], i))
			               : xasprintf("%s:%u", a, rankmap_place_port(&plan->places[k], i));
			len += strlen(entry[r]) + 1;
		}
	char *s = xmalloc(len);
	size_t at = 0;
	for (unsigned r = 0; r < plan->np; r++) {
		at += (size_t)snprintf(s + at, len - at, "%s%s", r ? "," : "", entry[r]);
		free(entry[r]);
	}
	free(entry);
	return s;
}

typedef struct strv {
	char **v;
	size_t n;
} strv;

static void
strv_add(strv *s, char *owned)
{
	s->v = xrealloc(s->v, (s->n + 2) * sizeof(*s->v));
	s->v[s->n++] = owned;
	s->v[s->n] = NULL;
}

static void
strv_free(strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void
task_command(const job *j, size_t k, strv *argv)
{
	const job_task *t = &j->tasks[k];
	strv_add(argv, xasprintf("%s/mosaic-mpi-proxy", j->bindir));
	strv_add(argv, xstrdup("--connect"));
	strv_add(argv, xstrdup(j->listen_addr));
	strv_add(argv, xstrdup("--place"));
	strv_add(argv, xasprintf("%zu", k));
	strv_add(argv, xstrdup("--host"));
	strv_add(argv, xstrdup(t->host));
	if (j->launcher == JOB_OPENMPI) {
		strv_add(argv, xstrdup("--openmpi"));
		strv_add(argv, xstrdup("--listen"));
		strv_add(argv, xasprintf("%s:%u", t->addr, t->first_port));
		return;
	}
	size_t len = (size_t)t->nranks * 12 + 1, at = 0;
	char *ranks = xmalloc(len);
	for (unsigned i = 0; i < t->nranks; i++)
		at += (size_t)snprintf(ranks + at, len - at, "%s%u", i ? "," : "", t->ranks[i]);
	strv_add(argv, xstrdup("--ranks"));
	strv_add(argv, ranks);
	if (j->o->map.bind_to != RANKMAP_BIND_NONE) {
		strv_add(argv, xstrdup("--bind"));
		strv_add(argv, xstrdup(rankmap_bind_name(j->o->map.bind_to)));
		strv_add(argv, xstrdup("--cores-per-rank"));
		strv_add(argv, xasprintf("%.0f", ceil(j->o->map.cpus_per_rank - 1e-9)));
	}
	strv_add(argv, xstrdup("--"));
	for (int i = 0; i < j->o->argc; i++)
		strv_add(argv, xstrdup(j->o->argv[i]));
}

int
job_launch(job *j, const rankmap *plan, const char (*ids)[MOSAIC_ID_MAX], size_t nids)
{
	job_tasks_free(j);
	j->tasks = xcalloc(plan->nplaces, sizeof(*j->tasks));
	j->ntasks = plan->nplaces;
	for (size_t k = 0; k < plan->nplaces; k++) {
		const rankmap_host *p = &plan->places[k];
		job_task *t = &j->tasks[k];
		t->fd = -1;
		snprintf(t->id, sizeof(t->id), "a%u-p%zu", j->attempt, k);
		snprintf(t->agent_id, sizeof(t->agent_id), "%s", p->agent_id);
		const job_offer *o = offer_of_agent(j, p->agent_id);
		snprintf(t->hostname, sizeof(t->hostname), "%s", o && *o->hostname ? o->hostname : p->host);
		if (o)
			http_host(o->agent_http, t->addr, sizeof(t->addr));
		if (!t->addr[0])
			snprintf(t->addr, sizeof(t->addr), "%s", t->hostname);
		job_host_name(j, k, p->host, t->host, sizeof(t->host));
		t->nranks = p->nranks;
		t->ranks = xmalloc(p->nranks * sizeof(*t->ranks));
		memcpy(t->ranks, p->ranks, p->nranks * sizeof(*t->ranks));
		t->first_port = rankmap_place_port(p, 0);
		res_out(&t->res, &p->res);
	}

	char *peer_list = j->launcher == JOB_GENERIC ? peers(j, plan) : NULL;
	strv env = {0};
	strv_add(&env, xasprintf("MOSAIC_MPI_TOKEN=%s", j->token));
	if (peer_list) {
		strv_add(&env, xasprintf("MOSAIC_WORLD_SIZE=%u", plan->np));
		strv_add(&env, xasprintf("MOSAIC_PEERS=%s", peer_list));
		strv_add(&env, xasprintf("MOSAIC_COORDINATOR=%.*s", (int)strcspn(peer_list, ","), peer_list));
		for (size_t i = 0; i < j->nenv; i++)
			strv_add(&env, xstrdup(j->env[i]));
	}
	mosaic_sched_task *tasks = xcalloc(j->ntasks, sizeof(*tasks));
	strv *argvs = xcalloc(j->ntasks, sizeof(*argvs));
	for (size_t k = 0; k < j->ntasks; k++) {
		job_task *t = &j->tasks[k];
		task_command(j, k, &argvs[k]);
		mosaic_sched_task *m = &tasks[k];
		m->id = t->id;
		m->agent_id = t->agent_id;
		m->resources = t->res;
		m->argv = (const char *const *)argvs[k].v;
		m->env = (const char *const *)env.v;
		m->cwd = j->cwd[0] ? j->cwd : NULL;
		m->name = j->o->name;
		m->kill_grace = JOB_KILL_GRACE;
		if (j->o->map.bind_to != RANKMAP_BIND_NONE) {
			m->placement.kind = MOSAIC_SCHED_PLACE_PACK;
			m->placement.cores = plan->places[k].cores;
		}
	}
	const char **idv = xmalloc(nids * sizeof(*idv));
	for (size_t i = 0; i < nids; i++)
		idv[i] = ids[i];
	int rv = mosaic_sched_launch_gang(j->s, idv, nids, tasks, j->ntasks, -1);
	free(idv);
	for (size_t k = 0; k < j->ntasks; k++)
		strv_free(&argvs[k]);
	free(argvs);
	free(tasks);
	strv_free(&env);
	free(peer_list);
	if (rv != 0) {
		job_say(j, "the gang's launch was refused at once: %s", mosaic_sched_last_error(j->s));
		job_tasks_free(j);
		return rv == MOSAIC_SCHED_ENOENT || rv == MOSAIC_SCHED_ESTATE ? -1 : -2;
	}
	j->launch_ids = xmalloc((nids ? nids : 1) * sizeof(*j->launch_ids));
	memcpy(j->launch_ids, ids, nids * sizeof(*j->launch_ids));
	j->nlaunch = nids;
	j->phase = JOB_STARTING;
	j->nhello = 0;
	/* OpenMPI: mpirun starts now, not once every proxy is up - its own
	 * start-up (~0.1 s) overlaps the tasks' and its launch agents wait
	 * for the proxies (connections are retried). If the gang does not
	 * start after all, mpirun is stopped with it. */
	if (j->launcher == JOB_OPENMPI && job_openmpi_start(j) != 0)
		job_fail(j, JOB_EXIT_FAIL, "cannot start mpirun (%s)", j->mpirun);
	return 0;
}
