// The span API's random-word layout, restated independently of random.hpp for the tests and the
// fuzz harnesses (no doctest here).
#pragma once

#include <cstdint>

#include <precsim/random.hpp>

namespace test {

// The span API's random word for absolute index j, restated from the documented layout
// (random.hpp): 32 random bits or fewer come from random_u32, 4 indices per word (one byte each)
// for up to 8 bits, 2 (one half each) for up to 16; more than 32 bits from random_u64.
inline std::uint64_t span_random_word(const precsim::sr_stream& s, std::uint64_t j, int bits) {
  if (bits > 32) return precsim::random_u64(s, j);
  if (bits <= 8) return precsim::random_u32(s, j / 256 * 64 + j % 64) >> (8 * (j / 64 % 4)) & 0xFFu;
  if (bits <= 16) return precsim::random_u32(s, j / 128 * 64 + j % 64) >> (16 * (j / 64 % 2)) & 0xFFFFu;
  return precsim::random_u32(s, j);
}

}  // namespace test
