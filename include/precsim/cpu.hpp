// Run-time CPU feature detection (x86: CPUID + XGETBV, so that OS support for the vector state
// is checked too). Host only. On other architectures every flag is false.
#pragma once

#include "config.hpp"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#define PRECSIM_X86 1
#else
#define PRECSIM_X86 0
#endif
// Whether the compiler has AVX512-FP16's intrinsics in every unit (GCC 12 on; Clang 16 on, whose
// immintrin.h no longer needs -mavx512fp16 for them; not under nvcc).
#if PRECSIM_X86 && !defined(__CUDACC__) &&                                                      \
    ((defined(__clang__) && (__clang_major__ >= 16 || defined(__AVX512FP16__))) || \
     (!defined(__clang__) && __GNUC__ >= 12))
#define PRECSIM_AVX512FP16 1
#else
#define PRECSIM_AVX512FP16 0
#endif

namespace precsim {

struct cpu_features {
  bool avx2 = false;
  bool f16c = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512bf16 = false;
  bool avx512fp16 = false;
  bool avx512vbmi = false;  // byte permutes across two registers (vpermi2b)
  bool intel = false;       // GenuineIntel (tuning: AVX2's streaming stores, bulk.hpp)
};

PRECSIM_BEGIN_CONFIG
namespace detail {
inline cpu_features detect_cpu() noexcept {
  cpu_features c;
#if PRECSIM_X86
  unsigned a = 0, b = 0, cx = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &cx, &d)) return c;
  const bool osxsave = (cx >> 27) & 1;
  if (!osxsave) return c;
  unsigned xcr0_lo = 0, xcr0_hi = 0;
  __asm__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const unsigned long long xcr0 = (static_cast<unsigned long long>(xcr0_hi) << 32) | xcr0_lo;
  const bool ymm = (xcr0 & 0x6) == 0x6;            // SSE + AVX state enabled by the OS
  const bool zmm = ymm && (xcr0 & 0xE0) == 0xE0;   // opmask + upper ZMM state
  const bool avx = ymm && ((cx >> 28) & 1);
  c.f16c = avx && ((cx >> 29) & 1);
  c.fma = avx && ((cx >> 12) & 1);
  __cpuid(0, a, b, cx, d);
  c.intel = b == 0x756E6547 && d == 0x49656E69 && cx == 0x6C65746E;  // "Genu" "ineI" "ntel"
  const unsigned max_leaf = a;
  if (max_leaf < 7) return c;
  __cpuid_count(7, 0, a, b, cx, d);
  c.avx2 = avx && ((b >> 5) & 1);
  c.avx512f = zmm && ((b >> 16) & 1);
  c.avx512bw = c.avx512f && ((b >> 30) & 1);
  c.avx512vl = c.avx512f && ((b >> 31) & 1);
  c.avx512fp16 = c.avx512f && ((d >> 23) & 1);
  c.avx512vbmi = c.avx512f && ((cx >> 1) & 1);
  const unsigned subleaves = a;
  if (subleaves >= 1) {
    __cpuid_count(7, 1, a, b, cx, d);
    c.avx512bf16 = c.avx512f && ((a >> 5) & 1);
  }
#endif
  return c;
}
}  // namespace detail

// The features of the running CPU, detected once.
inline const cpu_features& cpu() noexcept {
  static const cpu_features features = detail::detect_cpu();
  return features;
}

PRECSIM_END_CONFIG
}  // namespace precsim
