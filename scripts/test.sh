#!/usr/bin/env bash
# The test command: installs what a fresh Debian machine lacks, then builds and runs the suite
# with g++ (release) and clang++ (release), each with the configuration matrix (tests/matrix),
# g++ under AddressSanitizer + UBSan, then a 60 s run of each libFuzzer harness (tests/fuzz).
# Usage: scripts/test.sh [preset...]   (default: gcc clang asan fuzz; "exhaustive" adds the 2^32
# sweeps)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake make g++ clang libclang-rt-14-dev libboost-dev doctest-dev libbenchmark-dev pkg-config)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  echo "== installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

presets=("$@")
((${#presets[@]})) || presets=(gcc clang asan fuzz)
jobs=$(nproc)
for preset in "${presets[@]}"; do
  configure=$preset; [ "$preset" = exhaustive ] && configure=gcc
  echo "== $preset: configure, build, test"
  start=$SECONDS
  cmake --preset "$configure" >/dev/null
  cmake --build --preset "$configure" -j "$jobs"
  ctest --preset "$preset"
  echo "== $preset passed in $((SECONDS - start)) s"
done
