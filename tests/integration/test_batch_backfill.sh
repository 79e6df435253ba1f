#!/usr/bin/env bash
# The queue's policy on one agent of 4 cpus: priority first; a job that
# fits nowhere reserves the agent (reason Resources); a short job with a
# time limit that ends before that reservation starts at once (backfill);
# a job without a limit, which would delay it, waits (reason Priority);
# --exclusive waits for an empty agent.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/batch_lib.sh"

cluster_up --agents 1 --agent-resources 'cpus:4;mem:4096;disk:1000'
W=$T/work
mkdir -p "$W"
enter "$W"

running() { [ "$(job_state "$1")" = RUNNING ]; }
start_of() { mbatch show "$1" --json | jq '.[0].start_time'; }
end_of() { mbatch show "$1" --json | jq '.[0].end_time'; }
before() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x <= y) }'; }

log "a 3-cpu job runs; a 4-cpu job of higher priority must wait for it"
big=$(mbatch submit --parsable -c 3 -t 0:30 -J big --wrap 'sleep 6')
wait_for 20 "the 3-cpu job to run" running "$big"
whole=$(mbatch submit --parsable -c 4 --priority=10 -J whole --wrap 'sleep 1')
short=$(mbatch submit --parsable -c 1 -t 0:03 -J short --wrap 'sleep 1')
open=$(mbatch submit --parsable -c 1 -J open --wrap 'sleep 1')
low=$(mbatch submit --parsable -c 4 --priority=1 -J low --wrap 'sleep 1')
high=$(mbatch submit --parsable -c 4 --priority=5 -J high --wrap 'sleep 1')
excl=$(mbatch submit --parsable -c 1 --exclusive --priority=0 -J excl --wrap 'sleep 1')

wait_for 20 "the short job to be backfilled" job_ended "$short"
[ "$(job_state "$short")" = COMPLETED ] || fail "short: $(job_state "$short")"
[ "$(job_state "$whole")" = PENDING ] || fail "the 4-cpu job is $(job_state "$whole") while the 3-cpu job runs"
[ "$(job_field "$whole" reason)" = Resources ] || fail "the reserved job's reason: $(job_field "$whole" reason)"
[ "$(job_state "$open")" = PENDING ] || fail "the job without a time limit did not wait: $(job_state "$open")"
[ "$(job_field "$open" reason)" = Priority ] || fail "the unlimited job's reason: $(job_field "$open" reason)"
[ "$(job_state "$big")" = RUNNING ] || fail "the short job did not run beside the 3-cpu job"

for j in $big $whole $open $low $high $excl; do wait_job 60 "$j" COMPLETED; done
before "$(end_of "$big")" "$(start_of "$whole")" || fail "the 4-cpu job started before the 3-cpu job ended"
before "$(start_of "$whole")" "$(start_of "$open")" || fail "the unlimited 1-cpu job delayed the reserved job"
before "$(end_of "$whole")" "$(start_of "$high")" || fail "priority 5 started before priority 10 ended"
before "$(end_of "$high")" "$(start_of "$low")" || fail "priority 1 started before priority 5 ended"
# --exclusive: nothing else on the agent while it runs.
es=$(start_of "$excl")
ee=$(end_of "$excl")
for j in $big $whole $short $open $low $high; do
	s=$(start_of "$j")
	e=$(end_of "$j")
	before "$e" "$es" || before "$ee" "$s" || fail "job $j ran beside the exclusive job"
done

pass
