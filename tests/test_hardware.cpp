// Cross-checks against hardware conversions: F16C float -> half in all four IEEE directions,
// AVX512-FP16 double -> half in all four, the compiler's _Float16 conversions (from float and
// from double), and AVX512-BF16 float -> bfloat16. Each group is its own ctest entry; where the
// CPU or compiler lacks the feature the entry exits with 77 and ctest reports it as skipped,
// never as passed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <string>

#include "all_floats.hpp"
#include "hardware.hpp"
#include "inputs.hpp"
#include "support.hpp"

using namespace precsim;
namespace fmt = precsim::formats;

namespace {

std::vector<float> sample_floats(const float_format& f, std::size_t randoms) {
  std::vector<float> xs = test::dense_inputs<float>(f, 17);
  test::splitmix64 rng{2026};
  for (std::size_t i = 0; i < randoms; ++i) xs.push_back(detail::bit_cast<float>(std::uint32_t(rng())));
  return xs;  // random bit patterns include NaNs with assorted payloads and signs
}

}  // namespace

#if PRECSIM_TEST_X86
TEST_CASE("f16c: float16 encode equals vcvtps2ph in all four rounding directions") {
  const round_mode modes[] = {round_mode::nearest_even, round_mode::toward_negative,
                              round_mode::toward_positive, round_mode::toward_zero};
  std::size_t bad = 0;
  for (float x : sample_floats(fmt::float16, 1 << 22))
    for (int d = 0; d < 4; ++d) {
      const std::uint16_t want = hw::f16c(x, d), got = std::uint16_t(encode(x, fmt::float16, {modes[d]}));
      if (want != got && ++bad <= 10)
        FAIL_CHECK(test::hex(x) << " " << precsim::to_string(modes[d]) << ": 0x" << std::hex << got << " want 0x" << want);
    }
  CHECK(bad == 0);
}

TEST_CASE("avx512bf16: bfloat16 encode equals vcvtneps2bf16 outside the float subnormal range") {
  std::size_t bad = 0, compared = 0;
  for (float x : sample_floats(fmt::bfloat16, 1 << 22)) {
    if (x != 0 && std::fabs(x) < 0x1p-126f) continue;  // the instruction flushes these inputs
    const std::uint16_t want = hw::avx512bf16(x), got = std::uint16_t(encode(x, fmt::bfloat16));
    ++compared;
    if (want != got && ++bad <= 10)
      FAIL_CHECK(test::hex(x) << ": 0x" << std::hex << got << " want 0x" << want);
  }
  CHECK(bad == 0);
  CHECK(compared > (1u << 21));
}
#endif

#if PRECSIM_TEST_X86 && PRECSIM_AVX512FP16
// Doubles: a rounding straight from the double, so that inputs within a float ulp of a float16
// midpoint (where a trip through float rounds twice) are in the sample.
TEST_CASE("avx512fp16: float16 encode of doubles equals vcvtsd2sh in all four rounding directions") {
  const round_mode modes[] = {round_mode::nearest_even, round_mode::toward_negative,
                              round_mode::toward_positive, round_mode::toward_zero};
  std::vector<double> xs = test::dense_inputs<double>(fmt::float16, 9);
  test::splitmix64 rng{2027};
  for (int i = 0; i < (1 << 21); ++i) {
    const std::uint64_t r = rng();
    double x = detail::bit_cast<double>(r);  // any pattern: NaNs with assorted payloads, subnormals
    if (i % 4 == 1)  // float16's range and a little beyond
      x = std::ldexp(1.0 + double(r >> 12) * 0x1p-52, -30 + int(r % 48)) * (r & 2048 ? -1 : 1);
    if (i % 4 == 2)  // a float16 grid point or midpoint, moved by a few units of 2^-40 of it
      x = std::ldexp(double(1024 + (r >> 54)) + double((r >> 53) & 1) / 2, -24 + int(r % 40)) *
          (1 + double(int(r >> 8 & 7) - 3) * 0x1p-40);
    xs.push_back(x);
  }
  std::size_t bad = 0;
  for (double x : xs)
    for (int d = 0; d < 4; ++d) {
      const std::uint16_t want = hw::avx512fp16(x, d), got = std::uint16_t(encode(x, fmt::float16, {modes[d]}));
      if (want != got && ++bad <= 10)
        FAIL_CHECK(test::hex(x) << " " << precsim::to_string(modes[d]) << ": 0x" << std::hex << got << " want 0x" << want);
    }
  CHECK(bad == 0);
}
#endif

// Exhaustive variants (ctest label "exhaustive").
#if PRECSIM_TEST_X86
TEST_CASE("f16c-all: every binary32 input converts to float16 like F16C in all four directions") {
  const round_mode modes[] = {round_mode::nearest_even, round_mode::toward_negative,
                              round_mode::toward_positive, round_mode::toward_zero};
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t bad = test::parallel_all_floats([&](std::uint32_t bits) {
    const float x = detail::bit_cast<float>(bits);
    for (int d = 0; d < 4; ++d)
      if (hw::f16c(x, d) != encode(x, fmt::float16, {modes[d]})) return false;
    return true;
  });
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("float16 vs F16C, 4 directions: " << bad << " mismatches, " << secs << " s");
  CHECK(bad == 0);
}

TEST_CASE("avx512bf16-all: every binary32 input outside the subnormal range converts like AVX512-BF16") {
  const std::uint64_t bad = test::parallel_all_floats([&](std::uint32_t bits) {
    const float x = detail::bit_cast<float>(bits);
    if (x != 0 && std::fabs(x) < 0x1p-126f) return true;
    return hw::avx512bf16(x) == encode(x, fmt::bfloat16);
  });
  MESSAGE("bfloat16 vs AVX512-BF16: " << bad << " mismatches");
  CHECK(bad == 0);
}
#endif

#ifdef __FLT16_MAX__
TEST_CASE("float16-type: float16 encode equals the compiler's _Float16 conversions") {
  std::size_t bad = 0;
  auto check = [&](auto x) {
    const _Float16 h = static_cast<_Float16>(x);
    std::uint16_t want;
    std::memcpy(&want, &h, 2);
    const std::uint16_t got = std::uint16_t(encode(x, fmt::float16));
    if (std::isnan(x)) {  // NaN encodings differ between conversions; both must be NaN
      if (!std::isnan(decode(got, fmt::float16)) && ++bad <= 10) FAIL_CHECK("NaN lost");
      return;
    }
    if (want != got && ++bad <= 10)
      FAIL_CHECK(test::hex(x) << ": 0x" << std::hex << got << " want 0x" << want);
  };
  for (float x : sample_floats(fmt::float16, 1 << 20)) check(x);
  test::splitmix64 rng{3};
  for (double x : test::dense_inputs<double>(fmt::float16, 5)) check(x);
  for (int i = 0; i < (1 << 20); ++i)  // doubles near float16's range
    check((rng() & 1 ? -1 : 1) * std::ldexp(1.0 + double(rng() >> 11) * 0x1p-53, -27 + int(rng() % 46)));
  CHECK(bad == 0);
}
#endif

int main(int argc, char** argv) {
  const std::string want = argc > 1 ? argv[1] : "";
  bool available = false;
  if (want == "f16c" || want == "f16c-all") available = hw::has_f16c();
  else if (want == "avx512bf16" || want == "avx512bf16-all") available = hw::has_avx512bf16();
  else if (want == "avx512fp16") available = hw::has_avx512fp16();
  else if (want == "float16-type") {
#ifdef __FLT16_MAX__
    available = true;
#endif
  } else {
    std::fprintf(stderr, "usage: test_hardware f16c[-all]|avx512bf16[-all]|avx512fp16|float16-type [doctest options]\n");
    return 2;
  }
  if (!available) {
    std::printf("SKIPPED: %s is not available on this CPU/compiler\n", want.c_str());
    return 77;
  }
  doctest::Context ctx(argc - 1, argv + 1);
  ctx.setOption("test-case", (want + ":*").c_str());
  const int rc = ctx.run();
  if (rc == 0 && ctx.shouldExit()) return 0;
  return rc;
}
