#!/usr/bin/env bash
# Compiles every kernels/*.cu to PTX (compute_80, so one file runs on A100, H100 and later through
# the driver's JIT) into target/classes/kernels/NAME.ptx, where Maven packs it into the jar as a
# classpath resource; nvcc never runs at run time. Then assembles each PTX with `ptxas -v` for
# sm_80 and sm_90, keeps the report in target/kernels/ptxas.log, and fails when any kernel spills
# registers or uses a stack frame (local memory) — every kernel here is on the hot path.
# Without nvcc on PATH it prints why and exits 0: the jar is then built without PTX and the cuda
# engine reports itself unavailable.
# Usage: native/build-kernels.sh [project root]   (Maven passes ${project.basedir})
set -euo pipefail
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
if ! command -v nvcc >/dev/null 2>&1; then
  echo "build-kernels: nvcc not on PATH: building without CUDA kernels (the cuda engine will be unavailable)"
  exit 0
fi
if ! command -v ptxas >/dev/null 2>&1; then
  echo "build-kernels: nvcc found but ptxas not on PATH: cannot check the kernels for spills" >&2
  exit 1
fi
src="$root/kernels"
out="$root/target/classes/kernels"
logdir="$root/target/kernels"
log="$logdir/ptxas.log"
mkdir -p "$out" "$logdir"
: > "$log.tmp"
built=0
for cu in "$src"/*.cu; do
  name="$(basename "$cu" .cu)"
  ptx="$out/$name.ptx"
  # Rebuild when the source, the shared header or this script is newer than the PTX.
  if [ ! -f "$ptx" ] || [ "$cu" -nt "$ptx" ] || [ "$src/common.cuh" -nt "$ptx" ] || [ "${BASH_SOURCE[0]}" -nt "$ptx" ]; then
    nvcc -ptx -arch=compute_80 -O3 -std=c++17 -lineinfo -I"$src" -o "$ptx" "$cu"
    built=$((built + 1))
  fi
  for sm in sm_80 sm_90; do
    echo "== $name.ptx $sm" >> "$log.tmp"
    ptxas -v -arch="$sm" -o /dev/null "$ptx" >> "$log.tmp" 2>&1
  done
done
mv "$log.tmp" "$log"
# ptxas -v prints, per kernel and arch:
#   ptxas info    : Compiling entry function 'NAME' for 'sm_90'
#   ptxas info    : Function properties for NAME
#       0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
#   ptxas info    : Used 40 registers, ...
bad="$(grep -E '[0-9]+ bytes stack frame' "$log" | grep -vE '^ *0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads' || true)"
if [ -n "$bad" ]; then
  echo "build-kernels: register spills or local memory in a kernel (see $log):" >&2
  echo "$bad" >&2
  exit 1
fi
kernels="$(grep -c "Compiling entry function" "$log")"
echo "build-kernels: $built of $(ls "$src"/*.cu | wc -l) kernel files rebuilt to PTX; $kernels entry/arch pairs checked by ptxas: no spills, no stack (log: $log)"
