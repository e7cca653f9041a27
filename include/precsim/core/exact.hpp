// Exact results of + * / sqrt and fused multiply-add on finite nonzero doubles, as 128-bit
// significands (wide_decomposed) for the rounding core. Each result is exact, or truncated with
// its last bit forced to 1 (round to odd) at 125+ significant bits: at least 70 exact bits below
// any format's last place (precision <= 53), so every mode rounds it like the exact value,
// stochastic rounding with up to 64 random bits included. Division and sqrt are never exact
// in double for most operands, so this, not "compute in double, round again", is the default.
#pragma once

#include <cstdint>

#include "../config.hpp"
#include "decompose.hpp"
#include "wide.hpp"

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

// For stochastic rounding's "as many random bits as the rounding discards": an exact result has
// no last place of its own, so the count is capped at 64 (ulp far below any result).
inline constexpr int exact_ulp_exp = -(1 << 20);

PRECSIM_HD constexpr wide_decomposed make_wide(bool neg, int exp, const u128& sig) noexcept {
  return {input_class::finite, neg, exp, exact_ulp_exp, sig, 0};
}
// A finite nonzero double, widened: 53 significant bits at the top of 128.
PRECSIM_HD constexpr wide_decomposed widen(const decomposed& a) noexcept {
  return make_wide(a.neg, a.exp, shl(u128{0, a.sig}, 75));
}

// a * b, exact (106 significant bits).
PRECSIM_HD constexpr wide_decomposed exact_mul(const decomposed& a, const decomposed& b) noexcept {
  u128 p = mul64(a.sig << 11, b.sig << 11);  // in [2^126, 2^128)
  int e = a.exp + b.exp;
  if (test_bit(p, 127)) ++e;
  else p = shl(p, 1);
  return make_wide(a.neg != b.neg, e, p);
}

// x + y for exact x, y with at most 126 significant bits (doubles, products of doubles). The
// result has cls zero on exact cancellation (the caller picks the sign of that zero).
PRECSIM_HD constexpr wide_decomposed exact_add(wide_decomposed x, wide_decomposed y) noexcept {
  if (x.exp < y.exp || (x.exp == y.exp && x.sig < y.sig)) {
    const wide_decomposed t = x;
    x = y;
    y = t;
  }
  // |x| >= |y|. Both move to bit 126 (room for a carry; exact by the 126-bit bound), then y
  // aligns to x. Bits shifted out of y become a sticky bit; with d >= 2 the result keeps 125+
  // bits, and d < 2 shifts out nothing.
  const int d = x.exp - y.exp;
  const u128 xs = shr(x.sig, 1);
  u128 ys = shr(y.sig, 1);
  const bool sticky = d > 0 && nonzero(low_bits(ys, d));
  ys = shr(ys, d);
  u128 s;
  if (x.neg == y.neg) {
    s = xs + ys;
  } else {
    // x - (ys + f) with 0 < f < 1 truncates to x - ys - 1 (then forced odd below).
    s = xs - ys;
    if (sticky) s = s - u128{0, 1};
  }
  if (!nonzero(s)) return {input_class::zero, false, 0, exact_ulp_exp, {}, 0};
  const int lz = countl_zero(s);
  s = shl(s, lz);
  if (sticky) s = s | u128{0, 1};
  return make_wide(x.neg, x.exp + 1 - lz, s);
}

// a / b, 128 quotient bits and the remainder as the sticky bit.
PRECSIM_HD constexpr wide_decomposed exact_div(const decomposed& a, const decomposed& b) noexcept {
  std::uint64_t num = a.sig << 11;
  const std::uint64_t den = b.sig << 11;  // top bit set, as div128 needs
  int e = a.exp - b.exp;
  const bool ge = num >= den;               // quotient in [1, 2): one more integer bit
  if (ge) num -= den;
  else --e;
  std::uint64_t rem = 0;
  const std::uint64_t q1 = div128(num, 0, den, rem);
  const std::uint64_t q0 = div128(rem, 0, den, rem);
  u128 q{q1, q0};  // floor(num * 2^128 / den)
  bool sticky = rem != 0;
  if (ge) {  // 2^127 + q / 2
    sticky = sticky || (q0 & 1);
    q = shr(q, 1) | u128{std::uint64_t{1} << 63, 0};
  }
  if (sticky) q = q | u128{0, 1};
  return make_wide(a.neg != b.neg, e, q);
}

// sqrt(a) for a > 0: 125 root bits, digit by digit, the remainder as the sticky bit.
PRECSIM_HD constexpr wide_decomposed exact_sqrt(const decomposed& a) noexcept {
  // |a| = sig * 2^(exp - 52). With k = 196 + (exp odd) the radicand N = sig * 2^k lies in
  // [2^248, 2^250) and exp - 52 - k is even, so sqrt(a) = sqrt(N) * 2^((exp - 52 - k) / 2)
  // with floor(sqrt(N)) in [2^124, 2^125).
  const int k = 196 + (a.exp & 1);
  const int half = (a.exp - 52 - k) / 2;
  u128 root{}, rem{};
  for (int i = 124; i >= 0; --i) {
    // The next two radicand bits, 2i+1 and 2i: only the 53 bits of sig starting at bit k are set.
    const int lo = 2 * i - k;
    const std::uint64_t pair = lo >= 53 ? 0
                               : lo >= 0 ? (a.sig >> lo) & 3
                               : lo == -1 ? (a.sig & 1) << 1
                                          : 0;
    rem = shl(rem, 2) | u128{0, pair};
    const u128 trial = shl(root, 2) | u128{0, 1};
    root = shl(root, 1);
    if (rem >= trial) {
      rem = rem - trial;
      root = root | u128{0, 1};
    }
  }
  root = shl(root, 3);
  if (nonzero(rem)) root = root | u128{0, 1};
  return make_wide(false, half + 124, root);
}

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
