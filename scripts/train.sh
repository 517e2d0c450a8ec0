#!/usr/bin/env bash
# The README's main job: installs what is missing, builds, and trains the
# built-in default (Fashion-MNIST from Debian's dataset-fashion-mnist; the MLP on
# the CPU, a small ResNet on a GPU). Extra arguments go to `basin train`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Only the command line is needed here; the tests build with scripts/test.sh.
TARGETS=basin_cli bash scripts/build.sh
# A busy-waiting OpenMP pool fights OpenBLAS's threads on small machines.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# Debian's OpenBLAS picks AVX2 kernels on AMD CPUs that have AVX-512 (Zen 4); its
# SKYLAKEX kernels are 1.6-1.8x faster there (bench/cpu.md). Only when the CPU
# has every AVX-512 subset those kernels use, and the user did not choose.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -q ' avx512f ' /proc/cpuinfo && grep -q ' avx512bw ' /proc/cpuinfo \
   && grep -q ' avx512dq ' /proc/cpuinfo && grep -q ' avx512vl ' /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SKYLAKEX
fi
exec "${BUILD_DIR:-build}/basin" train "$@"
