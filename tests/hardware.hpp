// Thin wrappers over hardware conversion instructions, compiled per function with
// [[gnu::target]] so the test binary runs on any x86-64 CPU (callers check has_*() first).
#pragma once

#include <cstdint>
#include <cstring>

#include <precsim/cpu.hpp>

#if PRECSIM_X86
#define PRECSIM_TEST_X86 1
#include <immintrin.h>

namespace hw {

inline bool has_f16c() { return precsim::cpu().f16c; }
inline bool has_avx512bf16() { return precsim::cpu().avx512bf16; }
inline bool has_avx512fp16() { return PRECSIM_AVX512FP16 && precsim::cpu().avx512fp16; }

// direction: 0 nearest-even, 1 down, 2 up, 3 toward zero (the vcvtps2ph immediate).
[[gnu::target("f16c")]] inline std::uint16_t f16c(float x, int direction) {
  const __m128 v = _mm_set_ss(x);
  __m128i h;
  switch (direction) {
    case 0: h = _mm_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT); break;
    case 1: h = _mm_cvtps_ph(v, _MM_FROUND_TO_NEG_INF); break;
    case 2: h = _mm_cvtps_ph(v, _MM_FROUND_TO_POS_INF); break;
    default: h = _mm_cvtps_ph(v, _MM_FROUND_TO_ZERO); break;
  }
  return static_cast<std::uint16_t>(_mm_extract_epi16(h, 0));
}

[[gnu::target("avx512f,avx512bf16")]] inline std::uint16_t avx512bf16(float x) {
  const __m256bh b = _mm512_cvtneps_pbh(_mm512_set1_ps(x));
  std::uint16_t out[16];
  std::memcpy(out, &b, sizeof out);
  return out[0];
}

#if PRECSIM_AVX512FP16
// Double -> binary16 in one rounding (vcvtsd2sh); direction as f16c's. MXCSR's DAZ would read
// subnormal doubles as 0: cleared around the conversion.
[[gnu::target("avx512f,avx512vl,avx512fp16")]] inline std::uint16_t avx512fp16(double x, int direction) {
  const unsigned csr = __builtin_ia32_stmxcsr();
  __builtin_ia32_ldmxcsr(csr & ~0x8040u);
  const __m128h z = _mm_setzero_ph();
  const __m128d v = _mm_set_sd(x);
  __m128h h;
  switch (direction) {
    case 0: h = _mm_cvt_roundsd_sh(z, v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); break;
    case 1: h = _mm_cvt_roundsd_sh(z, v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC); break;
    case 2: h = _mm_cvt_roundsd_sh(z, v, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC); break;
    default: h = _mm_cvt_roundsd_sh(z, v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC); break;
  }
  __builtin_ia32_ldmxcsr(csr);
  return static_cast<std::uint16_t>(_mm_extract_epi16(_mm_castph_si128(h), 0));
}
#endif

}  // namespace hw
#else
#define PRECSIM_TEST_X86 0
namespace hw {
inline bool has_f16c() { return false; }
inline bool has_avx512bf16() { return false; }
inline bool has_avx512fp16() { return false; }
}  // namespace hw
#endif
