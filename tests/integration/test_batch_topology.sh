#!/usr/bin/env bash
# hwloc-aware placement on agents with a synthetic topology (2 sockets x 8
# cores, one NUMA node each): --cpu-bind=cores binds whole cores, seen in
# `mbatch show` and in the Cpus_allowed_list of the job's own process;
# --sockets-per-node/--cores-per-socket lay cores out over sockets;
# --mem-bind=local keeps a job on one NUMA node; a job is placed on the
# agent whose free cores fit its layout; a layout no agent has is refused.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/batch_lib.sh"

cluster_up --agents 2 --agent-resources 'cpus:16;mem:8192;disk:1000' \
	--agent-arg='--topology=pack:2 numa:1 core:8 pu:1'
W=$T/work
mkdir -p "$W"
enter "$W"
running() { [ "$(job_state "$1")" = RUNNING ]; }
# A PU list ("0-3,8") as one number per line.
expand() { tr ',' '\n' <<<"$1" | awk -F- '{ for (i = $1; i <= ($2 == "" ? $1 : $2); i++) print i }'; }
online=$(awk -F- '{ print ($2 == "" ? $1 : $2) + 1 }' /sys/devices/system/cpu/online)
# The agent binds synthetic PU i to online CPU (i mod online CPUs).
os_cpus() { expand "$1" | awk -v n="$online" '{ print $1 % n }' | sort -nu | paste -sd, -; }
allowed() { grep Cpus_allowed_list "/proc/$1/status" | awk '{ print $2 }'; }

log "--cpu-bind=cores: whole cores, in mbatch show and in the job's /proc/PID/status"
one=$(mbatch submit --parsable -c 1 --cpu-bind=cores -J one --wrap 'grep Cpus_allowed_list /proc/self/status; sleep 20')
two=$(mbatch submit --parsable -c 1 --cpu-bind=cores -J two --wrap 'grep Cpus_allowed_list /proc/self/status; sleep 20')
wait_for 20 "the bound jobs to run" running "$one"
wait_for 20 "the bound jobs to run" running "$two"
wait_for 10 "their pids" bash -c "[ -n \"\$(mbatch show $one --json | jq -r '.[0].pid // empty')\" ]"
for j in $one $two; do
	b=$(job_field "$j" cpus_bound)
	pid=$(job_field "$j" pid)
	[ -n "$b" ] && [ "$(expand "$b" | wc -l)" = 1 ] || fail "job $j is bound to '$b', want one PU"
	mbatch show "$j" | grep -q "CpusBound=$b " || fail "mbatch show lacks CpusBound=$b: $(mbatch show "$j")"
	want=$(os_cpus "$b")
	got=$(allowed "$pid")
	[ "$got" = "$want" ] || fail "job $j (pid $pid): Cpus_allowed_list $got, want $want (bound to PU $b)"
	log "job $j: PU $b -> CPU $got, pid $pid"
done
if [ "$(job_field "$one" node)" = "$(job_field "$two" node)" ]; then
	[ "$(job_field "$one" cpus_bound)" != "$(job_field "$two" cpus_bound)" ] || fail "two jobs bound to the same core"
fi
mbatch cancel "$one" "$two"
wait_job 20 "$one" CANCELLED
wait_job 20 "$two" CANCELLED
sleep 1 # the agents' free cores come back in their next offers

log "--sockets-per-node=2 --cores-per-socket=3: three cores on each socket"
lay=$(mbatch submit --parsable --sockets-per-node=2 --cores-per-socket=3 -J lay --wrap 'sleep 15')
wait_for 20 "the layout job to run" running "$lay"
b=$(job_field "$lay" cpus_bound)
[ "$(expand "$b" | awk '$1 < 8' | wc -l)" = 3 ] && [ "$(expand "$b" | awk '$1 >= 8' | wc -l)" = 3 ] ||
	fail "layout 2x3 bound to $b"
[ "$(job_field "$lay" cpus)" = 6 ] || fail "a 2x3 layout should hold 6 cpus, not $(job_field "$lay" cpus)"
mbatch cancel "$lay"
wait_job 20 "$lay" CANCELLED
sleep 1

log "a layout goes to the agent whose free cores fit it, not to the best fit by cpus"
skew=$(mbatch submit --parsable --sockets-per-node=1 --cores-per-socket=6 -J skew --wrap 'sleep 15')
wait_for 20 "the 1x6 job to run" running "$skew"
skew_host=$(job_field "$skew" node)
sleep 1
# 2x4 needs 8 cpus: the 1x6 job's agent has 10 free (the snugger fit by
# cpus) but only 2 free cores on one of its sockets.
wide=$(mbatch submit --parsable --sockets-per-node=2 --cores-per-socket=4 -J wide --wrap 'sleep 1')
wait_job 30 "$wide" COMPLETED
[ "$(job_field "$wide" node)" != "$skew_host" ] || fail "the 2x4 job went to $skew_host, whose socket has 2 free cores"
# Placed right the first time, not after the agent refused a wrong choice.
[ "$(job_field "$wide" task_id)" = "mbatch-$wide-1" ] || fail "the 2x4 job needed $(job_field "$wide" task_id)"
mbatch cancel "$skew"
wait_job 20 "$skew" CANCELLED

log "--mem-bind=local: cores and memory on one NUMA node"
numa=$(mbatch submit --parsable -c 4 --mem-bind=local -J numa --wrap 'grep -E "Cpus_allowed_list|Mems_allowed_list" /proc/self/status')
wait_job 30 "$numa" COMPLETED
nb=$(job_field "$numa" numa_bound)
b=$(job_field "$numa" cpus_bound)
[ "$nb" = 0 ] || [ "$nb" = 1 ] || fail "--mem-bind=local bound memory to '$nb'"
[ "$(expand "$b" | awk -v n="$nb" 'int($1 / 8) != n' | wc -l)" = 0 ] || fail "cores $b are not all on NUMA node $nb"
grep -q Cpus_allowed_list "mbatch-$numa.out" || fail "the NUMA job's output: $(cat "mbatch-$numa.out")"

log "a layout no agent has is refused at submit"
expect_refused "9 cores per socket" "more than any agent can ever give" mbatch submit --cores-per-socket=9 --wrap true
expect_refused "3 sockets" "more than any agent can ever give" mbatch submit --sockets-per-node=3 --wrap true

pass
