# batch_lib.sh - helpers for the batch framework's integration tests, on
# top of lib.sh (source that first). mbatch finds the cluster's mbatchd from
# MOSAIC_MASTER, which lib.sh exports.
#
#   source "$(dirname "$0")/lib.sh" "$1"
#   source "$(dirname "$0")/batch_lib.sh"

# A job's field from `mbatch show --json` ("state", "exit", "node" ...).
job_field() { mbatch show "$1" --json | jq -r --arg f "$2" '.[0][$f] // empty'; }
job_state() { job_field "$1" state; }

job_ended() {
	case "$(job_state "$1")" in
	COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY) return 0 ;;
	*) return 1 ;;
	esac
}

# wait_job SECONDS ID [STATE]: until the job ended (in STATE when given).
wait_job() {
	wait_for "$1" "job $2 to end" job_ended "$2"
	if [ -n "${3:-}" ]; then
		local st
		st=$(job_state "$2")
		[ "$st" = "$3" ] || fail "job $2 ended $st, want $3: $(mbatch show "$2" 2>&1 | head -30)"
	fi
}

# Every job of the queue ended (nothing pending or running).
queue_empty() { [ "$(mbatch queue --json | jq length)" = 0 ]; }

# expect_refused WHAT PATTERN COMMAND...: the command fails (exit 1) and
# says PATTERN on stderr.
expect_refused() {
	local what=$1 pattern=$2 rc
	shift 2
	set +e
	"$@" >"$T/refused.out" 2>&1
	rc=$?
	set -e
	[ $rc -eq 1 ] || fail "$what: exit status $rc, want 1: $(cat "$T/refused.out")"
	grep -q -- "$pattern" "$T/refused.out" || fail "$what: no '$pattern' in: $(cat "$T/refused.out")"
}

# The mbatchd of the cluster: its pid, and how to start it again as
# `mosaic cluster up` did (same arguments, its log appended).
mbatchd_pid() { cat "$CLUSTER/mbatchd.pid"; }
mbatchd_restart_cmd() { tr '\0' '\n' <"/proc/$(mbatchd_pid)/cmdline" >"$T/mbatchd.argv"; }
mbatchd_start_again() {
	local args=()
	mapfile -t args <"$T/mbatchd.argv"
	setsid "${args[@]}" >>"$CLUSTER/mbatchd.log" 2>&1 </dev/null &
	echo $! >"$CLUSTER/mbatchd.pid"
	wait_for 10 "mbatchd to listen again" mbatch queue
}

# enter DIR: work from DIR (jobs run in their submit directory), leaving it
# before lib.sh's clean-up looks for processes whose directory is in $T.
# The clean-up also fails the test if mbatchd reported a sanitizer error
# (ASan builds), which it may do only as it exits.
enter() {
	cd "$1"
	trap 'batch_finish $?' EXIT
}

batch_finish() {
	local rc=$1
	cd /
	set +e
	mosaic cluster down --dir "$CLUSTER" >>"$T/down.out" 2>&1
	if grep -qE "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:" "$CLUSTER"/mbatchd.log 2>/dev/null; then
		echo "FAIL: $TEST_NAME: mbatchd reported a sanitizer error:" >&2
		grep -E -A20 "ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:" "$CLUSTER/mbatchd.log" | head -60 >&2
		rc=1
	fi
	(exit "$rc")
	cleanup
}
