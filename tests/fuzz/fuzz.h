/* fuzz.h - the shape of a fuzz target (tests/fuzz/README.md): the input
 * function libFuzzer calls, and the target's starting inputs. */
#ifndef MOSAIC_FUZZ_H
#define MOSAIC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_seeds returns the number of starting inputs, each malloc'd in
 * (*bufs)[i] with its length in (*lens)[i]; the caller frees them all. */
size_t fuzz_seeds(uint8_t ***bufs, size_t **lens);

/* For targets: append a copy of (p, n) to the seed arrays. */
void fuzz_seed_add(uint8_t ***bufs, size_t **lens, size_t *n, const void *p, size_t len);

/* For targets: unless ok, print what failed and the input text, and
 * abort (libFuzzer then keeps the input). */
void fuzz_must(int ok, const char *what, const char *text);

#endif
