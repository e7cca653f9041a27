#!/usr/bin/env bash
# A tour of the formats (~30 s): builds precsim-info and shows what a few values become in a
# few formats under every rounding mode and saturation, then runs one MLP forward pass with
# float, bfloat16, FP8 and FP4 as its scalar type (examples/mlp.cpp), then the block formats'
# worked examples and their storage / error (examples/blocks.cpp). The main demo: demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for p in cmake make g++; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
cmake -S . -B build/tour -DCMAKE_BUILD_TYPE=Release -DPRECSIM_BUILD_TESTS=OFF \
      -DPRECSIM_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/tour --target precsim-info precsim-mlp precsim-blocks -j "$(nproc)" >/dev/null
info=build/tour/examples/precsim-info
$info float8_e4m3fn 0.3 464 500 -1e-30
$info float8_e5m2 61440
$info binary8p3sf 1e9 nan
$info float4_e2m1fn 5 -inf
$info e3m5 3.14159
echo
build/tour/examples/precsim-mlp
echo
build/tour/examples/precsim-blocks
