// floatx<Format, Rounding>: a value type that stores one code of any float_format and does
// every operation in that format, rounded once from the exact result (arith.hpp). Drop it into
// code templated on its scalar type and that code runs at the format's precision.
//
// Promotion rules (README "Value types"):
//  - floatx<F> op floatx<F>: floatx<F>.
//  - floatx<F> op floatx<G>: the type whose values include all of the other's (the conversion
//    to it is exact and implicit); no operator when neither does (convert explicitly). Types of
//    one format but different roundings do not mix implicitly.
//  - floatx<F> op built-in number: floatx<F>; the number is first rounded to F, as C converts an
//    int operand to float and as hardware holds a constant in the operand format.
//  - Comparisons are exact between any floatx types and built-in numbers (IEEE: NaN unordered,
//    -0 == +0); nothing is rounded.
#pragma once

#include <array>
#include <charconv>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

#include "arith.hpp"
#include "format.hpp"
#include "io.hpp"
#include "policy.hpp"

namespace precsim {

template <float_format F, rounding R = rounding{}>
class floatx;

PRECSIM_BEGIN_CONFIG
namespace detail {

template <int Bits>
using code_storage = std::conditional_t<
    Bits <= 8, std::uint8_t,
    std::conditional_t<Bits <= 16, std::uint16_t,
                       std::conditional_t<Bits <= 32, std::uint32_t, std::uint64_t>>>;

// Built-in numbers a floatx converts from: integers and float/double (long double would be
// rounded twice on its way through double, so it is left out).
template <class T>
concept builtin_number = std::is_arithmetic_v<T> && !std::is_same_v<T, long double> &&
                         !std::is_same_v<T, bool>;

// Every value of `inner` (zeros with their signs, infinities and NaN included) is a value of
// `outer`. Formats of up to 8 bits are checked value by value (degenerate ones, e.g. with one
// normal binade that is mostly specials, use fewer bits than their precision); wider ones by
// their parameters, which is exact for formats with complete binades and conservative otherwise.
constexpr bool contains(const float_format& outer, const float_format& inner) noexcept {
  if (storage_bits(inner) <= 8) {
    for (std::uint64_t c = 0; c < code_count(inner); ++c) {
      const double v = decode(c, inner), back = decode(encode(v, outer), outer);
      if (is_nan(v) ? !is_nan(back) : bit_cast<std::uint64_t>(back) != bit_cast<std::uint64_t>(v))
        return false;
    }
    return true;
  }
  if ((inner.is_signed && !outer.is_signed) || (has_inf(inner) && !has_inf(outer)) ||
      (has_nan(inner) && !has_nan(outer)) || (has_zero(inner) && !has_zero(outer)) ||
      (has_negative_zero(inner) && !has_negative_zero(outer)))
    return false;
  if (precision(outer) < precision(inner) || max_finite(outer) < max_finite(inner)) return false;
  // Values of inner below outer's normal range must sit on outer's subnormal grid: inner's
  // finest spacing, 2^(emin - m), is a multiple of outer's.
  if (min_subnormal(inner) < min_normal(outer))
    return has_subnormals(outer) && min_exponent(inner) - inner.mantissa_bits >=
                                        min_exponent(outer) - outer.mantissa_bits;
  return true;
}

// An integer, exactly, for the rounding core (its last place is 2^0).
template <class T>
constexpr wide_decomposed decompose_integer(T v) noexcept {
  const bool neg = v < 0;
  if constexpr (sizeof(T) > 8) {  // __int128 / unsigned __int128 (GNU modes)
    using U = std::make_unsigned_t<T>;
    const U mag = neg ? U(0) - static_cast<U>(v) : static_cast<U>(v);
    const auto hi = static_cast<std::uint64_t>(mag >> 64), lo = static_cast<std::uint64_t>(mag);
    if (hi == 0) return decompose_integer(lo);
    const int lz = countl_zero(hi);
    const u128 sig = lz ? u128{hi << lz | lo >> (64 - lz), lo << lz} : u128{hi, lo};
    return {input_class::finite, neg, 127 - lz, 0, sig, 0};
  } else {
    const std::uint64_t mag = neg ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
    if (mag == 0) return {input_class::zero, false, 0, 0, {}, 0};
    const int lz = countl_zero(mag);
    return {input_class::finite, neg, 63 - lz, 0, u128{mag << lz, 0}, 0};
  }
}

// The code of v (a built-in number) rounded to f.
template <class T>
constexpr std::uint64_t encode_number(T v, const float_format& f, const rounding& r,
                                      std::uint64_t random) noexcept {
  if constexpr (std::is_floating_point_v<T>) return encode(v, f, r, random);
  else return encode_decomposed(decompose_integer(v), f, r, random);
}

// C's float -> integer conversion (truncation), saturating instead of undefined: NaN gives 0,
// values beyond the type's range its min or max.
template <class T>
constexpr T saturating_integer(double v) noexcept {
  if (is_nan(v)) return 0;
  constexpr double limit = pow2(std::numeric_limits<T>::digits);  // max + 1, exactly
  if (v >= limit) return std::numeric_limits<T>::max();
  if constexpr (std::is_signed_v<T>) {
    if (v <= -limit) return std::numeric_limits<T>::min();
  } else {
    if (v <= -1) return 0;
  }
  return static_cast<T>(v);
}

// floor(x * log10(2)) for integer x (log10(2) to 12 digits: exact for |x| < 10^6).
constexpr int floor_log10_2(int x) noexcept {
  const long long p = static_cast<long long>(x) * 301029995664LL;
  const long long q = p / 1000000000000LL;
  return static_cast<int>(p < 0 && q * 1000000000000LL != p ? q - 1 : q);
}

// IEEE comparison of two doubles on their bits (NaN unordered, -0 == +0), so that neither
// -ffast-math nor the caller's DAZ mode (which reads subnormals as 0) can change it.
constexpr std::partial_ordering compare_doubles(double a, double b) noexcept {
  if (is_nan(a) || is_nan(b)) return std::partial_ordering::unordered;
  const auto key = [](double x) {  // monotone in the value; both zeros map to 0
    const std::uint64_t u = bit_cast<std::uint64_t>(x), mag = u & ~(std::uint64_t{1} << 63);
    return (u >> 63) ? -static_cast<std::int64_t>(mag) : static_cast<std::int64_t>(mag);
  };
  return key(a) <=> key(b);
}

// Exact three-way comparison of a double with a built-in number.
template <class T>
constexpr std::partial_ordering compare_exact(double a, T b) noexcept {
  if constexpr (std::is_floating_point_v<T> || std::numeric_limits<T>::digits <= 53) {
    return compare_doubles(a, static_cast<double>(b));  // exact: b is a double
  } else {  // 64- and 128-bit integers: not every one is a double
    if (is_nan(a)) return std::partial_ordering::unordered;
    constexpr double limit = pow2(std::numeric_limits<T>::digits);
    if (a >= limit) return std::partial_ordering::greater;
    if (a < (std::is_signed_v<T> ? -limit : 0.0)) return std::partial_ordering::less;
    const T whole = static_cast<T>(a);  // in range; truncates toward zero
    if (whole != b) return whole <=> b;
    return a - static_cast<double>(whole) <=> 0.0;  // the fraction (exact) decides
  }
}

// The values of a format of at most 8 bits, by code: the core's decode at compile time, so that
// a value type's operand costs one load (2 KiB at 8 bits).
template <float_format F>
inline constexpr auto value_table = [] {
  std::array<double, std::size_t{1} << storage_bits(F)> t{};
  for (std::size_t c = 0; c < t.size(); ++c) t[c] = decode(c, F);
  return t;
}();

// Signed IEEE-style formats of up to 16 bits and 52 fraction bits whose normal numbers are
// normal doubles: a normal code (field 1 .. 2^E - 2) is its fields placed in a double's and
// rebiased, one test for the field's range ahead of decode's special-value steps.
constexpr bool normal_fields_fast(const float_format& f) noexcept {
  return f.is_signed && f.specials == special_values::ieee && f.subnormals != subnormal_mode::no_zero &&
         storage_bits(f) <= 16 && f.mantissa_bits <= 52 && max_exponent(f) <= 1023 && min_exponent(f) >= -1022;
}
PRECSIM_INLINE constexpr double decode_normal_first(std::uint64_t code, const float_format& f) noexcept {
  const int m = f.mantissa_bits, k = storage_bits(f);
  const std::uint64_t mag = code & low_mask(k - 1), field = mag >> m;
  if (field - 1 < low_mask(f.exponent_bits) - 1)
    return bit_cast<double>(((code >> (k - 1)) & 1) << 63 |
                            ((mag << (52 - m)) + (std::uint64_t(1023 - f.bias) << 52)));
  return decode(code, f);
}

}  // namespace detail
PRECSIM_END_CONFIG

template <float_format F, rounding R>
class floatx {
  static_assert(format_check<F>::valid);  // (failing: the reason, naming the field)
  static_assert(rounding_check<R>::valid);

 public:
  using code_type = detail::code_storage<storage_bits(F)>;
  static constexpr float_format format = F;
  static constexpr rounding default_rounding = R;

  floatx() = default;  // like float: indeterminate; floatx{} is code 0 (+0 where there is one)

  // From a built-in number: rounded once with the active rounding.
  template <detail::builtin_number T>
  PRECSIM_CONFIG_FN constexpr floatx(T v) noexcept : code_(round_number(v)) {}
  // From another floatx: implicit when exact (F holds every value of G), else explicit.
  template <float_format G, rounding S>
  PRECSIM_CONFIG_FN constexpr explicit(!detail::contains(F, G)) floatx(const floatx<G, S>& v) noexcept
      : code_(round_number(static_cast<double>(v))) {}

  // The code in the low storage_bits(F) bits; higher bits are ignored (as decode() does).
  PRECSIM_CONFIG_FN static constexpr floatx from_bits(code_type code) noexcept {
    floatx x;
    x.code_ = static_cast<code_type>(code & detail::low_mask(storage_bits(F)));
    return x;
  }
  PRECSIM_CONFIG_FN constexpr code_type bits() const noexcept { return code_; }

  // To built-in numbers: float/double as the exact value, rounded to nearest even where it is
  // not a float (beyond float's range through the rounding core: +-inf, never the undefined
  // out-of-range cast); integers truncate like C's conversion but saturate, NaN giving 0; bool
  // is value != 0.
  template <class T>
    requires std::is_arithmetic_v<T>
  PRECSIM_CONFIG_FN explicit constexpr operator T() const noexcept {
    double v;
    if constexpr (storage_bits(F) <= 8 && !PRECSIM_DEVICE_PASS) {  // (device code: no host table)
      if (std::is_constant_evaluated()) v = decode(code_, F);
      else v = detail::value_table<F>[code_ & (detail::value_table<F>.size() - 1)];
    } else if constexpr (detail::normal_fields_fast(F)) {
      v = detail::decode_normal_first(code_, F);
    } else {
      v = decode(code_, F);
    }
    if constexpr (std::is_same_v<T, bool>) return detail::compare_doubles(v, 0.0) != 0;
    else if constexpr (std::is_same_v<T, float> && max_finite(F) > 0x1.fffffep127)
      return detail::bit_cast<float>(static_cast<std::uint32_t>(encode(v, formats::float32)));
    else if constexpr (std::is_same_v<T, float>) return detail::to_float(v);  // exact, FTZ-proof
    else if constexpr (std::is_floating_point_v<T>) return static_cast<T>(v);
    else return detail::saturating_integer<T>(v);
  }

#if defined(__FLT16_MANT_DIG__)
  // From _Float16: the same bits for float16 (signaling NaNs included), else rounded.
  PRECSIM_CONFIG_FN constexpr floatx(_Float16 v) noexcept : floatx(static_cast<float>(v)) {
    if constexpr (F == formats::float16) code_ = detail::bit_cast<std::uint16_t>(v);
  }
  // Rounded to binary16 with the active rounding.
  PRECSIM_CONFIG_FN explicit constexpr operator _Float16() const noexcept {
    return detail::bit_cast<_Float16>(static_cast<std::uint16_t>(convert_to(formats::float16)));
  }
#endif
#if defined(__BFLT16_MANT_DIG__)
  PRECSIM_CONFIG_FN constexpr floatx(__bf16 v) noexcept : floatx(static_cast<float>(v)) {
    if constexpr (F == formats::bfloat16) code_ = detail::bit_cast<std::uint16_t>(v);
  }
  PRECSIM_CONFIG_FN explicit constexpr operator __bf16() const noexcept {
    return detail::bit_cast<__bf16>(static_cast<std::uint16_t>(convert_to(formats::bfloat16)));
  }
#endif

  PRECSIM_CONFIG_FN constexpr floatx operator+() const noexcept { return *this; }
  // Negation is exact (flips the sign) except where the format has no such value: -0 in FNUZ
  // formats is +0, negative values of unsigned formats follow the rounding's NaN/saturation rule.
  PRECSIM_CONFIG_FN constexpr floatx operator-() const noexcept {
    if constexpr (F.is_signed && F.specials != special_values::nan_negative_zero)
      return from_bits(static_cast<code_type>(code_ ^ detail::sign_code(F, true)));
    else return floatx(detail::negate(static_cast<double>(*this)));
  }

  // (Lambdas, not function pointers: the rounded_* are always-inline, which an indirect call
  // cannot honour at -O1. The first: the fast path alone, for types rounded in the double's bit
  // pattern (to nearest, on values of the format: fast_add's and fast_mul's Values), always
  // inline, or GCC calls it with the format as a run-time value. The second
  // takes its arguments by reference: a rounding passed by value is loaded whole from the
  // fields take_policy just stored, a store-forwarding stall of ~4 ns per stochastic operation.)
  PRECSIM_CONFIG_FN friend constexpr floatx operator+(floatx a, floatx b) noexcept {
    return apply([](auto... x) PRECSIM_LAMBDA_INLINE { return detail::fast_add<true, true>(x...); },
                 [](const auto&... x) { return rounded_add(x...); }, a, b);
  }
  PRECSIM_CONFIG_FN friend constexpr floatx operator-(floatx a, floatx b) noexcept {
    return apply([](double x, double y, auto... r) PRECSIM_LAMBDA_INLINE { return detail::fast_add<true, true>(x, detail::negate(y), r...); },
                 [](const auto&... x) { return rounded_sub(x...); }, a, b);
  }
  PRECSIM_CONFIG_FN friend constexpr floatx operator*(floatx a, floatx b) noexcept {
    return apply([](auto... x) PRECSIM_LAMBDA_INLINE { return detail::fast_mul<true, true>(x...); },
                 [](const auto&... x) { return rounded_mul(x...); }, a, b);
  }
  PRECSIM_CONFIG_FN friend constexpr floatx operator/(floatx a, floatx b) noexcept {
    return apply([](auto... x) PRECSIM_LAMBDA_INLINE { return detail::fast_div<true>(x...); },
                 [](const auto&... x) { return rounded_div(x...); }, a, b);
  }
  PRECSIM_CONFIG_FN constexpr floatx& operator+=(floatx b) noexcept { return *this = *this + b; }
  PRECSIM_CONFIG_FN constexpr floatx& operator-=(floatx b) noexcept { return *this = *this - b; }
  PRECSIM_CONFIG_FN constexpr floatx& operator*=(floatx b) noexcept { return *this = *this * b; }
  PRECSIM_CONFIG_FN constexpr floatx& operator/=(floatx b) noexcept { return *this = *this / b; }
  PRECSIM_CONFIG_FN constexpr floatx& operator++() noexcept { return *this += floatx(1); }
  PRECSIM_CONFIG_FN constexpr floatx& operator--() noexcept { return *this -= floatx(1); }
  PRECSIM_CONFIG_FN constexpr floatx operator++(int) noexcept { floatx old = *this; ++*this; return old; }
  PRECSIM_CONFIG_FN constexpr floatx operator--(int) noexcept { floatx old = *this; --*this; return old; }

  PRECSIM_CONFIG_FN friend constexpr bool operator==(floatx a, floatx b) noexcept {
    return detail::compare_doubles(static_cast<double>(a), static_cast<double>(b)) == 0;
  }
  PRECSIM_CONFIG_FN friend constexpr std::partial_ordering operator<=>(floatx a, floatx b) noexcept {
    return detail::compare_doubles(static_cast<double>(a), static_cast<double>(b));
  }
  template <detail::builtin_number T>
  PRECSIM_CONFIG_FN friend constexpr bool operator==(floatx a, T b) noexcept {
    return detail::compare_exact(static_cast<double>(a), b) == 0;
  }
  template <detail::builtin_number T>
  PRECSIM_CONFIG_FN friend constexpr std::partial_ordering operator<=>(floatx a, T b) noexcept {
    return detail::compare_exact(static_cast<double>(a), b);
  }

  // a * b + c, rounded once.
  PRECSIM_CONFIG_FN friend constexpr floatx fma(floatx a, floatx b, floatx c) noexcept {
    return apply([](auto... x) PRECSIM_LAMBDA_INLINE { return detail::fast_fma<true>(x...); },
                 [](const auto&... x) { return rounded_fma(x...); }, a, b, c);
  }
  PRECSIM_CONFIG_FN friend constexpr floatx sqrt(floatx a) noexcept {
    return apply([](auto... x) PRECSIM_LAMBDA_INLINE { return detail::fast_sqrt<true>(x...); },
                 [](const auto&... x) { return rounded_sqrt(x...); }, a);
  }

 private:
  // Types whose results round in the double's bit pattern (arith.hpp, nearest_in_bits): outside
  // a scope their rounding stays a constant (a second call site only for them: for the others
  // it costs more inlining budget than it saves).
  static constexpr bool bits_fast = detail::nearest_in_bits(F) && R.mode == round_mode::nearest_even;
  PRECSIM_CONFIG_FN static constexpr floatx from_code(std::uint64_t code) noexcept {
    return from_bits(static_cast<code_type>(code));
  }
  template <class T>
  PRECSIM_CONFIG_FN static constexpr code_type round_number(T v) noexcept {
    const detail::active_policy p = detail::take_policy(R);
    return static_cast<code_type>(detail::encode_number(v, F, p.r, p.random));
  }
  PRECSIM_CONFIG_FN constexpr std::uint64_t convert_to(const float_format& f) const noexcept {
    const detail::active_policy p = detail::take_policy(R);
    return encode(static_cast<double>(*this), f, p.r, p.random);
  }
  // bits_fast types: the fast path inline, everything else (a scope's rounding, the exact path)
  // in a call, which keeps the operators small enough to inline where they are used.
  template <class Fast, class Op, class... X>
  PRECSIM_CONFIG_FN static constexpr floatx apply(Fast fast, Op op, X... xs) noexcept {
    if constexpr (bits_fast) {
      if (detail::policy_is_type(R)) {
        const detail::fast_result x = fast(double(xs)..., F, R, std::uint64_t{0});
        if (x.ok) return from_code(x.code);
      }
      return apply_policy(op, xs...);
    } else {
      const detail::active_policy p = detail::take_policy(R);
      return from_code(op(double(xs)..., F, p.r, p.random));
    }
  }
  template <class Op, class... X>
  PRECSIM_CONFIG_FN PRECSIM_NOINLINE static constexpr floatx apply_policy(Op op, X... xs) noexcept {
    const detail::active_policy p = detail::take_policy(R);
    return from_code(op(double(xs)..., F, p.r, p.random));
  }

  code_type code_;
};

PRECSIM_BEGIN_CONFIG

// Exact comparisons across floatx types (same-type ones are the members above).
template <float_format F, rounding R, float_format G, rounding S>
  requires(F != G || R != S)
constexpr bool operator==(const floatx<F, R>& a, const floatx<G, S>& b) noexcept {
  return detail::compare_doubles(static_cast<double>(a), static_cast<double>(b)) == 0;
}
template <float_format F, rounding R, float_format G, rounding S>
  requires(F != G || R != S)
constexpr std::partial_ordering operator<=>(const floatx<F, R>& a, const floatx<G, S>& b) noexcept {
  return detail::compare_doubles(static_cast<double>(a), static_cast<double>(b));
}

// ---- the ecosystem's names (ml_dtypes, PyTorch, LLVM); descriptors live in precsim::formats --

using float16 = floatx<formats::float16>;
using bfloat16 = floatx<formats::bfloat16>;
using float8_e5m2 = floatx<formats::float8_e5m2>;
using float8_e4m3fn = floatx<formats::float8_e4m3fn>;
using float8_e4m3fnuz = floatx<formats::float8_e4m3fnuz>;
using float8_e5m2fnuz = floatx<formats::float8_e5m2fnuz>;
using float8_e4m3b11fnuz = floatx<formats::float8_e4m3b11fnuz>;
using float8_e3m4 = floatx<formats::float8_e3m4>;
using float8_e8m0fnu = floatx<formats::float8_e8m0fnu>;
using float6_e3m2fn = floatx<formats::float6_e3m2fn>;
using float6_e2m3fn = floatx<formats::float6_e2m3fn>;
using float4_e2m1fn = floatx<formats::float4_e2m1fn>;

// ---- <cmath>-style functions (found by argument-dependent lookup) ----------------------------

template <float_format F, rounding R>
constexpr bool isnan(floatx<F, R> x) noexcept {
  return detail::is_nan(static_cast<double>(x));
}
template <float_format F, rounding R>
constexpr bool isinf(floatx<F, R> x) noexcept {
  return detail::is_inf(static_cast<double>(x));
}
template <float_format F, rounding R>
constexpr bool isfinite(floatx<F, R> x) noexcept {
  return !isnan(x) && !isinf(x);
}
template <float_format F, rounding R>
constexpr bool isnormal(floatx<F, R> x) noexcept {
  const double v = static_cast<double>(x);
  return isfinite(x) && detail::compare_doubles(v < 0 ? -v : v, min_normal(F)) >= 0;
}
template <float_format F, rounding R>
constexpr bool signbit(floatx<F, R> x) noexcept {
  return F.is_signed && (x.bits() >> (storage_bits(F) - 1)) != 0;
}
template <float_format F, rounding R>
constexpr floatx<F, R> abs(floatx<F, R> x) noexcept {
  if (!signbit(x) || isnan(x)) return x;  // FNUZ: the NaN code has the sign bit
  return floatx<F, R>::from_bits(static_cast<typename floatx<F, R>::code_type>(
      x.bits() & ~detail::sign_code(F, true)));
}
template <float_format F, rounding R>
constexpr floatx<F, R> fabs(floatx<F, R> x) noexcept {
  return abs(x);
}
// IEEE 754-2019 minimumNumber / maximumNumber: a NaN operand is ignored, -0 < +0.
template <float_format F, rounding R>
constexpr floatx<F, R> min(floatx<F, R> a, floatx<F, R> b) noexcept {
  if (isnan(a)) return b;
  if (isnan(b)) return a;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
template <float_format F, rounding R>
constexpr floatx<F, R> max(floatx<F, R> a, floatx<F, R> b) noexcept {
  if (isnan(a)) return b;
  if (isnan(b)) return a;
  if (a == b) return signbit(a) ? b : a;
  return a < b ? b : a;
}
template <float_format F, rounding R>
constexpr floatx<F, R> fmin(floatx<F, R> a, floatx<F, R> b) noexcept {
  return min(a, b);
}
template <float_format F, rounding R>
constexpr floatx<F, R> fmax(floatx<F, R> a, floatx<F, R> b) noexcept {
  return max(a, b);
}
template <float_format F, rounding R>
constexpr floatx<F, R> copysign(floatx<F, R> mag, floatx<F, R> sgn) noexcept {
  return signbit(sgn) ? -abs(mag) : abs(mag);
}

// The next value of the format after `from` in the direction of `to` (C nextafter): `to` when
// they are equal; from an infinity, the largest finite value of its sign; past the largest
// finite value, the format's overflow value (+-inf, or NaN / max finite for formats without
// infinity). Computed as the exact from +- (half the finest spacing) rounded toward `to`.
template <float_format F, rounding R>
constexpr floatx<F, R> nextafter(floatx<F, R> from, floatx<F, R> to) noexcept {
  using detail::u128;
  const double a = static_cast<double>(from), b = static_cast<double>(to);
  if (detail::is_nan(a) || detail::is_nan(b)) return detail::is_nan(a) ? from : to;
  const std::partial_ordering order = detail::compare_doubles(a, b);
  if (order == 0) return to;
  const bool up = order < 0;
  using limits = std::numeric_limits<floatx<F, R>>;
  if (isinf(from)) return up ? limits::lowest() : limits::max();
  const detail::wide_decomposed half_step = detail::make_wide(
      !up, min_exponent(F) - F.mantissa_bits - 1, u128{std::uint64_t{1} << 63, 0});
  const rounding r{up ? round_mode::toward_positive : round_mode::toward_negative};
  const detail::decomposed d = detail::decompose(a);
  const detail::wide_decomposed sum = d.cls == detail::input_class::zero
                                          ? half_step
                                          : detail::exact_add(detail::widen(d), half_step);
  return floatx<F, R>::from_bits(static_cast<typename floatx<F, R>::code_type>(
      detail::encode_decomposed(sum, F, r, 0)));
}

// ---- text ------------------------------------------------------------------------------------

namespace detail {

// The shortest decimal that reads back (as a double, then rounded to nearest even) as the same
// value, in std::to_chars' layout. Tries, for 1, 2, ... significant digits, the correctly
// rounded decimal and its neighbours one unit away in the last digit (at a binade boundary the
// shortest decimal need not be the nearest one); 17 digits always round-trip.
template <class SameValue>
std::string shortest_decimal(double v, SameValue same) {
  char buf[64];
  if (is_zero(v) || is_inf(v) || is_nan(v)) return precsim::to_string(v);
  for (int digits = 1; digits <= 17; ++digits) {
    const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific, digits - 1);
    const std::string sci(buf, res.ptr);  // [-]d.ddde[+-]xx
    const std::size_t epos = sci.find('e');
    const bool neg = sci[0] == '-';
    std::string mant = sci.substr(neg ? 1 : 0, epos - (neg ? 1 : 0));
    if (const std::size_t dot = mant.find('.'); dot != std::string::npos) mant.erase(dot, 1);
    const long long m = std::stoll(mant);
    const int e10 = std::stoi(sci.substr(epos + 1)) - (digits - 1);
    double best = 0;
    bool found = false;
    for (const long long cand : {m, m - 1, m + 1}) {
      if (cand <= 0) continue;
      std::string text = neg ? "-" : "";  // [-]digits e exponent
      text += std::to_string(cand);
      text += 'e';
      text += std::to_string(e10);
      double d = 0;
      std::from_chars(text.data(), text.data() + text.size(), d);
      if (same(d) && (!found || (d > v ? d - v : v - d) < (best > v ? best - v : v - best))) {
        best = d;
        found = true;
      }
    }
    if (found) return precsim::to_string(best);
  }
  return precsim::to_string(v);
}

}  // namespace detail

// Shortest decimal that reads back as the same value (e.g. "0.3125", "448", "-inf", "nan").
template <float_format F, rounding R>
std::string to_string(floatx<F, R> x) {
  const double v = static_cast<double>(x);
  return detail::shortest_decimal(v, [&](double d) {
    const double back = decode(encode(d, F), F);
    return back == v && std::signbit(back) == std::signbit(v);
  });
}

// "0b0|0101|010": sign | exponent field | mantissa field.
template <float_format F, rounding R>
std::string bits_string(floatx<F, R> x) {
  return bits_string(x.bits(), F);
}

// Shortest round-trip decimal by default; with std::fixed, std::scientific or std::hexfloat set,
// the exact value printed as a double with the stream's settings.
template <float_format F, rounding R>
std::ostream& operator<<(std::ostream& os, floatx<F, R> x) {
  if (os.flags() & std::ios_base::floatfield) return os << static_cast<double>(x);
  return os << to_string(x);
}
// Reads what to_string/operator<< write (decimals, "inf", "-inf", "nan"; a leading '+' too) as
// the nearest double, then rounds it to F with the active rounding; decimals that are doubles,
// such as everything operator<< writes, are read exactly. Stops at the first character that
// cannot be part of a number; on failure sets failbit and, like float, stores 0.
template <float_format F, rounding R>
std::istream& operator>>(std::istream& is, floatx<F, R>& x) {
  double d = 0;
  if (const std::istream::sentry ok(is); ok) {  // skips leading whitespace
    std::string text;
    auto number_char = [](int c) {
      constexpr std::string_view other = "+-.eEnNaAiIfFtTyY";  // signs, exponents, inf, nan
      return (c >= '0' && c <= '9') || (c != EOF && other.find(char(c)) != other.npos);
    };
    for (int c = is.peek(); number_char(c); c = is.peek()) text += static_cast<char>(is.get());
    const char* first = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
    const auto res = std::from_chars(first, text.data() + text.size(), d);
    if (text.empty() || res.ec != std::errc{} || res.ptr != text.data() + text.size()) {
      d = 0;
      is.setstate(std::ios_base::failbit);
    }
  }
  x = floatx<F, R>(d);
  return is;
}

PRECSIM_END_CONFIG
}  // namespace precsim

// ---- standard library integration ------------------------------------------------------------

template <precsim::float_format F, precsim::rounding R>
struct std::hash<precsim::floatx<F, R>> {
  // Equal values hash equally: every zero code hashes as +0 (NaN != NaN, so any hash will do).
  std::size_t operator()(const precsim::floatx<F, R>& x) const noexcept {
    return std::hash<std::uint64_t>{}(precsim::detail::is_zero(static_cast<double>(x)) ? 0 : x.bits());
  }
};

template <precsim::float_format F, precsim::rounding R>
class std::numeric_limits<precsim::floatx<F, R>> {
  using T = precsim::floatx<F, R>;
  using code = typename T::code_type;
  static constexpr T at(std::uint64_t c) noexcept { return T::from_bits(static_cast<code>(c)); }
  static constexpr T rounded(double v) noexcept { return at(precsim::encode(v, F)); }
  static constexpr bool nearest =
      R.mode == precsim::round_mode::nearest_even || R.mode == precsim::round_mode::nearest_away;

 public:
  static constexpr bool is_specialized = true;
  static constexpr bool is_signed = F.is_signed;
  static constexpr bool is_integer = false;
  static constexpr bool is_exact = false;
  static constexpr bool has_infinity = precsim::has_inf(F);
  static constexpr bool has_quiet_NaN = precsim::has_nan(F);
  static constexpr bool has_signaling_NaN =
      F.specials == precsim::special_values::ieee && F.mantissa_bits >= 2;
  static constexpr std::float_denorm_style has_denorm =
      precsim::has_subnormals(F) ? std::denorm_present : std::denorm_absent;
  static constexpr bool has_denorm_loss = false;
  static constexpr std::float_round_style round_style =
      nearest ? std::round_to_nearest
      : R.mode == precsim::round_mode::toward_zero     ? std::round_toward_zero
      : R.mode == precsim::round_mode::toward_positive ? std::round_toward_infinity
      : R.mode == precsim::round_mode::toward_negative ? std::round_toward_neg_infinity
                                                       : std::round_indeterminate;
  // Only the IEEE 754 interchange formats binary16/32/64 under IEEE default rounding.
  static constexpr bool is_iec559 =
      (F == precsim::formats::float16 || F == precsim::formats::float32 ||
       F == precsim::formats::float64) && R == precsim::rounding{};
  static constexpr bool is_bounded = true;
  static constexpr bool is_modulo = false;
  static constexpr int digits = precsim::precision(F);
  static constexpr int digits10 = precsim::detail::floor_log10_2(digits - 1);
  static constexpr int max_digits10 = 1 - precsim::detail::floor_log10_2(-digits);  // ceil + 1
  static constexpr int radix = 2;
  static constexpr int min_exponent = precsim::min_exponent(F) + 1;
  static constexpr int max_exponent = precsim::max_exponent(F) + 1;
  // Smallest n with 10^n >= min(), largest n with 10^n <= max(); counted in doubles, whose
  // powers of ten are exact up to 10^22 and off by far less than any format spacing beyond.
  static constexpr int min_exponent10 = [] {
    int n = 0;
    double p = 1;
    while (p / 10 >= precsim::min_normal(F)) { p /= 10; --n; }
    while (p < precsim::min_normal(F)) { p *= 10; ++n; }
    return n;
  }();
  static constexpr int max_exponent10 = [] {
    int n = 0;
    double p = 1;
    while (precsim::max_finite(F) / 10 >= p) { p *= 10; ++n; }  // p * 10 could overflow
    while (p > precsim::max_finite(F)) { p /= 10; --n; }
    return n;
  }();
  static constexpr bool traps = false;
  static constexpr bool tinyness_before = false;

  static constexpr T min() noexcept { return rounded(precsim::min_normal(F)); }
  static constexpr T max() noexcept { return at(precsim::max_finite_code(F)); }
  // Unsigned formats: their smallest value (0, or 2^-bias without a zero).
  static constexpr T lowest() noexcept {
    return F.is_signed ? at(precsim::detail::sign_code(F, true) | precsim::max_finite_code(F)) : at(0);
  }
  static constexpr T epsilon() noexcept { return rounded(precsim::epsilon(F)); }
  static constexpr T round_error() noexcept { return rounded(nearest ? 0.5 : 1.0); }
  static constexpr T infinity() noexcept {
    return has_infinity ? at(precsim::detail::inf_code(F, false)) : at(0);
  }
  static constexpr T quiet_NaN() noexcept {
    return has_quiet_NaN ? at(precsim::detail::nan_code(F, false, 0)) : at(0);
  }
  static constexpr T signaling_NaN() noexcept {
    if constexpr (has_signaling_NaN)  // exponent all ones, quiet bit clear, payload 1
      return at(precsim::detail::inf_code(F, false) | 1);
    else return quiet_NaN();
  }
  static constexpr T denorm_min() noexcept {
    return has_denorm == std::denorm_present ? at(1) : min();
  }
};
