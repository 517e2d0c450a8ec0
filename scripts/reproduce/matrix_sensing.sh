#!/usr/bin/env bash
# Matrix sensing (the NSO paper's section 5, Figure 6): GD, WP-GD and NSO on an
# over-parameterized factorization from the same initialization
# (examples/matrix_sensing.cpp; sizes and settings in docs/results.md).
#   scripts/reproduce/matrix_sensing.sh [OUTDIR]      (default runs/matrix_sensing)
# Builds the example in BUILD_DIR (default build-cpu; configure it first with
# scripts/build.sh), runs it with the defaults of docs/results.md (or with
# MS_ARGS, e.g. MS_ARGS="--d 20 --r 2" for a quick look), prints its JSON lines
# and writes OUTDIR/matrix_sensing.csv and OUTDIR/matrix_sensing.png (3 panels:
# training MSE, validation MSE, ||U U^T - X*||_F over iterations; gnuplot).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build-cpu}
OUT=${1:-runs/matrix_sensing}
export OMP_WAIT_POLICY=passive
[ -f "$BUILD_DIR/CMakeCache.txt" ] || { echo "matrix_sensing.sh: $BUILD_DIR is not configured (BUILD_DIR=$BUILD_DIR bash scripts/build.sh)" >&2; exit 1; }
cmake --build "$BUILD_DIR" --target matrix_sensing > /dev/null
mkdir -p "$OUT"
# MS_ARGS is split into words on purpose (options only; no shell evaluation).
# shellcheck disable=SC2086
"$BUILD_DIR/examples/matrix_sensing" ${MS_ARGS:-} --csv "$OUT/matrix_sensing.csv" | tee "$OUT/matrix_sensing.jsonl"

if command -v gnuplot > /dev/null; then
  cd "$OUT"
  gnuplot <<'GP'
set terminal pngcairo size 1500,450 font ",11"
set output "matrix_sensing.png"
set datafile separator ","
set key top right
set logscale y
set format y "10^{%T}"
set xlabel "iteration"
set multiplot layout 1,3
set title "(a) training MSE"
plot for [m in "gd wpgd nso"] "< grep '^".m.",' matrix_sensing.csv" using 2:3 with lines lw 2 title m
set title "(b) validation MSE"
plot for [m in "gd wpgd nso"] "< grep '^".m.",' matrix_sensing.csv" using 2:4 with lines lw 2 title m
set title "(c) ||U U^T - X*||_F"
unset logscale y
set format y "%g"
plot for [m in "gd wpgd nso"] "< grep '^".m.",' matrix_sensing.csv" using 2:5 with lines lw 2 title m
unset multiplot
GP
  echo "plot: $OUT/matrix_sensing.png" >&2
else
  echo "matrix_sensing.sh: gnuplot not found, no plot" >&2
fi
