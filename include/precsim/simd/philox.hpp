// Vector types for the kernels (GCC/Clang vector extensions, W lanes) and Philox4x32-10 on W
// consecutive counters: the random words of the bulk kernels (simd/kernel.hpp) and of the value
// types' batches (policy.hpp), equal to random.hpp's scalar generator word for word.
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
// The high halves of the 32x32-bit products x * m, portably. (GCC widens to 64-bit lanes and
// multiplies in full; the x86 levels pass a one-instruction version, see simd/dispatch.hpp.)
template <int W>
PRECSIM_LANES void mulhi_generic(const typename vec<W>::u32& x, std::uint32_t m, typename vec<W>::u32& hi) {
  using u64 = typename vec<W>::u64;
  hi = __builtin_convertvector((__builtin_convertvector(x, u64) * m) >> 32, typename vec<W>::u32);
}

#if PRECSIM_X86
// The same in one instruction per half on the x86 levels: even lanes multiply in place, odd ones
// after a 64-bit shift; one blend interleaves the highs. (maskz forms: GCC 12 warns about the
// undefined pass-through operand of the plain ones.)
PRECSIM_LANES __attribute__((target("avx2"))) void mulhi_avx2(const vec<8>::u32& x, std::uint32_t m, vec<8>::u32& hi) {
  const __m256i xv = __m256i(x), mv = _mm256_set1_epi32(int(m));
  const __m256i even = _mm256_srli_epi64(_mm256_mul_epu32(xv, mv), 32);
  const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(xv, 32), mv);
  hi = vec<8>::u32(_mm256_blend_epi32(even, odd, 0xAA));
}
PRECSIM_LANES __attribute__((target("avx512f,avx512bw,avx512vl"))) void mulhi_avx512(const vec<16>::u32& x, std::uint32_t m,
                                                                                    vec<16>::u32& hi) {
  const __m512i xv = __m512i(x), mv = _mm512_set1_epi32(int(m));
  const __m512i even = _mm512_maskz_srli_epi64(0xFF, _mm512_maskz_mul_epu32(0xFF, xv, mv), 32);
  const __m512i odd = _mm512_maskz_mul_epu32(0xFF, _mm512_maskz_srli_epi64(0xFF, xv, 32), mv);
  hi = vec<16>::u32(_mm512_mask_blend_epi32(0xAAAA, even, odd));
}
#endif

template <int W, class Mulhi>
PRECSIM_LANES void philox_lanes(std::uint64_t first, const sr_stream& s, Mulhi mulhi, philox_words<W>& out) {
  using u32 = typename vec<W>::u32;
  static constexpr std::uint32_t iota[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  u32 c0;
  std::memcpy(&c0, iota, sizeof c0);  // (a loop over the lanes compiles to lane inserts)
  c0 += std::uint32_t(first);
  u32 c1 = u32{} + std::uint32_t(first >> 32);  // blocks of one group share the high word
  u32 c2 = u32{} + std::uint32_t(s.stream);
  u32 c3 = u32{} + std::uint32_t(s.stream >> 32);
  std::uint32_t k0 = std::uint32_t(s.seed), k1 = std::uint32_t(s.seed >> 32);
  for (int round = 0; round < 10; ++round) {
    u32 hi0, hi1;
    mulhi(c0, philox_m0, hi0);
    mulhi(c2, philox_m1, hi1);
    const u32 lo0 = c0 * philox_m0, lo1 = c2 * philox_m1;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += philox_w0;
    k1 += philox_w1;
  }
  out.w[0] = c0;
  out.w[1] = c1;
  out.w[2] = c2;
  out.w[3] = c3;
}

#endif  // PRECSIM_VECTOR_KERNELS

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
