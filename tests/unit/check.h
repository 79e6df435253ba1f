/* check.h - the unit tests' helpers: CHECK records a failure with its file,
 * line and text and carries on; CHECK_OK also prints mosaic_strerror of a
 * failed call. check_done() prints "N passed, N failed" and gives the exit
 * status. */
#ifndef MOSAIC_CHECK_H
#define MOSAIC_CHECK_H

#include <math.h>
#include <stdio.h>

#include "errors.h"

static int check_passed_, check_failed_;

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (cond) {                                                                  \
			check_passed_++;                                                     \
		} else {                                                                     \
			check_failed_++;                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                            \
	} while (0)

#define CHECK_OK(call)                                                                       \
	do {                                                                                 \
		int rv_ = (call);                                                            \
		if (rv_ == 0) {                                                              \
			check_passed_++;                                                     \
		} else {                                                                     \
			check_failed_++;                                                     \
			fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call,   \
			    mosaic_strerror(rv_));                                           \
		}                                                                            \
	} while (0)

#define CHECK_NEAR(a, b, eps)                                                                \
	do {                                                                                 \
		double a_ = (a), b_ = (b);                                                   \
		if (fabs(a_ - b_) <= (eps)) {                                                \
			check_passed_++;                                                     \
		} else {                                                                     \
			check_failed_++;                                                     \
			fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %g, %s = %g\n",         \
			    __FILE__, __LINE__, #a, a_, #b, b_);                             \
		}                                                                            \
	} while (0)

static inline int
check_done(void)
{
	printf("%d passed, %d failed\n", check_passed_, check_failed_);
	return check_failed_ ? 1 : 0;
}

#endif
