#!/usr/bin/env bash
# The CPU table of bench/cpu.md: one SGD training step (forward + backward +
# update) of basin (`basin bench --device cpu`)
# beside PyTorch (bench/torch_reference.py, the same models, batch and step:
# the best of ITERS steps after WARMUP, or their median with STAT=step_ms),
# for every model x batch x image size x thread count. Each configuration runs
# in its own process, basin and PyTorch interleaved (so load from other jobs
# hits both alike), and each process's peak resident memory is its max RSS
# (/usr/bin/time -f %M). Prints a Markdown table on stdout.
#
#   bench/cpu_table.sh                       # the whole table (tens of minutes on 2 cores)
#   MODELS=resnet18 SIZES=32 BATCHES=8 THREADS=2 bench/cpu_table.sh   # one row
# Environment: BASIN (default build/basin), MODELS, BATCHES, SIZES, THREADS,
# WARMUP (1), ITERS (3), TORCH_WAIT_POLICY, STAT (step_ms_min: best step; step_ms: median), CPU_KERNELS (basin's --cpu-kernels; default: basin's own default).
# Threads: "T" sets OMP_NUM_THREADS=T for both (and OPENBLAS_NUM_THREADS=T);
# "default" sets nothing: out of the box (basin uses every core; PyTorch 1.13
# uses 1 thread on this machine, whose CPU its core detection does not know).
set -euo pipefail
cd "$(dirname "$0")/.."
BASIN=${BASIN:-build/basin}
MODELS=${MODELS:-resnet18 resnet34 resnet50}
BATCHES=${BATCHES:-8 32}
SIZES=${SIZES:-224 32}
THREADS=${THREADS:-1 2}
WARMUP=${WARMUP:-1}
ITERS=${ITERS:-3}
# step_ms_min (the best step: robust against other jobs on a shared machine) or step_ms (the median)
STAT=${STAT:-step_ms_min}
# PyTorch's OMP_WAIT_POLICY (default: unset, PyTorch's out-of-the-box busy-waiting;
# basin sets passive itself, tools/main.cpp). TORCH_WAIT_POLICY=passive gives
# PyTorch the same policy, which helps it a lot on a loaded machine.
TORCH_WAIT_POLICY=${TORCH_WAIT_POLICY:-}
PY=/usr/bin/python3
KERNELS_ARG=()
[ -n "${CPU_KERNELS:-}" ] && KERNELS_ARG=(--cpu-kernels "$CPU_KERNELS")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run_env THREADS CMD...: runs CMD with that thread setting, max RSS (KiB) into $tmp/rss.
run_env() {
  local t=$1; shift
  if [ "$t" = default ]; then
    /usr/bin/time -f %M -o "$tmp/rss" "$@"
  else
    OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t /usr/bin/time -f %M -o "$tmp/rss" "$@"
  fi
}

echo "| model | batch | size | threads | basin ms | PyTorch ms | basin speed / PyTorch | basin peak MB | PyTorch peak MB |"
echo "|---|---|---|---|---|---|---|---|---|"
for m in $MODELS; do
  for s in $SIZES; do
    for b in $BATCHES; do
      for t in $THREADS; do
        run_env "$t" "$BASIN" bench --device cpu --model "$m" --image-size "$s" --batch-size "$b" \
          --warmup "$WARMUP" --iters "$ITERS" --arena-numel 0 --json "${KERNELS_ARG[@]}" > "$tmp/basin.json"
        basin_rss=$(tail -1 "$tmp/rss")
        run_env "$t" env ${TORCH_WAIT_POLICY:+OMP_WAIT_POLICY=$TORCH_WAIT_POLICY} "$PY" bench/torch_reference.py --device cpu --model "$m" --image-size "$s" --batch-size "$b" \
          --precision fp32 --warmup "$WARMUP" --iters "$ITERS" --copy-numel 0 > "$tmp/torch.json" 2> /dev/null
        torch_rss=$(tail -1 "$tmp/rss")
        "$PY" - "$tmp/basin.json" "$tmp/torch.json" "$m" "$b" "$s" "$t" "$basin_rss" "$torch_rss" "$STAT" <<'PYEOF'
import json, sys
bj, tj, m, b, s, t, brss, trss, key = sys.argv[1:]
basin = json.load(open(bj))["train"][0][key]
torch_ms = [json.loads(l) for l in open(tj) if l.strip().startswith("{")]
torch_ms = [r for r in torch_ms if r.get("kind") == "train"][0][key]
print(f"| {m} | {b} | {s} | {t} | {basin:.0f} | {torch_ms:.0f} | {torch_ms / basin:.2f}x | "
      f"{int(brss) / 1024:.0f} | {int(trss) / 1024:.0f} |", flush=True)
PYEOF
      done
    done
  done
done
