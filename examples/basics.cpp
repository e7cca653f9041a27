// The README's first steps as a program: round, encode, decode, saturate, stochastic rounding,
// P3109 and custom formats.
#include <cstdio>
#include <random>

#include <precsim/io.hpp>
#include <precsim/precsim.hpp>

namespace ps = precsim;

int main() {
  const auto e4m3 = ps::formats::float8_e4m3fn;
  std::printf("quantize(0.3f, e4m3fn) = %g\n", ps::quantize(0.3f, e4m3));
  std::printf("encode(0.3f, e4m3fn)   = 0x%02llx  %s\n", (unsigned long long)ps::encode(0.3f, e4m3),
              ps::bits_string(ps::encode(0.3f, e4m3), e4m3).c_str());
  std::printf("decode(0x2A, e4m3fn)   = %g\n", ps::decode(0x2A, e4m3));

  const ps::rounding sat{ps::round_mode::nearest_even, ps::saturation::finite};
  std::printf("1e6 -> e4m3fn: 0x%02llx without saturation (NaN), 0x%02llx saturating (448)\n",
              (unsigned long long)ps::encode(1e6f, e4m3), (unsigned long long)ps::encode(1e6f, e4m3, sat));

  // Stochastic rounding: the mean of many roundings of 0.3 approaches 0.3.
  std::mt19937_64 rng(42);
  const ps::rounding sr{ps::round_mode::stochastic};
  double sum = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) sum += ps::quantize(0.3f, e4m3, sr, rng());
  std::printf("mean of %d stochastic roundings of 0.3 = %.5f (round-to-nearest gives 0.3125)\n", n, sum / n);

  constexpr auto p = ps::formats::p3109(8, 3, true, true);  // Binary8p3se
  constexpr ps::float_format e3m5{.exponent_bits = 3, .mantissa_bits = 5, .bias = 3};
  static_assert((ps::validate(e3m5), true) && ps::max_finite(e3m5) == 15.75);
  std::printf("%s: max %g, min subnormal %g\n", ps::format_name(p).c_str(), ps::max_finite(p),
              ps::min_subnormal(p));
  std::printf("%s: pi -> %g\n", ps::format_name(e3m5).c_str(), ps::quantize(3.14159265358979, e3m5));
  return 0;
}
