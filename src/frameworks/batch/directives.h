/* directives.h - a batch job's options, from the #MBATCH / #SBATCH
 * directives of its script and from the command line (which overrides
 * them), into a batch_job_spec.
 *
 * Directives are read as sbatch reads them: the script must start with
 * "#!"; lines beginning "#SBATCH" or "#MBATCH" carry options, other
 * comments and blank lines are skipped, and reading stops at the first
 * other line: directives after it are ignored (the first one ignored gives
 * a warning). Precedence, lowest first: #SBATCH lines, #MBATCH lines (a
 * script written for both systems gets Mosaic's settings here), the
 * command line; within one of them the last setting wins. A
 * directive line holds one or more options, '-J name', '--job-name=name' or
 * '--job-name name'; single or double quotes group words; a word starting
 * with '#' begins a comment. Long options may be shortened to any unique
 * prefix (getopt_long, as sbatch). The options honoured, those accepted
 * with a warning and those refused are listed in README.md. An error names
 * the file, line and option ("job.sh:4: unsupported option '--foo' in
 * #SBATCH directive"); errors from the command line say "command line".
 *
 * Pure: no I/O (the caller reads the script and passes its text), no clock
 * (`now` is passed in for --begin), no globals. A batch_job_spec owns every
 * pointer in it (directives_spec_fini frees them). */
#ifndef MOSAIC_BATCH_DIRECTIVES_H
#define MOSAIC_BATCH_DIRECTIVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arrayspec.h"
#include "depspec.h"

#define DIRECTIVES_MAX_SCRIPT (4u << 20) /* bytes of script */
#define DIRECTIVES_MAX_LINE 4096u        /* bytes of one directive line */

typedef enum batch_export_mode {
	BATCH_EXPORT_ALL = 0, /* the submitter's environment (the default) */
	BATCH_EXPORT_NONE,    /* only SLURM_* and MBATCH_* variables */
	BATCH_EXPORT_LIST,    /* only those, plus the named variables */
} batch_export_mode;

typedef enum batch_cpu_bind {
	BATCH_CPU_BIND_DEFAULT = 0,
	BATCH_CPU_BIND_NONE,
	BATCH_CPU_BIND_CORES,
	BATCH_CPU_BIND_SOCKETS,
} batch_cpu_bind;

typedef enum batch_mem_bind {
	BATCH_MEM_BIND_DEFAULT = 0,
	BATCH_MEM_BIND_NONE,
	BATCH_MEM_BIND_LOCAL,
} batch_mem_bind;

typedef struct batch_job_spec {
	char *job_name;          /* -J; else the script's base name; "wrap" for --wrap */
	uint32_t cpus_per_task;  /* -c; 1 by default */
	uint32_t ntasks;         /* -n (or --ntasks-per-node); 1 by default */
	uint32_t gpus;           /* --gres=gpu:N or --gpus=N */
	uint64_t mem_mb;         /* --mem in MiB; 0 when not given */
	uint64_t mem_per_cpu_mb; /* --mem-per-cpu in MiB; 0 when not given */
	int64_t time_limit;      /* -t in seconds, or SLURM_TIME_UNLIMITED */
	bool time_given;         /* false: the daemon's default limit applies */
	char *output;            /* -o pattern; outpattern_default() when not given */
	char *error;             /* -e pattern; NULL: stderr goes to the output file */
	bool has_array;
	arrayspec array;    /* -a, when has_array */
	depspec dependency; /* -d; no terms when not given */
	batch_export_mode export_mode;
	char **export_vars; /* "NAME" (pass the submitter's value) or "NAME=value" */
	size_t nexport;
	char *chdir; /* -D; NULL: the directory of submission */
	bool priority_given;
	uint32_t priority;         /* --priority, when priority_given */
	int requeue;               /* -1 not given, 0 --no-requeue, 1 --requeue */
	int64_t begin;             /* --begin, seconds since the epoch; 0 when not given */
	bool hold;                 /* -H: submitted held */
	bool exclusive;            /* the whole agent */
	uint32_t cores_per_socket; /* 0: no wish */
	uint32_t sockets_per_node; /* 0: no wish */
	batch_cpu_bind cpu_bind;
	batch_mem_bind mem_bind;
	char *wrap;      /* --wrap command (command line only); NULL otherwise */
	bool parsable;   /* --parsable: print only "id" */
	bool wait;       /* -W/--wait (command line only) */
	char **warnings; /* "job.sh:5: ..." texts for the user */
	size_t nwarnings;
} batch_job_spec;

/* directives_spec_init sets the defaults; directives_spec_fini frees what
 * the spec owns (and leaves it initialised again). */
void directives_spec_init(batch_job_spec *s);
void directives_spec_fini(batch_job_spec *s);

/* directives_args_end finds where the options of an mbatch submit command
 * line end: argv[0..*nopts) are options and their values, argv[*script]
 * the script (or argc if there is none; "--" ends options and is skipped).
 * Returns MOSAIC_EINVAL for an unsupported option or a missing value, with
 * a message in err. Does not modify argv. */
int directives_args_end(int argc, char *const argv[], int *nopts, int *script, char *err, size_t errlen);

/* directives_parse fills *out from a script's directives, then from the
 * command-line options argv[0..argc) (only options: see
 * directives_args_end), which override them. script (len bytes, not
 * necessarily NUL-terminated) may be NULL with --wrap; script_name names it
 * in messages and gives the default job name. now (seconds since the
 * epoch) resolves --begin. Returns 0 and the caller owns *out
 * (directives_spec_fini); otherwise MOSAIC_EINVAL (MOSAIC_ETOOBIG for a
 * script over DIRECTIVES_MAX_SCRIPT, MOSAIC_ENOTSUP for --mem=0 or more
 * than one node), *out is left initialised with nothing to free, and err
 * receives the message. */
int directives_parse(batch_job_spec *out, const char *script_name, const char *script, size_t len, int argc,
                     char *const argv[], int64_t now, char *err, size_t errlen);

/* directives_wrap_script returns the script sbatch builds for --wrap:
 * "#!/bin/sh\n# This script was created by mbatch --wrap.\n\n<cmd>\n".
 * The caller frees it. */
char *directives_wrap_script(const char *cmd);

/* The job's cpus: ntasks x cpus-per-task, and at least sockets x
 * cores-per-socket when both are given (Slurm's "the total amount of
 * resources being requested is the product"). */
uint32_t directives_spec_cpus(const batch_job_spec *s);
/* The job's memory in MiB: --mem, else --mem-per-cpu x cpus, else
 * default_per_cpu_mb x cpus. */
uint64_t directives_spec_mem_mb(const batch_job_spec *s, uint64_t default_per_cpu_mb);

/* directives_export_env builds the job's environment from the submitter's
 * (envp, NULL-terminated) as --export says: ALL passes envp, and a
 * "NAME=value" given with ALL only supplies a value the submitter lacks
 * (Slurm: the caller's environment takes precedence); NONE passes only
 * SLURM_* and MBATCH_* variables; a list passes those, the listed names
 * with the submitter's values, and the "NAME=value" pairs. Returns a
 * NULL-terminated heap array of heap strings (the caller frees each and the
 * array) and its length in *count when count is non-NULL. */
char **directives_export_env(const batch_job_spec *s, char *const envp[], size_t *count);

#endif
