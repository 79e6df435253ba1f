# bench_lib.sh - a private local cluster for the mapred benchmarks (sourced).
#   source bench_lib.sh BUILD_DIR
# Sets BUILD, T (a scratch directory), CLUSTER, MOSAIC_MASTER, MAPRED_CATALOG;
# cluster_up ARGS... starts it; everything is torn down at exit.
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [options]}" && pwd)
export PATH=$BUILD/bin:$PATH
T=$(mktemp -d "${BENCH_TMP:-/tmp}/mapred-bench.XXXXXX")
CLUSTER=$T/cluster
export MAPRED_CATALOG=$T/catalog.db

free_port() {
	local p
	for _ in $(seq 1 50); do
		# below Linux's ephemeral ports (32768-60999), where outgoing
		# connections and port-0 listeners take theirs, even as p + 1010
		# (mbatchd's port beside a master's)
		p=$((20000 + RANDOM % 11000))
		ss -ltnH "( sport = :$p or sport = :$((p + 1010)) )" | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}
MASTER_PORT=$(free_port)
HTTP_PORT=$(free_port)
export MOSAIC_MASTER=tcp://127.0.0.1:$MASTER_PORT
BG_PIDS=()

bench_cleanup() {
	set +e
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -d "$CLUSTER" ] && mosaic cluster down --dir "$CLUSTER" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap bench_cleanup EXIT

# Other clusters may come and go on this machine: a port taken between the
# choice and the start is chosen again.
cluster_up() {
	for _ in 1 2 3; do
		if mosaic cluster up --dir "$CLUSTER" --master-port "$MASTER_PORT" --http-port "$HTTP_PORT" --no-batch "$@" \
			>"$T/up.out" 2>&1; then
			return 0
		fi
		grep -q "in use" "$T/up.out" || break
		MASTER_PORT=$(free_port)
		HTTP_PORT=$(free_port)
		export MOSAIC_MASTER=tcp://127.0.0.1:$MASTER_PORT
	done
	cat "$T/up.out"
	exit 1
}

source "$(dirname "${BASH_SOURCE[0]}")/bench_say.sh"
