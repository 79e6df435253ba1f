#include "jobstate.h"

#include <stddef.h>
#include <strings.h>

static const struct {
	const char *name;
	const char *code;
} names[JOBSTATE_COUNT] = {
    [JOBSTATE_UNKNOWN] = {"UNKNOWN", "?"},
    [JOBSTATE_PENDING] = {"PENDING", "PD"},
    [JOBSTATE_RUNNING] = {"RUNNING", "R"},
    [JOBSTATE_COMPLETED] = {"COMPLETED", "CD"},
    [JOBSTATE_FAILED] = {"FAILED", "F"},
    [JOBSTATE_CANCELLED] = {"CANCELLED", "CA"},
    [JOBSTATE_TIMEOUT] = {"TIMEOUT", "TO"},
    [JOBSTATE_NODE_FAIL] = {"NODE_FAIL", "NF"},
    [JOBSTATE_OUT_OF_MEMORY] = {"OUT_OF_MEMORY", "OOM"},
};

const char *
jobstate_name(jobstate s)
{
	return (s >= 0 && s < JOBSTATE_COUNT) ? names[s].name : names[JOBSTATE_UNKNOWN].name;
}

const char *
jobstate_code(jobstate s)
{
	return (s >= 0 && s < JOBSTATE_COUNT) ? names[s].code : names[JOBSTATE_UNKNOWN].code;
}

jobstate
jobstate_parse(const char *text)
{
	if (text == NULL)
		return JOBSTATE_UNKNOWN;
	for (int i = 1; i < JOBSTATE_COUNT; i++)
		if (strcasecmp(text, names[i].name) == 0 || strcasecmp(text, names[i].code) == 0)
			return (jobstate)i;
	return JOBSTATE_UNKNOWN;
}

bool
jobstate_is_terminal(jobstate s)
{
	return s >= JOBSTATE_COMPLETED && s < JOBSTATE_COUNT;
}

bool
jobstate_is_failure(jobstate s)
{
	return s > JOBSTATE_COMPLETED && s < JOBSTATE_COUNT;
}
