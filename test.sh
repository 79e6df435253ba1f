#!/usr/bin/env bash
# Builds Mosaic and runs every test: unit and integration, in a normal
# build with warnings as errors, then again in an AddressSanitizer +
# UndefinedBehaviorSanitizer build, then the libFuzzer targets briefly.
#   ./test.sh            everything (what CI runs)
#   ./test.sh --quick    the normal build only
#   ./test.sh -R regex   only tests whose names match (ctest -R)
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install-deps.sh --mpi   # OpenMPI too: the MPI tests run it

quick=0
ctest_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	-R) ctest_args+=(-R "$2"); shift ;;
	*) echo "test.sh: unknown option '$1' (try --quick or -R REGEX)" >&2; exit 2 ;;
	esac
	shift
done

jobs=$(nproc)
extra_ctest=()
run_suite() {
	local dir=$1; shift
	cmake -S . -B "$dir" -DMOSAIC_WERROR=ON -DMOSAIC_WITH_MPI=ON "$@" >/dev/null
	cmake --build "$dir" -j"$jobs"
	ctest --test-dir "$dir" --output-on-failure --timeout 300 ${ctest_args[@]+"${ctest_args[@]}"} ${extra_ctest[@]+"${extra_ctest[@]}"}
}

echo "== build and test (RelWithDebInfo, -Werror)"
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [ "$quick" -eq 0 ]; then
	echo "== build and test (ASan + UBSan; long scenario tests labelled slow ran above only)"
	extra_ctest=(-LE slow)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DMOSAIC_SANITIZE=ON
	if [ ${#ctest_args[@]} -eq 0 ]; then
		echo "== fuzz (libFuzzer targets of tests/fuzz, 15 s each)"
		bash scripts/fuzz.sh build-fuzz 15
	fi
fi
