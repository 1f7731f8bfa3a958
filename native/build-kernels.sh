#!/usr/bin/env bash
# Compiles every kernels/*.cu into the jar's classpath resources under target/classes/kernels/:
#   NAME.sm_80.cubin, NAME.sm_90.cubin   machine code for A100 (cc 8.x) and H100/H200 (cc 9.x),
#                                        loaded as is: no JIT at start-up
#   NAME.ptx                             compute_80 PTX, JIT-compiled by the driver on any other
#                                        device of cc ≥ 8.0 (Ada, Blackwell ...)
# nvcc never runs at run time. The cubins are assembled from the PTX by `ptxas -v`, whose report
# (target/kernels/ptxas.log) must show no register spills and no stack frame (local memory) in
# any kernel: every kernel here is on the hot path.
#
# Oldest driver: OLDEST_DRIVER below (CUDA 13.0, driver r580). A driver loads cubins and JIT-compiles
# PTX only of an ISA version it knows, so the build fails when nvcc emits a PTX ISA newer than that
# driver's (table below): building with a newer nvcc then needs the claim, the README and this
# table moved forward together.
# Without nvcc on PATH it prints why and exits 0: the jar is then built without kernels and the cuda
# engine reports itself unavailable.
# Usage: native/build-kernels.sh [project root]   (Maven passes ${project.basedir})
set -euo pipefail
OLDEST_DRIVER=13.0
# Newest PTX ISA each CUDA driver version JIT-compiles (NVIDIA's PTX ISA release notes).
declare -A ISA_OF=([12.0]=8.0 [12.1]=8.1 [12.2]=8.2 [12.3]=8.3 [12.4]=8.4 [12.5]=8.5 [12.6]=8.5
                   [12.8]=8.7 [12.9]=8.8 [13.0]=9.0)
ARCHS=(sm_80 sm_90)
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
if ! command -v nvcc >/dev/null 2>&1; then
  echo "build-kernels: nvcc not on PATH: building without CUDA kernels (the cuda engine will be unavailable)"
  exit 0
fi
if ! command -v ptxas >/dev/null 2>&1; then
  echo "build-kernels: nvcc found but ptxas not on PATH: cannot assemble cubins or check the kernels for spills" >&2
  exit 1
fi
src="$root/kernels"
out="$root/target/classes/kernels"
logdir="$root/target/kernels"
log="$logdir/ptxas.log"
mkdir -p "$out" "$logdir"
maxIsa="${ISA_OF[$OLDEST_DRIVER]}"
: > "$log.tmp"
built=0
# Whether any shared header (kernels/*.cuh) is newer than file $1.
newer_header() {
  local h
  for h in "$src"/*.cuh; do [ "$h" -nt "$1" ] && return 0; done
  return 1
}
for cu in "$src"/*.cu; do
  name="$(basename "$cu" .cu)"
  ptx="$out/$name.ptx"
  # Rebuild when the source, a shared header or this script is newer than the PTX.
  if [ ! -f "$ptx" ] || [ "$cu" -nt "$ptx" ] || newer_header "$ptx" || [ "${BASH_SOURCE[0]}" -nt "$ptx" ]; then
    nvcc -ptx -arch=compute_80 -O3 -std=c++17 -lineinfo -I"$src" -o "$ptx" "$cu"
    built=$((built + 1))
  fi
  isa="$(sed -nE 's/^\.version ([0-9]+\.[0-9]+).*/\1/p' "$ptx" | head -n 1)"
  if [ -z "$isa" ] || ! awk -v a="$isa" -v b="$maxIsa" 'BEGIN { split(a, x, "."); split(b, y, "."); exit !(x[1] < y[1] || (x[1] == y[1] && x[2] <= y[2])) }'; then
    rm -f "$ptx"
    echo "build-kernels: $name.ptx has PTX ISA '${isa:-none}', newer than $maxIsa, the newest the oldest supported driver (CUDA $OLDEST_DRIVER) loads: use an nvcc of CUDA ≤ $OLDEST_DRIVER or raise OLDEST_DRIVER in $0 and the README" >&2
    exit 1
  fi
  for sm in "${ARCHS[@]}"; do
    echo "== $name.ptx $sm" >> "$log.tmp"
    ptxas -v -arch="$sm" -o "$out/$name.$sm.cubin" "$ptx" >> "$log.tmp" 2>&1
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
echo "build-kernels: $built of $(ls "$src"/*.cu | wc -l) kernel files rebuilt; PTX ISA $isa (oldest driver CUDA $OLDEST_DRIVER: ISA ≤ $maxIsa); cubins for ${ARCHS[*]}; $kernels entry/arch pairs checked by ptxas: no spills, no stack (log: $log)"
