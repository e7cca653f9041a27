// The bulk rounding kernel: the scalar core's algorithm (core/round.hpp) restated branch-free on
// W lanes of 32-bit integers, for float inputs. Written once with GCC/Clang vector extensions
// and compiled per instruction set by simd/dispatch.hpp (W = 4 portable, 8 AVX2, 16 AVX-512).
// Every result is checked bit-for-bit against the scalar core by tests/test_bulk.cpp.
//
// Only formats whose values are all float-representable and whose rounding can be read off a
// float's 24-bit significand take this path (kernel_params::eligible); the others use the
// scalar core.
#pragma once

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "../core/round.hpp"
#include "../random.hpp"
#include "philox.hpp"

// The fast path sets the SSE rounding mode (MXCSR) for its float additions where it can.
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
  std::uint32_t nan_payload = 0, nan_payload_code = 0;  // mask(IEEE NaNs); and its code's low m bits
  // float bits of decoded values, for fake quantization and decode
  std::uint32_t ovf_val[2]{}, inf_val[2]{}, zero_val[2]{}, uneg_val = 0;
  std::uint32_t val_offset = 0, sub_adjust = 0, subnormal_field = 0;
  // fast path: rounding in the float's own bit pattern (fast_lanes). fast_sub: the format has
  // values below its min normal that float inputs can round to differently from its normal
  // rule (not for bias 127 with gradual underflow, whose subnormals are float's own).
  // fast_plain_*: the special lanes do not depend on the sign (overflow and inf give one value or
  // code, signed like the input; for codes NaN codes too, signed or one code for both signs (fn
  // formats without NaN: 0); fake quantization passes NaN through): the common formats; zeros
  // keep their sign where the format has -0 (keep_zero_sign, else shape_nzs). code_sign_below: plain codes take the sign bit where the input's bits as
  // an int32 are below it: 0, or -inf's bits + 1 where the NaN code has no sign.
  // fast_float_range: the format's normal numbers are float's (8 exponent bits, bias 127, the
  // same max exponent) and it overflows to +-inf like float, or (toward zero, to odd) stops at
  // max, whose fraction is all ones, where inf stays inf: rounding the signed bit pattern gives
  // every answer but NaN's (shape_float), and NaN's code is the input's top bits with the
  // NaN code's own (the quiet bit) set. fast_inf_*: plain but for inf inputs, whose
  // value or code differs from overflow's (toward zero and to odd stop at max finite; shape_inf:
  // values overflow to max finite itself, an unsigned min; codes: inf's code is the overflow's
  // plus one, as in every format known: inf lanes add one).
  // Formats without -0 (P3109, fnuz) take these shapes only with fast_sub and without block
  // scales (shape_nzs: zero results stay unsigned); otherwise the general special-value step.
  // fast_lanes: every lane rounds by its own magic constant (lanes_by_magic, shape_lanes) in
  // nearest even and nearest away (m <= 21) and, where MXCSR is set, toward zero and to odd:
  // formats with fast_sub but not flush whose constant stays a float up to max (emax + 23 - m
  // <= 127). fast_ovf_above: the bits of the largest |x| that rounds to at most max;
  // fast_lane_c: (23 - m) << 23; fast_code_base: (128 - bias) << 23, which takes a binade's
  // exponent field to its code's, less one. fast_code_clamp: where the overflow's code is max's
  // or the next one, the bits of that code's value, at which plain codes clamp |x|: every |x|
  // up to it rounds as it should (those beyond max's rounding to the next code overflow), every
  // |x| beyond rounds to the overflow's code, and no lane needs an overflow step; 0 where the
  // codes take the general shape.
  bool fast = false, fast_sub = false, fast_plain_value = false, fast_plain_code = false, fast_float_range = false;
  bool fast_inf_value = false, fast_inf_code = false, fast_lanes = false;
  std::uint32_t fast_ovf_above = 0, fast_lane_c = 0, fast_code_base = 0, fast_code_clamp = 0;
  std::int32_t code_sign_below = 0;
  std::uint32_t fast_lowm = 0, fast_min_normal = 0, fast_max = 0, fast_magic = 0, fast_quantum = 0, fast_csr = 0;
  std::uint32_t fast_code_shift = 0;
  std::int32_t fast_sr_shift0 = 0;
  // stochastic rounding of normal lanes: + sr_bias + (a >> sr_odd_at & sr_odd) (the variant's
  // reduction of the discarded bits to random_bits) + the random bits aligned below the kept ones
  std::uint32_t sr_bias = 0, sr_odd = 0, sr_odd_at = 0;
  // stochastic rounding of low lanes (|x| below the min normal, quantum 2^q) in variant c with
  // q - n + 23 >= emin: the float bits of 2^(q - n + 23), whose sum with |x| (>= |x|: one binade)
  // rounds |x| to even at 2^(q - n), the variant's reduction, and counts those units in its bits;
  // 0: integer steps (fast_low_count)
  std::uint32_t sr_magic = 0;
  // the same on doubles where n is too wide for a float (variant c, m + n <= 51; x86, whose
  // MXCSR every bulk call sets to nearest even: bulk_fp_scope): |x| 2^(n - q) (sr_scale) is
  // exact, and its sum with 2^52 rounds it to even at 1: k 2^n + V in the low bits (k: whole
  // quanta, V: the n-bit reduction of the discarded fraction), so that (those + R) >> n = k +
  // (V + R >= 2^n). (R joins after the rounding: in the sum, an odd R would turn a tie the
  // other way.) 0: none
  double sr_scale = 0;
  // elements per random word (random.hpp, bulk_indices_per_word): 2^sr_share_shift (shifts:
  // divisions by it cost a tenth of a group's time at AVX2)
  std::uint32_t sr_share_shift = 0;
  // decode: NaN magnitudes nan_lo..nan_hi (only with the sign bit set if nan_neg_only); inf_mag
  std::uint32_t nan_lo = 1, nan_hi = 0, nan_neg_only = 0, nan_keep_sign = 0, inf_mag = ~0u;
  // IEEE binary16 rounded by the hardware conversion (F16C, AVX-512), where its overflow, inf
  // and NaN answers are the core's: 0 nearest even, 1 toward -inf, 2 toward +inf, 3 toward 0,
  // 4 to odd (the odd one of the conversions toward -inf and +inf), 5 nearest away (nearest
  // even of x with its last bit set: dispatch.hpp, away_half8)
  int half_hw = -1;
  // decode of IEEE binary16 codes by the hardware conversion (F16C, AVX-512: its NaN is the
  // core's, quiet with the payload's bits below); decode_shift: formats laid out as float's top
  // bits (exponent 8 bits, bias 127, gradual subnormals, IEEE specials), whose codes shifted up
  // by decode_shift are their floats but for NaN's quiet bit
  bool decode_half = false;
  std::uint32_t decode_shift = 0;
  // codes that are the top byte of their value's binary16 (e5m2: 5 exponent bits, bias 15, IEEE
  // specials), in the modes whose values take shape_lanes: the values' kernel, then the hardware
  // conversion (exact), the byte (dispatch.hpp, half_top_round); where the overflow's and inf's
  // codes are their values' and NaN's are the conversion's (quiet, the payload's top bits below)
  bool code_half_top = false;
  // bfloat16 codes to nearest even by AVX512-BF16's conversion, where its overflow (inf) and NaN
  // codes (quiet, the payload's top bits) are the core's (dispatch.hpp, bf16_hw_round)
  bool bf16_hw = false;
  // set per call (bulk.hpp): float outputs too large to stay in cache take streaming stores
  bool stream_out = false;
  // decode from the placed fields (formats with a zero, see field_decode_lanes): subnormal codes
  // as float(placed + sub_offset) - sub_one; codes below flush_below (field 0 without
  // subnormals) read as 0; NaN where (code & nan_sel) - nan_first <= nan_span; the sign bit
  // moved up by sign_shift
  bool decode_fields = false;
  float sub_one = 0;
  std::uint32_t sub_offset = 0, flush_below = 0, nan_sel = 0, nan_first = ~0u, nan_span = 0, nan_frac = 0,
                sign_shift = 0;
};

inline std::uint32_t float_bits_of(double v) noexcept { return bit_cast<std::uint32_t>(to_float(v)); }

// Whether the largest finite value is a normal number. Not so in e1m1 with NaN and inf codes
// (its one normal binade holds only those): there a value below the min normal can round past
// max, which the bit-pattern kernels (fast_lanes, sr_double_block) check on normal lanes only.
inline bool max_is_normal(const float_format& f) noexcept { return max_finite(f) >= min_normal(f); }

// The bits of the largest |x| that rounds to at most max (max_bits; max normal, its ulp 1 << s
// in the bits), for lanes_by_magic's callers: |x| beyond max + half an ulp (nearest even: at the
// tie too where max is odd; nearest away: at the tie), or beyond max's next code (toward zero;
// to odd where max is odd, else beyond max: its next code is the odd one), overflows.
template <class T>
constexpr T overflow_above(T max_bits, int s, round_mode mode) noexcept {
  const T half = T{1} << (s - 1), odd = (max_bits >> s) & 1;
  switch (mode) {
    case round_mode::toward_zero: return max_bits + 2 * half - 1;
    case round_mode::nearest_away: return max_bits + half - 1;
    case round_mode::to_odd: return odd ? max_bits + 2 * half - 1 : max_bits;
    default: return max_bits + half - odd;
  }
}

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
  p.nan_payload_code = p.nan_payload & p.frac_mask;
  p.val_offset = std::uint32_t(127 - f.bias) << 23;
  p.sub_adjust = std::uint32_t(emin - m) << 23;
  p.subnormal_field = mask(has_subnormals(f) && f.bias != 127);

  p.sr_share_shift = r.mode == round_mode::stochastic ? std::uint32_t(std::countr_zero(unsigned(bulk_indices_per_word(p.random_bits)))) : 0;
  // The fast path: signed formats with 1 <= m <= 22 bits whose normal numbers are float's
  // normal numbers' roundings at bit 23 - m; every mode. Its low lanes add C = 2^(q + 23) and
  // 2 C (2^q: the quantum below the min normal), which must be finite floats.
  const int low_quantum = f.subnormals == subnormal_mode::flush ? emin : emin - m;
  const bool fast_format = m >= 1 && m <= 22 && f.is_signed && emin >= -126 && low_quantum + 24 <= 127 &&
                           f.subnormals != subnormal_mode::no_zero && max_is_normal(f);
  if (fast_format) {
    const bool flush = f.subnormals == subnormal_mode::flush;
    p.fast = true;
    p.fast_sub = emin > -126 || flush;
    p.fast_lowm = (1u << (23 - m)) - 1;
    p.fast_min_normal = std::uint32_t(emin + 127) << 23;
    p.fast_max = float_bits_of(max_finite(f));
    p.fast_magic = std::uint32_t(low_quantum + 23 + 127) << 23;
    p.fast_quantum = float_bits_of(std::ldexp(1.0, low_quantum));
    p.fast_code_shift = flush ? std::uint32_t(m) : 0;
    p.fast_sr_shift0 = low_quantum + 150;  // q - ulp exponent + max(E, 1)
    // (to nearest m <= 21: with m = 22 the sum of a binade's top float rounds to 2 C, whose
    // masked exponent, where the level cannot hide the sum, would take the value to 0)
    p.fast_lanes = p.fast_sub && !flush && max_exponent(f) + 23 - m <= 127 &&
                   (((r.mode == round_mode::nearest_even || r.mode == round_mode::nearest_away) && m <= 21) ||
                    (PRECSIM_FAST_PATH && (r.mode == round_mode::toward_zero || r.mode == round_mode::to_odd)));
    // (see fast_low_magic; nearest away by fast_lanes: nearest even of the nudged x)
    const bool even = r.mode == round_mode::nearest_even || (r.mode == round_mode::nearest_away && p.fast_lanes);
    const unsigned rc = r.mode == round_mode::toward_negative ? 1 : r.mode == round_mode::toward_positive ? 2 : even ? 0 : 3;
    p.fast_csr = 0x1F80u | rc << 13;  // all exceptions masked, no FTZ / DAZ
    if (p.fast_lanes) {
      p.fast_ovf_above = overflow_above(p.fast_max, 23 - m, r.mode);
      p.fast_lane_c = std::uint32_t(23 - m) << 23;
      p.fast_code_base = p.val_offset + (1u << 23);
      if (p.ovf_code[0] == p.max_mag)
        p.fast_code_clamp = p.fast_max;
      else if (p.ovf_code[0] == p.max_mag + 1 && max_exponent(f) + 24 - m <= 127)
        p.fast_code_clamp = p.fast_max + (1u << (23 - m));  // (max + its ulp: the lane's constant a float still)
    }
    const std::uint32_t sb = 0x80000000u;
    const bool sym_value = p.ovf_val[0] < sb && p.ovf_val[1] == (p.ovf_val[0] | sb) &&
                           p.inf_val[0] < sb && p.inf_val[1] == (p.inf_val[0] | sb);
    p.fast_plain_value = sym_value && p.inf_val[0] == p.ovf_val[0];
    p.fast_inf_value = sym_value && !p.fast_plain_value && p.ovf_val[0] == p.fast_max;
    const bool signed_nan = p.nan_code[1] == (p.nan_code[0] | p.sign_bit);
    p.code_sign_below = signed_nan ? 0 : std::int32_t(0xFF800001u);
    const bool sym_code = p.ovf_code[1] == (p.ovf_code[0] | p.sign_bit) &&
                          p.inf_code[1] == (p.inf_code[0] | p.sign_bit) &&
                          (signed_nan || p.nan_code[1] == p.nan_code[0]) && p.sign_bit == 1u << (storage_bits(f) - 1);
    p.fast_plain_code = sym_code && p.inf_code[0] == p.ovf_code[0];
    p.fast_inf_code = sym_code && !p.fast_plain_code && p.inf_code[0] == p.ovf_code[0] + 1;
    // (toward zero and to odd: the bits rounded at 23 - m never carry past max's all-ones
    // fraction, so that max is the overflow's answer, and inf's bits are exact; in a format of
    // float's range a value's code is its bits >> 23 - m, so the codes follow the values)
    const std::uint32_t inf = 0x7F800000u;
    const bool stops_at_max = (r.mode == round_mode::toward_zero || r.mode == round_mode::to_odd) &&
                              p.fast_inf_value && p.fast_inf_code && p.inf_val[0] == inf;
    const bool to_inf = p.fast_plain_value && p.fast_plain_code && p.ovf_val[0] == inf;
    p.fast_float_range = !p.fast_sub && p.keep_zero_sign && (to_inf || stops_at_max) && signed_nan &&
                         p.nan_payload_code == p.frac_mask && p.nan_code[0] >> m == 0xFFu &&
                         p.fast_max == inf - (p.fast_lowm + 1) && p.sign_bit == 1u << (8 + m);
    // (to nearest, fast_float_range means overflow to +-inf and NaN codes signed like the input)
    p.bf16_hw = p.fast_float_range && m == 7 && r.mode == round_mode::nearest_even && p.nan_code[0] == 0x7FC0u;
    const int d = 23 - m - p.random_bits;  // discarded bits below the random ones
    if (r.mode == round_mode::stochastic && d > 0 && r.variant != sr_variant::a) {
      p.sr_bias = (1u << (d - 1)) - (r.variant == sr_variant::c);
      p.sr_odd = r.variant == sr_variant::c;
      p.sr_odd_at = std::uint32_t(d);
    }
    const int unit = low_quantum - p.random_bits;  // 2^unit: R's last bit
    if (r.mode == round_mode::stochastic && r.variant == sr_variant::c) {
      if (unit + 23 >= emin && unit + 150 >= 1) p.sr_magic = std::uint32_t(unit + 150) << 23;
      else if (PRECSIM_FAST_PATH && m + p.random_bits <= 51) p.sr_scale = std::ldexp(1.0, -unit);
    }
  }
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
  const bool binary16 = f.exponent_bits == 5 && m == 10 && f.bias == 15 && f.is_signed &&
                        f.subnormals == subnormal_mode::gradual && f.specials == special_values::ieee && f.infinity;
  p.decode_half = binary16;
  if (f.exponent_bits == 8 && f.bias == 127 && m >= 1 && m <= 22 && f.is_signed && f.subnormals == subnormal_mode::gradual &&
      f.specials == special_values::ieee && f.infinity)
    p.decode_shift = std::uint32_t(23 - m);
  const auto not_nan = [](const std::uint32_t(&v)[2]) {
    return (v[0] & 0x7FFFFFFFu) <= 0x7F800000u && (v[1] & 0x7FFFFFFFu) <= 0x7F800000u;
  };
  p.code_half_top = f.exponent_bits == 5 && m == 2 && f.bias == 15 && f.is_signed &&
                    f.subnormals == subnormal_mode::gradual && f.specials == special_values::ieee && f.infinity &&
                    r.mode != round_mode::stochastic && p.keep_zero_sign && p.nan_code[0] == 0x7Eu &&
                    p.nan_code[1] == 0xFEu && p.nan_payload_code == 3u && not_nan(p.ovf_val) && not_nan(p.inf_val);
  if (binary16 && r.mode != round_mode::stochastic) {
    const unsigned rc = r.mode == round_mode::toward_negative   ? 1
                        : r.mode == round_mode::toward_positive ? 2
                        : r.mode == round_mode::toward_zero || r.mode == round_mode::to_odd ? 3 : 0;
    // the conversion's overflow: +-inf rounding away from zero, +-max toward it (the codes follow
    // from the values); its NaN codes: quiet, the payload's top bits below
    const std::uint32_t inf = 0x7F800000u, maxv = float_bits_of(65504.0), sb = 0x80000000u;
    if (p.ovf_val[0] == (rc == 0 || rc == 2 ? inf : maxv) && p.ovf_val[1] == ((rc == 0 || rc == 1 ? inf : maxv) | sb) &&
        p.inf_val[0] == inf && p.inf_val[1] == (inf | sb) && p.nan_code[0] == 0x7E00u && p.nan_code[1] == 0xFE00u &&
        p.keep_zero_sign)
      p.half_hw = r.mode == round_mode::to_odd ? 4 : r.mode == round_mode::nearest_away ? 5 : int(rc);
  }
  p.decode_fields = has_zero(f) && f.bias >= -126;
  if (p.decode_fields) {
    p.sub_one = float(std::ldexp(1.0, 1 - f.bias));
    p.sub_offset = std::uint32_t(128 - f.bias) << 23;
    p.flush_below = has_subnormals(f) ? 0u : 1u << m;  // flush, or no fraction (m = 0): 0 is zero
    if (p.nan_lo <= p.nan_hi) {  // NaN codes: a magnitude range, or (no NaN magnitude 0 else) -0's code
      p.nan_sel = p.nan_neg_only ? p.mag_mask | p.sign_bit : p.mag_mask;  // (bits above the format ignored)
      p.nan_first = p.nan_neg_only ? p.sign_bit : p.nan_lo;
      p.nan_span = p.nan_neg_only ? 0 : p.nan_hi - p.nan_lo;
    }
    p.nan_frac = p.nan_payload & (p.frac_mask << (23 - m));
    p.sign_shift = std::uint32_t(31 - (storage_bits(f) - 1));
  }
  return p;
}

#if PRECSIM_VECTOR_KERNELS

// One vector of float inputs rounded: the code's magnitude, the sign (0/1) and the special-lane
// masks (all-ones where set).
template <int W>
struct rounded_lanes {
  typename vec<W>::u32 bits, mag, neg, nan, inf, uneg, ovf;
};

// Stochastic decision (scalar: stochastic_away) on the discarded bits rem of each lane (rem <
// 2^24, `shift` of them): k = rem reduced to n = random_bits bits by the variant's rule; away (0
// or 1) iff k + (random mod 2^n) >= 2^n. Shift counts are clamped to 0..31: rem < 2^24, so
// larger counts change nothing.
template <int W>
PRECSIM_LANES void sr_away_lanes(const kernel_params& p, const typename vec<W>::u32& rem,
                                 const i32_of<W>& shift, const typename vec<W>::u32& random,
                                 typename vec<W>::u32& away) {
  using u32 = typename vec<W>::u32;
  using i32 = i32_of<W>;
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
  // carry out of n bits (n = 32: the u32 wrap). (Two comparisons OR-ed are scalarized by GCC.)
  if (p.random_bits >= 32) away = u32(sum < rn) & 1;
  else away = u32(sum > nmask) & 1;
}

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
    sr_away_lanes<W>(p, sig & lowm, shift, random, away);
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
                  ((r.bits >> (23 - p.m)) & p.nan_payload_code);
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

// Codes to float bits for the formats of decode_fields, in few operations: the exponent and
// fraction fields placed where float's are, rebiased (normal codes); a subnormal code's
// fraction F under exponent 1 - bias with the leading one, 2^(1-bias) (1 + F 2^-m), minus
// 2^(1-bias): F 2^(1-bias-m), exact, and +0 for code 0 (float arithmetic on normal floats
// only: no denormal assists). Bias 127: float's own subnormals line up (subnormal_field 0).
template <int W>
PRECSIM_LANES void field_decode_lanes(const kernel_params& p, const typename vec<W>::u32& code,
                                      typename vec<W>::u32& v) {
  using u32 = typename vec<W>::u32;
  using f32 = typename vec<W>::f32;
  const u32 mag = code & p.mag_mask;
  const u32 placed = mag << (23 - p.m);
  v = placed + p.val_offset;
  if (p.subnormal_field) {
    const u32 t = placed + p.sub_offset;
    f32 f;
    std::memcpy(&f, &t, sizeof f);
    f = f - p.sub_one;
    u32 vs;
    std::memcpy(&vs, &f, sizeof vs);
    v = (mag >> p.m) == 0 ? vs : v;
  }
  if (p.flush_below) v = mag < p.flush_below ? u32{} : v;
  v = mag == p.inf_mag ? u32{} + 0x7F800000u : v;
  const u32 sign = (code & p.sign_bit) << p.sign_shift;
  v |= sign;
  const u32 nanv = (sign & p.nan_keep_sign) | 0x7FC00000u | (placed & p.nan_frac);
  v = ((code & p.nan_sel) - p.nan_first) <= p.nan_span ? nanv : v;
}

// Codes to float bits for the formats of decode_shift: the code shifted up (bits above the
// format's leave the lane), NaN quieted.
template <int W>
PRECSIM_LANES void shift_decode_lanes(const kernel_params& p, const typename vec<W>::u32& code,
                                      typename vec<W>::u32& v) {
  using i32 = typename vec<W>::i32;
  v = code << p.decode_shift;
  v |= typename vec<W>::u32(i32(v & 0x7FFFFFFFu) > 0x7F800000) & 0x00400000u;
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
    static_assert(sizeof(T) == 1);  // via 16 bits: GCC 12 widens 8 -> 32 bits lane by lane
    typename vec<W>::u8 n;
    std::memcpy(&n, in, sizeof n);
    v = __builtin_convertvector(__builtin_convertvector(n, typename vec<W>::u16), typename vec<W>::u32);
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

// ---- the fast path -------------------------------------------------------------------------
// For the formats of kernel_params::fast (signed, 1 <= m <= 22, normal numbers on float's grid),
// in every mode, with about half the general kernel's operations:
//   |x| >= min normal: round the float's bit pattern at bit s = 23 - m. Adding below the kept
//     bits carries into the exponent field exactly like the significand would (CPFloat's trick):
//       nearest_even + (half - 1) + kept lsb   nearest_away + half   toward zero + 0
//       away from zero + (2^s - 1)             to_odd: cut, set the lsb if inexact
//       stochastic: + the n random bits R at bits s - n .. s - 1 (n > s: R's top s bits, which
//       decides the same: rem + floor(R / 2^(n-s)) >= 2^s iff rem 2^(n-s) + R >= 2^n), plus the
//       variant's reduction of the bits below them to n bits (b: + half of it; c: round to even)
//   |x| <  min normal (formats with fast_sub): the quantum 2^q (q = emin - m; flush: emin) is
//     fixed. The deterministic modes (fast_magic_mode): one float addition in the mode set in
//     MXCSR rounds x to it (fast_low_magic). The others: integer steps on the significand
//     (fast_low_count), only in vectors that have such lanes.
// The result: the rounded magnitude as float bits, or its code, then the special lanes (overflow
// beyond max finite, inf, NaN) as the scalar core answers them (kernel_params).

// Modes whose low lanes take the float addition: the FPU's, where MXCSR may be set (x86;
// elsewhere round to nearest, the bulk calls' environment), and nearest_away / to_odd from
// additions toward zero; with block scales only nearest (the scaling must round to nearest).
template <round_mode Mode, bool Scaled>
inline constexpr bool fast_magic_mode =
    Mode == round_mode::nearest_even ||
    (PRECSIM_FAST_PATH && !Scaled && Mode != round_mode::stochastic);

// Lanes of one floating type's bit patterns: unsigned, signed, the type itself, its fraction bits.
template <class Unsigned, class Signed, class Floating, int Frac>
struct lanes_of {
  using U = Unsigned;
  using S = Signed;
  using F = Floating;
  static constexpr int frac = Frac;
};
template <int W>
using lanes32 = lanes_of<typename vec<W>::u32, typename vec<W>::i32, typename vec<W>::f32, 23>;
template <int W>
using lanes64 = lanes_of<typename vec<W>::u64, typename vec<W>::i64, typename vec<W>::f64, 52>;
template <class L>
using lane_t = std::remove_cvref_t<decltype(std::declval<typename L::U>()[0])>;

// The deterministic modes on a bit pattern: |x|'s bits a rounded at bit s (lowm = 2^s - 1: the
// bits below it), float's (fast_normal) and double's (f64_lanes) alike; b: x's bits (the sign).
template <class L, round_mode Mode>
PRECSIM_LANES void round_in_bits(const typename L::U& b, const typename L::U& a, lane_t<L> lowm, int s,
                                 typename L::U& rn) {
  using U = typename L::U;
  using S = typename L::S;
  if constexpr (Mode == round_mode::nearest_even) {
    rn = (a + (lowm >> 1) + ((a >> s) & 1)) & ~lowm;
  } else if constexpr (Mode == round_mode::nearest_away) {
    rn = (a + ((lowm >> 1) + 1)) & ~lowm;
  } else if constexpr (Mode == round_mode::toward_zero) {
    rn = a & ~lowm;
  } else if constexpr (Mode == round_mode::toward_positive || Mode == round_mode::toward_negative) {
    const U neg = U(S(b) >> (8 * sizeof(lane_t<L>) - 1));
    rn = (a + ((Mode == round_mode::toward_negative ? neg : ~neg) & lowm)) & ~lowm;
  } else {
    static_assert(Mode == round_mode::to_odd);
    rn = (a | ((a & lowm) + lowm)) & ~lowm;  // the sum's bit s: whether any bit below it is set
  }
}

// Normal lanes: |x|'s bits a rounded at bit s = 23 - m (beyond max finite where the rounding
// overflows). random: R in the top n bits (stochastic; Sr32: n = 32, no bits below R's).
template <int W, round_mode Mode, bool Sr32 = false>
PRECSIM_LANES void fast_normal(const kernel_params& p, const typename vec<W>::u32& b,
                               const typename vec<W>::u32& a, const typename vec<W>::u32& random,
                               typename vec<W>::u32& rn) {
  if constexpr (Mode == round_mode::stochastic && Sr32)
    rn = (a + (random >> (9 + p.m))) & ~p.fast_lowm;
  else if constexpr (Mode == round_mode::stochastic)
    rn = (a + p.sr_bias + ((a >> p.sr_odd_at) & p.sr_odd) + (random >> (9 + p.m))) & ~p.fast_lowm;
  else
    round_in_bits<lanes32<W>, Mode>(b, a, p.fast_lowm, 23 - p.m, rn);
}

// Low lanes by one float addition (fast_magic_mode): q = the rounded count of quanta 2^q. The
// sum of x and C = 2^(q + 23) (c: its bits; doubles: 2^(q + 52)) lies in [C, 2 C), whose grid
// is the quantum's, so the sum rounds x to it in MXCSR's mode and bits(sum) - c counts the
// quanta (the directed modes: the input's sign on C, they look at it). nearest_away: |x| + C / 2
// cut (MXCSR toward zero) at half quanta, floor(2 |x| / 2^q) = h, gives floor(|x| / 2^q + 1/2)
// = (h + 1) / 2 quanta. to_odd: |x| + C cut to k = floor(|x| / 2^q) quanta, 2 C - |x| cut to
// 2 C - kc quanta with kc = ceil(|x| / 2^q) (both sums in [C, 2 C]), and k | (kc - k) is odd
// where they differ. No float result meets another float in a sum (-ffast-math would
// reassociate or fold it).
template <class L, round_mode Mode>
PRECSIM_LANES void low_by_magic(lane_t<L> magic, const typename L::U& b, const typename L::U& a,
                                typename L::U& q) {
  using U = typename L::U;
  using F = typename L::F;
  constexpr lane_t<L> one = lane_t<L>(1) << L::frac, sign = lane_t<L>(1) << (8 * sizeof(lane_t<L>) - 1);
  if constexpr (Mode == round_mode::nearest_away) {
    const U c = U{} + (magic - one);
    q = (U(F(a) + F(c)) - c + 1) >> 1;
  } else if constexpr (Mode == round_mode::to_odd) {
    const U c = U{} + magic, c2 = c + one;
    const U k = U(F(a) + F(c)) - c;    // floor(|x| / 2^q)
    const U kc = c2 - U(F(c2) - F(a));  // ceil(|x| / 2^q): 2 C - |x| cut toward zero
    q = k | (kc - k);
  } else if constexpr (Mode == round_mode::toward_positive || Mode == round_mode::toward_negative) {
    const U c = (b & sign) | magic;  // (the sum's sign picks the direction)
    q = U(F(b) + F(c)) - c;
  } else {
    const U c = U{} + magic;
    q = U(F(a) + F(c)) - c;
  }
}
template <int W, round_mode Mode>
PRECSIM_LANES void fast_low_magic(const kernel_params& p, const typename vec<W>::u32& b, const typename vec<W>::u32& a,
                                  typename vec<W>::u32& q) {
  low_by_magic<lanes32<W>, Mode>(p.fast_magic, b, a, q);
}

// Every lane by its own magic constant (shape_lanes): C = 2^(max(E, emin) + 23 - m) for |x| in
// binade E. |x| + C lies in [C, 2 C), whose grid is the format's quantum in x's binade (below
// the min normal the subnormals'), so the sum rounds |x| in the FPU's mode, and its bits less
// C's count the quanta k: the code's significand with its implicit bit, whose exponent field E
// gives the rest (a carry of k into 2^(m + 1) moves it to the next binade by itself). The value:
// the sum less C (below). Lanes beyond max (fast_ovf_above) are the caller's:
// their C need not be a float. 13 operations per vector for a value, where fast_normal and the
// low lanes took 18 (AVX2). Floats and doubles (f64_by_magic) alike, in the type's bits:
// min_normal, lane_c = s << frac (s = frac - m) and code_base = (the type's bias + 1 - the
// format's bias) << frac. Modes (lanes_mode): nearest even, and toward zero, in MXCSR's mode;
// nearest away as nearest even of |x| with its last bit set: a tie of the format and each of
// its values have at most m + 2 <= frac significant bits (m <= 21 for floats), so their last
// bit is 0, a tie with the bit set lies just above itself and rounds away, and any other |x|
// stays on its side of every tie. to_odd: the sum cut toward zero, its last bit (the
// quantum's) set where that was inexact. The sum lies in [C, 2 C] (|x| < 2^(E+1) <= C), so
// that the sum less c is exact: so where hide(sum) hides the sum from the optimizer
// (level_ops::opaque), which -ffast-math would otherwise fold into sum - c = |x|; where it
// cannot (nullptr), C is the sum's masked exponent, one operation more, and 2 C only where
// fast_lanes does not go (to nearest with m = 22, a binade's top float). Where hide has
// odd_sum(|x|, C, k) (AVX-512: avx512_opaque), to_odd takes the sum's bits from it.
template <class L, bool Value, round_mode Mode, class Hide = std::nullptr_t>
PRECSIM_LANES void lanes_by_magic(const typename L::U& a, const typename L::U& min_normal, const typename L::U& lane_c,
                                  const typename L::U& code_base, int s, typename L::U& mag, const Hide& hide = nullptr) {
  using U = typename L::U;
  using F = typename L::F;
  constexpr lane_t<L> exp_mask = (~lane_t<L>{0} >> 1) & ~((lane_t<L>{1} << L::frac) - 1);
  // (as int32 lanes: doubles' exponent fields and min_normal have zero low halves, so that the
  // int32 max is the int64 one, which AVX2 lacks: one instruction for a compare and a select)
  typedef std::int32_t I __attribute__((vector_size(sizeof(U))));
  const I e0 = I(a & exp_mask), lo = I(min_normal);
  const U e = U(e0 > lo ? e0 : lo);
  const U c = e + lane_c;
  U base, k;  // C (codes but to odd: not needed); C + the quanta
  if constexpr (Mode == round_mode::to_odd && requires { hide.odd_sum(F(a), F(c), k); }) {
    hide.odd_sum(F(a), F(c), k);
    base = c;
  } else {
    F sum = F(Mode == round_mode::nearest_away ? a | 1 : a) + F(c);
    if constexpr (!std::is_null_pointer_v<Hide> && (Value || Mode == round_mode::to_odd)) {
      hide(sum);
      base = c;
    } else {
      base = U(sum) & exp_mask;
    }
    k = U(sum);
    if constexpr (Mode == round_mode::to_odd) k |= U(sum - F(base) != F(a)) & 1;
  }
  if constexpr (Value)
    mag = U(F(k) - F(base));
  else
    mag = (k - c) + ((e - code_base) >> s);
}

// Low lanes by integer steps (the modes without fast_magic_mode): the rounded count of quanta
// 2^q; |x| = sig 2^(max(E,1) - 150), shift = q - that exponent >= 1.
template <int W, round_mode Mode>
PRECSIM_LANES void fast_low_count(const kernel_params& p, const typename vec<W>::u32& a,
                                  const typename vec<W>::u32& random, typename vec<W>::u32& q) {
  using u32 = typename vec<W>::u32;
  using i32 = i32_of<W>;
  const i32 E = i32(a >> 23);
  const i32 Eeff = E > 1 ? E : 1;
  const u32 sig = a - u32((Eeff - 1) << 23);
  const i32 shift = p.fast_sr_shift0 - Eeff;
  const u32 sh = u32(shift < 31 ? shift : 31);  // sig < 2^24: larger shifts leave 0
  const u32 lowm = ((u32{} + 1) << sh) - 1;
  const u32 t = sig >> sh, rem = sig & lowm;
  u32 away;
  if constexpr (Mode == round_mode::nearest_away) {
    away = (rem >> (sh - 1)) & 1;
  } else if constexpr (Mode == round_mode::to_odd) {
    away = u32(rem != 0) & ~t & 1;
  } else if constexpr (Mode == round_mode::stochastic) {
    // As for normal lanes, per lane: + the variant's reduction of the d = shift - n bits below
    // the random ones (d clamped to 26: sig < 2^24, so k = 0 from there on) + R at bit d.
    // shift >= 32 (|x| < 2^(q - 8), t = 0): away iff k + R >= 2^n, k < 2^(n - 8): a carry out
    // of k 2^(32 - n) + R 2^(32 - n).
    const i32 d = shift - p.random_bits;
    const u32 dd = u32(d > 0 ? (d < 26 ? d : 26) : 0);
    const u32 half = ((u32{} + 1) << dd) >> 1;
    const u32 odd = u32(half != 0) & (p.variant_c & 1);  // variant c rounds to even
    const u32 bias = (half & (p.variant_b | p.variant_c)) - odd + (odd & (sig >> dd));
    const u32 near = (sig + bias + (random >> (32 - sh))) >> sh;
    const u32 kk = ((sig + bias) >> dd) << (32 - p.random_bits);
    const u32 far = u32(kk + random < random) & 1;
    q = shift < 32 ? near : far;
    return;
  } else {  // directed modes with block scales
    const u32 neg = u32(i32(random) < 0);  // (the caller passes the input bits here)
    away = u32(rem != 0) & (Mode == round_mode::toward_zero ? u32{} : Mode == round_mode::toward_negative ? neg : ~neg) & 1;
  }
  q = t + away;
}

// Stochastic low lanes on doubles (kernel_params::sr_scale): the rounded count of quanta.
// (AVX2 runs the same steps in its own intrinsics: dispatch.hpp, sr_low_f64_avx2.)
template <int W>
PRECSIM_LANES void sr_low_f64(const kernel_params& p, const typename vec<W>::u32& a,
                              const typename vec<W>::u32& random, typename vec<W>::u32& q) {
  using u64 = typename vec<W>::u64;
  using f64 = typename vec<W>::f64;
  const f64 s = __builtin_convertvector(typename vec<W>::f32(a), f64) * p.sr_scale;
  const u64 r = __builtin_convertvector(random >> (32 - p.random_bits), u64) - 0x4330000000000000u;  // R - 2^52's bits
  q = __builtin_convertvector((u64(s + 0x1p52) + r) >> p.random_bits, typename vec<W>::u32);
}

// The float bits of q quanta 2^q below the min normal (flush formats: q is 0 or 1 min normal).
template <int W>
PRECSIM_LANES void fast_low_value(const kernel_params& p, const typename vec<W>::u32& q, typename vec<W>::u32& v) {
  using u32 = typename vec<W>::u32;
  v = p.flush ? u32{} + p.fast_min_normal
              : u32(__builtin_convertvector(i32_of<W>(q), typename vec<W>::f32)) + p.sub_adjust;
  v = q != 0 ? v : u32{};
}

// Whether any lane is nonzero: halves OR-ed down to 64 bits.
template <int W>
PRECSIM_LANES bool any_lanes(const typename vec<W>::u32& v) {
  if constexpr (W > 4) {
    typename vec<W / 2>::u32 lo, hi;
    std::memcpy(&lo, &v, sizeof lo);
    std::memcpy(&hi, reinterpret_cast<const char*>(&v) + sizeof lo, sizeof hi);
    return any_lanes<W / 2>(lo | hi);
  } else {
    std::uint64_t h[2];
    std::memcpy(h, &v, sizeof h);
    return (h[0] | h[1]) != 0;
  }
}

// What a SIMD level writes with its own intrinsics (dispatch.hpp, PRECSIM_LEVEL_KERNELS),
// inside its target function: mul(x, m, r), Philox's multiply (philox.hpp); stream(at, v), a
// streaming store of v at an aligned address (kernel_params::stream_out); any(v), whether some
// lane of v is nonzero (AVX2 vptest, AVX-512 vptestmd: a sixth to a third of the generic
// reduction's operations, and it runs once per vector on the fast path's low lanes);
// sr_low(p, a, random, q), sr_low_f64 (AVX2: dispatch.hpp's sr_low_f64_avx2); codes4(at,
// vector, sign), the codes of four consecutive vectors (vector(k, codes, signs), k = 0 .. 3)
// stored as 4 W 8- or 16-bit codes at `at`, each code below 2^8 or 2^16, signed as codes_sign
// says (AVX2 and AVX-512: dispatch.hpp's codes4_avx2 / codes4_avx512, packs across vectors,
// where GCC 12 narrowed each vector alone in 4-5 instructions); nullptr at the portable levels,
// which store each vector alone (the 4-vector loop would only add compiled code there);
// nz_sign(y, sign), sign's bits set in y where y is nonzero (AVX2: vpsignd, one operation for
// the generic compare and select); opaque(v), v hidden from the optimizer by an empty asm (x86;
// nullptr where the level's vectors fit no register).
template <class Mul, class Stream, class Any, class SrLow, class Codes4, class NzSign, class Opaque>
struct level_ops {
  Mul mul;
  Stream stream;
  Any any;
  SrLow sr_low;
  Codes4 codes4;
  NzSign nz_sign;
  Opaque opaque;
};

// How codes4 signs the codes it stores. Late: with `bit` where the lane of `signs` is negative
// (the inputs packed beside the codes, then one blend per 32 codes, 64 at AVX-512, where each
// vector took a compare, an OR and a select), and with Nzs only where the code is nonzero
// (formats without -0); else the codes carry their sign.
template <bool Late, bool Nzs>
struct codes_sign {
  std::uint32_t bit;
};

// Whether the level narrows Out codes by codes4 (8- and 16-bit codes, where it has one).
template <class Out, class Ops>
inline constexpr bool has_codes4 = sizeof(Out) <= 2 && !std::is_null_pointer_v<decltype(Ops::codes4)>;
// Whether codes4 signs the plain codes (codes_sign Late): at AVX2 (8 lanes) 8- and 16-bit codes;
// at AVX-512 only 8-bit ones, and not those of shape_nan_unsigned: its masked OR signs a vector
// in two operations, and 16-bit codes narrow in one (measured 0.9-0.95x late, Zen 4).
template <int W, class Out, class Ops>
inline constexpr bool late_signs = has_codes4<Out, Ops> && (W == 8 || sizeof(Out) == 1);

// Shapes of the fast path, one compiled variant each (kernel_params::fast_sub, fast_plain_*,
// fast_float_range, fast_inf_*). shape_nan_const: codes whose NaN code takes no payload from the
// input (all but the IEEE-like formats: e4m3fn, P3109, fnuz, FP6, FP4; 3 operations fewer per
// vector), with shape_lanes only (a variant per shape and mode costs build time; that is where
// encode is held back by its code steps). shape_inf_float: values of shape_inf whose inf is
// float's (e5m2, P3109 with inf): inf lanes pass through as NaN does, one compare and one select
// fewer (shape_lanes only, as shape_nan_const); plain values whose overflow's value is float's
// inf (e5m2 and P3109 with inf in the nearest modes): NaN lanes pass through with those beyond
// max, one compare and one select fewer (fast_lanes). shape_sr32: stochastic rounding with 32 random
// bits (the default), which leave no bits below them to reduce (kernel_params::sr_bias): the
// variant's reduction and R's alignment go, 4-5 operations per vector. shape_nan_unsigned: plain
// codes of shape_nan_const signed by codes4 (LateSigns) whose NaN code takes no sign where the
// input's sign would give it one (formats without NaN, whose NaN code is +0: FP6, FP4): the
// NaN lanes leave codes4's signs, one operation per vector that the others do without, and
// their +0 is one AND-NOT where a NaN code took a select (AVX2 FP6 / FP4 encode 1.1x, Intel).
// shape_sat: plain values of shape_lanes whose overflow and inf are max (FP6, FP4, saturating
// policies): |x| clamped at max gives them, no compare and select for either (4 uops of about
// 18 per vector on Intel: AVX2 FP6 / FP4 1.07-1.22x). At AVX2 only: at AVX-512, where the
// compare and select are a mask and a masked move, GCC reloaded the input twice more and the
// variant ran 0.90-0.95x (Intel Xeon, AVX512-FP16).
enum : unsigned {
  shape_sub = 1,
  shape_plain = 2,
  shape_float = 4,
  shape_inf = 8,
  shape_nzs = 16,
  shape_lanes = 32,
  shape_nan_const = 64,
  shape_inf_float = 128,
  shape_sr32 = 256,
  shape_nan_unsigned = 512,
  shape_sat = 1024
};

// Modes whose shapes with shape_sub take shape_lanes where the format allows (fast_lanes):
// nearest even and nearest away (in nearest even), toward zero and to odd where MXCSR is set
// (the directed modes would need the sign's threshold; with block scales, whose scaling rounds
// to nearest, only the nearest modes). (to_odd at AVX-512 too since its clamp at max and C
// without a mask: 1.2-1.3x its other route on Zen 4, which had been faster on Zen 5 before.)
template <round_mode Mode, bool Scaled>
inline constexpr bool lanes_mode =
    Mode == round_mode::nearest_even || Mode == round_mode::nearest_away ||
    (PRECSIM_FAST_PATH && !Scaled && (Mode == round_mode::toward_zero || Mode == round_mode::to_odd));

// Modes whose plain shape may need inf lanes of their own (shape_inf): those that stop at max.
template <round_mode Mode, bool Scaled>
inline constexpr bool inf_shape_mode = !Scaled && (Mode == round_mode::toward_zero || Mode == round_mode::to_odd);

// Modes that round a magnitude without looking at the sign: on the signed bit pattern too.
template <round_mode Mode>
inline constexpr bool sign_blind_mode = Mode != round_mode::toward_positive && Mode != round_mode::toward_negative;

// Where the stochastic kernels run their low lanes' steps (fast_lanes): in the vectors that
// have such lanes, past a branch on that, or in every vector (`always`), as round_group picks
// for each group from the count of the last group's vectors that had them (`vectors`): every
// vector from a third on. Where the branch goes both ways often, its mispredictions cost more
// than the steps: N(0,1) in FP6 E3M2 or E3M5 (min normal 1/4) has such lanes in 83% of AVX2's
// vectors, where every vector measured 1.07x with 32 random bits and 1.23x with 8; in e4m3fn
// (9.5%) and float16 (~0) every vector would cost 0.71-0.84x, and the count costs 0.95-0.98x
// (Intel Xeon, AVX512-FP16). Not at 16 lanes, whose vectors have such lanes rarely
// or nearly always (FP6 E3M2, N(0,1): 97%), nor for the codes that codes4 narrows.
struct low_lanes {
  bool always = false;
  unsigned vectors = 0;
};

// One vector: input bits b -> y, float bits (Out = float) or codes. random: R in the top n bits.
// SignLater: plain codes without their sign, which level_ops::codes4 sets on 32 codes at once;
// plain values without it (but NaN's), which dispatch.hpp's half_top4_avx2 sets on their codes.
// seen: the stochastic kernels' low_lanes (round_group's), nullptr elsewhere.
template <int W, round_mode Mode, unsigned Shape, bool Scaled, class Out, bool SignLater = false, class Ops,
          class Seen = std::nullptr_t>
PRECSIM_LANES void fast_lanes(const kernel_params& p, const Ops& ops, const typename vec<W>::u32& b,
                              const typename vec<W>::u32& random, typename vec<W>::u32& y, Seen seen = nullptr) {
  using u32 = typename vec<W>::u32;
  using i32 = i32_of<W>;
  using f32 = typename vec<W>::f32;
  constexpr bool value = std::is_floating_point_v<Out>;
  if constexpr ((Shape & shape_float) != 0) {
    // the signed pattern rounded: carries stop at +-inf, below the sign bit
    static_assert((Shape & ~shape_sr32) == (shape_float | shape_plain) && sign_blind_mode<Mode>);
    u32 rn;
    fast_normal<W, Mode, (Shape & shape_sr32) != 0>(p, b, b, random, rn);
    const i32 nan = i32(b & 0x7FFFFFFFu) > 0x7F800000;
    if constexpr (value) {
      y = nan ? b : rn;
    } else {
      // (the NaN code: its own bits over the input's sign, exponent and top fraction bits)
      y = (nan ? b | (p.nan_code[0] << (23 - p.m)) : rn) >> (23 - p.m);
    }
    return;
  }
  const u32 a = b & 0x7FFFFFFFu, sign = b & 0x80000000u;
  // Values of shape_lanes and shape_inf: the overflow's value is max, which every |x| >= max
  // rounds to, so that |x| clamped at max needs no overflow step (inf and NaN lanes, max, are
  // replaced below); plain codes of shape_lanes likewise at fast_code_clamp, and the values of
  // shape_sat, whose inf lanes are max too. Plain values of
  // shape_lanes and shape_inf_float (the overflow's value is float's inf): the lanes beyond max
  // take the larger of inf's bits and their own, a NaN's own, so that NaN needs no step of its own.
  constexpr bool lanes_plain = (Shape & shape_lanes) != 0 && (Shape & shape_plain) != 0;
  constexpr bool sat = (Shape & shape_sat) != 0;
  static_assert(!sat || (lanes_plain && value && (Shape & (shape_inf | shape_inf_float)) == 0));
  constexpr bool clamped = lanes_plain && (!value || (Shape & shape_inf) != 0 || sat);
  constexpr bool nan_in_ovf = lanes_plain && value && (Shape & shape_inf) == 0 && (Shape & shape_inf_float) != 0;
  u32 rn, mag;
  if constexpr ((Shape & shape_lanes) != 0) {
    static_assert((Shape & shape_sub) != 0 && lanes_mode<Mode, Scaled>);
    const u32 top = u32{} + (value ? p.fast_max : p.fast_code_clamp);
    lanes_by_magic<lanes32<W>, value, Mode>(clamped ? (a < top ? a : top) : a, u32{} + p.fast_min_normal,
                                            u32{} + p.fast_lane_c, u32{} + p.fast_code_base, 23 - p.m, mag, ops.opaque);
  } else {
    fast_normal<W, Mode, (Shape & shape_sr32) != 0>(p, b, a, random, rn);
    mag = rn;
    if constexpr (!value) mag = (rn - p.val_offset) >> (23 - p.m);
  }
  if constexpr ((Shape & shape_sub) != 0 && (Shape & shape_lanes) == 0) {
    const i32 low = i32(a) < i32(u32{} + p.fast_min_normal);
    u32 q{};  // the low lanes' count of quanta
    bool any = true;
    if constexpr (fast_magic_mode<Mode, Scaled>) {
      fast_low_magic<W, Mode>(p, b, a, q);
    } else if ((any = [&] {
                 const bool has = ops.any(u32(low));
                 if constexpr (!std::is_null_pointer_v<Seen>) {
                   if (seen->always) {
                     seen->vectors += has;
                     return true;
                   }
                   if (has) ++seen->vectors;  // (counted where taken: no work where rare)
                 }
                 return has;
               }())) {
      if (Mode == round_mode::stochastic && p.sr_magic) {
        // units of 2^(q - n) (rounded by the sum), + R, in units of 2^q
        const u32 units = u32(f32(a) + f32(u32{} + p.sr_magic)) - p.sr_magic;
        q = (units + (random >> (32 - p.random_bits))) >> p.random_bits;
      } else if (Mode == round_mode::stochastic && p.sr_scale != 0) {
        ops.sr_low(p, a, random, q);
      } else {
        fast_low_count<W, Mode>(p, a, Mode == round_mode::stochastic ? random : b, q);
      }
    }
    if (any) {
      u32 v = q << p.fast_code_shift;
      if constexpr (value && PRECSIM_FAST_PATH)  // (exact: fast_span and round_span clear FTZ)
        v = u32(__builtin_convertvector(i32(q), f32) * f32(u32{} + p.fast_quantum));
      else if constexpr (value)
        fast_low_value<W>(p, q, v);
      mag = low ? v : mag;
    }
  }
  // codes: the NaN code's payload from the input's top fraction bits
  [[maybe_unused]] const u32 payload = (Shape & shape_nan_const) != 0 ? u32{} : (b >> (23 - p.m)) & p.nan_payload_code;
  i32 ovf;  // (inf and NaN inputs too)
  if constexpr ((Shape & shape_lanes) != 0) ovf = i32(a) > i32(u32{} + p.fast_ovf_above);
  else ovf = i32(rn) > i32(u32{} + p.fast_max);
  // (shape_inf_float: inf lanes too)
  const i32 nan = i32(a) > ((Shape & shape_inf_float) != 0 ? 0x7F7FFFFF : 0x7F800000);
  if constexpr ((Shape & shape_plain) != 0) {
    // magnitude, then the sign
    if constexpr (value) {
      if constexpr (clamped) {
        y = mag;
        if constexpr ((Shape & shape_inf_float) == 0 && !sat) y = i32(a) == 0x7F800000 ? p.inf_val[0] : y;
      } else if constexpr ((Shape & shape_inf) != 0) {
        y = mag < p.fast_max ? mag : p.fast_max;  // (one instruction for a compare and a select)
        y = i32(a) == 0x7F800000 ? p.inf_val[0] : y;
      } else if constexpr (nan_in_ovf) {
        y = ovf ? (a > 0x7F800000u ? a : u32{} + 0x7F800000u) : mag;  // (the lanes beyond max hold no rounding)
      } else {
        y = ovf ? p.ovf_val[0] : mag;
      }
      if constexpr (SignLater) static_assert((Shape & shape_nzs) == 0);
      else if constexpr ((Shape & shape_nzs) != 0) ops.nz_sign(y, sign);
      else y = y | sign;
      if constexpr (!nan_in_ovf) y = nan ? b : y;  // NaN passes through, as in scalar quantize()
    } else {
      if constexpr (!clamped) mag = ovf ? p.ovf_code[0] : mag;
      // (inf's code is the overflow's plus one, fast_inf_code: a compare and a subtraction of
      // its -1 where a select took a 3-uop blend; AVX-512 selects by a mask in one)
      if constexpr ((Shape & shape_inf) != 0 && W == 16) mag = i32(a) == 0x7F800000 ? p.inf_code[0] : mag;
      else if constexpr ((Shape & shape_inf) != 0) mag -= u32(i32(a) == 0x7F800000);
      if constexpr ((Shape & shape_nan_unsigned) != 0)
        mag = nan ? u32{} : mag;  // (its NaN code is +0: one AND-NOT for a 3-uop blend)
      else
        mag = nan ? p.nan_code[0] | payload : mag;
      if constexpr (SignLater)
        y = mag;
      else if constexpr ((Shape & shape_nzs) != 0)
        y = mag | (p.sign_bit & u32(i32(b) < p.code_sign_below) & u32(mag != 0));
      else
        y = i32(b) < p.code_sign_below ? mag | p.sign_bit : mag;
    }
  } else {
    // sign (not on a zero of a format without -0), then the special lanes
    const i32 neg = i32(b) < 0;
    const i32 inf = i32(a) == 0x7F800000;
    const u32 keep_sign = u32((mag | p.keep_zero_sign) != 0);
    if constexpr (value) {
      y = mag | (sign & keep_sign);
      y = ovf ? (neg ? p.ovf_val[1] : p.ovf_val[0]) : y;
      y = inf ? (neg ? p.inf_val[1] : p.inf_val[0]) : y;
      y = nan ? b : y;
    } else {
      y = mag | (p.sign_bit & u32(neg) & keep_sign);
      y = ovf ? (neg ? p.ovf_code[1] : p.ovf_code[0]) : y;
      y = inf ? (neg ? p.inf_code[1] : p.inf_code[0]) : y;
      y = nan ? (neg ? p.nan_code[1] : p.nan_code[0]) | payload : y;
    }
  }
}

#if PRECSIM_FAST_PATH
// MXCSR for the fast path's float additions: the mode's rounding, no FTZ / DAZ, exceptions
// masked. Restoring it also drops the exception flags the additions raised.
struct scoped_mxcsr {
  unsigned saved = __builtin_ia32_stmxcsr();
  explicit scoped_mxcsr(unsigned csr) { __builtin_ia32_ldmxcsr((saved & ~0xFFC0u) | csr); }
  ~scoped_mxcsr() { __builtin_ia32_ldmxcsr(saved); }
};
#endif

template <int W, class Out>
using store_t = std::conditional_t<std::is_floating_point_v<Out>, std::uint32_t, Out>;

// The deterministic modes on the fast path: element by element, no groups.
template <int W, round_mode Mode, unsigned Shape, bool Scaled, class Out, class Ops>
PRECSIM_LANES void fast_span(const kernel_params& params, const Ops& ops, const lane_scales& sc, const float* in,
                             Out* out, std::size_t n) {
  const kernel_params p = params;
#if PRECSIM_FAST_PATH
  const scoped_mxcsr csr(fast_magic_mode<Mode, Scaled> && (Shape & shape_sub) ? p.fast_csr : 0x1F80u);
#endif
  typename vec<W>::u32 x, y;
  const typename vec<W>::u32 none{};
  // elements i .. i + count - 1 (count < W) through a zero-padded copy
  const auto partial = [&](std::size_t i, std::size_t count) PRECSIM_LAMBDA_INLINE {
    std::uint32_t tin[W] = {};
    store_t<W, Out> tout[W];
    std::memcpy(tin, in + i, count * sizeof(float));
    load_lanes<W>(tin, x);
    [[maybe_unused]] float tpre[W], tpost[W];
    [[maybe_unused]] lane_scales at{};
    if constexpr (Scaled) {
      std::fill_n(tpre, W, 1.0f);
      std::fill_n(tpost, W, 1.0f);
      at = sc.from(i).copied(tpre, tpost, 0, count);
      pre_scale_lanes<W>(at, x);
    }
    fast_lanes<W, Mode, Shape, Scaled, Out>(p, ops, x, none, y);
    if constexpr (Scaled && std::is_floating_point_v<Out>) post_scale_lanes<W>(at, y);
    store_lanes<W>(tout, y);
    std::memcpy(out + i, tout, count * sizeof(Out));
  };
  std::size_t i = 0;
  // (only the plain shapes: with the others' longer loop, streaming measured slower)
  if constexpr (!Scaled && std::is_floating_point_v<Out> && (Shape & shape_plain) != 0)
    if (p.stream_out) {
      const std::size_t head = std::min(n, (W - reinterpret_cast<std::uintptr_t>(out) / sizeof(Out) % W) % W);
      if (head) partial(0, head);
      for (i = head; i + W <= n; i += W) {
        load_lanes<W>(reinterpret_cast<const std::uint32_t*>(in) + i, x);
        fast_lanes<W, Mode, Shape, Scaled, Out>(p, ops, x, none, y);
        ops.stream(out + i, y);
      }
      if (i < n) partial(i, n - i);
      return;
    }
  if constexpr (!Scaled && has_codes4<Out, Ops>)
    // codes of 4 vectors narrowed together; plain codes of shape_lanes signed there too, by the
    // input's sign (but NaN's: shape_nan_unsigned; with_fast_shape)
    for (; i + 4 * W <= n; i += 4 * W) {
      constexpr bool late = late_signs<W, Out, Ops> && (Shape & shape_plain) != 0 && (Shape & shape_lanes) != 0 &&
                            (W == 8 || (Shape & shape_nan_unsigned) == 0);
      const auto vector = [&](int k, typename vec<W>::u32& codes, typename vec<W>::u32& signs) PRECSIM_LAMBDA_INLINE {
        load_lanes<W>(reinterpret_cast<const std::uint32_t*>(in) + i + W * k, x);
        fast_lanes<W, Mode, Shape, Scaled, Out, late>(p, ops, x, none, codes);
        using u32 = typename vec<W>::u32;
        signs = (Shape & shape_nan_unsigned) != 0 ? x & ~u32(i32_of<W>(x & 0x7FFFFFFFu) > 0x7F800000) : x;
      };
      ops.codes4(reinterpret_cast<store_t<W, Out>*>(out) + i, vector, codes_sign<late, (Shape & shape_nzs) != 0>{p.sign_bit});
    }
  for (; i + W <= n; i += W) {
    load_lanes<W>(reinterpret_cast<const std::uint32_t*>(in) + i, x);
    if constexpr (Scaled) pre_scale_lanes<W>(sc.from(i), x);
    fast_lanes<W, Mode, Shape, Scaled, Out>(p, ops, x, none, y);
    if constexpr (Scaled && std::is_floating_point_v<Out>) post_scale_lanes<W>(sc.from(i), y);
    store_lanes<W>(reinterpret_cast<store_t<W, Out>*>(out) + i, y);
  }
  if (i < n) partial(i, n - i);
}

// Rounds one group of 64 P consecutive elements with absolute indices j0 .. j0 + 64 P - 1
// (j0 % 64 P == 0), P = 2^p.sr_share_shift elements per random word. Out = float: fake quantization;
// an unsigned integer type: codes. Fast: the fast path's lanes in that Shape.
template <int W, round_mode Mode, bool Scaled, bool Fast, unsigned Shape, class Out, class Ops>
PRECSIM_LANES void round_group(const kernel_params& p, const sr_stream& s, const philox_keys& keys, const Ops& ops,
                               std::uint64_t j0, const float* in, Out* out, const lane_scales& sc, low_lanes& low) {
  static_assert(16 % W == 0, "a vector must fit in one stripe of 16 indices");
  constexpr bool sr = Mode == round_mode::stochastic;
  const unsigned shift = sr ? p.sr_share_shift : 0, share = 1u << shift, part_bits = 32 >> shift;
  low.vectors = 0;
  const auto seen = [&] {  // (16 lanes: see low_lanes)
    if constexpr (sr && W <= 8) return &low;
    else return nullptr;
  }();
  // the group's words first: the chains of its 16 blocks side by side (at AVX2 two calls, whose
  // four chains hide each other's multiply latency: 1.05x), then its elements
  philox_words<W> rnd[16 / W];  // (not zeroed: the stores could not be dropped before an MXCSR write)
  if constexpr (sr)
    for (int h = 0; h < 16; h += W)
      philox_lanes<W>(philox_counter_of(j0 >> shift) + std::uint64_t(h), s, keys, ops.mul, rnd[h / W]);
  if constexpr (Fast && !Scaled && late_signs<W, Out, Ops>) {
    // codes of 4 consecutive vectors narrowed together, plain ones signed there (as fast_span's,
    // by the compare with code_sign_below: these shapes do not know the NaN code's sign)
    constexpr bool late = (Shape & shape_plain) != 0 && (Shape & shape_float) == 0;
    for (unsigned part = 0; part < share; ++part)
      for (int v = 0; v < 64 / W; v += 4) {
        const auto vector = [&](int k, typename vec<W>::u32& codes, typename vec<W>::u32& signs) PRECSIM_LAMBDA_INLINE {
          const int at = (v + k) * W;  // (stripe at / 16, lanes at % 16 ..)
          typename vec<W>::u32 x, random{};
          if constexpr (sr) random = rnd[at % 16 / W].w[at / 16] >> (part_bits * part);
          if constexpr (sr && (Shape & shape_sr32) == 0) random = random << (32 - p.random_bits);
          load_lanes<W>(reinterpret_cast<const std::uint32_t*>(in) + 64 * part + at, x);
          // (no low_lanes: its count here cost AVX2's stochastic encode 0.67-0.89x)
          fast_lanes<W, Mode, Shape, Scaled, Out, late>(p, ops, x, random, codes);
          signs = typename vec<W>::u32(i32_of<W>(x) < p.code_sign_below);
        };
        ops.codes4(reinterpret_cast<store_t<W, Out>*>(out) + 64 * part + v * W, vector,
                   codes_sign<late, (Shape & shape_nzs) != 0>{p.sign_bit});
      }
    return;
  }
  for (int h = 0; h < 16; h += W) {
    for (unsigned part = 0; part < share; ++part)
      for (int w = 0; w < 4; ++w) {
        const int i = int(64 * part) + 16 * w + h;
        typename vec<W>::u32 x, y, random{};
        if constexpr (sr) random = rnd[h / W].w[w] >> (part_bits * part);
        load_lanes<W>(reinterpret_cast<const std::uint32_t*>(in) + i, x);
        if constexpr (Scaled) pre_scale_lanes<W>(sc.from(std::size_t(i)), x);
        if constexpr (Fast) {
          if constexpr (sr && (Shape & shape_sr32) == 0) random = random << (32 - p.random_bits);
          fast_lanes<W, Mode, Shape, Scaled, Out, false, Ops>(p, ops, x, random, y, seen);
        } else {
          rounded_lanes<W> r;
          round_lanes<W, Mode>(p, x, random, r);
          if constexpr (std::is_floating_point_v<Out>) lanes_fake_quant<W>(p, r, y);
          else lanes_code<W>(p, r, y);
        }
        if constexpr (Scaled && std::is_floating_point_v<Out>) post_scale_lanes<W>(sc.from(std::size_t(i)), y);
        store_lanes<W>(reinterpret_cast<store_t<W, Out>*>(out) + i, y);
      }
  }
  low.always = 3 * low.vectors >= 64 * share / W;  // (the next group's: see low_lanes)
  (void)s;
}

// Elements in[0, n) with absolute indices j .. j + n - 1: whole groups in place, partial groups
// (a head before the first multiple of the group size, the tail) through a zero-padded copy.
template <int W, round_mode Mode, bool Scaled, bool Fast, unsigned Shape, class Out, class Ops>
PRECSIM_LANES void group_span(const kernel_params& params, const sr_stream& stream, const Ops& ops,
                              std::uint64_t j, const float* in, Out* out, std::size_t n, const lane_scales& sc) {
  // Local copies: stores through `out` could alias the caller's objects and force a reload of
  // every parameter in every iteration.
  const kernel_params p = params;
  const sr_stream s = stream;
  const philox_keys keys(s.seed);
  const std::size_t g = std::size_t{64} << (Mode == round_mode::stochastic ? p.sr_share_shift : 0);
  low_lanes low;  // (round_group's choice for the next group)
  std::size_t i = 0;
  while (i < n) {
    const std::uint64_t g0 = (j + i) & ~std::uint64_t(g - 1);
    const std::size_t lead = std::size_t(j + i - g0);
    if (lead == 0 && n - i >= g) {
      round_group<W, Mode, Scaled, Fast, Shape>(p, s, keys, ops, g0, in + i, out + i, sc.from(i), low);
      i += g;
      continue;
    }
    const std::size_t count = n - i < g - lead ? n - i : g - lead;
    float tin[256] = {}, tpre[256], tpost[256];
    Out tout[256];
    std::memcpy(tin + lead, in + i, count * sizeof(float));
    lane_scales at{};
    if constexpr (Scaled) {
      std::fill_n(tpre, g, 1.0f);
      std::fill_n(tpost, g, 1.0f);
      at = sc.from(i).copied(tpre, tpost, lead, count);
    }
    round_group<W, Mode, Scaled, Fast, Shape>(p, s, keys, ops, g0, tin, tout, at, low);
    std::memcpy(out + i, tout + lead, count * sizeof(Out));
    i += count;
  }
}

// The fast path's shape for p (kernel_params::fast): run(std::integral_constant<unsigned, Shape>).
// (plain, inf: the specials; zeros without sign take shape_nzs or the general shapes.)
// LateSigns: fast_span may sign plain codes of shape_lanes in codes4 (late_signs), by the input's
// sign; where the NaN code has none, those shapes take shape_nan_unsigned (AVX-512: the
// vector's own sign step), or (with payload) not shape_lanes.
template <int W, round_mode Mode, bool Scaled, class Out, bool LateSigns, class Run>
PRECSIM_LANES void with_fast_shape(const kernel_params& p, Run&& run) {
  bool plain = std::is_floating_point_v<Out> ? p.fast_plain_value : p.fast_plain_code;
  bool inf = std::is_floating_point_v<Out> ? p.fast_inf_value : p.fast_inf_code;
  // (plain codes of shape_lanes clamp |x| at fast_code_clamp)
  if (!std::is_floating_point_v<Out> && lanes_mode<Mode, Scaled> && p.fast_lanes && !p.fast_code_clamp) plain = inf = false;
  using sc0 = std::integral_constant<unsigned, 0>;
  using sc2 = std::integral_constant<unsigned, 2>;
  // shapes with shape_sub: shape_lanes too where the format and mode allow
  const auto sub = [&](auto sh) PRECSIM_LAMBDA_INLINE {
    constexpr unsigned Shape = decltype(sh)::value | shape_sub;
    if constexpr (lanes_mode<Mode, Scaled>)
      if (p.fast_lanes) {
        if constexpr (!std::is_floating_point_v<Out>) {
          constexpr bool late = LateSigns && (Shape & shape_plain) != 0;
          const bool nan_unsigned = p.code_sign_below != 0 && (p.nan_code[0] & p.sign_bit) == 0;
          if (p.nan_payload_code == 0) {
            constexpr unsigned nan_const = Shape | shape_lanes | shape_nan_const;
            if constexpr (late)
              if (nan_unsigned)  // (shape_nan_unsigned's NaN code is +0; any other takes the sign per vector)
                return p.nan_code[0] ? run(std::integral_constant<unsigned, Shape>{})
                                     : run(std::integral_constant<unsigned, nan_const | shape_nan_unsigned>{});
            return run(std::integral_constant<unsigned, nan_const>{});
          }
          if constexpr (late)  // (NaN codes with a payload take the sign: IEEE formats; others go here)
            if (nan_unsigned) return run(std::integral_constant<unsigned, Shape>{});
        } else if constexpr ((Shape & shape_inf) != 0 ||
                             ((Shape & shape_plain) != 0 && !Scaled &&
                              (Mode == round_mode::nearest_even || Mode == round_mode::nearest_away))) {
          // (plain: the overflow's value is inf's; only the nearest modes overflow to it usually,
          // and each variant costs build time)
          if (p.inf_val[0] == 0x7F800000u) return run(std::integral_constant<unsigned, Shape | shape_lanes | shape_inf_float>{});
        }
        if constexpr (W == 8 && std::is_floating_point_v<Out> && (Shape & (shape_plain | shape_inf | shape_nzs)) == shape_plain)
          if (p.ovf_val[0] == p.fast_max) return run(std::integral_constant<unsigned, Shape | shape_lanes | shape_sat>{});
        return run(std::integral_constant<unsigned, Shape | shape_lanes>{});
      }
    return run(std::integral_constant<unsigned, Shape>{});
  };
  if (!p.keep_zero_sign) {
    if constexpr (!Scaled)
      if (p.fast_sub && plain) return sub(std::integral_constant<unsigned, shape_nzs | shape_plain>{});
    if constexpr (inf_shape_mode<Mode, Scaled>)
      if (p.fast_sub && inf) return sub(std::integral_constant<unsigned, shape_nzs | shape_inf | shape_plain>{});
    plain = inf = false;
  }
  if constexpr (sign_blind_mode<Mode> && !Scaled)
    if (p.fast_float_range) return run(std::integral_constant<unsigned, shape_float | shape_plain>{});
  if constexpr (inf_shape_mode<Mode, Scaled>)
    if (inf) {
      using si = std::integral_constant<unsigned, shape_inf | shape_plain>;
      return p.fast_sub ? sub(si{}) : run(si{});
    }
  if (p.fast_sub) return plain ? sub(sc2{}) : sub(sc0{});
  return plain ? run(sc2{}) : run(sc0{});
}

// Scaled: with lane_scales (sc.post only read for float outputs).
template <int W, round_mode Mode, bool Scaled, class Out, class Ops>
PRECSIM_LANES void round_span(const kernel_params& p, const sr_stream& s, const Ops& ops,
                              std::uint64_t j, const float* in, Out* out, std::size_t n, const lane_scales& sc = {}) {
  if (!p.fast) return group_span<W, Mode, Scaled, false, 0>(p, s, ops, j, in, out, n, sc);
  // (always inlined: GCC 12 keeps the level's target lambda `mul` out of line inside a lambda
  // without that target, even under flatten: stochastic rounding 3-4x slower)
  with_fast_shape<W, Mode, Scaled, Out, !Scaled && late_signs<W, Out, Ops>>(p, [&](auto sh) PRECSIM_LAMBDA_INLINE {
    constexpr unsigned Shape = decltype(sh)::value;
    if constexpr (Mode == round_mode::stochastic) {
#if PRECSIM_FAST_PATH
      // The low lanes' additions want nearest even, their products no FTZ, neither DAZ: the
      // bulk call's environment (bulk_fp_scope) already. Set again all the same, here as in
      // fast_span: the kernel does not rely on its callers for it (and without it GCC 12
      // compiled the group loop 3-4% slower at AVX2: Zen 5, FP4 / e4m3fn, 32 random bits).
      const scoped_mxcsr csr(0x1F80u);
#endif
      if constexpr (!Scaled)  // (block scales keep one variant: build time)
        if (p.random_bits == 32) return group_span<W, Mode, Scaled, true, Shape | shape_sr32>(p, s, ops, j, in, out, n, sc);
      group_span<W, Mode, Scaled, true, Shape>(p, s, ops, j, in, out, n, sc);
    } else {
      fast_span<W, Mode, Shape, Scaled>(p, ops, sc, in, out, n);
    }
  });
}

// How decode_lanes_span turns codes into float bits.
enum class decode_way { general, fields, shift };
template <int W, decode_way Way, class In>
PRECSIM_LANES void decode_lanes_span(const kernel_params& p, const In* in, float* out, std::size_t n) {
  std::size_t i = 0;
  typename vec<W>::u32 c, v;
  const auto lanes = [&] {
    if constexpr (Way == decode_way::shift) shift_decode_lanes<W>(p, c, v);
    else if constexpr (Way == decode_way::fields) field_decode_lanes<W>(p, c, v);
    else lanes_decode<W>(p, c, v);
  };
  for (; i + W <= n; i += W) {
    load_lanes<W>(in + i, c);
    lanes();
    store_lanes<W>(reinterpret_cast<std::uint32_t*>(out) + i, v);
  }
  if (i < n) {
    In tin[W] = {};
    float tout[W];
    std::memcpy(tin, in + i, (n - i) * sizeof(In));
    load_lanes<W>(tin, c);
    lanes();
    store_lanes<W>(reinterpret_cast<std::uint32_t*>(tout), v);
    std::memcpy(out + i, tout, (n - i) * sizeof(float));
  }
}
template <int W, class In>
PRECSIM_LANES void decode_span(const kernel_params& params, const In* in, float* out, std::size_t n) {
  const kernel_params p = params;
  if (p.decode_shift) decode_lanes_span<W, decode_way::shift>(p, in, out, n);
  else if (p.decode_fields) decode_lanes_span<W, decode_way::fields>(p, in, out, n);
  else decode_lanes_span<W, decode_way::general>(p, in, out, n);
}

#endif  // PRECSIM_VECTOR_KERNELS

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
