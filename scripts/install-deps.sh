#!/usr/bin/env bash
# Installs what a fresh Debian machine (with the CUDA toolkit or without) lacks to
# build, test and run basin. Every third-party library comes from Debian.
set -euo pipefail
PKGS=(build-essential cmake ninja-build ccache pkg-config git python3
      libgtest-dev libopenblas-dev libdnnl-dev libstb-dev nlohmann-json3-dev libcli11-dev zlib1g-dev
      dataset-fashion-mnist gnuplot-nox
      # data-parallel training (mpirun -np N basin train) and its tests
      libopenmpi-dev openmpi-bin
      # CI's second stage (scripts/sanitize.sh, scripts/fuzz.sh): clang with its
      # sanitizer and libFuzzer runtimes, and clang's OpenMP runtime.
      clang libclang-rt-dev libomp-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
