#!/usr/bin/env bash
# Racks: agents carry a `rack` attribute; put keeps a block's replicas on
# different racks when it can, the catalog records the racks, and a job's
# maps still read where their blocks are.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/mapred_lib.sh"

cluster_up --agents 3 --agent-resources 'cpus:2;mem:1024;disk:2000' --no-batch --agent-arg=--attributes=rack:r1
# A fourth agent, alone on rack r2 (cluster down finds it by its pid file).
setsid "$BIN/mosaic-agent" --master "$MOSAIC_MASTER" --work-dir "$CLUSTER/agent4" --hostname agent4 \
	--resources 'cpus:2;mem:1024;disk:2000' --attributes 'rack:r2' >"$CLUSTER/agent4.log" 2>&1 &
echo $! >"$CLUSTER/agent4.pid"
four() { [ "$(mosaic agents --json | jq '[.[] | select(.active)] | length')" = 4 ]; }
wait_for 20 "agent4 to register" four

"$GEN_TEXT" -s 9 2M "$T/text" 2>/dev/null
oracle "$T/text" "$T/ref"
mapred put "$T/text" --as text --block-size 256K --quiet >"$T/put.out" 2>&1 || fail "put: $(cat "$T/put.out")"
mapred ls text --json >"$T/ls.json"
# Rack r2 has one agent: the second copy of every block goes there, or the
# first did and the second went to r1. Either way one copy per rack.
jq -e '.[0].blocks | length > 4 and all(.[]; ([.replicas[].rack] | sort) == ["r1", "r2"])' "$T/ls.json" >/dev/null ||
	fail "replicas not spread over the racks: $(jq -c '[.[0].blocks[] | [.replicas[] | .hostname + "/" + .rack]]' "$T/ls.json")"
jq -e 'all(.[0].blocks[].replicas[] | select(.rack == "r2"); .hostname == "agent4")' "$T/ls.json" >/dev/null ||
	fail "a replica on rack r2 is not on agent4"

mapred wordcount text -o "$T/out" --reducers 2 --json >"$T/wc.json" 2>"$T/wc.err" || fail "wordcount: $(tail -3 "$T/wc.err")"
check_wordcount "$T/out" 2 "$T/ref"
jq -e '.locality.node_local + .locality.rack_local + .locality.off_rack == .attempts.launched - .reduces' "$T/wc.json" >/dev/null ||
	fail "locality does not add up: $(jq -c '{locality, attempts}' "$T/wc.json")"
pass
