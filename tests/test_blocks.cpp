// Scaled and block formats (blocks/): the fast paths against a reference written from
// formats.md / docs/blocks.md element by element (tiles by nested loops, logarithms by frexp,
// quotients in double, element rounding by the exact oracle on an integer grid built another
// way), on every SIMD level and 1 or 2 threads; worked examples from the OCP MX and NVFP4
// definitions; the properties that tell the scale rules apart; stochastic rounding; errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <precsim/blocks/quantize.hpp>
#include <precsim/intx.hpp>
#include <precsim/packing.hpp>

#include "inputs.hpp"
#include "levels.hpp"
#include "oracle.hpp"
#include "support.hpp"

using namespace precsim;
namespace fmt = precsim::formats;

namespace {

constexpr float qnan = std::numeric_limits<float>::quiet_NaN();
constexpr float inf = std::numeric_limits<float>::infinity();

bool same(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// fl32(a / b) and fl32(a * b): double holds the product exactly, and rounding a quotient to
// double then to float is the correctly rounded float quotient (53 >= 2 * 24 + 2).
float div32(float a, float b) { return float(double(a) / double(b)); }
float mul32(float a, float b) { return float(double(a) * double(b)); }

// ---- the reference ------------------------------------------------------------------------------

struct reference {
  const block_format& f;
  std::size_t rows, cols;
  rounding r;
  sr_stream s;

  std::size_t th() const { return f.shape.rows ? std::min(f.shape.rows, rows) : rows; }
  std::size_t tw() const { return f.shape.cols ? std::min(f.shape.cols, cols) : cols; }

  bool integer() const { return f.kind == element_kind::integer; }
  bool asym() const { return integer() && f.integer.range == int_range::asymmetric; }
  // q range of the integer grid, in integer units
  long qmin() const {
    switch (f.integer.range) {
      case int_range::symmetric: return 1 - (1L << (f.integer.bits - 1));
      case int_range::full: return -(1L << (f.integer.bits - 1));
      default: return 0;
    }
  }
  long qmax() const {
    const long half = 1L << (f.integer.bits - 1);
    return f.integer.range == int_range::symmetric || f.integer.range == int_range::full ? half - 1 : 2 * half - 1;
  }
  double elem_max() const {
    return integer() ? std::ldexp(double(qmax()), -f.integer.fraction_bits) : oracle::max_finite(f.element);
  }
  int emax() const {  // exponent of the largest element's binade
    int e;
    std::frexp(elem_max(), &e);
    return e - 1;
  }
  // Integers on a grid of two exponent bits (spacing 2^-fb up to 2^bits * 2^-fb, coarser above,
  // where the clamp takes over): a construction other than the library's.
  float_format grid() const {
    if (!integer()) return f.element;
    const int m = f.integer.bits - 1;
    return {2, m, 1 - m + f.integer.fraction_bits, true, subnormal_mode::gradual,
            special_values::none, false, overflow_value::max_finite};
  }

  float scale_from_ratio(float x) const {  // x > 0: the rule's scale before clamping
    int e;
    const double m = std::frexp(double(x), &e);  // x = m 2^e, m in [0.5, 1)
    int k = e - 1;                               // floor(log2 x)
    switch (f.rule) {
      case scale_rule::floor_pow2: k -= emax(); break;
      case scale_rule::ceil_pow2: k += m != 0.5; break;
      case scale_rule::nearest_pow2:
        if (2 * m > 1.5 || (2 * m == 1.5 && (k + 127) % 2 != 0)) ++k;  // tie: even E8M0 code
        break;
      case scale_rule::exact: {
        const oracle::value v = oracle::round(x, f.scale, {round_mode::nearest_even, saturation::finite}, 0);
        return v.mag > 0 ? float(v.mag) : float(oracle::min_positive(f.scale));
      }
    }
    int lo, hi;
    std::frexp(oracle::min_positive(f.scale), &lo);
    std::frexp(oracle::max_finite(f.scale), &hi);
    return std::ldexp(1.0f, std::clamp(k, lo - 1, hi - 1));
  }

  std::vector<float> run(const std::vector<float>& x) const {
    const std::size_t TH = th(), TW = tw();
    std::vector<float> out(x.size());
    // tensor scale
    float t = 1.0f;
    bool tensor_nan = false;
    if (f.tensor_scale) {
      float amax = 0;
      for (float v : x) {
        if (!std::isfinite(v)) tensor_nan = true;
        else amax = std::max(amax, std::fabs(v));
      }
      const float den = float(oracle::max_finite(f.scale) * elem_max());
      t = amax == 0 ? 1.0f : std::max(div32(amax, den), std::numeric_limits<float>::denorm_min());
    }
    for (std::size_t r0 = 0; r0 < rows; r0 += TH)
      for (std::size_t c0 = 0; c0 < cols; c0 += TW) {
        const std::size_t r1 = std::min(rows, r0 + TH), c1 = std::min(cols, c0 + TW);
        float amax = 0, lo = 0, hi = 0;
        bool bad = tensor_nan;
        for (std::size_t i = r0; i < r1; ++i)
          for (std::size_t j = c0; j < c1; ++j) {
            const float v = x[i * cols + j];
            if (!std::isfinite(v)) bad = true;
            else {
              amax = std::max(amax, std::fabs(v));
              lo = std::min(lo, v);
              hi = std::max(hi, v);
            }
          }
        float range = asym() ? std::min(hi - lo, std::numeric_limits<float>::max()) : amax;
        float scale = float(oracle::min_positive(f.scale));
        if (range != 0) {
          if (f.rule != scale_rule::floor_pow2) range = div32(range, float(elem_max()));
          if (f.tensor_scale) range = div32(range, t);
          if (range != 0) scale = scale_from_ratio(range);
        }
        float e = f.tensor_scale ? mul32(scale, t) : scale;
        if (e == 0) e = std::numeric_limits<float>::denorm_min();
        long z = 0;
        if (asym()) z = std::clamp(long(std::nearbyint(div32(-lo, e))), 0L, qmax());
        const float_format g = grid();
        rounding er = r;
        er.saturate = saturation::finite;
        if (er.mode == round_mode::stochastic && er.random_bits == 0) er.random_bits = 32;
        for (std::size_t i = r0; i < r1; ++i)
          for (std::size_t j = c0; j < c1; ++j) {
            const std::size_t idx = i * cols + j;
            if (bad) {
              out[idx] = qnan;
              continue;
            }
            const float y = div32(x[idx], e);
            std::uint64_t w = 0;
            if (er.mode == round_mode::stochastic)
              w = test::span_random_word(s, s.offset + idx, er.random_bits);
            const oracle::value v = oracle::round(y, g, er, w);
            double q = v.neg ? -v.mag : v.mag;
            if (integer()) {
              const double u = std::ldexp(1.0, -f.integer.fraction_bits);
              q = std::clamp(q, double(qmin() - z) * u, double(qmax() - z) * u) + 0.0;
            }
            out[idx] = mul32(float(q), e);
          }
      }
    return out;
  }
};

// ---- fixtures -------------------------------------------------------------------------------------

struct case_format {
  std::string name;
  block_format f;
};

std::vector<case_format> formats_under_test() {
  auto with = [](block_format f, block_shape s) { f.shape = s; return f; };
  auto rule = [](block_format f, scale_rule r, float_format scale) { f.rule = r; f.scale = scale; return f; };
  auto integer = [](int bits, int_range range, block_shape shape) {
    block_format f = fmt::int_scaled(bits, shape);
    f.integer.range = range;
    return f;
  };
  std::vector<case_format> out = {
      {"mxfp8_e4m3", fmt::mxfp8_e4m3}, {"mxfp8_e5m2", fmt::mxfp8_e5m2}, {"mxfp6_e3m2", fmt::mxfp6_e3m2},
      {"mxfp6_e2m3", fmt::mxfp6_e2m3}, {"mxfp4_e2m1", fmt::mxfp4_e2m1}, {"mxint8", fmt::mxint8},
      {"nvfp4", fmt::nvfp4},
      {"int8 per row", fmt::int_scaled(8, {1, 0})}, {"int4 per row", fmt::int_scaled(4, {1, 0})},
      {"int2 per tensor", fmt::int_scaled(2, {0, 0})}, {"int3 groups of 8", fmt::int_scaled(3, {1, 8})},
      {"int16 per column", fmt::int_scaled(16, {0, 1})},
      {"int5 full range 3x7", integer(5, int_range::full, {3, 7})},
      {"uint6 per row", integer(6, int_range::unsigned_, {1, 0})},
      {"uint4 asymmetric per row", integer(4, int_range::asymmetric, {1, 0})},
      {"uint8 asymmetric 4x4 ceil", rule(integer(8, int_range::asymmetric, {4, 4}), scale_rule::ceil_pow2, fmt::float32)},
      {"fp8 tiles 4x8", fmt::fp8_tiles({4, 8})}, {"fp8 tiles 1x128", fmt::fp8_tiles({1, 128})},
      {"e5m2 tiles 0x16", fmt::fp8_tiles({0, 16}, fmt::float8_e5m2)},
      {"mxfp4 ceil", rule(fmt::mxfp4_e2m1, scale_rule::ceil_pow2, fmt::float8_e8m0fnu)},
      {"mxfp8 nearest", rule(fmt::mxfp8_e4m3, scale_rule::nearest_pow2, fmt::float8_e8m0fnu)},
      {"mxfp6 exact e4m3 scale", rule(fmt::mxfp6_e2m3, scale_rule::exact, fmt::float8_e4m3fn)},
      {"e2m1 floor float32 scale 2x3", rule(with(fmt::mxfp4_e2m1, {2, 3}), scale_rule::floor_pow2, fmt::float32)},
      {"bf16 elements per tensor", fmt::fp8_tiles({0, 0}, fmt::bfloat16)},
      {"float16 elements ceil e5m2 scale", rule(fmt::fp8_tiles({1, 32}, fmt::float16), scale_rule::ceil_pow2, fmt::float8_e5m2)},
      {"p3109 8p3 unsigned elements", fmt::fp8_tiles({1, 32}, fmt::p3109(8, 3, false, true))},
      {"p3109 6p2 signed finite", rule(fmt::fp8_tiles({2, 16}, fmt::p3109(6, 2, true, false)), scale_rule::nearest_pow2, fmt::float8_e8m0fnu)},
      {"mxint8 fraction 3 nearest", [] { block_format f = fmt::mxint8; f.integer.fraction_bits = 3; f.rule = scale_rule::nearest_pow2; return f; }()},
  };
  block_format nv = fmt::nvfp4;
  nv.shape = {1, 0};
  out.push_back({"nvfp4 per row", nv});
  return out;
}

std::vector<rounding> roundings() {
  std::vector<rounding> out;
  for (auto m : {round_mode::nearest_even, round_mode::nearest_away, round_mode::toward_zero,
                 round_mode::toward_positive, round_mode::toward_negative, round_mode::to_odd})
    out.push_back({m});
  out.push_back({round_mode::stochastic});
  out.push_back({round_mode::stochastic, saturation::none, 3, sr_variant::a});
  out.push_back({round_mode::stochastic, saturation::none, 40, sr_variant::c});  // 64-bit words
  return out;
}

// Matrices of 37 columns (ragged against every tile width) with adversarial rows: an outlier,
// all-equal values, every power-of-two boundary of amax, subnormal amax, amax at elem_max 2^k and
// one ulp above, mixed signs, zeros; plus N(0,1)-like and wide-range random rows.
std::vector<float> adversarial(const block_format& f, std::size_t rows, std::size_t cols, std::uint64_t seed) {
  test::splitmix64 rng{seed};
  const float em = float(element_max(f));
  std::vector<float> x(rows * cols);
  auto uni = [&] { return float(double(rng() >> 11) * 0x1p-53); };
  for (std::size_t i = 0; i < rows; ++i) {
    float* row = x.data() + i * cols;
    const int kind = int(i % 10), k = int(rng() % 60) - 30;
    for (std::size_t j = 0; j < cols; ++j) {
      const float sign = rng() & 1 ? -1.0f : 1.0f;
      switch (kind) {
        case 0: row[j] = sign * (uni() * 2.0f - 1.0f) * 3.0f; break;
        case 1: row[j] = sign * std::ldexp(uni() + 0.5f, int(rng() % 50) - 25); break;  // wide range
        case 2: row[j] = j % 7 == 3 ? 1e4f : sign * uni(); break;                        // outlier
        case 3: row[j] = 0.7f; break;                                                    // all equal
        case 4: row[j] = sign * std::ldexp(uni(), k) ; if (j % 5 == 0) row[j] = std::ldexp(1.0f, k); break;
        case 5: row[j] = sign * std::ldexp(uni(), -140); break;                          // subnormal amax
        case 6: row[j] = j % 4 == 0 ? std::ldexp(em, k) : sign * std::ldexp(uni() * em, k); break;
        case 7: row[j] = j % 4 == 0 ? std::nextafter(std::ldexp(em, k), inf) : std::ldexp(uni(), k); break;
        case 8: row[j] = j % 3 == 0 ? 0.0f : (j % 3 == 1 ? -0.0f : sign * std::ldexp(std::nextafter(1.0f, 2.0f), k)); break;
        default: row[j] = j % 4 == 0 ? std::ldexp(1.5f * em, k) : sign * std::ldexp(uni() * em, k); break;  // nearest_pow2 ties
      }
    }
  }
  return x;
}

// quantize_blocks equals `want`, and decode_blocks(encode_blocks(x)) equals quantize_blocks(x).
void check_fast_paths(const std::string& name, const block_format& f, const std::vector<float>& x,
                      const std::vector<float>& want, std::size_t rows, std::size_t cols,
                      const rounding& r, const sr_stream& s) {
  std::vector<float> got(x.size());
  quantize_blocks(x, got, rows, cols, f, r, s);
  const block_tensor bt = encode_blocks(x, rows, cols, f, r, s);
  const std::vector<float> round_trip = decode_blocks(bt);
  std::size_t bad = 0, bad_trip = 0, first = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!same(got[i], want[i]) && !bad++) first = i;
    bad_trip += !same(round_trip[i], got[i]);
  }
  INFO(name, " mode ", int(r.mode), " bits ", r.random_bits, " ", rows, "x", cols);
  INFO("first mismatch at ", first, ": x ", x[first], " got ", got[first], " want ", want[first]);
  CHECK(bad == 0);
  CHECK(bad_trip == 0);
}

}  // namespace

TEST_CASE("quantize_blocks equals the element-by-element reference for every format, rounding, level and thread count") {
  const std::size_t rows = 20, cols = 37;
  for (const auto& [name, f] : formats_under_test()) {
    const std::vector<float> x = adversarial(f, rows, cols, std::hash<std::string>{}(name));
    const sr_stream s{7, 3, 1000};
    for (const rounding& r : roundings()) {
      const std::vector<float> want = reference{f, rows, cols, r, s}.run(x);
      for (const test::level_config& lc : test::levels())
        for (unsigned threads : {1u, 2u}) {
          const test::scoped_config scope(lc, threads);
          INFO("level ", lc.name, " threads ", threads);
          check_fast_paths(name, f, x, want, rows, cols, r, s);
        }
    }
  }
}

TEST_CASE("large matrices: row segments, threads and tile rows agree with the reference") {
  // Wider than one 4096-value segment and taller than one tile row, on the default level.
  for (const auto& [name, f] : {case_format{"mxfp8_e4m3", fmt::mxfp8_e4m3}, case_format{"nvfp4", fmt::nvfp4},
                                case_format{"int4 per row", fmt::int_scaled(4, {1, 0})},
                                case_format{"fp8 128x128", fmt::fp8_tiles({128, 128})},
                                case_format{"int8 per tensor", fmt::int_scaled(8, {0, 0})}}) {
    const std::size_t rows = 130, cols = 4100;
    const std::vector<float> x = adversarial(f, rows, cols, 99);
    for (const rounding& r : {rounding{}, rounding{round_mode::stochastic}}) {
      const std::vector<float> want = reference{f, rows, cols, r, {1, 2, 3}}.run(x);
      for (unsigned threads : {1u, 2u}) {
        const test::scoped_config scope({"default", best_simd_level(), false}, threads);
        check_fast_paths(name, f, x, want, rows, cols, r, {1, 2, 3});
      }
    }
  }
}

TEST_CASE("NaN or infinity makes its tile NaN, and only its tile") {
  std::vector<float> x(64, 1.0f);
  x[5] = qnan;
  x[40] = -inf;
  std::vector<float> y(64);
  quantize_blocks(x, y, 2, 32, fmt::mxfp8_e4m3);  // one block per row
  for (int i = 0; i < 64; ++i) CHECK(std::isnan(y[i]));
  x[40] = 2.0f;
  quantize_blocks(x, y, 2, 32, fmt::mxfp8_e4m3);
  for (int i = 0; i < 32; ++i) CHECK(std::isnan(y[i]));
  for (int i = 32; i < 64; ++i) CHECK(y[i] == x[i]);
  const block_tensor bt = encode_blocks(x, 2, 32, fmt::mxfp8_e4m3);
  CHECK(bt.scales[0] == 0xFF);  // the E8M0 NaN code
  CHECK(bt.scales[1] == 120);   // 2^(floor(log2 2) - 8) = 2^-7: E8M0 code -7 + 127
}

TEST_CASE("OCP MX worked examples (floor_pow2: X = 2^(floor(log2 amax) - emax_elem))") {
  SUBCASE("MXFP8 E4M3: amax 1000 gives X = 2^(9 - 8) = 2; 1000/2 = 500 saturates to 448") {
    std::vector<float> x(32, 0.0f);
    x[0] = 1000.0f;
    x[1] = 0.3f;     // 0.15 -> 1.25 * 2^-3 = 0.15625 (RNE, 3 mantissa bits) -> 0.3125
    x[2] = -17.0f;   // -8.5 -> -8 (tie to even: 8 = 1.000b * 2^3) -> -16
    x[3] = 1e-3f;    // 5e-4 -> subnormal 2^-9 multiple: 0.256 * 2^-9 ... rounds to 0
    std::vector<float> y(32);
    quantize_blocks(x, y, 1, 32, fmt::mxfp8_e4m3);
    CHECK(y[0] == 896.0f);
    CHECK(y[1] == 0.3125f);
    CHECK(y[2] == -16.0f);
    CHECK(y[3] == 0.0f);
    const block_tensor bt = encode_blocks(x, 1, 32, fmt::mxfp8_e4m3);
    CHECK(bt.scales[0] == 128);          // E8M0 code of 2^1
    CHECK(bt.elements[0] == 0x7E);       // e4m3 448
    CHECK(bt.elements[2] == 0xD0);       // e4m3 -8: sign, field 10, mantissa 0
  }
  SUBCASE("MXFP4: amax in (6, 8) x 2^k clips to 6 x 2^k") {
    for (int k = -20; k <= 20; ++k)
      for (float a : {6.25f, 7.0f, 7.5f, 7.99f}) {
        std::vector<float> x(32, std::ldexp(0.5f, k));
        x[7] = std::ldexp(a, k);
        std::vector<float> y(32);
        quantize_blocks(x, y, 1, 32, fmt::mxfp4_e2m1);
        CHECK(y[7] == std::ldexp(6.0f, k));
      }
  }
  SUBCASE("MXINT8: elements are int8 x 2^-6 in [-127/64, 127/64]; amax 3 gives X = 2^1") {
    std::vector<float> x(32, 0.0f);
    x[0] = 3.0f;      // 1.5 = 96/64 -> 3
    x[1] = -3.9f;     // -1.95 -> -125/64 (-1.953125) -> -3.90625
    x[2] = 0.01f;     // 0.005 -> 0/64 (0.32/64 rounds to 0)
    std::vector<float> y(32);
    quantize_blocks(x, y, 1, 32, fmt::mxint8);
    CHECK(y[0] == 3.0f);
    CHECK(y[1] == -3.90625f);
    CHECK(y[2] == 0.0f);
    const block_tensor bt = encode_blocks(x, 1, 32, fmt::mxint8);
    CHECK(bt.elements[0] == 96);
    CHECK(bt.elements[1] == std::uint8_t(-125));
  }
}

TEST_CASE("NVFP4 worked example: t = amax / (448 * 6), s = RNE_e4m3(block amax / 6 / t)") {
  std::vector<float> x(32, 0.0f);
  x[0] = 2688.0f;  // block 0 amax 2688: t = 1, s = 448, 2688 / 448 = 6
  x[1] = 1000.0f;  // 1000 / 448 = 2.23 -> 2 -> 896
  x[16] = 1.0f;    // block 1 amax 1: 1/6 = 0.1667 -> e4m3 0.171875 (1.375 * 2^-3)
  x[17] = -0.5f;   // -0.5 / 0.171875 = -2.909 -> -3 -> -0.515625
  std::vector<float> y(32);
  quantize_blocks(x, y, 1, 32, fmt::nvfp4);
  CHECK(y[0] == 2688.0f);
  CHECK(y[1] == 896.0f);
  CHECK(y[16] == 6.0f * 0.171875f);
  CHECK(y[17] == -3.0f * 0.171875f);
  const block_tensor bt = encode_blocks(x, 1, 32, fmt::nvfp4);
  CHECK(bt.tensor_scale == 1.0f);
  CHECK(bt.scales[0] == 0x7E);  // e4m3 448
  CHECK(bt.scales[1] == 0x23);  // e4m3 0.171875 = 1.011b * 2^-3: field 4, mantissa 011
  CHECK((bt.elements[0] & 0xF) == 0x7);   // e2m1 6
  CHECK((bt.elements[0] >> 4) == 0x4);    // e2m1 2
  CHECK((bt.elements[8] >> 4) == 0xD);    // e2m1 -3
}

TEST_CASE("ceil_pow2 never clips the tile maximum; floor_pow2 can") {
  block_format ceil = fmt::mxfp4_e2m1;
  ceil.rule = scale_rule::ceil_pow2;
  test::splitmix64 rng{5};
  int floor_clipped = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<float> x(32);
    for (float& v : x) v = std::ldexp(float(double(rng() >> 11) * 0x1p-53) + 0.01f, int(rng() % 40) - 20);
    const float amax = *std::max_element(x.begin(), x.end());
    std::vector<float> y(32);
    quantize_blocks(x, y, 1, 32, ceil);
    const block_tensor bt = encode_blocks(x, 1, 32, ceil);
    const float scale = std::ldexp(1.0f, int(bt.scales[0]) - 127);
    CHECK(amax / scale <= 6.0f);  // in the element range: rounding, no saturation
    quantize_blocks(x, y, 1, 32, fmt::mxfp4_e2m1);
    floor_clipped += *std::max_element(y.begin(), y.end()) < amax * 0.86f;  // amax / X >= 7 -> 6
  }
  CHECK(floor_clipped > 0);
}

template <int Bits>
float by_intx(float y, float qmax) {  // the library's scalar INT-b: RNE, saturating
  return std::clamp(float(precsim::intx<Bits>(y).value()), -qmax, qmax);
}

TEST_CASE("INT per channel equals per-row absmax quantization written by hand") {
  const std::size_t rows = 16, cols = 300;
  test::splitmix64 rng{11};
  std::vector<float> x(rows * cols);
  for (float& v : x) v = float(double(rng() >> 11) * 0x1p-52 - 1.0) * float(1 + rng() % 100);
  for (int bits : {2, 4, 8}) {
    std::vector<float> got(x.size());
    quantize_blocks(x, got, rows, cols, fmt::int_scaled(bits, {1, 0}));
    const float qmax = float((1 << (bits - 1)) - 1);
    for (std::size_t i = 0; i < rows; ++i) {
      float amax = 0;
      for (std::size_t j = 0; j < cols; ++j) amax = std::max(amax, std::fabs(x[i * cols + j]));
      const float s = amax / qmax;
      for (std::size_t j = 0; j < cols; ++j) {
        const float y = x[i * cols + j] / s;
        const float q = std::clamp(std::nearbyint(y), -qmax, qmax);
        CHECK(got[i * cols + j] == q * s);
        const float qi = bits == 2 ? by_intx<2>(y, qmax) : bits == 4 ? by_intx<4>(y, qmax) : by_intx<8>(y, qmax);
        CHECK(got[i * cols + j] == qi * s);
      }
    }
  }
}

TEST_CASE("stochastic rounding of blocks is unbiased and reproducible") {
  // One block, fixed scale (the amax element is on the grid): every other element's mean over
  // many streams converges to its input within 5 sigma.
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[i] = 0.37f * float(i % 7) - 1.1f + 0.013f * float(i);
  x[0] = 6.0f;  // amax: X = 2^(2 - 2) = 1 for MXFP4
  const int trials = 4000;
  std::vector<double> sum(32, 0.0), sum2(32, 0.0);
  std::vector<float> y(32);
  for (int t = 0; t < trials; ++t) {
    quantize_blocks(x, y, 1, 32, fmt::mxfp4_e2m1, {round_mode::stochastic}, {42, std::uint64_t(t), 0});
    for (int i = 0; i < 32; ++i) {
      sum[i] += y[i];
      sum2[i] += double(y[i]) * y[i];
    }
  }
  for (int i = 1; i < 32; ++i) {
    const double mean = sum[i] / trials, var = sum2[i] / trials - mean * mean;
    const double sigma = std::sqrt(std::max(var, 1e-12) / trials);
    INFO("element ", i, " x ", x[i], " mean ", mean);
    CHECK(std::fabs(mean - x[i]) <= 5 * sigma + 1e-9);
  }
  std::vector<float> a(32), b(32);
  quantize_blocks(x, a, 1, 32, fmt::mxfp4_e2m1, {round_mode::stochastic}, {1, 2, 3});
  quantize_blocks(x, b, 1, 32, fmt::mxfp4_e2m1, {round_mode::stochastic}, {1, 2, 3});
  CHECK(a == b);
  // Without a stream each call takes the next default stream (random.hpp).
  reset_default_sr_stream(9);
  quantize_blocks(x, a, 1, 32, fmt::mxfp4_e2m1, {round_mode::stochastic});
  const block_tensor t = encode_blocks(x, 1, 32, fmt::mxfp4_e2m1, {round_mode::stochastic});
  quantize_blocks(x, b, 1, 32, fmt::mxfp4_e2m1, {round_mode::stochastic}, sr_stream{9, std::uint64_t{1} << 63, 0});
  CHECK(a == b);
  quantize_blocks(x, b, 1, 32, fmt::mxfp4_e2m1, {round_mode::stochastic}, sr_stream{9, (std::uint64_t{1} << 63) + 1, 0});
  CHECK(decode_blocks(t) == b);
  reset_default_sr_stream();
}

TEST_CASE("edge tiles: all zero, ragged tails, unsigned elements, user scales, in place") {
  SUBCASE("all-zero tiles keep their zeros and get the smallest scale") {
    std::vector<float> x(40, 0.0f), y(40, 1.0f);
    x[1] = -0.0f;
    quantize_blocks(x, y, 1, 40, fmt::mxfp8_e4m3);
    CHECK(same(y[0], 0.0f));
    CHECK(same(y[1], -0.0f));
    const block_tensor bt = encode_blocks(x, 1, 40, fmt::mxfp8_e4m3);
    REQUIRE(bt.scales.size() == 2);  // 32 + a tail of 8
    CHECK(bt.scales[0] == 0);        // E8M0 2^-127
    quantize_blocks(x, y, 1, 40, fmt::int_scaled(4, {0, 0}));
    CHECK(same(y[1], 0.0f));         // integers have no -0
  }
  SUBCASE("given scales") {
    std::vector<float> x{1.0f, 2.0f, 3.0f, 100.0f}, y(4);
    const float scales[] = {0.5f, 3.0f};
    quantize_blocks(x, y, 2, 2, fmt::int_scaled(4, {1, 0}), scales);
    CHECK(y == std::vector<float>{1.0f, 2.0f, 3.0f, 21.0f});  // 100 / 3 clips to 7
    const float bad[] = {0.5f, -1.0f};
    CHECK_THROWS_AS(quantize_blocks(x, y, 2, 2, fmt::int_scaled(4, {1, 0}), bad), std::invalid_argument);
    CHECK_THROWS_AS(quantize_blocks(x, y, 2, 2, fmt::int_scaled(4, {1, 0}), std::span(scales, 1)),
                    std::invalid_argument);
    block_format asym = fmt::int_scaled(4, {1, 0});  // zero points still come from the data
    asym.integer.range = int_range::asymmetric;
    std::vector<float> a{-3.0f, 2.0f, 5.0f, 0.0f}, b(4);
    const float one[] = {1.0f};
    quantize_blocks(a, b, 1, 4, asym, one);
    CHECK(b == a);  // z = 3: codes 0 .. 15 hold -3 .. 12
  }
  SUBCASE("empty matrices") {
    std::vector<float> none;
    for (auto [r, c] : {std::pair<std::size_t, std::size_t>{0, 5}, {5, 0}, {0, 0}})
      for (const block_format& f : {fmt::nvfp4, fmt::int_scaled(4, {0, 0}), fmt::fp8_tiles({128, 128})}) {
        quantize_blocks(none, none, r, c, f);
        const block_tensor bt = encode_blocks(none, r, c, f);
        CHECK(bt.elements.empty());
        CHECK(bt.scales.empty());
        CHECK(decode_blocks(bt).empty());
      }
  }
  SUBCASE("in place equals out of place") {
    std::vector<float> x = adversarial(fmt::nvfp4, 10, 48, 3), y(x.size());
    quantize_blocks(x, y, 10, 48, fmt::nvfp4);
    quantize_blocks(x, x, 10, 48, fmt::nvfp4);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(same(x[i], y[i]));
  }
}

TEST_CASE("bits per element count the scales' share") {
  CHECK(bits_per_element(fmt::mxfp8_e4m3, 32, 32) == 8.25);
  CHECK(bits_per_element(fmt::mxfp4_e2m1, 32, 32) == 4.25);
  CHECK(bits_per_element(fmt::nvfp4, 16, 64) == 4.5 + 32.0 / 1024);
  CHECK(bits_per_element(fmt::int_scaled(4, {1, 0}), 8, 128) == 4.25);
}

TEST_CASE("invalid block formats and calls are rejected, naming the problem") {
  auto reason = [](block_format f) { const char* w = invalid_reason(f); return std::string(w ? w : ""); };
  block_format f = fmt::mxfp8_e4m3;
  f.element = fmt::float32;
  CHECK(reason(f).find("element must have at most 16 bits") != std::string::npos);
  f = fmt::mxint8;
  f.integer.bits = 17;
  CHECK(reason(f).find("integer.bits") != std::string::npos);
  f.integer = {4, int_range::asymmetric, 2};
  CHECK(reason(f).find("fraction_bits") != std::string::npos);
  f = fmt::nvfp4;
  f.scale = fmt::float4_e2m1fn;  // no NaN code
  CHECK(reason(f).find("NaN") != std::string::npos);
  f.scale = fmt::float64;
  CHECK(reason(f).find("scale must have at most 32 bits") != std::string::npos);
  f = fmt::nvfp4;
  f.rule = scale_rule(9);
  CHECK(reason(f).find("scale_rule") != std::string::npos);
  CHECK_THROWS_AS(fmt::int_scaled(1, {1, 0}), std::invalid_argument);
  static_assert(invalid_reason(fmt::nvfp4) == nullptr);
  static_assert(invalid_reason(block_format{element_kind::integer, fmt::float8_e4m3fn, {40}}) != nullptr);

  std::vector<float> x(12), y(12);
  CHECK_THROWS_WITH_AS(quantize_blocks(x, y, 5, 2, fmt::mxfp8_e4m3), doctest::Contains("rows * cols"),
                       std::invalid_argument);
  std::vector<float> small(11);
  CHECK_THROWS_AS(quantize_blocks(x, small, 3, 4, fmt::mxfp8_e4m3), std::invalid_argument);
  CHECK_THROWS_AS(quantize_blocks(std::span<const float>(x).subspan(0, 8), std::span<float>(x).subspan(2, 8), 2, 4,
                                  fmt::mxfp8_e4m3), std::invalid_argument);
  block_tensor bt = encode_blocks(x, 3, 4, fmt::mxfp8_e4m3);
  bt.scales.pop_back();
  CHECK_THROWS_WITH_AS(decode_blocks(bt), doctest::Contains("scales"), std::invalid_argument);
  bt = encode_blocks(x, 3, 4, fmt::nvfp4);
  bt.scales[0] = 0x80 | 0x38;  // e4m3 -1: not a scale
  CHECK_THROWS_WITH_AS(decode_blocks(bt), doctest::Contains("positive"), std::invalid_argument);
  bt = encode_blocks(x, 3, 4, fmt::nvfp4);
  bt.elements.push_back(0);
  CHECK_THROWS_WITH_AS(decode_blocks(bt), doctest::Contains("elements"), std::invalid_argument);
}
