#!/usr/bin/env bash
# The NCCL path on a lent GPU machine (issue 14), after scripts/gpu-check.sh has
# built build-gpu/ (or BUILD_DIR=...). Needs mpirun on that machine (OpenMPI);
# skips with a message otherwise. One rank per GPU:
#   1. BASIN_DIST=mpi mpirun -np 1: the whole reduction path through NCCL with one
#      rank must give bitwise the weights of plain `basin train` (MLP, NSO, cuda);
#      and SGD with the all-reduce overlapped with backward (NCCL on its own
#      stream, --overlap-grads on, the default) and after it (off): both bitwise;
#   2. with 2+ GPUs: mpirun -np 2 at batch 16 against one process at batch 32
#      (max |dW| printed; float summation order only);
#   3. mpirun -np <GPUs> basin bench: all-reduce GB/s and the scaling table.
# Output under $OUT (or dist-gpu-out/): dist-gpu.log.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=${BUILD_DIR:-build-gpu}/basin
OUT=${OUT:-dist-gpu-out}
mkdir -p "$OUT"
exec > >(tee "$OUT/dist-gpu.log") 2>&1
command -v mpirun >/dev/null || { echo "dist-gpu-check: no mpirun here (apt-get install openmpi-bin); skipped"; exit 0; }
[ -x "$B" ] || { echo "dist-gpu-check: $B not built"; exit 1; }
MPI="mpirun --allow-run-as-root --oversubscribe --mca btl self,vader --mca btl_vader_single_copy_mechanism none"
GPUS=$(nvidia-smi -L 2>/dev/null | wc -l)
T=$(mktemp -d)
ARGS="train --device cuda --limit-train 1024 --limit-test 256 --hidden 64 --epochs 1 --quiet --optimizer nso --k 2"
set -x
"$B" $ARGS --batch-size 32 --out "$T/plain"
BASIN_DIST=mpi timeout 120 $MPI -np 1 "$B" $ARGS --batch-size 32 --out "$T/nccl1"
cmp "$T/plain/model.safetensors" "$T/nccl1/model.safetensors" && echo "N=1 through NCCL: bitwise equal"
SGD="train --device cuda --limit-train 1024 --limit-test 256 --hidden 64 --epochs 1 --quiet --optimizer sgd --batch-size 32 --bucket-mb 0.01"
"$B" $SGD --out "$T/sgd"
for ov in on off; do
  BASIN_DIST=mpi timeout 120 $MPI -np 1 "$B" $SGD --overlap-grads $ov --out "$T/sgd_$ov"
  cmp "$T/sgd/model.safetensors" "$T/sgd_$ov/model.safetensors" && echo "SGD N=1 through NCCL, overlap $ov: bitwise equal"
done
if [ "$GPUS" -ge 2 ]; then
  timeout 120 $MPI -np 2 "$B" $ARGS --rank-noise shared --batch-size 16 --out "$T/nccl2"
  /usr/bin/python3 - "$T/plain/model.safetensors" "$T/nccl2/model.safetensors" <<'PY' || true
import sys, json, struct
def load(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); d = b[8 + n:]
    return {k: d[v['data_offsets'][0]:v['data_offsets'][1]] for k, v in h.items() if k != '__metadata__' and v['dtype'] == 'F32'}
a, c = load(sys.argv[1]), load(sys.argv[2])
import array
m = max(max(abs(x - y) for x, y in zip(array.array('f', a[k]), array.array('f', c[k]))) for k in a)
print(f"2 GPUs x 16 vs 1 x 32 (NSO shared noise): max |dW| = {m:.3g}")
PY
fi
BASIN_DIST=mpi timeout 240 $MPI -np "$(( GPUS > 0 ? GPUS : 1 ))" "$B" bench --device cuda --model resnet18 --image-size 224 --batch-size 64 --iters 10
rm -rf "$T"
