// Counter-based random bits for reproducible stochastic rounding: Philox4x32-10 (Salmon et al.,
// SC'11; the generator of cuRAND, JAX and PyTorch), keyed by (seed, stream) and indexed by the
// absolute element index, so that element i's random word never depends on how the work was
// split (SIMD width, threads, chunked calls, host or device).
#pragma once

#include <atomic>
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

// ---- the default stream ------------------------------------------------------------------------
// A call that rounds stochastically without an explicit stream must not repeat the noise of the
// previous call (an FP8 training loop that reused one stream for every step and tensor diverged).
// So such a call takes a stream of its own: the seed reset_default_sr_stream set (0 until then),
// stream id 2^63 + k for the k-th such call in the process (k = 0, 1, ...: one atomic counter),
// offset 0. A single-threaded program gets the same streams on every run; calls from several
// threads get distinct streams in the order they happen. Explicit streams keep their exact
// contract; only ids with the top bit set can meet a default stream.
inline constexpr std::uint64_t default_stream_base = std::uint64_t{1} << 63;

namespace shared {
inline std::atomic<std::uint64_t> default_stream_seed{0};
inline std::atomic<std::uint64_t> default_stream_next{0};
}  // namespace shared

// The stream argument of the span, block and CUDA calls: an sr_stream (or {seed, stream[, offset]}),
// which is used exactly as given, or nothing / {}: a fresh default stream for each call that
// rounds stochastically (deterministic calls claim none).
struct sr_source {
  constexpr sr_source() noexcept = default;
  constexpr sr_source(const sr_stream& s) noexcept : given(true), stream(s) {}  // NOLINT: implicit
  constexpr sr_source(std::uint64_t seed, std::uint64_t stream_id, std::uint64_t offset = 0) noexcept
      : given(true), stream{seed, stream_id, offset} {}
  bool given = false;
  sr_stream stream{};
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

// The next default stream (what the next call without a stream would use), claimed: no later call
// gets it.
inline sr_stream next_default_sr_stream() noexcept {
  return {shared::default_stream_seed.load(std::memory_order_relaxed),
          default_stream_base + shared::default_stream_next.fetch_add(1, std::memory_order_relaxed), 0};
}

// Restarts the default streams: the next call without a stream uses seed `seed`, stream id 2^63
// (e.g. at the start of a run, for a run-to-run difference with a new seed).
inline void reset_default_sr_stream(std::uint64_t seed = 0) noexcept {
  shared::default_stream_seed.store(seed, std::memory_order_relaxed);
  shared::default_stream_next.store(0, std::memory_order_relaxed);
}

namespace detail {
// The stream a call with rounding r uses.
inline sr_stream resolve_stream(const sr_source& s, const rounding& r) noexcept {
  return s.given || r.mode != round_mode::stochastic ? s.stream : next_default_sr_stream();
}
}  // namespace detail

PRECSIM_END_CONFIG
}  // namespace precsim
