#!/usr/bin/env bash
# Job arrays and dependencies on a real cluster: an array with a %2
# throttle runs every task once, with its index, never more than two at a
# time; afterok / afterany / afternotok chains and dependencies on a whole
# array or one task of it run in the right order; singleton jobs of one
# name never overlap; a dependency that can no longer be met says so.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/batch_lib.sh"

cluster_up --agents 2 --agent-resources 'cpus:4;mem:2048;disk:1000'
W=$T/work
mkdir -p "$W"
enter "$W"

# Each job appends "<name> <start> <end>" (epoch seconds) to order.txt.
stamp='s=$(date +%s.%N); sleep ${NAP:-0.5}; echo "$MBATCH_JOB_NAME $s $(date +%s.%N)" >>order.txt'

log "an array with %2: every task once, with its index, at most two at a time"
arr=$(mbatch submit --parsable --array=0-7%2 -J arr -o 'arr-%A_%a.out' \
	--wrap 'echo "task=$SLURM_ARRAY_TASK_ID of=$SLURM_ARRAY_JOB_ID id=$SLURM_JOB_ID n=$SLURM_ARRAY_TASK_COUNT"; sleep 1')
sleep 0.5
mbatch queue | grep -q "${arr}_\[.*\] .*(JobArrayTaskLimit)" || fail "queue does not fold the throttled tasks: $(mbatch queue)"

log "dependencies: a chain, a failure path, a whole array and one task of it"
a=$(NAP=3 mbatch submit --parsable -J A --wrap "$stamp")
b=$(mbatch submit --parsable -J B -d "afterok:$a" --wrap "$stamp")
c=$(mbatch submit --parsable -J C --dependency="afterany:$b" --wrap "$stamp")
never=$(mbatch submit --parsable -J N -d "afternotok:$a" --wrap "$stamp")
after_all=$(mbatch submit --parsable -J E -d "afterok:$arr" --wrap "$stamp")
after_one=$(mbatch submit --parsable -J F -d "afterok:${arr}_1" --wrap "$stamp")
fails=$(mbatch submit --parsable -J X --wrap 'exit 2')
on_fail=$(mbatch submit --parsable -J Y -d "afternotok:$fails" --wrap "$stamp")
s1=$(NAP=1 mbatch submit --parsable -J solo -d singleton --wrap "$stamp")
s2=$(NAP=1 mbatch submit --parsable -J solo -d singleton --wrap "$stamp")
sleep 0.5
[ "$(job_field "$b" reason)" = Dependency ] || fail "B waits with reason $(job_field "$b" reason)"

for j in $a $b $c $after_all $after_one $on_fail $s1 $s2; do wait_job 40 "$j" COMPLETED; done
wait_job 10 "$fails" FAILED
wait_for 10 "N to be never satisfiable" bash -c "[ \"\$(mbatch show $never --json | jq -r '.[0].reason')\" = DependencyNeverSatisfied ]"
[ "$(job_state "$never")" = PENDING ] || fail "N is $(job_state "$never"), want PENDING"
mbatch cancel "$never"
wait_job 10 "$never" CANCELLED
! grep -q "^N " order.txt || fail "the afternotok job of a good job ran"

log "the array ran every task once, in its own files"
for i in 0 1 2 3 4 5 6 7; do
	f=arr-${arr}_$i.out
	[ -f "$f" ] || fail "no $f: $(ls)"
	grep -qx "task=$i of=$arr id=$((arr + i)) n=8" "$f" || fail "$f: $(cat "$f")"
done
n=$(mbatch history -j "$arr" --json | jq '[.[] | select(.state == "COMPLETED")] | length')
[ "$n" = 8 ] || fail "$n array tasks completed, want 8"
# The most tasks running at any instant, from their start and end times.
most=$(mbatch history -j "$arr" --json | jq '[.[] | [.start_time, 1], [.end_time, -1]] | sort_by(.[0], .[1]) |
	reduce .[] as $e ({n: 0, m: 0}; .n += $e[1] | .m = ([.m, .n] | max)) | .m')
[ "$most" -le 2 ] || fail "$most array tasks ran at once with %2"
[ "$most" -eq 2 ] || fail "never two array tasks at once ($most)"

log "the order: A before B before C; E after every array task; F after task 1"
t() { awk -v n="$1" -v k="$2" '$1 == n { print $k }' order.txt; }
before() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x <= y) }'; }
before "$(t A 3)" "$(t B 2)" || fail "B started before A ended: $(cat order.txt)"
before "$(t B 3)" "$(t C 2)" || fail "C started before B ended: $(cat order.txt)"
last_end=$(mbatch history -j "$arr" --json | jq '[.[].end_time] | max')
first_start_e=$(mbatch show "$after_all" --json | jq '.[0].start_time')
before "$last_end" "$first_start_e" || fail "E started at $first_start_e, before the array ended at $last_end"
end1=$(mbatch show "${arr}_1" --json | jq '.[0].end_time')
before "$end1" "$(mbatch show "$after_one" --json | jq '.[0].start_time')" || fail "F started before ${arr}_1 ended"
grep -q "^Y " order.txt || fail "the afternotok job of a failed job did not run"

log "singleton jobs of one name never overlap"
read -r _ s1b s1e < <(grep "^solo " order.txt | sort -k2 | head -1)
read -r _ s2b _ < <(grep "^solo " order.txt | sort -k2 | tail -1)
before "$s1e" "$s2b" || fail "singleton jobs overlapped: $(grep solo order.txt)"
[ "$(grep -c "^solo " order.txt)" = 2 ] || fail "singleton jobs: $(grep solo order.txt)"

pass
