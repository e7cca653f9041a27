// Portability layer: host/device annotation and the few bit utilities the rounding core needs,
// written so that nvcc can compile them for the device (no std::bit_cast / std::countl_zero,
// which nvcc flags as host-only when called from device code).
#pragma once

#include <cstdint>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define PRECSIM_HD __host__ __device__
#else
#define PRECSIM_HD
#endif

// Inlined even where the optimizer would not: value types call the core with a constant format,
// which only pays off once the format's fields fold into the code.
#if defined(__GNUC__) || defined(__clang__)
#define PRECSIM_INLINE __attribute__((always_inline)) inline
#define PRECSIM_LAMBDA_INLINE __attribute__((always_inline))
#define PRECSIM_NOINLINE __attribute__((noinline))
#else
#define PRECSIM_INLINE inline
#define PRECSIM_LAMBDA_INLINE
#define PRECSIM_NOINLINE
#endif

// Named constants (formats::bfloat16, ...) usable in host and device code. nvcc reads a
// namespace-scope constexpr object only in host code, and in whole-program mode rejects inline
// __device__ variables, so there they are constexpr __device__ with internal linkage.
#if defined(__CUDACC__) || defined(__HIPCC__)
#define PRECSIM_CONSTANT constexpr __device__
#else
#define PRECSIM_CONSTANT inline constexpr
#endif

#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
#define PRECSIM_DEVICE_PASS 1
#else
#define PRECSIM_DEVICE_PASS 0
#endif

// ---- per-configuration symbols ----------------------------------------------------------------
// Header-only code is compiled into every translation unit with that unit's flags, and the
// linker keeps one copy of each inline function. So that a TU built with -mavx512f, -O0,
// -ffast-math or nvcc can never lend its copy to another TU, every function of the library lives
// in an inline namespace named after the flags that change its machine code (ISA extensions,
// optimisation, fast-math, CUDA), and the value types' members carry the same name as an ABI
// tag. Types (float_format, rounding, floatx, ...) stay outside: they mean the same everywhere,
// so user code may pass them between TUs built differently. Process-wide settings live in
// precsim::shared and are shared by all configurations.
#if defined(__AVX512F__)
#define PRECSIM_CFG_X512 F
#else
#define PRECSIM_CFG_X512 _
#endif
#if defined(__AVX512BW__) || defined(__AVX512VL__) || defined(__AVX512DQ__)
#define PRECSIM_CFG_X512BW W
#else
#define PRECSIM_CFG_X512BW _
#endif
#if defined(__AVX512FP16__) || defined(__AVX512BF16__) || defined(__AVX512VBMI2__) || \
    defined(__AVX512VNNI__) || defined(__AVX512IFMA__) || defined(__AVX512VBMI__)
#define PRECSIM_CFG_X512X X
#else
#define PRECSIM_CFG_X512X _
#endif
#if defined(__AVX2__)
#define PRECSIM_CFG_AVX2 A
#elif defined(__AVX__)
#define PRECSIM_CFG_AVX2 a
#elif defined(__SSE4_1__)
#define PRECSIM_CFG_AVX2 s
#else
#define PRECSIM_CFG_AVX2 _
#endif
#if defined(__FMA__) || defined(__F16C__) || defined(__BMI2__)
#define PRECSIM_CFG_FMA M
#else
#define PRECSIM_CFG_FMA _
#endif
#if defined(__ARM_FEATURE_SVE)
#define PRECSIM_CFG_ARM V
#elif defined(__ARM_NEON)
#define PRECSIM_CFG_ARM N
#else
#define PRECSIM_CFG_ARM _
#endif
#if defined(__OPTIMIZE__)
#define PRECSIM_CFG_OPT O
#else
#define PRECSIM_CFG_OPT _
#endif
#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__) || \
    defined(__ASSOCIATIVE_MATH__)
#define PRECSIM_CFG_MATH f
#else
#define PRECSIM_CFG_MATH _
#endif
#if defined(__CUDACC__) || defined(__HIPCC__)
#define PRECSIM_CFG_CUDA c
#else
#define PRECSIM_CFG_CUDA _
#endif
// (the span API's inline entry points differ with compiled kernels, bulk.hpp)
#if defined(PRECSIM_SEPARATE_KERNELS)
#define PRECSIM_CFG_KERNELS k
#else
#define PRECSIM_CFG_KERNELS _
#endif
#if defined(PRECSIM_DEBUG)  // the core checks its arguments (core/round.hpp)
#define PRECSIM_CFG_DEBUG d
#else
#define PRECSIM_CFG_DEBUG _
#endif
// Tests only: the kernels also hold the 16-lane layout at the portable level (simd/dispatch.hpp).
#if !defined(PRECSIM_TEST_LANES16)
#define PRECSIM_TEST_LANES16 0
#endif
#if PRECSIM_TEST_LANES16
#define PRECSIM_CFG_LANES16 t
#else
#define PRECSIM_CFG_LANES16
#endif
#define PRECSIM_CFG_CAT2(a, b, c, d, e, f, g, h, i, j, k, l) cfg_##a##b##c##d##e##f##g##h##i##j##k##l
#define PRECSIM_CFG_CAT(...) PRECSIM_CFG_CAT2(__VA_ARGS__)
#define PRECSIM_CFG_STR2(x) #x
#define PRECSIM_CFG_STR(x) PRECSIM_CFG_STR2(x)
// e.g. cfg_FWXAM_O____ for -march=sapphirerapids -O2.
#define PRECSIM_CONFIG_NS                                                                          \
  PRECSIM_CFG_CAT(PRECSIM_CFG_X512, PRECSIM_CFG_X512BW, PRECSIM_CFG_X512X, PRECSIM_CFG_AVX2,       \
                  PRECSIM_CFG_FMA, PRECSIM_CFG_ARM, PRECSIM_CFG_OPT, PRECSIM_CFG_MATH,             \
                  PRECSIM_CFG_CUDA, PRECSIM_CFG_KERNELS, PRECSIM_CFG_DEBUG, PRECSIM_CFG_LANES16)
#define PRECSIM_BEGIN_CONFIG inline namespace PRECSIM_CONFIG_NS {
#define PRECSIM_END_CONFIG }
// On member functions of the value types (which cannot live in the namespace above).
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__CUDACC__) && !defined(__HIPCC__)
#define PRECSIM_CONFIG_FN [[gnu::abi_tag(PRECSIM_CFG_STR(PRECSIM_CONFIG_NS))]]
#else
#define PRECSIM_CONFIG_FN
#endif

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

template <class To, class From>
PRECSIM_HD constexpr To bit_cast(const From& from) noexcept {
  static_assert(sizeof(To) == sizeof(From), "bit_cast needs equal sizes");
  return __builtin_bit_cast(To, from);
}

// Number of leading zero bits of a 64-bit word; 64 for zero.
PRECSIM_HD constexpr int countl_zero(std::uint64_t x) noexcept {
  if (x == 0) return 64;
#if (defined(__GNUC__) || defined(__clang__)) && !PRECSIM_DEVICE_PASS
  return __builtin_clzll(x);
#else
  int n = 0;
  if (!(x >> 32)) { n += 32; x <<= 32; }
  if (!(x >> 48)) { n += 16; x <<= 16; }
  if (!(x >> 56)) { n += 8; x <<= 8; }
  if (!(x >> 60)) { n += 4; x <<= 4; }
  if (!(x >> 62)) { n += 2; x <<= 2; }
  if (!(x >> 63)) { n += 1; }
  return n;
#endif
}

// Mask of the low n bits, valid for 0 <= n <= 64.
PRECSIM_HD constexpr std::uint64_t low_mask(int n) noexcept {
  return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
}

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
