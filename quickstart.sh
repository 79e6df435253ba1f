#!/usr/bin/env bash
# Builds Mosaic, starts a local cluster on loopback (a master and three
# agents) and runs a sample workload on it. The cluster stays up afterwards:
# look at it with `mosaic status` or the web UI, stop it with
# `mosaic cluster down`.
#   ./quickstart.sh [--agents N] [--dir DIR]
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install-deps.sh --mpi

agents=3
dir=
while [ $# -gt 0 ]; do
	case "$1" in
	--agents) agents=$2; shift ;;
	--dir) dir=$2; shift ;;
	*) echo "quickstart.sh: unknown option '$1' (known: --agents N, --dir DIR)" >&2; exit 2 ;;
	esac
	shift
done

echo "== building (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMOSAIC_WITH_MPI=ON >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
export PATH=$PWD/build/bin:$PATH
dirflag=()
[ -z "$dir" ] || dirflag=(--dir "$dir")

echo "== starting a local cluster: 1 master + $agents agents on 127.0.0.1"
mosaic cluster up --agents "$agents" ${dirflag[@]+"${dirflag[@]}"}
echo
mosaic agents
echo
echo "== a one-shot task: mosaic run -- uname -a"
mosaic run -- uname -a
echo
echo "== a failing task keeps its exit code: mosaic run --cpus 2 -- sh -c 'exit 3'"
set +e
mosaic run --cpus 2 -- sh -c 'echo about to fail >&2; exit 3'
echo "exit code: $?"
set -e
echo
echo "== the three frameworks at once, sharing the cluster by DRF"
echo "   batch:     mbatch submit --array=1-6 (a Slurm-style job array, role batch)"
echo "   MPI:       mmpirun -n 4 (a gang: all ranks start together or none, role mpi)"
echo "   MapReduce: mapred put + mapred wordcount (data-local maps, role mapred)"
job=$(mbatch submit --parsable --array=1-6 -J demo -c 1 -t 1:00 -o "$PWD/build/demo-%A_%a.out" \
	--wrap 'echo "array task $SLURM_ARRAY_TASK_ID of job $SLURM_ARRAY_JOB_ID on $(hostname)"; sleep 2')
echo "submitted batch job $job"
if command -v mpirun >/dev/null && [ -x build/examples/mpi/ring ]; then
	mmpirun -n 4 --tag-output build/examples/mpi/ring 10 >build/demo-mpi.out 2>&1 &
else
	mmpirun -n 4 --launcher generic --tag-output build/examples/mpi/gang_hello >build/demo-mpi.out 2>&1 &
fi
mpi=$!
if command -v mapred >/dev/null; then
	mapred put examples/mapred/corpus/*.txt --block-size 1K >/dev/null
	mapred wordcount counting.txt garden.txt harbour.txt lighthouse.txt recipes.txt \
		-o build/demo-wordcount --reducers 2 >build/demo-mapred.out 2>&1 &
	mr=$!
fi
sleep 2
mosaic status | sed -n '/^ROLE/,$p'
wait $mpi && echo "MPI job finished: $(tail -n 2 build/demo-mpi.out | tr '\n' ' ')"
[ -z "${mr:-}" ] || { wait $mr && echo "word count done: $(cat build/demo-wordcount/part-r-* | sort -k2 -nr -t"$(printf '\t')" | head -3 | tr '\n' ' ')"; }
for _ in $(seq 1 60); do
	[ -z "$(mbatch queue --json | jq -r '.[] | .id' 2>/dev/null)" ] && break
	sleep 1
done
mbatch history -j "$job" 2>/dev/null || mbatch history | tail -n 8
echo "batch output: $(cat build/demo-"$job"_1.out)"
echo
echo "The cluster is still up. Try: export PATH=\$PWD/build/bin:\$PATH; mosaic status; mbatch queue; mosaic cluster down"
echo "Web UI: http://127.0.0.1:5080/"
