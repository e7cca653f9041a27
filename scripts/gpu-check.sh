#!/usr/bin/env bash
# On a machine with a CUDA GPU (nvcc, no other dependency): builds the CUDA programs, checks
# precsim::cuda bit for bit against the host API on the GPU (every named format x every rounding
# mode x every saturation on edge values + 2^24 random inputs, codes, packed codes, __half /
# __nv_bfloat16, block formats, value types in a kernel), runs the device-vs-host core sweep and
# the example kernel, and times the launchers at 2^28 elements against a device-to-device copy.
# Usage: scripts/gpu-check.sh [arch, default: native]. Output: build/gpu/gpu-check.txt (and $OUT).
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:-native}
dir=build/gpu
mkdir -p "$dir"
log=$dir/gpu-check.txt
exec > >(tee "$log") 2>&1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo 'no nvidia-smi'
nvcc --version | tail -1
flags=(-std=c++20 -O3 --expt-relaxed-constexpr -arch="$arch" -Iinclude -Itests -Werror all-warnings
       -Xcompiler=-Wall,-Wextra)
start=$SECONDS
pids=()
for src in tests/cuda/test_cuda.cu tests/cuda/device_vs_host.cu examples/cuda_kernel.cu bench/bench_cuda.cu; do
  nvcc "${flags[@]}" "$src" -o "$dir/$(basename "$src" .cu)" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
echo "== built in $((SECONDS - start)) s"
status=0
run() { echo "== $*"; local t=$SECONDS; "$@" || status=1; echo "== $((SECONDS - t)) s"; }
run "$dir/test_cuda" --device --random $((1 << 24))
run "$dir/device_vs_host"
run "$dir/cuda_kernel"
run "$dir/bench_cuda" 28
echo "== gpu-check: $([ $status = 0 ] && echo passed || echo FAILED) in $((SECONDS - start)) s"
[ -n "${OUT:-}" ] && cp "$log" "$OUT/" || true
exit $status
