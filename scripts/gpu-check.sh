#!/usr/bin/env bash
# The one command for the lent GPU machine (issue 7). Run from the repo root
# through the device tool with carry [".carry"] (made here by scripts/make-carry.sh):
#
#   bash scripts/gpu-check.sh            # all: versions, build, ctest, memcheck, benchmarks
#   bash scripts/gpu-check.sh build      # versions, build, ctest, memcheck  (first call)
#   bash scripts/gpu-check.sh bench      # benchmarks (reuses build-gpu/ if the machine is still warm,
#                                        # else rebuilds; a rebuild costs ~3-5 min at -j16)
#   BENCH=quick bash scripts/gpu-check.sh bench   # a smaller benchmark matrix
#
# Every stage is time-boxed (timeout) so one stuck step cannot eat the device
# tool's 10-minute limit; logs and SUMMARY.md go to $OUT (or gpu-out/ without it).
# At most 8 files come back from $OUT: this writes exactly these:
#   SUMMARY.md build.log ctest.xml ctest.log memcheck.log bench-basin.json bench-basin.log bench-torch.jsonl
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
MODE=${1:-all}
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
BUILD=${BUILD_DIR:-build-gpu}
PY=${PYTHON:-python3}
SUM=$OUT/SUMMARY.md
T0=$(date +%s)
export OMP_WAIT_POLICY=passive PYTHONUNBUFFERED=1
[ -d .carry/lib ] && export LD_LIBRARY_PATH="$PWD/.carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

stage() { echo; echo "=== [$(( $(date +%s) - T0 ))s] $*"; }
note() { echo "$*" | tee -a "$SUM"; }
# run_boxed SECONDS LOG CMD...: runs with a time limit, appends output to LOG, echoes the tail.
run_boxed() {
  local secs=$1 log=$2; shift 2
  timeout --signal=TERM --kill-after=10 "$secs" "$@" >>"$log" 2>&1
  local rc=$?
  [ $rc -eq 124 ] && echo "!!! timed out after ${secs}s: $*" | tee -a "$log"
  tail -n 15 "$log"
  return $rc
}

if [ ! -f "$SUM" ] || [ "$MODE" != bench ]; then
  echo "# basin on the GPU machine ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'))" >"$SUM"
fi

# ---- versions -------------------------------------------------------------------------
stage "versions"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 || echo "nvidia-smi failed"
  nvcc --version 2>&1 | tail -2
  cmake --version | head -1; ninja --version; g++ --version | head -1
  $PY - <<'EOF' 2>&1
import os, torch
print("python", os.sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda,
      "cudnn", torch.backends.cudnn.version(), "gpu", torch.cuda.get_device_name(0) if torch.cuda.is_available() else None)
try:
    import nvidia.cudnn; print("pip cudnn at", os.path.dirname(nvidia.cudnn.__file__))
except Exception as e: print("no pip nvidia.cudnn:", e)
EOF
  command -v compute-sanitizer || echo "no compute-sanitizer on PATH"
  ls .carry 2>/dev/null | tr '\n' ' '; echo "(carried)"
} 2>&1 | tee /tmp/basin-versions.txt
{ echo; echo '```'; cat /tmp/basin-versions.txt; echo '```'; } >>"$SUM"

build() {
  stage "configure + build ($BUILD, CUDA arch 90, -j16)"
  : >"$OUT/build.log"
  [ -d .carry ] || { note "no .carry/ here: run scripts/make-carry.sh on the dev machine and name .carry in carry"; }
  run_boxed 60 "$OUT/build.log" cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBASIN_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DBASIN_DEPS_PREFIX="$PWD/.carry" -DPython_EXECUTABLE="$(command -v $PY)" \
    || { note "**configure FAILED** (build.log)"; return 1; }
  run_boxed 300 "$OUT/build.log" cmake --build "$BUILD" -j 16 || { note "**build FAILED** (build.log)"; return 1; }
  note "- build: OK in $(( $(date +%s) - T0 ))s since start"
}

if [ "$MODE" = all ] || [ "$MODE" = build ] || { [ "$MODE" = bench ] && [ ! -x "$BUILD/basin" ]; }; then
  build || { echo "build failed; see $OUT/build.log"; exit 1; }
fi

if [ "$MODE" = all ] || [ "$MODE" = build ]; then
  stage "ctest"
  : >"$OUT/ctest.log"
  run_boxed 110 "$OUT/ctest.log" ctest --test-dir "$BUILD" -j 8 --timeout 120 --output-on-failure \
    --output-junit "$OUT/ctest.xml"
  note "- ctest: $(grep -E 'tests passed|tests failed' "$OUT/ctest.log" | tail -1)"
  grep -E '^\s+[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception)\)' "$OUT/ctest.log" | sed 's/^/  - FAILED /' >>"$SUM"
  note "- skipped: $(grep -c 'Skipped' "$OUT/ctest.log" || true) (a CUDA test that skips here means it found no device)"

  stage "compute-sanitizer memcheck over the CUDA tests"
  : >"$OUT/memcheck.log"
  run_boxed 90 "$OUT/memcheck.log" compute-sanitizer --tool memcheck --leak-check no --error-exitcode 9 \
    "$BUILD/basin_tests" --gtest_filter='Cuda*:*Cuda*' --gtest_brief=1
  rc=$?
  note "- memcheck: exit $rc ($(grep -E 'ERROR SUMMARY' "$OUT/memcheck.log" | tail -1)); $(grep -E '^\[  (PASSED|FAILED)' "$OUT/memcheck.log" | tr '\n' ' ')"
fi

if [ "$MODE" = all ] || [ "$MODE" = bench ]; then
  # One matrix for both frameworks so every row has its PyTorch partner.
  if [ "${BENCH:-full}" = quick ]; then
    M224="resnet18,resnet34"; B224="64"; B32="128"; IT=10; WU=3
  else
    M224="resnet18,resnet34,resnet50"; B224="32,64,128,256"; B32="128,256"; IT=20; WU=5
  fi
  stage "basin bench"
  : >"$OUT/bench-basin.log"
  J=$OUT/bench-basin.json
  # Three runs (one JSON document each), merged below: throughput sweep, optimizer cost, kernels.
  run_boxed 300 "$OUT/bench-basin.log" "$BUILD/basin" bench --device cuda --model "$M224" --image-size 224 \
    --batch-size "$B224" --optim sgd --iters $IT --warmup $WU --arena-numel 0 --json --out "$OUT/b1.json"
  run_boxed 120 "$OUT/bench-basin.log" "$BUILD/basin" bench --device cuda --model resnet18 --image-size 32 \
    --batch-size "$B32" --optim sgd,nso,sam --iters $IT --warmup $WU --arena-numel 0 --json --out "$OUT/b2.json"
  run_boxed 180 "$OUT/bench-basin.log" "$BUILD/basin" bench --device cuda --model resnet34 --image-size 224 \
    --batch-size 64 --optim nso,sam --iters $IT --warmup $WU --json --out "$OUT/b3.json"
  $PY bench/compare.py merge "$J" "$OUT"/b1.json "$OUT"/b2.json "$OUT"/b3.json && rm -f "$OUT"/b[123].json

  stage "PyTorch reference"
  T=$OUT/bench-torch.jsonl
  : >"$T"
  run_boxed 300 "$T" $PY bench/torch_reference.py --device cuda --model "$M224" --image-size 224 \
    --batch-size "$B224" --optim sgd --precision fp32,bf16cl --iters $IT --warmup $WU
  run_boxed 120 "$T" $PY bench/torch_reference.py --device cuda --model resnet18 --image-size 32 \
    --batch-size "$B32" --optim sgd,nso,sam --precision fp32,bf16cl --iters $IT --warmup $WU --copy-numel 0
  run_boxed 120 "$T" $PY bench/torch_reference.py --device cuda --model resnet34 --image-size 224 \
    --batch-size 64 --optim nso,sam --precision fp32 --iters $IT --warmup $WU --copy-numel 0

  stage "other benchmarks"
  : >"$OUT/bench-other.log"
  for b in bench_cuda_ops bench_optim; do
    [ -x "$BUILD/$b" ] && run_boxed 120 "$OUT/bench-other.log" "$BUILD/$b" >/dev/null
  done
  # bench-other.log is the 9th file: fold it into the basin log so 8 come back.
  { echo; echo "==== bench_cuda_ops / bench_optim"; cat "$OUT/bench-other.log"; } >>"$OUT/bench-basin.log"
  rm -f "$OUT/bench-other.log"

  stage "summary"
  $PY bench/compare.py table "$J" "$T" >>"$SUM" || note "compare.py failed"
fi
stage "done in $(( $(date +%s) - T0 ))s"
echo; cat "$SUM"
