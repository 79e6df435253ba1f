/* `mosaic run` arguments: defaults, every option, the argv-or-shell
 * choice, and the errors. */
#include <string.h>

#include "check.h"
#include "cli_runopts.h"
#include "errors.h"

#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])) - 1)

int
main(void)
{
	cli_runopts o;
	char err[256];

	char *v1[] = {"run", "--", "hostname", NULL};
	CHECK_OK(cli_runopts_parse(&o, ARGC(v1), v1, err, sizeof(err)));
	CHECK(o.cpus == 1 && o.mem == 128 && o.disk == 0 && o.timeout == 60);
	CHECK(strcmp(o.role, "*") == 0 && strcmp(o.name, "mosaic-run") == 0 && !o.master);
	CHECK(!o.shell && o.nargv == 1 && strcmp(o.argv[0], "hostname") == 0 && o.argv[1] == NULL);
	cli_runopts_fini(&o);

	char *v2[] = {"run",       "--cpus", "2.5",    "--mem=512", "--disk",   "0",
	              "--role",    "batch",  "--name", "job",       "--master", "tcp://127.0.0.1:5150",
	              "--timeout", "2m",     "--env",  "A=1",       "-e",       "B=x=y",
	              "--json",    "-v",     "--",     "ls",        "-l",       "/tmp dir",
	              NULL};
	CHECK_OK(cli_runopts_parse(&o, ARGC(v2), v2, err, sizeof(err)));
	CHECK(o.cpus == 2.5 && o.mem == 512 && o.disk == 0 && o.timeout == 120);
	CHECK(strcmp(o.role, "batch") == 0 && strcmp(o.name, "job") == 0);
	CHECK(strcmp(o.master, "tcp://127.0.0.1:5150") == 0);
	CHECK(o.nenv == 2 && strcmp(o.env[1], "B=x=y") == 0 && o.env[2] == NULL);
	CHECK(o.json && o.verbose);
	/* Several arguments: argv, even when one has spaces. */
	CHECK(!o.shell && o.nargv == 3 && strcmp(o.argv[2], "/tmp dir") == 0);
	cli_runopts_fini(&o);

	/* One argument with shell syntax: sh -c. Without "--" too. */
	char *v3[] = {"run", "echo $HOME | wc -c", NULL};
	CHECK_OK(cli_runopts_parse(&o, ARGC(v3), v3, err, sizeof(err)));
	CHECK(o.shell && strcmp(o.shell_cmd, "echo $HOME | wc -c") == 0);
	cli_runopts_fini(&o);
	CHECK(cli_runopts_needs_shell("a b"));
	CHECK(cli_runopts_needs_shell("x>y"));
	CHECK(cli_runopts_needs_shell("*.c"));
	CHECK(!cli_runopts_needs_shell("/usr/bin/env"));
	CHECK(!cli_runopts_needs_shell("a-b_c.d=e"));

	/* Options after the command belong to the command. */
	char *v4[] = {"run", "ls", "--cpus", "3", NULL};
	CHECK_OK(cli_runopts_parse(&o, ARGC(v4), v4, err, sizeof(err)));
	CHECK(o.cpus == 1 && o.nargv == 3 && strcmp(o.argv[1], "--cpus") == 0);
	cli_runopts_fini(&o);

	char *v5[] = {"run", "--help", NULL};
	CHECK_OK(cli_runopts_parse(&o, ARGC(v5), v5, err, sizeof(err)));
	CHECK(o.help);
	cli_runopts_fini(&o);

	struct {
		char *argv[6];
		const char *msg;
	} bad[] = {
	    {{"run", NULL}, "no command"},
	    {{"run", "--", NULL}, "no command"},
	    {{"run", "--cpus", "0", "ls", NULL}, "--cpus"},
	    {{"run", "--mem", "-5", "ls", NULL}, "--mem"},
	    {{"run", "--disk", "abc", "ls", NULL}, "--disk"},
	    {{"run", "--timeout", "soon", "ls", NULL}, "--timeout"},
	    {{"run", "--env", "NOVALUE", "ls", NULL}, "--env"},
	    {{"run", "--env", "1X=2", "ls", NULL}, "--env"},
	    {{"run", "--role", "a/b", "ls", NULL}, "--role"},
	    {{"run", "--frob", "ls", NULL}, "'--frob'"},
	    {{"run", "--cpus", NULL}, "needs a value"},
	    {{"run", "", NULL}, "empty"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int argc = 0;
		while (bad[i].argv[argc])
			argc++;
		err[0] = '\0';
		int rv = cli_runopts_parse(&o, argc, bad[i].argv, err, sizeof(err));
		CHECK(rv == MOSAIC_EINVAL);
		if (!strstr(err, bad[i].msg))
			fprintf(stderr, "case %zu: '%s' lacks '%s'\n", i, err, bad[i].msg);
		CHECK(strstr(err, bad[i].msg) != NULL);
		cli_runopts_fini(&o);
	}
	return check_done();
}
