#!/usr/bin/env bash
# ci: slow (a long scenario: the sanitizer pass skips it)
# One rank's agent dies (SIGKILL): the master reports its task lost, and
# mmpirun ends the whole gang - the ranks elsewhere are killed, and so are
# the ranks on the dead agent (their proxy still hears mmpirun); with
# --restarts 1 the whole gang is launched again, on the agents left, and
# completes. With the generic launcher, then (when installed) OpenMPI's.
source "$(dirname "$0")/lib.sh" "$1"

LAUNCHERS=(generic)
if command -v mpirun >/dev/null 2>&1; then
	LAUNCHERS+=(openmpi)
else
	log "OpenMPI's mpirun is not installed: the generic launcher only"
fi
# Each launcher's two rounds kill two agents; 4 ranks must still fit after.
cluster_up --agents $((2 + 2 * ${#LAUNCHERS[@]})) --agent-resources 'cpus:2;mem:1024;disk:1000'
mmpirun() { (cd "$T" && exec timeout 80 "$BIN/mmpirun" "$@"); }

# A rank of the first attempt runs long; of a later attempt, briefly.
cat >"$T/rank.sh" <<'SH'
#!/bin/sh
r=${MOSAIC_RANK:-$OMPI_COMM_WORLD_RANK}
echo "up rank=$r task=$MOSAIC_TASK_ID agent=$MOSAIC_AGENT_HOSTNAME"
case $MOSAIC_TASK_ID in a1-*) exec sleep 300 ;; esac
echo "done rank=$r"
SH
chmod +x "$T/rank.sh"

# The agent of rank 2 once all 4 ranks are up (from the ranks' own words).
agent_of_rank2() {
	[ "$(grep -c '^up ' "$1")" = 4 ] || return 1
	sed -n 's/^up rank=2 .* agent=\(agent[0-9]*\)$/\1/p' "$1"
}

dead=none
for L in "${LAUNCHERS[@]}"; do
	log "$L: without restarts: the gang ends when one agent dies"
	mmpirun --launcher "$L" -n 4 "$T/rank.sh" >"$T/one-$L.out" 2>"$T/one-$L.err" &
	pid=$!
	wait_for 30 "4 ranks up" agent_of_rank2 "$T/one-$L.out"
	victim=$(agent_of_rank2 "$T/one-$L.out")
	log "killing $victim (rank 2's agent) with SIGKILL"
	kill -9 "$(cat "$CLUSTER/$victim.pid")"
	dead="$dead|$victim"
	t0=$(date +%s)
	set +e
	wait $pid
	rc=$?
	set -e
	took=$(($(date +%s) - t0))
	[ $rc != 0 ] || fail "mmpirun exited 0 after losing an agent: $(cat "$T/one-$L.err")"
	grep -q "agent $victim running ranks [0-9-]* was lost" "$T/one-$L.err" || fail "no word of the lost agent: $(cat "$T/one-$L.err")"
	log "mmpirun exited $rc ${took} s after the kill: $(grep 'was lost' "$T/one-$L.err")"
	[ "$took" -le 30 ] || fail "the gang took $took s to end"
	# Every rank is gone: on the live agents (killed through the master) and on
	# the dead one (its executor lives on; the proxy heard mmpirun's ABORT).
	wait_for 15 "every rank of the first gang to be gone" sh -c '! pgrep -f "slee[p] 300" >/dev/null'

	log "$L: with --restarts 1: the whole gang is relaunched on the agents left"
	mmpirun --launcher "$L" --restarts 1 -n 4 "$T/rank.sh" >"$T/two-$L.out" 2>"$T/two-$L.err" &
	pid=$!
	wait_for 30 "4 ranks up" agent_of_rank2 "$T/two-$L.out"
	victim2=$(agent_of_rank2 "$T/two-$L.out")
	! grep -Eq "agent=($dead)$" "$T/two-$L.out" || fail "a rank ran on a dead agent: $(cat "$T/two-$L.out")"
	log "killing $victim2 with SIGKILL"
	kill -9 "$(cat "$CLUSTER/$victim2.pid")"
	dead="$dead|$victim2"
	set +e
	wait $pid
	rc=$?
	set -e
	[ $rc = 0 ] || fail "the restarted gang exited $rc: $(cat "$T/two-$L.err")"
	grep -q "agent $victim2 running ranks [0-9-]* was lost" "$T/two-$L.err" && grep -q "restarting the whole gang (restart 1 of 1)" "$T/two-$L.err" ||
		fail "no loss and restart reported: $(cat "$T/two-$L.err")"
	for r in 0 1 2 3; do
		grep -q "^up rank=$r task=a2-p[0-9] agent=" "$T/two-$L.out" && grep -q "^done rank=$r$" "$T/two-$L.out" ||
			fail "rank $r did not run again to the end: $(cat "$T/two-$L.out")"
	done
	! grep -E "^up rank=[0-9] task=a2-.* agent=($dead|$victim2)$" "$T/two-$L.out" >/dev/null ||
		fail "the relaunch used a dead agent: $(cat "$T/two-$L.out")"
	wait_for 15 "every rank of the first attempt to be gone" sh -c '! pgrep -f "slee[p] 300" >/dev/null'
done

check_deadline
pass
