#!/usr/bin/env bash
# bench_throughput.sh BUILD_DIR [--size 1G] [--block 64M] [--reducers 4] [--agents 4] [--repeat 2] [--no-pipeline]
#
# Word count of generated text (bench/wordcount/gen_text: Zipf words over a
# 200,000-word vocabulary) on a local cluster of 4 agents sharing this
# machine, against single-process counts of the same file on the same
# machine: wc_single (a plain fast C count), mapred's own data path on one
# thread (bench_wordcount_core -j 1) and `tr -cs A-Za-z '\n' | sort | uniq
# -c`. Every result is checked against wc_single's. MB/s is 10^6 bytes of
# input per second. Each measurement but the pipeline's is repeated
# (--repeat) and the best kept, as the machine may be shared; the load
# average is printed. A benchmark: figures, not pass/fail.
source "$(dirname "$0")/bench_lib.sh" "$1"
shift
SIZE=1G BLOCK=64M REDUCERS=4 AGENTS=4 PIPELINE=1 REPEAT=2
while [ $# -gt 0 ]; do
	case $1 in
	--size) SIZE=$2; shift ;;
	--block) BLOCK=$2; shift ;;
	--reducers) REDUCERS=$2; shift ;;
	--agents) AGENTS=$2; shift ;;
	--no-pipeline) PIPELINE=0 ;;
	--repeat) REPEAT=$2; shift ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
W=$BUILD/bench/wordcount
now() { date +%s.%N; }
mbs() { echo "$1 / ($2) / 1000000" | bc -l; }

"$W/gen_text" -s 1 "$SIZE" "$T/text" 2>/dev/null
bytes=$(stat -c %s "$T/text")
say "input: $bytes bytes of generated text; machine: $(nproc) cpus, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load average before: $(load)"
cat "$T/text" >/dev/null # in the page cache for everyone

# best SECONDS...: the smallest.
best() { printf '%s\n' "$@" | sort -g | head -1; }
# timed CMD...: runs CMD; its wall time in seconds is then in $TIMED.
timed() {
	local t0 t1
	t0=$(now)
	"$@"
	t1=$(now)
	TIMED=$(echo "$t1 - $t0" | bc -l)
}
single=() core1=() core2=() job=()
for _ in $(seq 1 "$REPEAT"); do
	timed "$W/wc_single" "$T/text" -o "$T/single.out" 2>"$T/single.err"
	single+=("$TIMED")
	rm -rf "$T/core1" "$T/core2"
	# Its own map+reduce figure: its wall time also holds a second,
	# diagnostic counting pass.
	"$W/bench_wordcount_core" -b "$BLOCK" -r "$REDUCERS" -j 1 "$T/text" "$T/core1" >"$T/core1.out" 2>&1
	core1+=("$(awk '/^map\+reduce:/ { print $2 }' "$T/core1.out")")
	rm -rf "$T/core2"
	"$W/bench_wordcount_core" -b "$BLOCK" -r "$REDUCERS" -j "$(nproc)" "$T/text" "$T/core2" >"$T/core2.out" 2>&1
	core2+=("$(awk '/^map\+reduce:/ { print $2 }' "$T/core2.out")")
done
cat "$T/core1"/out/part-r-* | LC_ALL=C sort | cmp -s - "$T/single.out" || say "WARNING: bench_wordcount_core's counts differ from wc_single's"
rm -rf "$T/core1" "$T/core2"

cluster_up --agents "$AGENTS" --agent-resources "cpus:1;mem:3072;disk:40000"
t0=$(now); mapred put "$T/text" --as text --block-size "$BLOCK" --replicas 2 --quiet >/dev/null; t1=$(now)
put=$(echo "$t1 - $t0" | bc -l)
check=ok
for _ in $(seq 1 "$REPEAT"); do
	rm -rf "$T/out"
	timed mapred wordcount text -o "$T/out" --reducers "$REDUCERS" --map-mem 1024 --reduce-mem 1024 --json --quiet >"$T/job.json"
	job+=("$TIMED")
	cat "$T/out"/part-r-* | LC_ALL=C sort | cmp -s - "$T/single.out" || check=DIFFERENT
	jq -c '{elapsed_seconds, map_seconds, reduce_seconds, locality, attempts}' "$T/job.json" >>"$T/job.short"
done
single=$(best "${single[@]}") core1=$(best "${core1[@]}") core2=$(best "${core2[@]}") job=$(best "${job[@]}")

if [ "$PIPELINE" = 1 ]; then
	t0=$(now); tr -cs 'A-Za-z' '\n' <"$T/text" | LC_ALL=C sort | uniq -c >"$T/pipe.out"; t1=$(now)
	pipe=$(echo "$t1 - $t0" | bc -l)
	rm -f "$T/pipe.out"
fi

say ""
printf '%-58s %8s %9s\n' "word count of $SIZE (best of $REPEAT but the pipeline)" "seconds" "MB/s"
printf '%-58s %8.2f %9.1f\n' "wc_single (one process, one thread)" "$single" "$(mbs "$bytes" "$single")"
printf '%-58s %8.2f %9.1f\n' "mapred core in-process, 1 thread (bench_wordcount_core)" "$core1" "$(mbs "$bytes" "$core1")"
printf '%-58s %8.2f %9.1f\n' "mapred core in-process, $(nproc) threads" "$core2" "$(mbs "$bytes" "$core2")"
printf '%-58s %8.2f %9.1f   (result: %s)\n' "mapred wordcount, $AGENTS agents, blocks of $BLOCK (job)" "$job" "$(mbs "$bytes" "$job")" "$check"
[ "$PIPELINE" = 1 ] && printf '%-58s %8.2f %9.1f\n' "tr -cs A-Za-z '\\n' | LC_ALL=C sort | uniq -c" "$pipe" "$(mbs "$bytes" "$pipe")"
printf '%-58s %8.2f %9.1f\n' "(mapred put, 2 replicas: not in the job's time)" "$put" "$(mbs "$bytes" "$put")"
say "jobs: $(tr '\n' ' ' <"$T/job.short")"
say "load average after: $(load)"
