// Robustness: results that the caller's floating-point environment (FTZ, DAZ, rounding
// direction, enabled traps), resource limits, out-of-range enumerators and unusual integer types
// must not change. Each case was a confirmed defect; each fails on the code before the fix.
// (Build flags, -ffast-math and mixed translation units: tests/matrix.)
#include <doctest/doctest.h>

#include <cfenv>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#if defined(__linux__)
#include <pthread.h>
#endif

#include <precsim/precsim.hpp>
#include <precsim/io.hpp>

#include "inputs.hpp"
#include "support.hpp"

using namespace precsim;
namespace fmt = precsim::formats;

namespace {

float bit_cast_float(std::uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::vector<simd_level> runnable_levels() {
  std::vector<simd_level> out;
  for (auto l : {simd_level::scalar, simd_level::portable, simd_level::avx2, simd_level::avx512})
    if (simd_level_supported(l)) out.push_back(l);
  return out;
}

struct level_scope {
  simd_level saved = active_simd_level();
  explicit level_scope(simd_level l) { set_simd_level(l); }
  ~level_scope() { set_simd_level(saved); }
};

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// Inputs with every kind of special: float subnormals, signaling and quiet NaNs, infinities.
std::vector<float> special_inputs() {
  std::vector<float> xs = test::dense_inputs<float>(fmt::bfloat16);
  for (std::uint32_t bits : {0x7F800001u, 0xFF800001u, 0x7FA00000u, 0x00000001u, 0x80000002u, 0x007FFFFFu})
    xs.push_back(bit_cast_float(bits));
  return xs;
}

}  // namespace

#if PRECSIM_X86
using test::ftz_daz_toward_zero;
using test::with_mxcsr;

TEST_CASE("the caller's FTZ, DAZ and rounding direction change no bulk result at any level, and MXCSR is restored") {
  const std::vector<float> xs = special_inputs();
  const std::size_t n = xs.size();
  for (simd_level level : runnable_levels()) {
    const level_scope ls(level);
    CAPTURE(to_string(level));
    for (const float_format& f : {fmt::bfloat16, fmt::float16, fmt::float8_e4m3fn, fmt::p3109(8, 3, false, true)})
      for (const rounding& r : {rounding{}, rounding{round_mode::toward_positive}, rounding{round_mode::stochastic}}) {
        std::vector<float> want(n), got(n);
        std::vector<std::uint16_t> want_c(n), got_c(n);
        std::vector<double> want_d(n), got_d(n);
        quantize(xs, want, f, r, sr_stream{});  // (an explicit stream: the same words every call)
        encode(xs, std::span<std::uint16_t>(want_c), f, r, sr_stream{});
        decode(std::span<const std::uint16_t>(want_c), std::span<double>(want_d), f);
        const unsigned csr = ftz_daz_toward_zero | 0x3Fu;  // every exception flag already set
        const unsigned after = with_mxcsr(csr, [&] {
          quantize(xs, got, f, r, sr_stream{});
          encode(xs, std::span<std::uint16_t>(got_c), f, r, sr_stream{});
          decode(std::span<const std::uint16_t>(got_c), std::span<double>(got_d), f);
        });
        CHECK(after == csr);  // control bits and flags exactly as the caller left them
        CHECK(same_bits(want, got));
        CHECK(same_bits(want_c, got_c));
        CHECK(same_bits(want_d, got_d));
      }
  }
}

TEST_CASE("FTZ and DAZ change neither the scalar core nor the value types") {
  float q = 0;
  double d = 0;
  float from_floatx = 0;
  bool equal = true, less = false;
  int rounded_up = 0;
  // Volatile operands: constant folding would otherwise compute everything at compile time.
  volatile float tiny = 0x1p-130f, tinier = 1e-40f;
  volatile std::uint16_t one = 1, two = 2;
  with_mxcsr(ftz_daz_toward_zero, [&] {
    q = quantize(float(tiny), fmt::bfloat16);  // a bfloat16 (and float) subnormal
    d = decode(std::uint16_t(two), fmt::bfloat16);  // 2^-132
    from_floatx = static_cast<float>(bfloat16::from_bits(two));
    equal = bfloat16::from_bits(one) == bfloat16::from_bits(two);
    less = bfloat16::from_bits(one) < bfloat16::from_bits(two);
    rounded_up = intx<8, true, rounding{round_mode::toward_positive}>(float(tinier)).value();
  });
  CHECK(q == 0x1p-130f);
  CHECK(d == 0x1p-132);
  CHECK(from_floatx == 0x1p-132f);
  CHECK(!equal);
  CHECK(less);
  CHECK(rounded_up == 1);
}
#endif  // PRECSIM_X86

#if defined(__GLIBC__) && (defined(__x86_64__) || defined(__i386__))
TEST_CASE("bulk calls never trap, with every exception enabled, and leave the exception flags as they were") {
  const std::vector<float> xs = special_inputs();
  const std::vector<double> xd(xs.begin(), xs.end());
  const std::size_t n = xs.size();
  std::vector<float> out(n);
  std::vector<double> outd(n);
  std::vector<std::uint8_t> codes(n);
  for (simd_level level : runnable_levels()) {
    const level_scope ls(level);
    CAPTURE(to_string(level));
    std::feclearexcept(FE_ALL_EXCEPT);
    std::feraiseexcept(FE_DIVBYZERO);  // a flag the caller had: must survive
    feenableexcept(FE_ALL_EXCEPT);     // a trap here would end the test with SIGFPE
    for (const rounding& r : {rounding{}, rounding{round_mode::toward_zero}, rounding{round_mode::stochastic},
                              rounding{round_mode::stochastic, saturation::none, 8}, rounding{round_mode::to_odd}})
      for (const float_format& f : {fmt::float8_e4m3fn, fmt::float8_e5m2, fmt::float4_e2m1fn, fmt::float8_e8m0fnu}) {
        quantize(xs, out, f, r);
        encode(xs, std::span<std::uint8_t>(codes), f, r);
        decode(std::span<const std::uint8_t>(codes), std::span<float>(out), f);
        decode(std::span<const std::uint8_t>(codes), std::span<double>(outd), f);
        quantize(xd, outd, f, r);
      }
    fedisableexcept(FE_ALL_EXCEPT);
    CHECK(std::fetestexcept(FE_ALL_EXCEPT) == FE_DIVBYZERO);
  }
}
#endif

TEST_CASE("scalar quantize passes signaling NaNs through without raising FE_INVALID") {
  std::feclearexcept(FE_ALL_EXCEPT);
  const float snan = bit_cast_float(0x7FA00001u);
  const float q = quantize(snan, fmt::float8_e4m3fn);
  CHECK(std::memcmp(&q, &snan, 4) == 0);
  CHECK(std::fetestexcept(FE_INVALID) == 0);
}

#if defined(__linux__) && defined(__GLIBC__)
TEST_CASE("a thread that cannot be started runs its piece on the calling thread") {
  // A default stack of 2^46 bytes cannot be mapped: every std::thread constructor throws.
  pthread_attr_t saved, huge;
  REQUIRE(pthread_getattr_default_np(&saved) == 0);
  pthread_attr_init(&huge);
  pthread_attr_setstacksize(&huge, std::size_t{1} << 46);
  REQUIRE(pthread_setattr_default_np(&huge) == 0);
  bool thread_failed = false;
  try {
    std::thread t([] {});
    t.join();
  } catch (const std::system_error&) {
    thread_failed = true;
  }
  std::vector<float> xs(1 << 16), want(xs.size()), got(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = float(i) * 0.37f - 1000.0f;
  for (std::size_t i = 0; i < xs.size(); ++i) want[i] = quantize(xs[i], fmt::float8_e4m3fn);
  const unsigned threads = max_threads();
  const std::size_t threshold = parallel_threshold();
  set_max_threads(4);
  set_parallel_threshold(0);
  quantize(xs, got, fmt::float8_e4m3fn);  // before the fix: std::terminate
  set_max_threads(threads);
  set_parallel_threshold(threshold);
  pthread_setattr_default_np(&saved);
  pthread_attr_destroy(&huge);
  pthread_attr_destroy(&saved);
  CHECK(thread_failed);  // the injection worked (else this case tests nothing)
  CHECK(same_bits(want, got));
}
#endif

TEST_CASE("thread counts are capped at 4 per available CPU, PRECSIM_THREADS included") {
  const unsigned saved = max_threads();
  set_max_threads(1000000);
  CHECK(max_threads() <= 4 * std::max(1u, std::thread::hardware_concurrency()));
  CHECK(max_threads() >= 1);
  set_max_threads(saved);
}

// ---- intx: every width at its extremes ----------------------------------------------------------

namespace {

template <int Bits, bool Signed>
void check_intx_extremes(int& failures) {
  using I = intx<Bits, Signed>;
  using wide = __int128;
  const wide lo = I::min_value, hi = I::max_value;
  auto clamp = [&](wide v) { return v < lo ? lo : v > hi ? hi : v; };
  const wide values[] = {lo, lo + 1, -1, 0, 1, 2, hi / 2, hi - 1, hi};
  for (wide a : values)
    for (wide b : values) {
      if (a < lo || b < lo || a > hi || b > hi) continue;
      const I x(static_cast<long long>(a)), y(static_cast<long long>(b));
      failures += (x + y).value() != clamp(a + b);
      failures += (x - y).value() != clamp(a - b);
      failures += (x * y).value() != clamp(a * b);
      if (b != 0) {
        failures += (x / y).value() != clamp(a / b);
        failures += (x % y).value() != clamp(a % b);
      }
    }
}

template <bool Signed, int... Bits>
int check_widths(std::integer_sequence<int, Bits...>) {
  int failures = 0;
  (check_intx_extremes<Bits + 2, Signed>(failures), ...);
  return failures;
}

}  // namespace

TEST_CASE("intx arithmetic saturates at every width 2..32, signed and unsigned, without overflow") {
  CHECK(check_widths<true>(std::make_integer_sequence<int, 31>{}) == 0);
  CHECK(check_widths<false>(std::make_integer_sequence<int, 31>{}) == 0);
  CHECK((intx<32, false>(4000000000u) * intx<32, false>(4000000000u)).value() == 4294967295u);
}

// ---- enumerators out of range ------------------------------------------------------------------

TEST_CASE("out-of-range enumerators in a descriptor or rounding are rejected with the field named") {
  const auto message = [](auto&& f) { return test::invalid_argument_message(f); };
  float_format f = fmt::float16;
  f.subnormals = subnormal_mode(5);
  CHECK(message([&] { validate(f); }).find("subnormals") != std::string::npos);
  CHECK(format_name(f).find("invalid") != std::string::npos);  // no read past a name table
  f = fmt::float16;
  f.specials = special_values(9);
  CHECK(message([&] { validate(f); }).find("specials") != std::string::npos);
  f = fmt::float16;
  f.overflow = overflow_value(3);
  CHECK(message([&] { validate(f); }).find("overflow") != std::string::npos);

  std::vector<float> x(100, 1.3f), y(100, 0.0f);
  std::vector<std::uint8_t> c(100);
  for (simd_level level : runnable_levels()) {  // before: the AVX2 level left y untouched
    const level_scope ls(level);
    CHECK(message([&] { quantize(x, y, fmt::float16, rounding{round_mode(7)}); }).find("rounding.mode") != std::string::npos);
    CHECK(message([&] { encode(x, std::span<std::uint8_t>(c), fmt::float8_e4m3fn, rounding{round_mode::nearest_even, saturation(3)}); })
              .find("rounding.saturate") != std::string::npos);
    CHECK(message([&] { quantize(x, y, fmt::float16, rounding{round_mode::stochastic, saturation::none, 0, sr_variant(4)}); })
              .find("rounding.variant") != std::string::npos);
    CHECK(message([&] { quantize(x, y, fmt::float16, rounding{round_mode::stochastic, saturation::none, 65}); })
              .find("rounding.random_bits") != std::string::npos);
  }
  CHECK(std::string(to_string(round_mode(7))).find("invalid") != std::string::npos);
  CHECK(std::string(to_string(saturation(9))).find("invalid") != std::string::npos);
  CHECK(message([] { set_simd_level(simd_level(7)); }).find("does not exist") != std::string::npos);
}

// ---- 128-bit integers (GNU modes) -------------------------------------------------------------

TEST_CASE("__int128 values convert to floatx and intx exactly, not truncated to 64 bits") {
  if constexpr (std::is_arithmetic_v<__int128>) {
    const __int128 big = static_cast<__int128>(1) << 70;
    CHECK(static_cast<double>(bfloat16(big)) == 0x1p70);
    CHECK(static_cast<double>(float16(-big)) == -INFINITY);
    CHECK(static_cast<double>(floatx<fmt::float64>(big + 1)) == 0x1p70);
    // 2^100 + 2^40 + 1 rounds up toward +inf in a 61-bit-precision-free way: float32 toward_positive
    const __int128 odd = (static_cast<__int128>(1) << 100) + (static_cast<__int128>(1) << 40) + 1;
    CHECK(floatx<fmt::float32, rounding{round_mode::toward_positive}>(odd).bits() ==
          encode(0x1.000002p100, fmt::float32));
    CHECK(intx<8>(big).value() == 127);
    CHECK(intx<8>(-big).value() == -128);
    CHECK(intx<16, false>(static_cast<unsigned __int128>(big)).value() == 65535);
    CHECK(bfloat16(0x1p70) == big);
    CHECK(bfloat16(0x1p70) < big + 1);
  } else {
    MESSAGE("strict ISO mode: __int128 is not an arithmetic type here, so floatx/intx reject it at compile time");
  }
}
