// Counter-based random bits for reproducible stochastic rounding: Philox4x32-10 (Salmon et al.,
// SC'11; the generator of cuRAND, JAX and PyTorch), keyed by (seed, stream) and indexed by the
// absolute element index, so that element i's random word never depends on how the work was
// split (SIMD width, threads, chunked calls, host or device).
#pragma once

#include <cstdint>

#include "config.hpp"
#include "rounding.hpp"

namespace precsim {

// Where a bulk call takes its random bits from: element i of a span rounds with the word of
// absolute index `offset + i` in stream `stream` of generator `seed`. A training loop that wants
// independent, reproducible noise gives each (tensor, step) its own stream, e.g.
// stream = step * tensor_count + tensor_id, and uses offset to continue a tensor split over
// several calls.
struct sr_stream {
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;
  std::uint64_t offset = 0;
};

struct philox_block {
  std::uint32_t v[4];
};

PRECSIM_BEGIN_CONFIG

namespace detail {
inline constexpr std::uint32_t philox_m0 = 0xD2511F53u, philox_m1 = 0xCD9E8D57u;
inline constexpr std::uint32_t philox_w0 = 0x9E3779B9u, philox_w1 = 0xBB67AE85u;
}  // namespace detail

// Philox4x32 with 10 rounds: 128-bit counter, 64-bit key, 128 random bits.
PRECSIM_HD constexpr philox_block philox4x32_10(philox_block ctr, std::uint32_t key0,
                                                std::uint32_t key1) noexcept {
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = std::uint64_t{detail::philox_m0} * ctr.v[0];
    const std::uint64_t p1 = std::uint64_t{detail::philox_m1} * ctr.v[2];
    ctr = {{std::uint32_t(p1 >> 32) ^ ctr.v[1] ^ key0, std::uint32_t(p1),
            std::uint32_t(p0 >> 32) ^ ctr.v[3] ^ key1, std::uint32_t(p0)}};
    key0 += detail::philox_w0;
    key1 += detail::philox_w1;
  }
  return ctr;
}

// Stream layout. Index j belongs to group g = j / 64 and takes word (j / 16) % 4 of the Philox
// block with counter {block, stream} where block = 16 g + j % 16, key = seed. Each block feeds 4
// indices 16 apart, so a vector of up to 16 consecutive indices is one word of consecutive
// counters: no shuffles at any SIMD width, and every block's 4 words are used.
PRECSIM_HD constexpr std::uint64_t philox_counter_of(std::uint64_t j) noexcept {
  return ((j >> 6) << 4) | (j & 15);
}

namespace detail {
PRECSIM_HD constexpr philox_block philox_at(const sr_stream& s, std::uint64_t block) noexcept {
  return philox4x32_10({{std::uint32_t(block), std::uint32_t(block >> 32), std::uint32_t(s.stream),
                         std::uint32_t(s.stream >> 32)}},
                       std::uint32_t(s.seed), std::uint32_t(s.seed >> 32));
}
}  // namespace detail

// The 32 random bits of index j (absolute: stream.offset is not added here).
PRECSIM_HD constexpr std::uint32_t random_u32(const sr_stream& s, std::uint64_t j) noexcept {
  return detail::philox_at(s, philox_counter_of(j)).v[(j >> 4) & 3];
}

// 64 random bits of index j, from blocks that random_u32 never uses (so that 32- and 64-bit
// draws on one stream are independent): 64-bit index j takes words 2k (low half) and 2k + 1
// (high half), k = (j / 16) % 2, of block 2^63 + 16 (j / 32) + j % 16 (random_u32's blocks are
// below 2^62); one block per call.
inline constexpr std::uint64_t random_u64_domain = std::uint64_t{1} << 63;
PRECSIM_HD constexpr std::uint64_t random_u64(const sr_stream& s, std::uint64_t j) noexcept {
  const philox_block b = detail::philox_at(s, random_u64_domain | ((j >> 5) << 4) | (j & 15));
  const int k = int((j >> 4) & 1);
  return b.v[2 * k] | std::uint64_t{b.v[2 * k + 1]} << 32;
}

namespace detail {
// The random bits a bulk call (CPU or CUDA) gives element j, and how many of them rounding uses:
// random_bits when set; otherwise 32 for float inputs (one Philox word) and 64 for double (two).
template <class T>
PRECSIM_HD constexpr int bulk_random_bits(const rounding& r) noexcept {
  return r.random_bits > 0 ? (r.random_bits > 64 ? 64 : r.random_bits) : int(sizeof(T)) * 8;
}
// Few random bits share a word, as hardware stochastic rounding does: with n <= 8 bits, 4
// indices take the 4 bytes of one 32-bit word; with n <= 16, 2 take its halves.
PRECSIM_HD constexpr int bulk_indices_per_word(int bits) noexcept { return bits <= 8 ? 4 : bits <= 16 ? 2 : 1; }
// Element j's word (the rounding uses its low n bits). n <= 32 bits, P = bulk_indices_per_word(n):
// bits 32/P * ((j / 64) % P) and up of random_u32(s, 64 (j / (64 P)) + j % 64), so 64 P consecutive
// indices from a multiple of 64 P use every bit of 16 Philox blocks. n > 32: random_u64(s, j).
PRECSIM_HD constexpr std::uint64_t bulk_random_word(const sr_stream& s, std::uint64_t j, int bits) noexcept {
  if (bits > 32) return random_u64(s, j);
  const unsigned per = unsigned(bulk_indices_per_word(bits));
  const std::uint64_t run = 64 * per;
  return random_u32(s, j / run * 64 + j % 64) >> (32 / per * ((j / 64) % per));
}
}  // namespace detail

PRECSIM_END_CONFIG
}  // namespace precsim
