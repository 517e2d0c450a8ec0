#!/usr/bin/env bash
# The CPU build (-DBASIN_CUDA=OFF) with clang under AddressSanitizer +
# UndefinedBehaviorSanitizer, running the whole ctest suite. The same build dir is
# also instrumented for libFuzzer (-fsanitize=fuzzer-no-link) and holds the fuzz
# targets, so scripts/fuzz.sh reuses it instead of compiling everything again.
# Environment: SAN_BUILD_DIR (build-san), SAN_BUILD_TYPE (Debug: assertions and -g,
# with -O1 so ASan runs at a usable speed), JOBS (all cores), SAN_TARGETS (what to
# build: by default the test binary and the `basin` it runs; the benchmarks are
# not needed under sanitizers).
# Without oneDNN (-DBASIN_DNNL=OFF): Debian's libdnnl is built with GCC's OpenMP
# (libgomp), which would sit beside clang's libomp in one process, and its JIT
# code is not instrumented (ASan cannot see its reads and writes); the sanitizers
# are for basin's own code, so this build runs the reference CPU kernels.
# Arguments: --build-only (configure + build, no tests), anything else goes to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
SAN_BUILD_DIR=${SAN_BUILD_DIR:-build-san}
JOBS=${JOBS:-$(nproc)}
build_only=0
if [ "${1:-}" = "--build-only" ]; then build_only=1; shift; fi

if [ ! -f "$SAN_BUILD_DIR/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$SAN_BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE="${SAN_BUILD_TYPE:-Debug}" -DCMAKE_CXX_FLAGS="-O1" \
    -DBASIN_CUDA=OFF -DBASIN_DNNL=OFF -DBASIN_SANITIZE=ON -DBASIN_FUZZ=ON -DBASIN_TESTS=ON
fi
# shellcheck disable=SC2086
cmake --build "$SAN_BUILD_DIR" -j "$JOBS" --target ${SAN_TARGETS:-basin_tests basin_cli}
[ "$build_only" = 1 ] && exit 0

# Leaks are errors; UBSan reports abort (-fno-sanitize-recover) with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_WAIT_POLICY=passive
ctest --test-dir "$SAN_BUILD_DIR" --output-on-failure -j "$JOBS" "$@"
