#!/usr/bin/env bash
# The one command for the lent GPU machine (issues 7, 13). The device budget is
# ~15 minutes per task, starts included: this is ONE call of ~8 minutes that
# leaves room for one rerun. Run from the repo root through the device tool with
# carry [".carry"] (made here by scripts/make-carry.sh), timeout_s 560:
#
#   bash scripts/gpu-check.sh          # versions, build, ctest, memcheck, quick benchmark
#   bash scripts/gpu-check.sh build    # versions, build, ctest, memcheck only
#   bash scripts/gpu-check.sh bench    # benchmark only (reuses build-gpu/ on a warm machine)
#   DRY_RUN=1 bash scripts/gpu-check.sh   # no GPU needed: prints the commands, writes a sample SUMMARY.md
#
# Every stage has its own time limit, and a stage is skipped once the whole run
# has used BUDGET_S (default 470 s), so one stuck step cannot eat the device
# tool's 10-minute limit. TF32: ctest runs as the tests set it (curvature and
# every test compared with a CPU/float64 reference turn it off with
# kernels::Tf32Guard; nothing else), the benchmark runs basin's and PyTorch's
# default (TF32 convolutions on, fp32 matmuls) beside PyTorch AMP channels_last.
# Output under $OUT (or gpu-out/): SUMMARY.md (paste into bench/RESULTS.md),
# build.log ctest.log memcheck.log bench-basin.json bench-torch.jsonl bench.log.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }
MODE=${1:-all}
case "$MODE" in
  all | build | bench) ;;
  -h | --help | help) usage; exit 0 ;;
  *) echo "gpu-check.sh: unknown mode '$MODE' (all | build | bench | --help)" >&2; exit 2 ;;
esac

OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
BUILD=${BUILD_DIR:-build-gpu}
PY=${PYTHON:-python3}
BUDGET_S=${BUDGET_S:-470}
DRY=${DRY_RUN:-0}
SUM=$OUT/SUMMARY.md
T0=$(date +%s)
export OMP_WAIT_POLICY=passive PYTHONUNBUFFERED=1
[ -d .carry/lib ] && export LD_LIBRARY_PATH="$PWD/.carry/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

elapsed() { echo $(($(date +%s) - T0)); }
stage() { echo; echo "=== [$(elapsed)s] $*"; }
note() { echo "$*" | tee -a "$SUM"; }
# Whether a stage of about `need` seconds still fits the budget (else it is noted as skipped).
fits() {
  local need=$1 what=$2
  if [ $(($(elapsed) + need)) -gt "$BUDGET_S" ]; then
    note "- $what: SKIPPED (budget: $(elapsed)s of ${BUDGET_S}s used)"
    return 1
  fi
}
# boxed SECONDS LOG CMD...: runs CMD with a time limit, appending its output to LOG
# and echoing the command there first (DRY_RUN: only the echo).
boxed() {
  local secs=$1 log=$2
  shift 2
  echo "\$ $*" >>"$log"
  [ "$DRY" = 1 ] && return 0
  timeout --signal=TERM --kill-after=10 "$secs" "$@" >>"$log" 2>&1
  local rc=$?
  [ $rc -eq 124 ] && echo "!!! timed out after ${secs}s: $*" | tee -a "$log"
  tail -n 12 "$log"
  return $rc
}

# ---- header and versions ------------------------------------------------------------
{
  echo "## $(date -u +%Y-%m-%d) GPU check, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?') (scripts/gpu-check.sh $MODE)"
  echo
} >"$SUM"
stage "versions"
if [ "$DRY" = 1 ]; then
  VERS="device: (dry run) | driver: ? | CUDA (nvcc): ? | cuDNN: ? | PyTorch: ?"
else
  GPU=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)
  NVCC=$(nvcc --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p')
  TORCH=$(timeout 30 "$PY" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda, "| cuDNN:", torch.backends.cudnn.version())' 2>/dev/null)
  VERS="device, driver, memory: ${GPU:-nvidia-smi failed} | CUDA (nvcc): ${NVCC:-?} | PyTorch: ${TORCH:-not importable}"
fi
note "- $VERS"

# ---- build: only what the checks run ----------------------------------------------------
build() {
  stage "configure + build ($BUILD, sm_90, -j16: basin_tests basin_cli)"
  : >"$OUT/build.log"
  [ -d .carry ] || note "- no .carry/ here: run scripts/make-carry.sh on the dev machine and name .carry in carry"
  boxed 40 "$OUT/build.log" cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBASIN_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DBASIN_DEPS_PREFIX="$PWD/.carry" -DPython_EXECUTABLE="$(command -v "$PY")" ||
    { note "- configure: FAILED (build.log)"; return 1; }
  boxed 210 "$OUT/build.log" cmake --build "$BUILD" -j 16 --target basin_tests basin_cli ||
    { note "- build: FAILED (build.log)"; return 1; }
  note "- build: OK at $(elapsed)s"
}
if [ "$MODE" != bench ] || [ ! -x "$BUILD/basin" ]; then
  build || { echo "build failed; see $OUT/build.log"; cat "$SUM"; exit 1; }
fi

# ---- tests ------------------------------------------------------------------------------
if [ "$MODE" != bench ]; then
  stage "ctest"
  : >"$OUT/ctest.log"
  if fits 80 "ctest"; then
    boxed 80 "$OUT/ctest.log" ctest --test-dir "$BUILD" -j 12 --timeout 60 --output-on-failure
    note "- ctest: $(grep -E 'tests passed|tests failed' "$OUT/ctest.log" | tail -1)"
    grep -E '^\s+[0-9]+ - .*\((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception)\)' "$OUT/ctest.log" |
      sed 's/^ */  - FAILED: /' >>"$SUM"
    note "- CUDA tests skipped: $(grep -cE 'Cuda.*Skipped|Skipped.*Cuda' "$OUT/ctest.log") (a skip here means no device was found)"
  fi

  stage "compute-sanitizer memcheck (CUDA kernel and nn-op tests)"
  : >"$OUT/memcheck.log"
  MC_FILTER='CudaOps.*:CudaNnOps.*:OptimCuda.*:CudaContext.*:Golden.LayersCuda'
  if fits 50 "memcheck"; then
    boxed 50 "$OUT/memcheck.log" compute-sanitizer --tool memcheck --leak-check no --error-exitcode 9 \
      "$BUILD/basin_tests" --gtest_filter="$MC_FILTER" --gtest_brief=1
    rc=$?
    note "- memcheck ($MC_FILTER): exit $rc; $(grep -E 'ERROR SUMMARY' "$OUT/memcheck.log" | tail -1); $(grep -E '^\[  (PASSED|FAILED)' "$OUT/memcheck.log" | tr '\n' ' ')"
  fi
fi

# ---- quick benchmark beside PyTorch --------------------------------------------------------
if [ "$MODE" != build ]; then
  MODELS=resnet18,resnet34,resnet50
  # shellcheck disable=SC2054
  BASIN_CMD=("$BUILD/basin" bench --device cuda --model "$MODELS" --image-size 224 --batch-size 64 --optim sgd
    --iters 8 --warmup 3 --arena-numel 0 --json --out "$OUT/bench-basin.json")
  # shellcheck disable=SC2054  # the commas are the tools' list syntax
  TORCH_CMD=("$PY" bench/torch_reference.py --device cuda --model "$MODELS" --image-size 224 --batch-size 64
    --optim sgd --precision fp32,bf16cl --iters 8 --warmup 3 --copy-numel 0)
  : >"$OUT/bench.log"
  : >"$OUT/bench-torch.jsonl"
  stage "basin bench"
  fits 60 "basin bench" && boxed 60 "$OUT/bench.log" "${BASIN_CMD[@]}"
  stage "PyTorch reference"
  fits 75 "PyTorch bench" && boxed 75 "$OUT/bench-torch.jsonl" "${TORCH_CMD[@]}"
  {
    echo
    echo "Images/s, training step (forward+backward+SGD), batch 64, 224x224; basin fp32 with TF32 convolutions"
    echo "(its default, as PyTorch's); PyTorch fp32 (same TF32 setting) and AMP bf16 channels_last:"
    echo
    echo '```'
    echo "${BASIN_CMD[*]//$OUT\//\$OUT/}"
    echo "${TORCH_CMD[*]}"
    echo '```'
    echo
  } >>"$SUM"
  if [ "$DRY" = 1 ]; then
    echo "(dry run: no table)" >>"$SUM"
  elif [ -s "$OUT/bench-basin.json" ]; then
    "$PY" bench/compare.py table "$OUT/bench-basin.json" "$OUT/bench-torch.jsonl" >>"$SUM" 2>>"$OUT/bench.log" ||
      note "- compare.py failed (bench.log)"
  else
    note "- no basin benchmark result (bench.log)"
  fi
fi
stage "done in $(elapsed)s"
note "- total: $(elapsed)s of the ${BUDGET_S}s budget"
echo
cat "$SUM"
