#!/usr/bin/env bash
# The README's test command: installs what is missing, builds (with the CUDA
# backend when the toolkit is there), and runs the whole suite with ctest. CUDA
# tests report SKIPPED with the reason when no GPU is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
export OMP_WAIT_POLICY=passive
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j "${JOBS:-$(nproc)}" "$@"
