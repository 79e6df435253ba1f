/* batch_codec.c - a job as a batch.proto Job message, for the CLI. */
#include <stdlib.h>
#include <string.h>

#include "mbatchd_impl.h"

static char *
str(const char *s)
{
	return (char *)(s && *s ? s : NULL);
}

void
batch_codec_job(Mbatch__Job *pb, const mbatchd *d, const bjob *j, bool detail)
{
	const bsub *sub = j->sub;
	mbatch__job__init(pb);
	pb->id = j->id;
	if (jobs_is_array(sub)) {
		pb->has_array_job_id = pb->has_array_index = 1;
		pb->array_job_id = sub->id;
		pb->array_index = j->index;
		pb->array_spec = str(sub->array_text);
	}
	pb->name = sub->spec.job_name;
	pb->user = sub->user;
	pb->state = j->state;
	pb->reason = (char *)(j->state == JOBSTATE_PENDING ? (j->reason ? j->reason : "None") : NULL);
	pb->has_priority = 1;
	pb->priority = sub->spec.priority_given ? sub->spec.priority : 0;
	pb->has_submit_time = 1;
	pb->submit_time = sub->submit_time;
	if (sub->spec.begin > 0) {
		pb->has_begin_time = 1;
		pb->begin_time = (double)sub->spec.begin;
	}
	if (j->start_time > 0 || j->launch_time > 0) {
		pb->has_start_time = 1;
		pb->start_time = j->start_time > 0 ? j->start_time : j->launch_time;
	}
	if (j->end_time > 0) {
		pb->has_end_time = 1;
		pb->end_time = j->end_time;
	}
	pb->has_time_limit = 1;
	pb->time_limit = sub->time_limit;
	pb->has_cpus = pb->has_mem_mb = pb->has_gpus = pb->has_ntasks = pb->has_cpus_per_task = 1;
	pb->cpus = sub->place.cpus;
	pb->mem_mb = sub->mem_mb;
	pb->gpus = sub->spec.gpus;
	pb->ntasks = sub->spec.ntasks;
	pb->cpus_per_task = sub->spec.cpus_per_task;
	pb->agent_id = str(j->agent_id);
	pb->hostname = str(j->hostname);
	pb->agent_http = str(j->agent_http);
	pb->task_id = str(j->task_id);
	pb->framework_id = str(d->framework_id);
	if (j->has_exit) {
		pb->has_exit_code = 1;
		pb->exit_code = j->exit_code;
	}
	pb->has_term_signal = 1;
	pb->term_signal = j->term_signal;
	pb->cpus_bound = str(j->cpus_bound);
	pb->numa_bound = str(j->numa_bound);
	if (j->pid) {
		pb->has_pid = 1;
		pb->pid = j->pid;
	}
	pb->sandbox = str(j->sandbox);
	pb->stdout_path = str(j->stdout_path);
	pb->stderr_path = str(j->stderr_path);
	pb->workdir = str(sub->workdir);
	pb->dependency = str(sub->dependency_text);
	pb->has_held = pb->has_requeue = pb->has_restarts = pb->has_exclusive = 1;
	pb->held = j->held;
	pb->requeue = sub->spec.requeue != 0;
	pb->restarts = j->restarts;
	pb->exclusive = sub->spec.exclusive;
	pb->layout = (char *)sub->place.text;
	pb->message = str(j->message);
	pb->submit_host = str(sub->submit_host);
	pb->script_name = str(sub->script_name);
	if (detail) {
		pb->has_script = 1;
		pb->script.data = (uint8_t *)sub->run_script;
		pb->script.len = strlen(sub->run_script);
		pb->n_options = sub->noptions;
		pb->options = sub->options;
		pb->n_script_args = sub->nargs;
		pb->script_args = sub->args;
	}
}

void
batch_codec_job_fini(Mbatch__Job *pb)
{
	/* Every field points into the job: nothing was allocated. */
	memset(pb, 0, sizeof(*pb));
}
