// intx<Bits, Signed, Rounding>: a 2..32-bit integer whose conversion from floating point rounds
// with any precsim rounding mode (default nearest even, the usual choice for INT4/INT8
// quantization; stochastic too) and saturates, as quantized inference kernels do. Integer
// arithmetic saturates as well; nothing wraps and nothing is undefined.
#pragma once

#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "core/round.hpp"
#include "floatx.hpp"
#include "policy.hpp"

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

// The integers as a float_format: with the quantum of the subnormal binades at 2^0 (min
// exponent 32, 32 mantissa bits), rounding to it is rounding to an integer in every mode, up to
// 2^32 in magnitude; anything beyond is clamped by intx anyway. No NaN: NaN encodes as 0.
inline constexpr float_format integer_grid{2, 32, -31, true, subnormal_mode::gradual,
                                           special_values::none, false, overflow_value::max_finite};

template <int Bits, class I8, class I16, class I32>
using pick_width = std::conditional_t<Bits <= 8, I8, std::conditional_t<Bits <= 16, I16, I32>>;
template <int Bits, bool Signed>
using int_storage =
    std::conditional_t<Signed, pick_width<Bits, std::int8_t, std::int16_t, std::int32_t>,
                       pick_width<Bits, std::uint8_t, std::uint16_t, std::uint32_t>>;

}  // namespace detail
PRECSIM_END_CONFIG

template <int Bits, bool Signed = true, rounding R = rounding{}>
class intx {
  static_assert(Bits >= 2 && Bits <= 32, "intx: Bits must be in 2..32");
  static_assert(rounding_check<R>::valid);

 public:
  using value_type = detail::int_storage<Bits, Signed>;
  static constexpr rounding default_rounding = R;
  static constexpr std::int64_t min_value = Signed ? -(std::int64_t{1} << (Bits - 1)) : 0;
  static constexpr std::int64_t max_value =
      Signed ? (std::int64_t{1} << (Bits - 1)) - 1 : (std::int64_t{1} << Bits) - 1;

  intx() = default;
  // From integers: saturated to [min_value, max_value].
  template <std::integral T>
    requires(!std::is_same_v<T, bool>)
  PRECSIM_CONFIG_FN constexpr intx(T v) noexcept : v_(clamp(v)) {}
  // From float/double: rounded to an integer with the active rounding, then saturated; NaN is 0.
  template <std::floating_point T>
    requires(!std::is_same_v<T, long double>)
  PRECSIM_CONFIG_FN constexpr intx(T v) noexcept : v_(round_from(v)) {}
  template <float_format F, rounding S>
  PRECSIM_CONFIG_FN constexpr explicit intx(floatx<F, S> v) noexcept : v_(round_from(static_cast<double>(v))) {}

  PRECSIM_CONFIG_FN constexpr value_type value() const noexcept { return v_; }
  template <class T>
    requires std::is_arithmetic_v<T>
  PRECSIM_CONFIG_FN explicit constexpr operator T() const noexcept { return static_cast<T>(v_); }

  PRECSIM_CONFIG_FN constexpr intx operator+() const noexcept { return *this; }
  PRECSIM_CONFIG_FN constexpr intx operator-() const noexcept { return from(-std::int64_t{v_}); }
  PRECSIM_CONFIG_FN friend constexpr intx operator+(intx a, intx b) noexcept { return from(std::int64_t{a.v_} + b.v_); }
  PRECSIM_CONFIG_FN friend constexpr intx operator-(intx a, intx b) noexcept { return from(std::int64_t{a.v_} - b.v_); }
  PRECSIM_CONFIG_FN friend constexpr intx operator*(intx a, intx b) noexcept {
    if constexpr (Signed || Bits < 32) return from(std::int64_t{a.v_} * b.v_);  // |product| < 2^62
    else return from(std::uint64_t{a.v_} * b.v_);                                // < 2^64
  }
  // Truncating like C++ (min / -1 saturates); a zero divisor throws std::domain_error.
  PRECSIM_CONFIG_FN friend constexpr intx operator/(intx a, intx b) {
    if (b.v_ == 0) throw std::domain_error("intx: division by zero");
    return from(std::int64_t{a.v_} / b.v_);
  }
  PRECSIM_CONFIG_FN friend constexpr intx operator%(intx a, intx b) {
    if (b.v_ == 0) throw std::domain_error("intx: division by zero");
    return from(std::int64_t{a.v_} % b.v_);
  }
  PRECSIM_CONFIG_FN constexpr intx& operator+=(intx b) noexcept { return *this = *this + b; }
  PRECSIM_CONFIG_FN constexpr intx& operator-=(intx b) noexcept { return *this = *this - b; }
  PRECSIM_CONFIG_FN constexpr intx& operator*=(intx b) noexcept { return *this = *this * b; }
  PRECSIM_CONFIG_FN constexpr intx& operator/=(intx b) { return *this = *this / b; }
  PRECSIM_CONFIG_FN constexpr intx& operator%=(intx b) { return *this = *this % b; }

  PRECSIM_CONFIG_FN friend constexpr bool operator==(intx a, intx b) noexcept { return a.v_ == b.v_; }
  PRECSIM_CONFIG_FN friend constexpr std::strong_ordering operator<=>(intx a, intx b) noexcept { return a.v_ <=> b.v_; }

 private:
  template <class T>  // any integer type, char types and (GNU modes) __int128 included
  PRECSIM_CONFIG_FN static constexpr value_type clamp(T v) noexcept {
    if constexpr (std::is_signed_v<T>) {
      using W = std::conditional_t<(sizeof(T) > 8), T, long long>;
      const W x = v;
      return static_cast<value_type>(x < W(min_value) ? W(min_value) : x > W(max_value) ? W(max_value) : x);
    } else {
      using W = std::conditional_t<(sizeof(T) > 8), T, unsigned long long>;
      const W x = v, max = static_cast<W>(max_value);
      return static_cast<value_type>(x > max ? max : x);
    }
  }
  template <class T>
  PRECSIM_CONFIG_FN static constexpr intx from(T v) noexcept {
    intx x;
    x.v_ = clamp(v);
    return x;
  }
  template <class T>  // float or double, read from its bits (the caller's DAZ mode changes nothing)
  PRECSIM_CONFIG_FN static constexpr value_type round_from(T v) noexcept {
    const detail::active_policy p = detail::take_policy(R);
    const double rounded = decode(encode(v, detail::integer_grid, p.r, p.random), detail::integer_grid);
    return clamp(static_cast<std::int64_t>(rounded));  // |rounded| < 2^36: exact
  }

  value_type v_;
};

PRECSIM_BEGIN_CONFIG
template <int Bits, bool Signed, rounding R>
std::string to_string(intx<Bits, Signed, R> x) {
  return std::to_string(static_cast<long long>(x.value()));
}
template <int Bits, bool Signed, rounding R>
std::ostream& operator<<(std::ostream& os, intx<Bits, Signed, R> x) {
  return os << static_cast<long long>(x.value());
}

PRECSIM_END_CONFIG
}  // namespace precsim

template <int Bits, bool Signed, precsim::rounding R>
struct std::hash<precsim::intx<Bits, Signed, R>> {
  std::size_t operator()(const precsim::intx<Bits, Signed, R>& x) const noexcept {
    return std::hash<long long>{}(x.value());
  }
};

template <int Bits, bool Signed, precsim::rounding R>
class std::numeric_limits<precsim::intx<Bits, Signed, R>> {
  using T = precsim::intx<Bits, Signed, R>;

 public:
  static constexpr bool is_specialized = true;
  static constexpr bool is_signed = Signed;
  static constexpr bool is_integer = true;
  static constexpr bool is_exact = true;
  static constexpr bool has_infinity = false;
  static constexpr bool has_quiet_NaN = false;
  static constexpr bool has_signaling_NaN = false;
  static constexpr std::float_denorm_style has_denorm = std::denorm_absent;
  static constexpr bool has_denorm_loss = false;
  static constexpr std::float_round_style round_style = std::round_toward_zero;
  static constexpr bool is_iec559 = false;
  static constexpr bool is_bounded = true;
  static constexpr bool is_modulo = false;  // saturates
  static constexpr int digits = Signed ? Bits - 1 : Bits;
  static constexpr int digits10 = precsim::detail::floor_log10_2(digits);
  static constexpr int max_digits10 = 0;
  static constexpr int radix = 2;
  static constexpr int min_exponent = 0;
  static constexpr int min_exponent10 = 0;
  static constexpr int max_exponent = 0;
  static constexpr int max_exponent10 = 0;
  static constexpr bool traps = false;
  static constexpr bool tinyness_before = false;
  static constexpr T min() noexcept { return T(T::min_value); }
  static constexpr T lowest() noexcept { return T(T::min_value); }
  static constexpr T max() noexcept { return T(T::max_value); }
  static constexpr T epsilon() noexcept { return T(0); }
  static constexpr T round_error() noexcept { return T(0); }
  static constexpr T infinity() noexcept { return T(0); }
  static constexpr T quiet_NaN() noexcept { return T(0); }
  static constexpr T signaling_NaN() noexcept { return T(0); }
  static constexpr T denorm_min() noexcept { return T(0); }
};
