// Correctly rounded arithmetic: the code of (a op b) rounded once, from the exact result, to a
// format. Operands are doubles (every value of every format is one); IEEE 754 rules for NaN,
// infinities and signed zeros; the exact result goes through the rounding core like any input,
// so saturation and the format's overflow and NaN policies apply unchanged. floatx is built on
// these; they are public for code that keeps its own storage.
#pragma once

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "config.hpp"
#include "core/exact.hpp"
#include "core/round.hpp"

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

PRECSIM_HD constexpr double default_nan() noexcept {
  return bit_cast<double>(std::uint64_t{0x7FF8000000000000});
}
// Flips the sign bit (a negation the compiler cannot treat as 0 - x).
PRECSIM_HD constexpr double negate(double x) noexcept {
  return bit_cast<double>(bit_cast<std::uint64_t>(x) ^ (std::uint64_t{1} << 63));
}
PRECSIM_HD constexpr double infinity(bool neg) noexcept {
  return bit_cast<double>(std::uint64_t{neg ? 0xFFF0000000000000 : 0x7FF0000000000000});
}

// IEEE 754 §6.3: an exact zero sum of operands of opposite signs (or x - x) is +0, except when
// rounding toward negative, where it is -0.
PRECSIM_HD constexpr bool cancel_is_negative(const rounding& r) noexcept {
  return r.mode == round_mode::toward_negative;
}

PRECSIM_HD constexpr std::uint64_t encode_wide(
    const wide_decomposed& w, bool zero_negative, const float_format& f, const rounding& r,
    std::uint64_t random) noexcept {
  if (w.cls == input_class::zero) return zero_code(f, zero_negative);
  return encode_decomposed(w, f, r, random);
}

// An operand that is itself the exact result (x + 0, 0 * y + z), rounded like every other exact
// result: stochastic rounding counts the discarded bits as for an exact value (up to 64), not
// from the operand's double ulp.
PRECSIM_HD constexpr std::uint64_t encode_exact(const decomposed& x, const float_format& f,
                                                const rounding& r, std::uint64_t random) noexcept {
  decomposed d = x;
  d.ulp_exp = exact_ulp_exp;
  return encode_decomposed(d, f, r, random);
}

// a + b rounded to f (encode's conventions: `random` is used by stochastic rounding only).
PRECSIM_HD constexpr std::uint64_t exact_rounded_add(
    double a, double b, const float_format& f, const rounding& r = {},
    std::uint64_t random = 0) noexcept {
  const decomposed x = decompose(a), y = decompose(b);
  if (x.cls == input_class::nan) return encode(a, f, r);
  if (y.cls == input_class::nan) return encode(b, f, r);
  if (x.cls == input_class::inf || y.cls == input_class::inf) {
    if (x.cls == y.cls && x.neg != y.neg) return encode(default_nan(), f, r);  // inf - inf
    return encode(x.cls == input_class::inf ? a : b, f, r);
  }
  if (x.cls == input_class::zero && y.cls == input_class::zero)
    return zero_code(f, x.neg == y.neg ? x.neg : cancel_is_negative(r));
  if (x.cls == input_class::zero) return encode_exact(y, f, r, random);
  if (y.cls == input_class::zero) return encode_exact(x, f, r, random);
  return encode_wide(exact_add(widen(x), widen(y)), cancel_is_negative(r), f, r, random);
}

PRECSIM_HD constexpr std::uint64_t exact_rounded_mul(
    double a, double b, const float_format& f, const rounding& r = {},
    std::uint64_t random = 0) noexcept {
  const decomposed x = decompose(a), y = decompose(b);
  if (x.cls == input_class::nan) return encode(a, f, r);
  if (y.cls == input_class::nan) return encode(b, f, r);
  const bool neg = x.neg != y.neg;
  const bool zero = x.cls == input_class::zero || y.cls == input_class::zero;
  if (x.cls == input_class::inf || y.cls == input_class::inf)
    return encode(zero ? default_nan() : infinity(neg), f, r);  // 0 * inf: NaN
  if (zero) return zero_code(f, neg);
  return encode_decomposed(exact_mul(x, y), f, r, random);
}

PRECSIM_HD constexpr std::uint64_t exact_rounded_div(
    double a, double b, const float_format& f, const rounding& r = {},
    std::uint64_t random = 0) noexcept {
  const decomposed x = decompose(a), y = decompose(b);
  if (x.cls == input_class::nan) return encode(a, f, r);
  if (y.cls == input_class::nan) return encode(b, f, r);
  const bool neg = x.neg != y.neg;
  const double inf = infinity(neg);
  if (x.cls == input_class::inf)
    return encode(y.cls == input_class::inf ? default_nan() : inf, f, r);     // inf / inf: NaN
  if (y.cls == input_class::inf) return zero_code(f, neg);
  if (y.cls == input_class::zero)                                              // division by zero
    return encode(x.cls == input_class::zero ? default_nan() : inf, f, r);
  if (x.cls == input_class::zero) return zero_code(f, neg);
  return encode_decomposed(exact_div(x, y), f, r, random);
}

PRECSIM_HD constexpr std::uint64_t exact_rounded_sqrt(
    double a, const float_format& f, const rounding& r = {}, std::uint64_t random = 0) noexcept {
  const decomposed x = decompose(a);
  if (x.cls == input_class::nan) return encode(a, f, r);
  if (x.cls == input_class::zero) return zero_code(f, x.neg);  // sqrt(-0) = -0
  if (x.neg) return encode(default_nan(), f, r);
  if (x.cls == input_class::inf) return encode(a, f, r);
  return encode_decomposed(exact_sqrt(x), f, r, random);
}

// a * b + c with one rounding.
PRECSIM_HD constexpr std::uint64_t exact_rounded_fma(
    double a, double b, double c, const float_format& f, const rounding& r = {},
    std::uint64_t random = 0) noexcept {
  const decomposed x = decompose(a), y = decompose(b), z = decompose(c);
  if (x.cls == input_class::nan) return encode(a, f, r);
  if (y.cls == input_class::nan) return encode(b, f, r);
  if (z.cls == input_class::nan) return encode(c, f, r);
  const bool pneg = x.neg != y.neg;
  const bool pzero = x.cls == input_class::zero || y.cls == input_class::zero;
  const bool pinf = x.cls == input_class::inf || y.cls == input_class::inf;
  if (pinf && pzero) return encode(default_nan(), f, r);  // 0 * inf
  if (pinf) {
    if (z.cls == input_class::inf && z.neg != pneg) return encode(default_nan(), f, r);
    return encode(infinity(pneg), f, r);
  }
  if (z.cls == input_class::inf) return encode(c, f, r);
  if (pzero) {
    if (z.cls == input_class::zero)
      return zero_code(f, pneg == z.neg ? pneg : cancel_is_negative(r));
    return encode_exact(z, f, r, random);
  }
  const wide_decomposed p = exact_mul(x, y);
  if (z.cls == input_class::zero) return encode_decomposed(p, f, r, random);
  return encode_wide(exact_add(p, widen(z)), cancel_is_negative(r), f, r, random);
}


// ---- host fast path ---------------------------------------------------------------------------
// The operation in hardware double plus the exact sign of its error: the result handed to the
// rounding core is then the exact value, or (when inexact) the double rounded to odd, which
// rounds to any precision <= 51 like the exact value in every deterministic mode. Stochastic
// rounding of an inexact result, fma, constant evaluation and operands outside [2^-450, 2^450]
// (where error terms could underflow) take the exact path. Assumes the default floating-point
// environment (round to nearest, as compilers do without -frounding-math).

struct fast_result {
  bool ok;
  std::uint64_t code;
};

// |x| = 0 or 2^-450 <= |x| < 2^450, from the bits (no flag can change a bit test).
PRECSIM_HD PRECSIM_INLINE constexpr bool tame(double x) noexcept {
  const std::uint64_t b = bit_cast<std::uint64_t>(x) << 1;
  const int e = int(b >> 53) - 1023;
  return b == 0 || (e >= -450 && e < 450);
}

// x, hidden from the optimizer: -fassociative-math (which clang does not announce by any macro)
// would otherwise simplify TwoSum's error term to 0.
PRECSIM_HD PRECSIM_INLINE constexpr double opaque(double x) noexcept {
#if !PRECSIM_DEVICE_PASS && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__i386__))
  if (!std::is_constant_evaluated()) __asm__("" : "+x"(x));
#elif !PRECSIM_DEVICE_PASS && (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
  if (!std::is_constant_evaluated()) __asm__("" : "+w"(x));
#elif !PRECSIM_DEVICE_PASS
  if (!std::is_constant_evaluated()) {
    volatile double v = x;
    x = v;
  }
#endif
  return x;
}

// The double next to x (finite, nonzero) in magnitude: one unit larger (up) or smaller.
PRECSIM_HD PRECSIM_INLINE constexpr double step_magnitude(double x, bool up) noexcept {
  const std::uint64_t b = bit_cast<std::uint64_t>(x);
  return bit_cast<double>(up ? b + 1 : b - 1);
}

// Round to nearest even in the double's bit pattern (the bulk kernel's rule, on 64 bits), for
// the formats of nearest_in_bits (core/round.hpp); x tame, nonzero, and rounded to odd when
// inexact. Normal results: + (half - 1) + kept lsb at bit 52 - m, the carry moving into the
// exponent; below the min normal: the count of quanta 2^(emin - m) in the bits of |x| +
// 2^(emin - m + 52) (one addition in the default round-to-nearest mode, which the fast path
// assumes). Overflow: not ok (the core decides).
// The code of a rounded magnitude code and sign; not ok beyond max finite (the core decides).
PRECSIM_HD PRECSIM_INLINE constexpr fast_result signed_code(std::uint64_t mag, bool neg, const float_format& f) noexcept {
  if (mag > max_finite_code(f)) return {false, 0};
  return {true, mag | (mag != 0 || has_negative_zero(f) ? sign_code(f, neg) : 0)};
}
// Random bits stochastic rounding reads for an exact result: random_bits, or all 64.
PRECSIM_HD PRECSIM_INLINE constexpr int exact_random_bits(const rounding& r) noexcept {
  return r.random_bits <= 0 || r.random_bits > 64 ? 64 : r.random_bits;
}
PRECSIM_HD PRECSIM_INLINE constexpr fast_result nearest_from_bits(std::uint64_t b, const float_format& f) noexcept {
  const int m = f.mantissa_bits, emin = min_exponent(f);
  const std::uint64_t a = b & ~(std::uint64_t{1} << 63);
  std::uint64_t mag;
  if (a >= std::uint64_t(emin + 1023) << 52) {
    const int s = 52 - m;
    const std::uint64_t lowm = (std::uint64_t{1} << s) - 1;
    const std::uint64_t rn = (a + (lowm >> 1) + ((a >> s) & 1)) & ~lowm;
    mag = (rn >> s) - (std::uint64_t(1023 - f.bias) << m);
  } else {
    const std::uint64_t c = std::uint64_t(emin - m + 52 + 1023) << 52;
    mag = bit_cast<std::uint64_t>(opaque(bit_cast<double>(a)) + bit_cast<double>(c)) - c;
  }
  return signed_code(mag, (b >> 63) != 0, f);
}

// Stochastic rounding of an exact double x (tame, nonzero) in its bit pattern, for the formats
// of nearest_in_bits: the core's rule (stochastic_away) for an exact value, whose n random bits
// (random_bits, or 64) cover all d discarded bits when d <= n: away iff rem 2^(n-d) + R >= 2^n,
// i.e. iff rem + floor(R / 2^(n-d)) >= 2^d, one addition below the kept bits. Not ok where
// d > n (the variants differ there), d > 62 or on overflow: the core decides.
PRECSIM_HD PRECSIM_INLINE constexpr fast_result stochastic_from_bits(std::uint64_t b, const float_format& f,
                                                                     const rounding& r,
                                                                     std::uint64_t random) noexcept {
  const int m = f.mantissa_bits, emin = min_exponent(f);
  const int n = exact_random_bits(r);
  const std::uint64_t rnd = n == 64 ? random : random & ((std::uint64_t{1} << n) - 1);
  const std::uint64_t a = b & ~(std::uint64_t{1} << 63);
  const int e = int(a >> 52) - 1023;  // x is a normal double (tame)
  std::uint64_t mag;
  if (e >= emin) {
    const int d = 52 - m;
    if (d > n) return {false, 0};
    const std::uint64_t rn = (a + (rnd >> (n - d))) & ~((std::uint64_t{1} << d) - 1);
    mag = (rn >> d) - (std::uint64_t(1023 - f.bias) << m);
  } else {  // quanta 2^(emin - m) of the significand sig 2^(e - 52)
    const int d = emin - m - e + 52;
    if (d > n || d > 62) return {false, 0};
    const std::uint64_t sig = (a & ((std::uint64_t{1} << 52) - 1)) | std::uint64_t{1} << 52;
    mag = (sig + (rnd >> (n - d))) >> d;
  }
  return signed_code(mag, (b >> 63) != 0, f);
}

// Stochastic rounding of a / b (tame, nonzero, significands of at most 26 bits) to a format of
// nearest_in_bits, without the exact path's 128-bit division. With the 26-bit significands A, B
// the quotient is (A / B) 2^sh quanta of the format: long division in steps of 64-bit division
// (a remainder, < B, leaves room for 38 more quotient bits) gives the count of quanta and the
// fraction's first 64 bits t, two steps where sh <= 12, else three. The core's rule reads the
// fraction's first n bits, the bit below them and whether anything below that is set: all in t
// and the last remainder (for n = 64 the 65th bit is 2 rem >= B). Not ok on overflow or below
// the format's subnormal range (the core decides).
PRECSIM_HD PRECSIM_INLINE constexpr fast_result stochastic_quotient(double a, double b, const float_format& f,
                                                                    const rounding& r,
                                                                    std::uint64_t random) noexcept {
  const std::uint64_t ba = bit_cast<std::uint64_t>(a), bb = bit_cast<std::uint64_t>(b);
  const std::uint64_t hidden = std::uint64_t{1} << 52;
  const std::uint64_t sa = ((ba & (hidden - 1)) | hidden) >> 27, sb = ((bb & (hidden - 1)) | hidden) >> 27;
  const int m = f.mantissa_bits, emin = min_exponent(f);
  const int ediff = int((ba >> 52) & 0x7FF) - int((bb >> 52) & 0x7FF);  // normal doubles (tame)
  const int e = ediff - (sa < sb ? 1 : 0);  // the quotient's binade
  const int qe = (e < emin ? emin : e) - m;  // its quantum's exponent
  const int sh = ediff - qe;                 // |a / b| = (A / B) 2^sh quanta, sh <= m + 1 <= 23
  if (sh < 0) return {false, 0};
  constexpr int step = 38;
  std::uint64_t num = sa << step;
  const std::uint64_t c = num / sb;  // the quanta and the fraction's first step - sh bits
  std::uint64_t rem = num % sb;
  int have = step - sh;
  std::uint64_t t = c << (64 - have);
  while (have < 64) {
    const int k = 64 - have < step ? 64 - have : step;
    num = rem << k;
    have += k;
    t |= (num / sb) << (64 - have);
    rem = num % sb;
  }
  const int n = exact_random_bits(r);
  // (rem != 0 is the sticky bit for n = 64 too: the quotient of 26-bit integers is exact within
  // 26 fraction bits or never, so 2 rem = B cannot occur)
  const bool next = n == 64 ? 2 * rem >= sb : ((t >> (63 - n)) & 1) != 0;
  const bool sticky = (n < 64 && (t & low_mask(63 - n)) != 0) || rem != 0;
  const std::uint64_t k = n == 64 ? t : t >> (64 - n);
  const std::uint64_t quanta = (c >> (step - sh)) + stochastic_decide(k, next, sticky, n, r.variant, random);
  // field - 1 above the quanta count (0 for subnormals): a carry moves into the exponent
  const std::uint64_t mag = quanta + (std::uint64_t(qe + m + f.bias - 1) << m);
  return signed_code(mag, ((ba ^ bb) >> 63) != 0, f);
}

// The code of the exact result rounded to f, from the double result x (nonzero) and
// inexact_dir: 0 when x is exact, +1 / -1 when the exact magnitude is above / below |x|.
// Nearest: only round to nearest even in the bit pattern (the caller's rounding is that, to a
// format of nearest_in_bits: the value types' inline path, which stays small that way).
template <bool Nearest = false>
PRECSIM_HD PRECSIM_INLINE constexpr fast_result finish_fast(
    double x, int inexact_dir, const float_format& f, const rounding& r,
    std::uint64_t random) noexcept {
  if (!tame(x)) return {false, 0};
  if (Nearest || (r.mode == round_mode::nearest_even && nearest_in_bits(f))) {
    std::uint64_t b = bit_cast<std::uint64_t>(x);
    if (inexact_dir != 0) b = (b - (inexact_dir < 0)) | 1;  // round to odd (see below)
    const fast_result q = nearest_from_bits(b, f);
    if (Nearest || q.ok) return q;
  }
  if (r.mode == round_mode::stochastic && inexact_dir == 0 && nearest_in_bits(f)) {
    const fast_result q = stochastic_from_bits(bit_cast<std::uint64_t>(x), f, r, random);
    if (q.ok) return q;
  }
  decomposed d = decompose(x);
  d.ulp_exp = exact_ulp_exp;  // stochastic rounding counts bits like the exact path
  if (inexact_dir == 0) return {true, encode_decomposed(d, f, r, random)};
  if (r.mode == round_mode::stochastic || precision(f) > 51) return {false, 0};
  // Round to odd: truncate (step one double toward zero when the exact value is below |x|),
  // then set the last bit. sig keeps its leading bit: 2^52 - 1 only arises from a power of two,
  // whose predecessor has the next lower exponent.
  if (inexact_dir < 0) {
    d.sig -= 1;
    if (d.sig < (std::uint64_t{1} << 52)) { d.sig = (d.sig << 1) | 1; d.exp -= 1; }
  }
  d.sig |= 1;
  return {true, encode_decomposed(d, f, r, random)};
}

// Sign of |n| - |p| * |q| for finite nonzero doubles whose exponents make the two sides close
// (n = p * q up to a factor 4): exact, from the 106-bit integer product.
PRECSIM_HD PRECSIM_INLINE constexpr int compare_product(double n, double p, double q) noexcept {
  const decomposed a = decompose(n), b = decompose(p), c = decompose(q);
  const int k = a.exp - b.exp - c.exp + 52;  // n.sig * 2^k is on p.sig * q.sig's scale
  if (k < 50 || k > 55) return k < 50 ? -1 : 1;
  const u128 lhs = shl(u128{0, a.sig}, k), rhs = mul64(b.sig, c.sig);
  return lhs == rhs ? 0 : lhs < rhs ? -1 : 1;
}

// a / b and sqrt(a) correctly rounded to double, as the hardware instruction computes them: no
// optimisation flag (-freciprocal-math turns a / b into a * (1 / b)) can change an asm
// statement. Elsewhere not available (ok = false).
struct ieee_result {
  bool ok;
  double v;
};
PRECSIM_HD PRECSIM_INLINE ieee_result ieee_div(double a, double b) noexcept {
#if !PRECSIM_DEVICE_PASS && (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__AVX__)
  double q;
  __asm__("vdivsd %2, %1, %0" : "=x"(q) : "x"(a), "x"(b));
  return {true, q};
#elif !PRECSIM_DEVICE_PASS && (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
  __asm__("divsd %1, %0" : "+x"(a) : "x"(b));
  return {true, a};
#elif !PRECSIM_DEVICE_PASS && (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
  double q;
  __asm__("fdiv %d0, %d1, %d2" : "=w"(q) : "w"(a), "w"(b));
  return {true, q};
#else
  (void)a, (void)b;
  return {false, 0};
#endif
}
PRECSIM_HD PRECSIM_INLINE ieee_result ieee_sqrt(double a) noexcept {
#if !PRECSIM_DEVICE_PASS && (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__AVX__)
  double s;
  __asm__("vsqrtsd %1, %1, %0" : "=x"(s) : "x"(a));
  return {true, s};
#elif !PRECSIM_DEVICE_PASS && (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
  __asm__("sqrtsd %0, %0" : "+x"(a));
  return {true, a};
#elif !PRECSIM_DEVICE_PASS && (defined(__GNUC__) || defined(__clang__)) && defined(__aarch64__)
  double s;
  __asm__("fsqrt %d0, %d1" : "=w"(s) : "w"(a));
  return {true, s};
#else
  (void)a;
  return {false, 0};
#endif
}

// Significands of at most 26 bits (the low 27 fraction bits clear; always so for the operands of
// formats of precision <= 26).
PRECSIM_HD PRECSIM_INLINE constexpr bool short_significand(double x) noexcept {
  return (bit_cast<std::uint64_t>(x) & ((std::uint64_t{1} << 27) - 1)) == 0;
}

// Round to nearest even of a quotient or root of operands with <= 26-bit significands, to a
// format of nearest_in_bits (precision t <= 23), straight from the double result: double rounding
// is innocuous there. It can only go wrong where the double result is a midpoint M of the
// format's grid (t + 1 bits) that the exact z is not; but |z - M| = |a - M b| / |b| >=
// 2^(e_M - t - 27) for a quotient and |a - M^2| / (z + M) >= 2^(e_M - max(2t, 26) - 2) for a
// root, both above half a double unit 2^(e_M - 53) (t <= 23), so z = M or the double is no
// midpoint. Needs tame operands (no double underflow) and a correctly rounded double: ieee_*.
PRECSIM_HD PRECSIM_INLINE constexpr bool innocuous_nearest(const float_format& f, const rounding& r) noexcept {
  return r.mode == round_mode::nearest_even && nearest_in_bits(f);
}

// x87 excess precision breaks TwoSum: exact path only. (Optimisation flags cannot: TwoSum's
// terms pass through opaque(), the quotient and root are checked, every test is on bits.)
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD != 0
inline constexpr bool fast_path_enabled = false;
#else
inline constexpr bool fast_path_enabled = true;
#endif

// Where the fast path may run: host code outside constant evaluation.
PRECSIM_HD PRECSIM_INLINE constexpr bool fast_path_usable() noexcept {
#if PRECSIM_DEVICE_PASS
  return false;
#else
  return fast_path_enabled && !std::is_constant_evaluated();
#endif
}

// Values: Nearest, and a and b are values of f (the value types' + and -; nearest_in_bits, so
// precision p <= 23). Then TwoSum's error term cannot change the result, and is not computed.
// It could only where the double sum s is a midpoint of f's grid (or the overflow threshold,
// one too) that a + b is not: a boundary strictly between a + b and s would be a double nearer
// to a + b than s. But if a + b needs more than 53 bits, |b| <= |a| lies below 2^(e - 53 + p)
// (e: s's binade), so s is within 2^(e - 52 + p) of a, a value of f, while a midpoint in binade
// e lies 2^(e - p) from every value: p <= 25 rules that out. (Below f's min normal every sum of
// two values is exact: a multiple of the quantum below 2^(emin + 1).)
template <bool Nearest = false, bool Values = false>
PRECSIM_HD PRECSIM_INLINE constexpr fast_result fast_add(
    double a, double b, const float_format& f, const rounding& r, std::uint64_t random) noexcept {
  // Tests and arithmetic on opaque copies: where a compiler sees a == 0 it may (under
  // -fno-signed-zeros) replace a by +0 in the exact path that follows.
  if (!fast_path_usable()) return {false, 0};
  a = opaque(a), b = opaque(b);
  // (x + 0 = x goes through TwoSum exactly; 0 + 0 takes the mode's sign rule on the exact path)
  if (!tame(a) || !tame(b) || (is_zero(a) && is_zero(b))) return {false, 0};
  const double s = opaque(a + b);
  if (is_zero(s)) return {false, 0};  // exact cancellation: the exact path picks the zero's sign
  if constexpr (Values) {
    static_assert(Nearest);
    return finish_fast<Nearest>(s, 0, f, r, random);
  }
  const double bb = opaque(s - a);     // TwoSum (Knuth): s + err == a + b exactly
  const double err = opaque(a - opaque(s - bb)) + opaque(b - bb);  // each step on opaque terms
  return finish_fast<Nearest>(s, err == 0 ? 0 : (err > 0) == (s > 0) ? 1 : -1, f, r, random);
}

// Values: a and b are values of f, of precision <= 26 (the value types' *), so short_significand
// holds for both.
template <bool Nearest = false, bool Values = false>
PRECSIM_HD PRECSIM_INLINE constexpr fast_result fast_mul(
    double a, double b, const float_format& f, const rounding& r, std::uint64_t random) noexcept {
  if (!fast_path_usable()) return {false, 0};
  a = opaque(a), b = opaque(b);  // as in fast_add
  if (!tame(a) || !tame(b)) return {false, 0};
  if (is_zero(a) || is_zero(b)) return {true, zero_code(f, ((bit_cast<std::uint64_t>(a) ^ bit_cast<std::uint64_t>(b)) >> 63) != 0)};
  const double p = a * b;
  // short significands multiply exactly in double
  if (Values || (short_significand(a) && short_significand(b))) return finish_fast<Nearest>(p, 0, f, r, random);
  return finish_fast<Nearest>(p, -compare_product(p, a, b), f, r, random);
}

template <bool Nearest = false>
PRECSIM_HD PRECSIM_INLINE constexpr fast_result fast_div(
    double a, double b, const float_format& f, const rounding& r, std::uint64_t random) noexcept {
  if (!fast_path_usable()) return {false, 0};
  a = opaque(a), b = opaque(b);  // as in fast_add
  if (!tame(a) || !tame(b) || is_zero(b)) return {false, 0};
  if (is_zero(a)) return {true, zero_code(f, ((bit_cast<std::uint64_t>(a) ^ bit_cast<std::uint64_t>(b)) >> 63) != 0)};
  if (r.mode == round_mode::stochastic && nearest_in_bits(f) && short_significand(a) && short_significand(b))
    return stochastic_quotient(a, b, f, r, random);
  if (innocuous_nearest(f, r) && short_significand(a) && short_significand(b)) {
    const ieee_result q = ieee_div(a, b);
    if (q.ok) return nearest_from_bits(bit_cast<std::uint64_t>(q.v), f);
  }
  const double q = a / b;
  // The exact quotient must lie between q and its neighbour (-freciprocal-math may be a unit off).
  const int dir = compare_product(a, q, b);
  if (dir != 0 && compare_product(a, step_magnitude(q, dir > 0), b) != -dir) return {false, 0};
  return finish_fast<Nearest>(q, dir, f, r, random);
}

template <bool Nearest = false>
PRECSIM_HD PRECSIM_INLINE constexpr fast_result fast_sqrt(double a, const float_format& f,
                                                          const rounding& r,
                                                          std::uint64_t random) noexcept {
#if PRECSIM_DEVICE_PASS
  (void)a, (void)f, (void)r, (void)random;
  return {false, 0};
#else
  if (!fast_path_usable()) return {false, 0};
  a = opaque(a);  // as in fast_add
  if ((detail::bit_cast<std::uint64_t>(a) >> 63) || is_zero(a) || !tame(a)) return {false, 0};
  if (innocuous_nearest(f, r) && short_significand(a)) {
    const ieee_result q = ieee_sqrt(a);
    if (q.ok) return nearest_from_bits(bit_cast<std::uint64_t>(q.v), f);
  }
  const double s = std::sqrt(a);
  // Sign of sqrt(a) - s, and sqrt(a) between s and its neighbour (as for the quotient).
  const int dir = compare_product(a, s, s);
  if (dir != 0 && compare_product(a, step_magnitude(s, dir > 0), step_magnitude(s, dir > 0)) != -dir)
    return {false, 0};
  return finish_fast<Nearest>(s, dir, f, r, random);
#endif
}


// a * b + c where the product is exact in double (short significands, tame): the sum's fast path.
template <bool Nearest = false>
PRECSIM_HD PRECSIM_INLINE constexpr fast_result fast_fma(
    double a, double b, double c, const float_format& f, const rounding& r, std::uint64_t random) noexcept {
  if (!fast_path_usable()) return {false, 0};
  a = opaque(a), b = opaque(b);  // as in fast_add
  if (!tame(a) || !tame(b) || is_zero(a) || is_zero(b) || !short_significand(a) || !short_significand(b))
    return {false, 0};
  return fast_add<Nearest>(a * b, c, f, r, random);  // (fast_add checks that the product is tame)
}

}  // namespace detail

// a + b rounded to f, once, from the exact sum (encode's conventions: `random` is used by
// stochastic rounding only).
PRECSIM_HD PRECSIM_INLINE constexpr std::uint64_t rounded_add(
    double a, double b, const float_format& f, const rounding& r = {},
    std::uint64_t random = 0) noexcept {
  const detail::fast_result x = detail::fast_add(a, b, f, r, random);
  return x.ok ? x.code : detail::exact_rounded_add(a, b, f, r, random);
}
PRECSIM_HD PRECSIM_INLINE constexpr std::uint64_t rounded_sub(
    double a, double b, const float_format& f, const rounding& r = {},
    std::uint64_t random = 0) noexcept {
  return rounded_add(a, detail::negate(b), f, r, random);
}
PRECSIM_HD PRECSIM_INLINE constexpr std::uint64_t rounded_mul(
    double a, double b, const float_format& f, const rounding& r = {},
    std::uint64_t random = 0) noexcept {
  const detail::fast_result x = detail::fast_mul(a, b, f, r, random);
  return x.ok ? x.code : detail::exact_rounded_mul(a, b, f, r, random);
}
PRECSIM_HD PRECSIM_INLINE constexpr std::uint64_t rounded_div(
    double a, double b, const float_format& f, const rounding& r = {},
    std::uint64_t random = 0) noexcept {
  const detail::fast_result x = detail::fast_div(a, b, f, r, random);
  return x.ok ? x.code : detail::exact_rounded_div(a, b, f, r, random);
}
PRECSIM_HD PRECSIM_INLINE constexpr std::uint64_t rounded_sqrt(
    double a, const float_format& f, const rounding& r = {}, std::uint64_t random = 0) noexcept {
  const detail::fast_result x = detail::fast_sqrt(a, f, r, random);
  return x.ok ? x.code : detail::exact_rounded_sqrt(a, f, r, random);
}
// a * b + c with one rounding.
PRECSIM_HD PRECSIM_INLINE constexpr std::uint64_t rounded_fma(
    double a, double b, double c, const float_format& f, const rounding& r = {},
    std::uint64_t random = 0) noexcept {
  const detail::fast_result x = detail::fast_fma(a, b, c, f, r, random);
  return x.ok ? x.code : detail::exact_rounded_fma(a, b, c, f, r, random);
}

PRECSIM_END_CONFIG
}  // namespace precsim
