// Vector types for the kernels (GCC/Clang vector extensions, W lanes) and Philox4x32-10 on W
// consecutive counters: the random words of the bulk kernels (simd/kernel.hpp), and batches of 16
// blocks for the value types (policy.hpp) and the scalar bulk path (bulk.hpp), equal to
// random.hpp's scalar generator word for word.
#pragma once

#include <cstdint>
#include <cstring>

#include "../cpu.hpp"
#include "../random.hpp"

// GCC/Clang vector extensions; not under nvcc, whose front end lacks vector conditionals (CUDA
// translation units get the scalar path on the host).
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__CUDACC__)
#define PRECSIM_VECTOR_KERNELS 1
#else
#define PRECSIM_VECTOR_KERNELS 0
#endif
#if PRECSIM_X86 && PRECSIM_VECTOR_KERNELS
#include <immintrin.h>
#endif
// (little-endian NEON: its lanes are the vector extensions' lanes)
#if defined(__ARM_NEON) && PRECSIM_VECTOR_KERNELS && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#include <arm_neon.h>
#define PRECSIM_NEON 1
#else
#define PRECSIM_NEON 0
#endif

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

#if PRECSIM_VECTOR_KERNELS

template <int W>
struct vec {
  typedef std::uint32_t u32 __attribute__((vector_size(4 * W)));
  typedef std::int32_t i32 __attribute__((vector_size(4 * W)));
  typedef std::uint64_t u64 __attribute__((vector_size(8 * W)));
  typedef float f32 __attribute__((vector_size(4 * W)));
  typedef std::uint8_t u8 __attribute__((vector_size(W)));
  typedef std::uint16_t u16 __attribute__((vector_size(2 * W)));
  typedef double f64 __attribute__((vector_size(8 * W)));
  typedef std::int64_t i64 __attribute__((vector_size(8 * W)));
};

template <int W>
using i32_of = typename vec<W>::i32;

// Helpers take and give vectors by reference or inside structs: GCC warns (-Wpsabi) about wide
// vectors passed by value to functions compiled without that ISA, even always-inlined ones.
#define PRECSIM_LANES [[gnu::always_inline]] inline

// Philox4x32-10 on W consecutive counters (SoA): w[k] lane l = word k of block `first + l`.
template <int W>
struct philox_words {
  typename vec<W>::u32 w[4];
};
// The rounds run on 64-bit lanes, one block's word in the low half of each: a 32x32-bit multiply
// then gives both halves of the product in place (one instruction on x86), the high half one
// shift away, and the next multiply reads only the low halves, so what rides above them is never
// masked. mul(x, m, p): p = the 64-bit products of x's low halves by m.
template <int H>
PRECSIM_LANES void mul32_generic(const typename vec<H>::u64& x, std::uint32_t m, typename vec<H>::u64& p) {
  p = (x & 0xFFFFFFFFu) * std::uint64_t{m};
}

// The portable level's: one instruction where the baseline ISA has it (the generic form above
// compiles to scalar multiplies on x86 with GCC and on AArch64).
PRECSIM_LANES void mul32_portable(const vec<2>::u64& x, std::uint32_t m, vec<2>::u64& p) {
#if defined(__SSE2__)
  p = vec<2>::u64(_mm_mul_epu32(__m128i(x), _mm_set1_epi32(int(m))));
#elif PRECSIM_NEON
  p = vec<2>::u64(vmull_u32(vmovn_u64(uint64x2_t(x)), vdup_n_u32(m)));
#else
  mul32_generic<2>(x, m, p);
#endif
}
#if PRECSIM_X86
PRECSIM_LANES __attribute__((target("avx2"))) void mul32_avx2(const vec<4>::u64& x, std::uint32_t m, vec<4>::u64& p) {
  p = vec<4>::u64(_mm256_mul_epu32(__m256i(x), _mm256_set1_epi32(int(m))));
}
// (maskz form: GCC 12 warns about the undefined pass-through operand of the plain one)
PRECSIM_LANES __attribute__((target("avx512f"))) void mul32_avx512(const vec<8>::u64& x, std::uint32_t m, vec<8>::u64& p) {
  p = vec<8>::u64(_mm512_maskz_mul_epu32(0xFF, __m512i(x), _mm512_set1_epi32(int(m))));
}
#endif

// Round r's keys (i = 0, 1) of one seed: made in the round (philox_key_of) or once per call
// and read from memory (philox_keys: in the bulk kernels' long loops, where making them in
// every round cost four vector operations more, a fifth of the rounds' work at AVX2; for one
// batch at a time the table costs more than it saves). (64-bit: broadcast from memory as they
// are.)
struct philox_key_of {
  std::uint64_t seed;
  std::uint64_t operator()(int r, int i) const noexcept {
    return i == 0 ? std::uint32_t(std::uint32_t(seed) + std::uint32_t(r) * philox_w0)
                  : std::uint32_t(std::uint32_t(seed >> 32) + std::uint32_t(r) * philox_w1);
  }
};
struct philox_keys {
  std::uint64_t k[10][2]{};
  explicit philox_keys(std::uint64_t seed) noexcept {
    for (int r = 0; r < 10; ++r)
      for (int i = 0; i < 2; ++i) k[r][i] = philox_key_of{seed}(r, i);
  }
  std::uint64_t operator()(int r, int i) const noexcept { return k[r][i]; }
};

// Two chains of W / 2 blocks, even blocks in one and odd ones in the other, so that each hides
// the other's multiply latency; interleaved into the W lanes at the end. keys: philox_key_of
// or philox_keys.
template <int W, class Keys, class Mul>
PRECSIM_LANES void philox_lanes(std::uint64_t first, const sr_stream& s, const Keys& keys, Mul mul,
                                philox_words<W>& out) {
  using u64 = typename vec<W / 2>::u64;
  static constexpr std::uint64_t evens[8] = {0, 2, 4, 6, 8, 10, 12, 14};
  u64 even;
  std::memcpy(&even, evens, sizeof even);  // (a loop over the lanes compiles to lane inserts)
  even += std::uint32_t(first);
  const u64 high = u64{} + (first >> 32);  // blocks of one group share the high word
  const u64 s0 = u64{} + std::uint32_t(s.stream), s1 = u64{} + (s.stream >> 32);
  u64 c[2][4] = {{even, high, s0, s1}, {even + 1, high, s0, s1}};
  for (int round = 0; round < 10; ++round) {
    const u64 k0 = u64{} + keys(round, 0), k1 = u64{} + keys(round, 1);
    for (auto& b : c) {
      u64 p0, p1;
      mul(b[0], philox_m0, p0);
      mul(b[2], philox_m1, p1);
      b[0] = (p1 >> 32) ^ b[1] ^ k0;
      b[1] = p1;
      b[2] = (p0 >> 32) ^ b[3] ^ k1;
      b[3] = p0;
    }
  }
  // block first + 2i + 1 in lane 2i + 1: the high half of 64-bit lane i on little-endian targets
  constexpr int lo = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 1;
  for (int k = 0; k < 4; ++k) {
    out.w[k] = typename vec<W>::u32((c[lo][k] & 0xFFFFFFFFu) | c[1 - lo][k] << 32);
  }
}

#endif  // PRECSIM_VECTOR_KERNELS

// The 4 words of the 16 Philox blocks first .. first + 15 (first a multiple of 16), side by side
// (one block alone waits ~50 cycles on its chain of multiplies): out[16 k + l] = word k of block
// first + l. For random_u32's group g (first = 16 g) that is random_u32(s, 64 g + i) in out[i].
#if PRECSIM_VECTOR_KERNELS
template <int W, class Mul>
PRECSIM_LANES void philox_batch_lanes(const sr_stream& s, std::uint64_t first, Mul mul, std::uint32_t* out) {
  for (int v = 0; v < 16 / W; ++v) {
    philox_words<W> w;
    philox_lanes<W>(first + std::uint64_t(W * v), s, philox_key_of{s.seed}, mul, w);
    for (int k = 0; k < 4; ++k) std::memcpy(out + 16 * k + W * v, &w.w[k], sizeof w.w[k]);
  }
}
#if PRECSIM_X86
// The x86 levels' widths (one call per 16 blocks: the CPU check costs nothing next to it).
__attribute__((target("avx2"))) inline void philox_batch_avx2(const sr_stream& s, std::uint64_t first, std::uint32_t* out) noexcept {
  philox_batch_lanes<8>(s, first, [](const vec<4>::u64& x, std::uint32_t m, vec<4>::u64& p) __attribute__((target("avx2"))) { mul32_avx2(x, m, p); }, out);
}
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline void philox_batch_avx512(const sr_stream& s, std::uint64_t first,
                                                                                   std::uint32_t* out) noexcept {
  philox_batch_lanes<16>(s, first, [](const vec<8>::u64& x, std::uint32_t m, vec<8>::u64& p) __attribute__((target("avx512f,avx512bw,avx512vl"))) { mul32_avx512(x, m, p); }, out);
}
#endif
#endif
// lanes: 16, 8 or 4 (the x86 levels' widths and the baseline's, for tests); 0: the widest this
// CPU runs. Every width gives the same words.
inline void philox_batch(const sr_stream& s, std::uint64_t first, std::uint32_t* out, int lanes = 0) noexcept {
#if PRECSIM_VECTOR_KERNELS
#if PRECSIM_X86
  const cpu_features& c = cpu();
  const bool has16 = c.avx512f && c.avx512bw && c.avx512vl;
  if (lanes == 16 || (lanes == 0 && has16)) return has16 ? philox_batch_avx512(s, first, out) : philox_batch(s, first, out, 4);
  if (lanes == 8 || (lanes == 0 && c.avx2)) return c.avx2 ? philox_batch_avx2(s, first, out) : philox_batch(s, first, out, 4);
#endif
  (void)lanes;
  philox_batch_lanes<4>(s, first, [](const vec<2>::u64& x, std::uint32_t m, vec<2>::u64& p) { mul32_portable(x, m, p); }, out);
#else
  (void)lanes;
  for (int l = 0; l < 16; ++l) {
    const philox_block b = philox_at(s, first + std::uint64_t(l));
    for (int k = 0; k < 4; ++k) out[16 * k + l] = b.v[k];
  }
#endif
}
// random_u64(s, 32 t + i), i = 0..31, from the batch of random_u64's blocks (first = 2^63 + 16 t):
// words 2k and 2k + 1 (k = i / 16) of block i % 16, at 32 k + i % 16 and 16 further.
inline std::uint64_t batch_u64(const std::uint32_t* words, int i) noexcept {
  const int at = (i >> 4) * 32 + (i & 15);
  return words[at] | std::uint64_t{words[at + 16]} << 32;
}
inline void random_u64_batch(const sr_stream& s, std::uint64_t t, std::uint64_t* out, int lanes = 0) noexcept {
  std::uint32_t w[64];
  philox_batch(s, random_u64_domain | t << 4, w, lanes);
  for (int i = 0; i < 32; ++i) out[i] = batch_u64(w, i);
}

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
