#include "errors.h"

static const char *const texts[MOSAIC_ERR_COUNT] = {
	[MOSAIC_OK] = "success",
	[MOSAIC_EINVAL] = "invalid argument",
	[MOSAIC_ENOENT] = "no such object",
	[MOSAIC_EEXIST] = "object already exists",
	[MOSAIC_ENOSPC] = "limit reached",
	[MOSAIC_EIO] = "input/output error",
	[MOSAIC_ENET] = "messaging error",
	[MOSAIC_ETOOBIG] = "message too large",
	[MOSAIC_EDECODE] = "undecodable message",
	[MOSAIC_EPERM] = "not permitted",
	[MOSAIC_ESTATE] = "invalid in current state",
	[MOSAIC_ETIMEDOUT] = "timed out",
	[MOSAIC_EAGAIN] = "try again",
	[MOSAIC_ENOTSUP] = "not supported",
};

const char *
mosaic_strerror(int err)
{
	if (err < 0 || err >= MOSAIC_ERR_COUNT || texts[err] == 0)
		return "unknown error";
	return texts[err];
}
