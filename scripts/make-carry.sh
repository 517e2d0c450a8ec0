#!/usr/bin/env bash
# Fills .carry/ (ignored by git) with the third-party pieces the build needs that
# the bare GPU machine lacks, copied from THIS machine's Debian packages:
#   src/googletest         GoogleTest sources (libgtest-dev), built by our CMake
#   include/stb            stb headers (libstb-dev)
#   include/nlohmann       + share/cmake/nlohmann_json (nlohmann-json3-dev)
#   include/CLI            + share/cmake/CLI11 (libcli11-dev)
#   include/zlib.h ...     + lib/libz.a (zlib1g-dev; static, so nothing to load)
#   include/cblas.h ...    + lib/libopenblas.so.0 and its runtime deps
#                          libgfortran.so.5, libquadmath.so.0 (libopenblas0-pthread)
# Then configure with -DBASIN_DEPS_PREFIX=$PWD/.carry (scripts/gpu-check.sh does),
# and name ".carry" in the device tool's `carry`. The CMake config files copied
# here locate their headers relative to themselves, so the folder can move.
# Usage: bash scripts/make-carry.sh [dest]   (dest defaults to .carry)
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=${1:-.carry}
MULTI=/usr/lib/x86_64-linux-gnu

need() { [ -e "$1" ] || { echo "make-carry: missing $1 (apt-get install $2)" >&2; exit 1; }; }
need /usr/src/googletest/CMakeLists.txt libgtest-dev
need /usr/include/stb/stb_image.h libstb-dev
need /usr/include/nlohmann/json.hpp nlohmann-json3-dev
need /usr/include/CLI/CLI.hpp libcli11-dev
need /usr/include/zlib.h zlib1g-dev
need $MULTI/libz.a zlib1g-dev
need /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h libopenblas-pthread-dev

rm -rf "$DEST"
mkdir -p "$DEST"/{src,include,lib,share/cmake}

cp -a /usr/src/googletest "$DEST/src/googletest"
cp -a /usr/include/stb "$DEST/include/stb"
cp -a /usr/include/nlohmann "$DEST/include/nlohmann"
cp -a /usr/include/CLI "$DEST/include/CLI"
cp -a /usr/share/cmake/nlohmann_json "$DEST/share/cmake/nlohmann_json"
cp -a /usr/share/cmake/CLI11 "$DEST/share/cmake/CLI11"
cp -L /usr/include/zlib.h /usr/include/zconf.h "$DEST/include/"
# zconf.h may live in the multiarch include dir on some releases.
[ -e /usr/include/x86_64-linux-gnu/zconf.h ] && cp -L /usr/include/x86_64-linux-gnu/zconf.h "$DEST/include/"
cp -L $MULTI/libz.a "$DEST/lib/"

# OpenBLAS: headers, the library under its soname plus the link-time name, and
# every non-glibc library it needs (ldd tells which; glibc is on every machine).
cp -L /usr/include/x86_64-linux-gnu/openblas-pthread/{cblas.h,openblas_config.h} "$DEST/include/"
blas=$(readlink -f $MULTI/openblas-pthread/libopenblas.so.0)
# No libopenblas.so symlink (links may not travel): cmake/BasinDeps.cmake names
# the versioned file itself.
cp -L "$blas" "$DEST/lib/libopenblas.so.0"
ldd "$blas" | awk '/=>/ {print $1, $3}' | while read -r name path; do
  case "$name" in
    libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libgcc_s.so*|linux-vdso*) ;;
    *) cp -L "$path" "$DEST/lib/$name" ;;
  esac
done
for lib in libgfortran.so.5 libquadmath.so.0; do
  need "$DEST/lib/$lib" "libgfortran5 (an OpenBLAS dependency)"
done

# Newest glibc symbol version the carried libraries need: the GPU machine's glibc
# must be at least this (it is Ubuntu 24.04's 2.39 there; Debian 12 builds need <= 2.36).
glibc=$(objdump -T "$DEST"/lib/*.so.* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 || true)
echo "make-carry: $DEST holds $(du -sh "$DEST" | cut -f1) (device tool limit: 64 MiB with the repo); needs ${glibc:-GLIBC_?}"
du -sh "$DEST"/* | sed 's/^/  /'
