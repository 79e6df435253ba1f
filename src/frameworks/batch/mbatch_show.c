/* mbatch_show.c - `mbatch show N`: everything about a job, as `scontrol
 * show job` lays it out (Key=Value lines), then its directives and its
 * script. An array's id shows every task. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errors.h"
#include "jobstate.h"
#include "mbatch_cli.h"
#include "mem.h"
#include "slurm_time.h"

/* The #SBATCH / #MBATCH lines of the script's header, as sbatch reads them. */
static void
print_directives(const Mbatch__Job *j)
{
	const char *s = j->has_script ? (const char *)j->script.data : "";
	const char *end = s + (j->has_script ? j->script.len : 0);
	bool first = true, any = false;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		bool directive = (n >= 7 && (strncmp(s, "#SBATCH", 7) == 0 || strncmp(s, "#MBATCH", 7) == 0));
		if (directive) {
			printf("   %.*s\n", (int)n, s);
			any = true;
		} else if (!(first && n >= 2 && s[0] == '#' && s[1] == '!') && n > 0 && s[0] != '#') {
			break;
		}
		first = false;
		s += n + 1;
	}
	if (!any)
		printf("   (none in the script)\n");
	if (j->n_options) {
		printf("   command line:");
		for (size_t i = 0; i < j->n_options; i++)
			printf(" %s", j->options[i]);
		printf("\n");
	}
}

static void
show_one(const Mbatch__Job *j, double now)
{
	char id[64], t1[64], t2[64], t3[64], lim[SLURM_TIME_BUFLEN], run[SLURM_TIME_BUFLEN], ex[32], p[4200];
	printf("JobId=%u", j->id);
	if (j->has_array_index)
		printf(" ArrayJobId=%u ArrayTaskId=%u (%s) ArraySpec=%s", j->array_job_id, j->array_index,
		       mbatch_job_name(j, id, sizeof(id)), j->array_spec ? j->array_spec : "");
	printf(" JobName=%s\n", j->name);
	printf("   UserId=%s Priority=%u Requeue=%d Restarts=%u Exclusive=%s\n", j->user, j->priority,
	       j->requeue, j->restarts, j->exclusive ? "YES" : "NO");
	printf("   JobState=%s Reason=%s Dependency=%s Held=%s\n", mbatch_state(j, false),
	       j->state == JOBSTATE_PENDING ? (j->reason ? j->reason : "None") : "None",
	       j->dependency ? j->dependency : "(null)", j->held ? "YES" : "NO");
	printf("   ExitCode=%s", mbatch_exit(j, ex, sizeof(ex)));
	if (j->term_signal)
		printf(" (killed by signal %d)", j->term_signal);
	printf("\n");
	slurm_time_format(j->time_limit, lim, sizeof(lim));
	slurm_time_format_elapsed(mbatch_elapsed(j, now), run, sizeof(run));
	printf("   RunTime=%s TimeLimit=%s\n", run, lim);
	printf("   SubmitTime=%s EligibleTime=%s\n", mbatch_time(j->submit_time, t1, sizeof(t1)),
	       mbatch_time(j->has_begin_time ? j->begin_time : j->submit_time, t2, sizeof(t2)));
	printf("   StartTime=%s EndTime=%s\n",
	       mbatch_time(j->has_start_time ? j->start_time : 0, t1, sizeof(t1)),
	       mbatch_time(j->has_end_time ? j->end_time : 0, t3, sizeof(t3)));
	printf("   NodeList=%s AgentId=%s\n", j->hostname ? j->hostname : "(null)",
	       j->agent_id ? j->agent_id : "(null)");
	printf("   NumCPUs=%g NumTasks=%u CPUs/Task=%u Mem=%.0fM Gres=%s\n", j->cpus, j->ntasks,
	       j->cpus_per_task, j->mem_mb, j->gpus ? "gpu" : "(null)");
	if (j->gpus)
		printf("   GPUs=%u\n", j->gpus);
	printf("   CpuBind=%s CpusBound=%s NumaBound=%s\n", j->layout ? j->layout : "none",
	       j->cpus_bound ? j->cpus_bound : "(none)", j->numa_bound ? j->numa_bound : "(none)");
	printf("   TaskId=%s FrameworkId=%s Pid=%u\n", j->task_id ? j->task_id : "(null)",
	       j->framework_id ? j->framework_id : "(null)", j->has_pid ? j->pid : 0);
	printf("   Command=%s", j->script_name ? j->script_name : "(wrap)");
	for (size_t i = 0; i < j->n_script_args; i++)
		printf(" %s", j->script_args[i]);
	printf("\n   WorkDir=%s SubmitHost=%s\n", j->workdir ? j->workdir : "",
	       j->submit_host ? j->submit_host : "");
	printf("   StdOut=%s\n", mbatch_path(j, j->stdout_path, p, sizeof(p)));
	printf("   StdErr=%s\n", mbatch_path(j, j->stderr_path, p, sizeof(p)));
	printf("   Sandbox=%s\n", j->sandbox ? j->sandbox : "(none)");
	if (j->message)
		printf("   Message=%s\n", j->message);
	printf("   Directives:\n");
	print_directives(j);
	printf("   Script:\n");
	const char *s = j->has_script ? (const char *)j->script.data : "";
	size_t len = j->has_script ? j->script.len : 0;
	while (len > 0) {
		const char *nl = memchr(s, '\n', len);
		size_t n = nl ? (size_t)(nl - s) : len;
		printf("   | %.*s\n", (int)n, s);
		s += n + (nl ? 1 : 0);
		len -= n + (nl ? 1 : 0);
	}
	printf("\n");
}

int
mbatch_show_main(const char *address, int argc, char **argv)
{
	static const struct option longs[] = {
	    {"json", no_argument, NULL, 'J'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	bool json = false;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		if (c == 'J') {
			json = true;
		} else if (c == 'h') {
			printf("usage: mbatch show JOB... [--json]\n\n"
			       "Everything about a job: state, times, agent, cores bound, exit code, files, "
			       "its\n"
			       "directives and its script. JOB: 12, 12_3, 12_[1-3]; an array's id shows "
			       "every task.\n");
			return MBATCH_EXIT_OK;
		} else {
			return mbatch_fail("show", MBATCH_EXIT_USAGE, "unknown option '%s'",
			                   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return mbatch_fail("show", MBATCH_EXIT_USAGE, "which job? (mbatch show 12)");
	mbatch_client *cl;
	int rv = mbatch_connect(&cl, address, "show");
	if (rv)
		return rv;
	Mbatch__List req = MBATCH__LIST__INIT;
	req.n_targets = (size_t)(argc - optind);
	req.targets = argv + optind;
	req.has_live = req.has_finished = req.has_detail = 1;
	req.live = req.finished = req.detail = true;
	mbatch_jobs jobs;
	char err[1024];
	rv = mbatch_jobs_fetch(cl, &req, &jobs, err, sizeof(err));
	mbatch_client_close(cl);
	if (rv)
		return mbatch_fail("show", MBATCH_EXIT_FAIL, "%s", err);
	if (jobs.n == 0) {
		mbatch_jobs_fini(&jobs);
		return mbatch_fail("show", MBATCH_EXIT_FAIL, "Invalid job id specified");
	}
	if (json) {
		json_writer w;
		json_init(&w);
		json_array_begin(&w);
		for (size_t i = 0; i < jobs.n; i++)
			mbatch_job_json(&w, jobs.v[i], true);
		json_array_end(&w);
		char *s = json_take(&w);
		puts(s);
		free(s);
	} else {
		double now = (double)time(NULL);
		for (size_t i = 0; i < jobs.n; i++)
			show_one(jobs.v[i], now);
	}
	mbatch_jobs_fini(&jobs);
	return MBATCH_EXIT_OK;
}
