/* test_directives.c - #SBATCH/#MBATCH directives and command-line options
 * into a batch_job_spec: a full Slurm script, short and long forms, the
 * command line overriding the script, every option's values (good and
 * bad), errors naming file, line and option, warnings for Slurm-only
 * options, script rules (shebang, first command, DOS line breaks, size
 * limits, quotes, comments), --wrap, where the options end, the exported
 * environment. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "directives.h"
#include "errors.h"
#include "slurm_time.h"

#define NOW INT64_C(1710084600) /* 2024-03-10 15:30:00 UTC */

static char err[512];

/* parse a script (NULL for none) and command-line options. */
static int
parse(batch_job_spec *s, const char *script, int argc, char *const argv[])
{
	err[0] = '\0';
	return directives_parse(s, "job.sh", script, script ? strlen(script) : 0, argc, argv, NOW, err,
	                        sizeof(err));
}

/* The script "#!/bin/sh\n<line>\n" must fail with exactly `want`. */
static void
expect_error(const char *script, int code, const char *want)
{
	batch_job_spec s;
	int rv = parse(&s, script, 0, NULL);
	CHECK(rv == code);
	CHECK(strcmp(err, want) == 0);
	if (rv != code || strcmp(err, want) != 0)
		fprintf(stderr, "  got rv %d '%s'\n  wanted rv %d '%s'\n", rv, err, code, want);
	CHECK(s.job_name == NULL && s.warnings == NULL); /* nothing left to free */
}

/* Like expect_error, for a message that starts with `prefix`. */
static void
expect_error_prefix(const char *script, int code, const char *prefix)
{
	batch_job_spec s;
	int rv = parse(&s, script, 0, NULL);
	CHECK(rv == code);
	CHECK(strncmp(err, prefix, strlen(prefix)) == 0);
	if (rv != code || strncmp(err, prefix, strlen(prefix)) != 0)
		fprintf(stderr, "  got rv %d '%s'\n  wanted rv %d '%s...'\n", rv, err, code, prefix);
}

static void
test_full_script(void)
{
	const char *script = "#!/bin/bash\n"
	                     "#SBATCH --job-name=train\n"
	                     "#SBATCH -c 4\n"
	                     "#SBATCH --ntasks=2\n"
	                     "#SBATCH --mem=8G\n"
	                     "#SBATCH -t 1-02:00:00\n"
	                     "#SBATCH -o out-%j.log\n"
	                     "#SBATCH --error=err-%j.log\n"
	                     "# an ordinary comment\n"
	                     "#SBATCH --array=0-15%4\n"
	                     "\n"
	                     "#MBATCH --dependency=afterok:12:13\n"
	                     "#SBATCH --export=ALL,FOO=bar\n"
	                     "#SBATCH -D /scratch/run\n"
	                     "#SBATCH --priority=10\n"
	                     "#SBATCH --requeue\n"
	                     "#SBATCH --begin=now+1hour\n"
	                     "#SBATCH -H\n"
	                     "#SBATCH --exclusive\n"
	                     "#SBATCH --cores-per-socket=4 --sockets-per-node=2\n"
	                     "#SBATCH --cpu-bind=cores\n"
	                     "#SBATCH --mem-bind=local\n"
	                     "#SBATCH --gres=gpu:2\n"
	                     "#SBATCH -N 1\n"
	                     "#SBATCH --parsable\n"
	                     "   \n"
	                     "module load python\n"
	                     "#SBATCH --job-name=ignored\n"
	                     "#SBATCH --bogus-after-command\n"
	                     "srun python train.py\n";
	batch_job_spec s;
	CHECK_OK(parse(&s, script, 0, NULL));
	if (err[0])
		fprintf(stderr, "  %s\n", err);
	CHECK(s.job_name && strcmp(s.job_name, "train") == 0);
	CHECK(s.cpus_per_task == 4 && s.ntasks == 2);
	CHECK(s.mem_mb == 8192 && s.mem_per_cpu_mb == 0);
	CHECK(s.time_given && s.time_limit == 86400 + 2 * 3600);
	CHECK(s.output && strcmp(s.output, "out-%j.log") == 0);
	CHECK(s.error && strcmp(s.error, "err-%j.log") == 0);
	CHECK(s.has_array && s.array.count == 16 && s.array.throttle == 4);
	CHECK(s.dependency.count == 2 && s.dependency.terms[1].job_id == 13 &&
	      s.dependency.terms[0].type == DEPSPEC_AFTEROK);
	CHECK(s.export_mode == BATCH_EXPORT_ALL && s.nexport == 1 &&
	      strcmp(s.export_vars[0], "FOO=bar") == 0);
	CHECK(s.chdir && strcmp(s.chdir, "/scratch/run") == 0);
	CHECK(s.priority_given && s.priority == 10);
	CHECK(s.requeue == 1);
	CHECK(s.begin == NOW + 3600);
	CHECK(s.hold && s.exclusive && s.parsable && !s.wait);
	CHECK(s.cores_per_socket == 4 && s.sockets_per_node == 2);
	CHECK(s.cpu_bind == BATCH_CPU_BIND_CORES && s.mem_bind == BATCH_MEM_BIND_LOCAL);
	CHECK(s.gpus == 2);
	CHECK(s.wrap == NULL);
	/* The directives after "module load" are ignored, with one warning. */
	CHECK(s.nwarnings == 1);
	CHECK(s.nwarnings == 1 &&
	      strcmp(
	          s.warnings[0],
	          "job.sh:28: #SBATCH lines after the first command (line 27) are ignored, as sbatch does") ==
	          0);
	CHECK(directives_spec_cpus(&s) == 8);
	CHECK(directives_spec_mem_mb(&s, 1000) == 8192);
	directives_spec_fini(&s);
	CHECK(s.job_name == NULL && s.warnings == NULL && s.array.ids == NULL && s.cpus_per_task == 1);
}

static void
test_defaults(void)
{
	batch_job_spec s;
	char *argv[] = {"--wrap=true"};
	CHECK_OK(directives_parse(&s, "dir/sub/run.sh", "#!/bin/sh\necho hi\n", 18, 0, NULL, NOW, err,
	                          sizeof(err)));
	CHECK(strcmp(s.job_name, "run.sh") == 0);
	CHECK(strcmp(s.output, "mbatch-%j.out") == 0 && s.error == NULL);
	CHECK(s.cpus_per_task == 1 && s.ntasks == 1 && s.gpus == 0 && s.mem_mb == 0);
	CHECK(!s.time_given && s.time_limit == SLURM_TIME_UNLIMITED);
	CHECK(s.requeue == -1 && !s.priority_given && s.begin == 0 && !s.has_array);
	CHECK(s.export_mode == BATCH_EXPORT_ALL && s.nexport == 0);
	CHECK(s.cpu_bind == BATCH_CPU_BIND_DEFAULT && s.mem_bind == BATCH_MEM_BIND_DEFAULT);
	CHECK(s.dependency.count == 0 && s.nwarnings == 0);
	CHECK(directives_spec_cpus(&s) == 1 && directives_spec_mem_mb(&s, 2000) == 2000);
	directives_spec_fini(&s);

	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH -a 1-3\n", 0, NULL));
	CHECK(strcmp(s.output, "mbatch-%A_%a.out") == 0);
	directives_spec_fini(&s);

	/* --wrap: no script, the job is named "wrap". */
	CHECK_OK(parse(&s, NULL, 1, argv));
	CHECK(strcmp(s.wrap, "true") == 0 && strcmp(s.job_name, "wrap") == 0);
	directives_spec_fini(&s);
	char *w = directives_wrap_script("echo hi");
	CHECK(strcmp(w, "#!/bin/sh\n# This script was created by mbatch --wrap.\n\necho hi\n") == 0);
	free(w);
	CHECK(parse(&s, "#!/bin/sh\n", 1, argv) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "command line: --wrap cannot be used with a script file") == 0);
	CHECK(parse(&s, NULL, 0, NULL) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "command line: no script given (and no --wrap command)") == 0);
}

static void
test_short_forms(void)
{
	const char *script = "#!/bin/sh\n"
	                     "#SBATCH -J name -c4 -n 2 -t 30 -a 1-3 -d afterany:5\n"
	                     "#SBATCH -Dwork -o x.out -e y.err -N1 -H -b now+60 -Jlast\n"
	                     "#SBATCH -G 1 -W\n";
	batch_job_spec s;
	CHECK(parse(&s, script, 0, NULL) == MOSAIC_EINVAL);
	/* -W (--wait) belongs to the command line only. */
	CHECK(strcmp(err, "job.sh:4: option '--wait' is only accepted on the command line, not in a #SBATCH "
	                  "directive") == 0);

	script = "#!/bin/sh\n"
	         "#SBATCH -J name -c4 -n 2 -t 30 -a 1-3 -d afterany:5\n"
	         "#SBATCH -Dwork -o x.out -e y.err -N1 -H -b now+60 -Jlast\n"
	         "#SBATCH -G 1\n";
	CHECK_OK(parse(&s, script, 0, NULL));
	CHECK(strcmp(s.job_name, "last") == 0 && s.cpus_per_task == 4 && s.ntasks == 2);
	CHECK(s.time_limit == 1800 && s.array.count == 3 && s.dependency.count == 1);
	CHECK(strcmp(s.chdir, "work") == 0 && strcmp(s.output, "x.out") == 0 &&
	      strcmp(s.error, "y.err") == 0);
	CHECK(s.hold && s.begin == NOW + 60 && s.gpus == 1);
	directives_spec_fini(&s);

	/* Clustered flags and a value glued to the last one, as getopt. */
	char *argv[] = {"-HWc3", "-W"};
	CHECK_OK(parse(&s, "#!/bin/sh\n", 2, argv));
	CHECK(s.hold && s.wait && s.cpus_per_task == 3);
	directives_spec_fini(&s);

	/* Unique prefixes of long options, as getopt_long. */
	char *pre[] = {"--job=pfx", "--cpus=4", "--work=/w", "--parsa", "--mem", "3G", "--no-r"};
	CHECK_OK(parse(&s, "#!/bin/sh\n", 7, pre));
	CHECK(strcmp(s.job_name, "pfx") == 0 && s.cpus_per_task == 4 && strcmp(s.chdir, "/w") == 0);
	CHECK(s.parsable && s.mem_mb == 3072 && s.requeue == 0);
	directives_spec_fini(&s);
	char *amb[] = {"--mem-=1"};
	CHECK(parse(&s, "#!/bin/sh\n", 1, amb) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "command line: ambiguous option '--mem-'") == 0);
}

static void
test_command_line_overrides(void)
{
	const char *script = "#!/bin/sh\n"
	                     "#SBATCH --time=10 -J fromscript\n"
	                     "#SBATCH --mem=1G\n"
	                     "#SBATCH --export=NONE\n"
	                     "#SBATCH --dependency=afterok:4\n";
	char *argv[] = {"--time=20", "-J", "fromcli", "--mem-per-cpu=2G", "--export=ALL", "--dependency="};
	batch_job_spec s;
	CHECK_OK(parse(&s, script, 6, argv));
	CHECK(s.time_limit == 1200 && strcmp(s.job_name, "fromcli") == 0);
	CHECK(s.mem_mb == 0 && s.mem_per_cpu_mb == 2048);
	CHECK(s.export_mode == BATCH_EXPORT_ALL);
	CHECK(s.dependency.count == 0);
	directives_spec_fini(&s);

	/* In one script, #MBATCH lines win over #SBATCH lines wherever they
	 * are, so a script for both systems gets Mosaic's settings here; the
	 * command line wins over both. */
	script = "#!/bin/sh\n"
	         "#MBATCH --time=20 --mem-per-cpu=1G\n"
	         "#SBATCH --time=10 --mem=4G -J slurmname\n"
	         "#SBATCH --partition=gpu\n";
	CHECK_OK(parse(&s, script, 0, NULL));
	CHECK(s.time_limit == 1200 && s.mem_mb == 0 && s.mem_per_cpu_mb == 1024 &&
	      strcmp(s.job_name, "slurmname") == 0);
	CHECK(s.nwarnings == 1 && strncmp(s.warnings[0], "job.sh:4: --partition", 21) == 0);
	directives_spec_fini(&s);
	char *t30[] = {"-t", "30"};
	CHECK_OK(parse(&s, script, 2, t30));
	CHECK(s.time_limit == 1800);
	directives_spec_fini(&s);
	/* Errors still name their line, whichever pass applies it. */
	expect_error("#!/bin/sh\n#MBATCH --bad\n#SBATCH -J x\n", MOSAIC_EINVAL,
	             "job.sh:2: unsupported option '--bad' in #MBATCH directive");

	/* Both memory forms in one place are an error, with its line. */
	expect_error("#!/bin/sh\n#SBATCH --mem=1G\n#SBATCH --mem-per-cpu=1G\n", MOSAIC_EINVAL,
	             "job.sh:3: --mem and --mem-per-cpu are mutually exclusive");
	char *both[] = {"--mem=1G", "--mem-per-cpu=1G"};
	CHECK(parse(&s, "#!/bin/sh\n", 2, both) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "command line: --mem and --mem-per-cpu are mutually exclusive") == 0);
	/* ... but repeating one form is fine: the last one counts. */
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --mem=1G --mem=2G\n", 0, NULL));
	CHECK(s.mem_mb == 2048);
	directives_spec_fini(&s);
}

static void
test_errors(void)
{
	expect_error("#!/bin/sh\n#SBATCH -J ok\n#SBATCH -c 2\n#SBATCH --foo\n", MOSAIC_EINVAL,
	             "job.sh:4: unsupported option '--foo' in #SBATCH directive");
	expect_error("#!/bin/sh\n#MBATCH --foo=bar\n", MOSAIC_EINVAL,
	             "job.sh:2: unsupported option '--foo' in #MBATCH directive");
	expect_error("#!/bin/sh\n\n#SBATCH -x node1\n", MOSAIC_EINVAL,
	             "job.sh:3: unsupported option '-x' in #SBATCH directive");
	expect_error("#!/bin/sh\n#SBATCH -J a\n#SBATCH --time=1:2:3:4\n", MOSAIC_EINVAL,
	             "job.sh:3: bad --time '1:2:3:4': " SLURM_TIME_SYNTAX);
	expect_error("#!/bin/sh\n#SBATCH -t 1:2:3:4\n", MOSAIC_EINVAL,
	             "job.sh:2: bad --time '1:2:3:4': " SLURM_TIME_SYNTAX);
	expect_error("#!/bin/sh\n#SBATCH --time\n", MOSAIC_EINVAL, "job.sh:2: option '--time' needs a value");
	expect_error("#!/bin/sh\n#SBATCH -t\n", MOSAIC_EINVAL,
	             "job.sh:2: option '-t' (--time) needs a value");
	expect_error("#!/bin/sh\n#SBATCH --hold=yes\n", MOSAIC_EINVAL,
	             "job.sh:2: option '--hold' takes no value");
	expect_error("#!/bin/sh\n#SBATCH train\n", MOSAIC_EINVAL,
	             "job.sh:2: unexpected 'train' in #SBATCH directive (options start with '-')");
	expect_error(
	    "#!/bin/sh\n#SBATCH --wrap=ls\n", MOSAIC_EINVAL,
	    "job.sh:2: option '--wrap' is only accepted on the command line, not in a #SBATCH directive");
	expect_error("#!/bin/sh\n#SBATCH -J\"unterminated\n", MOSAIC_EINVAL,
	             "job.sh:2: unterminated double quote in #SBATCH directive");
	/* after other words on the line (found by tests/fuzz: a crash) */
	expect_error("#!/bin/sh\n#SBATCH -J name -o 'logs/x\n", MOSAIC_EINVAL,
	             "job.sh:2: unterminated single quote in #SBATCH directive");

	batch_job_spec s;
	char *cli[] = {"-J", "x", "--foo=1"};
	CHECK(parse(&s, "#!/bin/sh\n", 3, cli) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "command line: unsupported option '--foo'") == 0);
	char *cli2[] = {"-c", "0"};
	CHECK(parse(&s, "#!/bin/sh\n", 2, cli2) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "command line: bad --cpus-per-task '0': expected a whole number from 1 to 65536") ==
	      0);
	char *cli3[] = {"-J", "x", "job.sh"};
	CHECK(parse(&s, "#!/bin/sh\n", 3, cli3) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "command line: unexpected 'job.sh' among the options") == 0);
	/* A bad command line fails even when the script is fine, and the
	 * other way round. */
	char *good[] = {"-J", "x"};
	CHECK(parse(&s, "#!/bin/sh\n#SBATCH --time=soon\n", 2, good) == MOSAIC_EINVAL);
	CHECK(strncmp(err, "job.sh:2: bad --time 'soon'", 27) == 0);
}

static void
test_values(void)
{
	static const struct {
		const char *line;
		uint64_t mem, per_cpu;
	} mem[] = {{"--mem=512", 512, 0}, {"--mem=512M", 512, 0},        {"--mem=2G", 2048, 0},
	           {"--mem=2g", 2048, 0}, {"--mem=1T", 1048576, 0},      {"--mem=1024K", 1, 0},
	           {"--mem=1500K", 2, 0}, {"--mem-per-cpu=3G", 0, 3072}, {"--mem 100", 100, 0}};
	for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++) {
		char script[128];
		snprintf(script, sizeof(script), "#!/bin/sh\n#SBATCH %s\n", mem[i].line);
		batch_job_spec s;
		CHECK_OK(parse(&s, script, 0, NULL));
		CHECK(s.mem_mb == mem[i].mem && s.mem_per_cpu_mb == mem[i].per_cpu);
		directives_spec_fini(&s);
	}
	expect_error(
	    "#!/bin/sh\n#SBATCH --mem=0\n", MOSAIC_ENOTSUP,
	    "job.sh:2: --mem=0 (all of the node's memory) is not supported: give a size, e.g. --mem=4G");
	expect_error_prefix(
	    "#!/bin/sh\n#SBATCH --mem=1.5G\n", MOSAIC_EINVAL,
	    "job.sh:2: bad --mem '1.5G': expected a whole number with an optional K, M, G or T suffix");
	expect_error_prefix("#!/bin/sh\n#SBATCH --mem=lots\n", MOSAIC_EINVAL, "job.sh:2: bad --mem 'lots'");
	expect_error_prefix("#!/bin/sh\n#SBATCH --mem=G\n", MOSAIC_EINVAL, "job.sh:2: bad --mem 'G'");
	expect_error_prefix("#!/bin/sh\n#SBATCH --mem=99999999T\n", MOSAIC_EINVAL, "job.sh:2: bad --mem");

	/* Times in every format, through a directive. */
	static const struct {
		const char *t;
		int64_t secs;
	} times[] = {{"60", 3600},
	             {"30:30", 1830},
	             {"4:30:30", 16230},
	             {"4-12", 388800},
	             {"4-12:15", 389700},
	             {"4-12:15:30", 389730},
	             {"UNLIMITED", SLURM_TIME_UNLIMITED},
	             {"infinite", SLURM_TIME_UNLIMITED}};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		char script[128];
		snprintf(script, sizeof(script), "#!/bin/sh\n#SBATCH --time=%s\n", times[i].t);
		batch_job_spec s;
		CHECK_OK(parse(&s, script, 0, NULL));
		CHECK(s.time_given && s.time_limit == times[i].secs);
		directives_spec_fini(&s);
	}

	batch_job_spec s;
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --nodes=1\n#SBATCH -N 1-1\n#SBATCH --nodes=1-4\n", 0, NULL));
	directives_spec_fini(&s);
	expect_error(
	    "#!/bin/sh\n#SBATCH --nodes=2\n", MOSAIC_ENOTSUP,
	    "job.sh:2: --nodes=2: a batch job runs on one agent here; for multi-node work use mmpirun");
	expect_error("#!/bin/sh\n#SBATCH -N 0\n", MOSAIC_EINVAL,
	             "job.sh:2: bad --nodes '0': expected a count or min-max");
	expect_error("#!/bin/sh\n#SBATCH -N 3-1\n", MOSAIC_EINVAL,
	             "job.sh:2: bad --nodes '3-1': expected a count or min-max");

	/* GPUs. */
	static const struct {
		const char *line;
		uint32_t gpus;
		size_t warnings;
	} gpus[] = {{"--gres=gpu", 1, 0},
	            {"--gres=gpu:2", 2, 0},
	            {"--gres=gpu:tesla:2", 2, 1},
	            {"--gres=gpu:a100", 1, 1},
	            {"--gres=gpu:1,gpu:v100:2", 3, 1},
	            {"--gres=none", 0, 0},
	            {"--gpus=4", 4, 0},
	            {"-G a100:2", 2, 1}};
	for (size_t i = 0; i < sizeof(gpus) / sizeof(gpus[0]); i++) {
		char script[128];
		snprintf(script, sizeof(script), "#!/bin/sh\n#SBATCH %s\n", gpus[i].line);
		CHECK_OK(parse(&s, script, 0, NULL));
		CHECK(s.gpus == gpus[i].gpus && s.nwarnings == gpus[i].warnings);
		directives_spec_fini(&s);
	}
	expect_error("#!/bin/sh\n#SBATCH --gres=craynetwork:1\n", MOSAIC_EINVAL,
	             "job.sh:2: unsupported --gres 'craynetwork:1': only gpu[:type][:count] is known here");
	expect_error("#!/bin/sh\n#SBATCH --gpus=x:y:z\n", MOSAIC_EINVAL,
	             "job.sh:2: bad --gpus 'x:y:z': expected [type:]count");

	/* --export. */
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --export=NONE\n", 0, NULL));
	CHECK(s.export_mode == BATCH_EXPORT_NONE && s.nexport == 0);
	directives_spec_fini(&s);
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --export=FOO,BAR=1\n", 0, NULL));
	CHECK(s.export_mode == BATCH_EXPORT_LIST && s.nexport == 2 && strcmp(s.export_vars[0], "FOO") == 0 &&
	      strcmp(s.export_vars[1], "BAR=1") == 0);
	directives_spec_fini(&s);
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --export=all\n", 0, NULL));
	CHECK(s.export_mode == BATCH_EXPORT_ALL && s.nexport == 0);
	directives_spec_fini(&s);
	expect_error(
	    "#!/bin/sh\n#SBATCH --export=1BAD\n", MOSAIC_EINVAL,
	    "job.sh:2: bad --export '1BAD': expected ALL, NONE or a list of NAME or NAME=value (at '1BAD')");
	expect_error("#!/bin/sh\n#SBATCH --export=ALL,NONE\n", MOSAIC_EINVAL,
	             "job.sh:2: bad --export 'ALL,NONE': ALL and NONE together");

	/* Binding. */
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --cpu-bind=verbose,sockets --mem-bind=q,none\n", 0, NULL));
	CHECK(s.cpu_bind == BATCH_CPU_BIND_SOCKETS && s.mem_bind == BATCH_MEM_BIND_NONE);
	directives_spec_fini(&s);
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --cpu-bind=none\n", 0, NULL));
	CHECK(s.cpu_bind == BATCH_CPU_BIND_NONE);
	directives_spec_fini(&s);
	expect_error("#!/bin/sh\n#SBATCH --cpu-bind=threads\n", MOSAIC_EINVAL,
	             "job.sh:2: bad --cpu-bind 'threads': Mosaic binds to cores, sockets or none (with quiet "
	             "or verbose)");
	expect_error("#!/bin/sh\n#SBATCH --mem-bind=map_mem:0\n", MOSAIC_EINVAL,
	             "job.sh:2: bad --mem-bind 'map_mem:0': Mosaic binds memory local or none (with quiet or "
	             "verbose)");

	/* Arrays, dependencies, begin, priority, exclusive. */
	expect_error("#!/bin/sh\n#SBATCH --array=0-20000\n", MOSAIC_EINVAL,
	             "job.sh:2: bad --array '0-20000': index 20000 is over the limit: indexes go from 0 to "
	             "10000 (at most 10001 "
	             "tasks)");
	expect_error_prefix("#!/bin/sh\n#SBATCH -d afterok:1,afterany:2?afterok:3\n", MOSAIC_EINVAL,
	                    "job.sh:2: bad --dependency 'afterok:1,afterany:2?afterok:3': use either ','");
	expect_error_prefix("#!/bin/sh\n#SBATCH --begin=someday\n", MOSAIC_EINVAL,
	                    "job.sh:2: bad --begin 'someday': expected");
	expect_error("#!/bin/sh\n#SBATCH --priority=high\n", MOSAIC_EINVAL,
	             "job.sh:2: bad --priority 'high': expected a whole number");
	expect_error("#!/bin/sh\n#SBATCH --exclusive=everything\n", MOSAIC_EINVAL,
	             "job.sh:2: bad --exclusive 'everything': expected no value, user, mcs or topo");
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --exclusive=user\n", 0, NULL));
	CHECK(s.exclusive && s.nwarnings == 1 &&
	      strcmp(s.warnings[0],
	             "job.sh:2: --exclusive=user is taken as --exclusive: the job gets the whole agent") ==
	          0);
	directives_spec_fini(&s);
	expect_error_prefix("#!/bin/sh\n#SBATCH -J \"\"\n", MOSAIC_EINVAL, "job.sh:2: bad --job-name ''");
	expect_error_prefix("#!/bin/sh\n#SBATCH -o \"\"\n", MOSAIC_EINVAL, "job.sh:2: bad --output ''");

	/* --ntasks-per-node on one node is --ntasks. */
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --ntasks-per-node=6 -c 2\n", 0, NULL));
	CHECK(s.ntasks == 6 && directives_spec_cpus(&s) == 12);
	directives_spec_fini(&s);
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --ntasks-per-node=6 -n 4\n", 0, NULL));
	CHECK(s.ntasks == 4);
	directives_spec_fini(&s);
	expect_error("#!/bin/sh\n#SBATCH --ntasks-per-node=4\n#SBATCH -n 8\n", MOSAIC_ENOTSUP,
	             "job.sh:3: --ntasks=8 with --ntasks-per-node=4 needs more than one node; a batch job "
	             "runs on one agent here");
	expect_error(
	    "#!/bin/sh\n#SBATCH -n 1000 -c 1000\n", MOSAIC_EINVAL,
	    "job.sh:2: --ntasks=1000 x --cpus-per-task=1000 is 1000000 cpus, more than any agent has");
	expect_error("#!/bin/sh\n#SBATCH --ntasks-per-node=300\n#SBATCH -c 300\n", MOSAIC_EINVAL,
	             "job.sh:3: --ntasks=300 x --cpus-per-task=300 is 90000 cpus, more than any agent has");

	/* Cores: the -B product. */
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --sockets-per-node=2 --cores-per-socket=8 --mem-per-cpu=100\n",
	               0, NULL));
	CHECK(directives_spec_cpus(&s) == 16 && directives_spec_mem_mb(&s, 5) == 1600);
	directives_spec_fini(&s);
}

static void
test_ignored_options(void)
{
	const char *script = "#!/bin/sh\n"
	                     "#SBATCH -p debug\n"
	                     "#SBATCH --account=proj1 --qos=normal -q high\n"
	                     "#SBATCH --mail-type=END,FAIL --mail-user=ana@example.org\n"
	                     "#SBATCH -C intel --reservation=maint\n"
	                     "#SBATCH --comment=\"a long comment\" # and a shell comment\n"
	                     "#SBATCH -A proj2\n";
	batch_job_spec s;
	CHECK_OK(parse(&s, script, 0, NULL));
	CHECK(s.nwarnings == 10);
	const char *want[] = {"job.sh:2: --partition",  "job.sh:3: --account",     "job.sh:3: --qos",
	                      "job.sh:3: --qos",        "job.sh:4: --mail-type",   "job.sh:4: --mail-user",
	                      "job.sh:5: --constraint", "job.sh:5: --reservation", "job.sh:6: --comment",
	                      "job.sh:7: --account"};
	for (size_t i = 0; i < s.nwarnings && i < 10; i++) {
		CHECK(strncmp(s.warnings[i], want[i], strlen(want[i])) == 0);
		CHECK(strstr(s.warnings[i], "is a Slurm option with no meaning on Mosaic: ignored") != NULL);
	}
	directives_spec_fini(&s);
	char *argv[] = {"--partition=gpu"};
	CHECK_OK(parse(&s, "#!/bin/sh\n", 1, argv));
	CHECK(s.nwarnings == 1 &&
	      strcmp(s.warnings[0],
	             "command line: --partition is a Slurm option with no meaning on Mosaic: ignored") == 0);
	directives_spec_fini(&s);
}

static void
test_script_rules(void)
{
	expect_error("echo hi\n", MOSAIC_EINVAL,
	             "job.sh:1: the script must start with '#!' and an interpreter, as sbatch requires (e.g. "
	             "#!/bin/bash)");
	expect_error("", MOSAIC_EINVAL,
	             "job.sh:1: the script must start with '#!' and an interpreter, as sbatch requires (e.g. "
	             "#!/bin/bash)");
	expect_error("#!/bin/sh\n#SBATCH -J a\r\n", MOSAIC_EINVAL,
	             "job.sh:2: the script has DOS line breaks (\\r\\n); convert it with dos2unix");

	batch_job_spec s;
	const char nul_script[] = "#!/bin/sh\necho \0oops\n";
	CHECK(directives_parse(&s, "job.sh", nul_script, sizeof(nul_script) - 1, 0, NULL, NOW, err,
	                       sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "job.sh:2: the script contains a NUL byte") == 0);

	/* Size limits: 4 MiB of script, 4 KiB of directive line. */
	size_t big = DIRECTIVES_MAX_SCRIPT + 1;
	char *text = malloc(big + 1);
	memset(text, '\n', big);
	memcpy(text, "#!/bin/sh\n", 10);
	text[big] = '\0';
	CHECK(directives_parse(&s, "job.sh", text, big, 0, NULL, NOW, err, sizeof(err)) == MOSAIC_ETOOBIG);
	CHECK(strcmp(err, "job.sh: the script is 4194305 bytes, over the limit of 4 MiB") == 0);
	CHECK_OK(directives_parse(&s, "job.sh", text, big - 1, 0, NULL, NOW, err, sizeof(err)));
	directives_spec_fini(&s);
	free(text);

	char line[DIRECTIVES_MAX_LINE + 64];
	strcpy(line, "#!/bin/sh\n#SBATCH --comment=");
	size_t n = strlen(line);
	memset(line + n, 'x', DIRECTIVES_MAX_LINE);
	line[n + DIRECTIVES_MAX_LINE] = '\0';
	strcat(line, "\n");
	expect_error(line, MOSAIC_ETOOBIG, "job.sh:2: #SBATCH line is 4114 bytes, over the limit of 4096");
	/* A long line of code after the directives is no directive. */
	memcpy(line, "#!/bin/sh\necho  ", 16);
	CHECK_OK(parse(&s, line, 0, NULL));
	directives_spec_fini(&s);

	/* Quotes group words; '#' starts a comment; several options a line. */
	CHECK_OK(parse(&s,
	               "#!/bin/sh\n"
	               "#SBATCH --job-name=\"my job\" --time=10 # ten minutes -J nope\n"
	               "#SBATCH -o 'out file.log'\n"
	               "#SBATCH\n"
	               "#SBATCHX --not-a-directive\n"
	               "# SBATCH --neither\n"
	               "  #SBATCH --indented-is-a-comment\n"
	               "#sbatch --lowercase-too\n",
	               0, NULL));
	CHECK(strcmp(s.job_name, "my job") == 0 && s.time_limit == 600 &&
	      strcmp(s.output, "out file.log") == 0);
	CHECK(s.nwarnings == 0);
	directives_spec_fini(&s);

	/* Reading stops at the first command, not at blank lines or comments. */
	CHECK_OK(
	    parse(&s, "#!/bin/sh\n\n# setup\n   \n#SBATCH -J late\nexport X=1\n#SBATCH -J later\n", 0, NULL));
	CHECK(strcmp(s.job_name, "late") == 0 && s.nwarnings == 1);
	directives_spec_fini(&s);
	/* A script without a trailing newline. */
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH -J end", 0, NULL));
	CHECK(strcmp(s.job_name, "end") == 0);
	directives_spec_fini(&s);
}

static void
test_args_end(void)
{
	int nopts = -1, script = -1;
	char *a1[] = {"-J", "x", "--parsable", "job.sh", "arg1"};
	CHECK_OK(directives_args_end(5, a1, &nopts, &script, err, sizeof(err)));
	CHECK(nopts == 3 && script == 3);
	char *a2[] = {"--time", "10", "job.sh"};
	CHECK_OK(directives_args_end(3, a2, &nopts, &script, err, sizeof(err)));
	CHECK(nopts == 2 && script == 2);
	char *a3[] = {"-Jx", "-Hc", "2", "job.sh", "-J", "scriptarg"};
	CHECK_OK(directives_args_end(6, a3, &nopts, &script, err, sizeof(err)));
	CHECK(nopts == 3 && script == 3);
	char *a4[] = {"--", "job.sh"};
	CHECK_OK(directives_args_end(2, a4, &nopts, &script, err, sizeof(err)));
	CHECK(nopts == 0 && script == 1);
	char *a5[] = {"--wrap=echo hi"};
	CHECK_OK(directives_args_end(1, a5, &nopts, &script, err, sizeof(err)));
	CHECK(nopts == 1 && script == 1);
	char *a6[] = {"--exclusive", "job.sh"}; /* an optional value only ever follows '=' */
	CHECK_OK(directives_args_end(2, a6, &nopts, &script, err, sizeof(err)));
	CHECK(nopts == 1 && script == 1);
	char *a7[] = {"-H", "-", "x"}; /* "-" (stdin) is an operand */
	CHECK_OK(directives_args_end(3, a7, &nopts, &script, err, sizeof(err)));
	CHECK(nopts == 1 && script == 1);
	char *b1[] = {"--foo", "job.sh"};
	CHECK(directives_args_end(2, b1, &nopts, &script, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "command line: unsupported option '--foo'") == 0);
	char *b2[] = {"-t"};
	CHECK(directives_args_end(1, b2, &nopts, &script, err, sizeof(err)) == MOSAIC_EINVAL);
	CHECK(strcmp(err, "command line: option '-t' (--time) needs a value") == 0);

	/* The options found are exactly what directives_parse takes. */
	batch_job_spec s;
	CHECK_OK(directives_args_end(6, a3, &nopts, &script, err, sizeof(err)));
	CHECK_OK(parse(&s, "#!/bin/sh\n", nopts, a3));
	CHECK(strcmp(s.job_name, "x") == 0 && s.hold && s.cpus_per_task == 2);
	directives_spec_fini(&s);
}

static bool
has(char **env, const char *entry)
{
	for (size_t i = 0; env[i]; i++)
		if (strcmp(env[i], entry) == 0)
			return true;
	return false;
}

static void
free_env(char **env)
{
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}

static void
test_export_env(void)
{
	char *envp[] = {"PATH=/bin", "HOME=/h", "SLURM_CONF=/etc/slurm.conf", "MBATCH_X=1", "FOO=env", NULL};
	batch_job_spec s;
	size_t n;

	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --export=ALL,FOO=bar,BAR=2\n", 0, NULL));
	char **env = directives_export_env(&s, envp, &n);
	CHECK(n == 6 && has(env, "PATH=/bin") && has(env, "FOO=env") && has(env, "BAR=2") &&
	      !has(env, "FOO=bar"));
	free_env(env);
	directives_spec_fini(&s);

	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --export=NONE\n", 0, NULL));
	env = directives_export_env(&s, envp, &n);
	CHECK(n == 2 && has(env, "SLURM_CONF=/etc/slurm.conf") && has(env, "MBATCH_X=1") && env[2] == NULL);
	free_env(env);
	directives_spec_fini(&s);

	/* The man page: "--export=EDITOR,ARG1=test". */
	CHECK_OK(parse(&s, "#!/bin/sh\n#SBATCH --export=FOO,NEW=1,MISSING,MBATCH_X=2\n", 0, NULL));
	env = directives_export_env(&s, envp, &n);
	CHECK(n == 4 && has(env, "FOO=env") && has(env, "NEW=1") && has(env, "MBATCH_X=2") &&
	      has(env, "SLURM_CONF=/etc/slurm.conf"));
	CHECK(!has(env, "PATH=/bin") && !has(env, "MBATCH_X=1"));
	free_env(env);
	directives_spec_fini(&s);

	/* The default is ALL: everything passes. */
	CHECK_OK(parse(&s, "#!/bin/sh\n", 0, NULL));
	env = directives_export_env(&s, envp, NULL);
	CHECK(has(env, "PATH=/bin") && has(env, "HOME=/h") && has(env, "FOO=env") && env[5] == NULL);
	free_env(env);
	env = directives_export_env(&s, NULL, &n);
	CHECK(n == 0 && env[0] == NULL);
	free_env(env);
	directives_spec_fini(&s);
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	test_full_script();
	test_defaults();
	test_short_forms();
	test_command_line_overrides();
	test_errors();
	test_values();
	test_ignored_options();
	test_script_rules();
	test_args_end();
	test_export_env();
	return check_done();
}
