#!/usr/bin/env bash
# Figure 3 of the NSO paper (Zhang, Li, Ju, TMLR 2024) in miniature (docs/results.md,
# section 3): tr(H) of the training loss during training for SGD, WP-SGD and NSO,
# logged by `basin train --hessian-every 1` (Hutchinson on the first HSUB training
# images after every epoch, with its standard error), drawn by `basin plot` (the
# "Hessian trace" panel, beside loss and accuracy), and a markdown table of the trace
# per epoch.
# Scales (flags):
#   default (CPU, ~10 min on 2 idle cores): ResNet-18 base width 8 (small-input stem),
#     the first 600 Fashion-MNIST training images, batch 50, 6 epochs, seed 1; the
#     trace on the first 64 training images with 10 Hutchinson samples, lambda_1 with
#     5 power iterations (the plot's "top eigenvalue" panel).
#   --full (a GPU, --device cuda): width 64, all training images, 30 epochs; the trace
#     on 1000 images with 50 samples, 20 power iterations.
#   --smoke (the ctest): width 4, 64 images, 2 epochs, 2 samples on 16 images.
# Other flags: --out DIR (default runs/figure3-<time>; must not exist or be empty),
# --epochs E, --width W, --limit N, --sigma S (NSO and WP-SGD, default 0.01), --seed S.
# BASIN=path/to/basin overrides the binary (default build/basin).
set -euo pipefail
CALLER_DIR=$PWD
cd "$(dirname "$0")/../.."
BASIN=${BASIN:-build/basin}
[ -x "$BASIN" ] || { echo "figure3.sh: $BASIN not built (BUILD_DIR=build bash scripts/build.sh)" >&2; exit 1; }
BASIN=$(realpath "$BASIN")
export OMP_WAIT_POLICY=passive

SCALE=cpu OUT="" EPOCHS="" WIDTH="" LIMIT="" SIGMA=0.01 SEED=1
while [ $# -gt 0 ]; do
  case "$1" in
    --full) SCALE=full ;;
    --smoke) SCALE=smoke ;;
    --out) OUT=$2; OUT_GIVEN=1; shift ;;
    --epochs) EPOCHS=$2; shift ;;
    --width) WIDTH=$2; shift ;;
    --limit) LIMIT=$2; shift ;;
    --sigma) SIGMA=$2; shift ;;
    --seed) SEED=$2; shift ;;
    -h|--help) sed -n 2,18p "$0"; exit 0 ;;
    *) echo "figure3.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case $SCALE in
  cpu)   DEV=cpu;  W=8;  N=600;  T=500;  E=6;  B=50;  H_SUB=64;   H_S=10; H_P=5 ;;
  full)  DEV=cuda; W=64; N=0;    T=0;    E=30; B=128; H_SUB=1000; H_S=50; H_P=20 ;;
  smoke) DEV=cpu;  W=4;  N=64;   T=64;   E=2;  B=32;  H_SUB=16;   H_S=2;  H_P=2 ;;
esac
E=${EPOCHS:-$E} W=${WIDTH:-$W} N=${LIMIT:-$N}
OUT=${OUT:-runs/figure3-$(date +%Y%m%d-%H%M%S)}
case $OUT in /*) ;; *) [ -n "${OUT_GIVEN:-}" ] && OUT=$CALLER_DIR/$OUT ;; esac
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
  echo "figure3.sh: $OUT is not empty; give a new --out (runs are never overwritten)" >&2; exit 1
fi
mkdir -p "$OUT"
# Three runs side by side, one core each when there are two.
J=3; [ "$DEV" = cuda ] && J=1
export OMP_NUM_THREADS=1 WORKERS=1
if [ "$DEV" = cuda ]; then OMP_NUM_THREADS=$(nproc); WORKERS=4; fi

run() {  # run METHOD FLAGS...
  local m=$1; shift
  "$BASIN" train --model resnet18 --base-width "$W" --small-input on --limit-train "$N" --limit-test "$T" \
    --epochs "$E" --batch-size "$B" --lr 0.05 --momentum 0.9 --weight-decay 5e-4 --schedule cosine --seed "$SEED" \
    --device "$DEV" --workers "$WORKERS" --log-every 0 --quiet "$@" \
    --hessian-every 1 --hessian-subset "$H_SUB" --hessian-samples "$H_S" --hessian-lanczos-steps "$H_P" \
    --out "$OUT/$m" > /dev/null 2> "$OUT/$m.log" \
    || { echo "figure3.sh: run $m failed, see $OUT/$m.log" >&2; tail -n 5 "$OUT/$m.log" >&2; return 1; }
}
pids=()
run sgd --optimizer sgd & pids+=($!)
[ "$J" = 1 ] && wait "${pids[-1]}"
run wpsgd --optimizer wpsgd --sigma "$SIGMA" --k 1 & pids+=($!)
[ "$J" = 1 ] && wait "${pids[-1]}"
run nso --optimizer nso --sigma "$SIGMA" --k 1 & pids+=($!)
for p in "${pids[@]}"; do wait "$p"; done

if command -v gnuplot > /dev/null 2>&1; then
  "$BASIN" plot "$OUT/sgd" "$OUT/wpsgd" "$OUT/nso" \
    --title "ResNet-18 width $W, Fashion-MNIST ($([ "$N" = 0 ] && echo all || echo "$N") images): tr(H) during training" \
    --out "$OUT/figure3.png" >&2
else
  echo "figure3.sh: gnuplot not installed, no plot (the table below has the numbers)" >&2
fi

/usr/bin/env python3 - "$OUT" <<'EOF' | tee "$OUT/figure3.md"
import json, sys
out = sys.argv[1]
runs = {"SGD": "sgd", "WP-SGD": "wpsgd", "NSO": "nso"}
rows = {}
for name, d in runs.items():
    for l in open(f"{out}/{d}/metrics.jsonl"):
        if l.strip():
            j = json.loads(l)
            if "hessian_trace" in j:
                rows.setdefault(j["epoch"], {})[name] = (j["hessian_trace"], j.get("hessian_trace_stderr", 0),
                                                         j["top_eigenvalue"], j["test_acc"])
print("| epoch | " + " | ".join(f"tr(H) {n}" for n in runs) + " | " + " | ".join(f"lambda_1 {n}" for n in runs) +
      " | " + " | ".join(f"test acc {n} (%)" for n in runs) + " |")
print("|---" * (1 + 3 * len(runs)) + "|")
for ep in sorted(rows):
    r = rows[ep]
    tr = " | ".join(f"{r[n][0]:.1f} +- {r[n][1]:.1f}" if n in r else "-" for n in runs)
    l1 = " | ".join(f"{r[n][2]:.2f}" if n in r else "-" for n in runs)
    acc = " | ".join(f"{100 * r[n][3]:.2f}" if n in r else "-" for n in runs)
    print(f"| {ep} | {tr} | {l1} | {acc} |")
EOF
