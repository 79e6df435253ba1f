#!/usr/bin/env bash
# The master killed with SIGKILL and started again while batch jobs run and
# wait: mbatchd re-subscribes as the same framework, the agents bring their
# tasks back, and every job completes exactly once.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/batch_lib.sh"

cluster_up --agents 2 --agent-resources 'cpus:2;mem:1024;disk:1000'
W=$T/work
mkdir -p "$W"
enter "$W"

ids=()
for i in 1 2 3 4 5 6; do
	ids+=("$(mbatch submit --parsable --wrap 'echo "run $SLURM_JOB_ID" >>runs.log; sleep 4; echo "end $SLURM_JOB_ID" >>runs.log')")
done
wait_for 20 "four jobs to run" bash -c "[ \"\$(mbatch queue -t R --json | jq length)\" = 4 ]"

log "killing the master with SIGKILL and starting it again"
mpid=$(cat "$CLUSTER/master.pid")
mapfile -t margs < <(tr '\0' '\n' <"/proc/$mpid/cmdline")
kill -9 "$mpid"
sleep 1
setsid "${margs[@]}" >>"$CLUSTER/master.log" 2>&1 </dev/null &
echo $! >"$CLUSTER/master.pid"
ids+=("$(mbatch submit --parsable --wrap 'echo "run $SLURM_JOB_ID" >>runs.log; echo "end $SLURM_JOB_ID" >>runs.log')")

for j in "${ids[@]}"; do wait_job 60 "$j" COMPLETED; done
for j in "${ids[@]}"; do
	[ "$(grep -cx "run $j" runs.log)" = 1 ] && [ "$(grep -cx "end $j" runs.log)" = 1 ] ||
		fail "job $j: $(grep -c " $j\$" runs.log) lines in runs.log: $(cat runs.log)"
done
grep -q "reconnected to the master" "$CLUSTER/mbatchd.log" || fail "mbatchd did not reconnect"
[ "$(mosaic frameworks --json | jq '[.[] | select(.name == "mbatch")] | length')" = 1 ] ||
	fail "the restarted master knows $(mosaic frameworks --json | jq length) batch frameworks"

pass
