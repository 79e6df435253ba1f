#!/usr/bin/env bash
# bench_locality_net.sh BUILD_DIR [--rate 200mbit] [--size 128M] [--block 8M] [--replicas 2]
#                                 [--runs 3] [--waits "0 1s 3s"] [--reducers 4]
#
# bench_locality.sh on a network that costs something: the master, each of
# 4 agents (2 cpus each) and the client run in network namespaces of their
# own, joined by veth pairs to a bridge in another namespace
# (tests/netns/netns_lib.sh), and each agent's link is limited to --rate in
# both directions by a token bucket (tc tbf on the agent's eth0 and on its
# bridge port). So a map that is not node-local pays for reading its block
# from another agent over a link of that rate, as on a real cluster.
# As in bench_locality.sh another framework (loadfw, role "load") keeps half
# of the 8 slots busy with sleeping tasks of 1-3 s while word counts (role
# "mapred") run with each --locality-wait. The blocks are stored by `mapred
# put` run in the client's namespace. Prints, per wait, node-local / rack /
# off-rack map launches, remote bytes read, and the job times.
# A benchmark: figures, not pass/fail. Needs root (exits 77 with a SKIP
# line otherwise, or when namespaces, bridges or tbf are not available).
#
# Safety is netns_lib.sh's: namespaces named mzn<PID>-*, nothing created in
# or sent from the root namespace, everything removed at exit.
DEADLINE_SECONDS=${DEADLINE_SECONDS:-1200}
source "$(dirname "$0")/../../tests/netns/netns_lib.sh" "$1"
shift
RATE=200mbit SIZE=128M BLOCK=8M REPLICAS=2 RUNS=3 WAITS="0 1s 3s" REDUCERS=4
while [ $# -gt 0 ]; do
	case $1 in
	--rate) RATE=$2; shift ;;
	--size) SIZE=$2; shift ;;
	--block) BLOCK=$2; shift ;;
	--replicas) REPLICAS=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--waits) WAITS=$2; shift ;;
	--reducers) REDUCERS=$2; shift ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
for p in "$BIN/mapred" "$BIN/mapred-task" "$BUILD/bench/wordcount/gen_text" "$BUILD/tests/bin/loadfw"; do
	[ -x "$p" ] || fail "$p is missing (build first)"
done
command -v tc >/dev/null || skip "iproute2's 'tc' is not installed"
command -v bc >/dev/null || skip "bc is not installed"
source "$(dirname "$0")/bench_say.sh"

AGENTS="a1 a2 a3 a4"
net_setup m:1 c:2 a1:11 a2:12 a3:13 a4:14

# ---- the links: RATE each way on every agent's link ----
# tbf on the agent's eth0 limits what it sends; on its port of the bridge,
# what it receives. The bucket holds 10 ms of data at RATE (at least
# 64 KiB, so that a GSO packet fits). The master's and the client's links
# are not limited.
burst_bytes=$(awk -v r="$RATE" 'BEGIN {
	n = r + 0; u = tolower(substr(r, length(n "") + 1))
	m = (u ~ /^g/) ? 1e9 : (u ~ /^m/) ? 1e6 : (u ~ /^k/) ? 1e3 : 1
	if (u ~ /bps$/) m *= 8           # tc: "bps" is bytes per second
	b = n * m / 8 / 100              # 10 ms of data
	if (b < 65536) b = 65536
	printf "%d", b }')
shape() { # shape NSNAME DEV
	local err=$T/tc.err
	tc -n "$1" qdisc add dev "$2" root tbf rate "$RATE" burst "$burst_bytes" latency 50ms 2>"$err" ||
		skip "cannot add a tbf qdisc (rate $RATE) on $2 in namespace $1: $(tr '\n' ' ' <"$err")"
	tc -n "$1" qdisc show dev "$2" | grep -q '^qdisc tbf' || fail "no tbf qdisc on $2 in namespace $1"
}
for a in $AGENTS; do
	[ -e "/run/netns/$(ns_name "$a")" ] || fail "namespace $a does not exist"
	shape "$(ns_name "$a")" eth0
	shape "$NS_BR" "p-$a"
done

# ---- the cluster ----
# The master with cluster up's defaults (allocation every 1 s).
daemon_start master m "$BIN/mosaic-master" --listen "$MASTER_URL" --http "$MASTER_HTTP" \
	--work-dir "$CLUSTER/master" --ping-interval "$PING_INTERVAL" --max-missed-pings "$MAX_MISSED"
wait_for 10 "the master to answer" m_cli status
n=0
for a in $AGENTS; do
	n=$((n + 1))
	agent_start "$n" "$a" 'cpus:2;mem:4096;disk:20000'
done
for n in 1 2 3 4; do wait_for 20 "agent a$n to register" agent_active "a$n"; done

# The client's namespace: mapred (its put server and each job's framework
# listen on the client's address) and loadfw. gen_text, which sends
# nothing, writes the input in the root namespace.
export MAPRED_CATALOG=$T/catalog.db
cd "$T" || fail "cannot cd to $T" # (the clean-up finds what is left of our clients by their working directory)
client() { MOSAIC_MASTER=$MASTER_URL MOSAIC_LISTEN_HOST=${NS_ADDR[c]} nsrun c "$@"; }
mapred() { client timeout "${MAPRED_TIMEOUT:-300}" "$BIN/mapred" "$@"; }

"$BUILD/bench/wordcount/gen_text" -s 42 "$SIZE" "$T/text" 2>/dev/null
t0=$(now_ms)
mapred put "$T/text" --as text --block-size "$BLOCK" --replicas "$REPLICAS" --quiet >"$T/put.out" 2>&1 ||
	fail "mapred put: $(cat "$T/put.out")"
put_ms=$(($(now_ms) - t0))
nblocks=$(mapred ls text --json | jq '.[0].blocks | length')
[ "$nblocks" -gt 0 ] || fail "mapred ls: no blocks"
# A check that the links are limited: one block fetched off its first
# replica's file server from an agent that holds none of it, with curl
# in that agent's namespace (through both limited links).
mapred ls text --json >"$T/ls.json"
read -r holder_http blk_path blk_len < <(jq -r '.[0].blocks[0] | .replicas[0].agent_http + " /files/" +
	.replicas[0].framework_id + "/" + .replicas[0].task_id + "/blk " + (.length | tostring)' "$T/ls.json")
reader=$(jq -r '[.[0].blocks[0].replicas[].hostname]' "$T/ls.json" |
	jq -r --arg all "$AGENTS" '. as $h | [$all | split(" ")[] | select(. as $a | $h | index($a) | not)][0] // ""')
fetch_rate="(not measured: every agent holds the first block)"
if [ -n "$reader" ]; then
	case "$holder_http" in http://*) ;; *) holder_http=http://$holder_http ;; esac
	t0=$(now_ms)
	# (The file server gives at most 4 MiB a request: ask for ranges, as the maps do.)
	urls=()
	for ((off = 0; off < blk_len; off += 4194304)); do urls+=(-o /dev/null "$holder_http$blk_path?offset=$off&length=4194304"); done
	got=$(nsrun "$reader" curl -sf --max-time 60 -w '%{size_download}\n' "${urls[@]}" |
		awk '{ s += $1 } END { print s + 0 }') || fail "cannot fetch $holder_http$blk_path from namespace $reader"
	ms=$(($(now_ms) - t0))
	[ "$got" = "$blk_len" ] || fail "fetched $got bytes of a $blk_len-byte block"
	fetch_rate=$(awk -v b="$got" -v ms="$ms" -v r="$reader" 'BEGIN {
		printf "%.1f MB in %.2f s = %.0f Mbit/s (curl from %s)", b / 1e6, ms / 1000, b * 8 / 1e3 / ms, r }')
fi
say "network: master, client, 4 agents in namespaces on a bridge; each agent's link $RATE each way (tbf, burst $burst_bytes B)"
say "remote block read: $fetch_rate"
say "cluster: 4 agents x 2 cpus; input $SIZE in $nblocks blocks of $BLOCK, $REPLICAS replica(s) each; $REDUCERS reducers"
say "put: $(awk -v ms="$put_ms" 'BEGIN { printf "%.1f", ms / 1000 }') s for $SIZE x $REPLICAS replicas"
check_deadline

# A plain command, not the client function, so that $! is loadfw's pid
# (nsenter execs it) and the clean-up ends loadfw itself.
MOSAIC_MASTER=$MASTER_URL MOSAIC_LISTEN_HOST=${NS_ADDR[c]} nsenter --net="$(ns_path c)" -- \
	"$BUILD/tests/bin/loadfw" --name load --role load --cpus 1 --mem 256 --task-seconds 2 \
	--run-seconds 100000 --max-tasks 4 >"$T/loadfw.out" 2>&1 &
bg_track $!
sleep 4
say "load: loadfw (role load) keeps 4 of the 8 slots busy with sleeping 1-cpu tasks of 1-3 s; load average $(load)"
say ""

declare -A frac time maps
for run in $(seq 1 "$RUNS"); do
	for w in $WAITS; do
		rm -rf "$T/out"
		mapred wordcount text -o "$T/out" --reducers "$REDUCERS" --locality-wait "$w" --json --quiet \
			>"$T/r.json" 2>"$T/r.err" || fail "wordcount (wait $w): $(tail -5 "$T/r.err")"
		f=$(jq '.locality.node_local_fraction' "$T/r.json")
		e=$(jq '.elapsed_seconds' "$T/r.json")
		m=$(jq '.map_seconds' "$T/r.json")
		printf '  run %d  wait %-4s  node-local %5.1f%% (%s of %s map launches; rack %s, off-rack %s)  remote %5.1f MB  job %6.2f s  (maps %6.2f s)\n' \
			"$run" "$w" "$(echo "$f * 100" | bc -l)" \
			"$(jq '.locality.node_local' "$T/r.json")" "$(jq '.locality | .node_local + .rack_local + .off_rack + .no_preference' "$T/r.json")" \
			"$(jq '.locality.rack_local' "$T/r.json")" "$(jq '.locality.off_rack + .locality.no_preference' "$T/r.json")" \
			"$(jq '.counters.map_remote_bytes / 1e6' "$T/r.json")" "$e" "$m"
		frac[$w]="${frac[$w]:-} $f"
		time[$w]="${time[$w]:-} $e"
		maps[$w]="${maps[$w]:-} $m"
		check_deadline
	done
done

say ""
say "link rate $RATE per agent; load average at the end: $(load)"
locality_summary
