#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) and
# runs each for SECONDS from its seeds. A crash fails the run and leaves
# its input in BUILD_DIR/fuzz-artifacts/ (replay it with
# BUILD_DIR/tests/fuzz/replay_<target> FILE).
#   scripts/fuzz.sh [BUILD_DIR] [SECONDS]     defaults: build-fuzz 15
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-fuzz}
secs=${2:-15}
targets=(envelope directives files_path parsers http)
if ! command -v clang >/dev/null; then
	echo "fuzz: skipped (no clang; scripts/install-deps.sh installs it)"
	exit 0
fi
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DMOSAIC_FUZZ=ON -DMOSAIC_WERROR=ON >/dev/null
build=()
for t in "${targets[@]}"; do build+=(--target "fuzz_$t" --target "replay_$t"); done
cmake --build "$dir" -j"$(nproc)" "${build[@]}" >/dev/null
mkdir -p "$dir/fuzz-artifacts"
status=0
for t in "${targets[@]}"; do
	corpus="$dir/fuzz-corpus/$t"
	rm -rf "$corpus"
	mkdir -p "$corpus"
	"$dir/tests/fuzz/replay_$t" --write "$corpus"
	log="$dir/fuzz-artifacts/$t.log"
	if "$dir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$dir/fuzz-artifacts/$t-" "$corpus" >"$log" 2>&1; then
		echo "fuzz_$t: $(ls "$corpus" | wc -l) inputs after ${secs} s, no crash ($(grep -o 'exec/s: [0-9]*' "$log" | tail -1))"
	else
		echo "fuzz_$t: FAILED - see $log; the input is in $dir/fuzz-artifacts/$t-*" >&2
		grep -E "ERROR|SUMMARY" "$log" | head -5 >&2 || true
		status=1
	fi
done
exit $status
