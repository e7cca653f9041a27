// Stochastic rounding: for chosen inputs, all 2^N random words give exactly the round-up count
// each P3109 variant defines; with full random bits the rounding is unbiased within binomial
// bounds; the result is a pure function of (x, random word).
#include <doctest/doctest.h>

#include <cmath>

#include "inputs.hpp"
#include "support.hpp"

using namespace precsim;
namespace fmt = precsim::formats;

namespace {

// Exact count of words R in [0, 2^n) that round away, from the variant's definition with the
// discarded fraction v = num / 2^den_log2 (formats.md): A counts floor(v 2^n), B counts
// floor((floor(v 2^(n+1)) + 1) / 2), C counts RNE(v 2^n).
std::uint64_t expected_ups(std::uint64_t num, int den_log2, int n, sr_variant var) {
  const oracle::cpp_rational v(oracle::cpp_int(num), oracle::cpp_int(1) << den_log2);
  const oracle::cpp_rational t = v * oracle::cpp_rational(oracle::cpp_int(1) << n);
  oracle::cpp_int k = oracle::floor_int(t);
  const oracle::cpp_rational frac = t - oracle::cpp_rational(k);
  if (var == sr_variant::b) k = (oracle::floor_int(t * 2) + 1) / 2;
  if (var == sr_variant::c && (frac > oracle::cpp_rational(1, 2) ||
                               (frac == oracle::cpp_rational(1, 2) && k % 2 == 1)))
    k += 1;
  return static_cast<std::uint64_t>(k);
}

}  // namespace

TEST_CASE("all 2^N random words give each variant's exact round-up probability") {
  // float16 keeps 10 fraction bits; a float in [1, 2) discards 13: x = 1 + frac13 * 2^-23.
  const std::uint64_t fracs[] = {1, 2, 3, 0x7F, 0x800, 0x1000, 0x1001, 0x1555, 0x1FFF, 0xFFF};
  for (std::uint64_t frac : fracs)
    for (int n : {1, 2, 3, 5, 8, 12, 13, 16})
      for (sr_variant var : {sr_variant::a, sr_variant::b, sr_variant::c}) {
        const float x = 1.0f + std::ldexp(float(frac), -23) + 0x1p-10f * 5;
        const std::uint64_t down = encode(x, fmt::float16, {round_mode::toward_zero});
        std::uint64_t ups = 0;
        for (std::uint64_t r = 0; r < (std::uint64_t{1} << n); ++r) {
          const rounding sr{round_mode::stochastic, saturation::none, n, var};
          const std::uint64_t c = encode(x, fmt::float16, sr, r | (0xABCDull << 40));  // high bits ignored
          REQUIRE((c == down || c == down + 1));
          ups += c == down + 1;
        }
        CAPTURE(frac);
        CAPTURE(n);
        CAPTURE(int(var));
        CHECK(ups == expected_ups(frac, 13, n, var));
      }
}

TEST_CASE("too few random bits bias variant A toward zero, as P3109 warns") {
  // v = 0.75 of an ulp, N = 1: A sees floor(1.5) = 1 -> P = 1/2; C sees RNE(1.5) = 2 -> P = 1.
  const float x = 1.0f + 0x1p-10f * 0.75f;
  const rounding a{round_mode::stochastic, saturation::none, 1, sr_variant::a};
  const rounding c{round_mode::stochastic, saturation::none, 1, sr_variant::c};
  CHECK(encode(x, fmt::float16, a, 0) == 0x3C00);
  CHECK(encode(x, fmt::float16, a, 1) == 0x3C01);
  CHECK(encode(x, fmt::float16, c, 0) == 0x3C01);
  CHECK(encode(x, fmt::float16, c, 1) == 0x3C01);
}

TEST_CASE("exact stochastic rounding is unbiased within 5 sigma of the binomial") {
  struct item { float x; test::named f; };
  const item items[] = {
      {0.3f, {"float8_e4m3fn", fmt::float8_e4m3fn}},
      {1e-3f, {"float8_e4m3fn", fmt::float8_e4m3fn}},     // subnormal range
      {0x1p-12f, {"float8_e4m3fn", fmt::float8_e4m3fn}},  // below the smallest subnormal
      {3.14159f, {"bfloat16", fmt::bfloat16}},
      {-1000.7f, {"float16", fmt::float16}},
      {5.2f, {"float4_e2m1fn", fmt::float4_e2m1fn}},
      {450.0f, {"float8_e4m3fn", fmt::float8_e4m3fn}},    // between max and the overflow value
  };
  const std::uint64_t seed = 20261128;
  test::splitmix64 rng{seed};
  const int trials = 200000;
  for (const item& it : items) {
    CAPTURE(it.f.name);
    CAPTURE(it.x);
    CAPTURE(seed);
    const auto down = encode(it.x, it.f.f, {round_mode::toward_zero});
    // P(away) = v, the discarded fraction, exactly (from the oracle's analysis).
    const oracle::analysis a = oracle::analyze(it.x, it.f.f);
    const double p = static_cast<double>(oracle::cpp_rational(a.vnum, a.vden));
    REQUIRE(p > 0);
    std::size_t ups = 0;
    for (int i = 0; i < trials; ++i)
      ups += encode(it.x, it.f.f, {round_mode::stochastic}, rng()) != down;
    const double mean = trials * p, sigma = std::sqrt(trials * p * (1 - p));
    CHECK(std::fabs(double(ups) - mean) <= 5 * sigma + 1);
  }
}

TEST_CASE("stochastic rounding is a pure function of the input and the random word") {
  test::splitmix64 rng{1};
  for (int i = 0; i < 10000; ++i) {
    const float x = std::ldexp(float(rng() >> 40) / float(1 << 24) + 1.0f, int(rng() % 40) - 20);
    const std::uint64_t w = rng();
    const rounding sr{round_mode::stochastic};
    REQUIRE(encode(x, fmt::float8_e5m2, sr, w) == encode(x, fmt::float8_e5m2, sr, w));
    REQUIRE(quantize(x, fmt::float8_e5m2, sr, w) == float(decode(encode(x, fmt::float8_e5m2, sr, w), fmt::float8_e5m2)));
  }
}

TEST_CASE("random_bits outside 0..64 is clamped: above 64 acts as 64, negative as exact") {
  test::splitmix64 rng{11};
  for (int i = 0; i < 2000; ++i) {
    const double x = std::ldexp(1.0 + double(rng() >> 11) * 0x1p-53, int(rng() % 60) - 30);
    const std::uint64_t w = rng();
    auto code = [&](int n) {
      return encode(x, fmt::float8_e5m2, {round_mode::stochastic, saturation::none, n}, w);
    };
    REQUIRE(code(100) == code(64));
    REQUIRE(code(-5) == code(0));
  }
}
