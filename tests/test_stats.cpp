// Quantization statistics (stats.hpp) against a per-element count written independently.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <precsim/precsim.hpp>

#include "inputs.hpp"
#include "levels.hpp"

using namespace precsim;
namespace fmt = precsim::formats;

namespace {

// The reference: classification with std::fpclassify, sums in long double.
struct reference {
  std::size_t nan_in = 0, nan_out = 0, nan_num = 0, to_inf = 0, to_nan = 0, sat = 0, flushed = 0, changed = 0;
  long double signal = 0, noise = 0, rel = 0, max_err = 0;
  std::size_t rel_n = 0;
};
template <class T>
reference count(const std::vector<T>& in, const std::vector<T>& out, double maxf) {
  reference r;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const int cx = std::fpclassify(in[i]), cy = std::fpclassify(out[i]);
    const bool x_nan = cx == FP_NAN, y_nan = cy == FP_NAN;
    const bool x_fin = cx != FP_NAN && cx != FP_INFINITE, y_fin = cy != FP_NAN && cy != FP_INFINITE;
    if (x_nan) ++r.nan_in;
    if (y_nan) ++r.nan_out;
    if (x_nan && !y_nan) ++r.nan_num;
    if (x_fin && cy == FP_INFINITE) ++r.to_inf;
    if (!x_nan && y_nan) ++r.to_nan;
    if (maxf > 0 && !x_nan && std::fabs(double(in[i])) > maxf && std::fabs(double(out[i])) == maxf) ++r.sat;
    if (x_fin && cx != FP_ZERO && cy == FP_ZERO) ++r.flushed;
    if (x_fin && y_fin) {
      const long double x = in[i], y = out[i], e = std::fabs(y - x);
      if (x != y) ++r.changed;
      r.signal += x * x;
      r.noise += e * e;
      if (x != 0) {
        r.rel += e / std::fabs(x);
        ++r.rel_n;
      }
      r.max_err = std::max(r.max_err, e);
    }
  }
  return r;
}

void check_equal(const quantization_stats& st, const reference& r, std::size_t n) {
  CHECK(st.count == n);
  CHECK(st.nan_inputs == r.nan_in);
  CHECK(st.nan_outputs == r.nan_out);
  CHECK(st.nan_to_number == r.nan_num);
  CHECK(st.overflow_to_inf == r.to_inf);
  CHECK(st.overflow_to_nan == r.to_nan);
  CHECK(st.saturated == r.sat);
  CHECK(st.flushed == r.flushed);
  CHECK(st.changed == r.changed);
  CHECK(st.relative_count == r.rel_n);
  CHECK(st.max_abs_error == double(r.max_err));
  CHECK(st.signal_energy == doctest::Approx(double(r.signal)).epsilon(1e-12));
  CHECK(st.noise_energy == doctest::Approx(double(r.noise)).epsilon(1e-12));
  CHECK(st.relative_error_sum == doctest::Approx(double(r.rel)).epsilon(1e-12));
  if (r.noise > 0) CHECK(st.sqnr_db() == doctest::Approx(double(10 * std::log10(r.signal / r.noise))).epsilon(1e-12));
}

// N(0,1)-like values spread over many binades, with the special cases mixed in.
std::vector<float> inputs(std::size_t n) {
  test::splitmix64 rng{21};
  std::vector<float> x(n);
  for (auto& v : x) v = std::ldexp(float(double(rng() >> 11) * 0x1p-53) + 0.5f, int(rng() % 60) - 40) * (rng() & 1 ? 1 : -1);
  const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 1e30f, -1e30f, 1e-30f, 500.0f, 448.0f, 464.0f};
  for (std::size_t i = 0; i < n; i += 97) x[i] = specials[(i / 97) % std::size(specials)];
  return x;
}

}  // namespace

TEST_CASE("measure counts every outcome and the error exactly as a per-element count does") {
  const std::vector<float> x = inputs(50000);
  std::vector<float> y(x.size());
  struct one_case { const char* name; float_format f; rounding r; };
  const one_case cases[] = {
      {"e4m3fn nearest (overflow -> NaN)", fmt::float8_e4m3fn, {}},
      {"e4m3fn saturating", fmt::float8_e4m3fn, {round_mode::nearest_even, saturation::finite}},
      {"e5m2 (overflow -> inf)", fmt::float8_e5m2, {}},
      {"e5m2 saturating toward zero", fmt::float8_e5m2, {round_mode::toward_zero, saturation::finite}},
      {"e2m1 stochastic", fmt::float4_e2m1fn, {round_mode::stochastic}},
      {"bfloat16", fmt::bfloat16, {}},
  };
  for (const test::level_config& lc : test::levels())
  for (const one_case& c : cases) {
    INFO(lc.name, ": ", c.name);
    const test::scoped_config scope(lc, 1);
    quantize(x, y, c.f, c.r, sr_stream{1, 2});
    const reference want = count(x, y, max_finite(c.f));
    check_equal(measure(x, y, c.f), want, x.size());
    quantization_stats st;
    std::vector<float> z(x.size());
    quantize(x, z, c.f, c.r, sr_stream{1, 2}, &st);  // the same rounding, measured on the way
    CHECK(std::memcmp(y.data(), z.data(), y.size() * 4) == 0);
    check_equal(st, want, x.size());
    // Without a format: no saturation count, the rest unchanged.
    const quantization_stats plain = measure(x, y);
    CHECK(plain.saturated == 0);
    CHECK(plain.flushed == st.flushed);
  }
  // Sanity of the expectations themselves: each special outcome occurs in some case.
  quantize(x, y, fmt::float8_e4m3fn);
  CHECK(measure(x, y, fmt::float8_e4m3fn).overflow_to_nan > 0);
  quantize(x, y, fmt::float8_e5m2);
  CHECK(measure(x, y, fmt::float8_e5m2).overflow_to_inf > 0);
  CHECK(measure(x, y, fmt::float8_e5m2).flushed > 0);
  quantize(x, y, fmt::float8_e4m3fn, {round_mode::nearest_even, saturation::finite});
  CHECK(measure(x, y, fmt::float8_e4m3fn).saturated > 0);
  // FP4 codes have no NaN: NaN encodes as 0, which decode reads back as a number.
  std::vector<std::uint8_t> codes(x.size());
  encode(x, std::span<std::uint8_t>(codes), fmt::float4_e2m1fn);
  decode(std::span<const std::uint8_t>(codes), std::span<float>(y), fmt::float4_e2m1fn);
  const quantization_stats fp4 = measure(x, y, fmt::float4_e2m1fn);
  CHECK(fp4.nan_to_number == fp4.nan_inputs);
  CHECK(fp4.nan_inputs > 0);
  check_equal(fp4, count(x, y, max_finite(fmt::float4_e2m1fn)), x.size());
}

TEST_CASE("measure counts right at every level and length, with special values in some blocks only") {
  // Blocks without NaN, infinity or values beyond max finite take a shorter path: special values
  // placed in one block only, in the tail, or nowhere, over lengths around the lane counts and
  // the 4096-element block.
  test::splitmix64 rng{7};
  const float specials[] = {NAN, INFINITY, -INFINITY, 1000.0f, -500.0f};
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{15}, std::size_t{17},
                              std::size_t{4095}, std::size_t{4097}, std::size_t{3 * 4096 + 5}}) {
    std::vector<float> x(n);
    for (auto& v : x) v = std::ldexp(float(double(rng() >> 11) * 0x1p-53), int(rng() % 30) - 20) * (rng() & 1 ? 1 : -1);
    for (int where = 0; where < 3; ++where) {  // nowhere, the last element, the middle of the first block
      std::vector<float> xs = x;
      if (where == 1 && n > 0) xs[n - 1] = specials[rng() % 5];
      if (where == 2 && n > 2) xs[std::min<std::size_t>(n / 2, 2000)] = specials[rng() % 5];
      std::vector<float> y(n);
      quantize(xs, y, fmt::float8_e4m3fn, {round_mode::nearest_even, saturation::finite});
      const reference want = count(xs, y, max_finite(fmt::float8_e4m3fn));
      std::vector<double> xd(xs.begin(), xs.end()), yd(y.begin(), y.end());
      for (const test::level_config& lc : test::levels()) {
        INFO(lc.name, ", n = ", n, ", special at ", where);
        const test::scoped_config scope(lc, 1);
        check_equal(measure(xs, y, fmt::float8_e4m3fn), want, n);
        check_equal(measure(xd, yd, fmt::float8_e4m3fn), want, n);
      }
    }
  }
  // Pairs no rounding makes: zeros of opposite sign are equal values (not "changed").
  const std::vector<float> a = {0.0f, -0.0f, 1.0f, 2.0f, -0.0f}, b = {-0.0f, 0.0f, 1.0f, 3.0f, 5.0f};
  for (const test::level_config& lc : test::levels()) {
    INFO(lc.name);
    const test::scoped_config scope(lc, 1);
    check_equal(measure(a, b), count(a, b, 0.0), a.size());
  }
}

TEST_CASE("measure gives the same bits for any thread count, in place and for doubles and block formats") {
  const std::vector<float> x = inputs(300000);
  std::vector<float> y(x.size());
  quantize(x, y, fmt::float8_e4m3fn, {round_mode::stochastic}, sr_stream{5, 6});
  set_parallel_threshold(0);
  set_max_threads(1);
  const quantization_stats one = measure(x, y, fmt::float8_e4m3fn);
  set_max_threads(2);
  const quantization_stats two = measure(x, y, fmt::float8_e4m3fn);
  set_max_threads(0);
  set_parallel_threshold(std::size_t{1} << 20);
  CHECK(std::memcmp(&one, &two, sizeof one) == 0);
  // In place with statistics: the same values and the same statistics.
  std::vector<float> w = x;
  quantization_stats in_place;
  quantize(std::span<const float>(w), std::span<float>(w), fmt::float8_e4m3fn, {round_mode::stochastic},
           sr_stream{5, 6}, &in_place);
  CHECK(std::memcmp(w.data(), y.data(), y.size() * 4) == 0);
  CHECK(std::memcmp(&in_place, &one, sizeof one) == 0);
  // Doubles (4.8 MB: past the size where blocks are loaded by a light loop first).
  std::vector<double> xd(x.begin(), x.end()), yd(x.size());
  quantize(xd, yd, fmt::float16);
  check_equal(measure(xd, yd, fmt::float16), count(xd, yd, max_finite(fmt::float16)), x.size());
  // Floats past that size too.
  const std::vector<float> big = inputs(700000);
  std::vector<float> bigq(big.size());
  quantize(big, bigq, fmt::float8_e5m2);
  check_equal(measure(big, bigq, fmt::float8_e5m2), count(big, bigq, max_finite(fmt::float8_e5m2)), big.size());
  // After a block format (finite inputs; a NaN makes its whole tile NaN).
  std::vector<float> finite(x.begin(), x.begin() + 32 * 1000);
  for (auto& v : finite) if (!std::isfinite(v)) v = 1.5f;
  std::vector<float> q(finite.size());
  quantize_blocks(finite, q, 1000, 32, fmt::mxfp4_e2m1);
  const quantization_stats bs = measure(finite, q);
  check_equal(bs, count(finite, q, 0.0), finite.size());
  CHECK(bs.sqnr_db() > 5);
  CHECK(bs.sqnr_db() < 30);
  // Misuse.
  CHECK_THROWS_AS(measure(std::span<const float>(x), std::span<const float>(y).first(5)), std::invalid_argument);
  CHECK(std::isinf(measure(x, x).sqnr_db()));
}
