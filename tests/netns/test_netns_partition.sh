#!/usr/bin/env bash
# A partitioned agent (DESIGN §2, liveness): the master in namespace m,
# agents a1 and a2 in namespaces of their own, all on one bridge. Two tasks
# run on a1: one of `mosaic run` (a one-shot framework, which ends when its
# task is lost) and one batch job of mbatchd (a framework that stays). With
# a1's link down the master must, within its liveness bound, mark a1
# unreachable, report the tasks TASK_LOST to their frameworks and take a1's
# resources out of the pool, while the tasks go on running on the cut-off
# agent. Healed, a1 must re-register (same agent id), the tasks the master
# gave up must be killed on it, and new tasks must run on it again.
source "$(dirname "$0")/netns_lib.sh" "$1"
[ -x "$BIN/mbatchd" ] && [ -x "$BIN/mbatch" ] || fail "mbatchd/mbatch not built"

net_setup m:1 a1:11 a2:12
log "namespaces up: $(ip netns list | awk '{print $1}' | grep "^$NS_PREFIX-" | tr '\n' ' ')"

master_start
agent_start 1 a1 'cpus:3;mem:2048;disk:1000'
wait_for 15 "agent a1 to register" agent_active a1
a1_id=$(agent_json a1 | jq -r .id)
log "a1 registered as $a1_id"

MBATCH_ADDR=tcp://127.0.0.1:6060 # inside namespace m
daemon_start mbatchd m "$BIN/mbatchd" --master "$MASTER_URL" --listen "$MBATCH_ADDR" \
	--state-dir "$CLUSTER/mbatchd" --offer-hold 1s
mbatch() { MBATCH_ADDRESS=$MBATCH_ADDR nsrun m timeout 15 "$BIN/mbatch" "$@"; }
wait_for 15 "mbatchd to answer" mbatch queue

# Only a1 is up: both tasks land there. Each writes its shell's pid
# (which then execs sleep) so the test can follow the process.
mkdir -p "$T/jobs"
m_ns=$(ns_path m)
MOSAIC_MASTER=$MASTER_URL nsenter --net="$m_ns" -- "$BIN/mosaic" run --name victim --cpus 2 --timeout 30s -- \
	sh -c "echo \$\$ >$T/victim.pid; exec sleep 300" >"$T/victim.out" 2>&1 &
runpid=$!
bg_track "$runpid"
cat >"$T/jobs/job.sh" <<EOF
#!/bin/sh
#MBATCH -c 1 --mem 128
echo \$\$ >>$T/job.pids
exec sleep 300
EOF
job=$(cd "$T/jobs" && mbatch submit --parsable job.sh) || fail "mbatch submit: $job"
log "submitted batch job $job"

task_running_on() { m_cli tasks --json | jq -e --arg n "$1" --arg h "$2" 'any(.[]; .name == $n and .state == "TASK_RUNNING" and .hostname == $h)'; }
job_field() { mbatch show "$1" --json | jq -r --arg f "$2" '.[0][$f] // empty'; }
wait_for 30 "task victim to run on a1" task_running_on victim a1
wait_for 30 "batch job $job to run" test "$(job_field "$job" state)" = RUNNING
wait_for 10 "the tasks to write their pids" test -s "$T/victim.pid" -a -s "$T/job.pids"
vpid=$(cat "$T/victim.pid")
jpid=$(head -1 "$T/job.pids")
for p in "$vpid" "$jpid"; do
	kill -0 "$p" 2>/dev/null || fail "task process $p is not running"
	in_ns "$p" a1 || fail "task process $p ($(tr '\0' ' ' <"/proc/$p/cmdline")) is not in a1's namespace"
done
for e in "$CLUSTER"/agent1/executors/*/pid; do
	[ -f "$e" ] || continue
	p=$(cat "$e")
	! kill -0 "$p" 2>/dev/null || in_ns "$p" a1 || fail "executor $p of agent a1 is not in a1's namespace"
done
log "on a1: victim pid $vpid, batch job pid $jpid (both in a1's namespace)"

agent_start 2 a2 'cpus:1;mem:2048;disk:1000'
wait_for 15 "agent a2 to register" agent_active a2
wait_for 10 "the pool to total 4 cpus" test "$(total_cpus)" = 4

# ---- partition ----
bound=$(awk -v p="$PING_INTERVAL" -v n="$MAX_MISSED" 'BEGIN { printf "%d", p * (n + 1) * 1000 }')
slack=3000 # a 2-core machine shared with other work; CLI calls take time too
t0=$(now_ms)
partition a1
log "a1 partitioned ($PARTITION_MODE); the master should notice within ~${bound} ms"
wait_for 20 "the master to mark a1 unreachable" agent_inactive a1
detect=$(($(now_ms) - t0))
log "a1 marked unreachable after $detect ms"
[ "$detect" -le $((bound + slack)) ] ||
	fail "a1 marked unreachable after $detect ms; the liveness bound is ~$bound ms (ping ${PING_INTERVAL}s x ${MAX_MISSED}+1)"

total=$(total_cpus)
[ "$total" = 1 ] || fail "total cpus with a1 unreachable is $total, want 1 (a2 only)"
m_cli agents >"$T/agents.txt" 2>&1 || true
log "mosaic agents during the partition:"$'\n'"$(cat "$T/agents.txt")"

# The one-shot framework hears TASK_LOST and fails.
expect_run_lost "$runpid" "$T/victim.out" "the lost task"
lost_state() { m_cli tasks --all --json | jq -e 'any(.[]; .name == "victim" and (.state == "TASK_LOST" or .state == "TASK_UNREACHABLE"))'; }
wait_for 5 "the master to list task victim as lost" lost_state

# mbatchd heard it too: the job goes back to the queue and, 1 cpu being
# free on a2, starts again there.
job_on_a2() { [ "$(job_field "$job" state)" = RUNNING ] && [ "$(job_field "$job" node)" = a2 ]; }
wait_for 20 "batch job $job to be requeued and run on a2" job_on_a2
log "batch job $job requeued onto a2: $(mbatch queue 2>&1 | tail -n +2 | tr -s ' ')"

# The cut-off agent did not kill anything by itself.
kill -0 "$vpid" 2>/dev/null || fail "the victim's process died during the partition"
kill -0 "$jpid" 2>/dev/null || fail "the batch job's first process died during the partition"
check_deadline

# Hold the partition PARTITION_SECONDS in all (default 17): long enough
# for TCP's retransmission back-off on the connections across it to reach
# 13 s, and timed so that both the master's connection to a1 (whose first
# lost segment is a ping, soon after the cut) and a1's to the master (first
# lost: its ReregisterAgent, ~2.5 s later) are seconds away from their next
# retry at the heal. A healing that waited out that back-off shows.
hold_ms=$((${PARTITION_SECONDS:-17} * 1000 - ($(now_ms) - t0)))
if [ "$hold_ms" -gt 0 ]; then
	log "holding the partition $hold_ms ms more"
	nap "$hold_ms"
fi
check_deadline

# ---- heal ----
tcp_debug m
tcp_debug a1
t1=$(now_ms)
heal a1
log "a1 healed after a $((t1 - t0)) ms partition"
wait_for 30 "a1 to re-register" agent_active a1
back=$(($(now_ms) - t1))
log "a1 active again after $back ms"
# The agent retries its registration at least every 5 s, each time on a
# fresh connection (not the one that was retransmitting into the
# partition, whose TCP back-off can be as long as the partition); so it
# is back within that, plus our polling.
[ "$back" -le 7000 ] || fail "a1 re-registered only $back ms after the heal (its retries come every 5 s at most," \
	"each on a fresh connection: src/agent/agent.c reg_timer_cb)"
id_now=$(agent_json a1 | jq -r .id)
[ "$id_now" = "$a1_id" ] || fail "a1 came back as $id_now, not $a1_id (re-registration expected, not a new agent)"
wait_for 5 "the pool to total 4 cpus again" test "$(total_cpus)" = 4

# Once a1 is back, the master's kills reach it at once (on a connection of
# their own, not the one that was retransmitting into the partition).
gone() { ! kill -0 "$1" 2>/dev/null; }
wait_for 5 "the victim task (pid $vpid; its framework was removed) to be killed on a1" gone "$vpid"
wait_for 5 "the batch job's first run (pid $jpid; given up by the master) to be killed on a1" gone "$jpid"
log "both given-up tasks killed on a1 $(($(now_ms) - t1)) ms after the heal"

# Healed is healed: the master hears a1's pongs again, so a1 stays active
# (no second loss once the back-off on old connections runs out).
for _ in $(seq 1 10); do
	agent_active a1 >/dev/null || fail "a1 unreachable again $(($(now_ms) - t1)) ms after the heal"
	sleep 0.5
done
n_lost=$(grep -c "agent $a1_id (a1) lost" "$CLUSTER/master.log" || true)
[ "$n_lost" = 1 ] || fail "the master lost a1 $n_lost times, want once: $(grep "agent $a1_id" "$CLUSTER/master.log" | grep -v DEBUG)"
# The killed run's TASK_KILLED, forwarded to mbatchd, is for a task the
# job no longer runs: the job goes on with its run on a2.
# ...and only they: the job's second run on a2 goes on.
jpid2=$(sed -n 2p "$T/job.pids")
[ -n "$jpid2" ] && kill -0 "$jpid2" 2>/dev/null || fail "the batch job's run on a2 (pid '$jpid2') is gone"
in_ns "$jpid2" a2 || fail "the batch job's second run (pid $jpid2) is not in a2's namespace"
[ "$(job_field "$job" state)" = RUNNING ] || fail "batch job $job is $(job_field "$job" state) after the heal, want RUNNING"
n_runs=$(wc -l <"$T/job.pids")
[ "$n_runs" = 2 ] || fail "batch job $job started $n_runs times, want 2: $(cat "$T/job.pids")"

# a1 takes new work (2 cpus fit only there).
out=$(MOSAIC_MASTER=$MASTER_URL nsrun m timeout 45 "$BIN/mosaic" run --json --name after --cpus 2 --timeout 30s -- \
	sh -c 'echo ok-$$' 2>"$T/after.err") || fail "a task after the heal failed: $out $(cat "$T/after.err")"
host=$(jq -r .hostname <<<"$out")
[ "$host" = a1 ] || fail "the task after the heal ran on '$host', want a1: $out"
log "a new task ran on a1 after the heal"

grep -E "agent $a1_id .*(killing task|shutting down framework)" "$CLUSTER/master.log" | sed 's/^/  master: /' || true
mbatch cancel "$job" >/dev/null 2>&1 || true
pass
