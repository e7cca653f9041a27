// The rounding core: encode (float/double -> code), decode (code -> double) and quantize
// (round, keep the input type). Every other path of precsim (bulk kernels, value types, CUDA)
// calls into these functions. Implements formats.md: P3109 RoundToPrecision (§4.7.4) for all
// modes incl. stochastic A/B/C, then Saturate (§4.7.5) and the per-family overflow rules.
//
// Constexpr, allocation- and exception-free, host/device. Formats are assumed valid
// (precsim::validate); rounding.random_bits outside 0..64 is clamped. PRECSIM_DEBUG checks both.
#pragma once

#include <cstdint>
#if defined(PRECSIM_DEBUG)
#include <cstdio>
#include <stdexcept>
#include <string>
#endif

#include "../config.hpp"
#include "../format.hpp"
#include "../rounding.hpp"
#include "decompose.hpp"

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

// Formats whose roundings of a double can be done in its bit pattern (arith.hpp, the bulk
// double kernels): signed, gradual underflow, 1..22 fraction bits, exponents within double's
// normal range.
PRECSIM_HD PRECSIM_INLINE constexpr bool nearest_in_bits(const float_format& f) noexcept {
  return f.is_signed && f.subnormals == subnormal_mode::gradual && f.mantissa_bits >= 1 &&
         f.mantissa_bits <= 22 && f.exponent_bits <= 10 && f.bias >= 0 && f.bias <= 1000;
}

// The sign bit of a code, set for negative values of signed formats.
PRECSIM_HD constexpr std::uint64_t sign_code(const float_format& f, bool neg) noexcept {
  return f.is_signed && neg ? std::uint64_t{1} << (storage_bits(f) - 1) : 0;
}

// Code of a NaN. IEEE targets keep the sign and the leading payload bits and set the quiet bit,
// like hardware conversions; nan_max keeps the sign (0x7F / 0xFF for e4m3fn); FNUZ/P3109 signed
// have the single code 100..0. Formats without NaN get code 0 (+0, or the smallest value).
PRECSIM_HD constexpr std::uint64_t nan_code(const float_format& f, bool neg,
                                            std::uint64_t payload) noexcept {
  const int m = f.mantissa_bits;
  const std::uint64_t sign = sign_code(f, neg);
  switch (f.specials) {
    case special_values::ieee: {
      const std::uint64_t quiet = std::uint64_t{1} << (m - 1);
      const std::uint64_t low = m > 1 ? payload >> (64 - (m - 1)) : 0;
      return sign | (low_mask(f.exponent_bits) << m) | quiet | low;
    }
    case special_values::nan_max: return sign | low_mask(f.exponent_bits + m);
    case special_values::nan_negative_zero: return sign_code(f, true);
    case special_values::none: break;
  }
  return 0;
}

PRECSIM_HD constexpr std::uint64_t inf_code(const float_format& f, bool neg) noexcept {
  const std::uint64_t sign = sign_code(f, neg);
  const std::uint64_t top = low_mask(f.exponent_bits + f.mantissa_bits);
  switch (f.specials) {
    case special_values::ieee: return sign | (low_mask(f.exponent_bits) << f.mantissa_bits);
    case special_values::nan_max: return sign | (top - 1);
    default: return sign | top;
  }
}

// The code of a zero of the given sign, as encode(+-0.0) gives it (no double involved: under
// -fno-signed-zeros a compiler may merge -0.0 into 0.0).
PRECSIM_HD constexpr std::uint64_t zero_code(const float_format& f, bool neg) noexcept {
  return has_negative_zero(f) || !has_zero(f) ? sign_code(f, neg) : 0;
}

// The code for a result beyond max finite (or an infinite input) under saturation::none.
PRECSIM_HD constexpr std::uint64_t overflow_code(const float_format& f, bool neg) noexcept {
  switch (f.overflow) {
    case overflow_value::infinity: return inf_code(f, neg);
    case overflow_value::nan: return nan_code(f, neg, 0);
    case overflow_value::max_finite: break;
  }
  return sign_code(f, neg) | max_finite_code(f);
}

// The code of a finite value that rounds beyond max finite (P3109 v4.0 §4.7.5 ωSaturate, the
// SatNone rows for X > M_hi and X < M_lo of a signed format). Saturating modes clamp; rounding
// toward zero never overflows (IEEE 754 §7.4). to_odd gives whichever of max finite and infinity
// has the odd code: P3109 signed extended formats +-inf (v4.0 lines 43, 46), P3109 unsigned
// extended formats M_hi (line 40), IEEE formats +-max finite (their max code is odd), formats
// without infinity +-max finite.
PRECSIM_HD constexpr std::uint64_t overflow_result(const float_format& f, const rounding& r,
                                                   bool neg) noexcept {
  const bool toward_zero = r.mode == round_mode::toward_zero ||
                           (r.mode == round_mode::toward_negative && !neg) ||
                           (r.mode == round_mode::toward_positive && neg);
  const bool odd_max = (max_finite_code(f) & 1) != 0 || !has_inf(f);
  if (toward_zero || r.saturate != saturation::none || (r.mode == round_mode::to_odd && odd_max))
    return sign_code(f, neg) | max_finite_code(f);
  return overflow_code(f, neg);
}

// The code of a negative finite input to an unsigned format under saturation::none, given its
// rounded magnitude (P3109 v4.0 §4.7.5: X < M_lo = 0 is 0 when rounding toward zero or +inf,
// line 42; an X that rounded to 0 is in range, line 21; any other negative X is NaN, line 44).
// The same rule for every unsigned format; where the format has no zero, M_lo is its smallest
// value (code 0) and no X rounds to 0.
PRECSIM_HD constexpr std::uint64_t unsigned_negative_result(const float_format& f, const rounding& r,
                                                            std::uint64_t mag,
                                                            bool overflow) noexcept {
  if (r.mode == round_mode::toward_zero || r.mode == round_mode::toward_positive) return 0;
  if (!overflow && mag == 0 && has_zero(f)) return 0;
  return nan_code(f, false, 0);
}

// Stochastic decision from the discarded fraction's first n bits k, the bit r below them and
// s (any bit below r): k is reduced to n bits by the variant's rule, and the result rounds away
// iff k + R >= 2^n (R: the low n bits of `random`).
PRECSIM_HD PRECSIM_INLINE constexpr bool stochastic_decide(std::uint64_t k, bool r, bool s, int n,
                                                           sr_variant variant,
                                                           std::uint64_t random) noexcept {
  const bool inc = r && (variant == sr_variant::b || (variant == sr_variant::c && (s || k & 1)));
  if (inc && k == low_mask(n)) return true;  // k reaches 2^n: always away
  k += inc;
  if (k == 0) return false;
  const std::uint64_t rnd = random & low_mask(n);
  return rnd >= low_mask(n) - k + 1;  // 0 < k < 2^n, so 2^n - k fits
}

// The same with the discarded bits in rem, `shift` of them (all of sig when shift >= 64):
//
//   rem:  | k (n bits) | r | s s s s |   r = first bit below k, s = sticky (any bit below r)
template <class Sig>
PRECSIM_HD constexpr bool stochastic_away(const Sig& rem, int shift, int n, sr_variant variant,
                                          std::uint64_t random) noexcept {
  const int below = shift - n;  // bits of v below the n random-bit positions
  if (below <= 0) return stochastic_decide(low64(rem) << -below, false, false, n, variant, random);
  return stochastic_decide(low64(shr(rem, below)), test_bit(rem, below - 1),
                           nonzero(low_bits(rem, below - 1)), n, variant, random);
}

// Rounds the finite nonzero input d to f: returns the magnitude code, or sets `overflow`.
//
// Steps (P3109 RoundToPrecision):
//  1. quantum exponent q = max(exp, emin) - M  (flush: q = emin below emin, so S is 0 or 1)
//  2. S = floor(|x| / 2^q), the discarded bits decide RoundAway per mode
//  3. S += RoundAway; S may carry into the next binade (S = 2^(M+1))
//  4. assemble field|mantissa; anything above max_finite_code is an overflow
template <class Sig>
PRECSIM_HD PRECSIM_INLINE constexpr std::uint64_t round_magnitude(const basic_decomposed<Sig>& d,
                                                                  const float_format& f,
                                                                  const rounding& r,
                                                                  std::uint64_t random,
                                                                  bool& overflow) noexcept {
  const int m = f.mantissa_bits;
  const int emin = min_exponent(f);
  overflow = false;
  if (d.exp < emin && f.subnormals == subnormal_mode::no_zero) return 0;  // nothing below: min
  const bool flushing = d.exp < emin && f.subnormals == subnormal_mode::flush;
  int q = (d.exp < emin ? emin : d.exp) - (flushing ? 0 : m);
  const int shift = q - (d.exp - sig_top<Sig>);  // >= 0 because m <= 52
  std::uint64_t s = low64(shr(d.sig, shift));      // < 2^(m+1)
  const Sig rem = low_bits(d.sig, shift);
  const bool inexact = nonzero(rem);
  const bool round_bit = shift >= 1 && test_bit(d.sig, shift - 1);
  const bool sticky = shift >= 2 && nonzero(low_bits(d.sig, shift - 1));
  // "The code is odd": the last bit of the truncated result's code. With M = 0 a normal value's
  // code is its biased exponent, so its parity decides.
  const bool odd = (m == 0 && s != 0) ? ((q + f.bias) & 1) != 0 : (s & 1) != 0;

  bool away = false;
  switch (r.mode) {
    case round_mode::nearest_even: away = round_bit && (sticky || odd); break;
    case round_mode::nearest_away: away = round_bit; break;
    case round_mode::toward_zero: break;
    case round_mode::toward_positive: away = inexact && !d.neg; break;
    case round_mode::toward_negative: away = inexact && d.neg; break;
    case round_mode::to_odd: away = inexact && !odd; break;
    case round_mode::stochastic: {
      int n = r.random_bits > 64 ? 64 : r.random_bits;
      if (n <= 0) {
        const int discarded = q - d.ulp_exp;
        n = discarded < 0 ? 0 : discarded > 64 ? 64 : discarded;
      }
      away = inexact && stochastic_away(rem, shift, n, r.variant, random);
      break;
    }
  }
  s += away;
  if (s == 0) return 0;
  if (flushing) { s <<= m; q -= m; }          // 1 * 2^emin is the smallest normal
  if (s >> (m + 1)) { s >>= 1; ++q; }          // carried into the next binade
  if ((s >> m) == 0) return s;                 // subnormal: field 0, q == emin - m
  const int field = q + m + f.bias;
  if (field > int(low_mask(f.exponent_bits))) { overflow = true; return 0; }
  const std::uint64_t mag = (std::uint64_t(field) << m) | (s & low_mask(m));
  overflow = mag > max_finite_code(f);
  return mag;
}

// PRECSIM_DEBUG: the core checks its arguments and stops with the reason (an exception that
// reaches std::terminate, whose handler prints it; in device code a message and a trap) instead
// of returning an unspecified code for an invalid format or rounding. Off by default: the span,
// block and CUDA calls validate once per call, the value types at compile time.
#if defined(PRECSIM_DEBUG)
#if PRECSIM_DEVICE_PASS
PRECSIM_HD inline void debug_failure(const char* why) {
  printf("precsim (PRECSIM_DEBUG): %s\n", why);
  __trap();
}
#else
[[noreturn]] inline void debug_failure(const char* why) {
  throw std::invalid_argument(std::string("precsim (PRECSIM_DEBUG): ") + why);
}
#endif
PRECSIM_HD constexpr void debug_check(const float_format& f, const rounding& r) noexcept {
  const char* why = invalid_reason(f);
  if (!why) why = invalid_reason(r);
  if (why) debug_failure(why);  // (in a constant expression: not a constant, a compile error)
}
PRECSIM_HD constexpr void debug_check(const float_format& f) noexcept {
  if (const char* why = invalid_reason(f)) debug_failure(why);
}
#else
PRECSIM_HD constexpr void debug_check(const float_format&, const rounding& = {}) noexcept {}
#endif

// Encodes a decomposed input (a float/double, or an exact arithmetic result).
template <class Sig>
PRECSIM_HD PRECSIM_INLINE constexpr std::uint64_t encode_decomposed(const basic_decomposed<Sig>& d,
                                                                    const float_format& f,
                                                                    const rounding& r,
                                                                    std::uint64_t random) noexcept {
  debug_check(f, r);
  const std::uint64_t sign = sign_code(f, d.neg);
  const std::uint64_t max_code = sign | max_finite_code(f);

  if (d.cls == input_class::nan) return nan_code(f, d.neg, d.payload);
  // Unsigned formats, negative input: the smallest value when saturating, NaN for -inf, else
  // as unsigned_negative_result says. -0 is +0.
  const bool unsigned_negative = !f.is_signed && d.neg && d.cls != input_class::zero;
  if (unsigned_negative && (r.saturate != saturation::none || d.cls == input_class::inf))
    return r.saturate == saturation::none ? nan_code(f, false, 0) : 0;
  if (d.cls == input_class::inf) {
    if (r.saturate == saturation::finite) return max_code;
    if (r.saturate == saturation::propagate) return has_inf(f) ? inf_code(f, d.neg) : max_code;
    return overflow_code(f, d.neg);
  }

  // A zero input is magnitude code 0 like any result that rounds to zero (or, without a zero,
  // to the smallest value); only formats with -0 keep the sign of a zero.
  bool overflow = false;
  const std::uint64_t mag =
      d.cls == input_class::zero ? 0 : round_magnitude(d, f, r, random, overflow);
  if (unsigned_negative) return unsigned_negative_result(f, r, mag, overflow);
  if (!overflow) return mag == 0 && !has_negative_zero(f) && has_zero(f) ? 0 : sign | mag;
  return overflow_result(f, r, d.neg);
}

// A format value (a float, or beyond float's range: then +-inf) as float, from its bits: a
// conversion instruction would flush float subnormals to zero under the caller's FTZ mode. NaN
// keeps its sign and leading payload bits and is quiet (as the hardware conversion).
PRECSIM_HD constexpr float to_float(double v) noexcept {
  const std::uint64_t b = bit_cast<std::uint64_t>(v);
  const std::uint32_t sign = std::uint32_t(b >> 32) & 0x80000000u;
  const int field = int((b >> 52) & 0x7FF);
  const std::uint64_t frac = b & low_mask(52);
  if (field == 0x7FF) return bit_cast<float>(sign | 0x7F800000u | (frac ? 0x400000u | std::uint32_t(frac >> 29) : 0u));
  const int e = field - 1023;
  if (field == 0 || e < -149) return bit_cast<float>(sign);
  if (e > 127) return bit_cast<float>(sign | 0x7F800000u);
  if (e >= -126) return bit_cast<float>(sign | std::uint32_t(e + 127) << 23 | std::uint32_t(frac >> 29));
  return bit_cast<float>(sign | std::uint32_t(((std::uint64_t{1} << 52) | frac) >> (52 - (e + 149))));
}

// A float as double, exactly, from its bits (a conversion instruction would read subnormals as
// zero under the caller's DAZ mode); NaN payloads are kept.
PRECSIM_HD constexpr double to_double(float x) noexcept {
  const std::uint32_t b = bit_cast<std::uint32_t>(x);
  const std::uint64_t sign = std::uint64_t(b >> 31) << 63, frac = b & 0x7FFFFFu;
  const int field = int((b >> 23) & 0xFF);
  if (field == 0xFF) return bit_cast<double>(sign | std::uint64_t{0x7FF} << 52 | frac << 29);
  if (field == 0) return compose_double(sign != 0, frac, -149);
  return bit_cast<double>(sign | std::uint64_t(field - 127 + 1023) << 52 | frac << 29);
}

// Classification on the bits: -ffast-math removes `x != x` and may assume no infinities,
// comparing a signaling NaN raises FE_INVALID, and DAZ reads subnormals as zero.
PRECSIM_HD constexpr bool is_nan(double x) noexcept {
  return (bit_cast<std::uint64_t>(x) & ~(std::uint64_t{1} << 63)) > std::uint64_t{0x7FF} << 52;
}
PRECSIM_HD constexpr bool is_inf(double x) noexcept {
  return (bit_cast<std::uint64_t>(x) << 1) == std::uint64_t{0x7FF} << 53;
}
PRECSIM_HD constexpr bool is_zero(double x) noexcept {
  return (bit_cast<std::uint64_t>(x) << 1) == 0;
}
PRECSIM_HD constexpr bool is_nan(float x) noexcept {
  return (bit_cast<std::uint32_t>(x) & 0x7FFFFFFFu) > 0x7F800000u;
}

}  // namespace detail

// The code of x rounded to f (in the low storage_bits(f) bits). `random` is the caller's random
// word, used by round_mode::stochastic only.
PRECSIM_HD constexpr std::uint64_t encode(float x, const float_format& f, const rounding& r = {},
                                          std::uint64_t random = 0) noexcept {
  return detail::encode_decomposed(detail::decompose(x), f, r, random);
}
PRECSIM_HD constexpr std::uint64_t encode(double x, const float_format& f, const rounding& r = {},
                                          std::uint64_t random = 0) noexcept {
  return detail::encode_decomposed(detail::decompose(x), f, r, random);
}

// The exact value of a code (bits above storage_bits(f) are ignored). NaN codes give a quiet NaN
// (IEEE formats keep sign and payload); flush formats read their unused 0.m codes as +-0.
PRECSIM_HD PRECSIM_INLINE constexpr double decode(std::uint64_t code,
                                                  const float_format& f) noexcept {
  detail::debug_check(f);
  const int k = storage_bits(f), m = f.mantissa_bits;
  code &= detail::low_mask(k);
  const bool neg = f.is_signed && (code >> (k - 1)) != 0;
  const std::uint64_t mag = code & detail::low_mask(f.is_signed ? k - 1 : k);
  const std::uint64_t top = detail::low_mask(f.exponent_bits + m);
  const std::uint64_t field = mag >> m, frac = mag & detail::low_mask(m);
  const std::uint64_t sign = neg ? std::uint64_t{1} << 63 : 0;
  constexpr std::uint64_t dinf = std::uint64_t{0x7FF} << 52, dquiet = std::uint64_t{1} << 51;

  switch (f.specials) {
    case special_values::ieee:
      if (field == detail::low_mask(f.exponent_bits))
        return detail::bit_cast<double>(sign | dinf | (frac ? dquiet | (frac << (52 - m)) : 0));
      break;
    case special_values::nan_max:
      if (mag == top) return detail::bit_cast<double>(sign | dinf | dquiet);
      if (f.infinity && mag == top - 1) return detail::bit_cast<double>(sign | dinf);
      break;
    case special_values::nan_negative_zero:
      if (neg && mag == 0) return detail::bit_cast<double>(dinf | dquiet);
      if (f.infinity && mag == top) return detail::bit_cast<double>(sign | dinf);
      break;
    case special_values::none: break;
  }
  if (field == 0 && has_zero(f)) {
    if (f.subnormals == subnormal_mode::flush) return detail::bit_cast<double>(sign);
    return detail::compose_double(neg, frac, min_exponent(f) - m);
  }
  const int e = int(field) - f.bias;
  if (m <= 52 && e >= -1022 && e <= 1023)  // a normal double: the fields placed directly
    return detail::bit_cast<double>(sign | std::uint64_t(e + 1023) << 52 | frac << (52 - m));
  return detail::compose_double(neg, frac | (std::uint64_t{1} << m), e - m);
}

// "Fake quantization": x rounded to f, returned in x's type. NaN passes through unchanged (also
// for formats without NaN, so that a diverging run stays visible); a rounded value beyond
// float's range becomes +-inf in the float overload.
PRECSIM_HD constexpr double quantize(double x, const float_format& f, const rounding& r = {},
                                     std::uint64_t random = 0) noexcept {
  if (detail::is_nan(x)) return x;
  return decode(encode(x, f, r, random), f);
}
PRECSIM_HD constexpr float quantize(float x, const float_format& f, const rounding& r = {},
                                    std::uint64_t random = 0) noexcept {
  if (detail::is_nan(x)) return x;
  return detail::to_float(decode(encode(x, f, r, random), f));
}

PRECSIM_END_CONFIG
}  // namespace precsim
