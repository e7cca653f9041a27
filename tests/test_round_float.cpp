// Rounding from float: every named format up to 16 bits (plus float32/tf32 and many P3109 and
// custom formats) x every mode x every saturation on dense edge inputs, against the exact oracle.
// Then the behaviours formats.md singles out, each pinned by its own case.
#include <doctest/doctest.h>

#include <cmath>

#include "inputs.hpp"
#include "support.hpp"

using namespace precsim;
namespace fmt = precsim::formats;

namespace {

// Sweeps one format; stochastic settings rotate with the input index so that every
// (variant, random_bits, random word) combination is hit across the inputs.
template <class T>
std::size_t sweep(const test::named& nf, std::size_t& bad, std::size_t stride = 1) {
  const std::vector<T> xs = test::dense_inputs<T>(nf.f);
  const test::format_check fc(nf);
  constexpr int sr_bits[] = {0, 1, 3, 8, 13, 24, 64};
  test::splitmix64 rng{42};
  std::size_t n = 0;
  for (std::size_t i = 0; i < xs.size(); i += stride) {
    const rounding sr{round_mode::stochastic, saturation::none, sr_bits[(i / 3) % 7], sr_variant(i % 3)};
    n += fc.check_every_mode(xs[i], sr, {0, ~std::uint64_t{0}, rng()}, bad);
  }
  return n;
}

}  // namespace

TEST_CASE("float inputs: named formats, every mode and saturation, match the oracle") {
  for (const auto& nf : test::named_formats()) {
    if (nf.name == "float64") continue;  // float -> float64 is exact: covered by the double suite
    std::size_t bad = 0;
    const std::size_t n = sweep<float>(nf, bad);
    CAPTURE(nf.name);
    CHECK(bad == 0);
    MESSAGE(nf.name << ": " << n << " roundings checked");
  }
}

TEST_CASE("float inputs: every P3109 format with K <= 8 and the custom formats match the oracle") {
  std::vector<test::named> fs = test::custom_formats();
  for (const auto& nf : test::p3109_formats(8)) fs.push_back(nf);
  for (const auto& nf : fs) {
    std::size_t bad = 0;
    sweep<float>(nf, bad);
    CAPTURE(nf.name);
    CHECK(bad == 0);
  }
}

TEST_CASE("float inputs: random valid descriptors match the oracle") {
  for (const auto& nf : test::random_formats(40, 16, 20261128)) {
    std::size_t bad = 0;
    sweep<float>(nf, bad, 3);
    CAPTURE(nf.name);
    CHECK(bad == 0);
  }
}

// ---- behaviours named in formats.md -------------------------------------------------------

TEST_CASE("0.3 in e4m3fn under each mode lands on 0.28125 or 0.3125 as the mode demands") {
  const auto f = fmt::float8_e4m3fn;  // neighbours 0x29 = 0.28125 (odd), 0x2A = 0.3125
  CHECK(encode(0.3f, f, {round_mode::nearest_even}) == 0x2A);
  CHECK(encode(0.3f, f, {round_mode::nearest_away}) == 0x2A);
  CHECK(encode(0.3f, f, {round_mode::toward_zero}) == 0x29);
  CHECK(encode(0.3f, f, {round_mode::toward_positive}) == 0x2A);
  CHECK(encode(0.3f, f, {round_mode::toward_negative}) == 0x29);
  CHECK(encode(0.3f, f, {round_mode::to_odd}) == 0x29);
  CHECK(encode(-0.3f, f, {round_mode::toward_positive}) == 0xA9);
  CHECK(quantize(0.3f, f) == 0.3125f);
}

TEST_CASE("e4m3fn: 464 ties to 448; above 464 is NaN unless saturating") {
  const auto f = fmt::float8_e4m3fn;
  CHECK(encode(464.0f, f) == 0x7E);
  CHECK(encode(std::nextafter(464.0f, 1e9f), f) == 0x7F);
  CHECK(encode(-500.0f, f) == 0xFF);
  CHECK(encode(500.0f, f, {round_mode::nearest_even, saturation::finite}) == 0x7E);
  CHECK(encode(INFINITY, f) == 0x7F);
  CHECK(encode(INFINITY, f, {round_mode::nearest_even, saturation::finite}) == 0x7E);
  CHECK(encode(INFINITY, f, {round_mode::nearest_even, saturation::propagate}) == 0x7E);
  CHECK(encode(1e6f, f, {round_mode::toward_zero}) == 0x7E);  // directed toward zero: max
}

TEST_CASE("e5m2: 61440 ties to even 2^16, which is already infinity") {
  CHECK(encode(61440.0f, fmt::float8_e5m2) == 0x7C);
  CHECK(encode(61439.0f, fmt::float8_e5m2) == 0x7B);
  CHECK(encode(61440.0f, fmt::float8_e5m2, {round_mode::nearest_even, saturation::finite}) == 0x7B);
  CHECK(encode(-INFINITY, fmt::float8_e5m2, {round_mode::nearest_even, saturation::propagate}) == 0xFC);
}

TEST_CASE("P3109 finite formats saturate where OCP FNUZ gives NaN, on the same encoding") {
  const auto p = fmt::p3109(8, 4, true, false);
  CHECK(encode(1e6f, p) == 0x7F);
  CHECK(encode(INFINITY, p) == 0x7F);
  CHECK(encode(-INFINITY, p) == 0xFF);
  CHECK(encode(1e6f, fmt::float8_e4m3fnuz) == 0x80);
  CHECK(encode(INFINITY, fmt::float8_e4m3fnuz) == 0x80);
  const auto pe = fmt::p3109(8, 4, true, true);
  CHECK(encode(1e6f, pe) == 0x7F);  // extended: 0x7F is +inf
  CHECK(std::isinf(decode(0x7F, pe)));
  CHECK(encode(1e6f, pe, {round_mode::nearest_even, saturation::propagate}) == 0x7E);
  CHECK(encode(INFINITY, pe, {round_mode::nearest_even, saturation::propagate}) == 0x7F);
  CHECK(encode(INFINITY, pe, {round_mode::nearest_even, saturation::finite}) == 0x7E);
}

TEST_CASE("FNUZ formats have one zero: negative results that round to zero give +0") {
  CHECK(encode(-0.0f, fmt::float8_e4m3fnuz) == 0x00);
  CHECK(encode(-1e-30f, fmt::float8_e4m3fnuz) == 0x00);
  CHECK(encode(-1e-30f, fmt::float8_e4m3fn) == 0x80);
  CHECK(std::signbit(quantize(-1e-30f, fmt::float8_e4m3fn)));
  CHECK(!std::signbit(quantize(-1e-30f, fmt::float8_e4m3fnuz)));
}

TEST_CASE("formats without NaN or inf: overflow and inf give max, NaN gives code 0") {
  const auto f = fmt::float4_e2m1fn;
  CHECK(encode(7.0f, f) == 0x7);
  CHECK(encode(-INFINITY, f) == 0xF);
  CHECK(encode(NAN, f) == 0x0);
  CHECK(std::isnan(quantize(NAN, f)));  // fake quantization keeps NaN visible
  CHECK(encode(5.0f, f) == 0x6);        // tie between 4 (0x6, even) and 6 (0x7)
}

TEST_CASE("unsigned formats: negative inputs are NaN unless they round to 0, toward zero or +inf, or saturate") {
  // P3109 v4.0 §4.7.5 lines 21, 42, 44.
  const auto u = fmt::p3109(8, 3, false, true);  // Binary8p3ue
  const rounding tz{round_mode::toward_zero}, tp{round_mode::toward_positive};
  CHECK(encode(-1.0f, u) == 0xFF);
  CHECK(encode(-3.0f, u, tz) == 0x00);
  CHECK(encode(-3.0f, u, tp) == 0x00);
  CHECK(encode(-3.0f, u, {round_mode::toward_negative}) == 0xFF);
  CHECK(encode(-3.0f, u, {round_mode::to_odd}) == 0xFF);
  CHECK(encode(-1e-30f, u) == 0x00);                                 // rounds to 0
  CHECK(encode(-1e-30f, u, {round_mode::toward_negative}) == 0xFF);  // rounds to -min subnormal
  CHECK(encode(-1e-30f, u, {round_mode::to_odd}) == 0xFF);
  CHECK(encode(-1e30f, u, tz) == 0x00);
  CHECK(encode(-1.0f, u, {round_mode::nearest_even, saturation::finite}) == 0x00);
  CHECK(encode(-INFINITY, u) == 0xFF);
  CHECK(encode(-INFINITY, u, tz) == 0xFF);
  CHECK(encode(-INFINITY, u, {round_mode::nearest_even, saturation::propagate}) == 0x00);
  CHECK(encode(-0.0f, u) == 0x00);
  CHECK(quantize(-1e-30f, u) == 0.0f);
  CHECK(!std::signbit(quantize(-1e-30f, u)));
  CHECK(std::isnan(quantize(-1.0f, u)));
  // The same rule for E8M0 (no zero: M_lo is 2^-127, code 0, and nothing rounds to 0).
  CHECK(encode(-1.0f, fmt::float8_e8m0fnu) == 0xFF);
  CHECK(encode(-1e-45f, fmt::float8_e8m0fnu) == 0xFF);
  CHECK(encode(-1.0f, fmt::float8_e8m0fnu, tz) == 0x00);
  CHECK(encode(-0.0f, fmt::float8_e8m0fnu) == 0x00);
}

TEST_CASE("to_odd overflow without saturation gives whichever of max finite and inf has the odd code") {
  // P3109 v4.0 §4.7.5 lines 40, 43, 46: signed extended -> +-inf, unsigned extended -> M_hi.
  const rounding odd{round_mode::to_odd};
  const auto se = fmt::p3109(8, 3, true, true);  // Binary8p3se: M_hi 0x7E = 49152, +inf 0x7F
  CHECK(encode(0x1.8000000000001p+15, se, odd) == 0x7F);
  CHECK(encode(-0x1.8000000000001p+15, se, odd) == 0xFF);
  CHECK(encode(0x1.8p+15, se, odd) == 0x7E);  // exactly M_hi
  CHECK(encode(0x1.8000000000001p+15, se, {round_mode::to_odd, saturation::finite}) == 0x7E);
  CHECK(encode(0x1.8000000000001p+15, se, {round_mode::to_odd, saturation::propagate}) == 0x7E);
  const auto ue = fmt::p3109(8, 3, false, true);  // Binary8p3ue: M_hi 0xFD, +inf 0xFE
  CHECK(encode(1e30f, ue, odd) == 0xFD);
  CHECK(encode(1e30f, fmt::p3109(8, 3, true, false), odd) == 0x7F);  // finite: M_hi
  CHECK(encode(1e30f, fmt::float16, odd) == 0x7BFF);                 // IEEE: max code is odd
  CHECK(encode(-1e30f, fmt::float8_e5m2, odd) == 0xFB);
  CHECK(encode(1e30f, fmt::float8_e4m3fn, odd) == 0x7E);             // no inf: max finite
  for (int k = 3; k <= 16; ++k) {  // every signed extended P3109 format: +inf
    const auto f = fmt::p3109(k, k / 2, true, true);
    CAPTURE(k);
    CHECK(std::isinf(decode(encode(max_finite(f) * 1.5, f, odd), f)));
  }
}

TEST_CASE("float8_e8m0fnu: powers of two, ties to the even exponent, no zero") {
  const auto f = fmt::float8_e8m0fnu;
  CHECK(encode(1.0f, f) == 127);
  CHECK(encode(3.0f, f) == 128);        // 3 = midpoint of 2 (field 128, even) and 4
  CHECK(encode(6.0f, f) == 130);        // midpoint of 4 (129, odd) and 8 (130, even)
  CHECK(encode(0.0f, f) == 0x00);       // no zero: the smallest value 2^-127
  CHECK(encode(1e-45f, f) == 0x00);
  CHECK(encode(INFINITY, f) == 0xFF);
  CHECK(encode(0x1.8p127f, f) == 0xFE);  // tie between 2^127 (field 254, even) and 2^128
  CHECK(encode(0x1.9p127f, f) == 0xFF);  // nearer 2^128: overflow -> NaN
}

TEST_CASE("flush formats round below the smallest normal to zero or to the smallest normal") {
  float_format f = fmt::float16;
  f.subnormals = subnormal_mode::flush;
  CHECK(encode(0x1p-15f, f) == 0x0000);            // tie: to zero
  CHECK(encode(0x1.000002p-15f, f) == 0x0400);     // above the tie: min normal
  CHECK(encode(0x1p-24f, f, {round_mode::toward_positive}) == 0x0400);
  CHECK(encode(-0x1p-24f, f) == 0x8000);
}

TEST_CASE("stochastic rounding below the smallest subnormal rounds to 0 or the smallest value") {
  const auto f = fmt::float8_e4m3fn;  // smallest subnormal 2^-9
  const rounding sr{round_mode::stochastic};
  std::size_t zeros = 0, ones = 0;
  test::splitmix64 rng{7};
  for (int i = 0; i < 4096; ++i) {
    const auto c = encode(0x1p-11f, f, sr, rng());  // a quarter of the smallest subnormal
    zeros += c == 0;
    ones += c == 1;
  }
  CHECK(zeros + ones == 4096);
  CHECK(ones > 800);  // p = 1/4: 1024 expected, sigma 28
  CHECK(ones < 1250);
}
