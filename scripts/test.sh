#!/usr/bin/env bash
# The test command: installs what a fresh Debian machine lacks, then builds and runs the suite
# with g++ (release; with the Python package, its pytest suite and an offline `pip install .`) and
# clang++ (release), each with the configuration matrix (tests/matrix), g++ under AddressSanitizer + UBSan, then a 60 s run of each libFuzzer harness (tests/fuzz).
# Usage: scripts/test.sh [preset...]   (default: gcc clang asan fuzz; "exhaustive" adds the 2^32
# sweeps)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake make g++ clang libclang-rt-14-dev libboost-dev doctest-dev libbenchmark-dev pkg-config)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# The Python package and the LibTorch adapter (gcc stage): Debian's torch, without its recommends
# (a desktop's worth of Qt).
python_packages=(python3-torch libtorch-dev pybind11-dev python3-numpy python3-pytest python3-venv python3-pip
                 python3-setuptools)
python_missing=()
for p in "${python_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || python_missing+=("$p"); done
if ((${#missing[@]} + ${#python_missing[@]})); then
  echo "== installing ${missing[*]} ${python_missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  if ((${#missing[@]})); then DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"; fi
  if ((${#python_missing[@]})); then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${python_missing[@]}"
  fi
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
