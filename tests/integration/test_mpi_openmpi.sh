#!/usr/bin/env bash
# mmpirun with OpenMPI: the ring example across 3 agents gives the right
# token; OpenMPI's daemons and ranks run inside the gang's tasks, each rank
# bound to cores its task was given (checked in /proc against the cpus the
# agent reported for the task); a failing rank's exit code comes back;
# --tag-output prefixes lines with the rank.
source "$(dirname "$0")/lib.sh" "$1"

if ! command -v mpirun >/dev/null 2>&1; then
	echo "SKIP: $TEST_NAME: OpenMPI's mpirun is not installed (scripts/install-deps.sh --mpi)"
	trap - EXIT
	rm -rf "$T"
	exit 77
fi
RING=$BUILD/examples/mpi/ring
if [ ! -x "$RING" ]; then
	echo "SKIP: $TEST_NAME: $RING not built (configure with -DMOSAIC_WITH_MPI=ON)"
	trap - EXIT
	rm -rf "$T"
	exit 77
fi
cluster_up --agents 3 --agent-resources 'cpus:2;mem:1024;disk:1000'
mmpirun() { (cd "$T" && exec timeout 80 "$BIN/mmpirun" "$@"); }

# Each rank reports its pid, the agent it is on and the PUs it may use,
# then becomes the ring (exec: same process, same binding).
cat >"$T/ring.sh" <<SH
#!/bin/sh
echo "bind rank=\$OMPI_COMM_WORLD_RANK pid=\$\$ agent=\$MOSAIC_AGENT_HOSTNAME allowed=\$(awk '/^Cpus_allowed_list/ { print \$2 }' /proc/\$\$/status)"
exec "$RING" 50
SH
chmod +x "$T/ring.sh"

log "the ring across 3 agents, 2 ranks each, bound to cores"
mmpirun --launcher openmpi -v --bind-to core -n 6 "$T/ring.sh" >"$T/ring.out" 2>"$T/ring.err" ||
	fail "the ring failed ($?): $(grep -v INFO "$T/ring.err" | tail -20)"
grep -q "^ring: 50 rounds over 6 ranks .*: token = 750, expected 750: ok$" "$T/ring.out" ||
	fail "the ring's result: $(cat "$T/ring.out")"
grep -q -- "--host agent[123]:2,agent[123]:2,agent[123]:2 " "$T/ring.err" || fail "mpirun's host list: $(grep running: "$T/ring.err")"
grep -q "plm_rsh_agent $BIN/mosaic-mpi-rsh" "$T/ring.err" || fail "mpirun did not use our launch agent"

# The cores the agent bound each task to, from its status updates.
declare -A task_cpus
while read -r agent cpus; do task_cpus[$agent]=$cpus; done < <(
	sed -n 's/.*task a1-p[0-9]* RUNNING on \(agent[0-9]*\) (pid [0-9]*, cpus \([0-9,-]*\)).*/\1 \2/p' "$T/ring.err")
[ "${#task_cpus[@]}" = 3 ] || fail "want 3 bound tasks, the agents reported: $(grep RUNNING "$T/ring.err")"

# "0-2,5" -> "0 1 2 5"
expand() { tr ',' '\n' <<<"$1" | awk -F- '{ for (i = $1; i <= ($2 == "" ? $1 : $2); i++) print i }' | sort -n | tr '\n' ' '; }
declare -A seen
n=0
while read -r _ rank pid agent allowed; do
	rank=${rank#rank=} agent=${agent#agent=} allowed=${allowed#allowed=}
	tc=${task_cpus[$agent]:-}
	[ -n "$tc" ] || fail "rank $rank ran on $agent, which has no task of the gang"
	for c in $(expand "$allowed"); do
		grep -qw "$c" <<<"$(expand "$tc")" || fail "rank $rank on $agent may use cpu $c, outside its task's cpus $tc"
		key="$agent:$c"
		[ -z "${seen[$key]:-}" ] || fail "ranks ${seen[$key]} and $rank on $agent share cpu $c"
		seen[$key]=$rank
	done
	n=$((n + 1))
	log "rank $rank (pid ${pid#pid=}) on $agent: cpus $allowed, task cpus $tc"
done < <(grep '^bind ' "$T/ring.out")
[ $n = 6 ] || fail "want 6 ranks reporting their binding: $(grep '^bind' "$T/ring.out")"
# OpenMPI's orted ran inside the tasks: no orted outside them remains.
! pgrep -x orted >/dev/null || fail "an orted is still running: $(pgrep -a -x orted)"

log "a failing rank's exit code; --tag-output"
set +e
# Rank 2 fails a moment after the others have spoken: a failing rank ends
# the gang, and ranks still starting would be killed before their line.
mmpirun -n 4 --tag-output sh -c 'echo hi from $OMPI_COMM_WORLD_RANK; [ $OMPI_COMM_WORLD_RANK = 2 ] && { sleep 2; exit 5; }; exit 0' >"$T/fail.out" 2>"$T/fail.err"
rc=$?
set -e
[ $rc = 5 ] || fail "a rank exiting 5: mmpirun exited $rc: $(cat "$T/fail.err")"
for r in 0 1 2 3; do
	grep -q "^\[$r\] hi from $r$" "$T/fail.out" || fail "no tagged line of rank $r: $(cat "$T/fail.out")"
done

log "the allreduce example, 4 ranks on 2 agents (--ppn 2)"
ALLREDUCE=$BUILD/examples/mpi/allreduce
out=$(mmpirun -n 4 --ppn 2 "$ALLREDUCE" 2>"$T/ar.err") || fail "allreduce failed: $(cat "$T/ar.err")"
grep -q "^allreduce: ok (0 of 4 ranks saw a wrong result)$" <<<"$out" || fail "allreduce: $out"

check_deadline
pass
