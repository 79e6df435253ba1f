#!/usr/bin/env bash
# Time limits are enforced by mbatchd: a job still running at its limit is
# killed (SIGTERM, then SIGKILL) and ends TIMEOUT, with what it wrote so
# far; a job within its limit completes; Slurm's time syntaxes are read.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/batch_lib.sh"

cluster_up --agents 1 --agent-resources 'cpus:2;mem:1024;disk:1000'
W=$T/work
mkdir -p "$W"
enter "$W"

cat >slow.sh <<'EOF2'
#!/bin/bash
#SBATCH --time=0:04
#SBATCH --output=slow-%j.out
echo started
sleep 40
echo never
EOF2
log "a job past its limit of 4 s is killed and ends TIMEOUT"
t0=$(date +%s)
slow=$(mbatch submit --parsable slow.sh)
quick=$(mbatch submit --parsable -t 00:00:30 --wrap 'sleep 1; echo in time')
wait_job 30 "$slow" TIMEOUT
t1=$(date +%s)
wait_job 30 "$quick" COMPLETED
el=$(mbatch show "$slow" --json | jq '.[0].end_time - .[0].start_time')
awk -v e="$el" 'BEGIN { exit !(e >= 3.9 && e < 10) }' || fail "the timed-out job ran $el s with a 4 s limit"
[ $((t1 - t0)) -lt 20 ] || fail "the timeout took $((t1 - t0)) s to be noticed"
[ "$(cat "slow-$slow.out")" = started ] || fail "output of the timed-out job: $(cat "slow-$slow.out")"
ex=$(job_field "$slow" exit)
[ "$ex" = "0:15" ] || [ "$ex" = "0:9" ] || fail "the timed-out job's exit code is $ex, want 0:15 or 0:9"
mbatch show "$slow" | grep -q "TimeLimit=00:00:04" || fail "show: $(mbatch show "$slow")"
mbatch history -j "$slow" | grep -q " TIMEOUT " || fail "history: $(mbatch history -j "$slow")"
grep -qx "in time" "mbatch-$quick.out" || fail "the quick job's output: $(cat "mbatch-$quick.out")"

log "--begin=now+3: the job waits (reason BeginTime) and starts after that"
t0=$(date +%s.%N)
b=$(mbatch submit --parsable --begin=now+3 --wrap true)
sleep 1
[ "$(job_field "$b" reason)" = BeginTime ] || fail "the --begin job's reason: $(job_field "$b" reason)"
wait_job 20 "$b" COMPLETED
# --begin has whole seconds: now+3 is at least 2 s away.
awk -v s="$(mbatch show "$b" --json | jq '.[0].start_time')" -v t="$t0" 'BEGIN { exit !(s >= t + 1.95) }' ||
	fail "the --begin=now+3 job started too early"

log "Slurm's time formats"
for spec in "1" "0:30" "1:00:00" "1-0" "2-3:04" "1-2:03:04" "UNLIMITED"; do
	id=$(mbatch submit --parsable -H -t "$spec" --wrap true)
	lim=$(job_field "$id" time_limit)
	case "$spec" in
	1) want=60 ;; 0:30) want=30 ;; 1:00:00) want=3600 ;; 1-0) want=86400 ;;
	2-3:04) want=$((2 * 86400 + 3 * 3600 + 4 * 60)) ;; 1-2:03:04) want=$((86400 + 7200 + 184)) ;;
	UNLIMITED) want=-1 ;;
	esac
	[ "$lim" = "$want" ] || fail "--time=$spec gave $lim s, want $want"
	mbatch cancel "$id"
done

pass
