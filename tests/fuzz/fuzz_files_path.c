/* fuzz_files_path.c - what anyone who reaches an agent's file server can
 * ask for: GET /files/<framework>/<task>/<path>. agent_files_open_target
 * must answer 200 only for a file inside the task's latest sandbox (here,
 * a sandbox tree with links inside and outside it); a file it opens that
 * is not under the work directory aborts the run. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_files.h"
#include "fuzz.h"
#include "util.h"

static char work[PATH_MAX];

static void
cleanup(void)
{
	if (work[0])
		util_remove_tree(work);
}

static void
put(const char *rel, const char *text)
{
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/%s", work, rel);
	FILE *f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

static void
tree(void)
{
	char t[] = "/tmp/mosaic-fuzz-files-XXXXXX", p[PATH_MAX + 64];
	if (!mkdtemp(t) || !realpath(t, work))
		abort();
	atexit(cleanup);
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t1.1/out", work);
	if (util_mkdir_p(p) != 0)
		abort();
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t1.0", work);
	if (util_mkdir_p(p) != 0)
		abort();
	put("frameworks/fw-1/tasks/t1.0/stdout", "old\n");
	put("frameworks/fw-1/tasks/t1.1/stdout", "new\n");
	put("frameworks/fw-1/tasks/t1.1/out/part-0", "0123456789");
	put("secret", "secret\n");
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t1.1/inner", work);
	if (symlink("out/part-0", p) != 0)
		abort();
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t1.1/escape", work);
	if (symlink("../../../../secret", p) != 0)
		abort();
	snprintf(p, sizeof(p), "%s/frameworks/fw-1/tasks/t2.0", work);
	if (symlink("/etc", p) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!work[0])
		tree();
	char rel[1024];
	size_t n = size < sizeof(rel) - 1 ? size : sizeof(rel) - 1;
	memcpy(rel, data, n);
	rel[n] = '\0';
	int fd = -1;
	uint64_t len = 0;
	if (agent_files_open_target(work, rel, &fd, &len) == 200 && fd >= 0) {
		char link[64], real[PATH_MAX + 1], sandbox[PATH_MAX + 64];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t k = readlink(link, real, sizeof(real) - 1);
		snprintf(sandbox, sizeof(sandbox), "%s/frameworks/fw-1/tasks/t1.1/", work);
		if (k <= 0 || (real[k] = '\0', strncmp(real, sandbox, strlen(sandbox)) != 0)) {
			fprintf(stderr, "'%s' opened %s, outside %s\n", rel, k > 0 ? real : "?", sandbox);
			abort();
		}
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

size_t
fuzz_seeds(uint8_t ***bufs, size_t **lens)
{
	static const char *const s[] = {"fw-1/t1/stdout", "fw-1/t1/out/part-0", "fw-1/t1/./out//part-0",
	                                "fw-1/t1/inner", "fw-1/t1/escape", "fw-1/t1/../../../../secret",
	                                "fw-1/t2/passwd", "fw-1/t1/out/../stdout", "..%2f/t1/stdout"};
	size_t n = 0;
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		fuzz_seed_add(bufs, lens, &n, s[i], strlen(s[i]));
	return n;
}
