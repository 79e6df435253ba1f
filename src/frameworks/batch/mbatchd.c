/* mbatchd.c - mbatchd's life cycle and its round: everything a loop
 * iteration changed is written in one transaction, and only then are the
 * replies sent, the tasks launched and the status updates acknowledged. */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batchaddr.h"
#include "errors.h"
#include "log.h"
#include "mbatchd_impl.h"
#include "slurm_time.h"
#include "util.h"

#define TICK_SECONDS 1.0
#define PURGE_EVERY 60.0
#define RECONCILE_AFTER_RECONNECT 10.0 /* agents re-register with a new master within ~5 s */
#define STATS_EVERY 10.0

void
mbatchd_config_init(mbatchd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->role, sizeof(cfg->role), "batch");
	snprintf(cfg->name, sizeof(cfg->name), "mbatch");
	cfg->failover_timeout = 7 * 24 * 3600.0;
	cfg->max_jobs = 100000;
	cfg->default_mem_per_cpu = 128;
	cfg->default_time = SLURM_TIME_UNLIMITED;
	cfg->max_requeues = 5;
	cfg->purge_after = 30 * 24 * 3600.0;
	cfg->offer_hold = 3.0;
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
}

const char *
mbatchd_address(const mbatchd *d)
{
	return mbatchd_server_address(d->server);
}

/* ---- the round ---- */

static void round_run(mbatchd *d);

static void
round_cb(mosaic_sched *s, void *arg)
{
	round_run(arg);
}

/* A round runs at the end of the loop's turn in which something changed;
 * under a stream of changes (submits from many clients, status updates)
 * at most one per MBATCHD_ROUND_GAP, so that one commit (an fdatasync,
 * the dearest part of a round) carries what arrived meanwhile: group
 * commit. When idle, the first change is handled at once. */
void
mbatchd_touch(mbatchd *d)
{
	if (d->round_armed || !d->s)
		return;
	d->round_armed = true;
	double since = mosaic_sched_now(d->s) - d->last_round;
	double delay = since >= 0 && since < MBATCHD_ROUND_GAP ? MBATCHD_ROUND_GAP - since : 0;
	mosaic_sched_timer_add(d->s, delay, round_cb, d);
}

void
mbatchd_reply(mbatchd *d, const char *to, uint32_t type, const ProtobufCMessage *msg)
{
	breply r = {.to = xstrdup(to), .type = type};
	r.len = protobuf_c_message_get_packed_size(msg);
	r.payload = xmalloc(r.len ? r.len : 1);
	protobuf_c_message_pack(msg, r.payload);
	VEC_PUSH(d->replies, r);
	mbatchd_touch(d);
}

static void
sub_to_record(const bsub *sub, jobstore_sub *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sub->id;
	o->count = sub->count;
	o->submit_time = sub->submit_time;
	o->script = sub->script;
	o->script_len = sub->script_len;
	o->script_name = sub->script_name;
	o->options = (const char *const *)sub->options;
	o->noptions = sub->noptions;
	o->args = (const char *const *)sub->args;
	o->nargs = sub->nargs;
	o->env = (const char *const *)sub->env;
	o->nenv = sub->nenv;
	o->cwd = sub->cwd;
	o->user = sub->user;
	o->submit_host = sub->submit_host;
}

/* Write the round's changes. A failed commit leaves memory ahead of the
 * disk with nobody told yet: stopping here is the safe way out, and the
 * next start carries on from what the store holds. */
static void
commit(mbatchd *d)
{
	if (!d->dirty.n && !d->dirty_subs.n && !d->meta_dirty && !jobstore_in_transaction(d->store))
		return;
	int rv = jobstore_begin(d->store);
	for (size_t i = 0; rv == 0 && i < d->dirty_subs.n; i++) {
		jobstore_sub rec;
		sub_to_record(d->dirty_subs.v[i], &rec);
		rv = jobstore_put_sub(d->store, &rec);
	}
	for (size_t i = 0; rv == 0 && i < d->dirty.n; i++) {
		jobstore_job rec;
		jobs_to_record(d->dirty.v[i], &rec);
		rv = jobstore_put_job(d->store, &rec);
	}
	if (rv == 0 && d->meta_dirty) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%u", d->next_id);
		rv = jobstore_meta_set(d->store, "next_job_id", buf);
		if (rv == 0)
			rv = jobstore_meta_set(d->store, "framework_id", d->framework_id);
	}
	if (rv == 0)
		rv = jobstore_commit(d->store);
	if (rv != 0) {
		LOGE("cannot write the job store: %s; stopping (nothing of this round was announced)",
		     jobstore_last_error(d->store));
		exit(70);
	}
	for (size_t i = 0; i < d->dirty_subs.n; i++)
		d->dirty_subs.v[i]->dirty = false;
	for (size_t i = 0; i < d->dirty.n; i++)
		d->dirty.v[i]->dirty = false;
	d->dirty_subs.n = 0;
	d->dirty.n = 0;
	d->meta_dirty = false;
	d->stats.commits++;
}

static void
send_replies(mbatchd *d)
{
	for (size_t i = 0; i < d->replies.n; i++) {
		breply *r = &d->replies.v[i];
		mbatchd_server_send(d->server, r->to, r->type, r->payload, r->len);
		free(r->to);
		free(r->payload);
	}
	d->replies.n = 0;
}

static void
send_acks(mbatchd *d)
{
	for (size_t i = 0; i < d->acks.n; i++) {
		back *a = &d->acks.v[i];
		if (mosaic_sched_acknowledge(d->s, a->agent_id, a->task_id, a->uuid) != 0)
			LOGW("cannot acknowledge task %s: %s", a->task_id, mosaic_sched_last_error(d->s));
		free(a->agent_id);
		free(a->task_id);
		free(a->uuid);
	}
	d->acks.n = 0;
}

static void
round_run(mbatchd *d)
{
	d->round_armed = true; /* what the round itself changes goes in this commit */
	d->last_round = mosaic_sched_now(d->s);
	d->stats.rounds++;
	if (d->want_schedule && d->subscribed)
		sched_round(d);
	commit(d);
	send_replies(d);
	launch_all(d);
	send_acks(d);
	if (d->waiters_check)
		rpc_check_waiters(d, mosaic_sched_now(d->s), false);
	d->round_armed = false;
	/* A launch that failed puts its jobs back: another round for them. */
	if (d->dirty.n || d->dirty_subs.n || d->replies.n || d->launches.n)
		mbatchd_touch(d);
}

/* ---- periodic work ---- */

/* A line of what happened, while something happens: where a slow queue
 * spends its time shows here first. */
static void
log_stats(mbatchd *d, double mono)
{
	if (mono - d->stats_at < STATS_EVERY)
		return;
	double dt = d->stats_at > 0 ? mono - d->stats_at : 0;
	d->stats_at = mono;
	const mbatchd_stats *n = &d->stats;
	mbatchd_stats *o = &d->stats_logged;
	if (dt > 0 &&
	    (n->submitted != o->submitted || n->launched != o->launched || n->finished != o->finished))
		LOGI("last %.0f s: %llu submitted, %llu launched, %llu ended, %llu requeued; %llu offers, "
		     "%llu rounds, "
		     "%llu commits; %zu pending, %zu running",
		     dt, (unsigned long long)(n->submitted - o->submitted),
		     (unsigned long long)(n->launched - o->launched),
		     (unsigned long long)(n->finished - o->finished),
		     (unsigned long long)(n->requeued - o->requeued),
		     (unsigned long long)(n->offers - o->offers), (unsigned long long)(n->rounds - o->rounds),
		     (unsigned long long)(n->commits - o->commits), d->nlive - d->running.n, d->running.n);
	*o = *n;
}

static void
tick(mosaic_sched *s, void *arg)
{
	mbatchd *d = arg;
	double wall = mosaic_sched_wall_now(), mono = mosaic_sched_now(s);
	status_tick(d, wall, mono);
	sched_tick(d, mono);
	rpc_check_waiters(d, mono, true);
	log_stats(d, mono);
	if (mono - d->last_purge >= PURGE_EVERY) {
		d->last_purge = mono;
		jobs_purge(d, wall);
	}
	d->tick_timer = mosaic_sched_timer_add(s, TICK_SECONDS, tick, d);
}

/* ---- scheduler callbacks ---- */

static void
on_subscribed(mosaic_sched *s, void *arg, const char *framework_id)
{
	mbatchd *d = arg;
	if (strcmp(d->framework_id, framework_id) != 0) {
		LOGI("subscribed as framework %s%s", framework_id,
		     d->framework_id[0] ? " (a new one: the old id was refused)" : "");
		snprintf(d->framework_id, sizeof(d->framework_id), "%s", framework_id);
		d->meta_dirty = true;
	} else {
		LOGI("subscribed again as framework %s; reconciling %zu running jobs", framework_id,
		     d->running.n);
	}
	d->subscribed = true;
	d->suppressed = false;
	status_reconcile(d);
	d->want_schedule = true;
	mbatchd_touch(d);
}

static void
reconcile_later(mosaic_sched *s, void *arg)
{
	mbatchd *d = arg;
	if (d->subscribed)
		status_reconcile(d);
}

static void
on_reconnected(mosaic_sched *s, void *arg, const char *framework_id)
{
	mbatchd *d = arg;
	LOGI("reconnected to the master as %s", framework_id);
	d->subscribed = true;
	d->suppressed = false;
	/* Agents resend their updates to a restarted master by themselves; ask
	 * only once they had time to re-register with it. */
	mosaic_sched_timer_add(s, RECONCILE_AFTER_RECONNECT, reconcile_later, d);
	sched_wake(d);
}

static void
on_disconnected(mosaic_sched *s, void *arg)
{
	mbatchd *d = arg;
	LOGW("lost the master at %s; re-subscribing", mosaic_sched_master(s));
	d->subscribed = false;
	sched_forget_offers(d);
}

static void
on_error(mosaic_sched *s, void *arg, const char *message)
{
	mbatchd *d = arg;
	LOGW("the master reports: %s", message);
	/* The only Error that ends this framework: the master removed it (we
	 * were away longer than the failover timeout, or it was torn down)
	 * and refuses the old id. Its tasks were killed with it. */
	if (!d->subscribed && d->framework_id[0] && strstr(message, "was removed")) {
		LOGW("framework %s was removed by the master; its running jobs are lost; subscribing anew",
		     d->framework_id);
		d->anew = true;
		mosaic_sched_stop(s);
	}
}

static void
on_signal(mosaic_sched *s, int signo, void *arg)
{
	LOGI("signal %d: stopping (the framework stays registered; a restart carries on)", signo);
	mosaic_sched_stop(s);
}

static void
on_server_fd(mosaic_sched *s, int fd, int revents, void *arg)
{
	mbatchd *d = arg;
	mbatchd_server_request *r;
	/* Bounded per wake-up so one flood cannot starve status updates. */
	for (int i = 0; i < 4096 && (r = mbatchd_server_take(d->server)); i++) {
		rpc_dispatch(d, r);
		mbatchd_server_request_free(r);
	}
}

/* ---- life cycle ---- */

int
mbatchd_new(mbatchd **out, const mbatchd_config *cfg, char *err, size_t errlen)
{
	mbatchd *d = xcalloc(1, sizeof(*d));
	d->cfg = *cfg;
	struct passwd *pw = getpwuid(geteuid());
	snprintf(d->own_user, sizeof(d->own_user), "%s", pw ? pw->pw_name : "nobody");
	if (gethostname(d->hostname, sizeof(d->hostname)) != 0)
		snprintf(d->hostname, sizeof(d->hostname), "localhost");
	if (!d->cfg.listen[0]) {
		const char *env = getenv("MOSAIC_MASTER");
		const char *master = d->cfg.master[0] ? d->cfg.master : env;
		if (batchaddr_resolve(NULL, NULL, master, d->cfg.listen, sizeof(d->cfg.listen)) != 0) {
			snprintf(err, errlen, "cannot derive a listening address from the master's '%s'",
			         master ? master : "");
			free(d);
			return MOSAIC_EINVAL;
		}
	}
	if (util_mkdir_p(d->cfg.state_dir) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", d->cfg.state_dir, strerror(errno));
		free(d);
		return MOSAIC_EIO;
	}
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/jobs.db", d->cfg.state_dir);
	int rv = jobstore_open(&d->store, path, err, errlen);
	if (rv == 0)
		rv = jobs_load(d, err, errlen);
	if (rv == 0) {
		/* The CLI thread must not take SIGTERM/SIGINT: they are read
		 * from a signalfd on the loop, so block them before it starts. */
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		rv = mbatchd_server_open(&d->server, d->cfg.listen, err, errlen);
	}
	if (rv != 0) {
		mbatchd_free(d);
		return rv;
	}
	*out = d;
	return MOSAIC_OK;
}

static int
run_once(mbatchd *d)
{
	static const mosaic_sched_callbacks cb = {
	    .subscribed = on_subscribed,
	    .offers = sched_on_offers,
	    .rescinded = sched_on_rescinded,
	    .status = status_on_update,
	    .agent_lost = sched_on_agent_lost,
	    .error = on_error,
	    .disconnected = on_disconnected,
	    .reconnected = on_reconnected,
	};
	mosaic_sched_config sc = {
	    .framework = {.name = d->cfg.name,
	                  .role = d->cfg.role,
	                  .user = d->own_user,
	                  .hostname = d->hostname,
	                  .failover_timeout = d->cfg.failover_timeout,
	                  .id = d->framework_id[0] ? d->framework_id : NULL},
	    .callbacks = &cb,
	    .arg = d,
	    .master = d->cfg.master[0] ? d->cfg.master : NULL,
	    .explicit_acks = true,
	};
	char err[512];
	int rv = mosaic_sched_new(&d->s, &sc, err, sizeof(err));
	if (rv != 0) {
		LOGE("cannot create the scheduler: %s", err);
		return rv;
	}
	mosaic_sched_signal_add(d->s, SIGTERM, on_signal, d);
	mosaic_sched_signal_add(d->s, SIGINT, on_signal, d);
	mosaic_sched_fd_add(d->s, mbatchd_server_fd(d->server), POLLIN, on_server_fd, d);
	d->tick_timer = mosaic_sched_timer_add(d->s, TICK_SECONDS, tick, d);
	d->round_armed = false;
	mbatchd_touch(d);
	rv = mosaic_sched_run(d->s);
	if (rv != 0)
		LOGE("cannot start the framework: %s", mosaic_sched_last_error(d->s));
	/* What the last callbacks changed, and the replies they wait for. */
	commit(d);
	send_replies(d);
	mosaic_sched_fd_remove(d->s, mbatchd_server_fd(d->server));
	return rv;
}

int
mbatchd_run(mbatchd *d)
{
	LOGI("mbatchd listening on %s for mbatch; master %s; state in %s", mbatchd_address(d),
	     d->cfg.master[0] ? d->cfg.master : "(default)", d->cfg.state_dir);
	for (;;) {
		int rv = run_once(d);
		sched_free(d);
		bool again = d->anew;
		if (again) {
			/* Its tasks died with the old framework: requeue them, and
			 * forget the id before subscribing without it. */
			d->anew = false;
			d->subscribed = false;
			status_forget_running(d);
			d->framework_id[0] = '\0';
			d->meta_dirty = true;
			mosaic_sched *old = d->s;
			d->s = NULL;
			commit(d);
			mosaic_sched_free(old);
		}
		if (!again)
			return rv;
	}
}

void
mbatchd_free(mbatchd *d)
{
	if (!d)
		return;
	if (d->store && d->s)
		commit(d);
	mbatchd_server_close(d->server);
	rpc_free_waiters(d);
	sched_free(d);
	for (size_t i = 0; i < d->replies.n; i++) {
		free(d->replies.v[i].to);
		free(d->replies.v[i].payload);
	}
	free(d->replies.v);
	for (size_t i = 0; i < d->acks.n; i++) {
		free(d->acks.v[i].agent_id);
		free(d->acks.v[i].task_id);
		free(d->acks.v[i].uuid);
	}
	free(d->acks.v);
	free(d->launches.v);
	mosaic_sched_free(d->s);
	jobs_free_all(d);
	jobstore_close(d->store);
	free(d);
}
