#!/usr/bin/env bash
# ci: slow (a long scenario: the sanitizer pass skips it)
# A large gang does not starve behind a stream of small jobs: a framework
# (loadfw, role batch) keeps all 8 slots busy with 1-core tasks of 2 s,
# relaunching into every freed core at once; an 8-rank gang (role mpi)
# submitted meanwhile must start within a bounded wait - the master holds
# freed cores for the gang once it has starved a while (gang demand, see
# src/master/allocator.h) - and the wait is printed next to the same
# gang's wait on an idle cluster.
source "$(dirname "$0")/lib.sh" "$1"

HELLO=$BUILD/examples/mpi/gang_hello
LOADFW=$TOOLS/loadfw
[ -x "$HELLO" ] && [ -x "$LOADFW" ] || fail "needs $HELLO and $LOADFW (build the examples and loadfw)"
BOUND=${MPI_STARVATION_BOUND:-45}
cluster_up --agents 4 --agent-resources 'cpus:2;mem:1024;disk:1000'
mmpirun() { (cd "$T" && exec timeout 85 "$BIN/mmpirun" "$@"); }

# Seconds the gang waited for resources, from mmpirun -v's last line.
waited() { sed -n 's/.*done (exit 0): waited \([0-9.]*\) s for resources.*/\1/p' "$1"; }

log "the same 8-rank gang on the idle cluster"
mmpirun --launcher generic -v --timeout 60 -n 8 "$HELLO" >"$T/alone.out" 2>"$T/alone.err" ||
	fail "the gang alone failed: $(tail -5 "$T/alone.err")"
alone=$(waited "$T/alone.err")
[ -n "$alone" ] || fail "no wait reported: $(tail -3 "$T/alone.err")"

log "loadfw fills the cluster with 1-core tasks, continuously"
"$LOADFW" --name stream --role batch --cpus 1 --mem 64 --task-seconds 2 --run-seconds $((BOUND + 5)) >"$T/load.out" 2>"$T/load.err" &
loadpid=$!
busy() { state_json | jq -e '[.tasks[] | select(.state == "TASK_RUNNING")] | length >= 8'; }
wait_for 20 "loadfw's tasks to fill all 8 slots" busy

log "an 8-rank gang arrives (bound: ${BOUND} s)"
t0=$(date +%s.%N)
set +e
mmpirun --launcher generic -v --timeout "$BOUND" -n 8 "$HELLO" >"$T/gang.out" 2>"$T/gang.err"
rc=$?
set -e
[ $rc = 0 ] || fail "the gang did not run within ${BOUND} s (exit $rc): $(grep -v INFO "$T/gang.err" | tail -8)"
grep -q "rank 0 heard 8 of 8 ranks" "$T/gang.out" || fail "gang output: $(cat "$T/gang.out")"
starved=$(waited "$T/gang.err")
kill -0 $loadpid 2>/dev/null || fail "loadfw stopped before the gang ran: the cluster was not kept busy"
# The stream kept going: it launched far more than the 8 it started with.
log "gang wait under the stream: ${starved} s (alone: ${alone} s; bound ${BOUND} s; wall $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s incl. run)"
# loadfw stops by itself (after BOUND + 5 s) and counts what it launched.
set +e
wait $loadpid
lrc=$?
set -e
[ $lrc = 0 ] || fail "loadfw exited $lrc: $(tail -5 "$T/load.err")"
launched=$(sed -n 's/.*launched=\([0-9]*\).*/\1/p' "$T/load.out")
log "loadfw: $(cat "$T/load.out")"
[ "${launched:-0}" -gt 16 ] || fail "loadfw launched only ${launched:-0} tasks: no stream to starve behind"

check_deadline
pass
