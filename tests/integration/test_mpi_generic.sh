#!/usr/bin/env bash
# mmpirun's generic launcher on a real cluster: every rank gets its gang
# environment and reaches rank 0 over the ports the gang was given; output
# comes back (tagged on request); the first failing rank's exit code is
# mmpirun's; impossible requests are refused before subscribing; --timeout
# and Ctrl-C end everything, leaving nothing behind.
source "$(dirname "$0")/lib.sh" "$1"

HELLO=$BUILD/examples/mpi/gang_hello
[ -x "$HELLO" ] || fail "no $HELLO (build the examples)"
cluster_up --agents 3 --agent-resources 'cpus:2;mem:1024;disk:1000'
# mmpirun runs in $T, so its ranks do too (a task's cwd is mmpirun's) and
# the leftover check at the end sees them; the test itself stays outside.
# Each run is bounded by timeout(1) as well: a hang fails the test.
mmpirun() { (cd "$T" && exec mmpirun "$@"); }

log "a 6-rank gang_hello across the 3 agents"
out=$(MOSAIC_HELLO_TIMEOUT=20 mmpirun --launcher generic -n 6 "$HELLO" 2>"$T/hello.err") ||
	fail "gang_hello exited $?: $(cat "$T/hello.err")"
grep -q "rank 0 heard 6 of 6 ranks, sum of ranks = 15 (expected 15)$" <<<"$out" || fail "gang_hello: $out"
for r in 0 1 2 3 4 5; do
	grep -q "gang_hello: rank $r of 6 (local rank [01]) on .*, peer address 127.0.0.1:3[123][0-9][0-9][0-9]" "$T/hello.err" ||
		fail "rank $r's line is missing or has no port from the offers: $(cat "$T/hello.err")"
done

log "environment, -x, --tag-output, stderr kept apart"
cat >"$T/env.sh" <<'SH'
#!/bin/sh
echo "r=$MOSAIC_RANK n=$MOSAIC_WORLD_SIZE l=$MOSAIC_LOCAL_RANK c=$MOSAIC_COORDINATOR x=$FOO y=$BAR host=$MOSAIC_AGENT_HOSTNAME"
echo "err-$MOSAIC_RANK" >&2
SH
chmod +x "$T/env.sh"
export BAR=from-here
mmpirun --launcher generic --tag-output -x FOO=foo -x BAR -n 4 --ppn 2 "$T/env.sh" >"$T/env.out" 2>"$T/env.err" ||
	fail "env.sh gang failed: $(cat "$T/env.err")"
[ "$(wc -l <"$T/env.out")" = 4 ] || fail "want 4 lines of stdout: $(cat "$T/env.out")"
coord=$(grep '^\[0\] ' "$T/env.out" | sed 's/.* c=\([^ ]*\) .*/\1/')
for r in 0 1 2 3; do
	grep -q "^\[$r\] r=$r n=4 l=$((r % 2)) c=$coord x=foo y=from-here host=agent[123]$" "$T/env.out" ||
		fail "rank $r's environment: $(cat "$T/env.out")"
	grep -q "^\[$r\] err-$r$" "$T/env.err" || fail "rank $r's stderr: $(cat "$T/env.err")"
done
# --ppn 2: ranks 0,1 share an agent, 2,3 another.
h0=$(grep '^\[0\]' "$T/env.out" | sed 's/.*host=//'); h1=$(grep '^\[1\]' "$T/env.out" | sed 's/.*host=//')
h2=$(grep '^\[2\]' "$T/env.out" | sed 's/.*host=//')
[ "$h0" = "$h1" ] && [ "$h0" != "$h2" ] || fail "--ppn 2 placed ranks on $h0 $h1 $h2"

log "the first failing rank's exit code is mmpirun's; the others are stopped"
# a duration of its own (sleep takes fractions), so only this test's
# processes match
nap="30.$$"
set +e
mmpirun --launcher generic -n 4 sh -c '[ $MOSAIC_RANK = 2 ] && exit 7; exec sleep '"$nap" >"$T/fail.out" 2>&1
rc=$?
set -e
[ $rc = 7 ] || fail "a failing rank: mmpirun exited $rc: $(cat "$T/fail.out")"
grep -q "rank 2 (on agent[123]) exited with code 7" "$T/fail.out" || fail "no word of rank 2: $(cat "$T/fail.out")"
set +e
mmpirun --launcher generic -n 2 sh -c '[ $MOSAIC_RANK = 1 ] && kill -9 $$; sleep '"$nap" >"$T/sig.out" 2>&1
rc=$?
set -e
[ $rc = 137 ] || fail "a rank killed by SIGKILL: mmpirun exited $rc: $(cat "$T/sig.out")"
wait_procs_gone 10 "^sleep $nap" "the killed gangs' sleeps are still there after 10 s"

log "impossible requests fail before subscribing, naming the problem"
set +e
mmpirun -n 6 --ppn 4 true >"$T/bad.out" 2>&1; rc1=$?
mmpirun -n 2 --bind-to core --cpus-per-rank 1.5 true >>"$T/bad.out" 2>&1; rc2=$?
mmpirun -n 2 --launcher mpich true >>"$T/bad.out" 2>&1; rc3=$?
mmpirun true >>"$T/bad.out" 2>&1; rc4=$?
set -e
[ "$rc1$rc2$rc3$rc4" = 2222 ] || fail "usage errors exited $rc1 $rc2 $rc3 $rc4: $(cat "$T/bad.out")"
grep -q "not a multiple of --ppn 4" "$T/bad.out" && grep -q "whole number of cores" "$T/bad.out" &&
	grep -q "openmpi or generic" "$T/bad.out" && grep -q -- "-n N is required" "$T/bad.out" ||
	fail "unclear usage errors: $(cat "$T/bad.out")"
state_json | jq -e '[.frameworks[] | select(.name == "mmpirun" and .active)] | length == 0' >/dev/null ||
	fail "a refused request left a framework subscribed"

log "--timeout bounds the wait with a clear message (a gang bigger than the cluster)"
set +e
start=$(date +%s)
mmpirun --launcher generic --timeout 4 -n 7 true >"$T/to.out" 2>&1
rc=$?
set -e
[ $rc = 124 ] || fail "--timeout: exit $rc: $(cat "$T/to.out")"
[ $(($(date +%s) - start)) -le 15 ] || fail "--timeout 4 took $(($(date +%s) - start)) s"
grep -q "timeout 4s reached while waiting for resources: the gang needs room for 7 rank(s).*at once was 6" "$T/to.out" ||
	fail "--timeout message: $(cat "$T/to.out")"

log "--timeout also bounds a running gang"
set +e
mmpirun --launcher generic --timeout 3 -n 2 sleep 60 >"$T/to2.out" 2>&1
rc=$?
set -e
[ $rc = 124 ] && grep -q "reached while the gang was running" "$T/to2.out" || fail "running --timeout: $rc $(cat "$T/to2.out")"

log "Ctrl-C tears the whole gang down"
# Straight, not under timeout(1): a background timeout(1) starts with
# SIGINT ignored (no job control) and would not pass it on.
(cd "$T" && exec "$BIN/mmpirun" --launcher generic -n 6 sh -c 'echo up; exec sleep 120') >"$T/int.out" 2>&1 &
pid=$!
wait_for 30 "6 ranks up" sh -c "[ \$(grep -c '^up' '$T/int.out') = 6 ]"
kill -INT $pid
set +e
wait $pid
rc=$?
set -e
[ $rc = 130 ] || fail "after Ctrl-C mmpirun exited $rc: $(cat "$T/int.out")"
# Ranks get SIGTERM, then SIGKILL after the grace period; slower under ASan.
wait_for 30 "every rank to be gone" sh -c '! pgrep -f "slee[p] 120" >/dev/null'
wait_for 30 "the framework to be gone" sh -c "mosaic tasks --json | jq -e 'length == 0'"

check_deadline
pass
