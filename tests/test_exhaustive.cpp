// Opt-in (ctest -L exhaustive): all 2^32 binary32 inputs, round-to-nearest-even without and with
// saturation, for float16, bfloat16, float8_e4m3fn and float8_e5m2, against a neighbour-search
// oracle (the sorted value list of the format, decoded from the definition, midpoints compared
// exactly in double); float16's bulk codes in every deterministic mode at every SIMD level
// against the scalar core (the hardware conversion's paths: dispatch.hpp, half_hw); and the
// 8-bit and smaller formats' bulk codes and values to nearest even and toward zero likewise (the
// fast path's per-lane magic constant). The hardware sweeps (F16C, AVX512-BF16) live in
// test_hardware.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "all_floats.hpp"
#include "levels.hpp"
#include "support.hpp"

using namespace precsim;
namespace fmt = precsim::formats;

namespace {

// Round-to-nearest-even by searching the format's positive values.
struct table_oracle {
  std::vector<double> vals;           // ascending positive finite values (and 0 where present)
  std::vector<std::uint64_t> codes;   // their codes
  double over;                        // max + ulp(max): the first value past the range
  float_format f;
  int sign_shift;

  explicit table_oracle(const float_format& fm) : f(fm), sign_shift(storage_bits(fm) - 1) {
    std::vector<std::pair<double, std::uint64_t>> v;
    for (std::uint64_t c = 0; c < code_count(f); ++c) {
      const oracle::value x = oracle::decode(c, f);
      if (x.kind == oracle::value::finite && !x.neg && !(x.mag == 0 && c != 0)) v.push_back({x.mag, c});
    }
    std::sort(v.begin(), v.end());
    for (auto& [val, c] : v) { vals.push_back(val); codes.push_back(c); }
    const int n = int(vals.size());
    over = vals[n - 1] + (vals[n - 1] - vals[n - 2]);
  }

  // The expected code for finite nonzero x, or ~0 for "overflow" (caller applies the policy).
  std::uint64_t nearest_even(float x) const {
    const double a = std::fabs(double(x));
    const bool neg = std::signbit(x);
    const std::size_t i = std::upper_bound(vals.begin(), vals.end(), a) - vals.begin() - 1;
    const double lo = vals[i];
    const bool at_top = i + 1 == vals.size();
    const double hi = at_top ? over : vals[i + 1];
    const std::uint64_t lo_code = codes[i], hi_code = at_top ? codes[i] + 1 : codes[i + 1];
    const double mid = lo + (hi - lo) / 2;  // exact: both are short doubles in one binade
    const bool up = a > mid || (a == mid && (lo_code & 1));
    if (up && at_top) return ~std::uint64_t{0};
    const std::uint64_t c = up ? hi_code : lo_code;
    return c == 0 && !has_negative_zero(f) ? 0 : sign(neg) | c;
  }
  std::uint64_t sign(bool neg) const { return neg ? std::uint64_t{1} << sign_shift : 0; }
  std::uint64_t max_code(bool neg) const { return sign(neg) | codes.back(); }
};

void sweep(const test::named& nf) {
  const table_oracle tab(nf.f);
  const auto t0 = std::chrono::steady_clock::now();
  const oracle::extremes ext(nf.f);
  // Every overflowing input has the oracle's result for +-FLT_MAX (which overflows all four).
  constexpr float big = std::numeric_limits<float>::max();
  REQUIRE(tab.nearest_even(big) == ~std::uint64_t{0});
  const oracle::value overflow[2] = {oracle::round(big, nf.f, {}, 0), oracle::round(-big, nf.f, {}, 0)};
  const std::uint64_t bad = test::parallel_all_floats([&](std::uint32_t bits) {
    const float x = detail::bit_cast<float>(bits);
    const std::uint64_t got = encode(x, nf.f), got_sat = encode(x, nf.f, {round_mode::nearest_even, saturation::finite});
    if (!std::isfinite(x) || x == 0) {  // specials follow the documented policy (oracle rules)
      return oracle::decode(got, nf.f) == oracle::round(x, oracle::analysis{}, nf.f, ext, {}, 0);
    }
    const std::uint64_t want = tab.nearest_even(x);
    if (want == ~std::uint64_t{0})  // overflow: the format's overflow value; saturating: max
      return oracle::decode(got, nf.f) == overflow[std::signbit(x)] &&
             got_sat == tab.max_code(std::signbit(x));
    return got == want && got_sat == want;
  });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE(nf.name << ": all 2^32 floats, RNE x {none, finite}: " << bad << " mismatches, " << secs << " s");
  CHECK(bad == 0);
}

// Every binary32 input through the bulk API at every vector level (not the scalar one: the
// reference's own path) against the scalar core element by element: codes, values where asked.
std::uint64_t bulk_against_scalar(const test::named& nf, std::initializer_list<round_mode> modes, bool values) {
  std::vector<test::level_config> levels = test::levels();
  std::erase_if(levels, [](const test::level_config& lc) { return lc.level == simd_level::scalar; });
  constexpr std::size_t chunk = std::size_t{1} << 20;
  std::vector<float> in(chunk), want_val(chunk), got_val(chunk);
  std::vector<std::uint16_t> want(chunk), got(chunk);
  std::uint64_t bad = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const round_mode m : modes) {
    for (std::uint64_t start = 0; start < (std::uint64_t{1} << 32); start += chunk) {
      for (std::size_t i = 0; i < chunk; ++i) in[i] = detail::bit_cast<float>(std::uint32_t(start + i));
      // the reference: the scalar core, one element at a time, half the chunk on a second thread
      const auto scalar = [&](std::size_t lo, std::size_t hi) {
        for (std::size_t i = lo; i < hi; ++i) {
          want[i] = std::uint16_t(encode(in[i], nf.f, {m}));
          if (values) want_val[i] = quantize(in[i], nf.f, {m});
        }
      };
      std::thread helper(scalar, chunk / 2, chunk);
      scalar(0, chunk / 2);
      helper.join();
      for (const test::level_config& lc : levels) {
        const test::scoped_config scope(lc, 2);
        encode(std::span<const float>(in), std::span<std::uint16_t>(got), nf.f, {m});
        if (values) quantize(std::span<const float>(in), std::span<float>(got_val), nf.f, {m});
        for (std::size_t i = 0; i < chunk; ++i) {
          if (got[i] != want[i] && ++bad <= 10)
            FAIL_CHECK(nf.name << " " << lc.name << " " << to_string(m) << " " << test::hex(in[i]) << ": code 0x"
                               << std::hex << got[i] << " want 0x" << want[i]);
          if (values && detail::bit_cast<std::uint32_t>(got_val[i]) != detail::bit_cast<std::uint32_t>(want_val[i]) && ++bad <= 10)
            FAIL_CHECK(nf.name << " " << lc.name << " " << to_string(m) << " " << test::hex(in[i]) << ": "
                               << test::hex(got_val[i]) << " want " << test::hex(want_val[i]));
        }
      }
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE(nf.name << ": " << modes.size() << " modes x " << levels.size() << " levels" << std::string(values ? ", codes and values: " : ", codes: ")
                  << bad << " mismatches, " << secs << " s");
  return bad;
}

}  // namespace

TEST_CASE("all binary32 inputs round like the neighbour-search oracle") {
  for (const test::named& nf : {test::named{"float16", fmt::float16}, test::named{"bfloat16", fmt::bfloat16},
                                test::named{"float8_e4m3fn", fmt::float8_e4m3fn},
                                test::named{"float8_e5m2", fmt::float8_e5m2}})
    sweep(nf);
}

TEST_CASE("all binary32 inputs: float16 bulk codes in every deterministic mode equal the scalar core at every level") {
  CHECK(bulk_against_scalar({"float16", fmt::float16},
                            {round_mode::nearest_even, round_mode::nearest_away, round_mode::toward_zero,
                             round_mode::toward_negative, round_mode::toward_positive, round_mode::to_odd},
                            false) == 0);
}

// The fast path's per-lane magic constant (kernel.hpp, lanes_by_magic): its thresholds (ties at
// max, the min normal, the subnormals' quantum) for formats with and without inf, NaN and -0.
const test::named small_formats[] = {{"float8_e4m3fn", fmt::float8_e4m3fn},     {"float8_e5m2", fmt::float8_e5m2},
                                     {"float6_e3m2fn", fmt::float6_e3m2fn},     {"float4_e2m1fn", fmt::float4_e2m1fn},
                                     {"float8_e4m3fnuz", fmt::float8_e4m3fnuz}, {"binary8p3se", fmt::p3109(8, 3, true, true)}};

TEST_CASE("all binary32 inputs: 8-bit and smaller formats to nearest even and toward zero, bulk equals the scalar core at every level") {
  for (const test::named& nf : small_formats)
    CHECK(bulk_against_scalar(nf, {round_mode::nearest_even, round_mode::toward_zero}, true) == 0);
}

// The same constant to nearest away (nearest even of x with its last bit set) and to odd (the
// last bit set where the cut was inexact): every tie, and the thresholds at max of both modes.
TEST_CASE("all binary32 inputs: 8-bit and smaller formats to nearest away and to odd, bulk equals the scalar core at every level") {
  for (const test::named& nf : small_formats)
    CHECK(bulk_against_scalar(nf, {round_mode::nearest_away, round_mode::to_odd}, true) == 0);
}
