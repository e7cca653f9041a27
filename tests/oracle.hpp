// Exact reference model for tests, built on Boost.Multiprecision rationals and written from the
// definitions in formats.md (value formula, P3109 RoundToPrecision and Saturate), not from the
// library's bit manipulation. Handles subnormals, flushing and the no-zero binade itself.
#pragma once

#include <algorithm>
#include <boost/multiprecision/cpp_int.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>

#include <precsim/format.hpp>
#include <precsim/rounding.hpp>

namespace oracle {

using boost::multiprecision::cpp_int;
using boost::multiprecision::cpp_rational;
using precsim::float_format;

// 2^e exactly.
inline cpp_rational pow2(int e) {
  cpp_int one = 1;
  return e >= 0 ? cpp_rational(one << e) : cpp_rational(cpp_int(1), one << -e);
}

inline cpp_rational exact(double x) { return cpp_rational(x); }  // exact for finite doubles

inline cpp_int floor_int(const cpp_rational& r) {  // r >= 0
  return numerator(r) / denominator(r);
}

// A value of the extended reals plus NaN; zero keeps its sign.
struct value {
  enum kind_t { finite, inf, nan } kind = finite;
  bool neg = false;
  cpp_rational mag;  // |value| when finite

  friend bool operator==(const value& a, const value& b) {
    if (a.kind != b.kind) return false;
    if (a.kind == nan) return true;
    return a.neg == b.neg && a.mag == b.mag;
  }
  friend std::ostream& operator<<(std::ostream& os, const value& v) {
    if (v.kind == nan) return os << "NaN";
    os << (v.neg ? "-" : "+");
    if (v.kind == inf) return os << "inf";
    return os << static_cast<double>(v.mag);
  }
};

inline value from_double(double x) {
  value v;
  if (std::isnan(x)) v.kind = value::nan;
  else if (std::isinf(x)) v.kind = value::inf;
  else v.mag = exact(std::fabs(x));
  v.neg = std::signbit(x);
  return v;
}

inline int emin_of(const float_format& f) {  // exponent of the lowest normal binade
  return f.subnormals == precsim::subnormal_mode::no_zero ? -f.bias : 1 - f.bias;
}

// Decode from the definition: sign, exponent field and trailing significand taken apart with
// integer division, specials placed as formats.md describes them.
inline value decode(std::uint64_t code, const float_format& f) {
  using precsim::special_values;
  const int k = f.exponent_bits + f.mantissa_bits + (f.is_signed ? 1 : 0);
  const cpp_int two_m = cpp_int(1) << f.mantissa_bits;
  const cpp_int two_em = cpp_int(1) << (f.exponent_bits + f.mantissa_bits);
  const cpp_int c = code;
  value v;
  v.neg = f.is_signed && c >= two_em;
  const cpp_int mag = f.is_signed ? c % two_em : c;
  const cpp_int field = mag / two_m, frac = mag % two_m;
  const cpp_int field_max = (cpp_int(1) << f.exponent_bits) - 1;
  switch (f.specials) {
    case special_values::ieee:
      if (field == field_max) { v.kind = frac == 0 ? value::inf : value::nan; return v; }
      break;
    case special_values::nan_max:
      if (mag == two_em - 1) { v.kind = value::nan; return v; }
      if (f.infinity && mag == two_em - 2) { v.kind = value::inf; return v; }
      break;
    case special_values::nan_negative_zero:
      if (v.neg && mag == 0) { v.kind = value::nan; return v; }
      if (f.infinity && mag == two_em - 1) { v.kind = value::inf; return v; }
      break;
    case special_values::none: break;
  }
  (void)k;
  const cpp_rational m = cpp_rational(frac) / cpp_rational(two_m);
  if (field == 0 && f.subnormals != precsim::subnormal_mode::no_zero) {
    v.mag = f.subnormals == precsim::subnormal_mode::flush ? cpp_rational(0)
                                                           : m * pow2(1 - f.bias);
  } else {
    v.mag = (1 + m) * pow2(static_cast<int>(field) - f.bias);
  }
  return v;
}

// Largest finite value, found by walking down from the top magnitude code past the specials.
inline cpp_rational max_finite(const float_format& f) {
  const std::uint64_t top = (std::uint64_t{1} << (f.exponent_bits + f.mantissa_bits)) - 1;
  if (f.specials == precsim::special_values::ieee)  // whole top binade is special
    return (2 - pow2(-f.mantissa_bits)) * pow2((1 << f.exponent_bits) - 2 - f.bias);
  for (std::uint64_t c = top;; --c) {
    const value v = oracle::decode(c, f);
    if (v.kind == value::finite) return v.mag;
  }
}

inline cpp_rational min_positive(const float_format& f) {
  if (f.subnormals == precsim::subnormal_mode::gradual) return pow2(1 - f.bias - f.mantissa_bits);
  return pow2(emin_of(f));
}

// The exponent of the input type's ulp at x ("as many random bits as the rounding discards").
template <class T>
int input_ulp_exp(T x) {
  constexpr int digits = std::numeric_limits<T>::digits;  // 24 / 53
  constexpr int emin = std::numeric_limits<T>::min_exponent - 1;  // -126 / -1022
  const int e = std::ilogb(x);
  return (e < emin ? emin : e) - (digits - 1);
}

// Round the real input (given as a double-valued T) per formats.md.
template <class T>
value round(T x, const float_format& f, const precsim::rounding& r, std::uint64_t random) {
  using precsim::round_mode;
  using precsim::saturation;
  const bool has_nan = f.specials != precsim::special_values::none;
  const bool has_inf = has_nan && f.infinity;
  const bool has_zero = f.subnormals != precsim::subnormal_mode::no_zero;
  const bool has_neg_zero =
      f.is_signed && has_zero && f.specials != precsim::special_values::nan_negative_zero;
  const cpp_rational maxv = oracle::max_finite(f);
  auto make = [&](bool neg, const cpp_rational& m) {
    value v;
    v.mag = m;
    v.neg = f.is_signed && neg && (m != 0 || has_neg_zero);
    return v;
  };
  auto nan_or_zero = [&] {  // NaN, or code 0's value where the format has no NaN
    value v;
    if (has_nan) v.kind = value::nan;
    else v.mag = has_zero ? cpp_rational(0) : min_positive(f);
    return v;
  };
  auto smallest = [&] { return make(false, has_zero ? cpp_rational(0) : min_positive(f)); };
  auto overflow_value = [&](bool neg) {
    switch (f.overflow) {
      case precsim::overflow_value::infinity: { value v; v.kind = value::inf; v.neg = neg; return v; }
      case precsim::overflow_value::nan: { value v; v.kind = value::nan; return v; }
      default: return make(neg, maxv);
    }
  };

  if (std::isnan(x)) return nan_or_zero();
  const bool neg = std::signbit(x);
  if (!f.is_signed && neg && x != 0)
    return r.saturate == saturation::none ? nan_or_zero() : smallest();
  if (std::isinf(x)) {
    if (r.saturate == saturation::finite) return make(neg, maxv);
    if (r.saturate == saturation::propagate) {
      if (has_inf) { value v; v.kind = value::inf; v.neg = neg; return v; }
      return make(neg, maxv);
    }
    return overflow_value(neg);
  }
  if (x == 0) return has_zero ? make(neg, 0) : make(neg, min_positive(f));

  const cpp_rational a = exact(std::fabs(static_cast<double>(x)));
  const int e = std::ilogb(x);  // floor(log2 |x|)
  const int emin = emin_of(f);
  if (!has_zero && e < emin) return make(neg, min_positive(f));
  int q;
  if (e < emin && f.subnormals == precsim::subnormal_mode::flush) q = emin;
  else q = (e > emin ? e : emin) - f.mantissa_bits;
  const cpp_rational st = a / pow2(q);
  const cpp_int s = floor_int(st);
  const cpp_rational v = st - cpp_rational(s);
  // Parity of the truncated result's code: the last significand bit, or for P = 1 the exponent.
  bool odd;
  if (f.mantissa_bits == 0 && s != 0) odd = ((q + f.bias) % 2 + 2) % 2 == 1;
  else odd = s % 2 == 1;
  const cpp_rational half(1, 2);
  bool away = false;
  switch (r.mode) {
    case round_mode::nearest_even: away = v > half || (v == half && odd); break;
    case round_mode::nearest_away: away = v >= half; break;
    case round_mode::toward_zero: break;
    case round_mode::toward_positive: away = v > 0 && !neg; break;
    case round_mode::toward_negative: away = v > 0 && neg; break;
    case round_mode::to_odd: away = v > 0 && !odd; break;
    case round_mode::stochastic: {
      int n = r.random_bits;
      if (n <= 0) n = std::clamp(q - input_ulp_exp(x), 0, 64);
      if (n > 64) n = 64;
      const cpp_int two_n = cpp_int(1) << n;
      const cpp_int rr = cpp_int(random) % two_n;
      if (v == 0) break;
      switch (r.variant) {
        case precsim::sr_variant::a: away = floor_int(v * cpp_rational(two_n)) + rr >= two_n; break;
        case precsim::sr_variant::b:
          away = floor_int(v * cpp_rational(two_n * 2)) + 2 * rr + 1 >= two_n * 2;
          break;
        case precsim::sr_variant::c: {
          const cpp_rational t = v * cpp_rational(two_n);
          cpp_int k = floor_int(t);
          const cpp_rational frac = t - cpp_rational(k);
          if (frac > half || (frac == half && k % 2 == 1)) k += 1;
          away = k + rr >= two_n;
          break;
        }
      }
      break;
    }
  }
  const cpp_rational res = cpp_rational(s + (away ? 1 : 0)) * pow2(q);
  if (res > maxv) {
    const bool toward_zero = r.mode == round_mode::toward_zero || r.mode == round_mode::to_odd ||
                             (r.mode == round_mode::toward_negative && !neg) ||
                             (r.mode == round_mode::toward_positive && neg);
    if (toward_zero || r.saturate != saturation::none) return make(neg, maxv);
    return overflow_value(neg);
  }
  return make(neg, res);
}

inline std::string describe(const float_format& f) {
  std::ostringstream os;
  os << "E" << f.exponent_bits << "M" << f.mantissa_bits << " bias " << f.bias
     << (f.is_signed ? "" : " unsigned") << " sub " << int(f.subnormals) << " specials "
     << int(f.specials) << " inf " << f.infinity << " ovf " << int(f.overflow);
  return os.str();
}

}  // namespace oracle
