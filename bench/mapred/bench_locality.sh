#!/usr/bin/env bash
# bench_locality.sh BUILD_DIR [--size 384M] [--block 8M] [--replicas 1] [--runs 3] [--waits "0 1s 3s"]
#
# Delay scheduling on a shared cluster (the Mesos paper's Hadoop
# experiment, small): 4 agents of 2 cpus; another framework (loadfw, role
# "load") keeps half of the 8 slots busy with tasks of 1-3 s, started
# wherever it is offered room, while word counts (role "mapred") run with
# each --locality-wait. Each block has one replica unless --replicas says,
# so a map finds its data on 1 agent of 4. Prints, per wait, the fraction
# of map launches that were node-local and the job times.
# A benchmark: figures, not pass/fail.
source "$(dirname "$0")/bench_lib.sh" "$1"
shift
SIZE=384M BLOCK=8M REPLICAS=1 RUNS=3 WAITS="0 1s 3s"
while [ $# -gt 0 ]; do
	case $1 in
	--size) SIZE=$2; shift ;;
	--block) BLOCK=$2; shift ;;
	--replicas) REPLICAS=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--waits) WAITS=$2; shift ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

cluster_up --agents 4 --agent-resources 'cpus:2;mem:4096;disk:20000'
"$BUILD/bench/wordcount/gen_text" -s 42 "$SIZE" "$T/text" 2>/dev/null
mapred put "$T/text" --as text --block-size "$BLOCK" --replicas "$REPLICAS" --quiet >/dev/null
nblocks=$(mapred ls text --json | jq '.[0].blocks | length')
say "cluster: 4 agents x 2 cpus; input $SIZE in $nblocks blocks of $BLOCK, $REPLICAS replica(s) each"
say "load: loadfw (role load) keeps 4 of the 8 slots busy with 1-cpu tasks of 1-3 s; load average $(load)"

"$BUILD/tests/bin/loadfw" --name load --role load --cpus 1 --mem 256 --task-seconds 2 --run-seconds 100000 --max-tasks 4 \
	>"$T/loadfw.out" 2>&1 &
BG_PIDS+=($!)
sleep 4

declare -A frac time maps
for run in $(seq 1 "$RUNS"); do
	for w in $WAITS; do
		rm -rf "$T/out"
		mapred wordcount text -o "$T/out" --reducers 4 --locality-wait "$w" --json --quiet >"$T/r.json"
		f=$(jq '.locality.node_local_fraction' "$T/r.json")
		e=$(jq '.elapsed_seconds' "$T/r.json")
		m=$(jq '.map_seconds' "$T/r.json")
		printf '  run %d  wait %-4s  node-local %5.1f%%  job %6.2f s  (maps %6.2f s)\n' "$run" "$w" \
			"$(echo "$f * 100" | bc -l)" "$e" "$m"
		frac[$w]="${frac[$w]:-} $f"
		time[$w]="${time[$w]:-} $e"
		maps[$w]="${maps[$w]:-} $m"
	done
done

say ""
say "load average at the end: $(load)"
locality_summary
