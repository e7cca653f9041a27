// The bulk rounding kernel: the scalar core's algorithm (core/round.hpp) restated branch-free on
// W lanes of 32-bit integers, for float inputs. Written once with GCC/Clang vector extensions
// and compiled per instruction set by simd/dispatch.hpp (W = 4 portable, 8 AVX2, 16 AVX-512).
// Every result is checked bit-for-bit against the scalar core by tests/test_bulk.cpp.
//
// Only formats whose values are all float-representable and whose rounding can be read off a
// float's 24-bit significand take this path (kernel_params::eligible); the others use the
// scalar core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../core/round.hpp"
#include "../random.hpp"

// GCC/Clang vector extensions; not under nvcc, whose front end lacks vector conditionals (CUDA
// translation units get the scalar path on the host).
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__CUDACC__)
#define PRECSIM_VECTOR_KERNELS 1
#else
#define PRECSIM_VECTOR_KERNELS 0
#endif
// The fast path sets the SSE rounding mode (MXCSR) for its float additions.
#if PRECSIM_VECTOR_KERNELS && defined(__x86_64__)
#define PRECSIM_FAST_PATH 1
#else
#define PRECSIM_FAST_PATH 0
#endif

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

// Per-call constants: the format and rounding options turned into lane values. Masks are
// all-ones or zero; [0] is for positive, [1] for negative lanes.
struct kernel_params {
  bool eligible = false;
  round_mode mode = round_mode::nearest_even;
  std::int32_t m = 0, emin = 0, code_bias = 0, shift0 = 0, random_bits = 32;
  std::uint32_t flush = 0, no_zero = 0, true_exp = 0, is_unsigned = 0;
  std::uint32_t max_mag = 0, mag_mask = 0, sign_bit = 0, keep_zero_sign = 0, frac_mask = 0;
  std::uint32_t variant_b = 0, variant_c = 0;
  std::uint32_t ovf_code[2]{}, inf_code[2]{}, nan_code[2]{}, uneg_code = 0, uneg_zero = 0;
  std::uint32_t nan_payload = 0;
  // float bits of decoded values, for fake quantization and decode
  std::uint32_t ovf_val[2]{}, inf_val[2]{}, zero_val[2]{}, uneg_val = 0;
  std::uint32_t val_offset = 0, sub_adjust = 0, subnormal_field = 0;
  // fast path (x86): rounding in the float's own bit pattern, see fast_round
  bool fast = false, fast_sr = false;
  std::uint32_t fast_lowm = 0, fast_min_normal = 0, fast_max = 0, fast_magic = 0, fast_csr = 0;
  std::int32_t fast_sr_shift0 = 0;
  // decode: NaN magnitudes nan_lo..nan_hi (only with the sign bit set if nan_neg_only); inf_mag
  std::uint32_t nan_lo = 1, nan_hi = 0, nan_neg_only = 0, nan_keep_sign = 0, inf_mag = ~0u;
};

inline std::uint32_t float_bits_of(double v) noexcept { return bit_cast<std::uint32_t>(to_float(v)); }

inline kernel_params make_kernel_params(const float_format& f, const rounding& r) noexcept {
  kernel_params p;
  const int m = f.mantissa_bits, emin = min_exponent(f);
  // Eligible: a float's significand holds every rounding decision (m <= 23), every value of the
  // format is a float (exponents -126 - 23 .. 127), and the value can be rebuilt from the code
  // with integer steps (see value_from_mag).
  const bool subnormal_values_normal = emin - m >= -126 || f.bias == 127;
  const bool no_zero_ok = f.subnormals != subnormal_mode::no_zero || f.bias <= 126 ||
                          (f.bias == 127 && m == 0);
  p.eligible = m <= 23 && storage_bits(f) <= 32 && max_exponent(f) <= 127 && f.bias <= 127 &&
               emin - m >= -149 && (!has_subnormals(f) || subnormal_values_normal) &&
               no_zero_ok && (r.mode != round_mode::stochastic || bulk_random_bits<float>(r) <= 32);
  if (!p.eligible) return p;

  const auto mask = [](bool b) { return b ? ~0u : 0u; };
  p.mode = r.mode;
  p.m = m;
  p.emin = emin;
  p.code_bias = f.bias - 1;
  p.shift0 = 150 - m;
  p.random_bits = bulk_random_bits<float>(r);
  p.flush = mask(f.subnormals == subnormal_mode::flush);
  p.no_zero = mask(f.subnormals == subnormal_mode::no_zero);
  // Float subnormals sit in binade -126 by their field; where that binade is a format's lowest
  // normal one and nothing (flush) or normal codes (no zero) lie below it, the true exponent counts.
  p.true_exp = mask(emin < -126 || (emin == -126 && f.subnormals != subnormal_mode::gradual));
  p.is_unsigned = mask(!f.is_signed);
  p.max_mag = std::uint32_t(max_finite_code(f));
  p.mag_mask = std::uint32_t(low_mask(f.exponent_bits + m));
  p.sign_bit = std::uint32_t(sign_code(f, true));
  p.keep_zero_sign = mask(has_negative_zero(f) || !has_zero(f));
  p.frac_mask = std::uint32_t(low_mask(m));
  p.variant_b = mask(r.variant == sr_variant::b);
  p.variant_c = mask(r.variant == sr_variant::c);

  // Special lanes take the scalar core's own answers, so the rules live in one place.
  for (int neg = 0; neg < 2; ++neg) {
    const float infinite = neg ? -__builtin_inff() : __builtin_inff();
    p.ovf_code[neg] = std::uint32_t(overflow_result(f, r, neg));
    p.inf_code[neg] = std::uint32_t(encode(infinite, f, r, 0));
    p.nan_code[neg] = std::uint32_t(nan_code(f, neg, 0));
    p.ovf_val[neg] = float_bits_of(decode(p.ovf_code[neg], f));
    p.inf_val[neg] = float_bits_of(decode(p.inf_code[neg], f));
    p.zero_val[neg] = float_bits_of(decode(neg ? sign_code(f, true) & p.keep_zero_sign : 0, f));
  }
  // Unsigned formats: every negative finite input that does not round to 0 gets one code (not
  // encode(-1): -1 itself may round to 0).
  p.uneg_code = r.saturate != saturation::none ? 0u : std::uint32_t(unsigned_negative_result(f, r, 1, false));
  p.uneg_zero = mask(has_zero(f));
  p.uneg_val = float_bits_of(decode(p.uneg_code, f));
  p.nan_payload = mask(f.specials == special_values::ieee);
  p.val_offset = std::uint32_t(127 - f.bias) << 23;
  p.sub_adjust = std::uint32_t(emin - m) << 23;
  p.subnormal_field = mask(has_subnormals(f) && f.bias != 127);

#if PRECSIM_FAST_PATH
  const bool fast_mode = r.mode == round_mode::nearest_even || r.mode == round_mode::toward_zero ||
                         r.mode == round_mode::toward_positive || r.mode == round_mode::toward_negative;
  const bool fast_format = m >= 1 && m <= 22 && f.is_signed && emin >= -126 &&
                           f.subnormals != subnormal_mode::no_zero;
  p.fast = fast_mode && fast_format;
  p.fast_sr = r.mode == round_mode::stochastic && p.random_bits == 32 && fast_format;
  if (fast_format) {
    const bool flush = f.subnormals == subnormal_mode::flush;
    p.fast_lowm = (1u << (23 - m)) - 1;
    p.fast_min_normal = std::uint32_t(emin + 127) << 23;
    p.fast_max = float_bits_of(max_finite(f));
    p.fast_magic = std::uint32_t((flush ? emin : emin - m) + 23 + 127) << 23;
    p.fast_sr_shift0 = (flush ? emin : emin - m) + 150;  // q - ulp exponent + max(E, 1)
    const unsigned rc = r.mode == round_mode::nearest_even      ? 0
                        : r.mode == round_mode::toward_negative ? 1
                        : r.mode == round_mode::toward_positive ? 2 : 3;
    p.fast_csr = 0x1F80u | rc << 13;  // all exceptions masked, no FTZ / DAZ
  }
#endif
  const std::uint32_t top = p.mag_mask;
  switch (f.specials) {
    case special_values::ieee:
      p.nan_lo = (std::uint32_t(low_mask(f.exponent_bits)) << m) + 1;
      p.nan_hi = top;
      p.nan_keep_sign = ~0u;
      p.inf_mag = p.nan_lo - 1;
      break;
    case special_values::nan_max:
      p.nan_lo = p.nan_hi = top;
      p.nan_keep_sign = ~0u;
      if (f.infinity) p.inf_mag = top - 1;
      break;
    case special_values::nan_negative_zero:
      p.nan_lo = p.nan_hi = 0;
      p.nan_neg_only = ~0u;
      if (f.infinity) p.inf_mag = top;
      break;
    case special_values::none: break;
  }
  return p;
}

#if PRECSIM_VECTOR_KERNELS

template <int W>
struct vec {
  typedef std::uint32_t u32 __attribute__((vector_size(4 * W)));
  typedef std::int32_t i32 __attribute__((vector_size(4 * W)));
  typedef std::uint64_t u64 __attribute__((vector_size(8 * W)));
  typedef float f32 __attribute__((vector_size(4 * W)));
  typedef std::uint8_t u8 __attribute__((vector_size(W)));
  typedef std::uint16_t u16 __attribute__((vector_size(2 * W)));
};

template <int W>
using i32_of = typename vec<W>::i32;

// Helpers take and give vectors by reference or inside structs: GCC warns (-Wpsabi) about wide
// vectors passed by value to functions compiled without that ISA, even always-inlined ones.
#define PRECSIM_LANES [[gnu::always_inline]] inline

// Philox4x32-10 on W consecutive counters (SoA): w[k] lane l = word k of block `first + l`.
template <int W>
struct philox_words {
  typename vec<W>::u32 w[4];
};
// The high halves of the 32x32-bit products x * m, portably. (GCC widens to 64-bit lanes and
// multiplies in full; the x86 levels pass a one-instruction version, see simd/dispatch.hpp.)
template <int W>
PRECSIM_LANES void mulhi_generic(const typename vec<W>::u32& x, std::uint32_t m, typename vec<W>::u32& hi) {
  using u64 = typename vec<W>::u64;
  hi = __builtin_convertvector((__builtin_convertvector(x, u64) * m) >> 32, typename vec<W>::u32);
}

template <int W, class Mulhi>
PRECSIM_LANES void philox_lanes(std::uint64_t first, const sr_stream& s, Mulhi mulhi, philox_words<W>& out) {
  using u32 = typename vec<W>::u32;
  u32 c0 = u32{} + std::uint32_t(first);
  for (int l = 0; l < W; ++l) c0[l] += std::uint32_t(l);
  u32 c1 = u32{} + std::uint32_t(first >> 32);  // blocks of one group share the high word
  u32 c2 = u32{} + std::uint32_t(s.stream);
  u32 c3 = u32{} + std::uint32_t(s.stream >> 32);
  std::uint32_t k0 = std::uint32_t(s.seed), k1 = std::uint32_t(s.seed >> 32);
  for (int round = 0; round < 10; ++round) {
    u32 hi0, hi1;
    mulhi(c0, philox_m0, hi0);
    mulhi(c2, philox_m1, hi1);
    const u32 lo0 = c0 * philox_m0, lo1 = c2 * philox_m1;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += philox_w0;
    k1 += philox_w1;
  }
  out.w[0] = c0;
  out.w[1] = c1;
  out.w[2] = c2;
  out.w[3] = c3;
}

// One vector of float inputs rounded: the code's magnitude, the sign (0/1) and the special-lane
// masks (all-ones where set).
template <int W>
struct rounded_lanes {
  typename vec<W>::u32 bits, mag, neg, nan, inf, uneg, ovf;
};

// Steps, per lane (names as in core/round.hpp):
//   a = |x| bits, E its exponent field; |x| = sig * 2^(max(E,1) - 150) with sig < 2^24
//   e = binade exponent (for float subnormals the true one, needed only where the format
//   reaches below 2^-126); quantum 2^q with q = max(e, emin) - m (flush below emin: emin)
//   shift = q - ulp exponent; s = sig >> shift
//   code_t = ((max(e, emin) + bias - 1) << m) + s: the truncated code. Adding the rounding
//   increment carries into the exponent field by itself, as in the scalar core; its low bit is
//   the "odd" of round-to-even and round-to-odd (also for m = 0)
//   mag = code_t + away (flush: away adds a whole min normal, 1 << m)
template <int W, round_mode Mode>
PRECSIM_LANES void round_lanes(const kernel_params& p, const typename vec<W>::u32& b,
                               const typename vec<W>::u32& random, rounded_lanes<W>& out) {
  using u32 = typename vec<W>::u32;
  using i32 = typename vec<W>::i32;
  const u32 a = b & 0x7FFFFFFFu;
  const u32 neg = b >> 31;
  const i32 E = i32(a >> 23);
  const i32 Eeff = E > 1 ? E : 1;
  const u32 sig = a - u32((Eeff - 1) << 23);
  i32 e = Eeff - 127;
  if (p.true_exp) {  // float subnormal: exponent of the leading bit, via an exact int->float
    const i32 lead = i32(u32(__builtin_convertvector(i32(a), typename vec<W>::f32)) >> 23) - 276;
    e = E == 0 ? lead : e;
  }
  const i32 below = e < p.emin;
  const i32 ebin = below ? p.emin : e;
  const i32 extra = below & int(p.flush) & p.m;
  const i32 shift = ebin - Eeff + p.shift0 + extra;
  const u32 sh = u32(shift < 31 ? shift : 31);
  const u32 unit_at = (u32{} + 1) << sh;
  const u32 lowm = unit_at - 1;
  const u32 s = sig >> sh;
  const u32 code_t = u32((ebin + p.code_bias) << p.m) + (s << u32(extra));
  const u32 inexact = u32((sig & lowm) != 0);

  u32 away;  // 0 or 1
  if constexpr (Mode == round_mode::nearest_even) {
    away = u32((sig & (unit_at >> 1)) != 0) & (u32((sig & (lowm >> 1)) != 0) | code_t) & 1;
  } else if constexpr (Mode == round_mode::nearest_away) {
    away = u32((sig & (unit_at >> 1)) != 0) & 1;
  } else if constexpr (Mode == round_mode::toward_zero) {
    away = u32{};
  } else if constexpr (Mode == round_mode::toward_positive) {
    away = inexact & ~neg & 1;
  } else if constexpr (Mode == round_mode::toward_negative) {
    away = inexact & neg;
  } else if constexpr (Mode == round_mode::to_odd) {
    away = inexact & ~code_t & 1;
  } else {
    // Stochastic (scalar: stochastic_away). rem = discarded bits; k = rem reduced to
    // n = random_bits bits by the variant's rule; away iff k + (random mod 2^n) >= 2^n.
    // Shift counts are clamped to 0..31: rem < 2^24, so larger counts change nothing.
    const u32 rem = sig & lowm;
    const i32 below_n = shift - p.random_bits;
    const i32 up = -below_n > 0 ? -below_n : 0, down = below_n > 0 ? below_n : 0;
    const i32 down1 = below_n > 1 ? below_n - 1 : 0;
    const u32 kl = rem << u32(up < 31 ? up : 31);  // below_n <= 0: exact, rem < 2^shift
    const u32 kr = rem >> u32(down < 31 ? down : 31);
    const u32 d1 = u32(down1 < 31 ? down1 : 31);
    const u32 rb = (rem >> d1) & 1;
    const u32 st = u32((rem & (((u32{} + 1) << d1) - 1)) != 0);
    const u32 bump = rb & (p.variant_b | (p.variant_c & (st | kr)));
    const u32 k = below_n > 0 ? kr + bump : kl;
    const std::uint32_t nmask = p.random_bits >= 32 ? ~0u : (1u << p.random_bits) - 1;
    const u32 rn = random & nmask;
    const u32 sum = k + rn;
    away = u32((sum < rn) | (sum > nmask)) & 1;  // carry out of n bits (n = 32: the u32 wrap)
  }
  (void)random;

  const u32 zero_in = u32(a == 0);
  out.bits = b;
  out.mag = (code_t + (away << u32(extra))) & ~(zero_in | (u32(below) & p.no_zero));
  out.neg = neg;
  out.nan = u32(a > 0x7F800000u);
  out.inf = u32(a == 0x7F800000u);
  out.uneg = u32(neg != 0) & ~zero_in & ~out.nan & ~out.inf & p.is_unsigned;
  out.ovf = u32(out.mag > p.max_mag);
}

template <int W>
PRECSIM_LANES void lanes_code(const kernel_params& p, const rounded_lanes<W>& r,
                              typename vec<W>::u32& code) {
  using u32 = typename vec<W>::u32;
  const i32_of<W> neg = i32_of<W>(r.neg) != 0;
  code = r.mag | (p.sign_bit & u32(neg) & (u32(r.mag != 0) | p.keep_zero_sign));
  code = r.ovf ? (neg ? p.ovf_code[1] : p.ovf_code[0]) : code;
  code = r.inf ? (neg ? p.inf_code[1] : p.inf_code[0]) : code;
  if (p.is_unsigned) code = r.uneg ? p.uneg_code & ~(u32(r.mag == 0) & p.uneg_zero) : code;
  const u32 nan = (neg ? p.nan_code[1] : p.nan_code[0]) |
                  (((r.bits & 0x7FFFFFu) >> (23 - p.m)) & p.nan_payload);
  code = r.nan ? nan : code;
}

// Float bits of the number with magnitude code `mag` and sign `neg`:
//   normal:    mag << (23 - m) puts the field where float's is; + (127 - bias) << 23 rebiases
//   subnormal: frac * 2^(emin - m) by an exact int->float conversion and an exponent add
//              (bias 127: float's own subnormals line up with the shifted code, no fix-up;
//              without a zero, field 0 holds normal numbers)
template <int W>
PRECSIM_LANES void lanes_value(const kernel_params& p, const typename vec<W>::u32& mag,
                               const typename vec<W>::u32& neg, typename vec<W>::u32& v) {
  using u32 = typename vec<W>::u32;
  const u32 vn = (mag << (23 - p.m)) + p.val_offset;
  const u32 vs = u32(__builtin_convertvector(i32_of<W>(mag & p.frac_mask), typename vec<W>::f32)) +
                 p.sub_adjust;
  const u32 sub = u32((mag >> p.m) == 0) & p.subnormal_field;
  v = (sub ? vs : vn) | (neg << 31);
  v = mag == 0 ? (neg != 0 ? p.zero_val[1] : p.zero_val[0]) : v;
}

// The special lanes of fake quantization over the numbers' float bits v.
template <int W>
PRECSIM_LANES void value_specials(const kernel_params& p, const rounded_lanes<W>& r,
                                  typename vec<W>::u32& v) {
  using u32 = typename vec<W>::u32;
  const i32_of<W> neg = i32_of<W>(r.neg) != 0;
  v = r.ovf ? (neg ? p.ovf_val[1] : p.ovf_val[0]) : v;
  v = r.inf ? (neg ? p.inf_val[1] : p.inf_val[0]) : v;
  if (p.is_unsigned) v = r.uneg ? p.uneg_val & ~(u32(r.mag == 0) & p.uneg_zero) : v;
  v = r.nan ? r.bits : v;  // NaN passes through, as in scalar quantize()
}

template <int W>
PRECSIM_LANES void lanes_fake_quant(const kernel_params& p, const rounded_lanes<W>& r,
                                    typename vec<W>::u32& v) {
  lanes_value<W>(p, r.mag, r.neg, v);
  value_specials<W>(p, r, v);
}

// Codes to float bits (scalar: float_bits_of(decode(code, f))).
template <int W>
PRECSIM_LANES void lanes_decode(const kernel_params& p, const typename vec<W>::u32& code,
                                typename vec<W>::u32& v) {
  using u32 = typename vec<W>::u32;
  const u32 neg = u32((code & p.sign_bit) != 0) & 1;
  const u32 mag = code & p.mag_mask;
  lanes_value<W>(p, mag, neg, v);
  const u32 flushed = u32((mag >> p.m) == 0) & p.flush;  // flush formats read 0.m as +-0
  v = flushed ? neg << 31 : v;
  const u32 nan = u32(mag >= p.nan_lo) & u32(mag <= p.nan_hi) & (u32(neg != 0) | ~p.nan_neg_only);
  const u32 nanv = ((neg << 31) & p.nan_keep_sign) | 0x7FC00000u |
                   (((mag & p.frac_mask) << (23 - p.m)) & p.nan_payload);
  v = mag == p.inf_mag ? (neg << 31) | 0x7F800000u : v;
  v = nan ? nanv : v;
}

template <int W, class T>
PRECSIM_LANES void store_lanes(T* out, const typename vec<W>::u32& v) {
  if constexpr (sizeof(T) == 4) {
    std::memcpy(out, &v, sizeof v);
  } else if constexpr (sizeof(T) == 2) {
    const auto n = __builtin_convertvector(v, typename vec<W>::u16);
    std::memcpy(out, &n, sizeof n);
  } else {
    static_assert(sizeof(T) == 1);  // via 16 bits: GCC 12 narrows 32 -> 8 bits lane by lane
    const auto n = __builtin_convertvector(__builtin_convertvector(v, typename vec<W>::u16), typename vec<W>::u8);
    std::memcpy(out, &n, sizeof n);
  }
}

template <int W, class T>
PRECSIM_LANES void load_lanes(const T* in, typename vec<W>::u32& v) {
  if constexpr (sizeof(T) == 4) {
    std::memcpy(&v, in, sizeof v);
  } else if constexpr (sizeof(T) == 2) {
    typename vec<W>::u16 n;
    std::memcpy(&n, in, sizeof n);
    v = __builtin_convertvector(n, typename vec<W>::u32);
  } else {
    static_assert(sizeof(T) == 1);
    typename vec<W>::u8 n;
    std::memcpy(&n, in, sizeof n);
    v = __builtin_convertvector(n, typename vec<W>::u32);
  }
}

// Per-element scaling around the rounding, for block formats: the input x of element i becomes
// x * pre_at(i) (divide: x / pre_at(i)) and, where post is given, a fake-quantized result r
// becomes r * post_at(i) (plus_zero: + 0, turning -0 into +0), rounded to nearest (the callers'
// floating-point environment). Element i's scale is pre[(first + i) >> shift]: shift 0 gives
// one scale per element; 2^shift >= 16 one per tile of 2^shift elements, where first and the
// span's first absolute index j are multiples of 16 (then no vector straddles two tiles);
// shift 63 one for all. Scaled = false compiles none of it.
struct lane_scales {
  const float* pre = nullptr;
  const float* post = nullptr;
  std::size_t first = 0;
  unsigned shift = 0;
  bool divide = false, plus_zero = false;

  lane_scales from(std::size_t i) const noexcept {
    lane_scales r = *this;
    r.first += i;
    return r;
  }
  float pre_at(std::size_t k) const noexcept { return pre[(first + k) >> shift]; }
  float post_at(std::size_t k) const noexcept { return post[(first + k) >> shift]; }
  // The same scales for a zero-padded copy: element lead + k of tpre / tpost is element k here.
  lane_scales copied(float* tpre, float* tpost, std::size_t lead, std::size_t count) const noexcept {
    for (std::size_t k = 0; k < count; ++k) {
      tpre[lead + k] = pre_at(k);
      if (post) tpost[lead + k] = post_at(k);
    }
    return {tpre, post ? tpost : nullptr, 0, 0, divide, plus_zero};
  }
};

template <int W>
PRECSIM_LANES void load_scales(const float* m, const lane_scales& at, typename vec<W>::f32& k) {
  if (at.shift == 0) std::memcpy(&k, m + at.first, sizeof k);
  else k = typename vec<W>::f32{} + m[at.first >> at.shift];
}
template <int W>
PRECSIM_LANES void pre_scale_lanes(const lane_scales& at, typename vec<W>::u32& x) {
  typename vec<W>::f32 v, k;
  std::memcpy(&v, &x, sizeof v);
  load_scales<W>(at.pre, at, k);
  v = at.divide ? v / k : v * k;
  std::memcpy(&x, &v, sizeof v);
}
template <int W>
PRECSIM_LANES void post_scale_lanes(const lane_scales& at, typename vec<W>::u32& y) {
  if (!at.post) return;
  typename vec<W>::f32 v, k;
  std::memcpy(&v, &y, sizeof v);
  load_scales<W>(at.post, at, k);
  v = v * k;
  if (at.plus_zero) v = v + 0.0f;
  std::memcpy(&y, &v, sizeof v);
}

#if PRECSIM_FAST_PATH
// Fake quantization for signed formats with m >= 1 in the modes the FPU has (nearest_even,
// toward_zero/positive/negative), the common case, in about a third of the general kernel's
// operations:
//   |x| >= min normal: round the float's bit pattern at bit 23 - m. Adding below the kept bits
//     carries into the exponent field exactly like the significand would (CPFloat's trick):
//       nearest_even: + (half - 1) + kept lsb     toward zero: + 0     away: + (2^(23-m) - 1)
//   |x| <  min normal: the quantum 2^(emin - m) (flush: 2^emin) is fixed: x + C - C with
//     C = +-2^(q + 23) rounds x to it in one float addition, in the mode set in MXCSR.
// |x| rounded, as float bits (beyond max finite where the rounding overflows).
// `opaque(v)` hides v from the optimizer (the level's register constraint): -ffast-math would
// fold (x + c) - c to x.
template <int W, round_mode Mode, class Opaque>
PRECSIM_LANES void fast_round(const kernel_params& p, const typename vec<W>::u32& b,
                              typename vec<W>::u32& r, Opaque opaque) {
  using u32 = typename vec<W>::u32;
  using f32 = typename vec<W>::f32;
  const u32 a = b & 0x7FFFFFFFu, sign = b & 0x80000000u;
  u32 rn;
  if constexpr (Mode == round_mode::nearest_even) {
    rn = (a + (p.fast_lowm >> 1) + ((a >> (23 - p.m)) & 1)) & ~p.fast_lowm;
  } else if constexpr (Mode == round_mode::toward_zero) {
    rn = a & ~p.fast_lowm;
  } else {
    const u32 away = Mode == round_mode::toward_positive ? u32(sign == 0) : u32(sign != 0);
    rn = (a + (away & p.fast_lowm)) & ~p.fast_lowm;
  }
  const f32 c = f32(sign | p.fast_magic);
  f32 t = f32(b) + c;
  opaque(t);
  const u32 rs = u32(t - c) & 0x7FFFFFFFu;
  r = i32_of<W>(a) < i32_of<W>(u32{} + p.fast_min_normal) ? rs : rn;
}

// Input bits b, rounded magnitude r -> the output: float bits (Out = float) or the code.
//   code of a rounded magnitude: field|frac = (r - (127 - bias) << 23) >> (23 - m) for normal
//   numbers (and every number when bias = 127); subnormals: r * 2^(m - emin) by an exponent
//   subtraction, then an exact float->int conversion.
template <int W, class Out>
PRECSIM_LANES void fast_finish(const kernel_params& p, const typename vec<W>::u32& b,
                               const typename vec<W>::u32& r, typename vec<W>::u32& y) {
  using u32 = typename vec<W>::u32;
  using f32 = typename vec<W>::f32;
  const u32 a = b & 0x7FFFFFFFu, sign = b & 0x80000000u;
  rounded_lanes<W> rl{};  // fast-path formats are signed: no unsigned-negative lanes, no mag read
  rl.bits = b;
  rl.neg = sign >> 31;
  rl.nan = u32(a > 0x7F800000u);
  rl.inf = u32(a == 0x7F800000u);
  rl.uneg = u32{};
  rl.ovf = u32(i32_of<W>(r) > i32_of<W>(u32{} + p.fast_max));
  if constexpr (std::is_floating_point_v<Out>) {
    y = r | (sign & (u32(r != 0) | p.keep_zero_sign));
    value_specials<W>(p, rl, y);
  } else {
    const u32 normal = (r - p.val_offset) >> (23 - p.m);
    const u32 subnormal = u32(i32_of<W>(r) < i32_of<W>(u32{} + p.fast_min_normal)) & p.subnormal_field;
    // Only subnormal lanes are converted (others would be out of int range: FE_INVALID).
    const u32 sub = u32(__builtin_convertvector(f32((r - p.sub_adjust) & subnormal), i32_of<W>));
    rl.mag = r == 0 ? u32{} : subnormal ? sub : normal;
    lanes_code<W>(p, rl, y);
  }
}

// Stochastic rounding with 32 random bits R: add R's top bits below the kept bits, then cut.
// Exact: with rem the `shift` discarded bits and k = rem << (32 - shift), k + R >= 2^32 iff
// rem + (R >> (32 - shift)) >= 2^shift.
//   |x| >= min normal: shift = 23 - m, in the float's bit pattern (as fast_round)
//   |x| <  min normal: shift = q - ulp(x) on the 24-bit significand; the result s * 2^q is
//     rebuilt as float bits like a subnormal code (value_from_mag's rule)
// Returns false when a nonzero lane has shift > 31 (|x| < 2^(q - 8)): the general kernel then
// reduces the discarded bits to 32 by the variant's rule.
template <int W>
PRECSIM_LANES bool fast_sr_round(const kernel_params& p, const typename vec<W>::u32& b,
                                 const typename vec<W>::u32& random, typename vec<W>::u32& r) {
  using u32 = typename vec<W>::u32;
  using i32 = i32_of<W>;
  const u32 a = b & 0x7FFFFFFFu;
  const u32 rn = (a + (random >> (9 + p.m))) & ~p.fast_lowm;
  const u32 low = u32(i32(a) < i32(u32{} + p.fast_min_normal));
  std::uint32_t any_low = 0;
  for (int l = 0; l < W; ++l) any_low |= low[l];
  if (!any_low) {
    r = rn;
    return true;
  }
  const i32 E = i32(a >> 23);
  const i32 Eeff = E > 1 ? E : 1;
  const i32 shift = p.fast_sr_shift0 - Eeff;
  const u32 tiny = low & u32(shift > 31) & u32(a != 0);
  std::uint32_t any_tiny = 0;
  for (int l = 0; l < W; ++l) any_tiny |= tiny[l];
  if (any_tiny) return false;
  const u32 sh = u32(low ? (shift < 31 ? shift : 31) : 1);
  const u32 sig = a - u32((Eeff - 1) << 23);
  const u32 q = (sig + (random >> (32 - sh))) >> sh;  // the rounded count of quanta
  u32 rs;
  if (p.flush) {
    rs = q != 0 ? u32{} + p.fast_min_normal : u32{};
  } else if (p.subnormal_field) {
    rs = q != 0 ? u32(__builtin_convertvector(i32(q), typename vec<W>::f32)) + p.sub_adjust : u32{};
  } else {  // bias 127: float subnormals line up with the code
    rs = q << (23 - p.m);
  }
  r = low ? rs : rn;
  return true;
}

// MXCSR for the fast path's float additions: the mode's rounding, no FTZ / DAZ, exceptions
// masked. Restoring it also drops the exception flags the additions raised.
struct scoped_mxcsr {
  unsigned saved = __builtin_ia32_stmxcsr();
  explicit scoped_mxcsr(unsigned csr) { __builtin_ia32_ldmxcsr((saved & ~0xFFC0u) | csr); }
  ~scoped_mxcsr() { __builtin_ia32_ldmxcsr(saved); }
};

template <int W, round_mode Mode, bool Scaled, class Out, class Opaque>
PRECSIM_LANES void fast_span(const kernel_params& params, const lane_scales& sc, const float* in, Out* out,
                             std::size_t n, Opaque opaque) {
  const kernel_params p = params;
  const scoped_mxcsr csr(p.fast_csr);
  typename vec<W>::u32 x, r, y;
  std::size_t i = 0;
  for (; i + W <= n; i += W) {
    load_lanes<W>(reinterpret_cast<const std::uint32_t*>(in) + i, x);
    if constexpr (Scaled) pre_scale_lanes<W>(sc.from(i), x);
    fast_round<W, Mode>(p, x, r, opaque);
    fast_finish<W, Out>(p, x, r, y);
    if constexpr (Scaled && std::is_floating_point_v<Out>) post_scale_lanes<W>(sc.from(i), y);
    store_lanes<W>(reinterpret_cast<std::conditional_t<std::is_floating_point_v<Out>, std::uint32_t, Out>*>(out) + i, y);
  }
  if (i < n) {
    std::uint32_t tin[W] = {};
    std::conditional_t<std::is_floating_point_v<Out>, std::uint32_t, Out> tout[W];
    std::memcpy(tin, in + i, (n - i) * sizeof(float));
    load_lanes<W>(tin, x);
    [[maybe_unused]] float tpre[W], tpost[W];
    [[maybe_unused]] lane_scales at{};
    if constexpr (Scaled) {
      std::fill_n(tpre, W, 1.0f);
      std::fill_n(tpost, W, 1.0f);
      at = sc.from(i).copied(tpre, tpost, 0, n - i);
      pre_scale_lanes<W>(at, x);
    }
    fast_round<W, Mode>(p, x, r, opaque);
    fast_finish<W, Out>(p, x, r, y);
    if constexpr (Scaled && std::is_floating_point_v<Out>) post_scale_lanes<W>(at, y);
    store_lanes<W>(tout, y);
    std::memcpy(out + i, tout, (n - i) * sizeof(Out));
  }
}
#endif

// Rounds one group of 64 consecutive elements with absolute indices j0 .. j0 + 63 (j0 % 64 == 0).
// Out = float: fake quantization; an unsigned integer type: codes.
template <int W, round_mode Mode, bool Scaled, class Out, class Mulhi>
PRECSIM_LANES void round_group(const kernel_params& p, const sr_stream& s, Mulhi mulhi,
                               std::uint64_t j0, const float* in, Out* out, const lane_scales& sc) {
  static_assert(16 % W == 0, "a vector must fit in one stripe of 16 indices");
  for (int h = 0; h < 16; h += W) {
    philox_words<W> rnd{};
    if constexpr (Mode == round_mode::stochastic)
      philox_lanes<W>(philox_counter_of(j0) + std::uint64_t(h), s, mulhi, rnd);
    for (int w = 0; w < 4; ++w) {
      const int i = 16 * w + h;
      typename vec<W>::u32 x, y;
      load_lanes<W>(reinterpret_cast<const std::uint32_t*>(in) + i, x);
      if constexpr (Scaled) pre_scale_lanes<W>(sc.from(std::size_t(i)), x);
#if PRECSIM_FAST_PATH
      if constexpr (Mode == round_mode::stochastic) {
        typename vec<W>::u32 rounded;
        if (p.fast_sr && fast_sr_round<W>(p, x, rnd.w[w], rounded)) {
          fast_finish<W, Out>(p, x, rounded, y);
          if constexpr (Scaled && std::is_floating_point_v<Out>) post_scale_lanes<W>(sc.from(std::size_t(i)), y);
          if constexpr (std::is_floating_point_v<Out>)
            store_lanes<W>(reinterpret_cast<std::uint32_t*>(out) + i, y);
          else
            store_lanes<W>(out + i, y);
          continue;
        }
      }
#endif
      rounded_lanes<W> r;
      round_lanes<W, Mode>(p, x, rnd.w[w], r);
      if constexpr (std::is_floating_point_v<Out>) {
        lanes_fake_quant<W>(p, r, y);
        if constexpr (Scaled) post_scale_lanes<W>(sc.from(std::size_t(i)), y);
        store_lanes<W>(reinterpret_cast<std::uint32_t*>(out) + i, y);
      } else {
        lanes_code<W>(p, r, y);
        store_lanes<W>(out + i, y);
      }
    }
  }
  (void)s;
  (void)mulhi;
}

// Elements in[0, n) with absolute indices j .. j + n - 1: whole groups in place, partial groups
// (a head before the first multiple of 64, the tail) through a zero-padded copy.
// Scaled: with lane_scales (sc.post only read for float outputs).
template <int W, round_mode Mode, bool Scaled, class Out, class Mulhi, class Opaque>
PRECSIM_LANES void round_span(const kernel_params& params, const sr_stream& stream, Mulhi mulhi,
                              [[maybe_unused]] Opaque opaque, std::uint64_t j, const float* in,
                              Out* out, std::size_t n, const lane_scales& sc = {}) {
  // Local copies: stores through `out` could alias the caller's objects and force a reload of
  // every parameter in every iteration.
#if PRECSIM_FAST_PATH
  // (The scaling must round to nearest: with scales, only nearest_even runs where MXCSR is set.)
  constexpr bool fast_mode = Mode == round_mode::nearest_even ||
                             (!Scaled && (Mode == round_mode::toward_zero || Mode == round_mode::toward_positive ||
                                          Mode == round_mode::toward_negative));
  if constexpr (fast_mode)
    if (params.fast) return fast_span<W, Mode, Scaled>(params, sc, in, out, n, opaque);
#endif
  const kernel_params p = params;
  const sr_stream s = stream;
  std::size_t i = 0;
  while (i < n) {
    const std::uint64_t g0 = (j + i) & ~std::uint64_t{63};
    const std::size_t lead = std::size_t(j + i - g0);
    if (lead == 0 && n - i >= 64) {
      round_group<W, Mode, Scaled>(p, s, mulhi, g0, in + i, out + i, sc.from(i));
      i += 64;
      continue;
    }
    const std::size_t count = n - i < 64 - lead ? n - i : 64 - lead;
    float tin[64] = {}, tpre[64], tpost[64];
    Out tout[64];
    std::memcpy(tin + lead, in + i, count * sizeof(float));
    lane_scales at{};
    if constexpr (Scaled) {
      std::fill_n(tpre, 64, 1.0f);
      std::fill_n(tpost, 64, 1.0f);
      at = sc.from(i).copied(tpre, tpost, lead, count);
    }
    round_group<W, Mode, Scaled>(p, s, mulhi, g0, tin, tout, at);
    std::memcpy(out + i, tout + lead, count * sizeof(Out));
    i += count;
  }
}


template <int W, class In>
PRECSIM_LANES void decode_span(const kernel_params& params, const In* in, float* out, std::size_t n) {
  const kernel_params p = params;
  std::size_t i = 0;
  typename vec<W>::u32 c, v;
  for (; i + W <= n; i += W) {
    load_lanes<W>(in + i, c);
    lanes_decode<W>(p, c, v);
    store_lanes<W>(reinterpret_cast<std::uint32_t*>(out) + i, v);
  }
  if (i < n) {
    In tin[W] = {};
    float tout[W];
    std::memcpy(tin, in + i, (n - i) * sizeof(In));
    load_lanes<W>(tin, c);
    lanes_decode<W>(p, c, v);
    store_lanes<W>(reinterpret_cast<std::uint32_t*>(tout), v);
    std::memcpy(out + i, tout, (n - i) * sizeof(float));
  }
}

#endif  // PRECSIM_VECTOR_KERNELS

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
