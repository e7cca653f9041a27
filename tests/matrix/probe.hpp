// What one probe translation unit reports: its configuration, the addresses of two library
// functions as this TU links them, a timing, and every result word of a fixed battery of
// roundings (bulk spans at the active SIMD level, the scalar core, value types, arithmetic).
// Plain C types only: the probes are built with different flags (ISA, -O0, -ffast-math, nvcc),
// and shared inline code of the standard library would be merged across them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace matrix {

inline constexpr std::size_t max_words = 1 << 20;
inline constexpr std::size_t max_marks = 64;

struct mark {
  const char* label;  // what the words from `start` on hold
  std::size_t start;
};

struct probe_out {
  const char* config = nullptr;      // the library's configuration namespace in this TU
  std::uintptr_t quantize_fn = 0;    // &precsim::quantize (float spans) as this TU sees it
  std::uintptr_t isnan_fn = 0;       // &precsim::isnan<float8_e4m3fn>
  double ns_per_element = 0;         // one 1Mi-element nearest-even E4M3 quantize
  std::size_t count = 0;
  std::uint32_t words[max_words];
  std::size_t mark_count = 0;
  mark marks[max_marks];
};

}  // namespace matrix
