#include "ids.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static void
random_bytes(void *buf, size_t len)
{
	ssize_t n = getrandom(buf, len, 0);
	if (n != (ssize_t)len) {
		/* getrandom cannot fail for small sizes once the pool is ready;
		 * fall back to the clock rather than leave zeros. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint8_t *p = buf;
		for (size_t i = 0; i < len; i++)
			p[i] = (uint8_t)(ts.tv_nsec >> (i % 4 * 8)) ^ (uint8_t)i;
	}
}

char *
id_new(char *buf, const char *prefix)
{
	uint32_t r;
	random_bytes(&r, sizeof(r));
	snprintf(buf, MOSAIC_ID_MAX, "%s-%08x-%08x", prefix, (unsigned)time(NULL), r);
	return buf;
}

void
uuid_new(uint8_t out[MOSAIC_UUID_LEN])
{
	random_bytes(out, MOSAIC_UUID_LEN);
}

char *
uuid_format(const uint8_t *uuid, size_t len, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	for (i = 0; i < len && i < 16; i++) {
		buf[2 * i] = hex[uuid[i] >> 4];
		buf[2 * i + 1] = hex[uuid[i] & 15];
	}
	buf[2 * i] = '\0';
	return buf;
}

int
id_valid(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n >= MOSAIC_ID_MAX || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		    c == '_' || c == '-'))
			return 0;
	}
	return 1;
}
