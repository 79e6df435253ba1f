/* cli_run.c - `mosaic run`: a one-shot framework on libmosaic-sched, like
 * mesos-execute. It waits for an offer that fits (declining the others),
 * launches the command, reports its state changes on stderr, then prints
 * its stdout and stderr fetched from the agent's file server and exits
 * with the command's status. The framework is torn down at the end. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_fit.h"
#include "cli_http.h"
#include "cli_runopts.h"
#include "cli_state.h"
#include "errors.h"
#include "ids.h"
#include "json.h"
#include "mem.h"
#include "mosaic/sched.h"
#include "resources.h"

#define DECLINE_SECONDS 5.0 /* offers that do not fit come back after this */
#define AFTER_LAUNCH_REFUSE 3600.0
#define KILL_WAIT_SECONDS 10.0 /* after Ctrl-C, how long to wait for the kill */
#define MASTER_LOST_SECONDS 60.0
#define RECONCILE_DELAY 15.0   /* after a reconnection; agents re-register within ~5 s */
#define OUTPUT_MAX (64u << 20) /* bytes of stdout/stderr printed at most */

typedef enum run_end {
	END_NONE,
	END_TASK,        /* the task reached a terminal state */
	END_TIMEOUT,     /* no offer fitted in time */
	END_INTERRUPTED, /* Ctrl-C before the task ended */
	END_FAILED       /* the launch or the master failed us */
} run_end;

typedef struct run {
	cli_runopts o;
	mosaic_sched *s;
	mosaic_sched_resources want;
	char task_id[MOSAIC_ID_MAX];
	bool launched;
	int interrupts;
	run_end end;
	char agent_id[MOSAIC_ID_MAX], hostname[256], agent_http[256];
	mosaic_sched_task_state state;
	bool has_exit_code;
	int exit_code, term_signal;
	char message[512], reason[128];
	char failure[512];
	uint64_t master_lost_timer;
} run;

static void say(const run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Progress for people goes to stderr, quiet with --json. */
static void
say(const run *r, const char *fmt, ...)
{
	if (r->o.json)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("mosaic run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void
finish(run *r, run_end end)
{
	if (r->end == END_NONE)
		r->end = end;
	mosaic_sched_stop(r->s);
}

static void fail(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(run *r, const char *fmt, ...)
{
	if (r->end != END_NONE)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->failure, sizeof(r->failure), fmt, ap);
	va_end(ap);
	finish(r, END_FAILED);
}

static void
on_subscribed(mosaic_sched *s, void *arg, const char *framework_id)
{
	run *r = arg;
	char want[256];
	mosaic_sched_resources_format(&r->want, want, sizeof(want));
	say(r, "framework %s subscribed; waiting for an offer of %s", framework_id, want);
}

static bool
launch(run *r, const mosaic_sched_offer *o)
{
	mosaic_sched_task t = {0};
	t.id = r->task_id;
	t.name = r->o.name;
	t.agent_id = o->agent_id;
	t.resources = r->want;
	if (r->o.shell)
		t.shell = r->o.shell_cmd;
	else
		t.argv = (const char *const *)r->o.argv;
	t.env = r->o.nenv ? r->o.env : NULL;
	if (mosaic_sched_launch(r->s, &o->id, 1, &t, 1, -1) != 0) {
		fail(r, "cannot launch: %s", mosaic_sched_last_error(r->s));
		return false;
	}
	r->launched = true;
	snprintf(r->agent_id, sizeof(r->agent_id), "%s", o->agent_id);
	snprintf(r->hostname, sizeof(r->hostname), "%s", o->hostname);
	snprintf(r->agent_http, sizeof(r->agent_http), "%s", o->agent_http);
	say(r, "launching %s on %s (%s)", r->task_id, o->hostname, o->agent_id);
	/* One task is all this framework wants. */
	mosaic_sched_suppress(r->s);
	return true;
}

static void
on_offers(mosaic_sched *s, void *arg, const mosaic_sched_offer *offers, size_t n)
{
	run *r = arg;
	for (size_t i = 0; i < n; i++) {
		const mosaic_sched_offer *o = &offers[i];
		if (!r->launched && r->end == END_NONE &&
		    mosaic_sched_resources_contains(&o->resources, &r->want) && launch(r, o))
			continue;
		mosaic_sched_decline(s, &o->id, 1, r->launched ? AFTER_LAUNCH_REFUSE : DECLINE_SECONDS);
	}
}

static void
on_status(mosaic_sched *s, void *arg, const mosaic_sched_status *st)
{
	run *r = arg;
	if (strcmp(st->task_id, r->task_id) != 0)
		return;
	r->state = st->state;
	if (*st->agent_http)
		snprintf(r->agent_http, sizeof(r->agent_http), "%s", st->agent_http);
	if (*st->agent_hostname)
		snprintf(r->hostname, sizeof(r->hostname), "%s", st->agent_hostname);
	char extra[256] = "";
	if (st->pid && *st->cpus_bound)
		snprintf(extra, sizeof(extra), " (pid %u, cpus %s)", st->pid, st->cpus_bound);
	else if (st->pid)
		snprintf(extra, sizeof(extra), " (pid %u)", st->pid);
	else if (*st->message)
		snprintf(extra, sizeof(extra), ": %s", st->message);
	bool unknown = st->state == MOSAIC_SCHED_TASK_UNKNOWN;
	if (!mosaic_sched_task_state_terminal(st->state) && !unknown) {
		say(r, "%s is %s on %s%s", r->task_id, mosaic_sched_task_state_name(st->state), r->hostname,
		    extra);
		return;
	}
	/* The end is reported once, after the output (report). */
	r->has_exit_code = st->has_exit_code;
	r->exit_code = st->exit_code;
	r->term_signal = st->term_signal;
	snprintf(r->message, sizeof(r->message), "%s", st->message);
	snprintf(r->reason, sizeof(r->reason), "%s", st->reason);
	finish(r, END_TASK);
}

static void
on_accept_failed(mosaic_sched *s, void *arg, const char *const *ids, size_t n, const char *reason)
{
	fail(arg, "the master refused the launch: %s", reason);
}

static void
on_error(mosaic_sched *s, void *arg, const char *message)
{
	run *r = arg;
	/* Before the launch an Error means the master will not serve us (a
	 * refused subscription); after it, the task's own updates tell. */
	if (!r->launched)
		fail(r, "the master reports an error: %s", message);
	else
		say(r, "the master reports an error: %s", message);
}

static void
master_gone(mosaic_sched *s, void *arg)
{
	run *r = arg;
	r->master_lost_timer = 0;
	fail(r, "lost the master at %s for %.0f s", mosaic_sched_master(s), MASTER_LOST_SECONDS);
}

static void
on_disconnected(mosaic_sched *s, void *arg)
{
	run *r = arg;
	say(r, "lost the master at %s; reconnecting", mosaic_sched_master(s));
	if (!r->master_lost_timer)
		r->master_lost_timer = mosaic_sched_timer_add(s, MASTER_LOST_SECONDS, master_gone, r);
}

static void
reconcile(mosaic_sched *s, void *arg)
{
	run *r = arg;
	mosaic_sched_task_ref ref = {r->task_id, r->agent_id};
	if (r->launched && r->end == END_NONE)
		mosaic_sched_reconcile(s, &ref, 1);
}

static void
on_reconnected(mosaic_sched *s, void *arg, const char *framework_id)
{
	run *r = arg;
	say(r, "reconnected to the master");
	mosaic_sched_timer_cancel(s, r->master_lost_timer);
	r->master_lost_timer = 0;
	/* The agent resends the task's updates to the new master by itself;
	 * ask only later, once the agents had time to re-register, in case
	 * the task's agent is gone for good. */
	if (r->launched)
		mosaic_sched_timer_add(s, RECONCILE_DELAY, reconcile, r);
}

static void
on_agent_lost(mosaic_sched *s, void *arg, const char *agent_id, const char *hostname)
{
	run *r = arg;
	if (r->launched && strcmp(agent_id, r->agent_id) == 0)
		say(r, "agent %s (%s) running the task was lost", hostname, agent_id);
}

static void
on_timeout(mosaic_sched *s, void *arg)
{
	run *r = arg;
	if (!r->launched)
		finish(r, END_TIMEOUT);
}

static void
give_up_kill(mosaic_sched *s, void *arg)
{
	finish(arg, END_INTERRUPTED);
}

static void
on_signal(mosaic_sched *s, int signo, void *arg)
{
	run *r = arg;
	r->interrupts++;
	if (!r->launched || r->interrupts > 1 || mosaic_sched_kill(s, r->task_id, r->agent_id, -1) != 0) {
		finish(r, END_INTERRUPTED);
		return;
	}
	say(r, "interrupted: killing %s (again to stop waiting)", r->task_id);
	mosaic_sched_timer_add(s, KILL_WAIT_SECONDS, give_up_kill, r);
}

/* ---- before and after the loop ---- */

static void
totals_of(const cli_state *st, mosaic_resources **out, size_t *n)
{
	*out = xcalloc(st->nagents + 1, sizeof(mosaic_resources));
	*n = 0;
	for (size_t i = 0; i < st->nagents; i++)
		if (st->agents[i].active)
			(*out)[(*n)++] = st->agents[i].total;
}

/* Whether the request can ever fit: 0 yes (or cannot tell yet: no agent
 * registered), else 1 with the reason in buf. */
static int
check_fit(const cli_state *st, const mosaic_resources *want, char *buf, size_t len)
{
	mosaic_resources *totals;
	size_t n;
	totals_of(st, &totals, &n);
	bool never = n > 0 && cli_fit_explain(totals, n, want, buf, len);
	free(totals);
	return never ? 1 : 0;
}

/* Why no offer came: the cluster cannot hold the request, has no agent,
 * or is busy. */
static void
explain_timeout(run *r, const mosaic_resources *want)
{
	char wbuf[256], why[512];
	res_format(want, wbuf, sizeof(wbuf));
	cli_state *st;
	char err[256];
	if (cli_state_fetch(&st, cli_master(r->o.master), false, CLI_STATE_TIMEOUT, err, sizeof(err)) != 0) {
		snprintf(r->failure, sizeof(r->failure),
		         "no offer of %s within %.0f s, and the master stopped answering", wbuf,
		         r->o.timeout);
		return;
	}
	size_t active = 0;
	for (size_t i = 0; i < st->nagents; i++)
		active += st->agents[i].active;
	if (active == 0)
		snprintf(r->failure, sizeof(r->failure), "no agent registered with the master within %.0f s",
		         r->o.timeout);
	else if (check_fit(st, want, why, sizeof(why)))
		snprintf(r->failure, sizeof(r->failure), "%s", why);
	else
		snprintf(
		    r->failure, sizeof(r->failure),
		    "no offer of %s within %.0f s: the cluster is busy (%zu agent(s), %zu task(s) running); "
		    "try a longer --timeout",
		    wbuf, r->o.timeout, active, st->ntasks);
	cli_state_free(st);
}

typedef struct output {
	char *data;
	size_t len;
	bool truncated, ok;
	char err[256];
} output;

static void
fetch_output(const run *r, const char *name, output *out)
{
	memset(out, 0, sizeof(*out));
	const char *fw = mosaic_sched_framework_id(r->s);
	if (!*r->agent_http || !fw) {
		snprintf(out->err, sizeof(out->err), "the agent serves no files");
		return;
	}
	out->ok = cli_http_task_file(r->agent_http, fw, r->task_id, name, OUTPUT_MAX, &out->data, &out->len,
	                             &out->truncated, out->err, sizeof(out->err)) == 0;
}

/* The exit status `mosaic run` ends with. */
static int
exit_status(const run *r)
{
	switch (r->end) {
	case END_TASK:
		if (r->term_signal > 0)
			return 128 + r->term_signal;
		if (r->state == MOSAIC_SCHED_TASK_FINISHED)
			return r->has_exit_code ? r->exit_code : 0;
		if (r->state == MOSAIC_SCHED_TASK_FAILED && r->has_exit_code && r->exit_code > 0)
			return r->exit_code;
		return CLI_EXIT_FAIL;
	case END_INTERRUPTED: return 128 + SIGINT;
	default: return CLI_EXIT_FAIL;
	}
}

static void
print_json(const run *r, const output *out, const output *err, int status)
{
	json_writer w;
	json_init(&w);
	json_object_begin(&w);
	json_kv_string(&w, "framework_id", mosaic_sched_framework_id(r->s));
	json_kv_string(&w, "task_id", r->task_id);
	json_kv_string(&w, "name", r->o.name);
	json_kv_string(&w, "agent_id", r->launched ? r->agent_id : NULL);
	json_kv_string(&w, "hostname", r->launched ? r->hostname : NULL);
	json_kv_string(&w, "state", r->end == END_TASK ? mosaic_sched_task_state_name(r->state) : NULL);
	if (r->end == END_TASK && r->has_exit_code)
		json_kv_int(&w, "exit_code", r->exit_code);
	else
		json_kv_string(&w, "exit_code", NULL);
	json_kv_int(&w, "signal", r->term_signal);
	json_kv_string(&w, "message", r->message);
	json_kv_string(&w, "reason", r->reason);
	json_kv_string(&w, "stdout", out->ok ? out->data : NULL);
	json_kv_string(&w, "stderr", err->ok ? err->data : NULL);
	json_kv_bool(&w, "output_truncated", out->truncated || err->truncated);
	json_kv_string(&w, "error", r->end == END_TASK ? NULL : r->failure);
	json_kv_int(&w, "status", status);
	json_object_end(&w);
	char *s = json_take(&w);
	puts(s);
	free(s);
}

static void
report(run *r, const mosaic_resources *want)
{
	output out = {0}, err = {0};
	bool ran = r->end == END_TASK &&
	           (r->state == MOSAIC_SCHED_TASK_FINISHED || r->state == MOSAIC_SCHED_TASK_FAILED ||
	            r->state == MOSAIC_SCHED_TASK_KILLED);
	if (r->end == END_TIMEOUT)
		explain_timeout(r, want);
	if (r->end == END_INTERRUPTED)
		snprintf(r->failure, sizeof(r->failure), "interrupted");
	if (ran) {
		fetch_output(r, "stdout", &out);
		fetch_output(r, "stderr", &err);
	}
	int status = exit_status(r);
	if (r->o.json) {
		print_json(r, &out, &err, status);
	} else {
		fflush(stderr);
		if (out.ok)
			fwrite(out.data, 1, out.len, stdout);
		fflush(stdout);
		if (err.ok)
			fwrite(err.data, 1, err.len, stderr);
		if (ran && !out.ok)
			say(r, "cannot fetch the task's stdout: %s", out.err);
		if (ran && !err.ok)
			say(r, "cannot fetch the task's stderr: %s", err.err);
		if (out.truncated || err.truncated)
			say(r, "output cut at %u MiB", OUTPUT_MAX >> 20);
		if (r->end == END_TASK) {
			char detail[700] = "";
			if (r->term_signal > 0)
				snprintf(detail, sizeof(detail), ", killed by signal %d (%s)", r->term_signal,
				         strsignal(r->term_signal));
			else if (r->has_exit_code)
				snprintf(detail, sizeof(detail), ", exit code %d", r->exit_code);
			if (r->term_signal <= 0 && !r->has_exit_code && *r->message)
				snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), ": %s",
				         r->message);
			say(r, "%s %s on %s%s", r->task_id, mosaic_sched_task_state_name(r->state),
			    r->hostname, detail);
		} else {
			fprintf(stderr, "mosaic run: %s\n", r->failure);
		}
	}
	free(out.data);
	free(err.data);
}

int
cli_run_main(int argc, char **argv)
{
	run r;
	memset(&r, 0, sizeof(r));
	char err[512];
	if (cli_runopts_parse(&r.o, argc, argv, err, sizeof(err)) != 0) {
		cli_runopts_fini(&r.o);
		fprintf(stderr, "mosaic run: %s (see 'mosaic run --help')\n", err);
		return CLI_EXIT_USAGE;
	}
	if (r.o.help) {
		cli_runopts_usage();
		cli_runopts_fini(&r.o);
		return CLI_EXIT_OK;
	}
	if (r.o.verbose)
		mosaic_sched_log_init("mosaic-run", "info", NULL);
	r.want.cpus = r.o.cpus;
	r.want.mem = r.o.mem;
	r.want.disk = r.o.disk;
	mosaic_resources want;
	res_clear(&want);
	want.cpus = r.o.cpus;
	want.mem = r.o.mem;
	want.disk = r.o.disk;
	id_new(r.task_id, "run");

	mosaic_sched_callbacks cb = {.subscribed = on_subscribed,
	                             .offers = on_offers,
	                             .status = on_status,
	                             .agent_lost = on_agent_lost,
	                             .accept_failed = on_accept_failed,
	                             .error = on_error,
	                             .disconnected = on_disconnected,
	                             .reconnected = on_reconnected};
	mosaic_sched_config cfg = {.framework = {.name = r.o.name, .role = r.o.role},
	                           .callbacks = &cb,
	                           .arg = &r,
	                           .master = cli_master(r.o.master)};
	int status = CLI_EXIT_FAIL;
	if (mosaic_sched_new(&r.s, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "mosaic run: %s\n", err);
		cli_runopts_fini(&r.o);
		return CLI_EXIT_FAIL;
	}
	/* Before any thread exists (the state query below starts nng's). */
	mosaic_sched_signal_add(r.s, SIGINT, on_signal, &r);
	mosaic_sched_signal_add(r.s, SIGTERM, on_signal, &r);

	cli_state *st;
	char why[512];
	int rv = cli_state_fetch(&st, cli_master(r.o.master), false, CLI_STATE_TIMEOUT, err, sizeof(err));
	if (rv == MOSAIC_ETIMEDOUT) {
		status = cli_no_master(cli_master(r.o.master));
		goto out;
	}
	if (rv != 0) {
		fprintf(stderr, "mosaic run: %s\n", err);
		goto out;
	}
	rv = check_fit(st, &want, why, sizeof(why));
	cli_state_free(st);
	if (rv != 0) {
		fprintf(stderr, "mosaic run: %s\n", why);
		goto out;
	}
	if (mosaic_sched_start(r.s) != 0) {
		fprintf(stderr, "mosaic run: %s\n", mosaic_sched_last_error(r.s));
		goto out;
	}
	mosaic_sched_timer_add(r.s, r.o.timeout, on_timeout, &r);
	mosaic_sched_run(r.s);
	report(&r, &want);
	status = exit_status(&r);
	if (mosaic_sched_framework_id(r.s))
		mosaic_sched_teardown(r.s);
out:
	mosaic_sched_free(r.s);
	cli_runopts_fini(&r.o);
	return status;
}
