# lib.sh - helpers for integration tests: a real local cluster (the real
# mosaic-master, mosaic-agents and executors, started by the real
# `mosaic cluster up`) on loopback ports of its own, torn down at exit with a
# check that no process was left behind.
#
#   source "$(dirname "$0")/lib.sh" "$1"     # $1: the build directory
set -euo pipefail

BUILD=$(cd "${1:?usage: test.sh BUILD_DIR}" && pwd)
BIN=$BUILD/bin
TOOLS=$BUILD/tests/bin
export PATH=$BIN:$PATH
TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "/tmp/mosaic-it-$TEST_NAME.XXXXXX")
CLUSTER=$T/cluster
DEADLINE_SECONDS=${DEADLINE_SECONDS:-240}
START_TIME=$(date +%s)

# A free loopback port (nothing listens on it or on it + 1010) in 20000-30999.
free_port() {
	local p
	for _ in $(seq 1 50); do
		# below Linux's ephemeral ports (32768-60999), where outgoing
		# connections and port-0 listeners take theirs, even as p + 1010
		# (mbatchd's port beside a master's)
		p=$((20000 + RANDOM % 11000))
		if ! ss -ltnH "( sport = :$p or sport = :$((p + 1010)) )" | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

MASTER_PORT=$(free_port)
HTTP_PORT=$(free_port)
export MOSAIC_MASTER=tcp://127.0.0.1:$MASTER_PORT
MASTER_HTTP=http://127.0.0.1:$HTTP_PORT

log() { printf '[%s %s] %s\n' "$TEST_NAME" "$(date +%T)" "$*"; }

dump_logs() {
	for f in "$CLUSTER"/*.log "$CLUSTER"/agent*/executors/*/executor.log; do
		[ -f "$f" ] || continue
		echo "----- ${f#"$T"/} (last 40 lines)"
		tail -n 40 "$f"
	done
}

fail() {
	echo "FAIL: $TEST_NAME: $*" >&2
	dump_logs >&2
	exit 1
}

# Processes that belong to this test: daemons whose command line names the
# test directory, and tasks whose working directory is inside it.
# The test's own shell and subshells (its session) do not count.
leftover_pids() {
	local pid mysid
	mysid=$(ps -o sid= -p $$ | tr -d ' ')
	{
		pgrep -f "$T" || true
		for d in /proc/[0-9]*; do
			pid=${d#/proc/}
			local c
			c=$(readlink "$d/cwd" 2>/dev/null) || continue
			case "$c" in "$T" | "$T"/*) echo "$pid" ;; esac
		done
	} | sort -u | while read -r pid; do
		[ "$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$mysid" ] || echo "$pid"
	done
}

cleanup() {
	local rc=$?
	set +e
	if [ -d "$CLUSTER" ]; then
		mosaic cluster down --dir "$CLUSTER" >"$T/down.out" 2>&1 || { echo "cluster down failed:"; cat "$T/down.out"; rc=1; }
	fi
	sleep 0.2
	local left
	left=$(leftover_pids)
	if [ -n "$left" ]; then
		echo "FAIL: $TEST_NAME: processes left behind after cluster down:" >&2
		ps -o pid,ppid,pgid,args -p $(echo $left | tr ' ' ',') >&2 || true
		kill -9 $left 2>/dev/null
		rc=1
	fi
	if [ $rc -eq 0 ]; then
		rm -rf "$T"
	else
		echo "(test files kept in $T)" >&2
	fi
	exit $rc
}
trap cleanup EXIT

cluster_up() {
	mosaic cluster up --dir "$CLUSTER" --master-port "$MASTER_PORT" --http-port "$HTTP_PORT" "$@" \
		>"$T/up.out" 2>&1 || { cat "$T/up.out"; fail "mosaic cluster up $*"; }
	log "cluster up: $(tr '\n' ' ' <"$T/up.out")"
}

# wait_for SECONDS DESCRIPTION COMMAND...: retry COMMAND every 0.2 s.
wait_for() {
	local secs=$1 what=$2
	shift 2
	local end=$(($(date +%s) + secs))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || fail "timed out after ${secs}s waiting for: $what"
		sleep 0.2
	done
}

# Waits up to $1 s until no process's command line matches the extended
# regex $2; if some stay, prints their state and cgroups and fails with $3.
# (Give the processes a pattern of their own, such as `sleep 30.$$`: sleep
# takes fractions, and another test's sleeps must not match.)
wait_procs_gone() {
	local secs=$1 pattern=$2 what=$3 end p
	end=$(($(date +%s) + secs))
	while pgrep -f "$pattern" >/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
	pgrep -f "$pattern" >/dev/null || return 0
	for p in $(pgrep -f "$pattern"); do
		ps -o pid,ppid,pgid,sid,stat,etime,args -p "$p" >&2 || true
		echo "cgroups of $p: $(tr '\n' ' ' <"/proc/$p/cgroup" 2>/dev/null)" >&2
	done
	fail "$what"
}

# The master's state as JSON, straight from the master's HTTP endpoint.
state_json() { curl -sf --max-time 5 "$MASTER_HTTP/api/state"; }

check_deadline() {
	[ $(($(date +%s) - START_TIME)) -lt "$DEADLINE_SECONDS" ] || fail "test over its ${DEADLINE_SECONDS}s budget"
}

pass() { log "PASS"; }

# restart_daemon NAME: kill -9 the daemon of DIR/NAME.pid and start it again
# with the same command line, in its own session, appending to its log.
restart_daemon() {
	local name=$1 pidf="$CLUSTER/$1.pid" pid
	pid=$(cat "$pidf")
	local -a cmd
	mapfile -d '' cmd <"/proc/$pid/cmdline"
	kill -9 "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	setsid "${cmd[@]}" </dev/null >>"$CLUSTER/$name.log" 2>&1 &
	echo $! >"$pidf"
	log "restarted $name (was pid $pid, now $(cat "$pidf"))"
}

# kill_daemon NAME: kill -9 the daemon of DIR/NAME.pid (no restart).
kill_daemon() {
	kill -9 "$(cat "$CLUSTER/$1.pid")"
}
