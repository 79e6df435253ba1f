/* mbatch_control.c - `mbatch cancel` (scancel), `mbatch hold` and
 * `mbatch release` (scontrol hold/release): jobs by id (12, 12_3,
 * 12_[1-3]) or, for cancel, by --name. Quiet on success, as scancel; each
 * job that could not be acted on is an error line, and the exit status 1. */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "mbatch_cli.h"

static int
control(const char *address, int argc, char **argv, Mbatch__ControlAction action, const char *cmd)
{
	static const struct option longs[] = {{"name", required_argument, NULL, 'n'},
	                                      {"json", no_argument, NULL, 'J'},
	                                      {"help", no_argument, NULL, 'h'},
	                                      {NULL, 0, NULL, 0}};
	bool json = false;
	const char *name = NULL;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "n:h", longs, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (action != MBATCH__CONTROL_ACTION__CONTROL_CANCEL)
				return mbatch_fail(cmd, MBATCH_EXIT_USAGE, "--name is for cancel only");
			name = optarg;
			break;
		case 'J': json = true; break;
		case 'h':
			printf("usage: mbatch %s JOB... %s[--json]\n\n", cmd,
			       action == MBATCH__CONTROL_ACTION__CONTROL_CANCEL ? "| --name NAME " : "");
			printf("%s JOB: 12 (a job, or every task of array 12), 12_3, 12_[1-3].\n",
			       action == MBATCH__CONTROL_ACTION__CONTROL_CANCEL ? "Cancel jobs, as scancel."
			       : action == MBATCH__CONTROL_ACTION__CONTROL_HOLD
			           ? "Keep pending jobs from starting."
			           : "Let held jobs start again.");
			return MBATCH_EXIT_OK;
		default:
			return mbatch_fail(cmd, MBATCH_EXIT_USAGE,
			                   "unknown option '%s' (see mbatch %s --help)", argv[optind - 1],
			                   cmd);
		}
	}
	if (optind >= argc && !name)
		return mbatch_fail(cmd, MBATCH_EXIT_USAGE, "which job? (mbatch %s 12)", cmd);
	mbatch_client *cl;
	int rv = mbatch_connect(&cl, address, cmd);
	if (rv)
		return rv;
	struct passwd *pw = getpwuid(getuid());
	Mbatch__Control req = MBATCH__CONTROL__INIT;
	req.request_id = mbatch_client_next_id(cl);
	req.action = action;
	req.n_targets = (size_t)(argc - optind);
	req.targets = argv + optind;
	req.name = (char *)name;
	req.user = pw ? pw->pw_name : NULL;
	ProtobufCMessage *m;
	char err[1024];
	rv =
	    mbatch_client_call(cl, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_CONTROL, &req.base, req.request_id,
	                       &mbatch__control_reply__descriptor, MBATCH_CALL_TIMEOUT, &m, err, sizeof(err));
	mbatch_client_close(cl);
	if (rv)
		return mbatch_fail(cmd, MBATCH_EXIT_FAIL, "%s", err);
	Mbatch__ControlReply *rep = (Mbatch__ControlReply *)m;
	int status = MBATCH_EXIT_OK;
	if (rep->error) {
		status = mbatch_fail(cmd, MBATCH_EXIT_FAIL, "%s", rep->error);
	} else if (json) {
		json_writer w;
		json_init(&w);
		json_array_begin(&w);
		for (size_t i = 0; i < rep->n_results; i++) {
			json_object_begin(&w);
			json_kv_string(&w, "job", rep->results[i]->target);
			json_kv_bool(&w, "ok", rep->results[i]->ok);
			json_kv_string(&w, "message", rep->results[i]->message);
			json_object_end(&w);
			if (!rep->results[i]->ok)
				status = MBATCH_EXIT_FAIL;
		}
		json_array_end(&w);
		char *s = json_take(&w);
		puts(s);
		free(s);
	} else {
		for (size_t i = 0; i < rep->n_results; i++) {
			const Mbatch__ControlResult *r = rep->results[i];
			if (r->ok)
				continue;
			fprintf(stderr, "mbatch %s: error: %s %s: %s\n", cmd,
			        name && i == rep->n_results - 1 ? "jobs named" : "job", r->target,
			        r->message ? r->message : "failed");
			status = MBATCH_EXIT_FAIL;
		}
	}
	protobuf_c_message_free_unpacked(m, NULL);
	return status;
}

int
mbatch_cancel_main(const char *address, int argc, char **argv)
{
	return control(address, argc, argv, MBATCH__CONTROL_ACTION__CONTROL_CANCEL, "cancel");
}

int
mbatch_hold_main(const char *address, int argc, char **argv)
{
	return control(address, argc, argv, MBATCH__CONTROL_ACTION__CONTROL_HOLD, "hold");
}

int
mbatch_release_main(const char *address, int argc, char **argv)
{
	return control(address, argc, argv, MBATCH__CONTROL_ACTION__CONTROL_RELEASE, "release");
}
