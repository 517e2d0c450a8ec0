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
# (default: every fuzz_* target), FUZZ_MAX_LEN (65536), FUZZ_JOBS (targets at once:
# all cores), JOBS (build).
set -euo pipefail
cd "$(dirname "$0")/.."
SAN_BUILD_DIR=${SAN_BUILD_DIR:-build-san}
FUZZ_RUNS=${FUZZ_RUNS:-20000}
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-65536}
targets=${FUZZ_TARGETS:-$(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')}
# shellcheck disable=SC2086
SAN_TARGETS="$(echo $targets)" bash scripts/sanitize.sh --build-only
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_WAIT_POLICY=passive
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p fuzz/artifacts

# One target: replay, then the deterministic (or timed) run. Output to $work/$t.out.
fuzz_one() {
  local t=$1 name=${1#fuzz_} bin="$SAN_BUILD_DIR/fuzz/$1" t0 d
  local seeds=() inputs=() mode=()
  for d in "fuzz/corpus/$name" "fuzz/regressions/$name"; do
    if [ -d "$d" ] && [ -n "$(ls -A "$d")" ]; then seeds+=("$d"); fi
  done
  t0=$(date +%s)
  if [ ${#seeds[@]} -gt 0 ]; then
    mapfile -t inputs < <(find "${seeds[@]}" -type f | sort)
    echo "== fuzz: $t: replaying ${#inputs[@]} committed inputs"
    "$bin" "${inputs[@]}" > "$work/$t.replay.log" 2>&1 \
      || { tail -50 "$work/$t.replay.log"; echo "fuzz: $t FAILS on a committed input"; return 1; }
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
    || { tail -80 "$work/$t.log"; echo "fuzz: $t CRASHED; reproducer in fuzz/artifacts/"; return 1; }
  echo "== fuzz: $t: ok, $(grep -hE "stat::(number_of_executed_units|new_units_added)" "$work/$t.log" | tr -s ' ' | tr '\n' ' ')($(( $(date +%s) - t0 )) s)"
}

# The targets run FUZZ_JOBS at a time (each is single-threaded and deterministic
# on its own, so running them side by side changes no verdict).
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc)}
pids=()
names=()
failed=0
for t in $targets; do
  while [ "$(jobs -rp | wc -l)" -ge "$FUZZ_JOBS" ]; do wait -n || true; done
  fuzz_one "$t" > "$work/$t.out" 2>&1 &
  pids+=($!)
  names+=("$t")
done
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then failed=1; fi
  cat "$work/${names[$i]}.out"
done
if [ "$failed" != 0 ]; then
  echo "fuzz: FAILED"
  exit 1
fi
echo "fuzz: all targets green"
