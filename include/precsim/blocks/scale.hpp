// The arithmetic of one tile's scale (docs/blocks.md), written once for the CPU block passes
// (blocks/quantize.hpp) and the CUDA kernels (cuda/blocks.cuh): from the tile's range to its
// scale, the effective scale with a tensor scale, and asymmetric zero points. Every quotient is
// fl32(a / b), whatever the compiler's float flags on the device.
#pragma once

#include <cstdint>

#include "../core/round.hpp"
#include "format.hpp"

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

// The per-call constants a tile's scale depends on.
struct tile_rule {
  block_format f;
  bool asymmetric = false;  // asymmetric tiles also need min and max
  float elem_range = 0;     // elem_max, or 2^bits - 1 for asymmetric
  float scale_min = 0, scale_max = 0;
  int pow2_min_e = 0, pow2_max_e = 0, emax = 0;
};

inline tile_rule make_tile_rule(const block_format& f) noexcept {
  tile_rule t;
  t.f = f;
  t.asymmetric = f.kind == element_kind::integer && f.integer.range == int_range::asymmetric;
  t.elem_range = float(element_max(f));
  t.emax = element_emax(f);
  t.scale_min = float(min_subnormal(f.scale));
  t.scale_max = float(max_finite(f.scale));
  t.pow2_min_e = min_positive_exponent(f.scale);
  t.pow2_max_e = max_exponent(f.scale);
  return t;
}

PRECSIM_HD inline float float_of_bits(std::uint32_t u) noexcept { return bit_cast<float>(u); }
PRECSIM_HD inline std::uint32_t bits_of_float(float x) noexcept { return bit_cast<std::uint32_t>(x); }
// 2^e as a float, -149 <= e <= 127 (exact).
PRECSIM_HD inline float pow2f(int e) noexcept { return float(pow2(e)); }

// fl32(a / b) and fl32(a * b). The host passes run in the bulk FP scope (round to nearest, no
// FTZ/DAZ); on the device the PTX instructions without .ftz, whatever -use_fast_math / -ftz say.
PRECSIM_HD inline float div_rn(float a, float b) noexcept {
#if PRECSIM_DEVICE_PASS
  float q;
  asm("div.rn.f32 %0, %1, %2;" : "=f"(q) : "f"(a), "f"(b));
  return q;
#else
  return a / b;
#endif
}
PRECSIM_HD inline float mul_rn(float a, float b) noexcept {
#if PRECSIM_DEVICE_PASS
  float p;
  asm("mul.rn.f32 %0, %1, %2;" : "=f"(p) : "f"(a), "f"(b));
  return p;
#else
  return a * b;
#endif
}

// floor(log2 x) for a positive finite float, and x's significand bits normalized to 23 bits.
struct float_log2 {
  int e;
  std::uint32_t frac;
};
PRECSIM_HD inline float_log2 log2_parts(float x) noexcept {
  const std::uint32_t u = bits_of_float(x);
  if (u >> 23) return {int(u >> 23) - 127, u & 0x7FFFFFu};
  const int top = 63 - countl_zero(u);  // subnormal: u = 2^top + rest, value 2^(top - 149)
  return {top - 149, (u << (23 - top)) & 0x7FFFFFu};
}

// What a tile's scale is computed from, given the bits of its range: NaN for a tile holding a
// NaN or an infinity, 0 for an all-zero tile, else range (floor_pow2) or range / elem_max,
// divided by the tensor scale t.
PRECSIM_HD inline float amax_ratio(const tile_rule& p, std::uint32_t amax, float t) noexcept {
  float x = float_of_bits(amax);
  x = p.f.rule != scale_rule::floor_pow2 ? div_rn(x, p.elem_range) : x;
  x = p.f.tensor_scale ? div_rn(x, t) : x;
  return amax >= 0x7F800000u ? float_of_bits(0x7FC00000u) : x;
}

// The bits a tile's scale is computed from: amax (the bits of max |v|, NaN above 0x7F800000), or
// for asymmetric tiles max - min (a NaN or an infinity in the tile keeps amax's mark).
PRECSIM_HD inline std::uint32_t range_bits(const tile_rule& p, std::uint32_t amax, float lo, float hi) noexcept {
  if (!p.asymmetric || amax >= 0x7F800000u) return amax;
  const float d = hi - lo;  // exact or rounded once; both lo <= 0 <= hi
  return bits_of_float(d < 3.4028235e38f ? d : 3.4028235e38f);
}

PRECSIM_CONSTANT rounding scale_rounding{round_mode::nearest_even, saturation::finite};

// A tile's scale (decoded, before the tensor scale) from its ratio x: NaN stays NaN, zero gives
// the smallest positive scale, a power-of-two rule gives a power of two clamped to the scale
// encoding's range, exact rounds to nearest in the scale encoding (saturating).
PRECSIM_HD inline float scale_from_ratio(const tile_rule& p, float x) noexcept {
  // (tests on bits: under -ffinite-math-only, NaN == 0 may hold)
  const bool zero = bits_of_float(x) << 1 == 0;
  if (p.f.rule == scale_rule::exact) {
    const float s = quantize(x, p.f.scale, scale_rounding);
    return bits_of_float(s) << 1 == 0 ? p.scale_min : s;
  }
  if (zero) return p.scale_min;
  if (is_nan(x)) return x;
  const float_log2 l = log2_parts(x);
  int e = l.e;
  switch (p.f.rule) {
    case scale_rule::floor_pow2: e -= p.emax; break;
    case scale_rule::ceil_pow2: e += l.frac != 0; break;
    // ties (significand 1.5) to the even E8M0 code e + 127, i.e. to the odd exponent
    default: e += l.frac > 0x400000u || (l.frac == 0x400000u && !(l.e & 1)); break;
  }
  return pow2f(e < p.pow2_min_e ? p.pow2_min_e : e > p.pow2_max_e ? p.pow2_max_e : e);
}

// The tensor scale t = amax / (max(scale) * elem_max): 1 for an all-zero tensor, NaN when it
// holds a NaN or an infinity, at least 2^-149.
PRECSIM_HD inline float tensor_scale_of(const tile_rule& p, std::uint32_t amax_bits) noexcept {
  if (amax_bits >= 0x7F800000u) return float_of_bits(0x7FC00000u);
  if (amax_bits == 0) return 1.0f;
  const float t = div_rn(float_of_bits(amax_bits), float(double(p.scale_max) * double(p.elem_range)));
  return t > 0.0f ? t : pow2f(-149);
}

// Effective scale of a tile: s * t, at least 2^-149 (a zero would divide by zero).
PRECSIM_HD inline float effective_scale(const tile_rule& p, float s, float t) noexcept {
  if (!p.f.tensor_scale) return s;
  const float e = mul_rn(s, t);
  return is_nan(e) || e > 0.0f ? e : pow2f(-149);
}

// Asymmetric zero point: round(-lo / e) to nearest even, clamped to [0, elem_range] (NaN: 0).
PRECSIM_HD inline std::uint16_t zero_point(const tile_rule& p, float lo, float e) noexcept {
  const float x = div_rn(-lo, e);
  if (!(x > 0.0f)) return 0;
  if (x >= p.elem_range) return std::uint16_t(p.elem_range);
  const std::uint32_t u = bits_of_float(x);  // 0 < x < 2^16: a normal float
  const int shift = 150 - int(u >> 23);       // fraction bits below the units place
  if (shift > 24) return 0;                   // x < 0.5
  const std::uint32_t m = (u & 0x7FFFFFu) | 0x800000u;
  if (shift <= 0) return std::uint16_t(m << -shift);
  std::uint32_t q = m >> shift;
  const std::uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
  q += rem > half || (rem == half && (q & 1));
  return std::uint16_t(q);
}

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
