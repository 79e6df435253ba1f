#!/usr/bin/env bash
# Builds Mosaic, starts a local cluster on loopback (a master and three
# agents) and runs a sample workload on it. The cluster stays up afterwards:
# look at it with `mosaic status` or the web UI, stop it with
# `mosaic cluster down`.
#   ./quickstart.sh [--agents N] [--dir DIR]
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install-deps.sh

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
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
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
echo "== six tasks at once, in two roles (DRF shares the cluster between them)"
pids=()
for i in 1 2 3; do
	mosaic run --role analytics --cpus 1 --mem 64 -- sh -c "echo analytics task $i on \$(hostname); sleep 1" &
	pids+=($!)
	mosaic run --role science --cpus 1 --mem 64 -- sh -c "echo science task $i on \$(hostname); sleep 1" &
	pids+=($!)
done
wait "${pids[@]}"
echo
mosaic tasks --all | tail -n 12
echo
echo "The cluster is still up. Try: export PATH=\$PWD/build/bin:\$PATH; mosaic status; mosaic cluster down"
