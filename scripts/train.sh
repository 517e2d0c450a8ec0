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
exec "${BUILD_DIR:-build}/basin" train "$@"
