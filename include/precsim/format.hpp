// float_format: the one descriptor of a floating-point encoding (formats.md), its validation, the
// properties derived from it, and the named formats (IEEE 754, OCP FP8/MX, ml_dtypes spellings,
// the IEEE P3109 family). A float_format is a structural literal type: it can be a template
// argument (`template <float_format F>`) and an ordinary run-time value alike.
#pragma once

#include <cstdint>
#include <stdexcept>

#include "config.hpp"
#include "rounding.hpp"

namespace precsim {

// What the codes with exponent field 0 mean.
enum class subnormal_mode : std::uint8_t {
  gradual,  // IEEE: zero and subnormals 2^(1-bias) * 0.m
  flush,    // only +-0; magnitudes below 2^(1-bias) round to 0 or to the smallest normal.
            // The codes 0.m with m != 0 are not produced and decode as +-0.
  no_zero,  // field 0 is an ordinary binade 2^(-bias) * 1.m: no zero at all (float8_e8m0fnu)
};

// Where NaN (and infinity, if any) live in the code space.
enum class special_values : std::uint8_t {
  ieee,               // exponent field all ones: infinity (m = 0) and NaNs (m != 0)
  nan_max,            // the all-ones magnitude is NaN (OCP FN, float8_e8m0fnu, P3109 unsigned)
  nan_negative_zero,  // the would-be -0 code is the only NaN (FNUZ, P3109 signed)
  none,               // every code is a finite number (OCP MX FP4/FP6)
};

// What rounding with saturation::none gives on overflow.
enum class overflow_value : std::uint8_t { infinity, nan, max_finite };

struct float_format {
  int exponent_bits = 8;
  int mantissa_bits = 23;  // trailing significand bits; precision = mantissa_bits + 1
  int bias = 127;
  bool is_signed = true;
  subnormal_mode subnormals = subnormal_mode::gradual;
  special_values specials = special_values::ieee;
  // For nan_max / nan_negative_zero: +-inf take the largest magnitude not taken by NaN.
  bool infinity = true;
  overflow_value overflow = overflow_value::infinity;

  friend constexpr bool operator==(const float_format&, const float_format&) = default;
};

PRECSIM_BEGIN_CONFIG

// ---- derived properties -----------------------------------------------------------------------

PRECSIM_HD constexpr int storage_bits(const float_format& f) noexcept {
  return f.exponent_bits + f.mantissa_bits + (f.is_signed ? 1 : 0);
}
PRECSIM_HD constexpr int precision(const float_format& f) noexcept { return f.mantissa_bits + 1; }
PRECSIM_HD constexpr bool has_inf(const float_format& f) noexcept {
  return f.specials != special_values::none && f.infinity;
}
PRECSIM_HD constexpr bool has_nan(const float_format& f) noexcept {
  return f.specials != special_values::none;
}
PRECSIM_HD constexpr bool has_zero(const float_format& f) noexcept {
  return f.subnormals != subnormal_mode::no_zero;
}
PRECSIM_HD constexpr bool has_negative_zero(const float_format& f) noexcept {
  return f.is_signed && has_zero(f) && f.specials != special_values::nan_negative_zero;
}
PRECSIM_HD constexpr bool has_subnormals(const float_format& f) noexcept {
  return f.subnormals == subnormal_mode::gradual && f.mantissa_bits > 0;
}

// Exponent of the lowest normal binade (min normal = 2^min_exponent).
PRECSIM_HD constexpr int min_exponent(const float_format& f) noexcept {
  return f.subnormals == subnormal_mode::no_zero ? -f.bias : 1 - f.bias;
}

// Largest magnitude code (code without its sign bit) that encodes a finite number.
PRECSIM_HD PRECSIM_INLINE constexpr std::uint64_t max_finite_code(const float_format& f) noexcept {
  const std::uint64_t top = detail::low_mask(f.exponent_bits + f.mantissa_bits);
  switch (f.specials) {
    case special_values::ieee: return top - detail::low_mask(f.mantissa_bits) - 1;
    case special_values::nan_max: return top - 1 - (f.infinity ? 1 : 0);
    case special_values::nan_negative_zero: return top - (f.infinity ? 1 : 0);
    case special_values::none: break;
  }
  return top;
}

// Exponent of the binade holding the largest finite value.
PRECSIM_HD constexpr int max_exponent(const float_format& f) noexcept {
  const int field = static_cast<int>(max_finite_code(f) >> f.mantissa_bits);
  return field == 0 && has_zero(f) ? min_exponent(f) - 1 : field - f.bias;
}

// Exponent of the smallest positive value.
PRECSIM_HD constexpr int min_positive_exponent(const float_format& f) noexcept {
  return has_subnormals(f) ? min_exponent(f) - f.mantissa_bits : min_exponent(f);
}

namespace detail {
// 2^e as a double, for -1074 <= e <= 1023, built from bits so that it stays constexpr.
PRECSIM_HD constexpr double pow2(int e) noexcept {
  if (e >= -1022)
    return bit_cast<double>(static_cast<std::uint64_t>(e + 1023) << 52);
  return bit_cast<double>(std::uint64_t{1} << (e + 1074));
}
}  // namespace detail

PRECSIM_HD constexpr double max_finite(const float_format& f) noexcept {
  const int m = f.mantissa_bits;
  const std::uint64_t code = max_finite_code(f);
  const bool normal = (code >> m) != 0 || !has_zero(f);
  const double frac = static_cast<double>(code & detail::low_mask(m)) * detail::pow2(-m);
  return (normal ? 1.0 + frac : frac) * detail::pow2(normal ? max_exponent(f) : min_exponent(f));
}
PRECSIM_HD constexpr double min_normal(const float_format& f) noexcept {
  return detail::pow2(min_exponent(f));
}
// Smallest positive value: the smallest subnormal, or min_normal where there are none.
PRECSIM_HD constexpr double min_subnormal(const float_format& f) noexcept {
  return detail::pow2(min_positive_exponent(f));
}
// Distance from 1 to the next larger value of the format (2^-mantissa_bits).
PRECSIM_HD constexpr double epsilon(const float_format& f) noexcept {
  return detail::pow2(-f.mantissa_bits);
}

// Counts over the 2^storage_bits codes.
PRECSIM_HD constexpr std::uint64_t code_count(const float_format& f) noexcept {
  return detail::low_mask(storage_bits(f)) + 1;  // wraps to 0 for 64-bit formats
}
PRECSIM_HD constexpr std::uint64_t nan_code_count(const float_format& f) noexcept {
  const std::uint64_t signs = f.is_signed ? 2 : 1;
  switch (f.specials) {
    case special_values::ieee: return signs * detail::low_mask(f.mantissa_bits);
    case special_values::nan_max: return signs;
    case special_values::nan_negative_zero: return 1;
    case special_values::none: break;
  }
  return 0;
}
// Distinct finite real values (+0 and -0 count once; flushed non-canonical codes not at all).
PRECSIM_HD constexpr std::uint64_t finite_value_count(const float_format& f) noexcept {
  std::uint64_t positive = max_finite_code(f) + (has_zero(f) ? 0 : 1);  // codes 1..max, or 0..max
  if (f.subnormals == subnormal_mode::flush) positive -= detail::low_mask(f.mantissa_bits);
  return (f.is_signed ? 2 * positive : positive) + (has_zero(f) ? 1 : 0);
}

// ---- validation -------------------------------------------------------------------------------

// Every reason a descriptor can be invalid, in the order they are checked (the message names the
// field). X(id, message).
#define PRECSIM_FORMAT_ERRORS(X)                                                                   \
  X(subnormals, "float_format.subnormals is not a subnormal_mode (gradual, flush, no_zero)")         \
  X(specials, "float_format.specials is not a special_values (ieee, nan_max, nan_negative_zero, none)") \
  X(overflow, "float_format.overflow is not an overflow_value (infinity, nan, max_finite)")          \
  X(exponent_bits, "float_format.exponent_bits must be in 1..11 (every value must be a double)")     \
  X(mantissa_bits, "float_format.mantissa_bits must be in 0..52 (every value must be a double)")     \
  X(bias, "float_format.bias must be in -4096..4096")                                                \
  X(ieee_exponent_bits, "float_format.exponent_bits must be >= 2 for ieee specials")                 \
  X(ieee_mantissa_bits, "float_format.mantissa_bits must be >= 1 for ieee specials (NaN)")           \
  X(ieee_infinity, "float_format.infinity must be true for ieee specials")                           \
  X(infinity_without_specials, "float_format.infinity needs specials other than none")               \
  X(nan_negative_zero, "float_format.specials nan_negative_zero needs a signed format with a zero")  \
  X(overflow_infinity, "float_format.overflow must be infinity exactly when the format has infinities") \
  X(overflow_nan, "float_format.overflow nan needs a NaN encoding")                                  \
  X(no_finite_value, "float_format.exponent_bits/mantissa_bits leave no positive finite value")      \
  X(below_double, "float_format.bias puts values below the double range (spacing under 2^-1074)")    \
  X(above_double, "float_format.bias puts the largest value above the double range")
#define PRECSIM_ROUNDING_ERRORS(X)                                                                 \
  X(mode, "rounding.mode is not a round_mode (nearest_even ... stochastic)")                         \
  X(saturate, "rounding.saturate is not a saturation (none, finite, propagate)")                     \
  X(variant, "rounding.variant is not an sr_variant (a, b, c)")                                      \
  X(random_bits, "rounding.random_bits must be in 0..64")

namespace detail {
#define PRECSIM_ERROR_ID(id, message) id,
enum class format_error : std::uint8_t { none, PRECSIM_FORMAT_ERRORS(PRECSIM_ERROR_ID) };
enum class rounding_error : std::uint8_t { none, PRECSIM_ROUNDING_ERRORS(PRECSIM_ERROR_ID) };
#undef PRECSIM_ERROR_ID

constexpr format_error format_error_of(const float_format& f) noexcept {
  using e = format_error;
  // Enumerators first: a value read from a config file or a binding may be anything.
  if (static_cast<unsigned>(f.subnormals) > static_cast<unsigned>(subnormal_mode::no_zero)) return e::subnormals;
  if (static_cast<unsigned>(f.specials) > static_cast<unsigned>(special_values::none)) return e::specials;
  if (static_cast<unsigned>(f.overflow) > static_cast<unsigned>(overflow_value::max_finite)) return e::overflow;
  if (f.exponent_bits < 1 || f.exponent_bits > 11) return e::exponent_bits;
  if (f.mantissa_bits < 0 || f.mantissa_bits > 52) return e::mantissa_bits;
  if (f.bias < -4096 || f.bias > 4096) return e::bias;
  if (f.specials == special_values::ieee) {
    if (f.exponent_bits < 2) return e::ieee_exponent_bits;
    if (f.mantissa_bits < 1) return e::ieee_mantissa_bits;
    if (!f.infinity) return e::ieee_infinity;
  }
  if (f.specials == special_values::none && f.infinity) return e::infinity_without_specials;
  if (f.specials == special_values::nan_negative_zero && (!f.is_signed || !has_zero(f))) return e::nan_negative_zero;
  if (has_inf(f) != (f.overflow == overflow_value::infinity)) return e::overflow_infinity;
  if (f.overflow == overflow_value::nan && !has_nan(f)) return e::overflow_nan;
  const std::uint64_t top = low_mask(f.exponent_bits + f.mantissa_bits);
  // (In flush formats every code of exponent field 0 is a zero.)
  const std::uint64_t max_code = max_finite_code(f);
  const std::uint64_t lowest_positive = f.subnormals == subnormal_mode::flush ? max_code >> f.mantissa_bits : max_code;
  if (max_code > top || (has_zero(f) && lowest_positive == 0)) return e::no_finite_value;
  // The finest spacing (lowest binade, subnormal or not) must be a double's: 2^-1074 or more.
  if (min_exponent(f) - f.mantissa_bits < -1074) return e::below_double;
  if (max_exponent(f) > 1023) return e::above_double;
  return e::none;
}

constexpr rounding_error rounding_error_of(const rounding& r) noexcept {
  using e = rounding_error;
  if (static_cast<unsigned>(r.mode) > static_cast<unsigned>(round_mode::stochastic)) return e::mode;
  if (static_cast<unsigned>(r.saturate) > static_cast<unsigned>(saturation::propagate)) return e::saturate;
  if (static_cast<unsigned>(r.variant) > static_cast<unsigned>(sr_variant::c)) return e::variant;
  if (r.random_bits < 0 || r.random_bits > 64) return e::random_bits;
  return e::none;
}
}  // namespace detail

// Why a descriptor is invalid (the message names the field), or nullptr when it is valid.
constexpr const char* invalid_reason(const float_format& f) noexcept {
#define PRECSIM_ERROR_CASE(id, message) case detail::format_error::id: return message;
  switch (detail::format_error_of(f)) {
    PRECSIM_FORMAT_ERRORS(PRECSIM_ERROR_CASE)
    case detail::format_error::none: break;
  }
#undef PRECSIM_ERROR_CASE
  return nullptr;
}

// Throws std::invalid_argument naming the bad field. In a constant expression the throw makes
// compilation fail at the offending line; for a template argument prefer format_check below.
constexpr void validate(const float_format& f) {
  if (const char* why = invalid_reason(f)) throw std::invalid_argument(why);
}

// Why rounding options are invalid (the message names the field), or nullptr when they are valid.
constexpr const char* invalid_reason(const rounding& r) noexcept {
#define PRECSIM_ERROR_CASE(id, message) case detail::rounding_error::id: return message;
  switch (detail::rounding_error_of(r)) {
    PRECSIM_ROUNDING_ERRORS(PRECSIM_ERROR_CASE)
    case detail::rounding_error::none: break;
  }
#undef PRECSIM_ERROR_CASE
  return nullptr;
}
constexpr void validate(const rounding& r) {
  if (const char* why = invalid_reason(r)) throw std::invalid_argument(why);
}

// Compile-time checks whose failure message is the reason itself ("static assertion failed:
// float_format.mantissa_bits must be in 0..52 ..."): static_assert(format_check<F>::valid).
template <float_format F>
struct format_check {
#define PRECSIM_ERROR_ASSERT(id, message) static_assert(detail::format_error_of(F) != detail::format_error::id, message);
  PRECSIM_FORMAT_ERRORS(PRECSIM_ERROR_ASSERT)
#undef PRECSIM_ERROR_ASSERT
  static constexpr bool valid = true;
};
template <rounding R>
struct rounding_check {
#define PRECSIM_ERROR_ASSERT(id, message) static_assert(detail::rounding_error_of(R) != detail::rounding_error::id, message);
  PRECSIM_ROUNDING_ERRORS(PRECSIM_ERROR_ASSERT)
#undef PRECSIM_ERROR_ASSERT
  static constexpr bool valid = true;
};
#undef PRECSIM_FORMAT_ERRORS
#undef PRECSIM_ROUNDING_ERRORS

// ---- named formats ----------------------------------------------------------------------------

namespace formats {

// IEEE-style format with E exponent bits, M mantissa bits, bias 2^(E-1)-1, infinities and NaNs.
constexpr float_format ieee_like(int exponent_bits, int mantissa_bits) {
  float_format f{exponent_bits, mantissa_bits, exponent_bits >= 1 && exponent_bits <= 31
                                                   ? (1 << (exponent_bits - 1)) - 1 : 0};
  validate(f);
  return f;
}

PRECSIM_CONSTANT float_format float64{11, 52, 1023};
PRECSIM_CONSTANT float_format float32{8, 23, 127};
PRECSIM_CONSTANT float_format tf32{8, 10, 127};
PRECSIM_CONSTANT float_format float16{5, 10, 15};
PRECSIM_CONSTANT float_format bfloat16{8, 7, 127};
PRECSIM_CONSTANT float_format float8_e5m2{5, 2, 15};
PRECSIM_CONSTANT float_format float8_e3m4{3, 4, 3};
// OCP-style formats without infinity: NaN at `nan` (all-ones magnitude or the -0 code), and
// overflow without saturation gives NaN.
constexpr float_format no_inf(int exponent_bits, int mantissa_bits, int bias, special_values nan) {
  return {exponent_bits, mantissa_bits, bias, true, subnormal_mode::gradual, nan, false,
          overflow_value::nan};
}
// Formats where every code is a finite number (OCP MX FP6/FP4): overflow gives max finite.
constexpr float_format all_finite(int exponent_bits, int mantissa_bits, int bias) {
  return {exponent_bits, mantissa_bits, bias, true, subnormal_mode::gradual, special_values::none,
          false, overflow_value::max_finite};
}

PRECSIM_CONSTANT float_format float8_e4m3fn = no_inf(4, 3, 7, special_values::nan_max);
PRECSIM_CONSTANT float_format float8_e4m3fnuz = no_inf(4, 3, 8, special_values::nan_negative_zero);
PRECSIM_CONSTANT float_format float8_e5m2fnuz = no_inf(5, 2, 16, special_values::nan_negative_zero);
PRECSIM_CONSTANT float_format float8_e4m3b11fnuz = no_inf(4, 3, 11, special_values::nan_negative_zero);
PRECSIM_CONSTANT float_format float6_e3m2fn = all_finite(3, 2, 3);
PRECSIM_CONSTANT float_format float6_e2m3fn = all_finite(2, 3, 1);
PRECSIM_CONSTANT float_format float4_e2m1fn = all_finite(2, 1, 1);
PRECSIM_CONSTANT float_format float8_e8m0fnu{8, 0, 127, false, subnormal_mode::no_zero,
                                             special_values::nan_max, false, overflow_value::nan};

// IEEE P3109 BinaryKpP{s|u}{e|f}: K bits, precision P, signed or unsigned, extended (+-inf) or
// finite. Finite formats saturate to max finite on overflow even without saturation.
constexpr float_format p3109(int K, int P, bool is_signed, bool extended) {
  if (K < 3 || K > 16) throw std::invalid_argument("p3109: K must be in 3..16");
  if (P < 1 || P > (is_signed ? K - 1 : K))
    throw std::invalid_argument("p3109: P must be in 1..K-1 (signed) or 1..K (unsigned)");
  const int e = is_signed ? K - P : K - P + 1;
  float_format f{e, P - 1, 1 << (e - 1), is_signed, subnormal_mode::gradual,
                 is_signed ? special_values::nan_negative_zero : special_values::nan_max,
                 extended, extended ? overflow_value::infinity : overflow_value::max_finite};
  validate(f);
  return f;
}

}  // namespace formats
PRECSIM_END_CONFIG
}  // namespace precsim
