#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, in scripts/sanitize.sh's clang ASan+UBSan
# build dir) and runs each one deterministically:
#   1. replay every committed input: fuzz/corpus/<target>/ and fuzz/regressions/<target>/
#   2. FUZZ_RUNS mutations from that corpus with -seed=1: for a given binary the
#      same inputs every time, so CI is green or red for a reason, not by luck.
# FUZZ_SECONDS=N (local use) fuzzes for N seconds instead, with a random seed;
# new crashes land in fuzz/artifacts/. Keep a fixed crash's input under
# fuzz/regressions/<target>/ so it is replayed forever after.
# Environment: SAN_BUILD_DIR (build-san), FUZZ_RUNS (20000), FUZZ_SECONDS, FUZZ_TARGETS
# (default: every fuzz_* target), FUZZ_MAX_LEN (65536), JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
SAN_BUILD_DIR=${SAN_BUILD_DIR:-build-san}
FUZZ_RUNS=${FUZZ_RUNS:-20000}
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-65536}
bash scripts/sanitize.sh --build-only

targets=${FUZZ_TARGETS:-$(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_WAIT_POLICY=passive
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p fuzz/artifacts

for t in $targets; do
  name=${t#fuzz_}
  bin="$SAN_BUILD_DIR/fuzz/$t"
  seeds=()
  for d in "fuzz/corpus/$name" "fuzz/regressions/$name"; do
    [ -d "$d" ] && [ -n "$(ls -A "$d")" ] && seeds+=("$d")
  done
  t0=$(date +%s)
  if [ ${#seeds[@]} -gt 0 ]; then
    mapfile -t inputs < <(find "${seeds[@]}" -type f | sort)
    echo "== fuzz: $t: replaying ${#inputs[@]} committed inputs"
    "$bin" "${inputs[@]}" > "$work/$t.replay.log" 2>&1 \
      || { tail -50 "$work/$t.replay.log"; echo "fuzz: $t fails on a committed input"; exit 1; }
  fi
  # New inputs go to a scratch dir listed first, so the committed corpus is never modified.
  mkdir -p "$work/$t.new"
  if [ -n "${FUZZ_SECONDS:-}" ]; then
    mode=(-max_total_time="$FUZZ_SECONDS")
  else
    mode=(-seed=1 -runs="$FUZZ_RUNS")
  fi
  echo "== fuzz: $t: ${mode[*]}"
  "$bin" "${mode[@]}" -max_len="$FUZZ_MAX_LEN" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$t-" "$work/$t.new" "${seeds[@]}" > "$work/$t.log" 2>&1 \
    || { tail -80 "$work/$t.log"; echo "fuzz: $t crashed; reproducer in fuzz/artifacts/"; exit 1; }
  grep -E "stat::number_of_executed_units|stat::new_units_added" "$work/$t.log" | tr '\n' ' '
  echo "($(( $(date +%s) - t0 )) s)"
done
