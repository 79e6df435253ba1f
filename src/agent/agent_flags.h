/* agent_flags.h - mosaic-agent's command line, kept apart from main.c so it
 * is unit-tested. Every function is pure apart from agent_flags_parse's
 * look-ups (gethostname, /proc/self/exe, the work directory). */
#ifndef MOSAIC_AGENT_FLAGS_H
#define MOSAIC_AGENT_FLAGS_H

#include <stddef.h>
#include <stdio.h>

#include "agent.h"

/* agent_flags_parse fills cfg (defaults first, see agent_config_init) from
 * argv and MOSAIC_MASTER. Returns 0; AGENT_FLAGS_HELP when --help was
 * asked (usage printed to stdout); MOSAIC_EINVAL with a message naming the
 * bad flag in err. The work directory is created and made absolute. */
#define AGENT_FLAGS_HELP (-1)
int agent_flags_parse(agent_config *cfg, int argc, char **argv, char *err, size_t errlen);
void agent_flags_usage(FILE *out);

/* "rack:r1;zone:a" -> attrs. Names are 1-63 of [A-Za-z0-9._-], values
 * 1-127 printable characters without ';'; a name given twice is an error.
 * MOSAIC_EINVAL with the bad part in err. */
int agent_flags_attributes(const char *text, agent_attr *attrs, size_t max, size_t *n, char *err,
                           size_t errlen);
/* res_parse, and which names the text gave (AGENT_RES_* in *given). */
int agent_flags_resources(const char *text, mosaic_resources *out, unsigned *given, char *err, size_t errlen);
/* A hostname we accept: 1-253 of [A-Za-z0-9._-] (it names a cgroup). */
int agent_flags_hostname_valid(const char *name);

#endif
