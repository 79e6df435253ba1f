#!/usr/bin/env bash
# An agent killed with SIGKILL: its running tasks become TASK_LOST and its
# resources leave the pool (and so the offers). `mosaic cluster down` then
# has its orphaned executor kill the task and leave, without SIGKILL.
source "$(dirname "$0")/lib.sh" "$1"

cluster_up --agents 3 --agent-resources 'cpus:2;mem:1024;disk:1000'

nap="300.$$" # only this test's task matches
mosaic run --name victim --cpus 2 -- sleep "$nap" >"$T/victim.out" 2>&1 &
runpid=$!
running() { mosaic tasks --json | jq -e 'any(.[]; .name == "victim" and .state == "TASK_RUNNING")'; }
wait_for 30 "the task to run" running
host=$(mosaic tasks --json | jq -r '.[] | select(.name == "victim") | .hostname')
log "victim runs on $host; killing that agent with SIGKILL"
kill -9 "$(cat "$CLUSTER/$host.pid")"

lost() { mosaic tasks --all --json | jq -e 'any(.[]; .name == "victim" and .state == "TASK_LOST")'; }
wait_for 30 "the task to be LOST" lost
inactive() { mosaic agents --json | jq -e --arg h "$host" 'any(.[]; .hostname == $h and .active == false)'; }
wait_for 10 "the agent to show as unreachable" inactive
total=$(state_json | jq '.total.cpus')
[ "$total" = 4 ] || fail "total cpus after losing an agent is $total, want 4"

set +e
wait $runpid
rc=$?
set -e
[ $rc -ne 0 ] || fail "mosaic run of the lost task exited 0"
grep -q TASK_LOST "$T/victim.out" || fail "mosaic run did not report TASK_LOST: $(cat "$T/victim.out")"

log "new work lands only on the agents left"
for i in 1 2 3; do
	out=$(mosaic run --cpus 2 -- true 2>&1) || fail "a task after the loss failed: $out"
	! grep -q "$host" <<<"$out" || fail "a task ran on the lost agent $host: $out"
done

log "cluster down with the lost agent's executor still running its task"
pgrep -f "^sleep $nap" >/dev/null || fail "the lost agent's task did not live on with its executor"
mosaic cluster down --dir "$CLUSTER" >"$T/down-now.out" 2>&1 || fail "cluster down: $(cat "$T/down-now.out")"
! grep -q SIGKILL "$T/down-now.out" || fail "cluster down had to SIGKILL: $(cat "$T/down-now.out")"
wait_procs_gone 5 "^sleep $nap" "the lost agent's task outlived cluster down"
grep -q "TASK_KILLED" "$CLUSTER/$host"/executors/*/executor.log ||
	fail "the orphaned executor did not kill its task: $(tail -5 "$CLUSTER/$host"/executors/*/executor.log)"

pass
