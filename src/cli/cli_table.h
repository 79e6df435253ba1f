/* cli_table.h - aligned text tables for people, and the number formats
 * the tables use. Pure. */
#ifndef MOSAIC_CLI_TABLE_H
#define MOSAIC_CLI_TABLE_H

#include <stddef.h>

typedef struct cli_table cli_table;

/* cli_table_new: ncols columns named by headers; align has one character
 * per column, 'l' (left) or 'r' (right, for numbers). The caller owns the
 * table (cli_table_free). */
cli_table *cli_table_new(size_t ncols, const char *const *headers, const char *align);
void cli_table_free(cli_table *t);
/* cli_table_row copies ncols cells; NULL or "" cells show as "-". */
void cli_table_row(cli_table *t, const char *const *cells);
size_t cli_table_rows(const cli_table *t);
/* cli_table_render: the header and rows, columns two spaces apart, no
 * trailing spaces, one '\n' per line. The caller frees the string. */
char *cli_table_render(const cli_table *t);

/* Numbers as people read them. Each writes into buf and returns it. */
char *cli_fmt_num(double v, char *buf, size_t len);            /* 4, 1.5, 0.25 */
char *cli_fmt_mem(double mib, char *buf, size_t len);          /* 512M, 1.5G, 2T */
char *cli_fmt_pct(double fraction, char *buf, size_t len);     /* 0.375 -> 37.5% */
char *cli_fmt_duration(double seconds, char *buf, size_t len); /* 42s, 3m12s, 5h03m, 2d04h */
/* used/total of a scalar: "1.5/4", or for MiB "512M/2G". */
char *cli_fmt_used(double used, double total, int is_mem, char *buf, size_t len);

#endif
