/* agent_path.c - see agent_path.h. */
#include "agent_path.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "errors.h"

int
agent_path(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, cap, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			out[0] = '\0';
		return MOSAIC_ETOOBIG;
	}
	return MOSAIC_OK;
}

void
agent_msg(char *out, size_t cap, const char *fmt, ...)
{
	if (!out || !cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

int
agent_sandbox_path(char *out, size_t cap, const char *work_dir, const char *fw, const char *task, long run)
{
	return agent_path(out, cap, "%s/frameworks/%s/tasks/%s.%ld", work_dir, fw, task, run);
}

long
agent_sandbox_latest(char *out, size_t cap, const char *work_dir, const char *fw, const char *task)
{
	char path[PATH_MAX];
	long latest = -1;
	for (long n = 0; n < AGENT_MAX_RUNS; n++) {
		struct stat st;
		if (agent_sandbox_path(path, sizeof(path), work_dir, fw, task, n) || lstat(path, &st) != 0 ||
		    !S_ISDIR(st.st_mode))
			break;
		latest = n;
	}
	if (latest >= 0 && agent_sandbox_path(out, cap, work_dir, fw, task, latest))
		return -1;
	return latest;
}

long
agent_sandbox_parse(const char *name, char *id, size_t idcap)
{
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name || (size_t)(dot - name) >= idcap || !dot[1])
		return -1;
	long run = 0;
	for (const char *p = dot + 1; *p; p++) {
		if (*p < '0' || *p > '9' || run >= AGENT_MAX_RUNS || (p == dot + 1 && *p == '0' && p[1]))
			return -1;
		run = run * 10 + (*p - '0');
	}
	if (run >= AGENT_MAX_RUNS)
		return -1;
	memcpy(id, name, (size_t)(dot - name));
	id[dot - name] = '\0';
	return run;
}
