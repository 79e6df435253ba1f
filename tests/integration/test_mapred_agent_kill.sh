#!/usr/bin/env bash
# An agent killed with SIGKILL in the middle of a word count: its running
# maps are lost, its finished maps' outputs are gone with it, its block
# replicas are unavailable; the job redoes what is needed, reads the other
# replicas, and still gives the right answer.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/mapred_lib.sh"

cluster_up --agents 3 --agent-resources 'cpus:2;mem:1024;disk:2000' --no-batch

"$GEN_TEXT" -s 21 8M "$T/text" 2>/dev/null
oracle "$T/text" "$T/ref"
mapred put "$T/text" --as words --block-size 128K --quiet >"$T/put.out" 2>&1 || fail "put: $(cat "$T/put.out")"

# Maps of 2 cpus: one at a time per agent, so the map phase lasts a while.
log "wordcount; an agent is killed once a map has finished on it"
mapred wordcount words -o "$T/out" --reducers 3 --map-cpus 2 --json --timeout 80s >"$T/wc.json" 2>"$T/wc.err" &
job=$!
victim=""
for _ in $(seq 1 300); do
	victim=$(mosaic tasks --all --json 2>/dev/null | jq -r '[.[] | select((.framework | startswith("mapred wordcount"))
		and (.id | startswith("m")) and .state == "TASK_FINISHED")][0].hostname // empty')
	[ -n "$victim" ] && break
	kill -0 $job 2>/dev/null || break
	sleep 0.05
done
[ -n "$victim" ] || fail "no map finished before the job ended: $(cat "$T/wc.err")"
kill -0 $job 2>/dev/null || fail "the job ended before an agent could be killed: $(tail -3 "$T/wc.err")"
grep -q 'reduce 100%' "$T/wc.err" && fail "the job was done before the kill"
log "killing $victim"
kill -9 "$(cat "$CLUSTER/$victim.pid")"
set +e
wait $job
rc=$?
set -e
[ $rc = 0 ] || fail "the job failed (rc $rc): $(tail -5 "$T/wc.err")"
check_wordcount "$T/out" 3 "$T/ref"
# What it took: the maps it had finished there were redone.
jq -e '.state == "succeeded" and .attempts.recomputed >= 1 and .attempts.launched > .maps + .reduces' "$T/wc.json" >/dev/null ||
	fail "no work was redone after the kill: $(jq -c '{attempts, maps, reduces}' "$T/wc.json")"
grep -q "was lost" "$T/wc.err" || fail "the job did not say the agent was lost: $(tail -5 "$T/wc.err")"
log "$(jq -c '{attempts, locality, elapsed_seconds}' "$T/wc.json")"

log "a second job after the loss runs on the agents left, from the other replicas"
mapred wordcount words -o "$T/out2" --reducers 2 --json >"$T/wc2.json" 2>"$T/wc2.err" || fail "second job: $(tail -5 "$T/wc2.err")"
check_wordcount "$T/out2" 2 "$T/ref"
jq -e '.attempts.lost == 0 and .counters.map_local_reads + .counters.map_remote_reads == .maps' "$T/wc2.json" >/dev/null ||
	fail "second job: $(jq -c '{attempts, counters}' "$T/wc2.json")"
pass
