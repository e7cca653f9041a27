#!/usr/bin/env bash
# Compile time of a translation unit that calls the span quantize, encode and decode (issue 14):
# header-only, with the compiled kernels (PRECSIM_SEPARATE_KERNELS), and the bare include, for
# g++ and clang++ at -O2; then the one-time cost of src/precsim_kernels.cpp. Run on a quiet machine.
# Usage: bench/compile_time.sh [compiler...]   (default: g++ clang++)
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/bare.cpp" <<'CPP'
#include <precsim/precsim.hpp>
CPP
cat > "$tmp/use.cpp" <<'CPP'
#include <precsim/precsim.hpp>
#include <cstdint>
#include <vector>
void use(std::vector<float>& x, std::vector<std::uint8_t>& c) {
  namespace f = precsim::formats;
  precsim::quantize(x, x, f::float8_e4m3fn);
  precsim::encode(x, std::span<std::uint8_t>(c), f::float8_e4m3fn);
  precsim::decode(std::span<const std::uint8_t>(c), std::span<float>(x), f::float8_e4m3fn);
}
CPP
compilers=("$@")
((${#compilers[@]})) || compilers=(g++ clang++)
grep -m1 "model name" /proc/cpuinfo || true
printf '| compiler | bare include | quantize + encode + decode, header-only | same, PRECSIM_SEPARATE_KERNELS | src/precsim_kernels.cpp (once) |\n|---|---|---|---|---|\n'
for cxx in "${compilers[@]}"; do
  t() { local s=$(date +%s.%N); "$cxx" -std=c++20 -O2 -Iinclude -c "$@" -o "$tmp/x.o"; echo "$(date +%s.%N) - $s" | bc; }
  printf '| %s -O2 | %.1f s | %.1f s | %.1f s | %.1f s |\n' "$("$cxx" --version | head -1)" \
    "$(t "$tmp/bare.cpp")" "$(t "$tmp/use.cpp")" "$(t -DPRECSIM_SEPARATE_KERNELS "$tmp/use.cpp")" \
    "$(t src/precsim_kernels.cpp)"
done
