#!/usr/bin/env bash
# Streaming jobs with shell commands (Hadoop Streaming's contract): a word
# count by tr/awk with and without a combiner, an identity job whose
# output is the input's lines sorted, a mapper that always fails (the job
# fails with its reason after its attempts), and an agent killed while
# reducers are fetching.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/mapred_lib.sh"

cluster_up --agents 3 --agent-resources 'cpus:2;mem:1024;disk:2000' --no-batch

"$GEN_TEXT" -s 5 3M "$T/text" 2>/dev/null
oracle "$T/text" "$T/ref"
mapred put "$T/text" --as text --block-size 384K --quiet >"$T/put.out" 2>&1 || fail "put: $(cat "$T/put.out")"

MAPPER="tr -cs A-Za-z '\n' | awk 'NF { print \$0 \"\t1\" }'"
SUM="awk -F'\t' '{ c[\$1] += \$2 } END { for (w in c) print w \"\t\" c[w] }'"

log "word count by tr and awk, with a combiner"
mapred stream --mapper "$MAPPER" --reducer "$SUM" --combiner "$SUM" text -o "$T/wc" --reducers 2 --json \
	>"$T/wc.json" 2>"$T/wc.err" || fail "stream failed: $(tail -5 "$T/wc.err")"
[ -f "$T/wc/_SUCCESS" ] || fail "no _SUCCESS"
cat "$T/wc"/part-r-* | LC_ALL=C sort >"$T/wc.sorted"
cmp -s "$T/wc.sorted" "$T/ref" || fail "streaming word count differs from tr|sort|uniq ($(wc -l <"$T/wc.sorted") vs $(wc -l <"$T/ref") lines)"
words=$(jq '.counters.map_output_records' "$T/wc.json")
[ "$words" = "$(awk -F'\t' '{ s += $2 } END { print s }' "$T/ref")" ] || fail "map_output_records $words is not the word total"
jq -e '.counters.combine_output_records < .counters.map_output_records
	and .counters.reduce_input_records == .counters.combine_output_records' "$T/wc.json" >/dev/null ||
	fail "the combiner did not combine: $(jq -c .counters "$T/wc.json")"

log "identity: cat as mapper and reducer gives the lines sorted"
mapred stream --mapper cat --reducer cat text -o "$T/id" --reducers 3 --quiet || fail "identity job failed"
# A line without a tab is all key: it comes back with a tab appended.
cat "$T/id"/part-r-* | sed 's/\t$//' | LC_ALL=C sort >"$T/id.sorted"
LC_ALL=C sort "$T/text" >"$T/text.sorted"
cmp -s "$T/id.sorted" "$T/text.sorted" || fail "the identity job lost or changed lines"
for p in "$T/id"/part-r-*; do LC_ALL=C sort -c -s -t "$(printf '\t')" -k1,1 "$p" || fail "$p is not sorted by key"; done

log "a mapper that fails: the job fails, with the reason"
set +e
mapred stream --mapper "echo 'no such luck' >&2; exit 3" --reducer cat text -o "$T/bad" --max-attempts 2 \
	>"$T/bad.out" 2>&1
rc=$?
set -e
[ $rc = 1 ] || fail "a failing mapper: exit $rc: $(tail -3 "$T/bad.out")"
grep -q "job failed: map [0-9]*: all 2 attempts used" "$T/bad.out" || fail "no reason: $(tail -3 "$T/bad.out")"
grep -q "no such luck" "$T/bad.out" || fail "the mapper's stderr is not in the reason: $(tail -3 "$T/bad.out")"
grep -q "mapper exited 3" "$T/bad.out" || fail "the mapper's exit is not in the reason: $(tail -3 "$T/bad.out")"
[ ! -e "$T/bad" ] || fail "a failed job left its output directory"

log "an agent killed while reducers run: reducers that cannot fetch have their maps redone"
# 12 reducers of 2 cpus each run 3 at a time, and each sleeps: later waves
# fetch map outputs after the kill.
mapred stream --mapper "$MAPPER" --reducer "sleep 1; $SUM" text -o "$T/k" --reducers 12 --reduce-cpus 2 --json \
	--timeout 80s >"$T/k.json" 2>"$T/k.err" &
job=$!
victim=""
for _ in $(seq 1 400); do
	victim=$(mosaic tasks --json 2>/dev/null | jq -r '[.[] | select((.framework | startswith("mapred stream"))
		and (.id | startswith("r")) and .state == "TASK_RUNNING")][0].hostname // empty')
	[ -n "$victim" ] && break
	kill -0 $job 2>/dev/null || break
	sleep 0.05
done
[ -n "$victim" ] || fail "no reducer ran: $(tail -3 "$T/k.err")"
# Kill an agent other than the first reducer's, so map outputs go while reducers need them.
other=$(for a in agent1 agent2 agent3; do [ "$a" = "$victim" ] || echo "$a"; done | head -1)
log "killing $other"
kill -9 "$(cat "$CLUSTER/$other.pid")"
set +e
wait $job
rc=$?
set -e
[ $rc = 0 ] || fail "the job failed after the kill (rc $rc): $(tail -5 "$T/k.err")"
cat "$T/k"/part-r-* | LC_ALL=C sort >"$T/k.sorted"
cmp -s "$T/k.sorted" "$T/ref" || fail "the result after the kill differs from tr|sort|uniq"
jq -e '.attempts.recomputed >= 1' "$T/k.json" >/dev/null || fail "nothing redone: $(jq -c .attempts "$T/k.json")"
log "$(jq -c '{attempts, elapsed_seconds}' "$T/k.json")"
pass
