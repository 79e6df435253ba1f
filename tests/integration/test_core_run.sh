#!/usr/bin/env bash
# A task runs on a real agent through a real master and its output comes
# back; a failing command keeps its exit code; bad requests are refused
# with a clear message.
source "$(dirname "$0")/lib.sh" "$1"

cluster_up --agents 3 --agent-resources 'cpus:2;mem:1024;disk:2000'

n=$(mosaic agents --json | jq 'length')
[ "$n" = 3 ] || fail "mosaic agents lists $n agents, want 3"
mosaic agents --json | jq -e 'all(.[]; .total.cpus == 2 and .total.mem == 1024 and .active)' >/dev/null ||
	fail "agents' resources: $(mosaic agents --json)"
mosaic agents | grep -q agent1 || fail "the agents table does not show agent1"

log "a task runs and its output is captured"
out=$(mosaic run -- sh -c 'echo "hello from $(pwd)"; echo to-stderr >&2' 2>"$T/run.err") || fail "mosaic run failed: $(cat "$T/run.err")"
grep -q "hello from .*/frameworks/.*/tasks/" <<<"$out" || fail "stdout not captured, or not run in a sandbox: $out"
grep -q to-stderr "$T/run.err" || grep -q to-stderr <<<"$out" || fail "stderr not shown"
grep -q 'agent[123]' "$T/run.err" || fail "mosaic run does not say where the task ran: $(cat "$T/run.err")"

out=$(mosaic run -- hostname)
[ "$out" = "$(hostname)" ] || fail "mosaic run -- hostname printed '$out'"

log "a failing command ends FAILED with its exit code"
set +e
mosaic run --cpus 2 -- sh -c 'exit 3' >"$T/fail.out" 2>&1
rc=$?
set -e
[ $rc -eq 3 ] || fail "mosaic run of 'exit 3' exited $rc: $(cat "$T/fail.out")"
grep -q TASK_FAILED "$T/fail.out" || fail "no TASK_FAILED shown: $(cat "$T/fail.out")"
mosaic tasks --all --json | jq -e 'any(.[]; .state == "TASK_FAILED")' >/dev/null || fail "the master does not list the failed task"

log "a program that does not exist fails with the reason"
set +e
mosaic run -- /no/such/program >"$T/nx.out" 2>&1
rc=$?
set -e
[ $rc -ne 0 ] || fail "running a missing program succeeded"
grep -qi "no such file" "$T/nx.out" || fail "no reason given for the missing program: $(cat "$T/nx.out")"

log "a request no agent can ever satisfy is refused at once"
set +e
timeout 20 mosaic run --cpus 64 -- true >"$T/big.out" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "oversized request exited $rc: $(cat "$T/big.out")"
grep -q "cpus:64" "$T/big.out" || fail "oversized request: unclear message: $(cat "$T/big.out")"

log "bad arguments are errors that name them"
set +e
mosaic run --cpus lots -- true >"$T/bad.out" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "--cpus lots exited $rc"
grep -q -- "--cpus" "$T/bad.out" || fail "bad --cpus not named: $(cat "$T/bad.out")"

pass
