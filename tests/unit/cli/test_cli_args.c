/* The option parser: long and short forms, inline values, flags, "--",
 * positionals, and errors that name the option. */
#include <string.h>

#include "check.h"
#include "cli_args.h"

enum { A_MASTER, A_JSON, A_N };

static const cli_opt opts[] = {
    {"master", 0, true, A_MASTER},
    {"json", 0, false, A_JSON},
    {"agents", 'n', true, A_N},
    {NULL, 0, false, 0},
};

int
main(void)
{
	const char *val;
	cli_args a;
	char *v1[] = {"agents", "--master", "tcp://x:1", "--json", "-n", "3", "--agents=4", "pos", NULL};
	cli_args_init(&a, 8, v1);
	CHECK(cli_args_next(&a, opts, &val) == A_MASTER && strcmp(val, "tcp://x:1") == 0);
	CHECK(cli_args_next(&a, opts, &val) == A_JSON && val == NULL);
	CHECK(cli_args_next(&a, opts, &val) == A_N && strcmp(val, "3") == 0);
	CHECK(cli_args_next(&a, opts, &val) == A_N && strcmp(val, "4") == 0);
	CHECK(cli_args_next(&a, opts, &val) == CLI_ARGS_END);
	CHECK(a.i == 7 && strcmp(a.argv[a.i], "pos") == 0 && !a.dashdash);

	char *v2[] = {"run", "--json", "--", "--master", NULL};
	cli_args_init(&a, 4, v2);
	CHECK(cli_args_next(&a, opts, &val) == A_JSON);
	CHECK(cli_args_next(&a, opts, &val) == CLI_ARGS_END);
	CHECK(a.dashdash && a.i == 3);

	char *v3[] = {"x", "--bogus=1", NULL};
	cli_args_init(&a, 2, v3);
	CHECK(cli_args_next(&a, opts, &val) == CLI_ARGS_ERROR);
	CHECK(strcmp(a.err, "unknown option '--bogus'") == 0);

	char *v4[] = {"x", "--master", NULL};
	cli_args_init(&a, 2, v4);
	CHECK(cli_args_next(&a, opts, &val) == CLI_ARGS_ERROR);
	CHECK(strstr(a.err, "'--master' needs a value") != NULL);

	char *v5[] = {"x", "--json=yes", NULL};
	cli_args_init(&a, 2, v5);
	CHECK(cli_args_next(&a, opts, &val) == CLI_ARGS_ERROR);
	CHECK(strstr(a.err, "takes no value") != NULL);

	char *v6[] = {"x", "-z", NULL};
	cli_args_init(&a, 2, v6);
	CHECK(cli_args_next(&a, opts, &val) == CLI_ARGS_ERROR);
	CHECK(strcmp(a.err, "unknown option '-z'") == 0);

	/* A lone "-" is a positional (stdin, by convention). */
	char *v7[] = {"x", "-", NULL};
	cli_args_init(&a, 2, v7);
	CHECK(cli_args_next(&a, opts, &val) == CLI_ARGS_END && a.i == 1);
	CHECK(cli_args_no_positionals(&a, "x") == 2);
	return check_done();
}
