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
#include <stdexcept>
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

inline cpp_int floor_int(const cpp_rational& r) {  // r >= 0
  return numerator(r) / denominator(r);
}

// A value of the extended reals plus NaN; zero keeps its sign. Every value of a valid format is
// a double, so the magnitude is held as one (converted exactly from the rational computation).
struct value {
  enum kind_t { finite, inf, nan } kind = finite;
  bool neg = false;
  double mag = 0;

  friend bool operator==(const value& a, const value& b) {
    if (a.kind != b.kind) return false;
    if (a.kind == nan) return true;
    return a.neg == b.neg && a.mag == b.mag;
  }
  friend std::ostream& operator<<(std::ostream& os, const value& v) {
    if (v.kind == nan) return os << "NaN";
    os << (v.neg ? "-" : "+");
    if (v.kind == inf) return os << "inf";
    std::ostringstream hex;
    hex << std::hexfloat << v.mag;
    return os << hex.str();
  }
};

// Exact conversion of a rational that is known to be a double (asserted).
inline double to_double(const cpp_rational& r) {
  const double d = static_cast<double>(r);
  if (cpp_rational(d) != r) throw std::logic_error("oracle: value is not a double");
  return d;
}

inline value from_double(double x) {
  value v;
  if (std::isnan(x)) v.kind = value::nan;
  else if (std::isinf(x)) v.kind = value::inf;
  else v.mag = std::fabs(x);
  v.neg = std::signbit(x);
  return v;
}

inline int emin_of(const float_format& f) {  // exponent of the lowest normal binade
  return f.subnormals == precsim::subnormal_mode::no_zero ? -f.bias : 1 - f.bias;
}

// Decode from the definition: sign, exponent field and trailing significand taken apart with
// integer division, specials placed as formats.md describes them, the value computed with
// std::ldexp (exact: every value of a valid format is a double).
inline value decode(std::uint64_t code, const float_format& f) {
  using precsim::special_values;
  const std::uint64_t two_m = std::uint64_t{1} << f.mantissa_bits;
  const std::uint64_t two_em = std::uint64_t{1} << (f.exponent_bits + f.mantissa_bits);
  value v;
  v.neg = f.is_signed && code >= two_em;
  const std::uint64_t mag = f.is_signed ? code % two_em : code;
  const std::uint64_t field = mag / two_m, frac = mag % two_m;
  const std::uint64_t field_max = (std::uint64_t{1} << f.exponent_bits) - 1;
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
  const int m = f.mantissa_bits;
  if (field == 0 && f.subnormals != precsim::subnormal_mode::no_zero) {
    v.mag = f.subnormals == precsim::subnormal_mode::flush ? 0.0
                                                           : std::ldexp(double(frac), 1 - f.bias - m);
  } else {
    v.mag = std::ldexp(double(two_m + frac), static_cast<int>(field) - f.bias - m);
  }
  return v;
}

// The magnitude code of the largest finite value, found by walking down from the top magnitude
// code past the specials.
inline std::uint64_t max_finite_code(const float_format& f) {
  const std::uint64_t top = (std::uint64_t{1} << (f.exponent_bits + f.mantissa_bits)) - 1;
  if (f.specials == precsim::special_values::ieee)  // whole top binade is special
    return top - (std::uint64_t{1} << f.mantissa_bits);
  for (std::uint64_t c = top;; --c)
    if (oracle::decode(c, f).kind == value::finite) return c;
}

inline double max_finite(const float_format& f) {
  return oracle::decode(oracle::max_finite_code(f), f).mag;
}

inline double min_positive(const float_format& f) {
  if (f.subnormals == precsim::subnormal_mode::gradual)
    return to_double(pow2(1 - f.bias - f.mantissa_bits));
  return to_double(pow2(emin_of(f)));
}

// The exponent of the input type's ulp at x ("as many random bits as the rounding discards").
template <class T>
int input_ulp_exp(T x) {
  constexpr int digits = std::numeric_limits<T>::digits;  // 24 / 53
  constexpr int emin = std::numeric_limits<T>::min_exponent - 1;  // -126 / -1022
  const int e = std::ilogb(x);
  return (e < emin ? emin : e) - (digits - 1);
}

// The mode-independent part of rounding a finite nonzero input (P3109 RoundToPrecision):
// Q = max(floor(log2|x|), emin) - P + 1, S~ = |x| 2^-Q, S = floor(S~), v = S~ - S.
struct analysis {
  int q = 0;
  cpp_int s;
  cpp_int vnum, vden;     // v = vnum / vden, vden a power of two
  int vcmp_half = 0;      // sign of v - 1/2
  bool odd = false;       // the truncated result's code is odd
  int input_ulp = 0;      // exponent of the input type's ulp at x
  bool below_all = false; // no_zero format and |x| below its smallest value
};

// The analysis of the finite positive exact value num / den, where input_ulp is the exponent
// of the input's last place (for "as many random bits as the rounding discards"). Integer
// arithmetic only: rationals would renormalize (gcd) at every step.
inline analysis analyze_exact(const cpp_int& num, const cpp_int& den, int input_ulp,
                              const float_format& f) {
  analysis a;
  a.input_ulp = input_ulp;
  // e = floor(log2(num / den)): msb difference, one less when num < den * 2^e.
  int e = static_cast<int>(msb(num)) - static_cast<int>(msb(den));
  if (e >= 0 ? num < (den << e) : (num << -e) < den) --e;
  const int emin = emin_of(f);
  if (f.subnormals == precsim::subnormal_mode::no_zero && e < emin) { a.below_all = true; return a; }
  if (e < emin && f.subnormals == precsim::subnormal_mode::flush) a.q = emin;
  else a.q = (e > emin ? e : emin) - f.mantissa_bits;
  // S~ = num / den * 2^-Q = t / d; S = floor, v = (t mod d) / d.
  const cpp_int t = a.q <= 0 ? cpp_int(num << -a.q) : num;
  a.vden = a.q > 0 ? cpp_int(den << a.q) : den;
  boost::multiprecision::divide_qr(t, a.vden, a.s, a.vnum);
  const cpp_int twice = a.vnum * 2;
  a.vcmp_half = twice < a.vden ? -1 : twice == a.vden ? 0 : 1;
  // Parity of the truncated result's code: the last significand bit, or for P = 1 the exponent.
  if (f.mantissa_bits == 0 && a.s != 0) a.odd = ((a.q + f.bias) % 2 + 2) % 2 == 1;
  else a.odd = a.s % 2 == 1;
  return a;
}

template <class T>
analysis analyze(T x, const float_format& f) {
  if (!std::isfinite(x) || x == 0) return analysis{};
  // |x| = mant * 2^(fe - 53) with a 53-bit integer mant.
  int fe = 0;
  const double fr = std::frexp(std::fabs(static_cast<double>(x)), &fe);
  const cpp_int mant = static_cast<std::uint64_t>(std::ldexp(fr, 53));
  const int k = fe - 53;
  return analyze_exact(k >= 0 ? cpp_int(mant << k) : mant, k >= 0 ? cpp_int(1) : cpp_int(1) << -k,
                       input_ulp_exp(x), f);
}

// The format's extremes, computed once per format from the definition.
struct extremes {
  double maxv, minpos;
  bool odd_max;  // max finite's code is odd
  explicit extremes(const float_format& f)
      : maxv(oracle::max_finite(f)), minpos(min_positive(f)), odd_max(oracle::max_finite_code(f) % 2 == 1) {}
};

// Rounds x per formats.md, reusing a precomputed analysis of x.
// What rounds: NaN, +-inf, or a (signed) finite exact value, zero included.
struct exact {
  value::kind_t kind = value::finite;
  bool neg = false;
  bool zero = false;  // finite zero
  cpp_rational mag;   // finite only, >= 0; only the analysis reads it
};

// The format's properties that ωSaturate reads, from the descriptor's fields.
struct sat_format {
  bool is_signed, extended, has_nan, has_zero, has_neg_zero;
  double m_hi, m_lo;          // M_hi = max finite; M_lo = -M_hi (signed) or the smallest value
  double code0;               // the value of code 0: +0 or the smallest value (formats without NaN)
  bool to_odd_max;            // ToOdd overflow keeps M_hi: its code is odd, or there is no inf
  precsim::overflow_value overflow;
  explicit sat_format(const float_format& f, const extremes& ext) {
    is_signed = f.is_signed;
    has_nan = f.specials != precsim::special_values::none;
    extended = has_nan && f.infinity;
    has_zero = f.subnormals != precsim::subnormal_mode::no_zero;
    has_neg_zero = is_signed && has_zero && f.specials != precsim::special_values::nan_negative_zero;
    m_hi = ext.maxv;
    code0 = has_zero ? 0.0 : ext.minpos;
    m_lo = is_signed ? -ext.maxv : has_zero ? 0.0 : ext.minpos;
    to_odd_max = ext.odd_max || !extended;
    overflow = f.overflow;
  }
};

// ωSaturate (P3109 interim report v4.0, §4.7.5), its rows in the report's order; X is the
// rounded value (kind inf for an infinite input), signed. Generalized to every descriptor:
// "extended" = the format has infinities; where v4.0 gives M_hi / M_lo for a finite format, a
// non-P3109 format gives its `overflow` value (NaN for OCP FN/FNUZ and E8M0); the ToOdd row
// reads "M_hi's code is odd" (of P3109's extended formats exactly the unsigned ones; every IEEE
// format) "or the format has no infinity" (round-to-odd never rounds up to a NaN code).
inline value saturate(value::kind_t kind, double X, const sat_format& s, const precsim::rounding& r) {
  using precsim::round_mode;
  using precsim::saturation;
  const auto mode = r.mode;
  auto special = [](value::kind_t k, bool neg) { value v; v.kind = k; v.neg = neg; return v; };
  auto finite = [&](double x) {
    value v;
    v.mag = std::fabs(x);
    v.neg = s.is_signed && std::signbit(x) && (x != 0 || s.has_neg_zero);
    return v;
  };
  const value NaN = s.has_nan ? special(value::nan, false) : finite(s.code0);  // NaN or code 0
  const value M_hi = finite(s.m_hi), M_lo = finite(s.m_lo);
  const value pinf = special(value::inf, false), ninf = special(value::inf, true);
  // A finite format's overflow value: v4.0's M_hi / M_lo for P3109 (overflow_value::max_finite).
  auto finite_overflow = [&](bool neg) {
    if (s.overflow == precsim::overflow_value::nan) return NaN;
    return neg ? M_lo : M_hi;
  };
  const bool is_pinf = kind == value::inf && X > 0, is_ninf = kind == value::inf && X < 0;

  if (kind == value::nan) return NaN;                                  // NaN -> NaN
  // In range -> X; a negative value rounded to 0 in an unsigned format is in range (-0 >= M_lo = 0,
  // line 21) and encodes as +0.
  if (kind == value::finite && s.m_lo <= X && X <= s.m_hi) return finite(X);
  switch (r.saturate) {
    case saturation::finite:
      if (is_pinf) return M_hi;
      if (is_ninf) return M_lo;
      return X < s.m_lo ? M_lo : M_hi;
    case saturation::propagate:
      if (is_pinf) return s.extended ? pinf : M_hi;
      if (is_ninf) return s.is_signed && s.extended ? ninf : M_lo;
      return X < s.m_lo ? M_lo : M_hi;
    case saturation::none: break;
  }
  // SatNone.
  if (is_pinf) return s.extended ? pinf : finite_overflow(false);
  if (is_ninf) {
    if (s.is_signed && s.extended) return ninf;
    if (!s.is_signed) return NaN;
    return finite_overflow(true);
  }
  if (X > s.m_hi) {
    if (mode == round_mode::to_odd && s.to_odd_max) return M_hi;         // line 40 (unsigned extended)
    if (mode == round_mode::toward_zero || mode == round_mode::toward_negative) return M_hi;
    if (s.extended) return pinf;                                       // lines 43, 46
    return finite_overflow(false);
  }
  // X < M_lo
  if (mode == round_mode::toward_zero || mode == round_mode::toward_positive) return M_lo;  // line 42
  if (mode == round_mode::to_odd && s.to_odd_max && s.is_signed) return M_lo;
  if (s.is_signed && s.extended) return ninf;
  if (!s.is_signed) return NaN;                                        // line 44
  return finite_overflow(true);
}

// Rounds x per formats.md, reusing a precomputed analysis of |x|: RoundToPrecision with an
// unbounded exponent, then saturate().
inline value round_exact(const exact& x, const analysis& a, const float_format& f,
                         const extremes& ext, const precsim::rounding& r, std::uint64_t random) {
  using precsim::round_mode;
  const sat_format s(f, ext);
  const bool neg = x.neg;
  if (x.kind != value::finite) return saturate(x.kind, neg ? -1.0 : 1.0, s, r);
  const double sign = neg ? -1.0 : 1.0;
  // A zero input: the signed zero, or without a zero the smallest value (+ for unsigned formats).
  if (x.zero) return saturate(value::finite, (s.has_zero ? 0.0 : ext.minpos) * (s.is_signed ? sign : 1.0), s, r);
  if (a.below_all) return saturate(value::finite, sign * ext.minpos, s, r);

  const bool inexact = a.vnum != 0;
  bool away = false;
  switch (r.mode) {
    case round_mode::nearest_even: away = a.vcmp_half > 0 || (a.vcmp_half == 0 && a.odd); break;
    case round_mode::nearest_away: away = a.vcmp_half >= 0; break;
    case round_mode::toward_zero: break;
    case round_mode::toward_positive: away = inexact && !neg; break;
    case round_mode::toward_negative: away = inexact && neg; break;
    case round_mode::to_odd: away = inexact && !a.odd; break;
    case round_mode::stochastic: {
      if (!inexact) break;
      int n = r.random_bits;
      if (n <= 0) n = std::clamp(a.q - a.input_ulp, 0, 64);
      if (n > 64) n = 64;
      const cpp_int two_n = cpp_int(1) << n;
      const cpp_int rr = cpp_int(random) % two_n;
      // floor(v * 2^j) and the remainder, in integers: v * 2^j = (vnum << j) / vden.
      auto scaled = [&](int j, cpp_int& rest) {
        cpp_int t = a.vnum << j, quot;
        boost::multiprecision::divide_qr(t, a.vden, quot, rest);
        return quot;
      };
      cpp_int rest;
      switch (r.variant) {
        case precsim::sr_variant::a: away = scaled(n, rest) + rr >= two_n; break;
        case precsim::sr_variant::b: away = scaled(n + 1, rest) + 2 * rr + 1 >= two_n * 2; break;
        case precsim::sr_variant::c: {  // RNE(v * 2^n) + R >= 2^n
          cpp_int k = scaled(n, rest);
          const cpp_int twice = rest * 2;
          if (twice > a.vden || (twice == a.vden && k % 2 == 1)) k += 1;
          away = k + rr >= two_n;
          break;
        }
      }
      break;
    }
  }
  // < 2^54 * 2^q: exact, or +inf beyond double's range (then above every M_hi).
  const double res = std::ldexp(static_cast<double>(a.s + (away ? 1 : 0)), a.q);
  return saturate(value::finite, sign * res, s, r);
}

template <class T>
exact to_exact(T x) {
  exact e;
  e.kind = std::isnan(x) ? value::nan : std::isinf(x) ? value::inf : value::finite;
  e.neg = std::signbit(x);
  e.zero = x == 0;  // the magnitude itself goes to analyze()
  return e;
}

// Rounds x per formats.md, reusing a precomputed analysis of x.
template <class T>
value round(T x, const analysis& a, const float_format& f, const extremes& ext,
            const precsim::rounding& r, std::uint64_t random) {
  return round_exact(to_exact(x), a, f, ext, r, random);
}

template <class T>
value round(T x, const float_format& f, const precsim::rounding& r, std::uint64_t random) {
  return round(x, analyze(x, f), f, extremes(f), r, random);
}

// ---- arithmetic: exact results of operations on format values -------------------------------
// IEEE 754 §6 and §7 special cases written out; finite results as exact rationals. An exact
// result has no last place of its own: input_ulp below everything caps stochastic rounding's
// "as many bits as discarded" at 64, as for the library's arithmetic.

inline constexpr int exact_input_ulp = -100000;

inline exact nan_result() { exact e; e.kind = value::nan; return e; }
inline exact inf_result(bool neg) { exact e; e.kind = value::inf; e.neg = neg; return e; }
inline exact finite_result(const cpp_rational& signed_value, bool neg_if_zero) {
  exact e;
  e.neg = signed_value < 0 || (signed_value == 0 && neg_if_zero);
  e.zero = signed_value == 0;
  e.mag = signed_value < 0 ? cpp_rational(-signed_value) : signed_value;
  return e;
}
inline cpp_rational signed_rational(const value& v) {
  const cpp_rational m(v.mag);
  return v.neg ? cpp_rational(-m) : m;
}

// toward_negative: the rounding direction, which decides the sign of an exact zero sum.
inline exact add(const value& a, const value& b, bool toward_negative) {
  if (a.kind == value::nan || b.kind == value::nan) return nan_result();
  if (a.kind == value::inf && b.kind == value::inf) return a.neg == b.neg ? inf_result(a.neg) : nan_result();
  if (a.kind == value::inf) return inf_result(a.neg);
  if (b.kind == value::inf) return inf_result(b.neg);
  const cpp_rational sum = signed_rational(a) + signed_rational(b);
  // x + y == 0: -0 when both are -0, or for opposite signs when rounding toward negative.
  const bool neg_zero = (a.neg && b.neg) || (a.neg != b.neg && toward_negative);
  return finite_result(sum, neg_zero);
}

inline exact mul(const value& a, const value& b) {
  if (a.kind == value::nan || b.kind == value::nan) return nan_result();
  const bool neg = a.neg != b.neg;
  if (a.kind == value::inf || b.kind == value::inf) {
    const bool zero = (a.kind == value::finite && a.mag == 0) || (b.kind == value::finite && b.mag == 0);
    return zero ? nan_result() : inf_result(neg);
  }
  return finite_result(signed_rational(a) * signed_rational(b), neg);
}

inline exact div(const value& a, const value& b) {
  if (a.kind == value::nan || b.kind == value::nan) return nan_result();
  const bool neg = a.neg != b.neg;
  if (a.kind == value::inf) return b.kind == value::inf ? nan_result() : inf_result(neg);
  if (b.kind == value::inf) return finite_result(0, neg);
  if (b.mag == 0) return a.mag == 0 ? nan_result() : inf_result(neg);
  return finite_result(signed_rational(a) / signed_rational(b), neg);
}

inline exact fma(const value& a, const value& b, const value& c, bool toward_negative) {
  if (a.kind == value::nan || b.kind == value::nan || c.kind == value::nan) return nan_result();
  const exact p = mul(a, b);
  if (p.kind == value::nan) return p;
  if (p.kind == value::inf) {
    if (c.kind == value::inf && c.neg != p.neg) return nan_result();
    return p;
  }
  if (c.kind == value::inf) return inf_result(c.neg);
  const cpp_rational ps = p.neg ? cpp_rational(-p.mag) : p.mag;
  const bool neg_zero = (p.neg && c.neg) || (p.neg != c.neg && toward_negative);
  return finite_result(ps + signed_rational(c), neg_zero);
}

// sqrt is irrational in general: the result is floor(sqrt(x) * 2^t) / 2^t, plus 2^-(t+1) when
// that is inexact. With t = 1300 this stays strictly between the same two multiples of 2^-t as
// the true root, ~200 bits below the last place of any result, so every rounding mode (and
// stochastic rounding with up to 64 random bits) treats it like the true root.
inline exact sqrt(const value& a) {
  if (a.kind == value::nan || (a.neg && (a.kind == value::inf || a.mag != 0))) return nan_result();
  if (a.kind == value::inf) return inf_result(false);
  if (a.mag == 0) return finite_result(0, a.neg);
  constexpr int t = 1300;
  const cpp_rational x(a.mag);
  const cpp_int scaled = numerator(x) * (cpp_int(1) << (2 * t)) / denominator(x);  // floor(x * 4^t)
  const cpp_int root = boost::multiprecision::sqrt(scaled);  // floor(sqrt(x) * 2^t)
  const bool inexact = root * root != scaled || numerator(x) * (cpp_int(1) << (2 * t)) % denominator(x) != 0;
  cpp_rational r = cpp_rational(root) * pow2(-t);
  if (inexact) r += pow2(-t - 1);
  return finite_result(r, false);
}

// Rounds an operation's result; analysis of exact finite nonzero values done here.
inline value round_result(const exact& x, const float_format& f, const extremes& ext,
                          const precsim::rounding& r, std::uint64_t random) {
  const analysis a = x.kind == value::finite && !x.zero
                         ? analyze_exact(numerator(x.mag), denominator(x.mag), exact_input_ulp, f)
                         : analysis{};
  return round_exact(x, a, f, ext, r, random);
}

}  // namespace oracle
