#!/usr/bin/env bash
# ci: slow (a long scenario: the sanitizer pass skips it)
# An agent killed with SIGKILL while it runs two jobs: the one that may be
# requeued runs again on the other agent and completes there (its restart
# count visible to it and in `mbatch show`); the one submitted with
# --no-requeue ends NODE_FAIL.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/batch_lib.sh"

cluster_up --agents 2 --agent-resources 'cpus:4;mem:2048;disk:1000'
W=$T/work
mkdir -p "$W"
enter "$W"

job='echo "run on $SLURM_JOB_NODELIST restart=$SLURM_RESTART_COUNT"; sleep 8; echo done'
running() { [ "$(job_state "$1")" = RUNNING ]; }
a=$(mbatch submit --parsable -c 2 -J victim -o 'victim-%j.out' --wrap "$job")
wait_for 20 "the first job to run" running "$a"
b=$(mbatch submit --parsable -c 2 -J fragile --no-requeue -o 'fragile-%j.out' --wrap "$job")
wait_for 20 "the second job to run" running "$b"
host=$(job_field "$a" node)
[ "$(job_field "$b" node)" = "$host" ] || fail "the jobs landed on different agents: $host and $(job_field "$b" node)"
log "both jobs run on $host; killing it with SIGKILL"
kill -9 "$(cat "$CLUSTER/$host.pid")"

wait_job 45 "$a" COMPLETED
wait_job 10 "$b" NODE_FAIL
other=$(job_field "$a" node)
[ "$other" != "$host" ] || fail "the requeued job completed on the lost agent $host"
[ "$(job_field "$a" restarts)" = 1 ] || fail "restart count $(job_field "$a" restarts), want 1"
grep -qx "run on $other restart=1" "victim-$a.out" || fail "no second run on $other: $(cat "victim-$a.out")"
[ "$(grep -c "restart=1" "victim-$a.out")" = 1 ] || fail "the requeued job ran more than once: $(cat "victim-$a.out")"
job_field "$b" message | grep -q "no-requeue" || fail "NODE_FAIL without its reason: $(job_field "$b" message)"
mbatch history -j "$a,$b" | grep -q "NODE_FAIL" || fail "history: $(mbatch history -j "$a,$b")"

log "new jobs go to the agent left"
c=$(mbatch submit --parsable --wrap 'echo $SLURM_JOB_NODELIST')
wait_job 20 "$c" COMPLETED
[ "$(cat "mbatch-$c.out")" = "$other" ] || fail "a new job ran on $(cat "mbatch-$c.out")"

pass
