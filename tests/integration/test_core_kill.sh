#!/usr/bin/env bash
# Ctrl-C on `mosaic run` kills the task (the whole process group) and the
# master records TASK_KILLED.
source "$(dirname "$0")/lib.sh" "$1"

cluster_up --agents 1 --agent-resources 'cpus:2;mem:1024;disk:1000'

# a duration of its own (sleep takes fractions), so only this test's
# processes match
nap="300.$$"
mosaic run --name sleeper -- sh -c "sleep $nap & sleep $nap; wait" >"$T/run.out" 2>&1 &
runpid=$!
running() { mosaic tasks --json | jq -e 'any(.[]; .name == "sleeper" and .state == "TASK_RUNNING")'; }
wait_for 30 "the task to run" running
pgrep -f "^sleep $nap" >/dev/null || fail "the task's processes are not running"

kill -INT $runpid
set +e
wait $runpid
rc=$?
set -e
log "mosaic run exited $rc after SIGINT"
[ $rc -ne 0 ] || fail "mosaic run exited 0 after being interrupted"
killed() { mosaic tasks --all --json | jq -e 'any(.[]; .name == "sleeper" and .state == "TASK_KILLED")'; }
wait_for 20 "the task to be KILLED" killed
wait_procs_gone 10 "^sleep $nap" "the task's processes are still there 10 s after the kill"

pass
