// Splitting float / double inputs into exact integer parts for the rounding core.
#pragma once

#include <cstdint>

#include "../config.hpp"
#include "wide.hpp"

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

enum class input_class : std::uint8_t { finite, zero, inf, nan };

// A float or double taken apart. For finite nonzero x:
//   |x| = sig * 2^(exp - 52),  2^52 <= sig < 2^53   (subnormal inputs are normalized)
// and ulp_exp is the exponent of the input type's unit in the last place at x, which is what
// "as many random bits as the rounding discards" counts from.
// For NaN, payload holds the payload bits below the quiet bit, left-aligned in 64 bits.
//
// Exact arithmetic results use the same shape with a 128-bit significand (basic_decomposed<u128>,
// |x| = sig * 2^(exp - 127), bit 127 set), where a set bit 0 may stand for nonzero bits further
// down (round to odd: enough for every rounding mode while 66+ bits below the result's last
// place stay exact).
template <class Sig>
struct basic_decomposed {
  input_class cls;
  bool neg;
  int exp;
  int ulp_exp;
  Sig sig;
  std::uint64_t payload;
};
using decomposed = basic_decomposed<std::uint64_t>;
using wide_decomposed = basic_decomposed<u128>;

// Position of the leading significand bit.
template <class Sig> inline constexpr int sig_top = 52;
template <> inline constexpr int sig_top<u128> = 127;

// Common to both IEEE binary input types: Bits the storage word, M fraction bits, bias B.
template <class Bits, int M, int B>
PRECSIM_HD PRECSIM_INLINE constexpr decomposed decompose_ieee(Bits bits) noexcept {
  constexpr int width = int(sizeof(Bits)) * 8;
  const bool neg = (bits >> (width - 1)) != 0;
  const int field = int((bits >> M) & ((Bits{1} << (width - 1 - M)) - 1));
  const std::uint64_t frac = std::uint64_t(bits) & low_mask(M);
  constexpr int max_field = (1 << (width - 1 - M)) - 1;
  if (field == max_field) {
    if (frac == 0) return {input_class::inf, neg, 0, 0, 0, 0};
    const std::uint64_t payload = M > 1 ? (frac & low_mask(M - 1)) << (64 - (M - 1)) : 0;
    return {input_class::nan, neg, 0, 0, 0, payload};
  }
  if (field == 0) {
    if (frac == 0) return {input_class::zero, neg, 0, 0, 0, 0};
    const int lead = 63 - countl_zero(frac);  // subnormal: frac * 2^(1 - B - M)
    return {input_class::finite, neg, 1 - B - M + lead, 1 - B - M, frac << (52 - lead), 0};
  }
  const int e = field - B;
  return {input_class::finite, neg, e, e - M, (frac | (std::uint64_t{1} << M)) << (52 - M), 0};
}

PRECSIM_HD constexpr decomposed decompose(float x) noexcept {
  return decompose_ieee<std::uint32_t, 23, 127>(bit_cast<std::uint32_t>(x));
}
PRECSIM_HD constexpr decomposed decompose(double x) noexcept {
  return decompose_ieee<std::uint64_t, 52, 1023>(bit_cast<std::uint64_t>(x));
}

// sig * 2^e as a double; the caller guarantees the value is exactly representable.
PRECSIM_HD PRECSIM_INLINE constexpr double compose_double(bool neg, std::uint64_t sig, int e) noexcept {
  const std::uint64_t sign = neg ? std::uint64_t{1} << 63 : 0;
  if (sig == 0) return bit_cast<double>(sign);
  const int lead = 63 - countl_zero(sig);
  const int exp = e + lead;  // |value| in [2^exp, 2^(exp+1))
  if (exp >= -1022) {
    const std::uint64_t frac = lead <= 52 ? sig << (52 - lead) : sig >> (lead - 52);
    return bit_cast<double>(sign | (std::uint64_t(exp + 1023) << 52) | (frac & low_mask(52)));
  }
  return bit_cast<double>(sign | (sig << (e + 1074)));  // subnormal double: sig * 2^-1074 units
}

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
