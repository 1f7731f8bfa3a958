#!/usr/bin/env bash
# Builds the stand-in libcuda.so.1 (driver.cpp + emu.h + every kernels/*.cu compiled as C++) into
# target/cuda-emu/, for testing the cuda engine on a machine without a GPU:
#   LD_LIBRARY_PATH=target/cuda-emu mvn test -Dtest=CudaEngineTest     (scripts/emu-check does this)
# native/cuda-emu/test-kernels/*.cu (kernels that exist only to test the emulator, such as a
# deliberately racy one) are compiled in too; they never reach the jar (build-kernels.sh reads
# kernels/ only).
# Usage: native/cuda-emu/build.sh [project root]
set -euo pipefail
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
here="$root/native/cuda-emu"
out="$root/target/cuda-emu"
mkdir -p "$out"
sources=("$root"/kernels/*.cu "$here"/test-kernels/*.cu)
# The kernels as one C++ translation unit (common.cuh's shared-memory macros are emu.h's here),
# and the table of their entry points by name.
{
  echo '#include "common.cuh"'
  for cu in "${sources[@]}"; do
    echo "// ---- $(basename "$cu")"
    cat "$cu"
  done
} > "$out/kernels.inc"
sed -nE 's/^extern "C" __global__ void (__launch_bounds__\([^)]*\) )?([A-Za-z_0-9]+)\(.*/KERNEL(\2)/p' "${sources[@]}" > "$out/kernels.list.inc"
# A stub for every driver function JCuda links against that driver.cpp does not define.
natives="$(find "$HOME/.m2/repository/org/jcuda/jcuda-natives" -name 'jcuda-natives-*-linux-x86_64.jar' | sort | tail -n 1)"
[ -n "$natives" ] || { echo "cuda-emu: no jcuda-natives jar in ~/.m2 (run mvn once)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && unzip -q -o "$natives" 'lib/libJCudaDriver-*')
defined="$(grep -oE '^CUresult (cu[A-Za-z0-9_]+)' "$here/driver.cpp" | awk '{print $2}' | sort -u)"
nm -D --undefined-only "$tmp"/lib/libJCudaDriver-*.so | awk '$2 ~ /^cu/ {print $2}' | sort -u \
  | comm -23 - <(echo "$defined") \
  | awk '{print "int " $1 "() { return 801; }  /* CUDA_ERROR_NOT_SUPPORTED */"}' > "$out/stubs.inc"
# -U_FORTIFY_SOURCE: the fibers switch stacks with _longjmp, which the fortified longjmp check rejects.
g++ -std=c++17 -O2 -U_FORTIFY_SOURCE -fPIC -shared -Wall -Wno-unknown-pragmas -Wno-unused-function \
  -I"$here" -I"$root/kernels" -I"$out" -o "$out/libcuda.so.1" "$here/driver.cpp"
echo "cuda-emu: built $out/libcuda.so.1 ($(wc -l < "$out/kernels.list.inc") kernels, $(wc -l < "$out/stubs.inc") stubbed driver functions)"
