#!/usr/bin/env bash
# The main demo: how does a language model's loss depend on the precision it is trained in?
# Builds examples/precision_sweep and runs it: ~200 small character-level language models trained
# with weights or activations at INT 2..8 bits, MX FP4/FP6/FP8 and float32, the fit of the
# precision scaling law with its pre-registered checks, and bfloat16 / FP8 weights without a
# master copy (round-to-nearest vs stochastic rounding). About 4 minutes on 2 cores.
# Usage: scripts/demo.sh [--quick | --full] [--out DIR]   (default --out build/demo/precision_sweep)
# Installs what a fresh Debian machine lacks (cmake, g++, gnuplot for the PNG plot).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for p in cmake make g++ gnuplot-nox; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})) && ! { [ "${missing[*]}" = gnuplot-nox ] && command -v gnuplot >/dev/null; }; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DPRECSIM_BUILD_TESTS=OFF \
      -DPRECSIM_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/demo --target precsim-precision-sweep -j "$(nproc)" >/dev/null
args=("$@")
[[ " ${args[*]} " == *" --out "* ]] || args+=(--out build/demo/precision_sweep)
build/demo/examples/precsim-precision-sweep "${args[@]}"
