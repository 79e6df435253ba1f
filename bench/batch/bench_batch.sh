#!/usr/bin/env bash
# bench_batch.sh - the batch queue's throughput on a 4-agent local cluster:
# trivial jobs (`--wrap true`) submitted as one array and as separate
# `mbatch submit` calls; submits/s, completed jobs/s end to end, and where
# the CPU time of a job goes (per process, from /proc, measured).
#
#   bench/batch/bench_batch.sh BUILD_DIR [--jobs N] [--submits N] [--parallel P] [--agent-cpus C]
#
# 1. --jobs jobs as one array; 2. --submits single-job submissions (held,
# then released together: submits/s apart from running them); 3. --jobs
# jobs as --submits calls of arrays of jobs/submits tasks; 4. one client's
# calls in a row (the latency of one call).
# A figure, not a pass/fail test. It starts its own cluster on free
# loopback ports and stops it at the end.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench_batch.sh BUILD_DIR [--jobs N] [--submits N] [--parallel P] [--agent-cpus C]}" && pwd)
shift
JOBS=10000 SUBMITS=1000 PARALLEL=8 CPUS=64
while [ $# -gt 0 ]; do
	case "$1" in
	--jobs) JOBS=$2 ;;
	--submits) SUBMITS=$2 ;;
	--parallel) PARALLEL=$2 ;;
	--agent-cpus) CPUS=$2 ;;
	*) echo "bench_batch.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
export PATH=$BUILD/bin:$PATH
T=$(mktemp -d /tmp/mosaic-bench-batch.XXXXXX)
CL=$T/cluster

free_port() {
	local p
	for _ in $(seq 1 50); do
		# below Linux's ephemeral ports (32768-60999), where outgoing
		# connections and port-0 listeners take theirs, even as p + 1010
		# (mbatchd's port beside a master's)
		p=$((20000 + RANDOM % 11000))
		ss -ltnH "( sport = :$p or sport = :$((p + 1010)) )" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}
cleanup() {
	cd /
	mosaic cluster down --dir "$CL" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
[ $((JOBS % SUBMITS)) = 0 ] || { echo "bench_batch.sh: --jobs must be a multiple of --submits" >&2; exit 2; }
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; }

MP=$(free_port)
HP=$(free_port)
export MOSAIC_MASTER=tcp://127.0.0.1:$MP
echo "machine: $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg) before the bench"
mosaic cluster up --dir "$CL" --master-port "$MP" --http-port "$HP" --agents 4 \
	--agent-resources "cpus:$CPUS;mem:$((CPUS * 256));disk:1000" --batch-arg=--max-jobs=1000000 >/dev/null
echo "cluster: 4 agents of cpus:$CPUS (one job takes 1 cpu), mbatchd at port $((MP + 1010))"
mkdir -p "$T/work"
cd "$T/work"
mbatch submit --wait -o /dev/null --wrap true >/dev/null

# CPU ticks (user+system) of the cluster's processes, and of the executors'
# children (the jobs themselves, reaped by the executors).
ticks() {
	local p
	for p in $(cat "$CL"/master.pid "$CL"/agent*.pid "$CL"/mbatchd.pid "$CL"/agent*/executors/*/pid 2>/dev/null); do
		local name
		name=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -1 | xargs basename 2>/dev/null) || continue
		awk -v n="$name" '{ print n, $14 + $15, $16 + $17 }' "/proc/$p/stat" 2>/dev/null || true
	done | awk '{ self[$1] += $2; kids[$1] += $3 } END { for (n in self) print n, self[n], kids[n] }' | sort
}

# CPU per job between two ticks snapshots ($1, $2) over $3 jobs.
cpu_report() {
	echo "CPU per completed job, by process (ms; 'jobs' = the executors' children, the jobs themselves):"
	join "$1" "$2" | awk -v n="$3" -v hz="$(getconf CLK_TCK)" '
		{ self = ($4 - $2) * 1000 / hz / n; kids = ($5 - $3) * 1000 / hz / n; tot += self + kids
		  printf "  %-16s %6.2f\n", $1, self; if (kids > 0.001) jk += kids }
		END { printf "  %-16s %6.2f\n  %-16s %6.2f  -> at most %.0f jobs/s per cpu, %.0f on %d cpus, if nothing else ran\n",
		      "jobs", jk, "total", tot, 1000 / tot, 1000 / tot * '"$(nproc)"', '"$(nproc)"' }'
}

echo
echo "== $JOBS jobs as one array"
ticks >"$T/ticks0"
t0=$(now)
id=$(mbatch submit --parsable --array=0-$((JOBS - 1)) -o /dev/null --wrap true)
t1=$(now)
mbatch submit --wait -d "afterany:$id" -o /dev/null --wrap true >/dev/null
t2=$(now)
ticks >"$T/ticks1"
mbatch history -j "$id" --json >"$T/array.json"
done_n=$(jq '[.[] | select(.state == "COMPLETED")] | length' "$T/array.json")
first_start=$(jq '[.[].start_time] | min' "$T/array.json")
last_end=$(jq '[.[].end_time] | max' "$T/array.json")
echo "submit: $JOBS jobs in $(calc "$t1 - $t0" 3) s -> $(calc "$JOBS / ($t1 - $t0)" 0) submits/s"
echo "completed: $done_n of $JOBS; the last ended $(calc "$last_end - $t0" 1) s after the submit" \
	"-> $(calc "$done_n / ($last_end - $t0)" 0) completed jobs/s end to end"
echo "           (first start to last end: $(calc "$done_n / ($last_end - $first_start)" 0) jobs/s)"
jq -r '[.[] | select(.state == "COMPLETED")] |
	"per job: queued -> running \((map(.start_time - .submit_time) | add / length) | . * 1000 | floor) ms on average (includes the wait for a slot), running -> ended \((map(.end_time - .start_time) | add / length) | . * 1000 | floor) ms"' "$T/array.json"
cpu_report "$T/ticks0" "$T/ticks1" "$done_n"
{ grep "last 10 s" "$CL/mbatchd.log" || true; } | tail -3 | sed 's/^.*mbatchd\[[0-9]*\]: /mbatchd: /'

# Waits (at most $2 s) until none of the jobs listed in file $1 is pending
# or running: first on the newest of them (the queue runs them in submit
# order), then polls what is left. The wait is cheap on purpose: a poll of
# `mbatch queue --json | jq` over 5,000 jobs cost 0.25 s of CPU, taken from
# the jobs being measured.
wait_all() {
	local ids end
	ids=$(paste -sd, "$1")
	end=$(($(date +%s) + $2))
	timeout "$2" mbatch submit --wait -d "afterany:$(sort -n "$1" | tail -1)" -o /dev/null --wrap true >/dev/null || true
	while [ -n "$(mbatch queue -h -t PD,R -j "$ids" | head -1)" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
}

# When the last of the jobs listed in file $1 ended, from their records
# (not when a poll saw the queue empty).
last_end() {
	mbatch history -S today -j "$(paste -sd, "$1")" --json | jq '[.[].end_time] | max'
}

echo
echo "== $SUBMITS separate 'mbatch submit' calls, $PARALLEL at a time, held, then released together"
seq 1 "$SUBMITS" >"$T/seq"
per=$(((SUBMITS + PARALLEL - 1) / PARALLEL))
t0=$(now)
xargs -P "$PARALLEL" -n "$per" sh -c \
	'for i; do mbatch submit --parsable -H -o /dev/null --wrap true || exit 1; done' sh <"$T/seq" >"$T/ids"
t1=$(now)
n=$(wc -l <"$T/ids")
tr=$(now)
xargs mbatch release <"$T/ids"
wait_all "$T/ids" 600
t2=$(last_end "$T/ids")
echo "submit: $n jobs in $(calc "$t1 - $t0" 2) s -> $(calc "$n / ($t1 - $t0)" 0) submits/s"
echo "completed: all $n ended $(calc "$t2 - $tr" 1) s after their release -> $(calc "$n / ($t2 - $tr)" 0) completed jobs/s;" \
	"$(calc "$n / ($t2 - $t0)" 0) jobs/s from the first submit"

echo
echo "== $JOBS jobs as $SUBMITS separate 'mbatch submit --array' calls of $((JOBS / SUBMITS)) tasks, $PARALLEL at a time"
ticks >"$T/ticks2"
t0=$(now)
xargs -P "$PARALLEL" -n "$per" sh -c \
	'for i; do mbatch submit --parsable --array=1-'"$((JOBS / SUBMITS))"' -o /dev/null --wrap true || exit 1; done' sh <"$T/seq" >"$T/ids2"
t1=$(now)
calls=$(wc -l <"$T/ids2")
n=$((calls * (JOBS / SUBMITS)))
wait_all "$T/ids2" 900
t2=$(last_end "$T/ids2")
echo "submit: $n jobs in $calls calls in $(calc "$t1 - $t0" 2) s -> $(calc "$n / ($t1 - $t0)" 0) submits/s" \
	"($(calc "$calls / ($t1 - $t0)" 0) calls/s; the jobs start running meanwhile)"
echo "completed: all $n ended $(calc "$t2 - $t0" 1) s after the first submit -> $(calc "$n / ($t2 - $t0)" 0) completed jobs/s end to end"
ticks >"$T/ticks3"
cpu_report "$T/ticks2" "$T/ticks3" "$n"
echo "  (the $calls mbatch processes themselves are not counted: ~1 ms of CPU each, as any program's start here)"

echo "== one client, 200 'mbatch submit' calls in a row"
t0=$(now)
for i in $(seq 1 200); do mbatch submit --parsable -H -o /dev/null --wrap true >/dev/null; done
t1=$(now)
echo "submit: 200 in $(calc "$t1 - $t0" 2) s -> $(calc "200 / ($t1 - $t0)" 0) submits/s ($(calc "($t1 - $t0) * 1000 / 200" 1) ms per call)"
mbatch cancel -n wrap >/dev/null 2>&1 || true
echo "machine: load average $(cut -d' ' -f1-3 /proc/loadavg) after the bench"
