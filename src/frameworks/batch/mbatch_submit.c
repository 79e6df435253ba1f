/* mbatch_submit.c - `mbatch submit [options] script [args...]`, as sbatch:
 * the script's directives and the options are read here first (so a bad
 * --time or --array is said without a round trip, with its file and line),
 * then mbatchd reads them again and stores the job; its id is printed
 * once that is durable. --wait then waits for the job's end and exits with
 * its code. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "directives.h"
#include "errors.h"
#include "jobstate.h"
#include "loop.h"
#include "mbatch_cli.h"
#include "mem.h"

extern char **environ;

#define WAIT_STEP 60.0       /* seconds one Wait asks for */
#define WAIT_NO_ANSWER 300.0 /* give up when mbatchd stays silent this long */

static void
usage(FILE *out)
{
	fprintf(out, "usage: mbatch submit [options] script [args...]\n"
	             "       mbatch submit [options] --wrap 'command'\n\n"
	             "Queue a job script, as sbatch does: options come from the script's #SBATCH and\n"
	             "#MBATCH lines and from the command line (which wins). Prints 'Submitted batch job N'.\n"
	             "The options are sbatch's (see src/frameworks/batch/README.md); besides them:\n"
	             "  --parsable     print only the job id\n"
	             "  --wait, -W     wait for the job to end and exit with its exit code\n"
	             "  --wrap CMD     the job is /bin/sh running CMD\n"
	             "  --json         print the answer as JSON\n"
	             "Without a script and without --wrap, the script is read from standard input.\n");
}

/* Reads the script; "-" or NULL means standard input. */
static int
read_script(const char *path, char **data, size_t *len)
{
	FILE *f = path && strcmp(path, "-") != 0 ? fopen(path, "rb") : stdin;
	if (!f)
		return errno;
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap > DIRECTIVES_MAX_SCRIPT + 1)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (k == 0)
			break;
	}
	int e = ferror(f) ? errno : 0;
	if (f != stdin)
		fclose(f);
	if (e) {
		free(buf);
		return e;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* --json is mbatch's, not sbatch's: take it out of the options (but not
 * out of the script's own arguments). */
static int
split_args(int argc, char **argv, char ***words, int *nwords, int *nopts, int *script, bool *json, char *err,
           size_t errlen)
{
	char **f = xcalloc((size_t)argc + 1, sizeof(char *));
	int *orig = xcalloc((size_t)argc + 1, sizeof(int));
	int n = 0, fscript = 0;
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--json") != 0) {
			orig[n] = i;
			f[n++] = argv[i];
		}
	int rv = directives_args_end(n, f, nopts, &fscript, err, errlen);
	char **w = xcalloc((size_t)argc + 1, sizeof(char *));
	if (rv == 0) {
		int first = fscript < n ? orig[fscript] : argc;
		for (int i = 0; i < first; i++)
			*json |= strcmp(argv[i], "--json") == 0;
		/* The options without --json (and without a "--" that ends
		 * them), then the script and its arguments as typed. */
		int k = 0;
		for (int i = 0; i < *nopts; i++)
			w[k++] = f[i];
		*script = k; /* == *nwords when there is no script */
		for (int i = first; i < argc; i++)
			w[k++] = argv[i];
		*nwords = k;
	}
	free(f);
	free(orig);
	*words = w;
	return rv;
}

static bool
has_wrap(char **opts, int n)
{
	for (int i = 0; i < n; i++)
		if (strncmp(opts[i], "--wrap", 6) == 0 || strncmp(opts[i], "--wra", 5) == 0)
			return true;
	return false;
}

static int
wait_for(mbatch_client *c, uint32_t job_id)
{
	double silent_since = 0;
	for (;;) {
		Mbatch__Wait req = MBATCH__WAIT__INIT;
		req.request_id = mbatch_client_next_id(c);
		req.n_job_ids = 1;
		req.job_ids = &job_id;
		req.has_timeout = 1;
		req.timeout = WAIT_STEP;
		ProtobufCMessage *m;
		char err[512];
		if (mbatch_client_call(c, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_WAIT, &req.base,
		                       req.request_id, &mbatch__wait_reply__descriptor, WAIT_STEP + 15, &m,
		                       err, sizeof(err)) != 0) {
			/* mbatchd restarting: keep asking, for a while. */
			double now = mosaic_mono_now();
			if (silent_since == 0)
				silent_since = now;
			if (now - silent_since > WAIT_NO_ANSWER)
				return mbatch_fail("submit", MBATCH_EXIT_FAIL,
				                   "%s; stopped waiting for job %u", err, job_id);
			sleep(1);
			continue;
		}
		silent_since = 0;
		Mbatch__WaitReply *rep = (Mbatch__WaitReply *)m;
		if (rep->error) {
			int rv = mbatch_fail("submit", MBATCH_EXIT_FAIL, "waiting for job %u: %s", job_id,
			                     rep->error);
			protobuf_c_message_free_unpacked(m, NULL);
			return rv;
		}
		if (!rep->done) {
			protobuf_c_message_free_unpacked(m, NULL);
			continue;
		}
		int status = 0;
		for (size_t i = 0; i < rep->n_jobs; i++) {
			const Mbatch__Job *j = rep->jobs[i];
			int s = mbatch_exit_status(j);
			if (s != 0) {
				char name[64], ex[32];
				fprintf(stderr, "mbatch submit: job %s ended %s (exit code %s)%s%s\n",
				        mbatch_job_name(j, name, sizeof(name)), mbatch_state(j, false),
				        mbatch_exit(j, ex, sizeof(ex)), j->message ? ": " : "",
				        j->message ? j->message : "");
			}
			if (s > status)
				status = s;
		}
		protobuf_c_message_free_unpacked(m, NULL);
		return status;
	}
}

int
mbatch_submit_main(const char *address, int argc, char **argv)
{
	const char *cmd = "submit";
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return MBATCH_EXIT_OK;
	}
	char err[2048];
	char **words;
	int nwords = 0, nopts = 0, script = 0;
	bool json = false;
	if (split_args(argc - 1, argv + 1, &words, &nwords, &nopts, &script, &json, err, sizeof(err)) != 0) {
		free(words);
		return mbatch_fail(cmd, MBATCH_EXIT_USAGE, "%s", err);
	}
	const char *script_path = script < nwords ? words[script] : NULL;
	char *data = NULL;
	size_t len = 0;
	bool have_script = script_path != NULL || (!has_wrap(words, nopts) && !isatty(0));
	if (have_script) {
		int e = read_script(script_path, &data, &len);
		if (e) {
			free(words);
			return mbatch_fail(cmd, MBATCH_EXIT_FAIL, "cannot read %s: %s",
			                   script_path ? script_path : "the script from standard input",
			                   strerror(e));
		}
	}
	const char *name = script_path ? script_path : "(stdin)";
	if (len > MBATCH_MAX_RUN_SCRIPT && len <= DIRECTIVES_MAX_SCRIPT) {
		free(data);
		free(words);
		return mbatch_fail(cmd, MBATCH_EXIT_FAIL,
		                   "%s: the script is %zu bytes; mbatchd runs scripts of at most %u", name,
		                   len, MBATCH_MAX_RUN_SCRIPT);
	}
	batch_job_spec spec;
	int rv = directives_parse(&spec, have_script ? name : NULL, data, len, nopts, words,
	                          (int64_t)time(NULL), err, sizeof(err));
	if (rv != 0) {
		free(data);
		free(words);
		return mbatch_fail(cmd, MBATCH_EXIT_FAIL, "%s", err);
	}
	for (size_t i = 0; i < spec.nwarnings; i++)
		fprintf(stderr, "mbatch submit: warning: %s\n", spec.warnings[i]);
	bool parsable = spec.parsable, wait = spec.wait;
	directives_spec_fini(&spec);

	mbatch_client *c;
	if ((rv = mbatch_connect(&c, address, cmd)) != 0) {
		free(data);
		free(words);
		return rv;
	}
	char cwd[PATH_MAX], host[256] = "";
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	gethostname(host, sizeof(host) - 1);
	struct passwd *pw = getpwuid(getuid());
	size_t nenv = 0;
	while (environ && environ[nenv])
		nenv++;
	Mbatch__Submit req = MBATCH__SUBMIT__INIT;
	req.request_id = mbatch_client_next_id(c);
	if (have_script) {
		req.has_script = 1;
		req.script.data = (uint8_t *)data;
		req.script.len = len;
		req.script_name = (char *)name;
	}
	req.n_options = (size_t)nopts;
	req.options = words;
	req.n_script_args = script_path ? (size_t)(nwords - script - 1) : 0;
	req.script_args = script_path ? words + script + 1 : NULL;
	req.n_env = nenv;
	req.env = environ;
	req.cwd = cwd;
	req.user = pw ? pw->pw_name : "nobody";
	req.submit_host = host;
	ProtobufCMessage *m;
	rv = mbatch_client_call(c, MBATCH__BATCH_MESSAGE_TYPE__MBATCH_MSG_SUBMIT, &req.base, req.request_id,
	                        &mbatch__submit_reply__descriptor, MBATCH_CALL_TIMEOUT, &m, err, sizeof(err));
	free(data);
	free(words);
	if (rv != 0) {
		mbatch_client_close(c);
		return mbatch_fail(cmd, MBATCH_EXIT_FAIL, "%s", err);
	}
	Mbatch__SubmitReply *rep = (Mbatch__SubmitReply *)m;
	int status = MBATCH_EXIT_OK;
	if (rep->error) {
		status = mbatch_fail(cmd, MBATCH_EXIT_FAIL, "%s", rep->error);
	} else if (json) {
		json_writer w;
		json_init(&w);
		json_object_begin(&w);
		json_kv_int(&w, "job_id", rep->job_id);
		json_kv_int(&w, "count", rep->count);
		json_key(&w, "warnings");
		json_array_begin(&w);
		for (size_t i = 0; i < rep->n_warnings; i++)
			json_string(&w, rep->warnings[i]);
		json_array_end(&w);
		json_object_end(&w);
		char *s = json_take(&w);
		puts(s);
		free(s);
	} else if (parsable) {
		printf("%u\n", rep->job_id);
	} else {
		printf("Submitted batch job %u\n", rep->job_id);
	}
	fflush(stdout);
	uint32_t job_id = rep->job_id;
	bool ok = !rep->error;
	protobuf_c_message_free_unpacked(m, NULL);
	if (ok && wait)
		status = wait_for(c, job_id);
	mbatch_client_close(c);
	return status;
}
