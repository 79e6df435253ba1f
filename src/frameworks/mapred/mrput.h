/* mrput.h - `mapred put` and the other block-store commands (`ls`, `cat`,
 * `rm`), each an entry point taking the command's own arguments. */
#ifndef MOSAIC_MAPRED_MRPUT_H
#define MOSAIC_MAPRED_MRPUT_H

#include "mrclient.h"

/* Each returns an exit status (MRCLIENT_EXIT_*). argv[0] is the command. */
int mrput_main(mrclient *c, int argc, char **argv);
int mrfiles_ls(mrclient *c, int argc, char **argv);
int mrfiles_cat(mrclient *c, int argc, char **argv);
int mrfiles_rm(mrclient *c, int argc, char **argv);

#endif
