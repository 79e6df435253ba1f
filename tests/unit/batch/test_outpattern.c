/* test_outpattern.c - sbatch's filename patterns: the man page's examples
 * ("job%J.out", "job%4j.out", "job%2j-%2t.out"), arrays, padding and its
 * cap, %N before and after placement, escapes and unknown letters. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "outpattern.h"

static void
expect(const char *pattern, const outpattern_vars *v, const char *want)
{
	char *got = outpattern_expand(pattern, v);
	CHECK(strcmp(got, want) == 0);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "  '%s' -> '%s', wanted '%s'\n", pattern, got, want);
	free(got);
}

int
main(void)
{
	outpattern_vars job = {.job_id = 128, .job_name = "train", .user = "ana", .node = "agent-7"};
	expect("slurm-%j.out", &job, "slurm-128.out");
	expect("job%J.out", &job, "job128.batch.out");
	expect("job%4j.out", &job, "job0128.out");
	expect("job%2j-%2t.out", &job, "job128-00.out");
	expect("%x-%j.log", &job, "train-128.log");
	expect("%u/%x/%j", &job, "ana/train/128");
	expect("%N.out", &job, "agent-7.out");
	expect("%5N.out", &job, "agent-7.out"); /* width ignored for names */
	expect("%8x|%8u|%8s", &job, "train|ana|batch");
	expect("%n-%t-%3n", &job, "0-0-000");
	expect("%12j", &job, "0000000128"); /* padding is capped at 10 */
	expect("%A_%a", &job, "128_0");     /* not an array */
	expect("%%j is %j, 100%%", &job, "%j is 128, 100%");
	expect("%%%j", &job, "%128");
	expect("%q%3q%", &job, "%q%3q%"); /* unknown and trailing stay */
	expect("end%5", &job, "end%5");
	expect("", &job, "");
	expect("plain.txt", &job, "plain.txt");
	/* A backslash turns expansion off. */
	expect("out\\%j.txt", &job, "out%j.txt");
	expect("a\\\\b%j", &job, "a\\b%j");

	outpattern_vars task = {.job_id = 131,
	                        .job_name = "sweep",
	                        .user = "ana",
	                        .is_array = true,
	                        .array_job_id = 100,
	                        .array_index = 7};
	expect(outpattern_default(true), &task, "mbatch-100_7.out");
	expect("%A_%4a-%j", &task, "100_0007-131");
	/* %N before placement stays for the expansion at launch, digits too. */
	expect("%x-%N-%3N.out", &task, "sweep-%N-%3N.out");
	char *first = outpattern_expand("%x-%N.out", &task);
	task.node = "gpu1";
	expect(first, &task, "sweep-gpu1.out");
	free(first);

	/* A name containing '%' is not expanded again. */
	outpattern_vars odd = {.job_id = 5, .job_name = "50%x", .user = NULL};
	expect("%x-%u-%j", &odd, "50%x--5");
	expect(outpattern_default(false), &odd, "mbatch-5.out");
	return check_done();
}
