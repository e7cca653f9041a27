// A portable constexpr 128-bit unsigned integer with just the operations the exact arithmetic
// and the rounding core need. Written out (not unsigned __int128) so that one code path serves
// every compiler, constant evaluation and CUDA device code.
#pragma once

#include <cstdint>

#include "../config.hpp"

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

struct u128 {
  std::uint64_t hi = 0, lo = 0;
  friend constexpr bool operator==(const u128&, const u128&) = default;
};

PRECSIM_HD constexpr bool operator<(const u128& a, const u128& b) noexcept {
  return a.hi != b.hi ? a.hi < b.hi : a.lo < b.lo;
}
PRECSIM_HD constexpr bool operator>=(const u128& a, const u128& b) noexcept { return !(a < b); }
PRECSIM_HD constexpr u128 operator+(const u128& a, const u128& b) noexcept {
  const std::uint64_t lo = a.lo + b.lo;
  return {a.hi + b.hi + (lo < a.lo ? 1 : 0), lo};
}
PRECSIM_HD constexpr u128 operator-(const u128& a, const u128& b) noexcept {
  return {a.hi - b.hi - (a.lo < b.lo ? 1 : 0), a.lo - b.lo};
}
PRECSIM_HD constexpr u128 operator|(const u128& a, const u128& b) noexcept {
  return {a.hi | b.hi, a.lo | b.lo};
}

// The helpers below are overloaded for std::uint64_t too, so that the rounding core can be
// written once for 53-bit (double input) and 128-bit (exact result) significands.

// x >> n, 0 when n >= width.
PRECSIM_HD constexpr std::uint64_t shr(std::uint64_t x, int n) noexcept {
  return n >= 64 ? 0 : x >> n;
}
PRECSIM_HD constexpr u128 shr(const u128& x, int n) noexcept {
  if (n == 0) return x;
  if (n >= 128) return {};
  if (n >= 64) return {0, x.hi >> (n - 64)};
  return {x.hi >> n, (x.lo >> n) | (x.hi << (64 - n))};
}
// x << n for 0 <= n < 128.
PRECSIM_HD constexpr u128 shl(const u128& x, int n) noexcept {
  if (n == 0) return x;
  if (n >= 64) return {x.lo << (n - 64), 0};
  return {(x.hi << n) | (x.lo >> (64 - n)), x.lo << n};
}
// The low n bits of x (all of x when n >= width).
PRECSIM_HD constexpr std::uint64_t low_bits(std::uint64_t x, int n) noexcept {
  return x & low_mask(n);
}
PRECSIM_HD constexpr u128 low_bits(const u128& x, int n) noexcept {
  if (n >= 128) return x;
  if (n >= 64) return {x.hi & low_mask(n - 64), x.lo};
  return {0, x.lo & low_mask(n)};
}
PRECSIM_HD constexpr bool test_bit(std::uint64_t x, int n) noexcept {
  return n < 64 && ((x >> n) & 1);
}
PRECSIM_HD constexpr bool test_bit(const u128& x, int n) noexcept {
  return n < 64 ? ((x.lo >> n) & 1) != 0 : n < 128 && ((x.hi >> (n - 64)) & 1) != 0;
}
PRECSIM_HD constexpr bool nonzero(std::uint64_t x) noexcept { return x != 0; }
PRECSIM_HD constexpr bool nonzero(const u128& x) noexcept { return (x.hi | x.lo) != 0; }
// The low 64 bits.
PRECSIM_HD constexpr std::uint64_t low64(std::uint64_t x) noexcept { return x; }
PRECSIM_HD constexpr std::uint64_t low64(const u128& x) noexcept { return x.lo; }

PRECSIM_HD constexpr int countl_zero(const u128& x) noexcept {
  return x.hi ? countl_zero(x.hi) : 64 + countl_zero(x.lo);
}

// Full 64 x 64 -> 128-bit product, from 32-bit halves.
PRECSIM_HD constexpr u128 mul64(std::uint64_t a, std::uint64_t b) noexcept {
  const std::uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32, b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
  const std::uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const std::uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
  return {p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32), (mid << 32) | (p00 & 0xFFFFFFFFu)};
}

// floor((u1 * 2^64 + u0) / v) and the remainder, for v with its top bit set and u1 < v (so the
// quotient fits in 64 bits): two steps of schoolbook division in 32-bit digits (Knuth D).
PRECSIM_HD constexpr std::uint64_t div128(std::uint64_t u1, std::uint64_t u0, std::uint64_t v,
                                          std::uint64_t& rem) noexcept {
  constexpr std::uint64_t b = std::uint64_t{1} << 32;
  const std::uint64_t vn1 = v >> 32, vn0 = v & 0xFFFFFFFFu;
  const std::uint64_t un1 = u0 >> 32, un0 = u0 & 0xFFFFFFFFu;
  // Each digit estimate from the top digits is at most 2 too large; correct it down.
  auto digit = [&](std::uint64_t top, std::uint64_t next) {
    std::uint64_t q = top / vn1, rhat = top - q * vn1;
    while (q >= b || q * vn0 > b * rhat + next) {
      --q;
      rhat += vn1;
      if (rhat >= b) break;
    }
    return q;
  };
  const std::uint64_t q1 = digit(u1, un1);
  const std::uint64_t u21 = u1 * b + un1 - q1 * v;  // < v, exact modulo 2^64
  const std::uint64_t q0 = digit(u21, un0);
  rem = u21 * b + un0 - q0 * v;
  return q1 * b + q0;
}

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
