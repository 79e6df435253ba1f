/* Table rendering (alignment, empty cells, no trailing spaces, UTF-8
 * widths) and the number formats. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli_table.h"

int
main(void)
{
	static const char *h[] = {"ID", "CPUS", "STATE"};
	cli_table *t = cli_table_new(3, h, "lrl");
	const char *r1[] = {"agent-1", "1.5/4", "active"};
	const char *r2[] = {"a2", "12/16", NULL};
	const char *r3[] = {"\xc3\xa9t\xc3\xa9", "0/2", ""};
	cli_table_row(t, r1);
	cli_table_row(t, r2);
	cli_table_row(t, r3);
	CHECK(cli_table_rows(t) == 3);
	char *s = cli_table_render(t);
	const char *want = "ID        CPUS  STATE\n"
	                   "agent-1  1.5/4  active\n"
	                   "a2       12/16  -\n"
	                   "\xc3\xa9t\xc3\xa9        0/2  -\n";
	if (strcmp(s, want) != 0)
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", s, want);
	CHECK(strcmp(s, want) == 0);
	free(s);
	cli_table_free(t);

	/* A right-aligned last column, and an empty table has its header. */
	static const char *h2[] = {"NAME", "N"};
	t = cli_table_new(2, h2, "lr");
	s = cli_table_render(t);
	CHECK(strcmp(s, "NAME  N\n") == 0);
	free(s);
	const char *r4[] = {"x", "100"};
	cli_table_row(t, r4);
	s = cli_table_render(t);
	CHECK(strcmp(s, "NAME    N\nx     100\n") == 0);
	free(s);
	cli_table_free(t);

	char b[64];
	CHECK(strcmp(cli_fmt_num(4, b, sizeof(b)), "4") == 0);
	CHECK(strcmp(cli_fmt_num(1.5, b, sizeof(b)), "1.5") == 0);
	CHECK(strcmp(cli_fmt_num(0.25, b, sizeof(b)), "0.25") == 0);
	CHECK(strcmp(cli_fmt_num(0.333333, b, sizeof(b)), "0.33") == 0);
	CHECK(strcmp(cli_fmt_num(-0.001, b, sizeof(b)), "0") == 0);
	CHECK(strcmp(cli_fmt_mem(512, b, sizeof(b)), "512M") == 0);
	CHECK(strcmp(cli_fmt_mem(1536, b, sizeof(b)), "1.5G") == 0);
	CHECK(strcmp(cli_fmt_mem(19660, b, sizeof(b)), "19.2G") == 0);
	CHECK(strcmp(cli_fmt_mem(2 * 1048576.0, b, sizeof(b)), "2T") == 0);
	CHECK(strcmp(cli_fmt_mem(0, b, sizeof(b)), "0") == 0);
	CHECK(strcmp(cli_fmt_pct(0.375, b, sizeof(b)), "37.5%") == 0);
	CHECK(strcmp(cli_fmt_duration(42, b, sizeof(b)), "42s") == 0);
	CHECK(strcmp(cli_fmt_duration(192, b, sizeof(b)), "3m12s") == 0);
	CHECK(strcmp(cli_fmt_duration(5 * 3600 + 180, b, sizeof(b)), "5h03m") == 0);
	CHECK(strcmp(cli_fmt_duration(2 * 86400 + 4 * 3600, b, sizeof(b)), "2d04h") == 0);
	CHECK(strcmp(cli_fmt_used(1.5, 4, 0, b, sizeof(b)), "1.5/4") == 0);
	CHECK(strcmp(cli_fmt_used(512, 2048, 1, b, sizeof(b)), "512M/2G") == 0);
	return check_done();
}
