#!/usr/bin/env bash
# Configures and builds basin. Environment: BUILD_DIR (build), BASIN_CUDA
# (AUTO|ON|OFF), CUDA_ARCHS (90), BUILD_TYPE (Release), JOBS (all cores), and
# EXTRA_CMAKE_ARGS for anything else; TARGETS limits what is built (e.g. basin_cli).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" \
  -DBASIN_CUDA="${BASIN_CUDA:-AUTO}" \
  -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-90}" \
  ${EXTRA_CMAKE_ARGS:-}
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "$JOBS" ${TARGETS:+--target $TARGETS}
