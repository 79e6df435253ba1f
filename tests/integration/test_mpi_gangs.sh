#!/usr/bin/env bash
# ci: slow (a long scenario: the sanitizer pass skips it)
# Gangs that cannot run together do not deadlock: two 6-rank gangs on an
# 8-slot cluster, submitted at once, both complete, one after the other;
# then five gangs of random sizes at once, all complete. Every gang is a
# real generic-launcher job (gang_hello: every rank must reach rank 0).
source "$(dirname "$0")/lib.sh" "$1"

HELLO=$BUILD/examples/mpi/gang_hello
[ -x "$HELLO" ] || fail "no $HELLO (build the examples)"
cluster_up --agents 4 --agent-resources 'cpus:2;mem:1024;disk:1000'

# A rank: says when it starts, says hello to rank 0, stays 2 s (so gangs
# that could overlap would), says when it ends.
cat >"$T/rank.sh" <<SH
#!/bin/sh
echo "start \$(date +%s.%N)"
MOSAIC_HELLO_TIMEOUT=30 "$HELLO" || exit 3
sleep 2
echo "end \$(date +%s.%N)"
SH
chmod +x "$T/rank.sh"
mmpirun() { (cd "$T" && exec timeout 85 "$BIN/mmpirun" "$@"); }
# A short hold makes partial gangs let go quickly (the policy is the
# same as with the default 10 s; the test is just shorter).
GANG_OPTS=(--launcher generic --hold 3 --backoff 1 --timeout 80 -v)

# The span [first start, last end] of a gang's ranks, from its stdout.
span() { awk '$1 == "start" && (s == "" || $2 < s) { s = $2 } $1 == "end" && $2 > e { e = $2 } END { printf "%s %s\n", s, e }' "$1"; }

log "two 6-rank gangs on 8 slots, submitted together"
t0=$(date +%s.%N)
mmpirun "${GANG_OPTS[@]}" -n 6 "$T/rank.sh" >"$T/a.out" 2>"$T/a.err" &
pa=$!
mmpirun "${GANG_OPTS[@]}" -n 6 "$T/rank.sh" >"$T/b.out" 2>"$T/b.err" &
pb=$!
set +e
wait $pa; ra=$?
wait $pb; rb=$?
set -e
[ $ra = 0 ] || fail "gang A exited $ra: $(tail -5 "$T/a.err")"
[ $rb = 0 ] || fail "gang B exited $rb: $(tail -5 "$T/b.err")"
for g in a b; do
	grep -q "rank 0 heard 6 of 6 ranks, sum of ranks = 15 (expected 15)$" "$T/$g.out" || fail "gang $g: $(cat "$T/$g.out")"
	[ "$(grep -c '^end ' "$T/$g.out")" = 6 ] || fail "gang $g: not every rank ended: $(cat "$T/$g.out")"
done
read -r sa ea <<<"$(span "$T/a.out")"
read -r sb eb <<<"$(span "$T/b.out")"
# 12 ranks never fit on 8 slots: one gang must have ended before the other began.
awk -v sa="$sa" -v ea="$ea" -v sb="$sb" -v eb="$eb" 'BEGIN { exit !(ea <= sb || eb <= sa) }' ||
	fail "the two gangs overlapped: A $sa..$ea, B $sb..$eb"
releases=$(cat "$T/a.err" "$T/b.err" | grep -c "gave it back" || true)
log "both done in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s: A ran $(awk -v s="$sa" -v e="$ea" -v t="$t0" 'BEGIN { printf "%.1f..%.1f", s - t, e - t }') s, B $(awk -v s="$sb" -v e="$eb" -v t="$t0" 'BEGIN { printf "%.1f..%.1f", s - t, e - t }') s; partial gangs given back: $releases"
check_deadline

log "five gangs of random sizes, submitted together"
sizes=()
total=0
for i in 1 2 3 4 5; do
	n=$((RANDOM % 8 + 1))
	sizes+=("$n")
	total=$((total + n))
done
log "sizes: ${sizes[*]} ($total ranks on 8 slots)"
t0=$(date +%s.%N)
pids=()
for i in 0 1 2 3 4; do
	mmpirun "${GANG_OPTS[@]}" -n "${sizes[$i]}" "$T/rank.sh" >"$T/g$i.out" 2>"$T/g$i.err" &
	pids+=($!)
done
for i in 0 1 2 3 4; do
	set +e
	wait "${pids[$i]}"
	rc=$?
	set -e
	n=${sizes[$i]}
	[ $rc = 0 ] || fail "gang $i (-n $n) exited $rc: $(tail -5 "$T/g$i.err")"
	grep -q "rank 0 heard $n of $n ranks, sum of ranks = $((n * (n - 1) / 2)) " "$T/g$i.out" ||
		fail "gang $i (-n $n): $(cat "$T/g$i.out")"
	[ "$(grep -c '^end ' "$T/g$i.out")" = "$n" ] || fail "gang $i: not every rank ended"
done
# At no moment did the running gangs hold more than the 8 slots.
for i in 0 1 2 3 4; do
	read -r s e <<<"$(span "$T/g$i.out")"
	echo "$s ${sizes[$i]}"
	echo "$e -${sizes[$i]}"
done | sort -n | awk '{ used += $2; if (used > max) max = used } END { exit !(max <= 8) }' ||
	fail "running gangs added up to more than 8 ranks at once"
log "all five done in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; partial gangs given back: $(cat "$T"/g*.err | grep -c "gave it back" || true)"

check_deadline
pass
