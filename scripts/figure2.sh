#!/usr/bin/env bash
# The paper's Figure 2 check, end to end (docs/curvature.md, "The Figure 2 check"):
#   1. train an MLP 784-128-10 (ReLU, then tanh) on the first 1024 Fashion-MNIST
#      training images to near-zero training loss;
#   2. `basin hessian` on those 1024 images: Hutchinson trace (1000 samples), top
#      eigenvalue, perturbation gap E[L(W+U)] - L(W) at sigma 0.005/0.01/0.02
#      (1000 antithetic pairs each) beside (sigma^2/2) tr(H);
#   3. ReLU only: the same gap with the activation pattern pinned at W
#      (--freeze-gap) and the unfrozen finite-difference trace at a step |t v| = |U|
#      (kink crossings);
#   4. SGD and NSO on the full training set with --hessian-every 1, and the plot.
# About 10-15 minutes on 2 shared CPU cores. Usage: scripts/figure2.sh [OUTDIR] (default runs/figure2)
# BASIN=path/to/basin overrides the binary (default build/basin).
set -euo pipefail
cd "$(dirname "$0")/.."
BASIN=${BASIN:-build/basin}
OUT=${1:-runs/figure2}
export OMP_WAIT_POLICY=passive
[ -x "$BASIN" ] || { echo "figure2.sh: $BASIN not built (BUILD_DIR=build bash scripts/build.sh)" >&2; exit 1; }
mkdir -p "$OUT"
SUBSET=1024
SIGMAS=0.005,0.01,0.02

for act in relu tanh; do
  if [ ! -f "$OUT/$act/model.safetensors" ]; then
    "$BASIN" train --model mlp --hidden 128 --activation $act --limit-train $SUBSET --limit-test 1000 \
      --epochs 150 --batch-size 128 --lr 0.05 --weight-decay 0 --schedule cosine --seed 1 --quiet \
      --out "$OUT/$act" 2> "$OUT/$act.train.log" > /dev/null
  fi
  tail -n 1 "$OUT/$act/metrics.jsonl"
  "$BASIN" hessian --model mlp --weights "$OUT/$act/model.safetensors" --subset $SUBSET \
    --samples 1000 --power-iters 100 --sigma-list $SIGMAS --gap-samples 1000 > "$OUT/$act.hessian.txt"
done
"$BASIN" hessian --model mlp --weights "$OUT/relu/model.safetensors" --subset $SUBSET \
  --samples 1000 --power-iters 0 --sigma-list $SIGMAS --gap-samples 1000 --freeze-gap > "$OUT/relu.frozen_gap.txt"

# Unfrozen finite-difference trace with |t v| = |U| = sigma sqrt(P): rel_step = sigma sqrt(P) / |W|.
read -r WNORM P < <(/usr/bin/env python3 - "$OUT/relu/model.safetensors" <<'EOF'
import array, json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
s, p = 0.0, 0
for k, v in h.items():
    if k == "__metadata__":
        continue
    a = array.array("f", b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]])
    s += sum(x * x for x in a)
    p += len(a)
print(s ** 0.5, p)
EOF
)
for sigma in ${SIGMAS//,/ }; do
  rel=$(/usr/bin/env python3 -c "print($sigma * $P ** 0.5 / $WNORM)")
  "$BASIN" hessian --model mlp --weights "$OUT/relu/model.safetensors" --subset $SUBSET --samples 300 \
    --power-iters 0 --no-freeze --rel-step "$rel" --sigma "$sigma" --gap-samples 1 > "$OUT/relu.nofreeze.$sigma.txt"
done

# The table (markdown) from the JSON lines.
/usr/bin/env python3 - "$OUT" "$WNORM" <<'EOF'
import json, sys
out, wnorm = sys.argv[1], float(sys.argv[2])
def first(path):
    return json.loads(open(path).readline())
print("| net | tr(H) | top eig | sigma | gap | (sigma^2/2) tr(H) | ratio |")
print("|---|---|---|---|---|---|---|")
for name, path in [("relu", "relu.hessian.txt"), ("relu, pattern frozen in the gap", "relu.frozen_gap.txt"),
                   ("tanh", "tanh.hessian.txt")]:
    j = first(f"{out}/{path}")
    t, ts = j["trace"], j["trace_stderr"]
    for g in j["gaps"]:
        r = g["ratio"] * ((g["gap_stderr"] / g["perturbation_gap"]) ** 2 + (ts / t) ** 2) ** 0.5
        eig = f'{j["top_eigenvalue"]:.3f}' if j["power_iters"] else "-"
        print(f'| {name} | {t:.3f} +- {ts:.3f} | {eig} | {g["sigma"]} | {g["perturbation_gap"]:.4g} +- '
              f'{g["gap_stderr"]:.2g} | {g["predicted_gap"]:.4g} | {g["ratio"]:.3f} +- {r:.3f} |')
print(f"\n|W| = {wnorm:.4f}")
relu = first(f"{out}/relu.hessian.txt")
print("| sigma | unfrozen FD trace, step |tv| = |U| | 2 gap / sigma^2 (effective trace) | frozen trace |")
print("|---|---|---|---|")
for g in relu["gaps"]:
    s = g["sigma"]
    nf = first(f"{out}/relu.nofreeze.{s}.txt")
    print(f'| {s} | {nf["trace"]:.2f} +- {nf["trace_stderr"]:.2f} | {2 * g["perturbation_gap"] / s**2:.2f} | '
          f'{relu["trace"]:.2f} +- {relu["trace_stderr"]:.2f} |')
EOF

# SGD vs NSO (sigma 0.01 and 0.05) with the curvature logged every epoch, and the plot.
run() {  # run NAME OPTIMIZER SIGMA
  if [ ! -f "$OUT/$1/model.safetensors" ]; then
    "$BASIN" train --model mlp --hidden 128 --optimizer "$2" --sigma "$3" --epochs 10 --seed 1 \
      --hessian-every 1 --hessian-subset 1000 --hessian-samples 50 --hessian-power-iters 20 --quiet \
      --out "$OUT/$1" 2> "$OUT/$1.train.log" > /dev/null
  fi
  tail -n 1 "$OUT/$1/metrics.jsonl"
}
run sgd sgd 0.01
run nso-sigma0.01 nso 0.01
run nso-sigma0.05 nso 0.05
"$BASIN" plot "$OUT/sgd" "$OUT/nso-sigma0.01" "$OUT/nso-sigma0.05" \
  --title "MLP 784-128-10, Fashion-MNIST, 10 epochs: SGD vs NSO" --out "$OUT/sgd_vs_nso.png"
