#!/bin/sh
# run_gang_hello.sh - runs gang_hello as an N-rank gang on this machine, with
# the environment mmpirun gives each rank (MOSAIC_RANK, MOSAIC_WORLD_SIZE,
# MOSAIC_LOCAL_RANK, MOSAIC_PEERS, MOSAIC_COORDINATOR), ranks started in
# reverse order so the others must wait for rank 0. Exits 0 when every
# rank exits 0.
#
#   run_gang_hello.sh PATH/TO/gang_hello [N [BASE_PORT]]
set -u
prog=${1:?usage: run_gang_hello.sh PATH/TO/gang_hello [N [BASE_PORT]]}
n=${2:-4}
# A port per run, so concurrent runs (ctest -j) do not collide.
base=${3:-$((20000 + $$ % 20000))}

peers=""
i=0
while [ "$i" -lt "$n" ]; do
	peers="${peers:+$peers,}127.0.0.1:$((base + i))"
	i=$((i + 1))
done

export MOSAIC_WORLD_SIZE="$n" MOSAIC_PEERS="$peers" MOSAIC_COORDINATOR="127.0.0.1:$base"
export MOSAIC_HELLO_TIMEOUT="${MOSAIC_HELLO_TIMEOUT:-20}"
pids=""
i=$((n - 1))
while [ "$i" -ge 0 ]; do
	# Two "agents" of n/2 ranks each: the local rank counts within one.
	MOSAIC_RANK="$i" MOSAIC_LOCAL_RANK="$((i % ((n + 1) / 2)))" "$prog" &
	pids="$pids $!"
	[ "$i" -eq "$((n / 2))" ] && sleep 0.3 # rank 0 comes up late
	i=$((i - 1))
done
status=0
for p in $pids; do
	wait "$p" || status=1
done
exit "$status"
