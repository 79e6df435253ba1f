/* test_jobstore.c - mbatchd's job store on a real SQLite file: what is
 * committed comes back after a reopen, exactly; what was not committed
 * does not; a submission is forgotten with its jobs. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "jobstore.h"

typedef struct seen {
	int subs, jobs;
	jobstore_sub sub;
	char script[64], opt1[32], env0[32], cwd[32];
	size_t noptions, nenv, nargs;
	bool script_null;
	jobstore_job job[4];
	char task[4][32], msg[4][64];
} seen;

static int
on_sub(void *arg, const jobstore_sub *s)
{
	seen *x = arg;
	if (x->subs++ == 0) {
		x->sub = *s;
		x->script_null = s->script == NULL;
		if (s->script)
			snprintf(x->script, sizeof(x->script), "%.*s", (int)s->script_len, s->script);
		x->noptions = s->noptions;
		x->nenv = s->nenv;
		x->nargs = s->nargs;
		snprintf(x->opt1, sizeof(x->opt1), "%s", s->noptions > 1 ? s->options[1] : "");
		snprintf(x->env0, sizeof(x->env0), "%s", s->nenv ? s->env[0] : "");
		snprintf(x->cwd, sizeof(x->cwd), "%s", s->cwd);
	}
	return 0;
}

static int
on_job(void *arg, const jobstore_job *j)
{
	seen *x = arg;
	if (x->jobs < 4) {
		x->job[x->jobs] = *j;
		snprintf(x->task[x->jobs], 32, "%s", j->task_id);
		snprintf(x->msg[x->jobs], 64, "%s", j->message);
	}
	x->jobs++;
	return 0;
}

int
main(void)
{
	char dir[] = "/tmp/test_jobstore.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[128];
	snprintf(path, sizeof(path), "%s/jobs.db", dir);
	char err[512];
	jobstore *st;
	CHECK_OK(jobstore_open(&st, path, err, sizeof(err)));

	const char *opts[] = {"--time", "5", "-J", "x"};
	const char *env[] = {"A=1", "B=two words"};
	const char *args[] = {"a1"};
	jobstore_sub sub = {.id = 10,
	                    .count = 3,
	                    .submit_time = 1234.5,
	                    .script = "#!/bin/sh\necho hi\n",
	                    .script_len = 18,
	                    .script_name = "job.sh",
	                    .options = opts,
	                    .noptions = 4,
	                    .args = args,
	                    .nargs = 1,
	                    .env = env,
	                    .nenv = 2,
	                    .cwd = "/home/a",
	                    .user = "a"};
	CHECK_OK(jobstore_begin(st));
	CHECK(jobstore_in_transaction(st));
	CHECK_OK(jobstore_put_sub(st, &sub));
	for (uint32_t k = 0; k < 3; k++) {
		jobstore_job j = {
		    .id = 10 + k, .sub_id = 10, .array_index = k * 2, .state = 1 + (int)k, .attempt = k};
		j.task_id = k == 1 ? "mbatch-11-1" : NULL;
		j.message = k == 2 ? "done" : NULL;
		j.has_exit = k == 2;
		j.exit_code = 3;
		j.term_signal = 9;
		j.start_time = 99.25;
		CHECK_OK(jobstore_put_job(st, &j));
	}
	CHECK_OK(jobstore_meta_set(st, "next_job_id", "13"));
	CHECK_OK(jobstore_commit(st));
	CHECK(!jobstore_in_transaction(st));
	/* Not committed: gone after the close. */
	CHECK_OK(jobstore_begin(st));
	jobstore_job lost = {.id = 99, .sub_id = 10, .array_index = -1, .state = 1};
	CHECK_OK(jobstore_put_job(st, &lost));
	CHECK_OK(jobstore_meta_set(st, "next_job_id", "100"));
	jobstore_close(st);

	CHECK_OK(jobstore_open(&st, path, err, sizeof(err)));
	char *v = NULL;
	CHECK_OK(jobstore_meta_get(st, "next_job_id", &v));
	CHECK(v && strcmp(v, "13") == 0);
	free(v);
	CHECK(jobstore_meta_get(st, "framework_id", &v) == MOSAIC_ENOENT);
	seen x = {0};
	CHECK_OK(jobstore_load(st, on_sub, on_job, &x));
	CHECK(x.subs == 1 && x.jobs == 3);
	CHECK(x.sub.id == 10 && x.sub.count == 3 && x.sub.submit_time == 1234.5);
	CHECK(strcmp(x.script, "#!/bin/sh\necho hi\n") == 0 && !x.script_null);
	CHECK(x.noptions == 4 && strcmp(x.opt1, "5") == 0);
	CHECK(x.nenv == 2 && strcmp(x.env0, "A=1") == 0 && x.nargs == 1);
	CHECK(strcmp(x.cwd, "/home/a") == 0);
	CHECK(x.job[0].id == 10 && x.job[0].array_index == 0 && x.job[0].state == 1);
	CHECK(x.job[1].array_index == 2 && strcmp(x.task[1], "mbatch-11-1") == 0 && x.job[1].attempt == 1);
	CHECK(x.job[2].has_exit && x.job[2].exit_code == 3 && x.job[2].term_signal == 9);
	CHECK(strcmp(x.msg[2], "done") == 0 && strcmp(x.msg[0], "") == 0);
	CHECK(x.job[2].start_time == 99.25);

	/* --wrap: no script; a submission forgotten takes its jobs along. */
	jobstore_sub wrap = {.id = 20, .count = 1, .script = NULL, .cwd = "/", .user = "a"};
	CHECK_OK(jobstore_begin(st));
	CHECK_OK(jobstore_put_sub(st, &wrap));
	CHECK_OK(jobstore_delete_sub(st, 10));
	CHECK_OK(jobstore_commit(st));
	memset(&x, 0, sizeof(x));
	CHECK_OK(jobstore_load(st, on_sub, on_job, &x));
	CHECK(x.subs == 1 && x.jobs == 0 && x.script_null && x.sub.id == 20 && x.noptions == 0);
	jobstore_close(st);

	/* A store that cannot be opened says where. */
	CHECK(jobstore_open(&st, "/nonexistent-dir/x/jobs.db", err, sizeof(err)) == MOSAIC_EIO);
	CHECK(strstr(err, "/nonexistent-dir/x/jobs.db") != NULL);

	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
	return check_done();
}
