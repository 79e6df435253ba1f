#!/usr/bin/env bash
# mapred wordcount over a few MB of generated text stored on 3 agents
# equals an independent tr|sort|uniq count; maps run where their blocks
# are; the counters add up; bad requests are refused clearly.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/mapred_lib.sh"

cluster_up --agents 3 --agent-resources 'cpus:2;mem:1024;disk:2000' --no-batch

"$GEN_TEXT" -s 11 5M "$T/text" 2>/dev/null
oracle "$T/text" "$T/ref"
words=$(tr -cs 'A-Za-z' '\n' <"$T/text" | grep -c . || true)

log "put: 5 MiB in blocks of 512K, 2 replicas"
mapred put "$T/text" --as words --block-size 512K --replicas 2 --quiet >"$T/put.out" 2>&1 || fail "put: $(cat "$T/put.out")"
nblocks=$(mapred ls words --json | jq '.[0].blocks | length')
[ "$nblocks" = 11 ] || fail "5 MiB in 512K blocks should be 11 blocks, the catalog has $nblocks"

log "wordcount with 3 reducers"
mapred wordcount words -o "$T/out" --reducers 3 --json >"$T/wc.json" 2>"$T/wc.err" || fail "wordcount failed: $(cat "$T/wc.err")"
check_wordcount "$T/out" 3 "$T/ref"
grep -q 'map 100% (11/11)  reduce 100% (3/3)' "$T/wc.err" || fail "no progress shown: $(cat "$T/wc.err")"
jq -e '.state == "succeeded" and .maps == 11 and .reduces == 3' "$T/wc.json" >/dev/null || fail "json: $(cat "$T/wc.json")"
got_words=$(jq '.counters.map_input_words' "$T/wc.json")
[ "$got_words" = "$words" ] || fail "map_input_words is $got_words, the text has $words words"
distinct=$(wc -l <"$T/ref")
jq -e --argjson d "$distinct" '.counters.reduce_output_records == $d and .counters.map_input_bytes == 5242880
	and .counters.shuffle_bytes == .counters.map_output_bytes and .counters.shuffle_bytes > 0
	and .counters_complete' "$T/wc.json" >/dev/null || fail "counters do not add up: $(jq -c .counters "$T/wc.json")"
# Every block is on 2 of the 3 agents and each agent has 2 slots: nearly
# every map should find an agent holding its block.
jq -e '.locality.node_local >= 9 and .attempts.failed == 0' "$T/wc.json" >/dev/null ||
	fail "locality: $(jq -c '{locality, attempts}' "$T/wc.json")"
jq -e '.counters.map_local_reads == .locality.node_local' "$T/wc.json" >/dev/null ||
	fail "node-local launches did not read their local replica: $(jq -c '{locality, counters}' "$T/wc.json")"

log "the human report names the counters"
mapred wordcount words -o "$T/out2" --reducers 1 >"$T/wc2.out" 2>&1 || fail "second wordcount failed: $(cat "$T/wc2.out")"
check_wordcount "$T/out2" 1 "$T/ref"
for w in node-local attempts shuffle words; do
	grep -q "$w" "$T/wc2.out" || fail "the report does not mention $w: $(cat "$T/wc2.out")"
done

log "refusals"
set +e
mapred wordcount words -o "$T/out" >"$T/e1" 2>&1; rc1=$?
mapred wordcount nosuchfile -o "$T/out3" >"$T/e2" 2>&1; rc2=$?
mapred wordcount words -o "$T/out4" --locality-wait soon >"$T/e3" 2>&1; rc3=$?
mapred wordcount words >"$T/e4" 2>&1; rc4=$?
set -e
[ $rc1 = 1 ] && grep -q "not empty" "$T/e1" || fail "an existing output dir: rc $rc1: $(cat "$T/e1")"
[ $rc2 = 1 ] && grep -q "no stored file 'nosuchfile'" "$T/e2" || fail "unknown input: rc $rc2: $(cat "$T/e2")"
[ $rc3 = 2 ] && grep -q -- "--locality-wait" "$T/e3" || fail "bad wait: rc $rc3: $(cat "$T/e3")"
[ $rc4 = 2 ] && grep -q -- "-o OUTPUT" "$T/e4" || fail "no output: rc $rc4: $(cat "$T/e4")"
[ ! -e "$T/out3" ] || fail "a refused job left its output directory"
mapred wordcount --help | grep -q "Counted in TIME" || fail "--help does not say how the wait is counted"

log "the jobs' frameworks are gone, the block store stays"
sleep 1
mosaic frameworks --json | jq -e 'all(.[]; (.name | startswith("mapred wordcount")) | not)' >/dev/null ||
	fail "a job's framework is still registered: $(mosaic frameworks --json)"
mosaic frameworks --json | jq -e 'any(.[]; .name == "mapred-blockstore" and .failover_timeout >= 31536000)' >/dev/null ||
	fail "the block store is not registered for the long run: $(mosaic frameworks --json)"
pass
