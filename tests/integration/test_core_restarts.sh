#!/usr/bin/env bash
# Nothing is lost when a daemon dies: the master killed with SIGKILL and
# restarted recognises its agents and frameworks (same ids) and a running
# task finishes; an agent killed with SIGKILL and restarted recovers its
# executor and the task finishes; an executor killed with SIGKILL fails
# its task with a clear state instead of leaving it hanging.
source "$(dirname "$0")/lib.sh" "$1"

cluster_up --agents 2 --agent-resources 'cpus:2;mem:1024;disk:1000'
agents_before=$(mosaic agents --json | jq -c '[.[].id] | sort')

log "master: SIGKILL and restart while a task runs"
mosaic run --name m-survivor -- sh -c 'sleep 6; echo survived-master' >"$T/m.out" 2>&1 &
mp=$!
running() { mosaic tasks --json | jq -e --arg n "$1" 'any(.[]; .name == $n and .state == "TASK_RUNNING")'; }
wait_for 30 "m-survivor to run" running m-survivor
fw=$(mosaic tasks --json | jq -r '.[] | select(.name == "m-survivor") | .framework_id')
restart_daemon master
both_back() { [ "$(mosaic agents --json | jq -c '[.[] | select(.active) | .id] | sort')" = "$agents_before" ]; }
wait_for 30 "both agents to re-register with their ids" both_back
fw_back() { mosaic frameworks --json | jq -e --arg id "$fw" 'any(.[]; .id == $id and .active)'; }
wait_for 30 "the framework to re-subscribe with its id" fw_back
set +e
wait $mp
rc=$?
set -e
[ $rc -eq 0 ] || fail "the task across a master restart: exit $rc: $(cat "$T/m.out")"
grep -q survived-master "$T/m.out" || fail "no output after the master restart: $(cat "$T/m.out")"

log "agent: SIGKILL and restart while a task runs"
mosaic run --name a-survivor -- sh -c 'sleep 6; echo survived-agent' >"$T/a.out" 2>&1 &
ap=$!
wait_for 30 "a-survivor to run" running a-survivor
host=$(mosaic tasks --json | jq -r '.[] | select(.name == "a-survivor") | .hostname')
restart_daemon "$host"
set +e
wait $ap
rc=$?
set -e
[ $rc -eq 0 ] || fail "the task across an agent restart: exit $rc: $(cat "$T/a.out")"
grep -q survived-agent "$T/a.out" || fail "no output after the agent restart: $(cat "$T/a.out")"
grep -q "TASK_LOST" "$T/a.out" && fail "the task was reported LOST although its agent came back"

log "executor: SIGKILL while a task runs"
mosaic run --name e-victim -- sleep 60 >"$T/e.out" 2>&1 &
ep=$!
wait_for 30 "e-victim to run" running e-victim
host=$(mosaic tasks --json | jq -r '.[] | select(.name == "e-victim") | .hostname')
fwid=$(mosaic tasks --json | jq -r '.[] | select(.name == "e-victim") | .framework_id')
kill -9 "$(cat "$CLUSTER/$host/executors/$fwid/pid")"
ended() { ! kill -0 "$ep" 2>/dev/null; }
wait_for 60 "mosaic run of e-victim to end" ended
set +e
wait $ep
rc=$?
set -e
[ $rc -ne 0 ] || fail "a task whose executor died exited 0"
grep -Eq "TASK_(FAILED|LOST)" "$T/e.out" || fail "no terminal state after the executor died: $(cat "$T/e.out")"

pass
