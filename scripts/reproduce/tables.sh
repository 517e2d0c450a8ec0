#!/usr/bin/env bash
# Tables 2 and 3 of the NSO paper (Zhang, Li, Ju, TMLR 2024) in miniature
# (docs/results.md, section 2): SGD, WP-SGD, SAM, ASAM and NSO on Fashion-MNIST with
# a ResNet-18 (small-input stem: 3x3 stride-1 first convolution, no max-pool),
# SEEDS seeds each; at the end test accuracy (metrics.jsonl), tr(H) (Hutchinson) and
# lambda_1 (power iteration) from `basin hessian` on the first HSUB training images;
# mean +- std (sample std over seeds) as markdown tables:
#   table 1, equal epochs: every method trains E epochs;
#   table 2, equal gradient evaluations: SAM, ASAM and NSO (k=1: +U and -U) take two
#     gradients per step, SGD and WP-SGD one, so SGD and WP-SGD also train 2E epochs
#     (the doubled-budget baselines) and are compared with the others at E epochs;
#   table 3, transfer: one SGD model pre-trained on classes 0-4, then fine-tuned
#     (backbone from --init, a fresh head) on FT_PER_CLASS images per class of classes
#     5-9 with each method; test accuracy on the test images of classes 5-9.
# Scales (flags):
#   default (CPU, ~25 min on 2 idle cores): ResNet-18 base width 8 (stages 8/16/32/64),
#     the first 600 training images, batch 50, 3 epochs (6 for the doubled baselines),
#     test on the first 500 test images, 3 seeds; Hessian on the first 64 training
#     images, 10 Hutchinson samples, 6 power iterations; transfer: pre-train on 200
#     images per class of classes 0-4 (3 epochs), fine-tune on 50 per class of 5-9
#     (6 epochs, batch 25), test on 100 per class.
#   --full (a GPU, --device cuda): width 64, all 60000 training images, 30 epochs (60),
#     full test set; Hessian on 1000 images, 50 samples, 20 iterations; transfer on
#     all images of classes 0-4 (15 epochs), 50 per class of 5-9 (30 epochs), full test.
#   --smoke (the ctest): 1 seed, width 4, 64 images, 1 epoch; tiny transfer.
# Other flags: --out DIR (default runs/tables-<time>; must not exist or be empty),
# --seeds N, --jobs J (commands at once, each with nproc/J OpenMP threads; default 2 on the CPU),
# --epochs E, --width W, --limit N, --sigma S (NSO and WP-SGD noise std, default 0.01),
# --first-seed K (seeds K..K+N-1, default 1) and --also DIR (repeatable: the tables
# also take the runs of an earlier --out with the same settings, e.g. more seeds).
# BASIN=path/to/basin overrides the binary (default build/basin).
set -euo pipefail
CALLER_DIR=$PWD
cd "$(dirname "$0")/../.."
BASIN=${BASIN:-build/basin}
[ -x "$BASIN" ] || { echo "tables.sh: $BASIN not built (BUILD_DIR=build bash scripts/build.sh)" >&2; exit 1; }
BASIN=$(realpath "$BASIN")
export OMP_WAIT_POLICY=passive

SCALE=cpu OUT="" SEEDS="" JOBS="" EPOCHS="" WIDTH="" LIMIT="" SIGMA=0.01 FIRST=1 ALSO=()
while [ $# -gt 0 ]; do
  case "$1" in
    --full) SCALE=full ;;
    --smoke) SCALE=smoke ;;
    --out) OUT=$2; OUT_GIVEN=1; shift ;;
    --seeds) SEEDS=$2; shift ;;
    --jobs) JOBS=$2; shift ;;
    --epochs) EPOCHS=$2; shift ;;
    --width) WIDTH=$2; shift ;;
    --limit) LIMIT=$2; shift ;;
    --sigma) SIGMA=$2; shift ;;
    --first-seed) FIRST=$2; shift ;;
    --also) ALSO+=("$(cd "$CALLER_DIR" && realpath "$2")"); shift ;;
    -h|--help) sed -n 2,34p "$0"; exit 0 ;;
    *) echo "tables.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

case $SCALE in
  cpu)   DEV=cpu;  W=8;  N=600;  T=500;  E=3;  B=50;  H_SUB=64;   H_S=10; H_P=6;  J=2
         PRE_PC=200; FT_PC=50; TEST_PC=100; PRE_E=3; FT_E=6;  FT_B=25; EXPORT=3000; S=3 ;;
  full)  DEV=cuda; W=64; N=0;    T=0;    E=30; B=128; H_SUB=1000; H_S=50; H_P=20; J=1
         PRE_PC=0;   FT_PC=50; TEST_PC=0;   PRE_E=15; FT_E=30; FT_B=25; EXPORT=0; S=3 ;;
  smoke) DEV=cpu;  W=4;  N=64;   T=64;   E=1;  B=32;  H_SUB=16;   H_S=2;  H_P=2;  J=2
         PRE_PC=8;   FT_PC=4;  TEST_PC=6;   PRE_E=1; FT_E=1;  FT_B=8;  EXPORT=150; S=1 ;;
esac
S=${SEEDS:-$S} J=${JOBS:-$J} E=${EPOCHS:-$E} W=${WIDTH:-$W} N=${LIMIT:-$N}
E2=$((2 * E))
WORKERS=1; [ "$DEV" = cuda ] && WORKERS=4  # loader threads: the GPU would wait on one
OUT=${OUT:-runs/tables-$(date +%Y%m%d-%H%M%S)}
case $OUT in /*) ;; *) [ -n "${OUT_GIVEN:-}" ] && OUT=$CALLER_DIR/$OUT ;; esac
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
  echo "tables.sh: $OUT is not empty; give a new --out (runs are never overwritten)" >&2; exit 1
fi
mkdir -p "$OUT/runs" "$OUT/hessian" "$OUT/logs"
THREADS=$(( $(nproc) / J )); [ "$THREADS" -ge 1 ] || THREADS=1
export OMP_NUM_THREADS=$THREADS
echo "tables.sh: scale $SCALE: resnet18 width $W, $([ "$N" = 0 ] && echo all || echo "$N") training images, $E epochs" \
     "($E2 for the doubled baselines), $S seed(s), $J job(s) x $THREADS thread(s), device $DEV; out $OUT" >&2
cat > "$OUT/settings.json" <<EOF
{"scale": "$SCALE", "width": $W, "limit_train": $N, "limit_test": $T, "epochs": $E, "epochs_doubled": $E2,
 "batch_size": $B, "seeds": $S, "sigma": $SIGMA, "sam_rho": 0.05, "asam_rho": 0.5,
 "hessian_subset": $H_SUB, "hessian_samples": $H_S, "hessian_power_iters": $H_P,
 "pretrain_per_class": $PRE_PC, "finetune_per_class": $FT_PC, "test_per_class": $TEST_PC,
 "pretrain_epochs": $PRE_E, "finetune_epochs": $FT_E, "finetune_batch_size": $FT_B}
EOF

# A bounded job queue: at most J commands at once; a failed one stops the script.
queue() {
  while [ "$(jobs -rp | wc -l)" -ge "$J" ]; do wait -n; done
  "$@" &
}
drain() { while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n; done; wait; }

method_args() {  # method_args METHOD -> the optimizer flags
  case $1 in
    sgd) echo "--optimizer sgd" ;;
    wpsgd) echo "--optimizer wpsgd --sigma $SIGMA --k 1" ;;
    sam) echo "--optimizer sam --rho 0.05" ;;
    asam) echo "--optimizer asam --rho 0.5" ;;
    nso) echo "--optimizer nso --sigma $SIGMA --k 1" ;;
  esac
}

train() {  # train NAME EPOCHS SEED METHOD [extra flags...]: one run folder under $OUT/runs
  local name=$1 epochs=$2 seed=$3 method=$4; shift 4
  # shellcheck disable=SC2046
  "$BASIN" train --model resnet18 --base-width "$W" --small-input on --epochs "$epochs" --seed "$seed" \
    --lr 0.05 --momentum 0.9 --weight-decay 5e-4 --schedule cosine --device "$DEV" --workers "$WORKERS" --log-every 0 \
    --quiet $(method_args "$method") "$@" --out "$OUT/runs/$name" > /dev/null 2> "$OUT/logs/$name.log" \
    || { echo "tables.sh: run $name failed, see $OUT/logs/$name.log" >&2; tail -n 5 "$OUT/logs/$name.log" >&2; return 1; }
}

hessian() {  # hessian NAME: tr(H) and lambda_1 of run NAME on the first H_SUB training images
  "$BASIN" hessian --weights "$OUT/runs/$1/model.safetensors" --subset "$H_SUB" --samples "$H_S" \
    --lanczos-steps "$H_P" --gap-samples 1 --seed 0 --device "$DEV" --quiet > "$OUT/hessian/$1.txt" 2> "$OUT/logs/$1.hessian.log" \
    || { echo "tables.sh: hessian of $1 failed, see $OUT/logs/$1.hessian.log" >&2; return 1; }
}

# ---- transfer data: Fashion-MNIST as PNG folders, classes 0-4 and 5-9 -----------------
# Balanced subsets as symlinks into one export: pre/{train,test}/<class 0-4>, ft/train/<class
# 5-9> (FT_PC images each), ft/test/<class 5-9>.
make_transfer_data() {
  local d=$OUT/transfer/data
  mkdir -p "$d"
  "$BASIN" data export-idx --out "$d/png" ${EXPORT:+--limit $EXPORT} --quiet > /dev/null 2> "$OUT/logs/export.log"
  /usr/bin/env python3 - "$d" "$PRE_PC" "$FT_PC" "$TEST_PC" <<'EOF'
import os, sys
d, pre_pc, ft_pc, test_pc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
# export-idx names the class folders; Fashion-MNIST's label order (0-9):
classes = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]
assert sorted(os.listdir(f"{d}/png/train")) == sorted(classes), os.listdir(f"{d}/png/train")
def link(split, cls, dest, n):
    src = f"{d}/png/{split}/{cls}"
    files = sorted(os.listdir(src))
    if n:
        assert len(files) >= n, f"{src}: {len(files)} images < {n} (export more)"
        files = files[:n]
    os.makedirs(f"{d}/{dest}/{cls}")
    for f in files:
        os.symlink(os.path.abspath(f"{src}/{f}"), f"{d}/{dest}/{cls}/{f}")
for cls in classes[:5]:
    link("train", cls, "pre/train", pre_pc)
    link("test", cls, "pre/test", test_pc)
for cls in classes[5:]:
    link("train", cls, "ft/train", ft_pc)
    link("test", cls, "ft/test", test_pc)
EOF
}

strip_head() {  # strip_head IN OUT: the weights with the head (fc.*) stored as [1, n], so --init
  # skips it for its shape and the fine-tuning starts a fresh, seeded head (a missing
  # tensor would be an error; a head of another shape is what --init leaves out).
  /usr/bin/env python3 - "$1" "$2" <<'EOF'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
for k, v in h.items():
    if k.startswith("fc."):
        numel = 1
        for d in v["shape"]:
            numel *= d
        v["shape"] = [1, numel]
hb = json.dumps(h).encode()
hb += b" " * (-len(hb) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(hb)) + hb + b[8 + n:])
EOF
}

pretrain() {
  make_transfer_data
  train pretrain "$PRE_E" 0 sgd --data "$OUT/transfer/data/pre" --image-size 28 --eval-resize 28 --batch-size "$B"
  strip_head "$OUT/runs/pretrain/model.safetensors" "$OUT/transfer/backbone.safetensors"
}

METHODS="sgd wpsgd sam asam nso"
LIMITS=(--limit-train "$N" --limit-test "$T")

# ---- phase 1: the pre-training, every method x seed at E epochs, SGD/WP-SGD at 2E ----
queue pretrain
SEED_LIST=$(seq "$FIRST" $((FIRST + S - 1)))
for seed in $SEED_LIST; do
  for m in $METHODS; do queue train "$m-e$E-s$seed" "$E" "$seed" "$m" "${LIMITS[@]}" --batch-size "$B"; done
  for m in sgd wpsgd; do queue train "$m-e$E2-s$seed" "$E2" "$seed" "$m" "${LIMITS[@]}" --batch-size "$B"; done
done
drain

# ---- phase 2: the curvature of every run; the fine-tunings -------------------------------
for seed in $SEED_LIST; do
  for m in $METHODS; do queue hessian "$m-e$E-s$seed"; done
  for m in sgd wpsgd; do queue hessian "$m-e$E2-s$seed"; done
  for m in $METHODS; do
    queue train "ft-$m-s$seed" "$FT_E" "$seed" "$m" --data "$OUT/transfer/data/ft" --image-size 28 --eval-resize 28 \
      --batch-size "$FT_B" --init "$OUT/transfer/backbone.safetensors"
  done
done
drain

# ---- the tables ------------------------------------------------------------------------
/usr/bin/env python3 - "$OUT" "$METHODS" "$E" "$E2" "${ALSO[@]}" <<'EOF' | tee "$OUT/tables.md"
import glob, json, math, os, sys
out, methods, e, e2, also = sys.argv[1], sys.argv[2].split(), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
st = json.load(open(f"{out}/settings.json"))
for d in also:  # earlier outs must have run the same settings (seeds aside)
    o = json.load(open(f"{d}/settings.json"))
    diff = [k for k in st if k != "seeds" and st[k] != o.get(k)]
    assert not diff, f"--also {d}: settings differ in {diff}"
# Every run folder NAME-sSEED of this out and the --also outs: the folder that holds it.
where = {}
for d in [out] + also:
    for r in sorted(glob.glob(f"{d}/runs/*-s*")):
        where.setdefault(os.path.basename(r), d)
seeds = sorted({int(n.rsplit("-s", 1)[1]) for n in where if n.startswith("sgd-")})
names = {"sgd": "SGD", "wpsgd": "WP-SGD", "sam": "SAM", "asam": "ASAM", "nso": "NSO"}
grads = {"sgd": 1, "wpsgd": 1, "sam": 2, "asam": 2, "nso": 2}

def last_metrics(run):
    lines = [l for l in open(f"{where.get(run, out)}/runs/{run}/metrics.jsonl") if l.strip()]
    return json.loads(lines[-1])

def hess(run):
    return json.loads(open(f"{where[run]}/hessian/{run}.txt").readline())

def ms(xs, fmt):
    if len(xs) == 1:
        return fmt.format(xs[0])
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))
    return fmt.format(m) + " +- " + fmt.format(sd)

def row(m, epochs):
    runs = [f"{m}-e{epochs}-s{s}" for s in seeds]
    acc = [100 * last_metrics(r)["test_acc"] for r in runs]
    loss = [last_metrics(r)["train_loss"] for r in runs]
    h = [hess(r) for r in runs]
    tr = [x["trace"] for x in h]
    l1 = [x["top_eigenvalue"] for x in h]
    ge = grads[m] * epochs
    print(f"| {names[m]} | {epochs} | {ge} | {ms(acc, '{:.2f}')} | {ms(loss, '{:.4f}')} | {ms(tr, '{:.1f}')} | {ms(l1, '{:.2f}')} |")

head = ("| method | epochs | gradient evaluations (x training set) | test acc (%) | final train loss | tr(H) | lambda_1 |\n"
        "|---|---|---|---|---|---|---|")
n = st["limit_train"] or 60000
print(f"ResNet-18 width {st['width']} (small-input stem), Fashion-MNIST, {n} training images, "
      f"{len(seeds)} seed(s) ({', '.join(map(str, seeds))}), "
      f"mean +- std over seeds; tr(H) and lambda_1 on the first {st['hessian_subset']} training images "
      f"({st['hessian_samples']} Hutchinson samples, {st['hessian_power_iters']} power iterations); "
      f"NSO/WP-SGD sigma {st['sigma']}, SAM rho 0.05, ASAM rho 0.5.\n")
print(f"Table 1: equal epochs ({e})\n")
print(head)
for m in methods:
    row(m, e)
print(f"\nTable 2: equal gradient evaluations ({2 * e} x training set)\n")
print(head)
for m in methods:
    row(m, e2 if grads[m] == 1 else e)
print(f"\nTable 3: transfer, pre-trained (SGD) on classes 0-4, fine-tuned on {st['finetune_per_class']} images per class "
      f"of classes 5-9 for {st['finetune_epochs']} epochs; test accuracy on classes 5-9\n")
pre = last_metrics("pretrain")
print("| method | test acc (%) on classes 5-9 | final train loss |\n|---|---|---|")
for m in methods:
    runs = [f"ft-{m}-s{s}" for s in seeds]
    acc = [100 * last_metrics(r)["test_acc"] for r in runs]
    loss = [last_metrics(r)["train_loss"] for r in runs]
    print(f"| {names[m]} | {ms(acc, '{:.2f}')} | {ms(loss, '{:.4f}')} |")
print(f"\n(pre-training: test accuracy {100 * pre['test_acc']:.2f}% on classes 0-4)")
EOF
