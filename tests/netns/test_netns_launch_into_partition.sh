#!/usr/bin/env bash
# Tasks launched into a partition (DESIGN §2): a1 is cut off, and before the
# master notices, it launches there a `mosaic run` task and a batch job
# (both fit only a1). Their RunTasks sit in a TCP connection that is
# retransmitting into the void; the master then gives a1 up, and the tasks
# are TASK_LOST. Healed, whatever of those RunTasks still reaches a1 late
# must not leave a task running that the master gave up: at the end, the
# `mosaic run` task does not run and the job runs exactly once (its requeued
# run), however the stale messages arrive.
source "$(dirname "$0")/netns_lib.sh" "$1"
[ -x "$BIN/mbatchd" ] && [ -x "$BIN/mbatch" ] || fail "mbatchd/mbatch not built"

# More missed pings than elsewhere: room for the launches before the loss.
MAX_MISSED=8
net_setup m:1 a1:11 a2:12
master_start
agent_start 1 a1 'cpus:3;mem:6144;disk:1000'
agent_start 2 a2 'cpus:2;mem:1024;disk:1000'
wait_for 15 "agent a1 to register" agent_active a1
wait_for 15 "agent a2 to register" agent_active a2
a1_id=$(agent_json a1 | jq -r .id)

MBATCH_ADDR=tcp://127.0.0.1:6060
daemon_start mbatchd m "$BIN/mbatchd" --master "$MASTER_URL" --listen "$MBATCH_ADDR" \
	--state-dir "$CLUSTER/mbatchd" --offer-hold 1s
mbatch() { MBATCH_ADDRESS=$MBATCH_ADDR nsrun m timeout 15 "$BIN/mbatch" "$@"; }
wait_for 15 "mbatchd to answer" mbatch queue
job_field() { mbatch show "$1" --json | jq -r --arg f "$2" '.[0][$f] // empty'; }

mkdir -p "$T/jobs"
cat >"$T/jobs/job.sh" <<EOF
#!/bin/sh
#MBATCH -c 1 --mem 2048
echo \$\$ >>$T/job.pids
exec sleep 300
EOF

# ---- partition, then launch into it ----
t0=$(now_ms)
partition a1
log "a1 partitioned ($PARTITION_MODE); launching two tasks that fit only a1"
m_ns=$(ns_path m)
MOSAIC_MASTER=$MASTER_URL nsenter --net="$m_ns" -- "$BIN/mosaic" run --name blue --cpus 1 --mem 2048 --timeout 30s -- \
	sh -c "echo \$\$ >>$T/blue.pids; exec sleep 300" >"$T/blue.out" 2>&1 &
runpid=$!
bg_track "$runpid"
job=$(cd "$T/jobs" && mbatch submit --parsable job.sh) || fail "mbatch submit: $job"

on_a1() { m_cli tasks --all --json | jq -e --arg n "$1" 'any(.[]; ((.name // "" | startswith($n)) or (.id | startswith($n))) and .hostname == "a1")'; }
wait_for 4 "task blue to be launched on a1 (before a1 is lost)" on_a1 blue
wait_for 4 "job $job to be launched on a1 (before a1 is lost)" on_a1 mbatch
agent_active a1 >/dev/null || fail "a1 was lost before both launches: the test needs more --max-missed-pings"
log "both launched on a1 $(($(now_ms) - t0)) ms after the cut, a1 still thought reachable"

wait_for 20 "the master to mark a1 unreachable" agent_inactive a1
log "a1 marked unreachable after $(($(now_ms) - t0)) ms"
expect_run_lost "$runpid" "$T/blue.out" blue
[ ! -s "$T/blue.pids" ] || fail "blue ran on a1 during the partition?: $(cat "$T/blue.pids")"
wait_for 10 "job $job to be requeued" test "$(job_field "$job" state)" = PENDING

hold_ms=$((${PARTITION_SECONDS:-17} * 1000 - ($(now_ms) - t0)))
[ "$hold_ms" -le 0 ] || { log "holding the partition $hold_ms ms more"; nap "$hold_ms"; }
check_deadline

# ---- heal ----
tcp_debug m
tcp_debug a1
t1=$(now_ms)
heal a1
log "a1 healed after a $((t1 - t0)) ms partition"
wait_for 30 "a1 to re-register" agent_active a1
log "a1 active again after $(($(now_ms) - t1)) ms"
wait_for 20 "job $job to run again (on a1, the only agent it fits)" test "$(job_field "$job" state)" = RUNNING

# Stale RunTasks may come late: on the old connection, after its back-off
# (up to ~13 s). Watch for 16 s that nothing given up stays running.
alive_list() {
	local f=$1 p out=""
	[ -f "$f" ] || return 0
	for p in $(cat "$f"); do
		! kill -0 "$p" 2>/dev/null || out+="$p "
	done
	echo "$out"
}
end=$(($(now_ms) + 16000))
while [ "$(now_ms)" -lt "$end" ]; do
	sleep 1
done
blue_runs=$(wc -l <"$T/blue.pids" 2>/dev/null || echo 0)
job_runs=$(wc -l <"$T/job.pids" 2>/dev/null || echo 0)
log "after the heal: blue started $blue_runs time(s), the job $job_runs time(s); alive: blue [$(alive_list "$T/blue.pids")] job [$(alive_list "$T/job.pids")]"
grep -E "agent $a1_id: (killing task|shutting down)|reports task|not known" "$CLUSTER/master.log" | cut -c12- | sed 's/^/  master: /' || true
grep -E "RunTasks|TASK_KILLED|shutting down" "$CLUSTER/agent1.log" | cut -c12- | sed 's/^/  a1: /' || true

left=$(alive_list "$T/blue.pids")
[ -z "$left" ] || fail "task blue, given up by the master (and its framework gone), runs on a1 after the heal: pid $left"
left=$(alive_list "$T/job.pids")
n_left=$(wc -w <<<"$left")
[ "$n_left" = 1 ] || fail "batch job $job has $n_left live runs after the heal (pids: $left), want 1 (its requeued run)"
[ "$(job_field "$job" state)" = RUNNING ] || fail "job $job is $(job_field "$job" state), want RUNNING"
mbatch cancel "$job" >/dev/null 2>&1 || true
pass
