// Rounding from double: the input is rounded once (never through float). Edge and random doubles
// against the exact oracle; quantize(double, float32) against the hardware double -> float
// conversion in every IEEE rounding direction.
#include <doctest/doctest.h>

#include <cfenv>
#include <cmath>
#include <cstring>

#include "inputs.hpp"
#include "support.hpp"

using namespace precsim;
namespace fmt = precsim::formats;

namespace {

std::vector<test::named> double_formats() {
  std::vector<test::named> out;
  for (const auto& nf : test::named_formats()) out.push_back(nf);
  for (const auto& nf : test::custom_formats())
    if (nf.name.rfind("e8m10", 0) == 0 || nf.name.rfind("e11m4", 0) == 0 ||
        nf.name.rfind("e4m2", 0) == 0 || nf.name.rfind("e5m10 flush", 0) == 0)
      out.push_back(nf);
  out.push_back({"binary8p3sf", fmt::p3109(8, 3, true, false)});
  out.push_back({"binary16p5se", fmt::p3109(16, 5, true, true)});
  return out;
}

double random_double(test::splitmix64& rng) {
  for (;;) {  // uniform over bit patterns: every binade equally likely
    const double d = detail::bit_cast<double>(rng());
    if (std::isfinite(d)) return d;
  }
}

}  // namespace

TEST_CASE("double inputs: edge and random values match the oracle in every mode") {
  for (const auto& nf : double_formats()) {
    const test::format_check fc(nf);
    std::vector<double> xs = test::dense_inputs<double>(nf.f, 3);
    test::splitmix64 rng{99};
    for (int i = 0; i < 4000; ++i) xs.push_back(random_double(rng));
    // Near the format's own range, where the rounding does interesting things.
    const int lo = min_positive_exponent(nf.f) - 2, span = max_exponent(nf.f) + 3 - lo;
    for (int i = 0; i < 4000; ++i)
      xs.push_back((rng() & 1 ? -1 : 1) *
                   std::ldexp(1.0 + double(rng() >> 11) * 0x1p-53, lo + int(rng() % span)));
    std::size_t bad = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const rounding sr{round_mode::stochastic, saturation::none, int(i % 5) * 16, sr_variant(i % 3)};
      fc.check_every_mode(xs[i], sr, {rng()}, bad);
    }
    CAPTURE(nf.name);
    CHECK(bad == 0);
  }
}

namespace {
// The hardware conversion under the current rounding direction; volatile keeps the compiler from
// folding it at compile time in the default direction.
float hardware_to_float(double d) {
  volatile double in = d;
  volatile float out = static_cast<float>(in);
  return out;
}
}  // namespace

TEST_CASE("quantize(double, float32) equals the hardware conversion in each IEEE direction") {
  struct dir { int fe; round_mode mode; };
  const dir dirs[] = {{FE_TONEAREST, round_mode::nearest_even},
                      {FE_TOWARDZERO, round_mode::toward_zero},
                      {FE_UPWARD, round_mode::toward_positive},
                      {FE_DOWNWARD, round_mode::toward_negative}};
  test::splitmix64 rng{5};
  std::vector<double> xs = test::dense_inputs<double>(fmt::float32, 11);
  for (int i = 0; i < 200000; ++i) xs.push_back(random_double(rng));
  for (int i = 0; i < 200000; ++i)  // float's own range, subnormals included
    xs.push_back((rng() & 1 ? -1 : 1) * std::ldexp(1.0 + double(rng() >> 11) * 0x1p-53,
                                                   -155 + int(rng() % 284)));
  for (const dir& d : dirs) {
    CAPTURE(precsim::to_string(d.mode));
    std::size_t bad = 0, compared = 0;
    REQUIRE(std::fesetround(d.fe) == 0);
    for (double x : xs) {
      if (std::isnan(x) || std::fabs(x) > double(std::numeric_limits<float>::max())) continue;
      const float want = hardware_to_float(x);
      const float got = quantize(x, fmt::float32, rounding{d.mode});
      ++compared;
      if (std::memcmp(&want, &got, sizeof want) != 0 && ++bad <= 5)
        FAIL_CHECK(test::hex(x) << " -> " << test::hex(got) << " want " << test::hex(want));
    }
    std::fesetround(FE_TONEAREST);
    CHECK(bad == 0);
    CHECK(compared > 300000);
  }
}

TEST_CASE("a double is rounded once, not through float") {
  // 1 + 2^-11 + 2^-40: rounding to float first gives 1 + 2^-11 (a float16 tie, to even: 1),
  // rounding once sees it above the tie: 1 + 2^-10.
  const double x = 1.0 + 0x1p-11 + 0x1p-40;
  CHECK(static_cast<float>(x) == 1.0f + 0x1p-11f);
  CHECK(quantize(x, fmt::float16) == 1.0 + 0x1p-10);
  CHECK(quantize(static_cast<float>(x), fmt::float16) == 1.0f);
}
