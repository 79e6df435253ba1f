/* mrput_run.c - the block-store session of `mapred put`: gathering agents
 * from offers, placing replicas, launching store tasks, retrying, and
 * recording the files once whole. Runs on the session's loop. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blocksum.h"
#include "errors.h"
#include "mem.h"
#include "mrput_impl.h"

static void put_fail(put *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put_fail(put *p, const char *fmt, ...)
{
	if (p->finished)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->failure, sizeof(p->failure), fmt, ap);
	va_end(ap);
	p->result = MRCLIENT_EXIT_FAIL;
	p->finished = true;
	mrstore_finish(p->st);
}

static int
agent_find(put *p, const char *id)
{
	for (size_t i = 0; i < p->nagents; i++)
		if (strcmp(p->agents[i].id, id) == 0)
			return (int)i;
	return -1;
}

static int
agent_note(put *p, const mosaic_sched_offer *o)
{
	int i = agent_find(p, o->agent_id);
	if (i < 0) {
		p->agents = xrealloc(p->agents, (p->nagents + 1) * sizeof(put_agent));
		put_agent *a = &p->agents[p->nagents];
		memset(a, 0, sizeof(*a));
		snprintf(a->id, sizeof(a->id), "%s", o->agent_id);
		uint64_t held = 0;
		catalog_agent_bytes(p->cat, a->id, &held);
		a->bytes = held;
		i = (int)p->nagents++;
	}
	put_agent *a = &p->agents[i];
	const char *rack = mosaic_sched_offer_attribute(o, "rack");
	snprintf(a->hostname, sizeof(a->hostname), "%s", o->hostname);
	snprintf(a->http, sizeof(a->http), "%s", o->agent_http);
	snprintf(a->rack, sizeof(a->rack), "%s", rack ? rack : "");
	a->lost = false;
	return i;
}

/* The agent for another replica of block b: not lost, not holding one
 * already, on a rack the block is not on yet if possible, then the least
 * loaded; ties rotate with the block so equal agents share the work. */
static int
choose_agent(put *p, size_t b)
{
	put_replica *r = &p->reps[b * p->replicas];
	int best = -1;
	bool best_new_rack = false;
	for (size_t k = 0; k < p->nagents; k++) {
		size_t i = (k + b) % p->nagents;
		put_agent *a = &p->agents[i];
		bool used = false, rack_used = false;
		for (uint32_t j = 0; j < p->replicas; j++) {
			if (r[j].agent < 0 || r[j].state == R_DROPPED)
				continue;
			used |= r[j].agent == (int)i;
			rack_used |= a->rack[0] && strcmp(p->agents[r[j].agent].rack, a->rack) == 0;
		}
		if (a->lost || used)
			continue;
		bool new_rack = !rack_used;
		if (best < 0 || (new_rack && !best_new_rack) ||
		    (new_rack == best_new_rack && a->bytes < p->agents[best].bytes)) {
			best = (int)i;
			best_new_rack = new_rack;
		}
	}
	return best;
}

static void
place(put *p, put_replica *r)
{
	r->agent = choose_agent(p, r->block);
	r->state = R_PLACED;
	if (r->agent >= 0) {
		p->agents[r->agent].bytes += p->blocks[r->block].length;
		return;
	}
	/* No agent left for this copy: fewer replicas, while one exists. */
	put_replica *all = &p->reps[r->block * p->replicas];
	bool any = false;
	for (uint32_t j = 0; j < p->replicas; j++)
		any |= all[j].state == R_DONE || (all[j].agent >= 0 && &all[j] != r);
	put_block *b = &p->blocks[r->block];
	if (!any) {
		put_fail(p, "block %u of %s: no agent left to store it on (last error: %s)", b->idx,
		         p->files[b->file].name, r->last_error[0] ? r->last_error : "none");
		return;
	}
	fprintf(stderr,
	        "mapred put: warning: block %u of %s keeps fewer replicas: no other agent to hold one\n",
	        b->idx, p->files[b->file].name);
	r->state = R_DROPPED;
}

static void
place_all(put *p)
{
	size_t live = 0;
	for (size_t i = 0; i < p->nagents; i++)
		live += !p->agents[i].lost;
	uint32_t want = p->replicas;
	if (live < want) {
		fprintf(stderr,
		        "mapred put: warning: %zu agent%s offered resources: storing %zu replica%s of each "
		        "block, not %u\n",
		        live, live == 1 ? "" : "s", live, live == 1 ? "" : "s", want);
		p->replicas = (uint32_t)live;
	}
	p->nreps = p->nblocks * p->replicas;
	p->reps = xcalloc(p->nreps ? p->nreps : 1, sizeof(put_replica));
	for (size_t i = 0; i < p->nreps; i++) {
		p->reps[i].block = i / p->replicas;
		p->reps[i].agent = -1;
	}
	for (size_t i = 0; i < p->nreps && !p->finished; i++)
		place(p, &p->reps[i]);
	p->placed = true;
	p->total_bytes = 0;
	for (size_t i = 0; i < p->nblocks; i++)
		p->total_bytes += p->blocks[i].length * p->replicas;
}

static void
commit(put *p)
{
	for (size_t fi = 0; fi < p->nfiles; fi++) {
		put_file *f = &p->files[fi];
		catalog_file cf = {.name = f->name,
		                   .source = (char *)f->path,
		                   .size = f->size,
		                   .block_size = p->block_size,
		                   .replication = p->replicas,
		                   .created = mosaic_sched_wall_now(),
		                   .nblocks = f->nblocks};
		cf.blocks = xcalloc(f->nblocks ? f->nblocks : 1, sizeof(catalog_block));
		for (size_t k = 0; k < f->nblocks; k++) {
			size_t b = f->first + k;
			catalog_block *cb = &cf.blocks[k];
			cb->offset = p->blocks[b].offset;
			cb->length = p->blocks[b].length;
			cb->sum = p->blocks[b].sum;
			cb->replicas = xcalloc(p->replicas, sizeof(catalog_replica));
			for (uint32_t j = 0; j < p->replicas; j++) {
				put_replica *r = &p->reps[b * p->replicas + j];
				if (r->state != R_DONE)
					continue;
				put_agent *a = &p->agents[r->agent];
				cb->replicas[cb->nreplicas++] =
				    (catalog_replica){.agent_id = a->id,
				                      .hostname = a->hostname,
				                      .agent_http = a->http,
				                      .rack = a->rack,
				                      .framework_id = (char *)mrstore_framework_id(p->st),
				                      .task_id = r->task_id,
				                      .path = r->path};
			}
		}
		int rv = catalog_file_put(p->cat, &cf);
		for (size_t k = 0; k < f->nblocks; k++)
			free(cf.blocks[k].replicas);
		free(cf.blocks);
		if (rv) {
			put_fail(p, "cannot record %s in the catalog: %s", f->name,
			         rv == MOSAIC_EEXIST ? "the name was taken meanwhile"
			                             : catalog_errmsg(p->cat));
			return;
		}
	}
	p->result = MRCLIENT_EXIT_OK;
	p->finished = true;
	p->elapsed = mosaic_sched_now(mrstore_sched(p->st)) - p->t0;
	mrstore_finish(p->st);
}

static void
progress(put *p, bool force)
{
	double now = mosaic_sched_now(mrstore_sched(p->st));
	if (p->quiet || (!force && now - p->last_progress < 1.0))
		return;
	p->last_progress = now;
	char a[32], b[32];
	fprintf(stderr, "mapred put: %zu/%zu replicas stored (%s of %s)\n", p->done, p->nreps,
	        mrclient_human(p->done_bytes, a, sizeof(a)), mrclient_human(p->total_bytes, b, sizeof(b)));
}

/* Launches what fits of each held offer; declines the rest. */
static void
dispatch(put *p)
{
	mosaic_sched *s = mrstore_sched(p->st);
	bool work_left = false;
	for (size_t i = 0; i < p->nreps; i++)
		work_left |= p->reps[i].state == R_PLACED || p->reps[i].state == R_RUNNING;
	for (size_t h = 0; h < p->nheld; h++) {
		put_offer *o = &p->held[h];
		put_agent *a = &p->agents[o->agent];
		size_t fit =
		    (size_t)fmin(o->cpus / MRSTORE_TASK_CPUS + 1e-9, o->mem / MRSTORE_TASK_MEM + 1e-9);
		size_t room = a->inflight < PUT_AGENT_INFLIGHT ? PUT_AGENT_INFLIGHT - a->inflight : 0;
		if (fit > room)
			fit = room;
		mosaic_sched_task *tasks = xcalloc(fit ? fit : 1, sizeof(*tasks));
		char(*argvs)[8][64] = xcalloc(fit ? fit : 1, sizeof(*argvs));
		const char *(*argp)[10] = xcalloc(fit ? fit : 1, sizeof(*argp));
		size_t *which = xcalloc(fit ? fit : 1, sizeof(size_t));
		size_t n = 0;
		for (size_t i = 0; i < p->nreps && n < fit; i++) {
			put_replica *r = &p->reps[i];
			if (r->state != R_PLACED || r->agent != o->agent)
				continue;
			put_block *b = &p->blocks[r->block];
			snprintf(r->task_id, sizeof(r->task_id), "s.%s.%zu.%u", p->put_id, i,
			         r->attempts + 1);
			snprintf(argvs[n][0], 64, "%llu", (unsigned long long)b->length);
			blocksum_hex(b->sum, argvs[n][1]);
			const char **av = argp[n];
			av[0] = p->c->task_program, av[1] = "store", av[2] = "--url", av[3] = b->url;
			av[4] = "--length", av[5] = argvs[n][0], av[6] = "--sum", av[7] = argvs[n][1],
			av[8] = NULL;
			tasks[n] = (mosaic_sched_task){
			    .id = r->task_id,
			    .agent_id = a->id,
			    .argv = av,
			    .resources = {.cpus = MRSTORE_TASK_CPUS, .mem = MRSTORE_TASK_MEM}};
			which[n++] = i;
		}
		int rv = n ? mosaic_sched_launch(s, (const char *const[]){o->id}, 1, tasks, n, 0)
		           : mosaic_sched_decline(s, (const char *const[]){o->id}, 1, work_left ? 0.5 : 30);
		if (n && rv == 0) {
			for (size_t k = 0; k < n; k++) {
				p->reps[which[k]].state = R_RUNNING;
				p->reps[which[k]].attempts++;
			}
			a->inflight += (unsigned)n;
		} else if (n) {
			/* A failed call changes nothing: the offer is still ours to give back. */
			fprintf(stderr, "mapred put: launch on %s: %s\n", a->hostname,
			        mosaic_sched_last_error(s));
			mosaic_sched_decline(s, (const char *const[]){o->id}, 1, 0);
		}
		free(tasks);
		free(argvs);
		free(argp);
		free(which);
	}
	p->nheld = 0;
	if (!work_left && !p->finished)
		commit(p);
}

static void
on_settled(mosaic_sched *s, void *arg)
{
	put *p = arg;
	p->settle_timer = 0;
	if (p->finished)
		return;
	place_all(p);
	if (!p->finished)
		dispatch(p);
}

static void
on_offers(mrstore *st, void *arg, const mosaic_sched_offer *o, size_t n)
{
	put *p = arg;
	mosaic_sched *s = mrstore_sched(st);
	for (size_t i = 0; i < n; i++) {
		if (p->finished) {
			mosaic_sched_decline(s, &o[i].id, 1, 30);
			continue;
		}
		int a = agent_note(p, &o[i]);
		if (p->nheld == p->heldcap) {
			p->heldcap = p->heldcap ? 2 * p->heldcap : 16;
			p->held = xrealloc(p->held, p->heldcap * sizeof(put_offer));
		}
		put_offer *h = &p->held[p->nheld++];
		snprintf(h->id, sizeof(h->id), "%s", o[i].id);
		h->agent = a;
		h->cpus = o[i].resources.cpus;
		h->mem = o[i].resources.mem;
	}
	if (p->finished)
		return;
	/* Offers of the whole cluster come in one allocation pass or a few:
	 * wait a moment so replicas are placed knowing every agent. */
	if (!p->placed) {
		if (!p->settle_timer)
			p->settle_timer = mosaic_sched_timer_add(s, PUT_SETTLE, on_settled, p);
		return;
	}
	dispatch(p);
}

static put_replica *
replica_of(put *p, const char *task_id)
{
	char prefix[32];
	int n = snprintf(prefix, sizeof(prefix), "s.%s.", p->put_id);
	if (strncmp(task_id, prefix, (size_t)n) != 0)
		return NULL; /* an older put's task: not ours to judge */
	size_t i = strtoul(task_id + n, NULL, 10);
	if (i >= p->nreps || strcmp(p->reps[i].task_id, task_id) != 0 || p->reps[i].state != R_RUNNING)
		return NULL;
	return &p->reps[i];
}

static void
on_status(mrstore *st, void *arg, const mosaic_sched_status *s)
{
	put *p = arg;
	if (!mosaic_sched_task_state_terminal(s->state) || p->finished || !p->placed)
		return;
	put_replica *r = replica_of(p, s->task_id);
	if (!r)
		return;
	put_agent *a = &p->agents[r->agent];
	if (a->inflight)
		a->inflight--;
	put_block *b = &p->blocks[r->block];
	if (s->state == MOSAIC_SCHED_TASK_FINISHED && s->sandbox[0]) {
		r->state = R_DONE;
		r->path = xasprintf("%s/blk", s->sandbox);
		p->done++;
		p->done_bytes += b->length;
		progress(p, false);
	} else {
		bool lost = s->state == MOSAIC_SCHED_TASK_LOST || s->state == MOSAIC_SCHED_TASK_GONE ||
		            s->state == MOSAIC_SCHED_TASK_UNREACHABLE ||
		            s->state == MOSAIC_SCHED_TASK_DROPPED;
		snprintf(r->last_error, sizeof(r->last_error),
		         "%s on %s: %s (its stderr: %s/files/%s/%s/stderr)",
		         mosaic_sched_task_state_name(s->state), a->hostname, s->message, a->http,
		         mrstore_framework_id(st), r->task_id);
		if (r->attempts >= PUT_ATTEMPTS) {
			put_fail(p, "block %u of %s could not be stored in %u attempts; the last: %s", b->idx,
			         p->files[b->file].name, PUT_ATTEMPTS, r->last_error);
			return;
		}
		if (!p->quiet)
			fprintf(stderr, "mapred put: storing block %u of %s: %s; trying again\n", b->idx,
			        p->files[b->file].name, r->last_error);
		r->state = R_PLACED;
		if (lost || s->state == MOSAIC_SCHED_TASK_ERROR) {
			a->bytes -= a->bytes >= b->length ? b->length : a->bytes;
			a->lost |= lost;
			r->agent = -1;
			place(p, r);
		}
	}
	/* Offers declined while the agents were busy come back now. */
	mosaic_sched_revive(mrstore_sched(st));
	dispatch(p);
}

static void
on_agent_lost(mrstore *st, void *arg, const char *agent_id)
{
	put *p = arg;
	int i = agent_find(p, agent_id);
	if (i < 0 || p->finished)
		return;
	p->agents[i].lost = true;
	if (!p->placed)
		return;
	/* Copies already made there are gone with it: make them elsewhere. */
	for (size_t k = 0; k < p->nreps && !p->finished; k++) {
		put_replica *r = &p->reps[k];
		if (r->agent != i || (r->state != R_DONE && r->state != R_PLACED))
			continue;
		if (r->state == R_DONE) {
			p->done--;
			p->done_bytes -= p->blocks[r->block].length;
			free(r->path);
			r->path = NULL;
		}
		snprintf(r->last_error, sizeof(r->last_error), "agent %s was lost", p->agents[i].hostname);
		r->agent = -1;
		place(p, r);
	}
	if (!p->finished) {
		mosaic_sched_revive(mrstore_sched(st));
		dispatch(p);
	}
}

static void
on_interrupted(mrstore *st, void *arg)
{
	put_fail(arg,
	         "interrupted; nothing was recorded (copies already made are left unused on their agents)");
}

static void
on_tick(mosaic_sched *s, void *arg)
{
	put *p = arg;
	if (p->finished)
		return;
	double now = mosaic_sched_now(s);
	if (!p->nagents && now - p->t0 > PUT_NO_OFFERS) {
		put_fail(p,
		         "no agent offered resources in %.0f s (is the cluster up, with room for role %s?)",
		         PUT_NO_OFFERS, p->c->role);
		return;
	}
	progress(p, false);
	mosaic_sched_timer_add(s, 1.0, on_tick, p);
}

static void
on_ready(mrstore *st, void *arg)
{
	put *p = arg;
	p->st = st;
	p->t0 = mosaic_sched_now(mrstore_sched(st));
	p->last_progress = p->t0;
	if (p->nblocks == 0) { /* empty files: nothing to copy */
		p->placed = true;
		commit(p);
		return;
	}
	mosaic_sched_timer_add(mrstore_sched(st), 1.0, on_tick, p);
}

int
put_run(put *p)
{
	mrstore_ops ops = {.ready = on_ready,
	                   .offers = on_offers,
	                   .status = on_status,
	                   .agent_lost = on_agent_lost,
	                   .interrupted = on_interrupted};
	char err[512];
	p->result = MRCLIENT_EXIT_FAIL;
	if (mrstore_run(p->c, p->cat, &ops, p, err, sizeof(err)) != 0) {
		fprintf(stderr, "mapred put: %s\n", err);
		return MRCLIENT_EXIT_FAIL;
	}
	if (p->result != MRCLIENT_EXIT_OK)
		fprintf(stderr, "mapred put: failed: %s\n", p->failure[0] ? p->failure : "stopped");
	return p->result;
}
