#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"

static int log_fd = 2;
static int log_level = LOG_INFO;
static char log_component[32] = "mosaic";

int
log_init(const char *component, int level, const char *path)
{
	snprintf(log_component, sizeof(log_component), "%s", component);
	log_level = level;
	if (path && *path) {
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0)
			return MOSAIC_EIO;
		if (log_fd > 2)
			close(log_fd);
		log_fd = fd;
	}
	return MOSAIC_OK;
}

int
log_level_parse(const char *name)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	for (int i = 0; i < 4; i++)
		if (strcasecmp(name, names[i]) == 0)
			return i;
	return -1;
}

int
log_enabled(int level)
{
	return level <= log_level;
}

void
log_msg(int level, const char *fmt, ...)
{
	static const char *tags[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
	if (level > log_level)
		return;
	char line[4096];
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s %s[%d]: ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000),
	    tags[level < 0 ? 0 : level > 3 ? 3 : level], log_component, (int)getpid());
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	ssize_t w = write(log_fd, line, len);
	(void)w;
}
