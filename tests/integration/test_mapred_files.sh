#!/usr/bin/env bash
# The block store: put splits a file into blocks of whole lines and keeps
# each block on distinct agents, as files in the block store's sandboxes;
# ls, cat and rm; an agent killed makes its replicas unavailable, never the
# file while another replica remains.
source "$(dirname "$0")/lib.sh" "$1"
source "$(dirname "$0")/mapred_lib.sh"

cluster_up --agents 3 --agent-resources 'cpus:2;mem:1024;disk:2000' --no-batch --agent-arg=--attributes=rack:r1

"$GEN_TEXT" -s 3 3M "$T/big.txt" 2>/dev/null
printf 'one line\nand another\n' >"$T/small.txt"
: >"$T/empty.txt"

log "put three files, one of them under another name"
mapred put "$T/big.txt" --block-size 256K --quiet >"$T/put1" 2>&1 || fail "put big: $(cat "$T/put1")"
grep -q "stored big.txt: 3.0 MiB in 13 blocks, 2 replicas each" "$T/put1" || fail "put said: $(cat "$T/put1")"
mapred put "$T/small.txt" "$T/empty.txt" --replicas 3 --json >"$T/put2" 2>"$T/put2.err" || fail "put: $(cat "$T/put2.err")"
jq -e 'length == 2 and .[0].blocks == 1 and .[1].blocks == 0 and .[0].replicas == 3' "$T/put2" >/dev/null ||
	fail "put --json: $(cat "$T/put2")"
mapred put "$T/small.txt" --as notes --replicas 1 --quiet >/dev/null || fail "put --as"
[ "$(stored_blocks)" = $((13 * 2 + 3 + 1)) ] || fail "$(stored_blocks) block files on the agents, want 30"

log "ls"
mapred ls >"$T/ls" || fail "ls"
for f in big.txt small.txt empty.txt notes; do grep -q "^$f " "$T/ls" || fail "ls does not list $f: $(cat "$T/ls")"; done
grep -q '^big.txt .* 13 .* 2/2  ok$' "$T/ls" || fail "ls: $(cat "$T/ls")"
mapred ls big.txt --json >"$T/ls.json"
# Blocks tile the file, end on line boundaries, and sit on 2 distinct agents.
jq -e '.[0] | .size == 3145728 and (.blocks | length) == 13
	and all(.blocks[]; (.replicas | length) == 2 and (.replicas[0].agent_id != .replicas[1].agent_id)
	        and all(.replicas[]; .rack == "r1" and .available))
	and ([.blocks[] | .length] | add) == .size' "$T/ls.json" >/dev/null || fail "placement: $(jq -c '.[0].blocks[0]' "$T/ls.json")"
for off in $(jq -r '.[0].blocks[1:][] | .offset' "$T/ls.json"); do
	[ "$(dd if="$T/big.txt" bs=1 skip=$((off - 1)) count=1 2>/dev/null | od -An -c | tr -d ' ')" = '\n' ] ||
		fail "a block starts at $off, not after a newline"
done
# Replicas spread: no agent holds much more than its share (26 replicas on 3 agents).
jq -r '.[0].blocks[].replicas[].hostname' "$T/ls.json" | sort | uniq -c | awk '$1 < 7 || $1 > 11 { exit 1 }' ||
	fail "replicas badly spread: $(jq -r '.[0].blocks[].replicas[].hostname' "$T/ls.json" | sort | uniq -c)"

log "cat gives the bytes back"
mapred cat big.txt | cmp - "$T/big.txt" || fail "cat big.txt differs from the original"
mapred cat small.txt notes | cmp - <(cat "$T/small.txt" "$T/small.txt") || fail "cat of two files"
[ -z "$(mapred cat empty.txt)" ] || fail "cat of an empty file is not empty"

log "refusals"
set +e
mapred put "$T/small.txt" >"$T/e1" 2>&1; rc1=$?
mapred put /no/such/file >"$T/e2" 2>&1; rc2=$?
mapred put "$T/small.txt" --as 'bad/name' >"$T/e3" 2>&1; rc3=$?
mapred cat nothing >"$T/e4" 2>&1; rc4=$?
mapred put "$T/small.txt" --block-size 12Q >"$T/e5" 2>&1; rc5=$?
set -e
[ $rc1 = 1 ] && grep -q "already stored" "$T/e1" || fail "a taken name: rc $rc1: $(cat "$T/e1")"
[ $rc2 = 1 ] && grep -q "No such file" "$T/e2" || fail "a missing file: rc $rc2: $(cat "$T/e2")"
[ $rc3 = 1 ] && grep -q "not a valid name" "$T/e3" || fail "a bad name: rc $rc3: $(cat "$T/e3")"
[ $rc4 = 1 ] && grep -q "no stored file 'nothing'" "$T/e4" || fail "cat unknown: rc $rc4: $(cat "$T/e4")"
[ $rc5 = 2 ] && grep -q -- "--block-size" "$T/e5" || fail "bad size: rc $rc5: $(cat "$T/e5")"

log "rm frees the blocks on the agents"
mapred rm notes small.txt >"$T/rm1" 2>&1 || fail "rm: $(cat "$T/rm1")"
[ "$(stored_blocks)" = 26 ] || fail "after rm, $(stored_blocks) block files, want 26 ($(cat "$T/rm1"))"
! mapred ls | grep -q '^notes ' || fail "rm'd file still listed"

log "an agent killed: its replicas are unavailable, the file is not"
victim=$(jq -r '.[0].blocks[0].replicas[0].hostname' "$T/ls.json")
kill -9 "$(cat "$CLUSTER/$victim.pid")"
mapred ls big.txt >"$T/ls2"
grep -q '^big.txt .* 1/2  degraded$' "$T/ls2" || fail "ls after the kill: $(cat "$T/ls2")"
mapred ls -l big.txt | grep -q "$victim (unavailable)" || fail "ls -l does not name the unavailable replica"
mapred cat big.txt | cmp - "$T/big.txt" || fail "cat with an agent down differs from the original"
"$GEN_TEXT" -s 4 1M "$T/later.txt" 2>/dev/null
# The master takes a few seconds to notice; offers of the dead agent stop then.
mapred put "$T/later.txt" --block-size 256K --quiet >"$T/put3" 2>&1 || fail "put with an agent down: $(cat "$T/put3")"
mapred ls later.txt --json | jq -e --arg v "$victim" 'all(.[0].blocks[].replicas[]; .hostname != $v and .available)' >/dev/null ||
	fail "a new block went to the dead agent: $(mapred ls -l later.txt)"
mapred rm big.txt >"$T/rm2" 2>&1 || fail "rm with an agent down: $(cat "$T/rm2")"
grep -q "$victim does not answer" "$T/rm2" || fail "rm did not say replicas stay on $victim: $(cat "$T/rm2")"
left=$(find "$CLUSTER" -path '*/frameworks/*/tasks/s.*/blk' -type f | grep -v "/$victim/" | wc -l)
[ "$left" = "$(mapred ls later.txt --json | jq '[.[0].blocks[].replicas[]] | length')" ] ||
	fail "$left block files left on live agents after rm"
pass
