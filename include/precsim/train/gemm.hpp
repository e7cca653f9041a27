// Quantized matrix multiply with a simulated accumulator: C = op(A) * op(B), row-major.
//   op(A) is M x K (A stored M x K, or K x M with trans_a), op(B) is K x N (B stored K x N, or
//   N x K with trans_b). Both operands are first fake-quantized (gemm_options::a, ::b), op(A) as
//   an M x K matrix and op(B)^T as an N x K matrix, so that tile shapes read (output channel,
//   reduction): {1, 32} is an MX block along K for both, {1, 0} one scale per output channel.
//   Then every C[i][j] is accumulated in order k = 0, 1, ..., K - 1:
//     part = round_acc(part + a_ik * b_kj)   (the product exact, one rounding per step)
//   and with promote_every = P > 0 the partial sum restarts at 0 every P products, the partial
//   sums being added in float32 (C = p1, then C = fl32(C + p2), ...), as FP8 tensor-core
//   recipes promote to CUDA-core fp32 registers. The default accumulator, float32 with
//   round-to-nearest-even, is a chain of fused multiply-adds.
// Results are bit-identical to that scalar loop (tests/test_train.cpp checks against the exact
// arithmetic of arith.hpp), whatever the SIMD level or thread count. NaN payloads are unspecified.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "../arith.hpp"
#include "../parallel.hpp"
#include "quantizer.hpp"

#if PRECSIM_X86
#include <immintrin.h>
#endif

namespace precsim {

struct accumulator {
  float_format format = formats::float32;  // at most float32's precision and range
  rounding round{};                        // any mode but stochastic
  std::size_t promote_every = 0;           // products per partial sum; 0: never promote
  friend constexpr bool operator==(const accumulator&, const accumulator&) = default;
};

struct gemm_options {
  bool trans_a = false, trans_b = false;
  quantizer a{}, b{};                     // applied to op(A) (M x K) and op(B)^T (N x K)
  sr_source a_stream{}, b_stream{};       // their stochastic rounding (element i*K + k; {}: fresh default streams)
  accumulator acc{};
};

PRECSIM_BEGIN_CONFIG
namespace detail {

inline constexpr std::size_t gemm_mr = 4;  // rows of a micro-tile

inline const char* invalid_reason(const accumulator& a) noexcept {
  if (invalid_reason(a.format)) return "accumulator.format is not a valid float_format";
  if (a.format.mantissa_bits > 23 || max_exponent(a.format) > 127 || min_positive_exponent(a.format) < -149)
    return "accumulator.format must fit in float32 (at most 23 mantissa bits, float32's range)";
  if (invalid_reason(a.round)) return "accumulator.round is not a valid rounding";
  if (a.round.mode == round_mode::stochastic) return "accumulator.round.mode stochastic is not supported";
  return nullptr;
}

// One rounding step of the reference semantics, exact (arith.hpp): part + a * b rounded once.
inline float acc_step_exact(float a, float b, float part, const accumulator& acc) noexcept {
  return to_float(decode(rounded_fma(double(a), double(b), double(part), acc.format, acc.round), acc.format));
}

// How micro-tiles accumulate.
//   fma:     float32, round to nearest even: hardware fused multiply-add on float lanes
//   narrow:  IEEE-style formats of <= 22 bits (round to nearest even or toward zero) when every
//            product is exact in float (the operands' significands and exponents are checked):
//            float lanes; the sum s = prod + part and its error e (TwoSum) are exact, s is made
//            round-to-odd by e, which then rounds correctly to the format by integer ops
//   wide:    the same on double lanes, for any float operands and formats of <= 24 bits
//   exact:   anything else: the exact scalar step (arith.hpp) for every product
// Lanes that overflow the format redo their chunk with the exact step.
enum class acc_path : std::uint8_t { fma, narrow, wide, exact };

// Constants of the rounding on float (narrow) or double (wide) lanes, as the lane type's bits.
struct lane_consts {
  std::uint64_t low_mask, half;         // the bits below the format's last mantissa bit
  std::uint64_t min_normal, max_value;  // the format's normal range
  double sub_up, sub_down;              // 2^(m - emin), 2^(emin - m): the subnormal quantum
  bool sub;                             // the lanes' own subnormals do not line up with the format's
};

struct gemm_plan {
  accumulator acc;
  acc_path path = acc_path::exact;
  bool to_nearest = false;
  lane_consts narrow{}, wide{};
  bool narrow_ok = false;  // the format fits float lanes (the operands are checked per call)
};

template <class T>
lane_consts lane_consts_for(const float_format& f) {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  const int sh = (sizeof(T) == 4 ? 23 : 52) - f.mantissa_bits;
  const int emin = min_exponent(f);
  return {(std::uint64_t{1} << sh) - 1, std::uint64_t{1} << (sh - 1), bit_cast<U>(T(min_normal(f))),
          bit_cast<U>(T(max_finite(f))), pow2(f.mantissa_bits - emin), pow2(emin - f.mantissa_bits),
          sizeof(T) == 8 || emin > -126};
}

inline gemm_plan make_gemm_plan(const accumulator& acc) {
  gemm_plan p;
  p.acc = acc;
  p.to_nearest = acc.round.mode == round_mode::nearest_even;
  const float_format& f = acc.format;
  if (f == formats::float32 && p.to_nearest) {
    p.path = acc_path::fma;
  } else if ((p.to_nearest || acc.round.mode == round_mode::toward_zero) && f.is_signed &&
             f.specials == special_values::ieee && f.subnormals == subnormal_mode::gradual &&
             acc.round.saturate == saturation::none) {
    p.path = acc_path::wide;
    p.wide = lane_consts_for<double>(f);
    const int emin = min_exponent(f);
    p.narrow_ok = f.mantissa_bits <= 21 && (emin == -126 || (emin > -126 && f.mantissa_bits - emin <= 127));
    if (p.narrow_ok) p.narrow = lane_consts_for<float>(f);
  }
  return p;
}

// Significand width and exponent range of a set of floats (zeros ignored), to tell whether
// all products of two sets are exact in float.
struct operand_profile {
  int bits = 0, min_lsb = 1 << 20, max_msb = -(1 << 20);
  bool finite = true;
};
inline operand_profile profile_of(const std::vector<float>& x) noexcept {
  operand_profile r;
  for (float v : x) {
    const std::uint32_t u = bit_cast<std::uint32_t>(v) & 0x7FFFFFFFu;
    if (u == 0) continue;
    const int E = int(u >> 23);
    if (E == 255) {
      r.finite = false;
      continue;
    }
    const std::uint32_t sig = (u & 0x7FFFFFu) | (E ? 1u << 23 : 0u);
    const int tz = __builtin_ctz(sig), width = 32 - __builtin_clz(sig);
    const int lsb = (E ? E - 150 : -149) + tz;
    r.bits = std::max(r.bits, width - tz);
    r.min_lsb = std::min(r.min_lsb, lsb);
    r.max_msb = std::max(r.max_msb, lsb + width - tz - 1);
  }
  return r;
}
inline bool products_exact_in_float(const operand_profile& a, const operand_profile& b) noexcept {
  return a.finite && b.finite && a.bits + b.bits <= 24 && a.min_lsb + b.min_lsb >= -149 &&
         a.max_msb + b.max_msb <= 126;
}

// The packed operands: A as panels [M / mr][K][mr], B as panels [N / nr][K][nr] (zero-padded).
template <class T>
void pack_panels(const float* q, std::size_t rows, std::size_t K, std::size_t width, std::vector<T>& out) {
  const std::size_t panels = (rows + width - 1) / width;
  out.assign(panels * K * width, T(0));
  for (std::size_t r = 0; r < rows; ++r) {
    T* dst = out.data() + (r / width) * K * width + r % width;
    const float* src = q + r * K;
    for (std::size_t k = 0; k < K; ++k) dst[k * width] = T(src[k]);
  }
}

// The scalar loop of the semantics, for the exact path and as the portable fallback.
inline void tile_scalar(const gemm_plan& p, const float* ap, const float* bp, std::size_t K, std::size_t nr,
                        float* c) {
  const std::size_t P = p.acc.promote_every ? p.acc.promote_every : K;
  for (std::size_t r = 0; r < gemm_mr; ++r)
    for (std::size_t j = 0; j < nr; ++j) {
      float total = 0.0f;
      for (std::size_t k0 = 0; k0 < K; k0 += P) {
        float part = 0.0f;
        for (std::size_t k = k0; k < std::min(K, k0 + P); ++k) {
          const float a = ap[k * gemm_mr + r], b = bp[k * nr + j];
          part = p.path == acc_path::fma ? std::fma(a, b, part) : acc_step_exact(a, b, part, p.acc);
        }
        total = k0 == 0 ? part : total + part;
      }
      c[r * nr + j] = total;
    }
}

#if PRECSIM_VECTOR_KERNELS && PRECSIM_X86
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

// The float32 accumulator's micro-tile: nr = 2 W columns of mr rows on W float lanes, FMA the
// level's intrinsic (vector extensions have none).
template <int W>
struct gemm_lanes {
  using f32 = typename vec<W>::f32;
  static constexpr std::size_t nr = 2 * W;

  template <class Fma>
  PRECSIM_LANES static void tile_fma(const gemm_plan& p, const float* ap, const float* bp, std::size_t K,
                                     float* c, Fma fma) {
    const std::size_t P = p.acc.promote_every ? p.acc.promote_every : K;
    f32 tot[gemm_mr][2] = {};
    for (std::size_t k0 = 0; k0 < K; k0 += P) {
      f32 acc[gemm_mr][2] = {};
      const std::size_t k1 = std::min(K, k0 + P);
      for (std::size_t k = k0; k < k1; ++k) {
        f32 b0, b1;
        std::memcpy(&b0, bp + k * nr, sizeof b0);
        std::memcpy(&b1, bp + k * nr + W, sizeof b1);
        for (std::size_t r = 0; r < gemm_mr; ++r) {
          const f32 a = f32{} + ap[k * gemm_mr + r];
          fma(a, b0, acc[r][0]);
          fma(a, b1, acc[r][1]);
        }
      }
      for (std::size_t r = 0; r < gemm_mr; ++r)
        for (int h = 0; h < 2; ++h) tot[r][h] = k0 == 0 ? acc[r][h] : tot[r][h] + acc[r][h];
    }
    for (std::size_t r = 0; r < gemm_mr; ++r) {
      std::memcpy(c + r * nr, &tot[r][0], sizeof(f32));
      std::memcpy(c + r * nr + W, &tot[r][1], sizeof(f32));
    }
  }

};

// The rounding step on lanes of T (float or double) in VB-byte vectors: part = round(part + a*b).
// Below the format's normal range (where the lanes' own subnormals do not line up with the
// format's: Sub) the quantum is fixed, 2^(emin - m): the scaled magnitude is rounded to an
// integer by adding and subtracting 2^(mantissa bits of T) (opaque: no folding under fast-math),
// truncated for toward_zero. Check: the format ends below the lanes' range, so a rounded value
// above its largest is marked bad (formats that end where float does overflow to infinity, or
// saturate toward zero, by themselves).
template <class T, int VB>
struct acc_lanes {
  using S = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  typedef T V __attribute__((vector_size(VB)));
  typedef S U __attribute__((vector_size(VB)));
  static constexpr int lanes = VB / int(sizeof(T)), frac = sizeof(T) == 4 ? 23 : 52;
  static constexpr S sign_bit = S{1} << (8 * sizeof(T) - 1), exp_mask = sizeof(T) == 4 ? 0x7F800000u : 0x7FF0000000000000u;

  template <bool Nearest, bool Sub, bool Check, class Opaque>
  PRECSIM_LANES static void step(const lane_consts& c, int m, const V& a, const V& b, V& part, U& bad, Opaque opaque) {
    // Fast2Sum on the operands ordered by magnitude (as bits: NaN and infinity are redone
    // anyway); s and z opaque so that -fassociative-math cannot simplify the error away
    const V prod = a * b;  // exact (double: 24 + 24 bits; float: checked per call)
    U prod_bits, part_bits;
    std::memcpy(&prod_bits, &prod, sizeof prod_bits);
    std::memcpy(&part_bits, &part, sizeof part_bits);
    const auto prod_big = (prod_bits & ~sign_bit) >= (part_bits & ~sign_bit);
    const V big = prod_big ? prod : part, small = prod_big ? part : prod;
    V s = big + small;
    opaque(s);
    V z = s - big;
    opaque(z);
    const V e = small - z;
    U u, eb;
    std::memcpy(&u, &s, sizeof u);
    std::memcpy(&eb, &e, sizeof eb);
    const U sign = u & sign_bit;
    U mag = u ^ sign;
    // round to odd: an inexact s with an even last bit moves one unit toward the exact sum
    const U odd_fix = U((eb << 1) != 0) & U((mag & 1) == 0);
    const U up = U((eb & sign_bit) == sign);
    mag += odd_fix & ((up & 2) - 1);
    U r = mag;
    if constexpr (Nearest) r += S(c.half - 1) + ((mag >> (frac - m)) & 1);
    r &= ~S(c.low_mask);
    if constexpr (Sub) {
      V x, q;
      std::memcpy(&x, &mag, sizeof x);
      x *= T(c.sub_up);
      q = x + T(S{1} << frac);
      opaque(q);
      q -= T(S{1} << frac);
      if constexpr (!Nearest) q = q > x ? q - T(1) : q;
      q *= T(c.sub_down);
      U qb;
      std::memcpy(&qb, &q, sizeof qb);
      r = mag < S(c.min_normal) ? qb : r;
    }
    if constexpr (Check) bad |= U(r > S(c.max_value));
    r |= sign;
    std::memcpy(&part, &r, sizeof part);
  }

  // A micro-tile of gemm_mr rows and nr = NV * lanes columns; bp: panels of T. A chunk in which
  // any lane overflowed or met an infinity or NaN is redone with the exact step.
  template <int NV, bool Nearest, bool Sub, bool Check, class Opaque>
  PRECSIM_LANES static void tile_as(const gemm_plan& p, const lane_consts& c, const float* ap, const T* bp,
                                    std::size_t K, float* out, Opaque opaque) {
    constexpr std::size_t nr = std::size_t(NV) * lanes;
    const std::size_t P = p.acc.promote_every ? p.acc.promote_every : K;
    const int m = p.acc.format.mantissa_bits;
    float tot[gemm_mr][nr] = {};
    for (std::size_t k0 = 0; k0 < K; k0 += P) {
      V part[gemm_mr][NV] = {};
      const std::size_t k1 = std::min(K, k0 + P);
      U bad{};
      for (std::size_t k = k0; k < k1; ++k) {
        V b[NV];
        std::memcpy(b, bp + k * nr, sizeof b);
        for (std::size_t r = 0; r < gemm_mr; ++r) {
          const V a = V{} + T(ap[k * gemm_mr + r]);
          for (int h = 0; h < NV; ++h) step<Nearest, Sub, Check>(c, m, a, b[h], part[r][h], bad, opaque);
        }
      }
      float v[gemm_mr][nr];
      for (std::size_t r = 0; r < gemm_mr; ++r)
        for (int h = 0; h < NV; ++h) {
          U pb;
          std::memcpy(&pb, &part[r][h], sizeof pb);
          bad |= U((pb & exp_mask) == exp_mask);
          for (int l = 0; l < lanes; ++l) v[r][h * lanes + l] = float(part[r][h][l]);
        }
      bool any = false;
      for (int l = 0; l < lanes; ++l) any |= bad[l] != 0;
      if (any)
        for (std::size_t r = 0; r < gemm_mr; ++r)
          for (std::size_t j = 0; j < nr; ++j) {
            float x = 0.0f;
            for (std::size_t k = k0; k < k1; ++k) x = acc_step_exact(ap[k * gemm_mr + r], float(bp[k * nr + j]), x, p.acc);
            v[r][j] = x;
          }
      for (std::size_t r = 0; r < gemm_mr; ++r)
        for (std::size_t j = 0; j < nr; ++j) tot[r][j] = k0 == 0 ? v[r][j] : tot[r][j] + v[r][j];
    }
    std::memcpy(out, tot, sizeof tot);
  }

  template <int NV, class Opaque>
  PRECSIM_LANES static void tile(const gemm_plan& p, const lane_consts& c, const float* ap, const T* bp, std::size_t K,
                                 float* out, Opaque opaque) {
    // (plain branches, no generic lambda: every call must inline into the level's function)
    const bool check = sizeof(T) == 8 || max_exponent(p.acc.format) < 127;
    if (p.to_nearest) {
      if (c.sub) return check ? tile_as<NV, true, true, true>(p, c, ap, bp, K, out, opaque)
                              : tile_as<NV, true, true, false>(p, c, ap, bp, K, out, opaque);
      return check ? tile_as<NV, true, false, true>(p, c, ap, bp, K, out, opaque)
                   : tile_as<NV, true, false, false>(p, c, ap, bp, K, out, opaque);
    }
    if (c.sub) return check ? tile_as<NV, false, true, true>(p, c, ap, bp, K, out, opaque)
                            : tile_as<NV, false, true, false>(p, c, ap, bp, K, out, opaque);
    return check ? tile_as<NV, false, false, true>(p, c, ap, bp, K, out, opaque)
                 : tile_as<NV, false, false, false>(p, c, ap, bp, K, out, opaque);
  }
};

#define PRECSIM_GEMM_TILE(name, W, FMA, REG, ...)                                         \
  __VA_ARGS__ inline void name##_gemm_tile(const gemm_plan& p, const float* ap, const void* bp,   \
                                           std::size_t K, float* c) {                             \
    using L = gemm_lanes<W>;                                                                      \
    using N = acc_lanes<float, 4 * W>;                                                            \
    using D = acc_lanes<double, 4 * W>;                                                           \
    const auto opaque = [](auto& v) __VA_ARGS__ { __asm__("" : "+" REG(v)); };                    \
    if (p.path == acc_path::fma)                                                                  \
      return L::tile_fma(p, ap, static_cast<const float*>(bp), K, c,                              \
                         [](const L::f32& a, const L::f32& b, L::f32& x)                          \
                             __VA_ARGS__ { x = L::f32(FMA(a, b, x)); });                        \
    if (p.path == acc_path::narrow)                                                               \
      return N::tile<2>(p, p.narrow, ap, static_cast<const float*>(bp), K, c, opaque);       \
    D::tile<4>(p, p.wide, ap, static_cast<const double*>(bp), K, c, opaque);                 \
  }
PRECSIM_GEMM_TILE(avx2, 8, _mm256_fmadd_ps, "x", __attribute__((target("avx2,fma"))))
PRECSIM_GEMM_TILE(avx512, 16, _mm512_fmadd_ps, "v",
                  __attribute__((target("avx512f,avx512bw,avx512vl"))))
#undef PRECSIM_GEMM_TILE
#pragma GCC diagnostic pop
#endif

// bp: double panels for the wide path, else float panels.
using gemm_tile_fn = void (*)(const gemm_plan&, const float*, const void*, std::size_t, float*);

// The micro-tile for the active level and its width (nr); nullptr: the scalar loop.
inline gemm_tile_fn gemm_tile_for(const gemm_plan& p, std::size_t& nr) {
  nr = 16;
#if PRECSIM_VECTOR_KERNELS && PRECSIM_X86
  if (p.path != acc_path::exact) {
    const simd_level l = active_simd_level();
    if (l == simd_level::avx512) return nr = 32, avx512_gemm_tile;
    if (l == simd_level::avx2 && cpu().fma) return avx2_gemm_tile;
  }
#else
  (void)p;
#endif
  return nullptr;
}

// op(X) as a rows x K row-major matrix (a copy, transposed when X is stored K x rows).
inline std::vector<float> as_rows(std::span<const float> x, std::size_t rows, std::size_t K, bool transposed) {
  std::vector<float> out(rows * K);
  if (!transposed) {
    std::copy(x.begin(), x.end(), out.begin());
  } else {
    for (std::size_t k = 0; k < K; ++k)
      for (std::size_t r = 0; r < rows; ++r) out[r * K + k] = x[k * rows + r];
  }
  return out;
}

}  // namespace detail

// C (M x N, overwritten) = op(A) * op(B); see the top of this file.
inline void gemm(std::span<const float> A, std::span<const float> B, std::span<float> C, std::size_t M,
                 std::size_t N, std::size_t K, const gemm_options& o = {}) {
  using namespace detail;
  const char* fn = "gemm";
  check_matrix(fn, A.size(), M, K, "A");
  check_matrix(fn, B.size(), K, N, "B");
  check_matrix(fn, C.size(), M, N, "C");
  if (const char* why = invalid_reason(o.acc)) bulk_error(fn, why);
  if (M == 0 || N == 0) return;
  const bulk_fp_scope env;  // packing converts to double: not in the caller's FP environment
  // op(A) as M x K and op(B)^T as N x K, quantized
  std::vector<float> aq = as_rows(A, M, K, o.trans_a), bq = as_rows(B, N, K, !o.trans_b);
  fake_quantize(aq, aq, M, K, o.a, o.a_stream);
  fake_quantize(bq, bq, N, K, o.b, o.b_stream);

  gemm_plan p = make_gemm_plan(o.acc);
  if (p.narrow_ok && products_exact_in_float(profile_of(aq), profile_of(bq))) p.path = acc_path::narrow;
  std::size_t nr;
  const gemm_tile_fn tile = gemm_tile_for(p, nr);
  std::vector<float> ap, bp;
  std::vector<double> bpd;
  pack_panels(aq.data(), M, K, gemm_mr, ap);
  if (tile && p.path == acc_path::wide) pack_panels(bq.data(), N, K, nr, bpd);
  else pack_panels(bq.data(), N, K, nr, bp);
  const std::size_t row_panels = (M + gemm_mr - 1) / gemm_mr, col_panels = (N + nr - 1) / nr;
  // Tasks: one micro-tile each, column panel major (consecutive tasks share B's panel). Threads
  // from 2 x parallel_threshold() products on; 64 "elements" per task, one task the grain.
  const std::size_t tasks = row_panels * col_panels;
  const double products = double(M) * double(N) * double(K);
  const auto run = [&](std::size_t t0, std::size_t t1) {
    const bulk_fp_scope thread_env;  // a worker thread's own
    float c[gemm_mr * 32];
    for (std::size_t t = t0; t < t1; ++t) {
      const std::size_t ip = t % row_panels, jp = t / row_panels;
      const float* a = ap.data() + ip * K * gemm_mr;
      if (!tile) tile_scalar(p, a, bp.data() + jp * K * nr, K, nr, c);
      else if (bpd.empty()) tile(p, a, bp.data() + jp * K * nr, K, c);
      else tile(p, a, bpd.data() + jp * K * nr, K, c);
      for (std::size_t r = 0; r < gemm_mr && ip * gemm_mr + r < M; ++r)
        for (std::size_t j = 0; j < nr && jp * nr + j < N; ++j) C[(ip * gemm_mr + r) * N + jp * nr + j] = c[r * nr + j];
    }
  };
  if (products < 2.0 * double(parallel_threshold()) || tasks < 2) return run(0, tasks);
  parallel_for(tasks * 64, [&](std::size_t b, std::size_t e) { run(b / 64, e / 64); }, 0, 64);
}

PRECSIM_END_CONFIG
}  // namespace precsim
