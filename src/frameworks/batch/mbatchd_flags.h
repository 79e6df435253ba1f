/* mbatchd_flags.h - mbatchd's command line, apart from its main so that it
 * is unit-tested. Pure but for $HOME (the default state directory). */
#ifndef MOSAIC_BATCH_MBATCHD_FLAGS_H
#define MOSAIC_BATCH_MBATCHD_FLAGS_H

#include <stddef.h>
#include <stdio.h>

#include "mbatchd.h"

#define MBATCHD_FLAGS_HELP (-1)

/* mbatchd_flags_parse fills cfg (defaults first) from argv. Returns 0,
 * MBATCHD_FLAGS_HELP for --help, or MOSAIC_EINVAL with the bad flag named
 * in err. */
int mbatchd_flags_parse(mbatchd_config *cfg, int argc, char **argv, char *err, size_t errlen);
void mbatchd_flags_usage(FILE *out);

#endif
