# netns_lib.sh - helpers for the network-namespace tests: a real master,
# agents and frameworks, each in a network namespace of its own, joined by
# veth pairs to a bridge that lives in yet another namespace, so that a
# test can cut one daemon off the others and heal it (partition/heal below).
#
#   source "$(dirname "$0")/netns_lib.sh" "$1"     # $1: the build directory
#
# Safety: every namespace, link and address is created by this file, named
# from the test's PID (mzn<PID>-*), and deleted by the EXIT trap. Both ends
# of every veth pair are created inside our namespaces and the addresses
# (10.250.0.0/24) exist only there: nothing is added to the root namespace.
# The root namespace may route 10.250.0.0/24 off the machine (its default
# route), so nothing is ever sent from it: every command that may send runs
# inside one of our namespaces (nsrun, or nsenter with ns_path), after a
# check that the namespace exists, and net_check makes sure each namespace
# reaches the others over its own eth0 before any daemon starts.
#
# Exits 77 (ctest: skipped) with a "SKIP:" line when not root or when
# namespaces, veth pairs or bridges cannot be made here.
set -euo pipefail

BUILD=$(cd "${1:?usage: test.sh BUILD_DIR}" && pwd)
BIN=$BUILD/bin
TEST_NAME=$(basename "$0" .sh)
DEADLINE_SECONDS=${DEADLINE_SECONDS:-150}
START_TIME=$(date +%s)

log() { printf '[%s %s] %s\n' "$TEST_NAME" "$(date +%T.%N | cut -c1-12)" "$*"; }
skip() {
	echo "SKIP: $TEST_NAME: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces (running as uid $(id -u))"
command -v ip >/dev/null || skip "iproute2's 'ip' is not installed"
command -v jq >/dev/null || skip "jq is not installed"
for p in mosaic mosaic-master mosaic-agent mosaic-executor; do
	[ -x "$BIN/$p" ] || { echo "FAIL: $TEST_NAME: $BIN/$p is missing (build first)" >&2; exit 1; }
done

# Namespaces of an earlier run that was killed before its clean-up (ctest's
# time-out sends SIGKILL): named mzn<PID>-*, with PID no longer alive. Their
# processes are that run's daemons and tasks; they go first, then the names.
clean_stale_namespaces() {
	local ns pid p
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ "$ns" =~ ^mzn([0-9]+)- ]] || continue
		pid=${BASH_REMATCH[1]}
		[ "$pid" != $$ ] || continue
		! kill -0 "$pid" 2>/dev/null || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null && echo "[$TEST_NAME] removed namespace $ns left by a killed run (pid $pid)"
	done
	return 0
}
clean_stale_namespaces

T=$(mktemp -d "/tmp/mosaic-netns-$TEST_NAME.XXXXXX")
CLUSTER=$T/cluster
mkdir -p "$CLUSTER"

NET_PREFIX=10.250.0
NS_PREFIX=mzn$$
NS_BR=$NS_PREFIX-br # holds the bridge; runs nothing
NAMESPACES=()       # every namespace we created, bridge last
declare -A NS_ADDR  # short name -> address
MASTER_ADDR=$NET_PREFIX.1
MASTER_URL=tcp://$MASTER_ADDR:5050
MASTER_HTTP=$MASTER_ADDR:5080

ns_name() { echo "$NS_PREFIX-$1"; }

# nsrun SHORT COMMAND...: run COMMAND inside our namespace SHORT (m, a1,
# ...), never anywhere else. Only the network namespace changes (nsenter
# --net): the daemons see the host's cgroups and /sys as they would in
# production; `ip netns exec` would remount /sys and hide the cgroups.
nsrun() {
	local ns
	ns=$(ns_name "$1")
	shift
	[ -e "/run/netns/$ns" ] || { echo "nsrun: namespace $ns does not exist; not running $*" >&2; return 1; }
	nsenter --net="/run/netns/$ns" -- "$@"
}

# ns_path SHORT: the namespace's file, for `nsenter --net=` in a command run
# in the background (nsrun is a function: $! would be a subshell's pid).
ns_path() {
	local p
	p=/run/netns/$(ns_name "$1")
	[ -e "$p" ] || fail "namespace $(ns_name "$1") does not exist"
	echo "$p"
}

dump_logs() {
	local f
	for f in "$CLUSTER"/*.log "$CLUSTER"/agent*/executors/*/executor.log; do
		[ -f "$f" ] || continue
		echo "----- ${f#"$T"/} (last 60 lines)"
		tail -n 60 "$f"
	done
}

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	dump_logs >&2
	exit 1
}

check_deadline() {
	[ $(($(date +%s) - START_TIME)) -lt "$DEADLINE_SECONDS" ] || fail "test over its ${DEADLINE_SECONDS}s budget"
}

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND every 0.2 s.
wait_for() {
	local secs=$1 what=$2
	shift 2
	local end
	end=$(($(date +%s%N) / 1000000 + secs * 1000))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(($(date +%s%N) / 1000000))" -lt "$end" ] || fail "timed out after ${secs}s waiting for: $what"
		sleep 0.2
	done
	check_deadline
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# nap MS: sleep, in a way a signal interrupts (the EXIT trap runs at once).
NAP_PID=
nap() {
	sleep "$(awk -v ms="$1" 'BEGIN { printf "%.3f", ms / 1000 }')" &
	NAP_PID=$!
	wait "$NAP_PID"
	NAP_PID=
}

# ---- the network ----

# net_add SHORT HOSTNUM: a namespace with lo up and eth0 at NET_PREFIX.HOSTNUM/24,
# its peer a port of the bridge.
net_add() {
	local short=$1 ns addr=$NET_PREFIX.$2
	ns=$(ns_name "$short")
	ip netns add "$ns" || return 1
	NAMESPACES=("$ns" "${NAMESPACES[@]}")
	ip -n "$ns" link set lo up || return 1
	# Both ends are created inside the namespaces: nothing ever appears
	# in the root namespace.
	ip link add eth0 netns "$ns" type veth peer name "p-$short" netns "$NS_BR" || return 1
	ip -n "$NS_BR" link set "p-$short" master br0 || return 1
	ip -n "$NS_BR" link set "p-$short" up || return 1
	ip -n "$ns" addr add "$addr/24" dev eth0 || return 1
	ip -n "$ns" link set eth0 up || return 1
	NS_ADDR[$short]=$addr
}

net_up_bridge() {
	ip netns add "$NS_BR" || return 1
	NAMESPACES=("$NS_BR")
	ip -n "$NS_BR" link set lo up || return 1
	ip -n "$NS_BR" link add br0 type bridge || return 1
	ip -n "$NS_BR" link set br0 up || return 1
}

net_cleanup() {
	local ns
	for ns in "${NAMESPACES[@]}"; do
		# Deleting a namespace deletes its veth ends, and with them their peers.
		ip netns del "$ns" 2>/dev/null || true
	done
	NAMESPACES=()
}

# net_setup SHORT:HOSTNUM...: the bridge and one namespace per argument;
# the master's namespace must be m:1. Skips the test (77) if the kernel
# or the sandbox does not let us.
net_setup() {
	local spec err=$T/net_setup.err
	if ! net_up_bridge 2>"$err"; then
		net_cleanup
		skip "cannot create a network namespace with a bridge here (ip netns add / ip link add type bridge): $(tr '\n' ' ' <"$err")"
	fi
	for spec in "$@"; do
		if ! net_add "${spec%%:*}" "${spec#*:}" 2>"$err"; then
			net_cleanup
			skip "cannot create namespace ${spec%%:*} with a veth pair on the bridge: $(tr '\n' ' ' <"$err")"
		fi
	done
	# Permanent neighbour entries, as if every peer were behind a router
	# whose address stays resolved: during a partition, packets are then
	# sent and lost in between, rather than held in the kernel's ARP queue
	# (which would flush them the moment the link heals and hide TCP's
	# back-off).
	local a b mac
	for a in "${!NS_ADDR[@]}"; do
		mac=$(ip -n "$(ns_name "$a")" -j link show eth0 | jq -r '.[0].address')
		for b in "${!NS_ADDR[@]}"; do
			[ "$a" = "$b" ] && continue
			ip -n "$(ns_name "$b")" neigh replace "${NS_ADDR[$a]}" lladdr "$mac" dev eth0 nud permanent ||
				fail "cannot add a neighbour entry for $a in namespace $b"
		done
	done
	# The bridge has no address and no STP: its ports forward at once.
	net_check "$@"
}

# net_check SHORT...: each namespace routes every other test address over
# its own eth0. (The root namespace may well route 10.250.0.0/24 to its
# default gateway, off the machine: that is why nothing is sent from it.)
net_check() {
	local spec short other route
	for spec in "$@"; do
		short=${spec%%:*}
		for other in "${NS_ADDR[@]}"; do
			[ "$other" = "${NS_ADDR[$short]}" ] && continue
			route=$(ip -n "$(ns_name "$short")" route get "$other" 2>&1) ||
				fail "namespace $short has no route to $other: $route"
			grep -q " dev eth0 " <<<"$route" || fail "namespace $short routes $other elsewhere than eth0: $route"
		done
	done
}

# partition SHORT / heal SHORT: cut namespace SHORT off the others and
# join it again. PARTITION_MODE says how:
#   link    (default) its eth0 down, from inside it: it has no route at all,
#           its own sends fail at once (as a host whose cable is pulled)
#   bridge  its veth's peer taken off the bridge (left up, so both ends keep
#           their carrier, links and routes): packets vanish in between, as
#           in a switch failure, and TCP on both sides backs off. (Setting
#           the port down would not do: a veth whose peer is down loses its
#           carrier, and its sends fail at once as with "link".)
PARTITION_MODE=${PARTITION_MODE:-link}
case "$PARTITION_MODE" in link | bridge) ;; *) echo "PARTITION_MODE must be link or bridge" >&2; exit 2 ;; esac
partition() {
	if [ "$PARTITION_MODE" = bridge ]; then
		ip -n "$NS_BR" link set "p-$1" nomaster
		return
	fi
	ip -n "$(ns_name "$1")" link set eth0 down
	if ip -n "$(ns_name "$1")" route get "$MASTER_ADDR" >/dev/null 2>&1; then
		fail "namespace $1 still routes to $MASTER_ADDR with its link down"
	fi
}
heal() {
	if [ "$PARTITION_MODE" = bridge ]; then
		ip -n "$NS_BR" link set "p-$1" master br0
	else
		ip -n "$(ns_name "$1")" link set eth0 up
	fi
	local route
	route=$(ip -n "$(ns_name "$1")" route get "$MASTER_ADDR" 2>&1) || fail "namespace $1: no route after heal: $route"
	grep -q " dev eth0 " <<<"$route" || fail "namespace $1 routes elsewhere after heal: $route"
}

# ---- the daemons ----

# Processes that belong to this test: command lines naming $T, working
# directories inside it; the test's own shell and subshells excepted.
leftover_pids() {
	local pid mysid c
	mysid=$(ps -o sid= -p $$ | tr -d ' ')
	{
		pgrep -f "$T" || true
		for d in /proc/[0-9]*; do
			pid=${d#/proc/}
			c=$(readlink "$d/cwd" 2>/dev/null) || continue
			case "$c" in "$T" | "$T"/*) echo "$pid" ;; esac
		done
	} | sort -u | while read -r pid; do
		[ "$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$mysid" ] || echo "$pid"
	done
}

BG_PIDS=() # background commands of the test (bg_track), ended at clean-up
bg_track() { BG_PIDS+=("$1"); }

cleanup() {
	local rc=$?
	set +e
	cd /
	local p
	[ -z "$NAP_PID" ] || kill "$NAP_PID" 2>/dev/null
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	# `mosaic cluster down` finds the daemons from $CLUSTER/*.pid and
	# everything they started from /proc; it sends nothing on the network.
	if ls "$CLUSTER"/*.pid >/dev/null 2>&1; then
		"$BIN/mosaic" cluster down --dir "$CLUSTER" >"$T/down.out" 2>&1 || {
			echo "cluster down failed:"
			cat "$T/down.out"
			rc=1
		}
	fi
	sleep 0.2
	local left
	left=$(leftover_pids)
	if [ -n "$left" ]; then
		echo "FAIL: $TEST_NAME: processes left behind after cluster down:" >&2
		ps -o pid,ppid,pgid,args -p "$(echo $left | tr ' ' ',')" >&2 || true
		kill -9 $left 2>/dev/null
		rc=1
	fi
	net_cleanup
	local ns
	for ns in $(ip netns list | awk '{print $1}'); do
		case "$ns" in "$NS_PREFIX"-*) echo "FAIL: $TEST_NAME: namespace $ns left behind" >&2; rc=1 ;; esac
	done
	if { [ $rc -eq 0 ] || [ $rc -eq 77 ]; } && [ -z "${KEEP:-}" ]; then
		rm -rf "$T"
	else
		echo "(test files kept in $T)" >&2
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# daemon_start NAME SHORT ARGS...: start ARGS in namespace SHORT, in a session
# of its own, logging to $CLUSTER/NAME.log, pid in $CLUSTER/NAME.pid (the
# names `mosaic cluster down` knows: master, agent*, mbatchd).
daemon_start() {
	local name=$1 short=$2 pid
	shift 2
	local ns
	ns=$(ns_name "$short")
	[ -e "/run/netns/$ns" ] || fail "namespace $ns does not exist; not starting $name"
	# A plain command, not the nsrun function, so that $! is its pid.
	nsenter --net="/run/netns/$ns" -- setsid "$@" </dev/null >>"$CLUSTER/$name.log" 2>&1 &
	pid=$!
	echo "$pid" >"$CLUSTER/$name.pid"
	# nsenter and setsid exec (no fork): the pid is the daemon's.
	local exe=""
	for _ in $(seq 1 50); do
		exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || fail "$name exited at start"
		[ "$(basename "$exe")" = "$(basename "$1")" ] && break
		sleep 0.02
	done
	[ "$(basename "$exe")" = "$(basename "$1")" ] || fail "pid $pid of $name runs $exe, not $1"
	local want got
	want=$(stat -L -c %i "/run/netns/$(ns_name "$short")")
	got=$(stat -L -c %i "/proc/$pid/ns/net")
	[ "$want" = "$got" ] || fail "$name (pid $pid) is not in namespace $short"
}

# in_ns PID SHORT: the process is in our namespace SHORT.
in_ns() {
	[ "$(stat -L -c %i "/run/netns/$(ns_name "$2")")" = "$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null)" ]
}

# Master liveness settings: a lost agent is noticed after about
# PING_INTERVAL * MAX_MISSED seconds.
PING_INTERVAL=${PING_INTERVAL:-0.5}
MAX_MISSED=${MAX_MISSED:-4}

master_start() {
	daemon_start master m "$BIN/mosaic-master" --listen "$MASTER_URL" --http "$MASTER_HTTP" \
		--work-dir "$CLUSTER/master" --ping-interval "$PING_INTERVAL" --max-missed-pings "$MAX_MISSED" \
		--allocation-interval 0.5 "$@"
	wait_for 10 "the master to answer" m_cli status
}

# agent_start N SHORT RESOURCES: agent N (hostname aN) in namespace SHORT.
agent_start() {
	local n=$1 short=$2 res=$3 addr
	addr=${NS_ADDR[$short]}
	daemon_start "agent$n" "$short" "$BIN/mosaic-agent" --master "$MASTER_URL" \
		--listen "tcp://$addr:5051" --http "$addr:5052" --work-dir "$CLUSTER/agent$n" \
		--hostname "a$n" --resources "$res" --executor-idle-timeout 300s
}

# The CLI, from the master's namespace.
# (Every call is bounded: a hung call must not hang the test.)
m_cli() { MOSAIC_MASTER=$MASTER_URL nsrun m timeout 15 "$BIN/mosaic" "$@"; }
state_json() { nsrun m curl -sf --max-time 5 "http://$MASTER_HTTP/api/state"; }

agent_json() { m_cli agents --json | jq -e --arg h "$1" '.[] | select(.hostname == $h)'; }
agent_active() { m_cli agents --json | jq -e --arg h "$1" 'any(.[]; .hostname == $h and .active == true)'; }
agent_inactive() { m_cli agents --json | jq -e --arg h "$1" 'any(.[]; .hostname == $h and .active == false)'; }
total_cpus() { state_json | jq '.total.cpus'; }

# expect_run_lost PID OUT WHAT: the one-shot `mosaic run` PID (a background
# job of ours) ends non-zero within 15 s, reporting its task lost in OUT.
expect_run_lost() {
	local run_pid=$1 out=$2 what=$3 rc
	run_ended() { ! kill -0 "$run_pid" 2>/dev/null; }
	wait_for 15 "mosaic run of $what to end" run_ended
	set +e
	wait "$run_pid"
	rc=$?
	set -e
	BG_PIDS=()
	[ $rc -ne 0 ] || fail "mosaic run of $what exited 0: $(cat "$out")"
	grep -Eq 'TASK_LOST|TASK_UNREACHABLE' "$out" || fail "mosaic run did not report $what lost: $(cat "$out")"
}

pass() { log "PASS ($(($(date +%s) - START_TIME)) s)"; }

# With NETNS_VERBOSE=1: log the TCP connections of namespace SHORT (their
# retransmission back-off shows why a healed peer may still be unheard).
tcp_debug() {
	[ -n "${NETNS_VERBOSE:-}" ] || return 0
	log "TCP in namespace $1:"$'\n'"$(nsrun "$1" ss -tnio state established 2>&1 | grep -v '^Recv-Q' | paste - - | sed 's/^/    /')"
}
