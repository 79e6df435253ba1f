/* replay.c - runs a fuzz target without libFuzzer, so every build checks
 * it (under ctest, and under ASan + UBSan in the sanitizer build):
 *
 *   replay_<target>                 its seeds, then REPLAY_MUTATIONS
 *                                   deterministic mutations of each
 *                                   (truncations, bit flips, byte
 *                                   insertions and deletions)
 *   replay_<target> FILE...         those inputs (a crash's reproducer)
 *   replay_<target> --write DIR     its seeds as files, libFuzzer's corpus
 *
 * A crash or a sanitizer report fails the test; the input that did it is
 * the last one named on stderr with --verbose. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define REPLAY_MUTATIONS 4000 /* per seed */
#define REPLAY_MAX_INPUT (1u << 20)

static uint64_t rng = 88172645463325252ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
mutate_run(const uint8_t *seed, size_t len)
{
	uint8_t *buf = malloc(len + 16);
	if (!buf)
		abort();
	for (size_t cut = 0; cut <= len; cut += len > 64 ? len / 64 + 1 : 1) {
		memcpy(buf, seed, cut);
		LLVMFuzzerTestOneInput(buf, cut);
	}
	for (unsigned i = 0; i < REPLAY_MUTATIONS; i++) {
		size_t n = len;
		memcpy(buf, seed, len);
		for (unsigned k = 0, edits = 1 + (unsigned)(next() % 4); k < edits; k++) {
			uint64_t r = next();
			size_t at = n ? (size_t)(r >> 8) % n : 0;
			switch (r % 4) {
			case 0: /* flip a bit */
				if (n)
					buf[at] ^= (uint8_t)(1u << ((r >> 4) % 8));
				break;
			case 1: /* set a byte to an edge value */
				if (n)
					buf[at] = (uint8_t[]){0, 0x7f, 0x80, 0xff, '\n', '=', '%', '-'}[(r >> 4) % 8];
				break;
			case 2: /* insert a byte */
				if (n < len + 16) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = (uint8_t)(r >> 40);
					n++;
				}
				break;
			default: /* delete a byte */
				if (n) {
					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
			}
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	free(buf);
}

static int
run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	uint8_t *buf = malloc(REPLAY_MAX_INPUT);
	if (!buf)
		abort();
	size_t n = fread(buf, 1, REPLAY_MAX_INPUT, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	uint8_t **bufs = NULL;
	size_t *lens = NULL, n = fuzz_seeds(&bufs, &lens);
	int rv = 0;
	if (argc == 3 && strcmp(argv[1], "--write") == 0) {
		for (size_t i = 0; i < n && rv == 0; i++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/seed-%zu", argv[2], i);
			FILE *f = fopen(path, "wb");
			if (!f || fwrite(bufs[i], 1, lens[i], f) != lens[i] || fclose(f) != 0) {
				fprintf(stderr, "replay: cannot write %s\n", path);
				rv = 1;
			}
		}
	} else if (argc > 1) {
		for (int i = 1; i < argc; i++)
			rv |= run_file(argv[i]);
	} else {
		for (size_t i = 0; i < n; i++)
			mutate_run(bufs[i], lens[i]);
		printf("replay: %zu seeds, %u mutations each: no crash\n", n, REPLAY_MUTATIONS);
	}
	for (size_t i = 0; i < n; i++)
		free(bufs[i]);
	free(bufs);
	free(lens);
	return rv;
}
