#!/usr/bin/env bash
# mbatchd killed with SIGKILL while jobs run, wait, and are being submitted,
# then started again as `mosaic cluster up` started it: every job whose id
# a submitter was told is there and ends COMPLETED; none runs twice; jobs
# that ran through the outage keep their one run (reconciled with the
# master, their ends learnt from the agents' retried updates).
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/batch_lib.sh"

cluster_up --agents 2 --agent-resources 'cpus:2;mem:1024;disk:1000'
W=$T/work
mkdir -p "$W"
enter "$W"

# Every run appends "run <job id>" at its start and "end <job id>" at its end.
body='echo "run $SLURM_JOB_ID" >>runs.log; sleep ${NAP:-0}; echo "end $SLURM_JOB_ID" >>runs.log'
running() { [ "$(job_state "$1")" = RUNNING ]; }

log "jobs done, running and waiting before the kill"
ids=()
for i in 1 2 3; do ids+=("$(mbatch submit --parsable --wrap "$body")"); done
for j in "${ids[@]}"; do wait_job 20 "$j" COMPLETED; done
long1=$(NAP=3 mbatch submit --parsable -c 2 --wrap "$body")
long2=$(NAP=8 mbatch submit --parsable -c 2 --wrap "$body")
wait_for 20 "the long jobs to run" bash -c "[ \"\$(mbatch queue -t R --json | jq length)\" = 2 ]"
ids+=("$long1" "$long2")
ids+=("$(mbatch submit --parsable -c 2 --wrap "$body")")
arr=$(mbatch submit --parsable -c 1 --array=0-5 --wrap "$body")
for i in 0 1 2 3 4 5; do ids+=($((arr + i))); done

log "submitting while mbatchd is killed with SIGKILL, and started again"
mbatchd_restart_cmd
: >"$T/told"
: >"$T/untold"
(
	# A submitter whose answer is lost with mbatchd is not told an id:
	# its job may or may not exist (stored, then mbatchd killed before
	# it answered). Told ids must all be there; untold ones may be.
	end=$(($(date +%s) + 8))
	while [ "$(date +%s)" -lt "$end" ]; do
		if id=$(MBATCH_TIMEOUT=2 mbatch submit --parsable --wrap "$body" 2>/dev/null); then
			echo "$id" >>"$T/told"
		else
			echo x >>"$T/untold"
		fi
		sleep 0.1
	done
) &
burst=$!
sleep 1
kill -9 "$(mbatchd_pid)"
expect_refused "submitting with mbatchd down" "cannot reach mbatchd" mbatch submit --wrap true
sleep 3 # long1 ends while mbatchd is away
mbatchd_start_again
wait $burst || true
log "$(wc -l <"$T/told") submissions were told their id, before and after the kill"
mapfile -t more <"$T/told"
ids+=("${more[@]}")
for i in $(seq 1 5); do ids+=("$(mbatch submit --parsable --wrap "$body")"); done
for j in "${ids[@]}"; do wait_job 60 "$j" COMPLETED; done

log "no job lost, none run twice"
mapfile -t known < <(mbatch history --json | jq -r '.[].id')
for j in "${ids[@]}"; do
	printf '%s\n' "${known[@]}" | grep -qx "$j" || fail "job $j, whose id its submitter was told, is unknown"
done
extra=$((${#known[@]} - ${#ids[@]}))
untold=$(wc -l <"$T/untold")
[ "$extra" -le "$untold" ] ||
	fail "mbatchd knows ${#known[@]} jobs: $extra more than the ${#ids[@]} told, but only $untold submissions went unanswered"
[ "$extra" = 0 ] || log "$extra of the $untold unanswered submissions were stored before the kill"
for j in "${known[@]}"; do
	wait_job 60 "$j" COMPLETED
	r=$(grep -cx "run $j" runs.log || true)
	e=$(grep -cx "end $j" runs.log || true)
	[ "$r" = 1 ] && [ "$e" = 1 ] || fail "job $j ran $r times and ended $e times"
done
[ "$(job_field "$long1" state)" = COMPLETED ] && [ "$(job_field "$long1" exit)" = "0:0" ] ||
	fail "the job that ended during the outage: $(mbatch show "$long1")"
[ "$(grep -c '^run ' runs.log)" = "${#known[@]}" ] || fail "runs.log has $(grep -c '^run ' runs.log) runs for ${#known[@]} jobs"
grep -q "subscribed again as framework" "$CLUSTER/mbatchd.log" || fail "mbatchd did not re-subscribe as the same framework"

pass
