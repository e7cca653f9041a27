// Instruction-set levels for the bulk kernels and the one-time choice among them. The kernel
// source (simd/kernel.hpp) is compiled once per level inside [[gnu::target]] functions, so the
// library stays header-only and runs on any x86-64 (or other) CPU; the best level the running
// CPU supports is picked on first use.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "../cpu.hpp"
#include "kernel.hpp"
#include "kernel_f64.hpp"

#if PRECSIM_X86 && PRECSIM_VECTOR_KERNELS
#include <immintrin.h>
#endif

namespace precsim {

// scalar: the rounding core, element by element (the reference every level must equal).
// portable: the vector kernel on 4 lanes, any GCC/Clang target. avx2 / avx512: 8 / 16 lanes.
enum class simd_level : std::uint8_t { scalar, portable, avx2, avx512 };

namespace shared {  // process-wide settings (see parallel.hpp)
// The level set by set_simd_level; 0xFF: none set, use the best one.
inline std::atomic<std::uint8_t> simd_request{0xFF};
// Tests only: run the 16-lane layout at the portable level (where PRECSIM_TEST_LANES16 compiled it).
inline std::atomic<bool> wide16_for_tests{false};
}  // namespace shared

PRECSIM_BEGIN_CONFIG

inline constexpr const char* to_string(simd_level l) noexcept {
  switch (l) {
    case simd_level::scalar: return "scalar";
    case simd_level::portable: return "portable";
    case simd_level::avx2: return "avx2";
    case simd_level::avx512: return "avx512";
  }
  return "?";
}

// Whether this build and this CPU can run level l.
inline bool simd_level_supported(simd_level l) noexcept {
  switch (l) {
    case simd_level::scalar: return true;
    case simd_level::portable: return PRECSIM_VECTOR_KERNELS != 0;
    case simd_level::avx2: return PRECSIM_VECTOR_KERNELS && PRECSIM_X86 && cpu().avx2;
    case simd_level::avx512: return PRECSIM_VECTOR_KERNELS && PRECSIM_X86 && cpu().avx512f && cpu().avx512bw && cpu().avx512vl;
  }
  return false;
}

inline simd_level best_simd_level() noexcept {
  for (auto l : {simd_level::avx512, simd_level::avx2, simd_level::portable})
    if (simd_level_supported(l)) return l;
  return simd_level::scalar;
}

// The level bulk calls use (default: best_simd_level()). For tests and comparisons; throws
// std::invalid_argument for a level this build or CPU cannot run. The setting is process-wide;
// code compiled without vector kernels (nvcc) runs the scalar level whatever is set.
inline void set_simd_level(simd_level l) {
  if (static_cast<unsigned>(l) > static_cast<unsigned>(simd_level::avx512))
    throw std::invalid_argument("precsim::set_simd_level: level " +
                                std::to_string(static_cast<unsigned>(l)) + " does not exist");
  if (!simd_level_supported(l))
    throw std::invalid_argument(std::string("precsim::set_simd_level: ") + to_string(l) +
                                " is not supported by this CPU or compiler");
  shared::simd_request = static_cast<std::uint8_t>(l);
}
inline simd_level active_simd_level() noexcept {
  const std::uint8_t req = shared::simd_request;
  if (req == 0xFF) return best_simd_level();
  const auto l = static_cast<simd_level>(req);
  return simd_level_supported(l) ? l : best_simd_level();
}

namespace detail {

// Calls f(std::integral_constant<round_mode, m>{}): the mode is chosen once per call.
template <class F>
void with_mode(round_mode m, F&& f) {
  using rm = round_mode;
  switch (m) {
    case rm::nearest_even: f(std::integral_constant<rm, rm::nearest_even>{}); break;
    case rm::nearest_away: f(std::integral_constant<rm, rm::nearest_away>{}); break;
    case rm::toward_zero: f(std::integral_constant<rm, rm::toward_zero>{}); break;
    case rm::toward_positive: f(std::integral_constant<rm, rm::toward_positive>{}); break;
    case rm::toward_negative: f(std::integral_constant<rm, rm::toward_negative>{}); break;
    case rm::to_odd: f(std::integral_constant<rm, rm::to_odd>{}); break;
    case rm::stochastic: f(std::integral_constant<rm, rm::stochastic>{}); break;
  }
}

#if PRECSIM_VECTOR_KERNELS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

#if PRECSIM_X86
// kernel.hpp's sr_low_f64 on 8 lanes: GCC widens and narrows the generic vectors with 5-9
// shuffles where 3 do (AVX-512's generic form is fine: one vpermt2d).
[[gnu::always_inline]] __attribute__((target("avx2"))) inline __m256i sr_low_f64_avx2(__m256i a, __m256i random,
                                                                                   double scale, int n) {
  const __m256d sc = _mm256_set1_pd(scale), two52 = _mm256_set1_pd(0x1p52);
  const __m256 x = _mm256_castsi256_ps(a);
  const __m256i r = _mm256_srl_epi32(random, _mm_cvtsi32_si128(32 - n));
  const __m256d lo = _mm256_add_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(x)), sc), two52);
  const __m256d hi = _mm256_add_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(x, 1)), sc), two52);
  const __m128i by = _mm_cvtsi32_si128(n);
  const __m256i rlo = _mm256_cvtepu32_epi64(_mm256_castsi256_si128(r));
  const __m256i rhi = _mm256_cvtepu32_epi64(_mm256_extracti128_si256(r, 1));
  const __m256i qlo = _mm256_srl_epi64(_mm256_add_epi64(_mm256_castpd_si256(lo), rlo), by);
  const __m256i qhi = _mm256_srl_epi64(_mm256_add_epi64(_mm256_castpd_si256(hi), rhi), by);
  // the low halves, in order: lo0 lo1 hi0 hi1 | lo2 lo3 hi2 hi3, then the middle quarters swapped
  const __m256 q = _mm256_shuffle_ps(_mm256_castsi256_ps(qlo), _mm256_castsi256_ps(qhi), 0x88);
  const __m256i ordered = _mm256_permute4x64_epi64(_mm256_castps_si256(q), 0xD8);
  return _mm256_sub_epi32(ordered, _mm256_set1_epi32(int(std::uint32_t(0x4330000000000000u >> n))));  // 2^52's bits
}
#endif

#if PRECSIM_X86
// Codes of 4 vectors (8 lanes each) stored as 32 8- or 16-bit codes. Packs work within 128-bit
// halves: 16-bit codes come out a0-3 b0-3 | a4-7 b4-7 (one qword permute puts them in order),
// bytes a0-3 b0-3 c0-3 d0-3 | a4-7 .. d4-7 (one dword permute). vector(k, codes, signs): the
// codes of vector k, asked for in order and packed two by two (fewer registers live than four
// at once). Signs pack with signed saturation, which keeps each lane's sign (codes_sign).
template <class T, class Vector, bool Late, bool Nzs>
[[gnu::always_inline]] __attribute__((target("avx2"))) inline void codes4_avx2(T* at, const Vector& vector,
                                                                               codes_sign<Late, Nzs> sign) {
  vec<8>::u32 a, b, sa, sb;
  vector(0, a, sa);
  vector(1, b, sb);
  const __m256i ab = _mm256_packus_epi32(__m256i(a), __m256i(b));
  const __m256i sab = Late ? _mm256_packs_epi32(__m256i(sa), __m256i(sb)) : __m256i{};
  vector(2, a, sa);
  vector(3, b, sb);
  const __m256i cd = _mm256_packus_epi32(__m256i(a), __m256i(b));
  const __m256i scd = Late ? _mm256_packs_epi32(__m256i(sa), __m256i(sb)) : __m256i{};
  const __m256i zero = _mm256_setzero_si256();
  if constexpr (sizeof(T) == 1) {
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i codes = _mm256_packus_epi16(ab, cd);
    if constexpr (Late) {
      __m256i neg = _mm256_packs_epi16(sab, scd);  // (blendv reads each byte's top bit)
      if constexpr (Nzs) neg = _mm256_andnot_si256(_mm256_cmpeq_epi8(codes, zero), neg);
      codes = _mm256_blendv_epi8(codes, _mm256_or_si256(codes, _mm256_set1_epi8(char(sign.bit))), neg);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(at), _mm256_permutevar8x32_epi32(codes, order));
  } else {
    static_assert(sizeof(T) == 2);
    __m256i codes[2] = {ab, cd};
    if constexpr (Late) {
      const __m256i signs[2] = {sab, scd};
      for (int h = 0; h < 2; ++h) {
        __m256i bit = _mm256_and_si256(_mm256_srai_epi16(signs[h], 15), _mm256_set1_epi16(short(sign.bit)));
        if constexpr (Nzs) bit = _mm256_andnot_si256(_mm256_cmpeq_epi16(codes[h], zero), bit);
        codes[h] = _mm256_or_si256(codes[h], bit);
      }
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(at), _mm256_permute4x64_epi64(codes[0], 0xD8));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(at + 16), _mm256_permute4x64_epi64(codes[1], 0xD8));
  }
  (void)sign;
  (void)zero;
}
// The same at AVX-512 (16 lanes, four 128-bit quarters): 64 codes per step, where GCC 12
// narrowed each vector through a word permute, a mask, a pack and a qword permute. (maskz:
// the plain permutes start from an undefined register, which GCC 12 warns about.)
template <class T, class Vector, bool Late, bool Nzs>
[[gnu::always_inline]] __attribute__((target("avx512f,avx512bw,avx512vl"))) inline void codes4_avx512(
    T* at, const Vector& vector, codes_sign<Late, Nzs> sign) {
  vec<16>::u32 a, b, sa, sb;
  vector(0, a, sa);
  vector(1, b, sb);
  const __m512i ab = _mm512_packus_epi32(__m512i(a), __m512i(b));
  const __m512i sab = Late ? _mm512_packs_epi32(__m512i(sa), __m512i(sb)) : __m512i{};
  vector(2, a, sa);
  vector(3, b, sb);
  const __m512i cd = _mm512_packus_epi32(__m512i(a), __m512i(b));
  const __m512i scd = Late ? _mm512_packs_epi32(__m512i(sa), __m512i(sb)) : __m512i{};
  if constexpr (sizeof(T) == 1) {
    // dword 4 j + k of the packed bytes: codes 4 j .. 4 j + 3 of vector k
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    __m512i codes = _mm512_packus_epi16(ab, cd);
    if constexpr (Late) {
      __mmask64 neg = _mm512_movepi8_mask(_mm512_packs_epi16(sab, scd));
      if constexpr (Nzs) neg = _mm512_mask_test_epi8_mask(neg, codes, codes);
      codes = _mm512_or_si512(codes, _mm512_maskz_mov_epi8(neg, _mm512_set1_epi8(char(sign.bit))));
    }
    _mm512_storeu_si512(at, _mm512_maskz_permutexvar_epi32(0xFFFF, order, codes));
  } else {
    static_assert(sizeof(T) == 2 && !Late, "16-bit codes come signed at AVX-512 (late_signs)");
    const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
    _mm512_storeu_si512(at, _mm512_maskz_permutexvar_epi64(0xFF, order, ab));
    _mm512_storeu_si512(at + 32, _mm512_maskz_permutexvar_epi64(0xFF, order, cd));
  }
  (void)sign;
}
#endif

// Doubles rounded in their own bit pattern (kernel_f64.hpp, f64_span), x86-64 only (MXCSR).
// ANY_GT(x, t): whether x > t as int64 in some lane; NAN_OR(x, c): x where it is a NaN, else c
// (as int64, c above every other x); NZ_SIGN, OPAQUE: PRECSIM_LEVEL_KERNELS' (f64_ops).
// HANDOFF: f64_span's handoff, from the argument handoff (one_pass_f64) or a constant (AVX2
// always hands off: its loop for chunks without the branch, not compiled then, slowed the other
// one by a tenth).
#if PRECSIM_FAST_PATH
#define PRECSIM_F64_KERNEL(name, W, ANY_GT, NAN_OR, NZ_SIGN, OPAQUE, HANDOFF, ...)               \
  template <round_mode Mode, class Out>                                                          \
  __attribute__((flatten)) __VA_ARGS__ std::size_t name##_f64(const f64_params& p, const double* in, \
                                                             Out* out, std::size_t n, bool handoff, \
                                                             bool& busy) {                       \
    using u64 = typename vec<W / 2>::u64;                                                        \
    const auto any_gt = [](const u64& x, const u64& t) __VA_ARGS__ { return ANY_GT(x, t); };     \
    const auto nz_sign = [](u64& y, const u64& sign) __VA_ARGS__ { y = u64(NZ_SIGN(y, sign)); };  \
    const auto nan_or = [](const u64& x, const u64& c, u64& r) __VA_ARGS__ { r = u64(NAN_OR(x, c)); }; \
    const auto opaque = OPAQUE;                                                                  \
    (void)handoff;                                                                               \
    const f64_ops<decltype(any_gt), decltype(nz_sign), decltype(opaque), decltype(nan_or)> ops{  \
        any_gt, nz_sign, opaque, nan_or};                                                        \
    return f64_span<W / 2, Mode>(p, ops, in, out, n, HANDOFF, busy);                             \
  }
#define PRECSIM_ANY_GT_GENERIC(x, t)                                                             \
  any_lanes<int(sizeof(x) / 4)>(typename vec<int(sizeof(x) / 4)>::u32(                         \
      typename vec<int(sizeof(x) / 8)>::i64(x) > typename vec<int(sizeof(x) / 8)>::i64(t)))
#define PRECSIM_ANY_GT_AVX2(x, t) \
  (_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(__m256i(x), __m256i(t)))) != 0)
#define PRECSIM_ANY_GT_AVX512(x, t) (_mm512_cmpgt_epi64_mask(__m512i(x), __m512i(t)) != 0)
#define PRECSIM_NAN_OR_GENERIC(x, c) \
  (typename vec<int(sizeof(x) / 8)>::i64(x) > typename vec<int(sizeof(x) / 8)>::i64(c) ? x : c)
#define PRECSIM_NAN_OR_AVX2(x, c) nan_or_avx2(__m256i(x), __m256i(c))
#define PRECSIM_NAN_OR_AVX512(x, c) _mm512_maskz_max_epi64(0xFF, __m512i(x), __m512i(c))
// maxpd gives its second operand where either is a NaN; c is hidden from -ffinite-math-only,
// which would fold the max into c
__attribute__((target("avx2"))) inline __m256i nan_or_avx2(__m256i x, __m256i c) {
  __m256d cd = _mm256_castsi256_pd(c);
  __asm__("" : "+x"(cd));
  return _mm256_castpd_si256(_mm256_max_pd(cd, _mm256_castsi256_pd(x)));
}
#else
#define PRECSIM_F64_KERNEL(name, W, ANY_GT, NAN_OR, NZ_SIGN, OPAQUE, HANDOFF, ...)
#endif

// One entry point per level and lane count. wide16 runs the 16-lane code without AVX-512 so
// that tests cover the AVX-512 lane layout on any CPU: compiled only where PRECSIM_TEST_LANES16
// is 1 (the tests; config.hpp gives those TUs a namespace of their own), since its generic 16-lane
// vectors on the baseline ISA cost more compile time than all the other levels together.
// MUL32(x, m, p): Philox's multiply (simd/philox.hpp), written inside the level's target
// function so that it may use that level's intrinsics. (flatten: everything is inlined into the
// entry point, this lambda too, which GCC would otherwise call from the larger kernels.)
// STREAM(at, v): a streaming store of v at the aligned address at; FENCE(): orders those stores
// before the kernel returns. ANY(v): whether some lane of v (W x 32 bits) is nonzero. SR_LOW(p,
// a, random, q): kernel.hpp's sr_low_f64. CODES4: a callable (at, vector) that stores the
// codes of 4 vectors as 8- or 16-bit codes (level_ops::codes4), or nullptr where the level has
// none. NZ_SIGN(y, sign): y | sign where y is nonzero (AVX2's on 32-bit lanes: for doubles only
// where each nonzero y has a nonzero top half, as values do). OPAQUE: a callable (v&) that hides
// the vector v from the optimizer, or nullptr. ANY_GT, NAN_OR, HANDOFF: PRECSIM_F64_KERNEL's.
// (kernel.hpp, level_ops)
#define PRECSIM_LEVEL_KERNELS(name, W, MUL32, STREAM, FENCE, ANY, SR_LOW, CODES4, NZ_SIGN, OPAQUE, ANY_GT, NAN_OR, HANDOFF, ...) \
  template <round_mode Mode, bool Scaled, class Out>                                              \
  __attribute__((flatten)) __VA_ARGS__ void name##_round(const kernel_params& p, const sr_stream& s, std::uint64_t j,      \
                                const float* in, Out* out, std::size_t n, const lane_scales& sc) { \
    using u32 = typename vec<W>::u32;                                                             \
    using u64 = typename vec<W / 2>::u64;                                                         \
    const auto mul = [](const u64& x, std::uint32_t m, u64& r) __VA_ARGS__ { MUL32(x, m, r); };  \
    const auto stream = [](float* at, const u32& v) __VA_ARGS__ { STREAM(at, v); };               \
    const auto any = [](const u32& v) __VA_ARGS__ { return ANY(v); };                             \
    const auto sr_low = [](const kernel_params& k, const u32& a, const u32& r, u32& q) __VA_ARGS__ { \
      SR_LOW(k, a, r, q);                                                                         \
    };                                                                                            \
    const auto codes4 = CODES4;                                                                   \
    const auto nz_sign = [](u32& y, const u32& sign) __VA_ARGS__ { y = u32(NZ_SIGN(y, sign)); };      \
    const auto opaque = OPAQUE;                                                                   \
    const level_ops<decltype(mul), decltype(stream), decltype(any), decltype(sr_low), decltype(codes4), \
                    decltype(nz_sign), decltype(opaque)>                                          \
        ops{mul, stream, any, sr_low, codes4, nz_sign, opaque};                                   \
    round_span<W, Mode, Scaled>(p, s, ops, j, in, out, n, sc);                                    \
    if (p.stream_out) FENCE();                                                                    \
  }                                                                                               \
  template <class In>                                                                             \
  __VA_ARGS__ void name##_decode(const kernel_params& p, const In* in, float* out, std::size_t n) { \
    decode_span<W>(p, in, out, n);                                                                \
  }                                                                                               \
  __attribute__((flatten)) __VA_ARGS__ inline bool name##_narrow(const double* in, float* out, std::size_t n) { \
    return narrow_span<W / 2>(in, out, n);                                                      \
  }                                                                                               \
  __attribute__((flatten)) __VA_ARGS__ inline void name##_widen(const float* in, double* out, std::size_t n) { \
    widen_span<W / 2>(in, out, n);                                                                \
  }                                                                                               \
  template <class Out>                                                                            \
  __attribute__((flatten)) __VA_ARGS__ std::uint32_t name##_sr_double(const sr_double_params& p, const double* in, \
                                                                    Out* out, const std::uint32_t* words) { \
    return sr_double_block<W / 2>(p, in, out, words);                                             \
  }                                                                                               \
  PRECSIM_F64_KERNEL(name, W, ANY_GT, NAN_OR, NZ_SIGN, OPAQUE, HANDOFF, __VA_ARGS__)

#define PRECSIM_STORE_GENERIC(at, v) std::memcpy(at, &v, sizeof v)
#define PRECSIM_ANY_GENERIC(v) any_lanes<int(sizeof(v) / 4)>(v)
#define PRECSIM_ANY_AVX2(v) (!_mm256_testz_si256(__m256i(v), __m256i(v)))
#define PRECSIM_ANY_AVX512(v) (_mm512_test_epi32_mask(__m512i(v), __m512i(v)) != 0)
#define PRECSIM_SR_LOW_GENERIC(k, a, r, q) sr_low_f64<int(sizeof(a) / 4)>(k, a, r, q)
#define PRECSIM_SR_LOW_AVX2(k, a, r, q) q = u32(sr_low_f64_avx2(__m256i(a), __m256i(r), k.sr_scale, k.random_bits))
#define PRECSIM_NO_FENCE() (void)0
#define PRECSIM_NZ_SIGN_GENERIC(y, sign) (y != 0 ? y | sign : y)  // (a select: one operation fewer than a mask)
#define PRECSIM_NZ_SIGN_AVX2(y, sign) _mm256_or_si256(__m256i(y), _mm256_sign_epi32(__m256i(sign), __m256i(y)))
#if PRECSIM_X86
#define PRECSIM_OPAQUE(constraint, ...) [](auto& v) __VA_ARGS__ { __asm__("" : constraint(v)); }
// AVX-512's opaque, with lanes_by_magic's sums |x| + C rounded to odd by embedded rounding (floats
// and doubles): the sum toward zero, its last bit set where the sum toward +inf has it (where
// |x| + C is inexact that is the next float, whose last bit differs). Three operations where
// the sum in MXCSR's mode and its inexact test (a subtraction, a compare, a masked move, an OR)
// took five.
struct avx512_opaque {
  template <class V>
  __attribute__((target("avx512f"))) void operator()(V& v) const {
    __asm__("" : "+v"(v));
  }
  // (the full masks' forms: GCC 12 warns of the others' undefined source as uninitialized)
  __attribute__((target("avx512f"))) void odd_sum(const vec<16>::f32& a, const vec<16>::f32& c, vec<16>::u32& k) const {
    constexpr int rz = _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC, ru = _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC;
    const __m512i z = _mm512_castps_si512(_mm512_maskz_add_round_ps(__mmask16(~0u), __m512(a), __m512(c), rz));
    const __m512i u = _mm512_castps_si512(_mm512_maskz_add_round_ps(__mmask16(~0u), __m512(a), __m512(c), ru));
    k = vec<16>::u32(_mm512_ternarylogic_epi32(z, u, _mm512_set1_epi32(1), 0xF8));  // z | (u & 1)
  }
  __attribute__((target("avx512f"))) void odd_sum(const vec<8>::f64& a, const vec<8>::f64& c, vec<8>::u64& k) const {
    constexpr int rz = _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC, ru = _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC;
    const __m512i z = _mm512_castpd_si512(_mm512_maskz_add_round_pd(__mmask8(~0u), __m512d(a), __m512d(c), rz));
    const __m512i u = _mm512_castpd_si512(_mm512_maskz_add_round_pd(__mmask8(~0u), __m512d(a), __m512d(c), ru));
    k = vec<8>::u64(_mm512_ternarylogic_epi64(z, u, _mm512_set1_epi64(1), 0xF8));
  }
};
#else
#define PRECSIM_OPAQUE(constraint, ...) nullptr
#endif
PRECSIM_LEVEL_KERNELS(portable, 4, mul32_portable, PRECSIM_STORE_GENERIC, PRECSIM_NO_FENCE, PRECSIM_ANY_GENERIC,
                      PRECSIM_SR_LOW_GENERIC, nullptr, PRECSIM_NZ_SIGN_GENERIC, PRECSIM_OPAQUE("+x"),
                      PRECSIM_ANY_GT_GENERIC, PRECSIM_NAN_OR_GENERIC, false)
#if PRECSIM_TEST_LANES16
PRECSIM_LEVEL_KERNELS(wide16, 16, mul32_generic<8>, PRECSIM_STORE_GENERIC, PRECSIM_NO_FENCE, PRECSIM_ANY_GENERIC,
                      PRECSIM_SR_LOW_GENERIC, nullptr, PRECSIM_NZ_SIGN_GENERIC, nullptr, PRECSIM_ANY_GT_GENERIC,
                      PRECSIM_NAN_OR_GENERIC, false)
#endif
#if PRECSIM_X86
#define PRECSIM_STREAM_AVX512(at, v) _mm512_stream_si512(reinterpret_cast<__m512i*>(at), __m512i(v))
#define PRECSIM_CODES4_AVX2                                                                       \
  [](auto* at, const auto& vector, auto sign) __attribute__((target("avx2"))) { codes4_avx2(at, vector, sign); }
#define PRECSIM_CODES4_AVX512                                                                     \
  [](auto* at, const auto& vector, auto sign) __attribute__((target("avx512f,avx512bw,avx512vl"))) { codes4_avx512(at, vector, sign); }
#define PRECSIM_STREAM_AVX2(at, v) _mm256_stream_si256(reinterpret_cast<__m256i*>(at), __m256i(v))
// (AVX2 streams on Intel CPUs only: bulk.hpp, stream_out)
PRECSIM_LEVEL_KERNELS(avx2, 8, mul32_avx2, PRECSIM_STREAM_AVX2, _mm_sfence, PRECSIM_ANY_AVX2,
                      PRECSIM_SR_LOW_AVX2, PRECSIM_CODES4_AVX2, PRECSIM_NZ_SIGN_AVX2,
                      PRECSIM_OPAQUE("+x", __attribute__((target("avx2")))), PRECSIM_ANY_GT_AVX2, PRECSIM_NAN_OR_AVX2, true,
                      __attribute__((target("avx2"))))
PRECSIM_LEVEL_KERNELS(avx512, 16, mul32_avx512, PRECSIM_STREAM_AVX512, _mm_sfence, PRECSIM_ANY_AVX512,
                      PRECSIM_SR_LOW_GENERIC, PRECSIM_CODES4_AVX512, PRECSIM_NZ_SIGN_GENERIC,
                      avx512_opaque{}, PRECSIM_ANY_GT_AVX512,
                      PRECSIM_NAN_OR_AVX512, handoff,
                      __attribute__((target("avx512f,avx512bw,avx512vl"))))
#undef PRECSIM_STREAM_AVX512
#undef PRECSIM_STREAM_AVX2
#undef PRECSIM_CODES4_AVX2
#undef PRECSIM_CODES4_AVX512
#endif
#undef PRECSIM_STORE_GENERIC
#undef PRECSIM_NO_FENCE
#undef PRECSIM_LEVEL_KERNELS
#undef PRECSIM_F64_KERNEL
#undef PRECSIM_ANY_GENERIC
#undef PRECSIM_ANY_AVX2
#undef PRECSIM_ANY_AVX512
#undef PRECSIM_SR_LOW_GENERIC
#undef PRECSIM_SR_LOW_AVX2
#undef PRECSIM_NZ_SIGN_GENERIC
#undef PRECSIM_NZ_SIGN_AVX2
#undef PRECSIM_OPAQUE
#undef PRECSIM_ANY_GT_GENERIC
#undef PRECSIM_ANY_GT_AVX2
#undef PRECSIM_ANY_GT_AVX512
#undef PRECSIM_NAN_OR_GENERIC
#undef PRECSIM_NAN_OR_AVX2
#undef PRECSIM_NAN_OR_AVX512

#if PRECSIM_X86
// Round to odd as a code: of the conversions toward -inf and +inf (equal where x is exact, an
// infinity or NaN) the odd one. They are consecutive codes as unsigned integers (across zero
// too: 0x0000 / 0x0001, 0x8001 / 0x8000; past max: 0x7BFF / 0x7C00), so it is the smaller with
// its last bit set. Integer steps only: no float compare for -ffast-math to reinterpret.
[[gnu::always_inline]] __attribute__((target("avx2,f16c"))) inline __m128i odd_half8(__m256 x) {
  const __m128i d = _mm256_cvtps_ph(x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m128i u = _mm256_cvtps_ph(x, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
  return _mm_or_si128(_mm_min_epu16(d, u), _mm_and_si128(_mm_xor_si128(d, u), _mm_set1_epi16(1)));
}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverflow"  // (GCC 12 at -O0: the intrinsics' 0xFFFF masks as char)
#pragma GCC diagnostic ignored "-Wconversion"
[[gnu::always_inline]] __attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m256i odd_half16(__m512 x) {
  const __m256i d = _mm512_maskz_cvtps_ph(0xFFFF, x, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m256i u = _mm512_maskz_cvtps_ph(0xFFFF, x, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
  return _mm256_or_si256(_mm256_min_epu16(d, u), _mm256_and_si256(_mm256_xor_si256(d, u), _mm256_set1_epi16(1)));
}
// Round half away from zero as a code: nearest even of x with its last bit set. A tie for
// binary16 (or an exact value) ends in at least 12 zero bits: with the bit set it lies above the
// tie and rounds away; an x below a tie stays below it (the tie's last bit is 0). Infinities
// keep their bits (with it they would be NaN); NaN's last bit is below the code's payload.
// AnyInf: the caller replaces inf lanes itself (values: inf passes through with NaN), so every
// lane takes the bit (two operations fewer per vector at AVX2).
template <bool AnyInf>
[[gnu::always_inline]] __attribute__((target("avx2,f16c"))) inline __m128i away_half8(__m256 x) {
  const __m256i b = _mm256_castps_si256(x);
  __m256i bit = _mm256_set1_epi32(1);
  if constexpr (!AnyInf) {
    const __m256i a = _mm256_and_si256(b, _mm256_set1_epi32(0x7FFFFFFF));
    bit = _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(0x7F800000), a), bit);  // finite lanes
  }
  return _mm256_cvtps_ph(_mm256_castsi256_ps(_mm256_or_si256(b, bit)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
template <bool AnyInf>
[[gnu::always_inline]] __attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m256i away_half16(__m512 x) {
  const __m512i b = _mm512_castps_si512(x);
  __mmask16 finite = 0xFFFF;
  if constexpr (!AnyInf)
    finite = _mm512_cmplt_epi32_mask(_mm512_and_si512(b, _mm512_set1_epi32(0x7FFFFFFF)), _mm512_set1_epi32(0x7F800000));
  const __m512i y = _mm512_mask_or_epi32(b, finite, b, _mm512_set1_epi32(1));
  return _mm512_maskz_cvtps_ph(0xFFFF, _mm512_castsi512_ps(y), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
// The conversion's rounding immediate for kernel_params::half_hw 0..3.
template <int H>
inline constexpr int half_imm = (H == 0   ? _MM_FROUND_TO_NEAREST_INT
                                 : H == 1 ? _MM_FROUND_TO_NEG_INF
                                 : H == 2 ? _MM_FROUND_TO_POS_INF
                                          : _MM_FROUND_TO_ZERO) | _MM_FROUND_NO_EXC;
// The binary16 codes of 8 / 16 floats rounded as kernel_params::half_hw H says; AnyInf: inf
// lanes may come out as any code (the caller's).
template <int H, bool AnyInf>
[[gnu::always_inline]] __attribute__((target("avx2,f16c"))) inline __m128i half8(__m256 x) {
  if constexpr (H == 4) return odd_half8(x);
  else if constexpr (H == 5) return away_half8<AnyInf>(x);
  else return _mm256_cvtps_ph(x, half_imm<H>);
}
template <int H, bool AnyInf>
[[gnu::always_inline]] __attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m256i half16(__m512 x) {
  if constexpr (H == 4) return odd_half16(x);
  else if constexpr (H == 5) return away_half16<AnyInf>(x);
  else return _mm512_maskz_cvtps_ph(0xFFFF, x, half_imm<H>);
}
#pragma GCC diagnostic pop
// Calls f(integral_constant<int, H>) for H = p.half_hw (0..5).
template <class F>
decltype(auto) with_half_hw(int h, F&& f) {
  using std::integral_constant;
  switch (h) {
    case 0: return f(integral_constant<int, 0>{});
    case 1: return f(integral_constant<int, 1>{});
    case 2: return f(integral_constant<int, 2>{});
    case 3: return f(integral_constant<int, 3>{});
    case 4: return f(integral_constant<int, 4>{});
    default: return f(integral_constant<int, 5>{});
  }
}
// IEEE binary16 by the hardware conversion, rounded as kernel_params::half_hw H says (half8),
// codes or values; NaN values pass through unchanged as in quantize() (the conversion quiets
// them), and so do infinities where the nearest-away nudge would make them NaN (inf_passes:
// lanes above float's max pass, not above inf).
template <int H, class Out>
inline constexpr bool inf_passes = std::is_same_v<Out, float> && H == 5;
template <int H, class Out>
inline constexpr int pass_above = inf_passes<H, Out> ? 0x7F7FFFFF : 0x7F800000;
// (stream: kernel_params::stream_out, float outputs)
template <int H, class Out>
__attribute__((target("avx2,f16c"))) void half_hw_avx2(const float* in, Out* out, std::size_t n, bool stream = false) {
  std::size_t i = 0;
  if (stream) {
    i = std::min(n, (8 - reinterpret_cast<std::uintptr_t>(out) / sizeof(Out) % 8) % 8);
    half_hw_avx2<H>(in, out, i);
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(in + i);
    const __m256i a = _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7FFFFFFF));
    const __m256i nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(pass_above<H, Out>));
    const __m128i h = half8<H, inf_passes<H, Out>>(x);
    if constexpr (std::is_same_v<Out, float>) {
      const __m256 y = _mm256_blendv_ps(_mm256_cvtph_ps(h), x, _mm256_castsi256_ps(nan));
      if (stream) _mm256_stream_ps(out + i, y);
      else _mm256_storeu_ps(out + i, y);
    } else {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
    }
  }
  if (stream) _mm_sfence();
  if (i < n) {
    float tin[8] = {};
    Out tout[8];
    std::memcpy(tin, in + i, (n - i) * sizeof(float));
    half_hw_avx2<H>(tin, tout, 8);
    std::memcpy(out + i, tout, (n - i) * sizeof(Out));
  }
}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverflow"  // (GCC 12 at -O0: the intrinsics' 0xFFFF masks as char)
#pragma GCC diagnostic ignored "-Wconversion"
// (stream: kernel_params::stream_out, float outputs)
template <int H, class Out>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void half_hw_avx512(const float* in, Out* out, std::size_t n,
                                                                        bool stream) {
  std::size_t i = 0;
  if (stream) {
    i = std::min(n, (16 - reinterpret_cast<std::uintptr_t>(out) / sizeof(Out) % 16) % 16);
    half_hw_avx2<H>(in, out, i);
  }
  for (; i + 16 <= n; i += 16) {
    const __m512 x = _mm512_loadu_ps(in + i);
    const __m512i a = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7FFFFFFF));
    const __mmask16 nan = _mm512_cmpgt_epi32_mask(a, _mm512_set1_epi32(pass_above<H, Out>));
    const __m256i h = half16<H, inf_passes<H, Out>>(x);
    if constexpr (std::is_same_v<Out, float>) {
      const __m512 y = _mm512_mask_blend_ps(nan, _mm512_maskz_cvtph_ps(0xFFFF, h), x);
      if (stream) _mm512_stream_ps(out + i, y);
      else _mm512_storeu_ps(out + i, y);
    } else {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), h);
    }
  }
  if (stream) _mm_sfence();
  half_hw_avx2<H>(in + i, out + i, n - i);
}
#pragma GCC diagnostic pop
// Whether the hardware conversion served the call.
template <class Out>
bool half_hw_round(simd_level l, const kernel_params& p, const float* in, Out* out, std::size_t n) {
  if constexpr (std::is_same_v<Out, float> || std::is_same_v<Out, std::uint16_t>) {
    if (p.half_hw < 0 || (l != simd_level::avx512 && l != simd_level::avx2) || !cpu().f16c) return false;
    with_half_hw(p.half_hw, [&](auto h) {
      if (l == simd_level::avx512) half_hw_avx512<decltype(h)::value>(in, out, n, p.stream_out);
      else half_hw_avx2<decltype(h)::value>(in, out, n, p.stream_out);
    });
    return true;
  } else {
    (void)l, (void)p, (void)in, (void)out, (void)n;
    return false;
  }
}
#endif

#if PRECSIM_X86
// bfloat16 codes to nearest even by AVX512-BF16's vcvtneps2bf16 (kernel_params::bf16_hw), 16 per
// instruction: its rounding, overflow and NaN codes are the core's, but it reads float
// subnormal inputs as zero. Returns how many it rounded, stopping before the first vector that
// holds one (or the tail).
__attribute__((target("avx512f,avx512bf16"))) inline std::size_t bf16_hw_avx512(const float* in, std::uint16_t* out,
                                                                          std::size_t n) {
  const __m512i exp = _mm512_set1_epi32(0x7F800000), frac = _mm512_set1_epi32(0x007FFFFF);
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 x = _mm512_loadu_ps(in + i);
    const __m512i b = _mm512_castps_si512(x);
    if (_mm512_mask_test_epi32_mask(_mm512_testn_epi32_mask(b, exp), b, frac) != 0) break;
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), __m256i(_mm512_cvtneps_pbh(x)));
  }
  return i;
}
// Whether the conversion served the call: its vectors, and the kernel's for each block of 1024
// from a vector with a subnormal input on (and the tail).
template <class Out>
bool bf16_hw_round(simd_level l, const kernel_params& p, const float* in, Out* out, std::size_t n) {
  if constexpr (std::is_same_v<Out, std::uint16_t>) {
    if (!p.bf16_hw || l != simd_level::avx512 || !cpu().avx512bf16) return false;
    for (std::size_t done = 0;;) {
      done += bf16_hw_avx512(in + done, out + done, n - done);
      if (done == n) return true;
      const std::size_t k = std::min<std::size_t>(1024, n - done);
      avx512_round<round_mode::nearest_even, false>(p, {}, 0, in + done, out + done, k, {});
      done += k;
    }
  } else {
    (void)l, (void)p, (void)in, (void)out, (void)n;
    return false;
  }
}

#if PRECSIM_FAST_PATH
// Codes of kernel_params::code_half_top (e5m2): the values' kernel (fast_lanes in the value
// shape with_fast_shape picks: binary16 numbers, inf, or NaN's own bits), converted to binary16
// (nearest even: exact, and NaN quiet with the payload's top bits, as the core's NaN codes),
// then the top bytes of 4 vectors narrowed together. Fewer operations than the codes' own
// steps (their NaN payload, the overflow), which made e5m2's encode 0.6-0.75x its quantize.
template <unsigned Shape>
inline constexpr bool half_top_shape =
    (Shape & (shape_lanes | shape_plain | shape_inf_float)) == (shape_lanes | shape_plain | shape_inf_float) &&
    (Shape & (shape_nzs | shape_float)) == 0;
// (only fast_lanes' opaque is read in these shapes)
template <class Opaque>
using half_top_ops = level_ops<std::nullptr_t, std::nullptr_t, std::nullptr_t, std::nullptr_t, std::nullptr_t,
                               std::nullptr_t, Opaque>;
// The binary16 of 8 values without their sign (x: the inputs).
template <round_mode Mode, unsigned Shape, class Ops>
[[gnu::always_inline]] __attribute__((target("avx2,f16c"))) inline __m128i unsigned_halves8(const kernel_params& p,
                                                                                           const Ops& ops,
                                                                                           const float* in,
                                                                                           vec<8>::u32& x) {
  vec<8>::u32 y;
  load_lanes<8>(reinterpret_cast<const std::uint32_t*>(in), x);
  fast_lanes<8, Mode, Shape, false, float, true>(p, ops, x, vec<8>::u32{}, y);
  return _mm256_cvtps_ph(_mm256_castsi256_ps(__m256i(y)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}
template <round_mode Mode, unsigned Shape, class Ops>
[[gnu::always_inline]] __attribute__((target("avx2,f16c"))) inline void half_top4_avx2(const kernel_params& p,
                                                                                      const Ops& ops, const float* in,
                                                                                      std::uint8_t* at) {
  // (no arrays: GCC 12 kept them in memory, and their halves stored apart read back whole)
  vec<8>::u32 x0, x1, x2, x3;
  const __m128i h0 = unsigned_halves8<Mode, Shape>(p, ops, in, x0), h1 = unsigned_halves8<Mode, Shape>(p, ops, in + 8, x1);
  const __m128i h2 = unsigned_halves8<Mode, Shape>(p, ops, in + 16, x2), h3 = unsigned_halves8<Mode, Shape>(p, ops, in + 24, x3);
  // bytes h0 h2 | h1 h3 (packs work within 128-bit halves), then in order; the signs after
  // them, as codes4_avx2's (the values came without: 6 operations per 32 codes, where each
  // vector took 2)
  const __m256i lo = _mm256_srli_epi16(_mm256_set_m128i(h1, h0), 8);
  const __m256i hi = _mm256_srli_epi16(_mm256_set_m128i(h3, h2), 8);
  const __m256i codes = _mm256_permute4x64_epi64(_mm256_packus_epi16(lo, hi), 0xD8);
  const __m256i signs = _mm256_packs_epi16(_mm256_packs_epi32(__m256i(x0), __m256i(x1)),
                                           _mm256_packs_epi32(__m256i(x2), __m256i(x3)));
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256i bits = _mm256_and_si256(_mm256_permutevar8x32_epi32(signs, order), _mm256_set1_epi8(char(0x80)));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(at), _mm256_or_si256(codes, bits));
}
template <round_mode Mode, unsigned Shape>
__attribute__((target("avx2,f16c"))) void half_top_avx2(const kernel_params& params, const float* in,
                                                        std::uint8_t* out, std::size_t n) {
  const kernel_params p = params;
  const scoped_mxcsr csr(p.fast_csr);
  const auto opaque = [](auto& v) __attribute__((target("avx2,f16c"))) { __asm__("" : "+x"(v)); };
  const half_top_ops<decltype(opaque)> ops{nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, opaque};
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) half_top4_avx2<Mode, Shape>(p, ops, in + i, out + i);
  if (i < n) {
    float tin[32] = {};
    std::uint8_t tout[32];
    std::memcpy(tin, in + i, (n - i) * sizeof(float));
    half_top4_avx2<Mode, Shape>(p, ops, tin, tout);
    std::memcpy(out + i, tout, n - i);
  }
}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverflow"  // (GCC 12 at -O0: the intrinsics' 0xFFFF masks as char)
#pragma GCC diagnostic ignored "-Wconversion"
template <round_mode Mode, unsigned Shape>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void half_top_avx512(const kernel_params& params,
                                                                         const float* in, std::uint8_t* out,
                                                                         std::size_t n) {
  const kernel_params p = params;
  const scoped_mxcsr csr(p.fast_csr);
  const half_top_ops<avx512_opaque> ops{nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, {}};
  // the packed qwords: codes 0-7 of vectors 0 and 2, 8-15 of 0 and 2, then of 1 and 3; in order by
  // one qword permute
  const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m256i h[4];
    for (int k = 0; k < 4; ++k) {
      vec<16>::u32 x, y;
      load_lanes<16>(reinterpret_cast<const std::uint32_t*>(in + i) + 16 * k, x);
      fast_lanes<16, Mode, Shape, false, float>(p, ops, x, vec<16>::u32{}, y);
      h[k] = _mm512_maskz_cvtps_ph(0xFFFF, _mm512_castsi512_ps(__m512i(y)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    }
    const __m512i lo = _mm512_srli_epi16(_mm512_maskz_inserti64x4(0xFF, _mm512_castsi256_si512(h[0]), h[1], 1), 8);
    const __m512i hi = _mm512_srli_epi16(_mm512_maskz_inserti64x4(0xFF, _mm512_castsi256_si512(h[2]), h[3], 1), 8);
    _mm512_storeu_si512(out + i, _mm512_maskz_permutexvar_epi64(0xFF, order, _mm512_packus_epi16(lo, hi)));
  }
  if (i < n) half_top_avx2<Mode, Shape>(p, in + i, out + i, n - i);
}
#pragma GCC diagnostic pop
#endif
// Whether the values' kernel and the hardware conversion served the call (code_half_top).
template <class Out>
bool half_top_round(simd_level l, const kernel_params& p, const float* in, Out* out, std::size_t n) {
  bool done = false;
#if PRECSIM_FAST_PATH
  if constexpr (std::is_same_v<Out, std::uint8_t>) {
    if (!p.fast || !p.code_half_top || (l != simd_level::avx512 && l != simd_level::avx2) || !cpu().f16c) return false;
    with_mode(p.mode, [&](auto mode) {
      constexpr round_mode M = decltype(mode)::value;
      if constexpr (lanes_mode<M, false>)
        with_fast_shape<8, M, false, float, false>(p, [&](auto sh) {
          constexpr unsigned S = decltype(sh)::value;
          if constexpr (half_top_shape<S>) {
            if (l == simd_level::avx512) half_top_avx512<M, S>(p, in, out, n);
            else half_top_avx2<M, S>(p, in, out, n);
            done = true;
          }
        });
    });
  }
#endif
  (void)l, (void)p, (void)in, (void)out, (void)n;
  return done;
}
#endif

// Vector rounding of float inputs at level l (not scalar); Scaled: with per-element scaling
// around it (kernel.hpp, lane_scales; block formats), a variant compiled only where it is used.
// (Scaled runs 4 lanes at the portable level even under the tests' 16-lane layout: one variant
// fewer to compile.)
template <bool Scaled = false, class Out>
void vector_round(simd_level l, const kernel_params& p, const sr_stream& s, std::uint64_t j,
                  const float* in, Out* out, std::size_t n, const lane_scales& sc = {}) {
  (void)l;  // (portable only off x86)
#if PRECSIM_X86
  if constexpr (!Scaled)
    if (half_hw_round(l, p, in, out, n) || half_top_round(l, p, in, out, n) || bf16_hw_round(l, p, in, out, n)) return;
#endif
  with_mode(p.mode, [&](auto mode) {
    constexpr round_mode M = decltype(mode)::value;
#if PRECSIM_TEST_LANES16
    if constexpr (!Scaled)
      if (l == simd_level::portable && shared::wide16_for_tests) return wide16_round<M, false>(p, s, j, in, out, n, sc);
#endif
#if PRECSIM_X86
    if (l == simd_level::avx512) return avx512_round<M, Scaled>(p, s, j, in, out, n, sc);
    if (l == simd_level::avx2) return avx2_round<M, Scaled>(p, s, j, in, out, n, sc);
#endif
    portable_round<M, Scaled>(p, s, j, in, out, n, sc);
  });
}

#if PRECSIM_X86
// Doubles to float by round-to-odd (kernel_f64.hpp, narrow_span), 8 per step. Returns whether some
// x is a NaN, an infinity or at least FLT_MAX in magnitude (its float, toward zero, at least
// FLT_MAX's bits): such chunks go to the scalar core. (Tests on bits: -ffast-math lets clang
// drop unordered comparisons.)
// AVX2: the conversions in MXCSR's round-toward-zero; the 4 + 4 inexact masks (64-bit lanes)
// into 8 32-bit lanes by one blend and one permute.
#if PRECSIM_FAST_PATH
// 8 doubles (MXCSR toward zero), their special lanes or'ed into `special`. Inexact: as at
// AVX-512 (avx512_narrow_odd8), the double's low 29 bits where the float is normal and below
// FLT_MAX (one addition and one compare on the floats' bits: 2^-126 <= |f| < FLT_MAX), else
// the float converted back.
__attribute__((target("avx2"))) inline __m256 avx2_narrow_odd8(const double* in, __m256i& special) {
  const __m256d v0 = _mm256_loadu_pd(in), v1 = _mm256_loadu_pd(in + 4);
  __m128 f0 = _mm256_cvtpd_ps(v0), f1 = _mm256_cvtpd_ps(v1);
  const __m256i f = _mm256_castps_si256(_mm256_set_m128(f1, f0));
  const __m256i fa = _mm256_and_si256(f, _mm256_set1_epi32(0x7FFFFFFF));
  const __m256i low = _mm256_set1_epi64x(0x1FFFFFFF);
  __m256i same0 = _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_castpd_si256(v0), low), _mm256_setzero_si256());
  __m256i same1 = _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_castpd_si256(v1), low), _mm256_setzero_si256());
  // (|f| - 2^-126 unsigned >= FLT_MAX - 2^-126: as signed, after adding 2^31)
  const __m256i odd =
      _mm256_cmpgt_epi32(_mm256_add_epi32(fa, _mm256_set1_epi32(0x7F800000)), _mm256_set1_epi32(-16777218));
  if (!_mm256_testz_si256(odd, odd)) [[unlikely]] {
    __asm__("" : "+x"(f0), "+x"(f1));  // -funsafe-math-optimizations would fold double(float(v)) to v
    same0 = _mm256_cmpeq_epi64(_mm256_castpd_si256(_mm256_cvtps_pd(f0)), _mm256_castpd_si256(v0));
    same1 = _mm256_cmpeq_epi64(_mm256_castpd_si256(_mm256_cvtps_pd(f1)), _mm256_castpd_si256(v1));
    special = _mm256_or_si256(special, _mm256_cmpgt_epi32(fa, _mm256_set1_epi32(0x7F7FFFFE)));
  }
  const __m256i same = _mm256_permutevar8x32_epi32(_mm256_blend_epi32(same0, same1, 0xAA),
                                                   _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
  return _mm256_castsi256_ps(_mm256_or_si256(f, _mm256_andnot_si256(same, _mm256_set1_epi32(1))));
}
__attribute__((target("avx2"))) inline bool avx2_narrow_odd(const double* in, float* out, std::size_t n) {
  if (n < 8) return avx2_narrow(in, out, n);
  const scoped_mxcsr csr(0x1F80u | 3u << 13);
  __m256i special = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, avx2_narrow_odd8(in + i, special));
  return avx2_narrow(in + i, out + i, n - i) || !_mm256_testz_si256(special, special);
}
#else
inline bool avx2_narrow_odd(const double* in, float* out, std::size_t n) { return avx2_narrow(in, out, n); }
#endif
// AVX-512 converts toward zero by an embedded rounding mode and sets the odd bit under a mask
// (maskz forms: GCC 12 warns about the undefined pass-through of the plain ones). The conversion
// is inexact where x has bits below the float's last: for 2^-126 <= |x| < FLT_MAX (float's
// normal range) the double's low 29 bits. Other lanes (zeros, float subnormals, the specials:
// one range test) take a second conversion, back to double, and a compare: conversions bound
// these loops, and the common case goes without it (2026-12-04).
// (At -O0 GCC's rounding-mode intrinsics are macros that pass the mask 0xFF as a char: -Woverflow
// under -Wpedantic, -Wconversion.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverflow"
#pragma GCC diagnostic ignored "-Wconversion"
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m256 avx512_narrow_odd8(__m512d v, __mmask8& special) {
  const __m512i b = _mm512_castpd_si512(v);
  const __m256i f = _mm256_castps_si256(_mm512_maskz_cvt_roundpd_ps(0xFF, v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC));
  const __m512i a = _mm512_and_si512(b, _mm512_set1_epi64(0x7FFFFFFFFFFFFFFF));
  constexpr long long min_normal = 0x3810000000000000, flt_max = 0x47EFFFFFE0000000;
  __mmask8 inexact = _mm512_test_epi64_mask(b, _mm512_set1_epi64(0x1FFFFFFF));
  const __m512i from_min = _mm512_sub_epi64(a, _mm512_set1_epi64(min_normal));
  if (_mm512_cmpge_epu64_mask(from_min, _mm512_set1_epi64(flt_max - min_normal))) {
    special |= _mm512_cmpge_epu64_mask(a, _mm512_set1_epi64(flt_max));
    inexact = _mm512_cmpneq_epi64_mask(_mm512_castpd_si512(_mm512_maskz_cvtps_pd(0xFF, _mm256_castsi256_ps(f))), b);
  }
  return _mm256_castsi256_ps(_mm256_mask_or_epi32(f, inexact, f, _mm256_set1_epi32(1)));
}
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline bool avx512_narrow_odd(const double* in, float* out,
                                                                                 std::size_t n) {
  __mmask8 special = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, avx512_narrow_odd8(_mm512_loadu_pd(in + i), special));
  return avx512_narrow(in + i, out + i, n - i) || special != 0;
}
#pragma GCC diagnostic pop

// The last n < 8 elements of the hardware half passes (half_hw_f64_*), through 8-element
// buffers: n, or 0 where they hold a special (nothing written).
template <class Out, class Kernel>
std::size_t f64_tail(const double* in, Out* out, std::size_t n, Kernel kernel) {
  double tin[8] = {};
  Out tout[8];
  std::memcpy(tin, in, n * sizeof(double));
  if (kernel(tin, tout, 8) != 8) return 0;
  std::memcpy(out, tout, n * sizeof(Out));
  return n;
}
// Doubles to binary16 by the hardware conversion in one pass (8 per step; AVX-512 16 while it
// can): the round-to-odd float, rounded as half_hw_* rounds it (the three passes' result without
// their trips through memory; NaN needs no care: such vectors stop the loop), then its value
// widened (Out = double) or its code stored. Returns how many elements it rounded: it stops
// before the first 8 (or the tail) holding a NaN, an infinity or |x| >= FLT_MAX, which the
// caller gives the scalar core. In place (in == out) too: each step reads before it writes.
template <int H, class Out>
__attribute__((target("avx512f,avx512bw,avx512vl,f16c"))) std::size_t half_hw_f64_avx512(const double* in, Out* out,
                                                                                        std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __mmask8 special = 0;
    const __m256 x0 = avx512_narrow_odd8(_mm512_loadu_pd(in + i), special);
    const __m256 x1 = avx512_narrow_odd8(_mm512_loadu_pd(in + i + 8), special);
    if (special) break;
    const __m512d x01 = _mm512_maskz_insertf64x4(0xFF, _mm512_castpd256_pd512(_mm256_castps_pd(x0)), _mm256_castps_pd(x1), 1);
    const __m512 x = _mm512_castpd_ps(x01);
    const __m256i h = half16<H, true>(x);  // (no inf lanes: they stop the loop)
    if constexpr (std::is_same_v<Out, double>) {
      const __m512d y = _mm512_castps_pd(_mm512_maskz_cvtph_ps(0xFFFF, h));
      const __m256 y0 = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, y, 0));
      const __m256 y1 = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, y, 1));
      _mm512_storeu_pd(out + i, _mm512_maskz_cvtps_pd(0xFF, y0));
      _mm512_storeu_pd(out + i + 8, _mm512_maskz_cvtps_pd(0xFF, y1));
    } else {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), h);
    }
  }
  for (; i + 8 <= n; i += 8) {
    __mmask8 special = 0;
    const __m256 x = avx512_narrow_odd8(_mm512_loadu_pd(in + i), special);
    if (special) return i;
    const __m128i h = half8<H, true>(x);
    if constexpr (std::is_same_v<Out, double>)
      _mm512_storeu_pd(out + i, _mm512_maskz_cvtps_pd(0xFF, _mm256_cvtph_ps(h)));
    else
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
  }
  return i == n ? n : i + f64_tail(in + i, out + i, n - i, half_hw_f64_avx512<H, Out>);
}
#if PRECSIM_FAST_PATH
template <int H, class Out>
__attribute__((target("avx2,f16c"))) std::size_t half_hw_f64_avx2(const double* in, Out* out, std::size_t n) {
  const scoped_mxcsr csr(0x1F80u | 3u << 13);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i special = _mm256_setzero_si256();
    const __m256 x = avx2_narrow_odd8(in + i, special);
    if (!_mm256_testz_si256(special, special)) return i;
    const __m128i h = half8<H, true>(x);  // (no inf lanes: they stop the loop)
    if constexpr (std::is_same_v<Out, double>) {
      const __m256 y = _mm256_cvtph_ps(h);
      _mm256_storeu_pd(out + i, _mm256_cvtps_pd(_mm256_castps256_ps128(y)));
      _mm256_storeu_pd(out + i + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(y, 1)));
    } else {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), h);
    }
  }
  return i == n ? n : i + f64_tail(in + i, out + i, n - i, half_hw_f64_avx2<H, Out>);
}
#endif

#if PRECSIM_AVX512FP16 && PRECSIM_VECTOR_KERNELS
// Doubles to binary16 by AVX512-FP16's conversion (vcvtpd2ph), one rounding in the IEEE
// direction H (0..3), 8 per step: every element, NaN too (codes: the conversion's NaN codes are
// the core's, tests/test_hardware.cpp; values: a NaN passes through, as in quantize()).
// Infinities and overflow are the conversion's, as they are F16C's. MXCSR without DAZ, which
// would read subnormal doubles as 0 (toward +inf rounds them to the least subnormal).
#define PRECSIM_TARGET_FP16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512fp16")))
template <int H, class Out>
[[gnu::always_inline]] PRECSIM_TARGET_FP16 inline void half_fp16_f64_8(const double* in, Out* out) {
  const __m512d x = _mm512_loadu_pd(in);
  const __m128h h = _mm512_cvt_roundpd_ph(x, half_imm<H>);
  if constexpr (std::is_same_v<Out, double>) {
    const __m512i a = _mm512_and_si512(_mm512_castpd_si512(x), _mm512_set1_epi64(0x7FFFFFFFFFFFFFFF));
    const __mmask8 nan = _mm512_cmpgt_epi64_mask(a, _mm512_set1_epi64(0x7FF0000000000000));
    _mm512_storeu_pd(out, _mm512_mask_blend_pd(nan, _mm512_cvtph_pd(h), x));
  } else {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_castph_si128(h));
  }
}
template <int H, class Out>
PRECSIM_TARGET_FP16 std::size_t half_fp16_f64(const double* in, Out* out, std::size_t n) {
  static_assert(H < 4);
  const scoped_mxcsr csr(0x1F80u);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) half_fp16_f64_8<H>(in + i, out + i);
  return i == n ? n : i + f64_tail(in + i, out + i, n - i, half_fp16_f64<H, Out>);
}
#undef PRECSIM_TARGET_FP16
#endif

// Outputs half_hw_f64 writes: values or 16-bit codes.
template <class Out>
inline constexpr bool half_hw_out = std::is_same_v<Out, double> || std::is_same_v<Out, std::uint16_t>;
// Whether half_hw_f64 serves doubles rounded with p at level l: codes, and values toward -inf
// and +inf (half_hw 1 and 2, which f64_span rounds by its slow route), every vector; the other
// values only in the chunks f64_span hands off (the bit pattern is faster on N(0,1) inputs, and
// by each lane's constant where lanes are low or beyond max in nearest even, nearest away and
// toward zero at AVX2). (Codes by the bit pattern: 2.3-4.0 G/s at AVX2 and 3.6-5.3 at AVX-512,
// where the conversion gives 4.2 and 4.8-6.6: Zen 4, 2026-12-07.)
// With AVX512-FP16 (half_fp16_f64), every vector of the IEEE directions at AVX-512: one speed
// whatever the inputs (values at 4Ki: nearest even 3.25 -> 3.5 G/s on wide-range inputs, the
// same on N(0,1); toward zero 3.3 -> 3.5 and 3.8 -> 3.5; codes at 256Ki 4.0 -> 4.75; at 256Ki
// values run at memcpy's speed either way: Intel Xeon with AVX512-FP16, 2026-12-07).
inline bool half_fp16_f64_ok(simd_level l, const kernel_params& p) {
  return PRECSIM_AVX512FP16 && l == simd_level::avx512 && p.half_hw >= 0 && p.half_hw < 4 && cpu().avx512fp16;
}
template <class Out>
bool half_hw_f64_ok(simd_level l, const kernel_params& p, bool handed_off = false) {
  return half_hw_out<Out> && p.half_hw >= 0 &&
         (p.half_hw == 1 || p.half_hw == 2 || handed_off || std::is_same_v<Out, std::uint16_t> ||
          half_fp16_f64_ok(l, p)) &&
         cpu().f16c && (l == simd_level::avx512 || (PRECSIM_FAST_PATH && l == simd_level::avx2));
}
template <class Out>
std::size_t half_hw_f64(simd_level l, const kernel_params& p, const double* in, Out* out, std::size_t n) {
  return with_half_hw(p.half_hw, [&](auto h) -> std::size_t {
    constexpr int H = decltype(h)::value;
#if PRECSIM_AVX512FP16 && PRECSIM_VECTOR_KERNELS
    if constexpr (H < 4)
      if (half_fp16_f64_ok(l, p)) return half_fp16_f64<H>(in, out, n);
#endif
#if PRECSIM_FAST_PATH
    if (l == simd_level::avx2) return half_hw_f64_avx2<H>(in, out, n);
#endif
    (void)l;
    return half_hw_f64_avx512<H>(in, out, n);
  });
}
// Doubles in one pass (bulk.hpp): binary16 toward -inf and +inf by the hardware conversion (its
// other modes as below, their low chunks by it where that is faster); the formats of
// the fast path's deterministic modes in their own bit pattern (kernel_f64.hpp, f64_span; fp from
// make_f64_params) at AVX2 and AVX-512 (SSE2 has no 64-bit compare: there the three passes are
// faster) and in the tests' 16-lane layout. Returns how many were rounded: it stops before the
// first vector holding a special (half_hw_f64: also |x| >= FLT_MAX), which the caller gives the
// scalar core, or (busy) before a chunk better left to the three passes.
// Chunks whose vectors mostly hold lanes below the min normal or beyond max (f64_span's
// handoff) go on another route: float16's values (to_odd, at AVX-512 every mode) to the
// hardware conversion, 32768 elements at a time (AVX-512, to_odd wide-range inputs: 3.2-3.4 ->
// 3.8-4.4 G/s, Zen 5); the others, at AVX2,
// to the three passes (float8_e4m3fn wide-range: 1.5-1.8 against 1.3 G/s); at AVX-512 the bit
// pattern keeps them.
inline bool f64_span_level(simd_level l) {
#if PRECSIM_TEST_LANES16
  if (PRECSIM_FAST_PATH && l == simd_level::portable && shared::wide16_for_tests) return true;
#endif
  return PRECSIM_FAST_PATH && (l == simd_level::avx512 || l == simd_level::avx2);
}
template <class Out>
bool one_pass_f64_ok(simd_level l, const kernel_params& p, bool by_bits) {
  return (by_bits && f64_span_level(l)) || half_hw_f64_ok<Out>(l, p);
}
template <class Out>
std::size_t one_pass_f64(simd_level l, const kernel_params& p, const f64_params& fp, const double* in, Out* out,
                         std::size_t n, bool& busy) {
  std::size_t done = 0;
  busy = false;
  if constexpr (half_hw_out<Out>)
    if (half_hw_f64_ok<Out>(l, p)) return half_hw_f64(l, p, in, out, n);
#if PRECSIM_FAST_PATH
  // whether handed-off chunks go to the hardware pass (AVX-512 hands off only then; AVX2 always)
  const bool hw_handoff = half_hw_f64_ok<Out>(l, p, true);
  // (AVX-512: binary16's chunks of low lanes to the hardware pass in nearest even and toward
  // zero too, faster there than by each lane's constant: nearest even wide-range 4.0 against
  // 3.4 G/s, Zen 4; at AVX2 slower, 2.4 against 2.8)
  f64_params lp = fp;
  if (l == simd_level::avx512 && hw_handoff) lp.by_magic = false;
  with_mode(p.mode, [&](auto mode) {
    constexpr round_mode M = decltype(mode)::value;
    if constexpr (M != round_mode::stochastic) {
      for (;;) {
#if PRECSIM_TEST_LANES16
        if (l == simd_level::portable) {
          done = wide16_f64<M>(fp, in, out, n, false, busy);
          return;
        }
#endif
        const double* from = in + done;
        Out* to = out + done;
        done += l == simd_level::avx512 ? avx512_f64<M>(lp, from, to, n - done, hw_handoff, busy)
                                        : avx2_f64<M>(fp, from, to, n - done, true, busy);
        if constexpr (half_hw_out<Out>) {
          if (!busy || !hw_handoff) return;
          const std::size_t c = std::min<std::size_t>(32768, n - done), k = half_hw_f64(l, p, in + done, out + done, c);
          busy = false;
          done += k;
          if (k < c || done == n) return;
        } else {
          return;
        }
      }
    }
  });
#else
  (void)fp, (void)in, (void)out, (void)n, (void)busy;
#endif
  return done;
}
#endif

inline bool vector_narrow(simd_level l, const double* in, float* out, std::size_t n) {
#if PRECSIM_X86
  if (l == simd_level::avx512) return avx512_narrow_odd(in, out, n);
  if (l == simd_level::avx2) return avx2_narrow_odd(in, out, n);
#endif
  (void)l;
  return portable_narrow(in, out, n);
}

// 32 doubles rounded stochastically (kernel_f64.hpp, sr_double_block); the lanes left to the caller.
template <class Out>
std::uint32_t vector_sr_double(simd_level l, const sr_double_params& p, const double* in, Out* out,
                               const std::uint32_t* words) {
#if PRECSIM_X86
  if (l == simd_level::avx512) return avx512_sr_double(p, in, out, words);
  if (l == simd_level::avx2) return avx2_sr_double(p, in, out, words);
#endif
#if PRECSIM_TEST_LANES16
  if (l == simd_level::portable && shared::wide16_for_tests) return wide16_sr_double(p, in, out, words);
#endif
  (void)l;
  return portable_sr_double(p, in, out, words);
}

inline void vector_widen(simd_level l, const float* in, double* out, std::size_t n) {
#if PRECSIM_X86
  if (l == simd_level::avx512) return avx512_widen(in, out, n);
  if (l == simd_level::avx2) return avx2_widen(in, out, n);
#endif
  (void)l;
  portable_widen(in, out, n);
}

#if PRECSIM_X86
// IEEE binary16 codes to floats by the hardware conversion (kernel_params::decode_half).
__attribute__((target("avx2,f16c"))) inline void half_widen_avx2(const std::uint16_t* in, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
  for (; i < n; ++i) out[i] = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(in[i])));
}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverflow"  // (GCC 12 at -O0: the intrinsics' 0xFFFF masks as char)
#pragma GCC diagnostic ignored "-Wconversion"
__attribute__((target("avx512f"))) inline void half_widen_avx512(const std::uint16_t* in, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(out + i, _mm512_maskz_cvtph_ps(0xFFFF, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i))));
  half_widen_avx2(in + i, out + i, n - i);
}
#pragma GCC diagnostic pop
// 16-bit codes of kernel_params::decode_shift's formats (bfloat16) at AVX2: GCC widens the
// generic vectors with 4 instructions where one vpmovzxwd does.
__attribute__((target("avx2"))) inline void shift_widen_avx2(const kernel_params& p, const std::uint16_t* in, float* out,
                                                             std::size_t n) {
  const __m128i shift = _mm_cvtsi32_si128(int(p.decode_shift));
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i c = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)));
    const __m256i v = _mm256_sll_epi32(c, shift);
    const __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(v, _mm256_set1_epi32(0x7FFFFFFF)), _mm256_set1_epi32(0x7F800000));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), _mm256_or_si256(v, _mm256_and_si256(nan, _mm256_set1_epi32(0x00400000))));
  }
  if (i < n) avx2_decode(p, in + i, out + i, n - i);
}
#endif

template <class In>
void vector_decode(simd_level l, const kernel_params& p, const In* in, float* out, std::size_t n) {
  (void)l;
#if PRECSIM_TEST_LANES16
  if (l == simd_level::portable && shared::wide16_for_tests) return wide16_decode(p, in, out, n);
#endif
#if PRECSIM_X86
  if constexpr (std::is_same_v<In, std::uint16_t>) {
    if (p.decode_half && (l == simd_level::avx512 || l == simd_level::avx2) && cpu().f16c)
      return l == simd_level::avx512 ? half_widen_avx512(in, out, n) : half_widen_avx2(in, out, n);
    if (p.decode_shift && l == simd_level::avx2) return shift_widen_avx2(p, in, out, n);
  }
  if (l == simd_level::avx512) return avx512_decode(p, in, out, n);
  if (l == simd_level::avx2) return avx2_decode(p, in, out, n);
#endif
  portable_decode(p, in, out, n);
}

// Codes of at most 8 bits through a table of their 256 values (float bits): out[i] =
// table[in[i] & 0xFF]. x86 levels gather 8 / 16 values per instruction (mask forms: GCC 12
// warns about the undefined pass-through of the plain ones).
template <class In>
void table_decode_portable(const std::uint32_t* table, const In* in, float* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) std::memcpy(out + i, table + (in[i] & 0xFFu), 4);
}
// The 256 byte codes in order: decoded, the table (and the checks of the routes built on it).
struct byte_codes {
  std::uint8_t c[256];
  constexpr byte_codes() : c{} {
    for (unsigned i = 0; i < 256; ++i) c[i] = std::uint8_t(i);
  }
};
inline constexpr byte_codes every_byte{};
#if PRECSIM_X86
template <class In>
__attribute__((target("avx2"))) void table_decode_avx2(const std::uint32_t* table, const In* in, float* out,
                                                       std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256i c;  // (widening with vector extensions is scalarized here by GCC 12)
    if constexpr (sizeof(In) == 1) c = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(in + i)));
    else if constexpr (sizeof(In) == 2) c = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)));
    else c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    c = _mm256_and_si256(c, _mm256_set1_epi32(0xFF));
    const __m256i v = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), reinterpret_cast<const int*>(table),
                                                   c, _mm256_set1_epi32(-1), 4);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), v);
  }
  table_decode_portable(table, in + i, out + i, n - i);
}
template <class In>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void table_decode_avx512(const std::uint32_t* table, const In* in,
                                                                             float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i c;
    if constexpr (sizeof(In) == 1) c = _mm512_maskz_cvtepu8_epi32(0xFFFF, _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)));
    else if constexpr (sizeof(In) == 2) c = _mm512_maskz_cvtepu16_epi32(0xFFFF, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i)));
    else c = _mm512_loadu_si512(in + i);
    c = _mm512_and_si512(c, _mm512_set1_epi32(0xFF));
    const __m512i v = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), 0xFFFF, c, table, 4);
    _mm512_storeu_si512(out + i, v);
  }
  table_decode_portable(table, in + i, out + i, n - i);
}

// Codes of k <= 8 bits (bits above k ignored) of a format whose negative codes are its
// positive ones with the sign bit set (plain_table), but for at most one code (such as P3109's
// NaN where -0 would be): the values of 128 magnitudes (fewer, repeated) in 8 registers,
// looked up by 4 two-register permutes (5 index bits each) and 2 blends on code bits 5 and 6
// (faster than a 16-lane gather), then bit k - 1 moved to the sign and the one other code's
// value blended in. `other`: that code, or 256 where there is none.
inline bool plain_table(const std::uint32_t* table, int k, std::uint32_t* mags, unsigned& other) noexcept {
  const unsigned half = 1u << (k - 1), mask = (1u << k) - 1;
  for (unsigned c = 0; c < 128; ++c) mags[c] = table[c & (half - 1)];
  other = 256;
  for (unsigned c = 0; c < 256; ++c) {
    if (table[c] == (mags[c & (half - 1)] | ((c >> (k - 1)) & 1) << 31)) continue;
    if (other != 256 && other != (c & mask)) return false;
    other = c & mask;
  }
  return true;
}
// (Narrow: k <= 6, at most 32 magnitudes: one permute. Other: other < 256.)
template <bool Narrow, bool Other>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void table_decode_avx512_plain(
    const std::uint32_t* table, const std::uint32_t* mags, int k, unsigned other, const std::uint8_t* in, float* out,
    std::size_t n) {
  __m512i t[8];
  for (int j = 0; j < 8; ++j) t[j] = _mm512_loadu_si512(mags + 16 * j);
  [[maybe_unused]] const __m512i bit5 = _mm512_set1_epi32(32), bit6 = _mm512_set1_epi32(64);
  const __m512i sign = _mm512_set1_epi32(int(0x80000000u)), up = _mm512_set1_epi32(32 - k);
  [[maybe_unused]] const __m512i code_mask = _mm512_set1_epi32((1 << k) - 1), other_code = _mm512_set1_epi32(int(other));
  [[maybe_unused]] const __m512i other_value = _mm512_set1_epi32(int(table[other & 0xFF]));
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512i c = _mm512_maskz_cvtepu8_epi32(0xFFFF, _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i)));
    __m512i v = _mm512_permutex2var_epi32(t[0], c, t[1]);
    if constexpr (!Narrow) {
      const __m512i v1 = _mm512_permutex2var_epi32(t[2], c, t[3]);
      const __m512i v2 = _mm512_permutex2var_epi32(t[4], c, t[5]), v3 = _mm512_permutex2var_epi32(t[6], c, t[7]);
      const __mmask16 m5 = _mm512_test_epi32_mask(c, bit5), m6 = _mm512_test_epi32_mask(c, bit6);
      v = _mm512_mask_blend_epi32(m6, _mm512_mask_blend_epi32(m5, v, v1), _mm512_mask_blend_epi32(m5, v2, v3));
    }
    v = _mm512_ternarylogic_epi32(v, _mm512_maskz_sllv_epi32(0xFFFF, c, up), sign, 0xF8);  // v | (c' & sign)
    if constexpr (Other)
      v = _mm512_mask_blend_epi32(_mm512_cmpeq_epi32_mask(_mm512_and_si512(c, code_mask), other_code), v, other_value);
    _mm512_storeu_si512(out + i, v);
  }
  table_decode_portable(table, in + i, out + i, n - i);
}

// Codes of at most 8 bits through the hardware's binary16 conversion (F16C): the code's
// exponent and fraction fields placed where a half's are (formats of <= 5 exponent and <= 10
// fraction bits), converted and scaled by 2^(15 - bias), exact in float; up to 3 codes whose
// value that does not give (NaN, inf) set to their half first. Fewer operations per code than
// the permutes or a gather. half_plan checks the result on every code against the table.
// The placement (half_place), fewest operations per 16 codes first: place_shift, where a sign
// and 5 exponent bits make the code's top bit to bit 15 all it takes; place_byte, 8-bit codes
// widened with their sign copied, one left shift and the copies cleared; place_fields, the top
// bit to bit 15, the fields down by an arithmetic shift, the copies cleared.
// Bias 16 with finite codes in exponent field 31 (P3109 binary8p3, e5m2fnuz): every value is a
// half, its fields one binade down (field - 1, scale 1: no multiply) but for fields 0 and 1,
// which are a half's subnormals, the placed fields halved: the larger of the two (down_binade).
enum half_place : int { place_fields, place_byte, place_shift };
struct half_plan {
  // exception j: codes whose placed fields w (before down_binade) equal exc_key; their half is
  // the computed one minus exc_delta (mod 2^16). A code and its negative share one where the
  // delta is the same (the first `pairs`, matched on w without bit 15): one compare for
  // e4m3fn's two NaNs.
  std::uint16_t keep = 0, exc_key[3]{}, exc_delta[3]{};
  int up = 0, down = 0, exceptions = 0, pairs = 0, place = place_fields;
  bool down_binade = false;
  float scale = 1;
};
// The larger candidate in unsigned order is the right one for either sign (v: sign | fields):
// field - 1 saturates at 0 below field 1, and the halved fields keep the sign bit.
__attribute__((target("avx2"))) inline __m256i half_down_binade(__m256i v) {
  const __m256i halved = _mm256_and_si256(_mm256_srai_epi16(v, 1), _mm256_set1_epi16(short(0xBFFF)));
  return _mm256_max_epu16(_mm256_subs_epu16(v, _mm256_set1_epi16(0x400)), halved);
}
__attribute__((target("avx512f,avx512bw"))) inline __m512i half_down_binade(__m512i v) {
  const __m512i halved = _mm512_and_si512(_mm512_srai_epi16(v, 1), _mm512_set1_epi16(short(0xBFFF)));
  return _mm512_max_epu16(_mm512_subs_epu16(v, _mm512_set1_epi16(0x400)), halved);
}
// The halves as floats, scaled unless the scale is 1.
template <bool Scale>
__attribute__((target("avx2,f16c"))) inline __m256 half_floats(__m128i halves, __m256 scale) {
  const __m256 f = _mm256_cvtph_ps(halves);
  return Scale ? _mm256_mul_ps(f, scale) : f;
}
template <bool Scale>
__attribute__((target("avx512f"))) inline __m512 half_floats(__m256i halves, __m512 scale) {
  const __m512 f = _mm512_maskz_cvtph_ps(0xFFFF, halves);
  return Scale ? _mm512_mul_ps(f, scale) : f;
}
template <int E, int P, bool DownBinade, int Place>
__attribute__((target("avx2,f16c"))) void half_decode_avx2(const half_plan& h, const std::uint8_t* in, float* out,
                                                           std::size_t n) {
  const __m256i keep = _mm256_set1_epi16(short(h.keep));
  const __m128i up = _mm_cvtsi32_si128(h.up), down = _mm_cvtsi32_si128(h.down);
  const __m256 scale = _mm256_set1_ps(h.scale);
  const __m256i unsigned_w = _mm256_set1_epi16(0x7FFF);
  __m256i key[E > 0 ? E : 1], delta[E > 0 ? E : 1];
  for (int j = 0; j < E; ++j) {
    key[j] = _mm256_set1_epi16(short(h.exc_key[j]));
    delta[j] = _mm256_set1_epi16(short(h.exc_delta[j]));
  }
  // the halves of 16 codes whose fields are placed in w, codes 0-7 to at, 8-15 to at + far
  // (exceptions by and/subtract: a blend is 3 uops on Intel's big cores)
  const auto store = [&](__m256i w, float* at, std::size_t far) __attribute__((target("avx2,f16c"))) {
    __m256i v = DownBinade ? half_down_binade(w) : w;
    for (int j = 0; j < E; ++j)
      v = _mm256_sub_epi16(v, _mm256_and_si256(delta[j], _mm256_cmpeq_epi16(j < P ? _mm256_and_si256(w, unsigned_w) : w, key[j])));
    _mm256_storeu_ps(at, half_floats<!DownBinade>(_mm256_castsi256_si128(v), scale));
    _mm256_storeu_ps(at + far, half_floats<!DownBinade>(_mm256_extracti128_si256(v, 1), scale));
  };
  std::size_t i = 0;
  // 8-bit codes with steps after the placing (P3109, e5m2fnuz): 32 at once, placed by unpacking
  // them above zero bytes (one step per 16 where widening and shifting took two; 0-7 and 16-23
  // in one register). P3109 1.13x; e5m2, without such steps, ran 0.93x so (Zen 4).
  if constexpr (Place == place_shift && (DownBinade || E > 0))
    if (h.up == 8)
      for (; i + 32 <= n; i += 32) {
        const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i)), zero = _mm256_setzero_si256();
        const __m256i lo = _mm256_unpacklo_epi8(zero, b), hi = _mm256_unpackhi_epi8(zero, b);
        store(lo, out + i, 16);
        store(hi, out + i + 8, 16);
      }
  for (; i + 16 <= n; i += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    __m256i w;
    if constexpr (Place == place_byte) {
      w = _mm256_and_si256(_mm256_sll_epi16(_mm256_cvtepi8_epi16(b), up), keep);
    } else {
      w = _mm256_sll_epi16(_mm256_cvtepu8_epi16(b), up);
      if (Place != place_shift) w = _mm256_and_si256(_mm256_sra_epi16(w, down), keep);
    }
    store(w, out + i, 8);
  }
  if (i < n) {
    std::uint8_t tin[16] = {};
    float tout[16];
    std::memcpy(tin, in + i, n - i);
    half_decode_avx2<E, P, DownBinade, Place>(h, tin, tout, 16);
    std::memcpy(out + i, tout, (n - i) * sizeof(float));
  }
}
template <int E, int P, bool DownBinade, int Place>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void half_decode_avx512(const half_plan& h, const std::uint8_t* in,
                                                                            float* out, std::size_t n) {
  const __m512i keep = _mm512_set1_epi16(short(h.keep));
  const __m128i up = _mm_cvtsi32_si128(h.up), down = _mm_cvtsi32_si128(h.down);
  const __m512 scale = _mm512_set1_ps(h.scale);
  const __m512i unsigned_w = _mm512_set1_epi16(0x7FFF);
  __m512i key[E > 0 ? E : 1], delta[E > 0 ? E : 1];
  for (int j = 0; j < E; ++j) {
    key[j] = _mm512_set1_epi16(short(h.exc_key[j]));
    delta[j] = _mm512_set1_epi16(short(h.exc_delta[j]));
  }
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    __m512i w;
    if constexpr (Place == place_byte) {
      w = _mm512_and_si512(_mm512_sll_epi16(_mm512_maskz_cvtepi8_epi16(~0u, b), up), keep);
    } else {
      w = _mm512_sll_epi16(_mm512_maskz_cvtepu8_epi16(~0u, b), up);
      if (Place != place_shift) w = _mm512_and_si512(_mm512_sra_epi16(w, down), keep);
    }
    __m512i v = DownBinade ? half_down_binade(w) : w;
    for (int j = 0; j < E; ++j)
      v = _mm512_mask_sub_epi16(v, j < P ? _mm512_testn_epi16_mask(_mm512_xor_si512(w, key[j]), unsigned_w) : _mm512_cmpeq_epi16_mask(w, key[j]), v, delta[j]);
    _mm512_storeu_ps(out + i, half_floats<!DownBinade>(_mm512_maskz_extracti64x4_epi64(0xF, v, 0), scale));
    _mm512_storeu_ps(out + i + 16, half_floats<!DownBinade>(_mm512_maskz_extracti64x4_epi64(0xF, v, 1), scale));
  }
  half_decode_avx2<E, P, DownBinade, Place>(h, in + i, out + i, n - i);
}
template <class In>
void half_decode(simd_level l, const half_plan& h, const In* in, float* out, std::size_t n) {
  static_assert(sizeof(In) == 1);
  const auto run = [&](auto e, auto pairs) {
    const auto at = [&](auto down_binade, auto place) {
      if (l == simd_level::avx512) half_decode_avx512<e(), pairs(), down_binade(), place()>(h, in, out, n);
      else half_decode_avx2<e(), pairs(), down_binade(), place()>(h, in, out, n);
    };
    const auto placed = [&](auto down_binade) {
      switch (h.place) {
        case place_shift: return at(down_binade, std::integral_constant<int, place_shift>{});
        case place_byte: return at(down_binade, std::integral_constant<int, place_byte>{});
        default: return at(down_binade, std::integral_constant<int, place_fields>{});
      }
    };
    if (h.down_binade) placed(std::true_type{});
    else placed(std::false_type{});
  };
  using std::integral_constant;
  switch (h.exceptions * 4 + h.pairs) {
    case 0: return run(integral_constant<int, 0>{}, integral_constant<int, 0>{});
    case 4: return run(integral_constant<int, 1>{}, integral_constant<int, 0>{});
    case 5: return run(integral_constant<int, 1>{}, integral_constant<int, 1>{});
    case 8: return run(integral_constant<int, 2>{}, integral_constant<int, 0>{});
    case 9: return run(integral_constant<int, 2>{}, integral_constant<int, 1>{});
    case 10: return run(integral_constant<int, 2>{}, integral_constant<int, 2>{});
    case 12: return run(integral_constant<int, 3>{}, integral_constant<int, 0>{});
    case 13: return run(integral_constant<int, 3>{}, integral_constant<int, 1>{});
    case 14: return run(integral_constant<int, 3>{}, integral_constant<int, 2>{});
    default: return run(integral_constant<int, 3>{}, integral_constant<int, 3>{});
  }
}
// (not _cvtss_sh: clang's is a compound literal, which -Wpedantic rejects in C++)
__attribute__((target("f16c"))) inline std::uint16_t half_bits(float f) {
  return std::uint16_t(_mm_cvtsi128_si32(_mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT)));
}
// The plan for a format of k storage bits (p: its kernel parameters) whose 256 values are
// table, at level l (avx2 or avx512, F16C present); false where the fields or the exceptions do
// not fit, or where any code's result differs from the table.
inline bool make_half_plan(simd_level l, const kernel_params& p, int k, const std::uint32_t* table, half_plan& h) {
  const int e = (p.sign_bit ? k - 1 : k) - p.m, bias = p.code_bias + 1;
  std::uint32_t got[256];
  const auto attempt = [&](bool down_binade) {
    h = half_plan{};
    bool pair[3]{};
    if (p.m > 10 || e > 5 || bias < -100 || bias > 100) return false;
    // the code's top bit to bit 15 (bits above the format's drop out), then the fields down to a
    // half's (sign copies cleared)
    h.up = 16 - k;
    h.down = p.sign_bit ? 5 - e : 6 - e;
    h.keep = std::uint16_t(p.sign_bit ? 0x8000u | (0x7FFFu >> h.down) : 0xFFFFu >> h.down);
    if (h.down == 0 && h.keep == 0xFFFFu) {
      h.place = place_shift;
    } else if (k == 8) {
      h.place = place_byte;
      h.up -= h.down;
    }
    h.down_binade = down_binade;
    h.scale = down_binade ? 1.0f : float(std::ldexp(1.0, 15 - bias));
    half_decode(l, h, every_byte.c, reinterpret_cast<float*>(got), 256);
    for (unsigned c = 0; c < (1u << k); ++c) {  // (codes above k bits: the same, checked below)
      if (got[c] == table[c]) continue;
      const std::uint32_t t = table[c], frac = t & 0x7FFFFFu;
      // only NaN and inf differ: a half holds them where NaNs are quiet with 10 payload bits
      if ((t & 0x7F800000u) != 0x7F800000u || (frac && (frac & 0x401FFFu) != 0x400000u)) return false;
      const float computed = bit_cast<float>(got[c]) / h.scale;  // (a half: exact)
      if (computed != computed) return false;
      const auto delta = std::uint16_t(half_bits(computed) - (((t >> 16) & 0x8000u) | 0x7C00u | (frac >> 13)));
      // the kernel's w for code c
      std::uint16_t key = std::uint16_t((h.place == place_byte ? std::uint16_t(std::int8_t(c)) : c) << h.up);
      if (h.place == place_byte) key &= h.keep;
      if (h.place == place_fields) key = std::uint16_t(std::int16_t(key) >> h.down) & h.keep;
      int j = 0;
      while (j < h.exceptions && !(!pair[j] && h.exc_delta[j] == delta && (h.exc_key[j] ^ key) == 0x8000u)) ++j;
      if (j < h.exceptions) {  // the other sign's: one entry for both
        pair[j] = true;
        h.exc_key[j] &= 0x7FFFu;
        continue;
      }
      if (h.exceptions == 3) return false;
      h.exc_key[j] = key;
      h.exc_delta[h.exceptions++] = delta;
    }
    for (int j = 0; j < h.exceptions; ++j)  // the pairs first
      if (pair[j]) {
        std::swap(pair[j], pair[h.pairs]);
        std::swap(h.exc_key[j], h.exc_key[h.pairs]);
        std::swap(h.exc_delta[j], h.exc_delta[h.pairs++]);
      }
    half_decode(l, h, every_byte.c, reinterpret_cast<float*>(got), 256);
    for (unsigned c = 0; c < 256; ++c)
      if (got[c] != table[c]) return false;
    return true;
  };
  return attempt(false) || (bias == 16 && attempt(true));
}
// Codes of 8 bits through two byte tables (AVX-512 VBMI) where every value is a bfloat16 (its
// float's low 16 bits zero: every 8-bit format whose values are floats, NaNs included): each of
// the bfloat16's two bytes by two two-register byte permutes (128 codes each) and a blend on
// code bit 7, 64 codes per step, then the bytes interleaved into floats. The unpacks work
// within 128-bit lanes, so the codes are permuted first to leave the floats in order. Fewer
// operations per code than the binary16 route and for every 8-bit format.
struct byte_plan {
  alignas(64) std::uint8_t hi[256];
  alignas(64) std::uint8_t lo[256];
};
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) inline void byte_decode_avx512(const byte_plan& b,
                                                                                     const std::uint8_t* in,
                                                                                     float* out, std::size_t n) {
  __m512i hi_t[4], lo_t[4];
  for (int j = 0; j < 4; ++j) {
    hi_t[j] = _mm512_load_si512(b.hi + 64 * j);
    lo_t[j] = _mm512_load_si512(b.lo + 64 * j);
  }
  // byte 16 L + 4 g + s (lane L of the unpacks) holds code 16 g + 4 L + s (float s of lane L of
  // the g-th store)
  alignas(64) std::uint8_t order[64];
  for (int j = 0; j < 64; ++j) order[j] = std::uint8_t(((j >> 2) & 3) * 16 + (j >> 4) * 4 + (j & 3));
  const __m512i ord = _mm512_load_si512(order), zero = _mm512_setzero_si512();
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i c = _mm512_maskz_permutexvar_epi8(~__mmask64{0}, ord, _mm512_loadu_si512(in + i));
    const __mmask64 top = _mm512_movepi8_mask(c);
    const __m512i hi = _mm512_mask_blend_epi8(top, _mm512_permutex2var_epi8(hi_t[0], c, hi_t[1]),
                                              _mm512_permutex2var_epi8(hi_t[2], c, hi_t[3]));
    const __m512i lo = _mm512_mask_blend_epi8(top, _mm512_permutex2var_epi8(lo_t[0], c, lo_t[1]),
                                              _mm512_permutex2var_epi8(lo_t[2], c, lo_t[3]));
    const __m512i w0 = _mm512_unpacklo_epi8(lo, hi), w1 = _mm512_unpackhi_epi8(lo, hi);
    _mm512_storeu_si512(out + i, _mm512_unpacklo_epi16(zero, w0));
    _mm512_storeu_si512(out + i + 16, _mm512_unpackhi_epi16(zero, w0));
    _mm512_storeu_si512(out + i + 32, _mm512_unpacklo_epi16(zero, w1));
    _mm512_storeu_si512(out + i + 48, _mm512_unpackhi_epi16(zero, w1));
  }
  if (i < n) {
    std::uint8_t tin[64] = {};
    float tout[64];
    std::memcpy(tin, in + i, n - i);
    byte_decode_avx512(b, tin, tout, 64);
    std::memcpy(out + i, tout, (n - i) * sizeof(float));
  }
}
// The byte tables of a 256-value table; false where a value is not a bfloat16 or the route's
// result differs from the table on any code.
inline bool make_byte_plan(const std::uint32_t* table, byte_plan& b) {
  for (unsigned c = 0; c < 256; ++c) {
    if (table[c] & 0xFFFFu) return false;
    b.hi[c] = std::uint8_t(table[c] >> 24);
    b.lo[c] = std::uint8_t(table[c] >> 16);
  }
  std::uint32_t got[256];
  byte_decode_avx512(b, every_byte.c, reinterpret_cast<float*>(got), 256);
  return std::memcmp(got, table, sizeof got) == 0;
}
#endif

// A prepared decode of codes of at most 8 bits (long spans): their 256 values (float bits, by
// the level's own kernel) and the fastest way to them at that level, chosen once per call.
struct table_decoder {
  simd_level level = simd_level::scalar;
  int k = 8;  // the format's storage bits
  std::uint32_t table[256];
#if PRECSIM_X86
  // byte_decode_avx512; half_decode; table_decode_avx512_plain
  bool by_bytes = false, by_half = false, plain = false;
  byte_plan bytes;
  half_plan half;
  unsigned other = 256;
  std::uint32_t mags[128];
#endif
};
inline void prepare_table_decoder(simd_level l, const kernel_params& p, int k, table_decoder& d) {
  d.level = l;
  d.k = k;
  vector_decode(l, p, every_byte.c, reinterpret_cast<float*>(d.table), 256);
#if PRECSIM_X86
  // (the first route that takes the format; the plans after it are not made)
  if (l == simd_level::avx512 && cpu().avx512vbmi) d.by_bytes = make_byte_plan(d.table, d.bytes);
  if (!d.by_bytes && (l == simd_level::avx2 || l == simd_level::avx512) && cpu().f16c)
    d.by_half = make_half_plan(l, p, k, d.table, d.half);
  if (l == simd_level::avx512 && !d.by_bytes && !d.by_half) d.plain = plain_table(d.table, k, d.mags, d.other);
#endif
}

template <class In>
void vector_table_decode(const table_decoder& d, const In* in, float* out, std::size_t n) {
  [[maybe_unused]] const simd_level l = d.level;
  [[maybe_unused]] const int k = d.k;
  [[maybe_unused]] const std::uint32_t* table = d.table;
#if PRECSIM_X86
  if constexpr (sizeof(In) == 1) {
    if (d.by_bytes) return byte_decode_avx512(d.bytes, in, out, n);
    if (d.by_half) return half_decode(l, d.half, in, out, n);
    const unsigned other = d.other;
    if (d.plain) {
      if (other < 256)
        return k <= 6 ? table_decode_avx512_plain<true, true>(table, d.mags, k, other, in, out, n)
                      : table_decode_avx512_plain<false, true>(table, d.mags, k, other, in, out, n);
      return k <= 6 ? table_decode_avx512_plain<true, false>(table, d.mags, k, other, in, out, n)
                    : table_decode_avx512_plain<false, false>(table, d.mags, k, other, in, out, n);
    }
  }
  if (l == simd_level::avx512) return table_decode_avx512(table, in, out, n);
  if (l == simd_level::avx2) return table_decode_avx2(table, in, out, n);
#endif
  table_decode_portable(table, in, out, n);
}

#pragma GCC diagnostic pop
#endif  // PRECSIM_VECTOR_KERNELS

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
