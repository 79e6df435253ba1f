/* agent_proc.h - what the agent and the executor learn about processes
 * from /proc: whether a pid is still a live process (not a zombie), and
 * whether it is the process we think it is (pids get reused). */
#ifndef MOSAIC_AGENT_PROC_H
#define MOSAIC_AGENT_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* agent_proc_alive: pid exists and is not a zombie. */
bool agent_proc_alive(pid_t pid);
/* agent_proc_has_arg: pid's command line holds arg as one whole argument
 * (an executor is recognised by its --executor-id value). */
bool agent_proc_has_arg(pid_t pid, const char *arg);

#endif
