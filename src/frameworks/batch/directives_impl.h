/* directives_impl.h - shared by directives.c (reading scripts and argument
 * lists, defaults, checks across options) and directives_opts.c (the
 * option table and each option's value). Nothing else includes it; the
 * interface is directives.h. */
#ifndef MOSAIC_BATCH_DIRECTIVES_IMPL_H
#define MOSAIC_BATCH_DIRECTIVES_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "directives.h"

typedef enum opt_id {
	OPT_JOB_NAME,
	OPT_CPUS_PER_TASK,
	OPT_NTASKS,
	OPT_NTASKS_PER_NODE,
	OPT_MEM,
	OPT_MEM_PER_CPU,
	OPT_TIME,
	OPT_OUTPUT,
	OPT_ERROR,
	OPT_ARRAY,
	OPT_DEPENDENCY,
	OPT_EXPORT,
	OPT_CHDIR,
	OPT_PRIORITY,
	OPT_REQUEUE,
	OPT_NO_REQUEUE,
	OPT_BEGIN,
	OPT_HOLD,
	OPT_EXCLUSIVE,
	OPT_CORES_PER_SOCKET,
	OPT_SOCKETS_PER_NODE,
	OPT_CPU_BIND,
	OPT_MEM_BIND,
	OPT_WRAP,
	OPT_PARSABLE,
	OPT_WAIT,
	OPT_NODES,
	OPT_GRES,
	OPT_GPUS,
	OPT_IGNORED, /* Slurm options meaningless here: accepted with a warning */
	OPT_COUNT
} opt_id;

typedef enum opt_arg {
	ARG_NONE,
	ARG_REQUIRED,
	ARG_OPTIONAL, /* only as --opt=value (getopt's optional_argument) */
} opt_arg;

typedef struct opt_def {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0: none */
	opt_arg arg;
	opt_id id;
	bool cli_only; /* refused in a directive (--wrap, --wait) */
} opt_def;

/* Where options come from, in increasing precedence: a later source
 * overrides an earlier one; within one source the last setting wins. */
typedef enum opt_source {
	SRC_NONE = 0,
	SRC_SBATCH, /* #SBATCH lines */
	SRC_MBATCH, /* #MBATCH lines: Mosaic's own beat Slurm's in one script */
	SRC_CLI,
} opt_source;

/* Where an option was read: a line of a script, or the command line. */
typedef struct opt_where {
	opt_source source;
	const char *file;   /* the script's name, for a script line */
	unsigned line;      /* 0: the script as a whole */
	const char *prefix; /* "#SBATCH" or "#MBATCH", for a script line */
} opt_where;

typedef struct directives_state {
	batch_job_spec *spec;
	int64_t now;
	opt_where where[OPT_COUNT]; /* where each option was last given */
	uint32_t ntasks_per_node;   /* 0: not given */
	char *err;
	size_t errlen;
} directives_state;

/* The option named by the first len bytes of name: an exact match, else
 * the only option it is a prefix of (*ambiguous set when several are). */
const opt_def *directives_opt_long(const char *name, size_t len, bool *ambiguous);
const opt_def *directives_opt_short(char c);
/* directives_opt_apply sets the option's field of ds->spec from value
 * (NULL for options without one). Returns 0, or an error code with the
 * message written to ds->err. */
int directives_opt_apply(directives_state *ds, const opt_def *def, const char *value, const opt_where *w);

/* directives_fail writes "file:line: <message>" (or "command line:
 * <message>") into ds->err and returns code. */
int directives_fail(directives_state *ds, const opt_where *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* directives_warn appends "file:line: <message>" to the spec's warnings. */
void directives_warn(directives_state *ds, const opt_where *w, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
