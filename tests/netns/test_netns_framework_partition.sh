#!/usr/bin/env bash
# A framework cut off from the master (DESIGN §2 and §6): mbatchd in a
# namespace of its own, the master and two agents in theirs. While jobs run,
# mbatchd's namespace is partitioned for longer than the master's keepalive
# time-out, so the master marks the framework disconnected and mbatchd
# notices the silence. Its tasks must go on (its failover time-out is long),
# their status updates must wait at the agents, and after the heal mbatchd
# must come back as the same framework, learn how the jobs ended and run the
# rest: every job completes, each exactly once, none lost or requeued.
source "$(dirname "$0")/netns_lib.sh" "$1"
[ -x "$BIN/mbatchd" ] && [ -x "$BIN/mbatch" ] || fail "mbatchd/mbatch not built"

net_setup m:1 f:3 a1:11 a2:12

master_start
agent_start 1 a1 'cpus:1;mem:1024;disk:1000'
agent_start 2 a2 'cpus:1;mem:1024;disk:1000'
wait_for 15 "agent a1 to register" agent_active a1
wait_for 15 "agent a2 to register" agent_active a2

# mbatchd's framework end listens on its namespace's address (the master
# answers there); mbatch reaches it on loopback inside the same namespace.
MBATCH_ADDR=tcp://127.0.0.1:6060
MOSAIC_LISTEN_HOST=${NS_ADDR[f]} daemon_start mbatchd f "$BIN/mbatchd" --master "$MASTER_URL" \
	--listen "$MBATCH_ADDR" --state-dir "$CLUSTER/mbatchd" --offer-hold 1s
mbatch() { MBATCH_ADDRESS=$MBATCH_ADDR nsrun f timeout 15 "$BIN/mbatch" "$@"; }
wait_for 15 "mbatchd to answer" mbatch queue
fw_json() { m_cli frameworks --json | jq -e '.[] | select(.name == "mbatch")'; }
wait_for 15 "mbatchd to subscribe" fw_json
fw_id=$(fw_json | jq -r .id)
fw_addr=$(fw_json | jq -r .address)
case "$fw_addr" in "tcp://${NS_ADDR[f]}:"*) ;; *) fail "mbatchd's framework address is $fw_addr, not on ${NS_ADDR[f]}" ;; esac
log "mbatchd subscribed as $fw_id from $fw_addr"

# Six one-cpu jobs of 4 s on two one-cpu agents: two run, four wait.
NJOBS=6
mkdir -p "$T/jobs"
cat >"$T/jobs/job.sh" <<EOF
#!/bin/sh
#MBATCH -c 1 --mem 64
echo "start \$MBATCH_JOB_ID \$\$" >>$T/ran.log
sleep 4
echo "end \$MBATCH_JOB_ID" >>$T/ran.log
EOF
jobs=()
for i in $(seq 1 $NJOBS); do
	j=$(cd "$T/jobs" && mbatch submit --parsable job.sh) || fail "mbatch submit: $j"
	jobs+=("$j")
done
log "submitted jobs ${jobs[*]}"
n_running() { mbatch queue --json | jq '[.[] | select(.state == "RUNNING")] | length'; }
wait_for 20 "two jobs to run" test "$(n_running)" = 2
started_before=$(grep -c '^start' "$T/ran.log" || true)

# ---- partition mbatchd ----
t0=$(now_ms)
partition f
log "mbatchd's namespace partitioned ($PARTITION_MODE)"
fw_inactive() { m_cli frameworks --json | jq -e --arg id "$fw_id" 'any(.[]; .id == $id and .active == false)'; }
# The master's keepalive time-out is 5 s.
wait_for 12 "the master to mark mbatchd disconnected" fw_inactive
log "mbatchd marked disconnected after $(($(now_ms) - t0)) ms"
# Its running tasks go on and end; the master keeps the framework.
hold_ms=$((${PARTITION_SECONDS:-17} * 1000 - ($(now_ms) - t0)))
[ "$hold_ms" -le 0 ] || nap "$hold_ms"
ended_during=$(grep -c '^end' "$T/ran.log" || true)
[ "$ended_during" -ge 2 ] || fail "the jobs running when mbatchd was cut off did not end during the partition ($ended_during ended): $(cat "$T/ran.log")"
started_during=$(grep -c '^start' "$T/ran.log" || true)
[ "$started_during" = "$started_before" ] ||
	fail "jobs started while mbatchd was cut off ($started_before before, $started_during now): $(cat "$T/ran.log")"
m_cli frameworks --json | jq -e --arg id "$fw_id" 'any(.[]; .id == $id)' >/dev/null ||
	fail "the master removed mbatchd's framework during a $((${PARTITION_SECONDS:-17})) s partition"
check_deadline

# ---- heal ----
tcp_debug m
t1=$(now_ms)
heal f
log "mbatchd's namespace healed after a $((t1 - t0)) ms partition"
fw_active() { m_cli frameworks --json | jq -e --arg id "$fw_id" 'any(.[]; .id == $id and .active == true)'; }
wait_for 15 "mbatchd to re-subscribe as $fw_id" fw_active
log "mbatchd active again after $(($(now_ms) - t1)) ms"
n_fw=$(m_cli frameworks --json | jq '[.[] | select(.name == "mbatch")] | length')
[ "$n_fw" = 1 ] || fail "$n_fw mbatch frameworks at the master after the heal, want 1 (the same one)"

# Back, mbatchd hears how its jobs ended and starts the waiting ones at
# once: the master's answers must not wait out TCP's back-off on the
# connection that was retransmitting into the partition.
more_started() { [ "$(grep -c '^start' "$T/ran.log")" -gt "$started_before" ]; }
wait_for 6 "a waiting job to start after the heal" more_started
log "jobs start again $(($(now_ms) - t1)) ms after the heal"

queue_empty() { [ "$(mbatch queue --json | jq length)" = 0 ]; }
# Four jobs of 4 s left on two slots: ~8 s once it is back.
wait_for 40 "every job to end" queue_empty
log "queue empty $(($(now_ms) - t1)) ms after the heal"

for j in "${jobs[@]}"; do
	st=$(mbatch show "$j" --json | jq -r '.[0].state')
	[ "$st" = COMPLETED ] || fail "job $j ended $st, want COMPLETED: $(mbatch show "$j" 2>&1 | head -30)"
	n=$(grep -c "^start $j " "$T/ran.log" || true)
	[ "$n" = 1 ] || fail "job $j started $n times, want once: $(cat "$T/ran.log")"
done
hist=$(mbatch history --json 2>/dev/null | jq length) || hist="?"
log "all $NJOBS jobs COMPLETED once each (history lists $hist)"
grep -E "framework $fw_id .*(disconnected|re-subscribed|subscribed)" "$CLUSTER/master.log" | cut -c12- | sed 's/^/  master: /' || true
pass
