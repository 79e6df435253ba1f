#!/usr/bin/env bash
# bench_mmpirun.sh BUILD_DIR [RUNS] - figures for the MPI framework on a
# local cluster of real daemons (loopback ports of its own, torn down at
# the end):
#   1. `mmpirun -n 4 ./hello` against OpenMPI's `mpirun -n 4 ./hello` on
#      this machine, alternating runs, median of RUNS (default 10), on a
#      cluster of 3 agents x 2 cpus (the ranks on 2 agents: 2 orteds) and
#      on 1 agent x 4 cpus (1 orted), next to OpenMPI alone launching
#      orteds on the same made-up hosts through a trivial sh launch agent
#      (what remote orteds cost without Mosaic). Target: mmpirun <= 1.3x
#      mpirun.
#   2. an 8-rank gang's wait for resources behind loadfw (1-core tasks of
#      2 s relaunched into every freed core) against the same gang alone,
#      3 times each.
# Needs OpenMPI (mpirun) and a build with -DMOSAIC_WITH_MPI=ON.
set -euo pipefail
BUILD=$(cd "${1:?usage: bench_mmpirun.sh BUILD_DIR [RUNS]}" && pwd)
RUNS=${2:-10}
BIN=$BUILD/bin
HELLO=$BUILD/bench/mpi/hello
GANG=$BUILD/examples/mpi/gang_hello
LOADFW=$BUILD/tests/bin/loadfw
command -v mpirun >/dev/null || { echo "bench_mmpirun: OpenMPI's mpirun is not installed" >&2; exit 77; }
for f in "$HELLO" "$GANG" "$LOADFW" "$BIN/mmpirun"; do
	[ -x "$f" ] || { echo "bench_mmpirun: $f is missing (build with -DMOSAIC_WITH_MPI=ON)" >&2; exit 1; }
done
export PATH=$BIN:$PATH
D=$(mktemp -d /tmp/mosaic-bench-mpi.XXXXXX)
free_port() {
	local p
	for _ in $(seq 1 50); do
		# below Linux's ephemeral ports (32768-60999), where outgoing
		# connections and port-0 listeners take theirs, even as p + 1010
		# (mbatchd's port beside a master's)
		p=$((20000 + RANDOM % 11000))
		ss -ltnH "( sport = :$p or sport = :$((p + 1010)) )" | grep -q . || { echo "$p"; return; }
	done
	return 1
}
CLUSTER=""
down() { [ -z "$CLUSTER" ] || mosaic cluster down --dir "$CLUSTER" >/dev/null 2>&1 || true; CLUSTER=""; }
trap 'down; rm -rf "$D" "${RSH_TMP:-}"' EXIT
up() {
	down
	CLUSTER=$D/cluster-$1
	local mp
	mp=$(free_port)
	HTTP_PORT=$(free_port)
	export MOSAIC_MASTER=tcp://127.0.0.1:$mp
	mosaic cluster up --dir "$CLUSTER" --master-port "$mp" --http-port "$HTTP_PORT" --agents "$2" --agent-resources "$3" >/dev/null
}
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ROOT=()
[ "$(id -u)" = 0 ] && ROOT=(--allow-run-as-root)

# OpenMPI by itself on the same made-up hosts, orted started by a trivial
# launch agent (sh, no Mosaic): the cost of remote orteds alone.
cat >"$D/sh-rsh" <<'SH'
#!/bin/sh
host=$1
shift
mkdir -p "$RSH_TMP/$host"
export OMPI_MCA_orte_tmpdir_base=$RSH_TMP/$host OMPI_MCA_btl_vader_backing_directory=$RSH_TMP/$host
exec /bin/sh -c "$*"
SH
chmod +x "$D/sh-rsh"
# on tmpfs where there is one, as mosaic-mpi-proxy does for its orted
RSH_TMP=$D/rsh
[ -w /dev/shm ] && RSH_TMP=$(mktemp -d /dev/shm/mosaic-bench-rsh.XXXXXX)
export RSH_TMP

timed() { # FILE COMMAND...: appends the wall time of COMMAND
	local f=$1 t
	shift
	t=$(now)
	"$@" >/dev/null
	awk -v a="$t" -v b="$(now)" 'BEGIN { print b - a }' >>"$f"
}

# launch_bench LABEL HOSTLIST BTL: alternating runs of the three.
launch_bench() {
	local label=$1 hosts=$2 btl=$3 i
	: >"$D/m.times"
	: >"$D/o.times"
	: >"$D/r.times"
	for i in $(seq 1 "$RUNS"); do
		timed "$D/m.times" mmpirun -n 4 "$HELLO"
		timed "$D/o.times" mpirun "${ROOT[@]}" --oversubscribe -n 4 "$HELLO"
		timed "$D/r.times" mpirun "${ROOT[@]}" --host "$hosts" -n 4 --bind-to none --mca plm_rsh_agent "$D/sh-rsh" \
			--mca plm_rsh_no_tree_spawn 1 --leave-session-attached --mca oob_tcp_if_include lo \
			--mca btl_tcp_if_include lo --mca mpi_yield_when_idle 1 --mca btl "$btl" "$HELLO"
	done
	local m o r
	m=$(median <"$D/m.times")
	o=$(median <"$D/o.times")
	r=$(median <"$D/r.times")
	printf '%s (median of %d)\n' "$label" "$RUNS"
	printf '  mmpirun -n 4 ./hello                     %.3f s  (min %.3f, max %.3f)\n' "$m" \
		"$(sort -g "$D/m.times" | head -1)" "$(sort -g "$D/m.times" | tail -1)"
	printf '  mpirun -n 4 ./hello                      %.3f s\n' "$o"
	printf '  mpirun --host %-18s (sh rsh)  %.3f s  (OpenMPI with remote orteds, no Mosaic)\n' "$hosts" "$r"
	printf '  ratio mmpirun / mpirun: %.2fx (target <= 1.3x); remote orteds alone: %.2fx\n' \
		"$(awk -v m="$m" -v o="$o" 'BEGIN { print m / o }')" "$(awk -v r="$r" -v o="$o" 'BEGIN { print r / o }')"
}

echo "machine: $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg), $(mpirun --version | head -1)"
echo "== launch: mmpirun -n 4 ./hello vs mpirun -n 4 ./hello"
up a3 3 'cpus:2;mem:1024;disk:1000'
mmpirun -n 4 "$HELLO" >/dev/null # warm: page cache, the agents' first executor
mpirun "${ROOT[@]}" --oversubscribe -n 4 "$HELLO" >/dev/null
launch_bench "3 agents x 2 cpus: the ranks on 2 agents (2 orteds)" agent1:2,agent2:2 self,vader,tcp
up a1 1 'cpus:4;mem:2048;disk:1000'
mmpirun -n 4 "$HELLO" >/dev/null
launch_bench "1 agent x 4 cpus (1 orted)" agent1:4 self,vader

echo "== gang wait: an 8-rank gang behind a stream of 1-core tasks vs alone (4 agents x 2 cpus)"
up g4 4 'cpus:2;mem:1024;disk:1000'
waited() { sed -n 's/.*done (exit 0): waited \([0-9.]*\) s for resources.*/\1/p' "$1"; }
: >"$D/alone"
: >"$D/starved"
for i in 1 2 3; do
	mmpirun --launcher generic -v -n 8 "$GANG" >/dev/null 2>"$D/g.err"
	waited "$D/g.err" >>"$D/alone"
	"$LOADFW" --name stream --role batch --cpus 1 --mem 64 --task-seconds 2 --run-seconds 35 >"$D/load.out" 2>&1 &
	lp=$!
	for _ in $(seq 1 100); do # until the stream fills all 8 slots (20 s at most)
		n=$(curl -sf "http://127.0.0.1:$HTTP_PORT/api/state" | jq '[.tasks[] | select(.state == "TASK_RUNNING")] | length' || echo 0)
		[ "$n" -ge 8 ] && break
		sleep 0.2
	done
	mmpirun --launcher generic -v --timeout 30 -n 8 "$GANG" >/dev/null 2>"$D/g.err" || echo "(run $i: the gang did not start within 30 s)"
	waited "$D/g.err" >>"$D/starved"
	kill -0 "$lp" 2>/dev/null || echo "(run $i: loadfw had stopped before the gang ran)"
	wait "$lp" || true
	printf "  run %d: alone %.3f s, behind the stream %.3f s (loadfw: %s)\n" "$i" "$(tail -1 "$D/alone")" "$(tail -1 "$D/starved" || echo nan)" "$(grep launched= "$D/load.out")"
done
printf 'gang wait, median of 3: alone %.3f s, behind the stream %.3f s\n' "$(median <"$D/alone")" "$(median <"$D/starved")"
