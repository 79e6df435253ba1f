/* errors.h - the one error enum of Mosaic.
 *
 * Every fallible function returns 0 (MOSAIC_OK) or one of these. OS and nng
 * errors are converted at the boundary that meets them. */
#ifndef MOSAIC_ERRORS_H
#define MOSAIC_ERRORS_H

typedef enum mosaic_err {
	MOSAIC_OK = 0,
	MOSAIC_EINVAL,      /* malformed argument or input */
	MOSAIC_ENOENT,      /* no such object (id unknown or gone) */
	MOSAIC_EEXIST,      /* object already exists */
	MOSAIC_ENOSPC,      /* a named limit was reached */
	MOSAIC_EIO,         /* operating system or storage error */
	MOSAIC_ENET,        /* messaging error */
	MOSAIC_ETOOBIG,     /* message or input over its size limit */
	MOSAIC_EDECODE,     /* undecodable wire data */
	MOSAIC_EPERM,       /* not permitted */
	MOSAIC_ESTATE,      /* operation not valid in the object's state */
	MOSAIC_ETIMEDOUT,   /* deadline passed */
	MOSAIC_EAGAIN,      /* try again later */
	MOSAIC_ENOTSUP,     /* not supported here */
	MOSAIC_ERR_COUNT
} mosaic_err;

/* mosaic_strerror returns a static, human-readable text for err. */
const char *mosaic_strerror(int err);

#endif
