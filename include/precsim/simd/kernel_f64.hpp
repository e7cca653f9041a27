// The bulk kernels of double spans (bulk.hpp), on the float kernel's steps (simd/kernel.hpp):
// doubles rounded in their own bit pattern (f64_span), the round-to-odd narrowing to float and
// the widening back (narrow_span, widen_span), and stochastic rounding with more than 32 random
// bits (sr_double_block). Compiled per instruction set by simd/dispatch.hpp, like kernel.hpp.
#pragma once

#include "kernel.hpp"

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

#if PRECSIM_VECTOR_KERNELS

// ---- doubles in their own bit pattern -------------------------------------------------------
// The fast path's deterministic modes restated on 64-bit lanes for double spans (bulk.hpp), with
// no conversion to float and back: |x|'s bits rounded at bit 52 - m (round_in_bits), low lanes
// by one double addition (low_by_magic: C = 2^(q + 52)), overflow by one compare. NaN and inf
// lanes are the caller's (but for plain). The formats of kernel_params::fast, where the low
// lanes' addition rounds in the mode (fast_magic_mode: x86's MXCSR, set here). by_magic:
// vectors with such lanes take f64_by_magic instead (lanes_mode, formats with subnormals);
// ovf_above: the largest |x| (bits) that rounds to at most max; code_base: (1024 - bias) << 52;
// plain: values whose inf and overflow answers are one, signed (kernel_params::fast_plain_value);
// inf_ovf: plain, that answer +-inf.
struct f64_params {
  std::uint64_t lowm = 0, min_normal = 0, max_value = 0, magic = 0, rebias = 0;
  std::uint64_t keep_zero_sign = 0, sign_code = 0, code_shift = 0;
  std::uint64_t ovf_value[2]{}, ovf_code[2]{};  // results beyond max finite, + and -
  std::uint64_t ovf_above = 0, code_base = 0;
  double quantum = 0;  // 2^q below the min normal
  int s = 0;
  unsigned csr = 0x1F80u;
  bool by_magic = false, plain = false, clamp = false, inf_ovf = false;
};

inline bool make_f64_params(const float_format& f, const kernel_params& k, f64_params& p) noexcept {
  if (!k.fast || k.mode == round_mode::stochastic) return false;
  const int m = f.mantissa_bits, emin = min_exponent(f);
  const int q = f.subnormals == subnormal_mode::flush ? emin : emin - m;
  const auto widened = [](std::uint32_t bits) { return bit_cast<std::uint64_t>(double(bit_cast<float>(bits))); };
  p.s = 52 - m;
  p.lowm = (std::uint64_t{1} << p.s) - 1;
  p.min_normal = std::uint64_t(emin + 1023) << 52;
  p.max_value = bit_cast<std::uint64_t>(max_finite(f));
  p.magic = std::uint64_t(q + 52 + 1023) << 52;
  p.rebias = std::uint64_t(1023 - f.bias) << m;
  p.keep_zero_sign = k.keep_zero_sign ? ~std::uint64_t{0} : 0;
  p.sign_code = k.sign_bit;
  p.code_shift = k.fast_code_shift;
  for (int neg = 0; neg < 2; ++neg) {
    p.ovf_value[neg] = widened(k.ovf_val[neg]);
    p.ovf_code[neg] = k.ovf_code[neg];
  }
  p.quantum = pow2(q);
  // (nearest away: nearest even of x with its last bit set, as in lanes_by_magic, for the low
  // lanes too: the float kernel's low lanes cut toward zero)
  p.csr = k.mode == round_mode::nearest_away ? 0x1F80u : k.fast_csr;
  // (binary16's to_odd, half_hw 4: the hardware's pass takes those chunks, as fast at AVX2 and
  // faster at AVX-512: dispatch.hpp, one_pass_f64; nearest away's values by this route: 2.4 ->
  // 3.1 G/s at AVX2 on wide-range inputs)
  p.by_magic = f.subnormals == subnormal_mode::gradual && k.half_hw != 4 &&
               (k.mode == round_mode::nearest_even || k.mode == round_mode::nearest_away ||
                (PRECSIM_FAST_PATH && (k.mode == round_mode::toward_zero || k.mode == round_mode::to_odd)));
  if (p.by_magic) {
    p.ovf_above = overflow_above(p.max_value, p.s, k.mode);
    p.code_base = std::uint64_t(1024 - f.bias) << 52;
    p.plain = k.fast_plain_value;
    p.clamp = p.ovf_value[0] == p.max_value && p.ovf_value[1] == (p.max_value | std::uint64_t{1} << 63);
    p.inf_ovf = p.plain && p.ovf_value[0] == 0x7FF0000000000000 && p.ovf_value[1] == 0xFFF0000000000000;
  }
  return true;
}

// f64_params' constants broadcast once per call (GCC leaves some broadcasts in the loop).
// from_min: added to |x|'s bits, it puts them in int64 order from the min normal up, above
// every pattern below it (which wrap to the top): one compare with max_from_min finds both.
template <int W>
struct f64_vectors {
  using U = typename vec<W>::u64;
  using F = typename vec<W>::f64;
  U min_normal, max_value, ovf, ovf_flip, from_min, max_from_min, below_inf, inf, ovf_above, lane_c, code_base,
      sign = U{} + 0x8000000000000000;
  F quantum, big;  // 2^q, 2^(q + 52)
  explicit f64_vectors(const f64_params& p, bool value)
      : min_normal(U{} + p.min_normal), max_value(U{} + p.max_value),
        ovf(U{} + (value ? p.ovf_value[0] : p.ovf_code[0])),
        ovf_flip(U{} + (value ? p.ovf_value[0] ^ p.ovf_value[1] : p.ovf_code[0] ^ p.ovf_code[1])),
        from_min(U{} + ((std::uint64_t{1} << 63) - p.min_normal)), max_from_min(max_value + from_min),
        below_inf(U{} + 0x7FEFFFFFFFFFFFFF), inf(below_inf + 1), ovf_above(U{} + p.ovf_above),
        lane_c(U{} + (std::uint64_t(p.s) << 52)),
        code_base(U{} + p.code_base), quantum(F{} + p.quantum), big(F{} + p.quantum * 0x1p52) {}
};

// One vector: x's bits b -> y, double bits (Out = double) or codes. rn: |x| rounded by
// round_in_bits; rare: whether some lane lies below the min normal or beyond max finite (else
// each result is rn, signed).
template <int W, round_mode Mode, class Out>
PRECSIM_LANES void f64_lanes(const f64_params& p, const f64_vectors<W>& k, const typename vec<W>::u64& b,
                             const typename vec<W>::u64& a, const typename vec<W>::u64& rn, bool rare,
                             typename vec<W>::u64& y) {
  using L = lanes64<W>;
  using U = typename L::U;
  using S = typename L::S;
  using F = typename L::F;
  constexpr bool value = std::is_same_v<Out, double>;
  constexpr std::uint64_t abs_mask = 0x7FFFFFFFFFFFFFFF;
  const U neg = U(S(b) >> 63), sign = value ? b & ~abs_mask : neg & p.sign_code;
  U mag = value ? rn : (rn >> p.s) - p.rebias;
  if (!rare) {
    y = mag | sign;
    return;
  }
  U q, v;
  if constexpr (Mode == round_mode::nearest_away) low_by_magic<L, round_mode::nearest_even>(p.magic, b, a | 1, q);
  else low_by_magic<L, Mode>(p.magic, b, a, q);
  if constexpr (value)  // (exact: q < 2^52; the sign cleared: 0 comes out as -0 in MXCSR's toward -inf)
    v = U(F(q | 0x4330000000000000) * k.quantum - k.big) & abs_mask;  // (an FMA where contracted: exact too)
  else
    v = q << p.code_shift;
  // (vector operands only: GCC scalarizes some conditionals with scalar ones)
  mag = S(a) < S(k.min_normal) ? v : mag;
  y = p.keep_zero_sign ? mag | sign : mag | (sign & U(mag != 0));
  y = S(rn) > S(k.max_value) ? k.ovf ^ (neg & k.ovf_flip) : y;
}

// One vector by each lane's own magic constant (f64_params::by_magic), as lanes_by_magic for
// floats: |x| + C, C = 2^(max(E, emin) + 52 - m), rounds |x| at the format's quantum in x's
// binade E (the subnormals' below the min normal); the value is the sum less its binade's power
// of two, the code the sum's bits less C's plus the exponent field. About half the operations
// of f64_lanes' rare route, where vectors with low lanes or lanes beyond max are common.
// Plain (f64_params::plain): inf as overflow and NaN passed through here, without the caller's
// branch on them; InfOvf (f64_params::inf_ovf): both by one select, of |x| where it is a NaN
// (signed: x itself) and inf otherwise (ops.nan_or). Clamp (f64_params::clamp, values): the
// overflow's value is +-max, which every |x| >= max rounds to, so that |x| clamped at max (a
// float min) needs no overflow step.
template <int W, round_mode Mode, class Out, bool Plain, bool Clamp, bool InfOvf, class Ops>
PRECSIM_LANES void f64_by_magic(const f64_params& p, const Ops& ops, const f64_vectors<W>& k, const typename vec<W>::u64& b,
                                const typename vec<W>::u64& a, typename vec<W>::u64& y) {
  using L = lanes64<W>;
  using U = typename L::U;
  using S = typename L::S;
  using F = typename L::F;
  constexpr bool value = std::is_same_v<Out, double>;
  static_assert(value || !(Plain || Clamp));
  static_assert(!InfOvf || (Plain && !Clamp));
  U mag;
  const U ac = Clamp ? U(F(a) < F(k.max_value) ? F(a) : F(k.max_value)) : a;  // (NaN: max)
  lanes_by_magic<L, value, Mode>(ac, k.min_normal, k.lane_c, k.code_base, p.s, mag, ops.opaque);
  const S ovf = S(a) > S(k.ovf_above);  // (their C need not be finite)
  if constexpr (InfOvf) {
    U big;
    ops.nan_or(a, k.inf, big);
    mag = ovf ? big : mag;
  } else if constexpr (Plain && !Clamp) {
    mag = ovf ? k.ovf : mag;
  }
  const U neg = U(S(b) >> 63), sign = value ? b & k.sign : neg & p.sign_code;
  if (p.keep_zero_sign) {
    y = mag | sign;
  } else if constexpr (value) {
    y = mag;
    ops.nz_sign(y, sign);
  } else {
    y = mag | (sign & U(mag != 0));
  }
  if constexpr (Plain) {
    if constexpr (!InfOvf) y = S(a) > S(k.inf) ? b : y;
  } else if constexpr (!Clamp) {
    y = ovf ? k.ovf ^ (neg & k.ovf_flip) : y;
  }
}

// What a level writes in its own intrinsics for f64_span (dispatch.hpp, PRECSIM_F64_KERNEL):
// any_gt(x, t), whether x > t as int64 in some lane (GCC's generic reduction cost 1.5x at
// AVX-512); nz_sign(y, sign), sign's bits set in the value y where it is nonzero; opaque(v), v
// hidden from the optimizer, or nullptr (kernel.hpp, level_ops); nan_or(x, c, r), r = x >= 0
// where it is a NaN, else c >= every other x (x86: a max, 1 operation, where a compare and a
// select take 2).
template <class AnyGt, class NzSign, class Opaque, class NanOr>
struct f64_ops {
  AnyGt any_gt;
  NzSign nz_sign;
  Opaque opaque;
  NanOr nan_or;
};

// Doubles in[0, n) -> out: returns how many it rounded, stopping before the first vector (or
// the tail) holding a NaN or an infinity (but in f64_by_magic's plain blocks, which round
// them), which the caller gives the scalar core, or (handoff)
// where vectors with lanes below the min normal or beyond max are common: then busy is set.
// In place (in == out) too: each vector is read before it is written. ops: f64_ops.
template <int W, round_mode Mode, class Out, class Ops>
PRECSIM_LANES std::size_t f64_span(const f64_params& params, const Ops& ops, const double* in, Out* out,
                                   std::size_t n, bool handoff, bool& busy) {
  using U = typename vec<W>::u64;
  using S = typename vec<W>::i64;
  const f64_params p = params;  // (a copy: the stores to out could alias a reference)
  f64_vectors<W> k(p, std::is_same_v<Out, double>);
  // (a sign mask the optimizer cannot see: GCC rebuilt the constant in some loops, three
  // instructions per vector)
  if constexpr (!std::is_null_pointer_v<decltype(ops.opaque)>) ops.opaque(k.sign);
#if PRECSIM_FAST_PATH
  const scoped_mxcsr csr(p.csr);
#endif
  // (codes at AVX2, W = 4: each lane's low dword, then its low bytes, two shuffles, where GCC
  // converts 64-bit lanes to narrower ones element by element: e4m3fn codes of doubles 1.5-2.0
  // -> 2.1-3.8 G/s)
  const auto store = [](Out* to, const U& y) PRECSIM_LAMBDA_INLINE {
    if constexpr (std::is_same_v<Out, double> || sizeof(Out) == 8) {
      std::memcpy(to, &y, sizeof y);
    } else if constexpr (W == 4) {
      typedef std::uint32_t u32x8 __attribute__((vector_size(32)));
      typedef std::uint8_t u8x16 __attribute__((vector_size(16)));
      const u8x16 lo = u8x16(__builtin_shufflevector(u32x8(y), u32x8(y), 0, 2, 4, 6));
      if constexpr (sizeof(Out) == 4) {
        std::memcpy(to, &lo, sizeof lo);
      } else if constexpr (sizeof(Out) == 2) {
        const auto c = __builtin_shufflevector(lo, lo, 0, 1, 4, 5, 8, 9, 12, 13);
        std::memcpy(to, &c, sizeof c);
      } else {
        const auto c = __builtin_shufflevector(lo, lo, 0, 4, 8, 12);
        std::memcpy(to, &c, sizeof c);
      }
    } else {
      typedef Out out_lanes __attribute__((vector_size(W * sizeof(Out))));
      const out_lanes c = __builtin_convertvector(y, out_lanes);
      std::memcpy(to, &c, sizeof c);
    }
  };
  // One vector; rare: counts the vectors with lanes below the min normal or above max. Full:
  // every vector takes their steps, without a branch on it (where they are common the branch
  // mispredicts: FP6 at AVX2 ran 3x slower on N(0,1) inputs). Values in the modes that do not
  // look at the sign round the signed pattern (carries stop below the sign bit; zeros are rare
  // lanes): a vector without rare lanes is then its result (two operations fewer).
  constexpr bool signed_rn = std::is_same_v<Out, double> && sign_blind_mode<Mode>;
  const auto lanes = [&](auto full, const double* from, Out* to, unsigned& rare) PRECSIM_LAMBDA_INLINE {
    U b, y;
    std::memcpy(&b, from, sizeof b);
    const U a = b & 0x7FFFFFFFFFFFFFFF;
    U rn;
    round_in_bits<lanes64<W>, Mode>(b, signed_rn ? b : a, p.lowm, p.s, rn);
    const bool here = __builtin_expect(ops.any_gt(a + k.from_min, k.max_from_min), 0);
    rare += here;
    if constexpr (signed_rn && !decltype(full)::value) {
      if (!here) {
        store(to, rn);
        return true;
      }
    }
    if ((decltype(full)::value || here) && ops.any_gt(a, k.below_inf)) return false;  // NaN, inf
    if constexpr (signed_rn) rn &= 0x7FFFFFFFFFFFFFFF;
    f64_lanes<W, Mode, Out>(p, k, b, a, rn, decltype(full)::value || here, y);
    store(to, y);
    return true;
  };
  // One vector by f64_by_magic; counted: count, per lane, those below the min normal or beyond
  // max (a vector's sum, not a branch per vector)
  const auto by_magic_lanes = [&](auto plain, auto clamp, auto inf, auto counted, const double* from, Out* to, U& count)
                                  PRECSIM_LAMBDA_INLINE {
    U b, y;
    std::memcpy(&b, from, sizeof b);
    const U a = b & 0x7FFFFFFFFFFFFFFF;
    if (!decltype(plain)::value && ops.any_gt(a, k.below_inf)) return false;  // NaN, inf
    if constexpr (decltype(counted)::value) count -= U(S(a + k.from_min) > S(k.max_from_min));
    f64_by_magic<W, Mode, Out, decltype(plain)::value, decltype(clamp)::value, decltype(inf)::value>(p, ops, k, b, a, y);
    store(to, y);
    return true;
  };
  // blocks of 32 vectors, each the way the last one's count of rare vectors favours (handoff:
  // where that is every step and f64_by_magic does not serve, the caller's other route takes
  // the next chunk)
  constexpr bool magic_mode = lanes_mode<Mode, false>;
  const bool by_magic = magic_mode && p.by_magic, plain = std::is_same_v<Out, double> && p.plain;
  const bool clamp = std::is_same_v<Out, double> && p.clamp, inf_ovf = std::is_same_v<Out, double> && p.inf_ovf;
  std::size_t i = 0;
  unsigned rare = 0;
  busy = false;
  while (n - i >= W) {
    const std::size_t end = i + std::min<std::size_t>((n - i) / W, 32) * W;
    const bool full = rare > 4;
    rare = 0;
    if (full && by_magic) {
      if constexpr (magic_mode) {
        // rare lanes counted in the block's first 8 vectors only and weighed 4 times: an
        // estimate of the block's rare lanes, at least its rare vectors, the count the other
        // routes keep (its 3 operations per vector were a sixth of the loop's at AVX2)
        const std::size_t counted_end = i + std::min<std::size_t>(end - i, 8 * W);
        U count{};
        const auto run = [&](auto plain_lanes, auto clamp_lanes, auto inf_lanes) PRECSIM_LAMBDA_INLINE {
          for (; i < counted_end; i += W)
            if (!by_magic_lanes(plain_lanes, clamp_lanes, inf_lanes, std::true_type{}, in + i, out + i, count))
              return false;
          for (; i < end; i += W)
            if (!by_magic_lanes(plain_lanes, clamp_lanes, inf_lanes, std::false_type{}, in + i, out + i, count))
              return false;
          return true;
        };
        using yes = std::true_type;
        using no = std::false_type;
        bool done;
        if constexpr (std::is_same_v<Out, double>)
          done = plain ? (clamp ? run(yes{}, yes{}, no{}) : inf_ovf ? run(yes{}, no{}, yes{}) : run(yes{}, no{}, no{}))
                       : clamp ? run(no{}, yes{}, no{}) : run(no{}, no{}, no{});
        else
          done = run(no{}, no{}, no{});
        if (!done) return i;
        for (int j = 0; j < W; ++j) rare += 4 * unsigned(count[j]);
      }
    } else if (full && handoff) {
      busy = true;
      return i;
    } else if (full) {
      for (; i < end; i += W)
        if (!lanes(std::true_type{}, in + i, out + i, rare)) return i;
    } else {
      for (; i < end; i += W)
        if (!lanes(std::false_type{}, in + i, out + i, rare)) return i;
    }
  }
  if (i == n) return n;
  double tin[W] = {};
  Out tout[W];
  std::memcpy(tin, in + i, (n - i) * sizeof(double));
  if (!lanes(std::true_type{}, tin, tout, rare)) return i;
  std::memcpy(out + i, tout, (n - i) * sizeof(Out));
  return n;
}

// Doubles to float by round-to-odd (bulk.hpp): the float toward zero (x86: the conversion in
// MXCSR's round-toward-zero; elsewhere to nearest, then one step toward zero where that is
// larger in magnitude than x), with the last bit set where it is not x. Returns whether some x
// is a NaN, an infinity or at least FLT_MAX in magnitude (bulk.hpp sends such chunks to the
// scalar core). (W doubles fill the level's registers: half its float lanes.)
template <int W>
PRECSIM_LANES bool narrow_span(const double* x, float* y, std::size_t n) {
  using f64 = typename vec<W>::f64;
  using u32 = typename vec<W>::u32;
  using i32 = i32_of<W>;
  using i64 = typename vec<W>::i64;
  if (n == 0) return false;  // (no MXCSR switch for nothing: the AVX-512 narrowing's empty tails)
#if PRECSIM_FAST_PATH
  const scoped_mxcsr csr(0x1F80u | 3u << 13);
#endif
  i64 special{};
  const auto lanes = [&](const double* in, float* out) {
    f64 v;
    std::memcpy(&v, in, sizeof v);
    typename vec<W>::f32 f = __builtin_convertvector(v, typename vec<W>::f32);
    __asm__("" : "+m"(f));  // -funsafe-math-optimizations would fold double(float(v)) to v
    const f64 back = __builtin_convertvector(f, f64);
    u32 b = u32(f);
#if !PRECSIM_FAST_PATH
    const i64 abs_mask = i64{} + 0x7FFFFFFFFFFFFFFF;
    b += u32(__builtin_convertvector((i64(back) & abs_mask) > (i64(v) & abs_mask), i32));  // |f| > |x|
#endif
    b |= u32(__builtin_convertvector(i64(back) != i64(v), i32)) & 1;
    special |= (i64(v) & (i64{} + 0x7FFFFFFFFFFFFFFF)) >= 0x47EFFFFFE0000000;  // FLT_MAX (on bits: fast-math)
    std::memcpy(out, &b, sizeof b);
  };
  std::size_t i = 0;
  for (; i + W <= n; i += W) lanes(x + i, y + i);
  if (i < n) {
    double tin[W] = {};
    float tout[W];
    std::memcpy(tin, x + i, (n - i) * sizeof(double));
    lanes(tin, tout);
    std::memcpy(y + i, tout, (n - i) * sizeof(float));
  }
  bool any = false;
  for (int l = 0; l < W; ++l) any |= special[l] != 0;
  return any;
}

template <int W>
PRECSIM_LANES void widen_span(const float* x, double* y, std::size_t n) {
  std::size_t i = 0;
  for (; i + W <= n; i += W) {
    typename vec<W>::f32 v;
    std::memcpy(&v, x + i, sizeof v);
    const typename vec<W>::f64 d = __builtin_convertvector(v, typename vec<W>::f64);
    std::memcpy(y + i, &d, sizeof d);
  }
  for (; i < n; ++i) y[i] = x[i];
}

// Stochastic rounding of doubles with n > 32 random bits (a random_u64 word each) to a format of
// nearest_in_bits (core/round.hpp) whose 52 - m discarded bits n covers, W lanes at a time, by
// the core's rule (stochastic_away). Normal results (arith.hpp, stochastic_from_bits): R's top
// 52 - m bits added below the kept ones (the carry moves into the exponent), the rest cleared:
// the value's bits. Below the min normal, d = emin - m - e + 52 bits of the significand sig
// (subnormal doubles: e = -1022, no hidden bit) are discarded: while d <= min(n, 62), (sig + R's
// top d bits) >> d quanta; beyond (d > 53: no whole quantum), the fraction's first n bits k, the
// next bit and the sticky bit, reduced by the variant to V: one quantum iff V + R >= 2^n.
// Overflow gives the result the core gives 2 max (any random word): it depends on the sign and
// the saturation only. NaN and inf lanes are the caller's (the scalar core).
struct sr_double_params {
  std::uint64_t min_normal = 0;  // bits of the format's min normal
  std::uint64_t max_value = 0;   // bits of its max finite value
  std::uint64_t rebias = 0;      // (1023 - bias) << m: a value's bits >> (52 - m) minus this is its code
  std::uint64_t max_code = 0, sign_code = 0, random_mask = 0;
  std::uint64_t variant_b = 0, variant_c = 0;  // all ones for that variant
  std::uint64_t overflow_value[2]{}, overflow_code[2]{};  // bits of the results beyond max, + and -
  double quantum = 0;  // 2^(emin - m)
  int d = 0, n = 64, low_base = 0, max_low_d = 62;  // low_base - (exponent field) = d below the min normal
  bool negative_zero = true;
};

inline bool make_sr_double_params(const float_format& f, const rounding& r, sr_double_params& p) noexcept {
  const int n = r.random_bits == 0 || r.random_bits > 64 ? 64 : r.random_bits;
  const int m = f.mantissa_bits, emin = min_exponent(f);
  if (r.mode != round_mode::stochastic || n <= 32 || !nearest_in_bits(f) || !max_is_normal(f) || 52 - m > n)
    return false;
  p.min_normal = std::uint64_t(emin + 1023) << 52;
  p.max_value = bit_cast<std::uint64_t>(max_finite(f));
  p.rebias = std::uint64_t(1023 - f.bias) << m;
  p.max_code = max_finite_code(f);
  p.sign_code = sign_code(f, true);
  p.random_mask = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
  p.variant_b = r.variant == sr_variant::b ? ~std::uint64_t{0} : 0;
  p.variant_c = r.variant == sr_variant::c ? ~std::uint64_t{0} : 0;
  p.quantum = pow2(emin - m);
  p.d = 52 - m;
  p.n = n;
  p.low_base = emin - m + 52 + 1023;
  p.max_low_d = n < 62 ? n : 62;
  p.negative_zero = has_negative_zero(f);
  for (int neg = 0; neg < 2; ++neg) {
    const double beyond = neg ? -2 * max_finite(f) : 2 * max_finite(f);
    p.overflow_value[neg] = bit_cast<std::uint64_t>(quantize(beyond, f, r, 0));
    p.overflow_code[neg] = encode(beyond, f, r, 0);
  }
  return true;
}

// W 64-bit words from their low and high halves (one two-register permute where the target has
// one).
template <int W, std::size_t... I>
PRECSIM_LANES void join_halves(const typename vec<W>::u32& lo, const typename vec<W>::u32& hi,
                               typename vec<W>::u64& r, std::index_sequence<I...>) {
  if constexpr (std::endian::native == std::endian::little) {
    const auto v = __builtin_shufflevector(lo, hi, (I % 2 ? W + int(I / 2) : int(I / 2))...);
    std::memcpy(&r, &v, sizeof r);
  } else {
    r = __builtin_convertvector(lo, typename vec<W>::u64) | __builtin_convertvector(hi, typename vec<W>::u64) << 32;
  }
}
// 32 elements, whose random_u64 words are in the Philox batch `words` (philox.hpp, batch_u64).
// Returns the mask of the lanes left to the caller. Out: double (values) or codes.
template <int W, class Out>
PRECSIM_LANES std::uint32_t sr_double_block(const sr_double_params& params, const double* in, Out* out,
                                            const std::uint32_t* words) {
  using u64 = typename vec<W>::u64;
  using f64 = typename vec<W>::f64;
  const sr_double_params p = params;  // (a copy: the stores to out could alias a reference)
  // (selects by masks: GCC scalarizes some vector conditionals with scalar operands)
#define PRECSIM_PICK(mask, a, b) (((a) & (mask)) | ((b) & ~(mask)))
  constexpr std::uint64_t abs_mask = 0x7FFFFFFFFFFFFFFF, frac_mask = (std::uint64_t{1} << 52) - 1;
  const u64 signed_zero = u64{} + (p.negative_zero ? ~std::uint64_t{0} : 0);
  u64 left[32 / W], any_left{}, any_low{};
  // lanes below the min normal: one test per block (per vector it mispredicts where they are common)
  for (int v = 0; v < 32 / W; ++v) {
    u64 b;
    std::memcpy(&b, in + W * v, sizeof b);
    any_low |= u64((b & abs_mask) < p.min_normal);
  }
  const bool low_lanes = any_lanes<2 * W>(typename vec<2 * W>::u32(any_low));
  for (int v = 0; v < 32 / W; ++v) {
    u64 b;
    std::memcpy(&b, in + W * v, sizeof b);
    typename vec<W>::u32 half[2];  // (batch_u64's layout; W <= 16: no vector straddles its halves)
    const int at = (W * v >> 4) * 32 + (W * v & 15);
    std::memcpy(&half[0], words + at, sizeof half[0]);
    std::memcpy(&half[1], words + at + 16, sizeof half[1]);
    u64 rnd;
    join_halves<W>(half[0], half[1], rnd, std::make_index_sequence<2 * W>{});
    rnd &= p.random_mask;
    const u64 a = b & abs_mask, sign = b & ~abs_mask, neg = u64(sign != 0);
    const u64 field = a >> 52, low = u64(a < p.min_normal);
    // normal lanes: the value's bits
    const u64 rn = (a + (rnd >> (p.n - p.d))) & ~((std::uint64_t{1} << p.d) - 1);
    // low lanes (shift counts kept in range in every lane), in blocks that have them: their
    // count of quanta (doubles: their value's bits)
    u64 mag_low{};
    if (low_lanes) {
      const u64 normal_double = u64(field != 0);
      const u64 sig = (a & frac_mask) | (normal_double & (frac_mask + 1));
      const u64 dl = std::uint64_t(p.low_base) - (field | (~normal_double & 1));  // (field 0: the exponent of field 1)
      const u64 by_sum = u64(dl <= std::uint64_t(p.max_low_d));
      const u64 ds = dl & by_sum;
      mag_low = (sig + ((rnd >> ((std::uint64_t(p.n) - ds) & by_sum)) & by_sum)) >> ds;
      if (any_lanes<2 * W>(typename vec<2 * W>::u32(low & ~by_sum & u64(a != 0)))) {
        const u64 t = dl - std::uint64_t(p.n);  // the fraction's bits beyond R's (dl >= 63, t >= -1)
        const u64 beyond = u64(t >= 1) & u64(t <= 1100);  // (else t = -1 or 0: no next bit)
        const u64 up = ~beyond & (0 - t) & 1, down = PRECSIM_PICK(beyond & u64(t > 63), 63, t & beyond);
        const u64 s1 = PRECSIM_PICK(beyond & u64(t > 64), 63, (t - 1) & beyond);
        const u64 k = (sig << up) >> down;  // (sig < 2^53)
        const u64 next = (sig >> s1) & beyond & 1, sticky = u64((sig & (((u64{} + 1) << s1) - 1)) != 0) & 1;
        const u64 total = rnd + k + (next & (p.variant_b | (p.variant_c & (sticky | k))) & 1);
        const u64 tiny = (u64(total < rnd) | u64(total > p.random_mask)) & 1;  // (a carry beyond n bits)
        mag_low = PRECSIM_PICK(by_sum, mag_low, tiny);
      }
      if constexpr (std::is_same_v<Out, double>)  // the value's bits
        mag_low = u64((f64(mag_low | 0x4330000000000000) - 0x1p52) * p.quantum);  // (exact: mag < 2^23)
    }
    left[v] = u64(field == 0x7FF);
    any_left |= left[v];
    if constexpr (std::is_same_v<Out, double>) {
      u64 y = PRECSIM_PICK(low, mag_low, rn);
      y |= sign & (u64(y != 0) | signed_zero);
      const u64 over = PRECSIM_PICK(neg, p.overflow_value[1], p.overflow_value[0]), overflows = ~low & u64(rn > p.max_value);
      y = PRECSIM_PICK(overflows, over, y);
      y = PRECSIM_PICK(left[v], b, y);  // (the caller's lanes keep x: in place, it reads them again)
      std::memcpy(out + W * v, &y, sizeof y);
    } else {
      const u64 mag = PRECSIM_PICK(low, mag_low, (rn >> p.d) - p.rebias), overflows = u64(mag > p.max_code);
      u64 y = mag | (neg & (u64(mag != 0) | signed_zero) & p.sign_code);
      y = PRECSIM_PICK(overflows, PRECSIM_PICK(neg, p.overflow_code[1], p.overflow_code[0]), y);
      for (int l = 0; l < W; ++l) out[W * v + l] = Out(y[l]);
    }
  }
  if (!any_lanes<2 * W>(typename vec<2 * W>::u32(any_left))) return 0;
  std::uint32_t hard = 0;
  for (int v = 0; v < 32 / W; ++v)
    for (int l = 0; l < W; ++l) hard |= std::uint32_t(left[v][l] & 1) << (W * v + l);
  return hard;
#undef PRECSIM_PICK
}

#endif  // PRECSIM_VECTOR_KERNELS

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
