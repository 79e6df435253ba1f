#!/usr/bin/env bash
# Slurm-style scripts on a real cluster through `mosaic cluster up`'s
# mbatchd: #SBATCH directives honoured (name, cpus, memory, output and error
# files with %x/%j, relative to the submit directory), the job's SLURM_* and
# MBATCH_* environment and arguments, the script exec'd as the job's one
# process (its #! interpreter, straight from the executor), --chdir and
# --export, exit codes as Slurm shows them, --wait, hold/release/cancel, a
# job of another user run as that user (as root), and bad submissions
# refused with a clear message and nothing stored.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/batch_lib.sh"

cluster_up --agents 2 --agent-resources 'cpus:2;mem:1024;disk:1000' --batch-arg=--max-jobs=20 --batch-arg=--any-user

W=$T/work
mkdir -p "$W/logs" "$W/other"
enter "$W"

log "a Slurm script with #SBATCH directives runs with its environment, files and arguments"
cat >sim.sh <<'EOF'
#!/bin/bash
#SBATCH --job-name=sim
#SBATCH -c 2
#SBATCH --mem=256M
#SBATCH -t 00:01:00
#SBATCH -o logs/%x-%j.out
#SBATCH -e logs/%x-%j.err
#SBATCH -p debug
echo "id=$SLURM_JOB_ID mb=$MBATCH_JOB_ID name=$SLURM_JOB_NAME cpus=$SLURM_CPUS_PER_TASK ntasks=$SLURM_NTASKS"
echo "submit=$SLURM_SUBMIT_DIR node=$SLURM_JOB_NODELIST"
echo "pwd=$(pwd)"
echo "args=$*"
echo "myvar=$MYVAR"
echo "zero=${0##*/} mode=$(stat -c %a "$0") parent=$(cat /proc/$PPID/comm) shell=${BASH_VERSION:+bash}"
echo oops >&2
EOF
out=$(MYVAR=42 mbatch submit sim.sh first 'second arg' 2>"$T/warn.out") || fail "submit failed: $out $(cat "$T/warn.out")"
[[ $out =~ ^Submitted\ batch\ job\ ([0-9]+)$ ]] || fail "submit printed '$out'"
id=${BASH_REMATCH[1]}
grep -q "sim.sh:8: .*partition" "$T/warn.out" || fail "no warning for -p: $(cat "$T/warn.out")"
wait_job 30 "$id" COMPLETED
o=logs/sim-$id.out
[ -f "$o" ] || fail "no output file $o: $(ls -R "$W")"
grep -qx "id=$id mb=$id name=sim cpus=2 ntasks=1" "$o" || fail "job environment: $(cat "$o")"
grep -qx "submit=$W node=agent[12]" "$o" || fail "submit dir / node: $(cat "$o")"
grep -qx "pwd=$W" "$o" || fail "the job did not run in its submit directory: $(cat "$o")"
grep -qx "args=first second arg" "$o" || fail "script arguments: $(cat "$o")"
grep -qx "myvar=42" "$o" || fail "--export=ALL did not pass MYVAR: $(cat "$o")"
grep -qx "zero=script mode=700 parent=mosaic-executor shell=bash" "$o" ||
	fail "the script did not run as the executor's child from <sandbox>/script under bash: $(cat "$o")"
grep -qx "oops" "logs/sim-$id.err" || fail "stderr not in logs/sim-$id.err"
! grep -q oops "$o" || fail "stderr went to the output file despite -e"
[ "$(job_field "$id" exit)" = "0:0" ] || fail "exit code of a good job: $(job_field "$id" exit)"
[ "$(job_field "$id" cpus)" = 2 ] && [ "$(job_field "$id" mem_mb)" = 256 ] || fail "cpus/mem: $(mbatch show "$id" --json)"
diff <(mbatch logs "$id") "$o" >/dev/null || fail "mbatch logs differs from $o: $(mbatch logs "$id" 2>&1)"
mbatch logs "$id" --err | grep -qx oops || fail "mbatch logs --err: $(mbatch logs "$id" --err 2>&1)"
mbatch show "$id" >"$T/show.out"
for want in "JobState=COMPLETED" "ExitCode=0:0" "#SBATCH --job-name=sim" "StdOut=$W/$o" "NodeList=agent" "echo oops"; do
	grep -qF -- "$want" "$T/show.out" || fail "mbatch show lacks '$want': $(cat "$T/show.out")"
done

log "mbatch logs -f follows a running job to its end; a script may come on stdin"
id=$(printf '#!/bin/sh\n#SBATCH -J stdin\nfor i in 1 2 3; do echo "line $i"; sleep 1; done\n' | mbatch submit --parsable)
wait_for 20 "the job to start" bash -c "[ \"\$(mbatch show $id --json | jq -r '.[0].state')\" != PENDING ]"
out=$(timeout 30 mbatch logs -f "$id") || fail "mbatch logs -f failed: $out"
[ "$out" = "line 1
line 2
line 3" ] || fail "mbatch logs -f printed: $out"
[ "$(job_state "$id")" = COMPLETED ] && [ "$(job_field "$id" name)" = stdin ] || fail "the stdin job: $(mbatch show "$id")"

log "--chdir runs the job elsewhere; the default output file is mbatch-%j.out there"
id=$(mbatch submit --parsable -D "$W/other" --wrap 'pwd; echo "[$MYVAR]"')
wait_job 30 "$id" COMPLETED
[ "$(cat "other/mbatch-$id.out")" = "$W/other
[]" ] || fail "--chdir job output: $(cat "other/mbatch-$id.out" 2>&1)"

log "--export=NONE passes only the job's own variables"
id=$(MYVAR=7 mbatch submit --parsable --export=NONE --wrap 'echo "[$MYVAR] [$SLURM_JOB_ID]"')
wait_job 30 "$id" COMPLETED
[ "$(cat "mbatch-$id.out")" = "[] [$id]" ] || fail "--export=NONE: $(cat "mbatch-$id.out")"

log "exit codes and signals as Slurm shows them; --wait exits with the job's code"
f=$(mbatch submit --parsable --wrap 'exit 1')
k=$(mbatch submit --parsable --wrap 'kill -9 $$')
wait_job 30 "$f" FAILED
wait_job 30 "$k" FAILED
[ "$(job_field "$f" exit)" = "1:0" ] || fail "exit 1 shows as $(job_field "$f" exit)"
[ "$(job_field "$k" exit)" = "0:9" ] || fail "kill -9 shows as $(job_field "$k" exit)"
mbatch history -j "$f,$k" | grep -Eq "^$f +wrap +[a-z]+ +1 FAILED +1:0" || fail "history: $(mbatch history -j "$f,$k")"
[ "$(mbatch history --noheader -j "$f,$k" | wc -l)" = 2 ] || fail "history --noheader: $(mbatch history --noheader -j "$f,$k")"
set +e
mbatch submit --wait --wrap 'exit 3' >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 3 ] || fail "submit --wait of 'exit 3' exited $rc"

log "hold, release and cancel"
h=$(mbatch submit --parsable -H --wrap 'echo released')
sleep 1
[ "$(job_field "$h" reason)" = Held ] || fail "held job's reason: $(job_field "$h" reason)"
mbatch queue | grep -E "^ +$h .*PD .*\(Held\)" >/dev/null || fail "queue does not show the held job: $(mbatch queue)"
[ "$(mbatch queue -h -j "$h")" = "$(mbatch queue -j "$h" | tail -n +2)" ] || fail "queue -h: $(mbatch queue -h -j "$h")"
mbatch release "$h"
wait_job 30 "$h" COMPLETED
s=$(mbatch submit --parsable -J sleeper --wrap 'sleep 60')
wait_for 20 "the sleeper to run" bash -c "[ \"\$(mbatch show $s --json | jq -r '.[0].state')\" = RUNNING ]"
mbatch cancel --name sleeper
wait_job 20 "$s" CANCELLED
expect_refused "cancelling a finished job" "already completing or completed" mbatch cancel "$s"

log "bad submissions are refused with a clear message, and nothing is stored"
before=$(mbatch history --json | jq length)
expect_refused "a missing script" "cannot read nosuch.sh" mbatch submit nosuch.sh
expect_refused "a directory as script" "cannot read logs: Is a directory" mbatch submit logs
expect_refused "a malformed time" "bad --time '1:2:3:4'" mbatch submit -t 1:2:3:4 --wrap true
expect_refused "a malformed array" "bad --array" mbatch submit --array=3-1 --wrap true
printf '#!/bin/sh\n#SBATCH -J ok\n#SBATCH --frobnicate=2\ntrue\n' >bad.sh
expect_refused "an unknown directive" "bad.sh:3: unsupported option '--frobnicate'" mbatch submit bad.sh
expect_refused "a dependency on an unknown job" "dependency on job 9999: no such job" mbatch submit -d afterok:9999 --wrap true
expect_refused "a job larger than any agent" "more than any agent can ever give" mbatch submit -c 3 --wrap true
expect_refused "a full queue" "the queue is full" mbatch submit --array=1-30 --wrap true
after=$(mbatch history --json | jq length)
[ "$before" = "$after" ] || fail "refused submissions left jobs behind: $before before, $after after"
next=$(mbatch submit --parsable --wrap true)
[ "$next" = $((s + 1)) ] || fail "refused submissions used job ids: the next id is $next, want $((s + 1))"
wait_job 30 "$next" COMPLETED

if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
	log "another user's job runs as that user, from a script that user owns"
	chmod 711 "$T" # nobody reaches its directory and the agents' sandboxes
	N=$T/nobody
	mkdir -p "$N"
	chmod 777 "$N"
	printf '#!/bin/sh\necho "uid=$(id -u) owner=$(stat -c %%U:%%a "$0") args=$*"\n' >"$N/nb.sh"
	id=$(cd "$N" && runuser -u nobody -- env PATH="$PATH" MOSAIC_MASTER="$MOSAIC_MASTER" \
		mbatch submit --parsable nb.sh one 'two three') || fail "submit as nobody failed: $id"
	wait_job 30 "$id" COMPLETED
	[ "$(cat "$N/mbatch-$id.out")" = "uid=65534 owner=nobody:700 args=one two three" ] ||
		fail "nobody's job: $(cat "$N/mbatch-$id.out" 2>&1)"
	[ "$(job_field "$id" user)" = nobody ] || fail "the job's user: $(mbatch show "$id" --json)"
else
	log "skipped: a job of another user (not root, or no runuser)"
fi

log "--json everywhere"
mbatch queue --json | jq -e 'type == "array"' >/dev/null || fail "queue --json"
mbatch history --json | jq -e --arg id "$f" 'any(.[]; .job_id == $id and .state == "FAILED" and .exit_code == 1)' >/dev/null ||
	fail "history --json: $(mbatch history --json)"
mbatch submit --json --wrap true | jq -e '.job_id > 0' >/dev/null || fail "submit --json"
{ mbatch cancel --json "$f" || true; } | jq -e '.[0].ok == false' >/dev/null || fail "cancel --json"
wait_for 30 "the queue to empty" queue_empty

pass
