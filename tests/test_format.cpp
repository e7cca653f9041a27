// float_format descriptors: named formats carry the numbers of formats.md, derived properties
// agree with the oracle, validation rejects bad fields at compile time and at run time.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <set>
#include <string>

#include "support.hpp"  // also precsim/io.hpp: format_name

using namespace precsim;
namespace fmt = precsim::formats;

// Compile-time use: as a template argument and in constant expressions.
template <float_format F>
struct tagged { static constexpr int bits = storage_bits(F); };
static_assert(tagged<fmt::float8_e4m3fn>::bits == 8);
static_assert(tagged<fmt::p3109(8, 3, true, true)>::bits == 8);
static_assert((validate(fmt::float4_e2m1fn), true));
static_assert(max_finite(fmt::float8_e4m3fn) == 448.0);
static_assert(encode(0.3f, fmt::float8_e4m3fn) == 0x2A);  // constexpr core: 0.3 -> 0.3125
static_assert(decode(0x7E, fmt::float8_e4m3fn) == 448.0);

TEST_CASE("named formats have the published max, min normal and min subnormal") {
  struct row { float_format f; double max, min_normal, min_sub; int bits; };
  const row rows[] = {
      {fmt::float16, 65504, 0x1p-14, 0x1p-24, 16},
      {fmt::bfloat16, 0x1.fep127, 0x1p-126, 0x1p-133, 16},
      {fmt::tf32, 0x1.ffcp127, 0x1p-126, 0x1p-136, 19},
      {fmt::float8_e5m2, 57344, 0x1p-14, 0x1p-16, 8},
      {fmt::float8_e4m3fn, 448, 0x1p-6, 0x1p-9, 8},
      {fmt::float8_e4m3fnuz, 240, 0x1p-7, 0x1p-10, 8},
      {fmt::float8_e5m2fnuz, 57344, 0x1p-15, 0x1p-17, 8},
      {fmt::float8_e4m3b11fnuz, 30, 0x1p-10, 0x1p-13, 8},
      {fmt::float8_e3m4, 15.5, 0x1p-2, 0x1p-6, 8},
      {fmt::float6_e3m2fn, 28, 0x1p-2, 0x1p-4, 6},
      {fmt::float6_e2m3fn, 7.5, 1, 0x1p-3, 6},
      {fmt::float4_e2m1fn, 6, 1, 0.5, 4},
      {fmt::float8_e8m0fnu, 0x1p127, 0x1p-127, 0x1p-127, 8},
      {fmt::float32, 0x1.fffffep127, 0x1p-126, 0x1p-149, 32},
      {fmt::float64, 0x1.fffffffffffffp1023, 0x1p-1022, 0x1p-1074, 64},
  };
  for (const auto& r : rows) {
    CAPTURE(format_name(r.f));
    CHECK(invalid_reason(r.f) == nullptr);
    CHECK(max_finite(r.f) == r.max);
    CHECK(min_normal(r.f) == r.min_normal);
    CHECK(min_subnormal(r.f) == r.min_sub);
    CHECK(storage_bits(r.f) == r.bits);
  }
}

TEST_CASE("derived properties agree with an enumeration of every code") {
  std::vector<test::named> all = test::named_formats();
  for (auto& v : {test::p3109_formats(12), test::custom_formats()}) all.insert(all.end(), v.begin(), v.end());
  for (const auto& nf : all) {
    const float_format& f = nf.f;
    CAPTURE(nf.name);
    REQUIRE(invalid_reason(f) == nullptr);
    CHECK(max_finite(f) == oracle::max_finite(f));
    CHECK(min_subnormal(f) == oracle::min_positive(f));
    CHECK(epsilon(f) == std::ldexp(1.0, -f.mantissa_bits));
    if (storage_bits(f) > 16) continue;
    std::uint64_t nans = 0, infs = 0, neg_zero = 0, zero = 0;
    std::set<double> finite;  // signed values; +-0 count once
    for (std::uint64_t c = 0; c < code_count(f); ++c) {
      const oracle::value v = oracle::decode(c, f);
      if (v.kind == oracle::value::nan) { ++nans; continue; }
      if (v.kind == oracle::value::inf) { ++infs; continue; }
      if (v.mag == 0) (v.neg ? neg_zero : zero) += 1;
      finite.insert(v.neg ? -v.mag : v.mag);
    }
    CHECK(nan_code_count(f) == nans);
    CHECK(has_nan(f) == (nans > 0));
    CHECK(has_inf(f) == (infs == (f.is_signed ? 2u : 1u)));
    CHECK(has_zero(f) == (zero > 0));
    // Flush formats decode their unused 0.m codes as +-0, so count the canonical -0 only.
    CHECK(has_negative_zero(f) == (neg_zero > 0 && f.is_signed));
    CHECK(finite_value_count(f) == finite.size());
  }
}

TEST_CASE("validate names the offending field at run time") {
  auto reason = [](float_format f) {
    try { validate(f); } catch (const std::invalid_argument& e) { return std::string(e.what()); }
    return std::string("valid");
  };
  CHECK(reason(float_format{0, 3, 7}).find("exponent_bits") != std::string::npos);
  CHECK(reason(float_format{12, 3, 7}).find("exponent_bits") != std::string::npos);
  CHECK(reason(float_format{5, 53, 15}).find("mantissa_bits") != std::string::npos);
  CHECK(reason(float_format{5, -1, 15}).find("mantissa_bits") != std::string::npos);
  CHECK(reason(float_format{5, 2, 2000}).find("bias") != std::string::npos);
  CHECK(reason(float_format{11, 52, 1024}).find("bias") != std::string::npos);   // min below double
  CHECK(reason(float_format{11, 52, 1022}).find("bias") != std::string::npos);   // max above double
  CHECK(reason(float_format{5, 0, 15}).find("mantissa_bits") != std::string::npos);  // ieee needs NaN
  float_format f = fmt::float16;
  f.infinity = false;
  CHECK(reason(f).find("infinity") != std::string::npos);
  f = fmt::float4_e2m1fn;
  f.infinity = true;
  CHECK(reason(f).find("infinity") != std::string::npos);
  f = fmt::float8_e4m3fnuz;
  f.is_signed = false;
  CHECK(reason(f).find("specials") != std::string::npos);
  f = fmt::float8_e4m3fn;
  f.overflow = overflow_value::infinity;
  CHECK(reason(f).find("overflow") != std::string::npos);
  f = fmt::float4_e2m1fn;
  f.overflow = overflow_value::nan;
  CHECK(reason(f).find("overflow") != std::string::npos);
  f = float_format{1, 0, 0, false, subnormal_mode::gradual, special_values::nan_max, false,
                   overflow_value::nan};  // codes: 0 and NaN
  CHECK(reason(f).find("no positive finite value") != std::string::npos);
  CHECK(reason(fmt::float8_e4m3fn) == "valid");
  CHECK_THROWS_AS(fmt::ieee_like(1, 3), std::invalid_argument);
}

TEST_CASE("p3109 factory follows the BinaryKpP layout and rejects bad K and P") {
  const float_format f = fmt::p3109(8, 4, true, false);  // shares e4m3fnuz's encoding
  CHECK(f.exponent_bits == 4);
  CHECK(f.mantissa_bits == 3);
  CHECK(f.bias == 8);
  CHECK(f.specials == fmt::float8_e4m3fnuz.specials);
  CHECK(f.overflow == overflow_value::max_finite);          // P3109 finite: saturates
  CHECK(fmt::float8_e4m3fnuz.overflow == overflow_value::nan);  // OCP FNUZ: NaN
  const float_format u = fmt::p3109(8, 3, false, true);
  CHECK(u.exponent_bits == 6);
  CHECK(u.bias == 32);
  CHECK(decode(0xFF, u) != decode(0xFF, u));  // NaN is 2^K - 1
  CHECK(decode(0xFE, u) == INFINITY);         // +inf is 2^K - 2
  CHECK_THROWS_AS(fmt::p3109(2, 1, true, true), std::invalid_argument);
  CHECK_THROWS_AS(fmt::p3109(17, 8, true, true), std::invalid_argument);
  CHECK_THROWS_AS(fmt::p3109(8, 8, true, true), std::invalid_argument);   // signed needs P < K
  CHECK_THROWS_AS(fmt::p3109(8, 0, false, true), std::invalid_argument);
  CHECK_NOTHROW(fmt::p3109(8, 8, false, true));
  CHECK_NOTHROW(fmt::p3109(16, 5, true, true));                            // 11 exponent bits
  CHECK_THROWS_AS(fmt::p3109(16, 4, true, true), std::invalid_argument);  // 12: beyond double
  CHECK_THROWS_AS(fmt::p3109(12, 1, false, true), std::invalid_argument);
}

TEST_CASE("float8_e8m0fnu is unsigned, has no zero and one NaN") {
  const float_format f = fmt::float8_e8m0fnu;
  CHECK(decode(0x00, f) == 0x1p-127);
  CHECK(decode(0x7F, f) == 1.0);
  CHECK(decode(0xFE, f) == 0x1p127);
  CHECK(std::isnan(decode(0xFF, f)));
  CHECK(!has_zero(f));
  CHECK(!has_inf(f));
  CHECK(finite_value_count(f) == 255);
}

TEST_CASE("a format whose lowest binade is finer than double's spacing is invalid, whatever its subnormal mode") {
  // Found by fuzz_round: E11M50 with bias 1027 and no zero has 2^-1027 * 1.m, spacing 2^-1077.
  for (subnormal_mode s : {subnormal_mode::gradual, subnormal_mode::flush, subnormal_mode::no_zero}) {
    const float_format f{11, 50, 1027, true, s, special_values::ieee, true, overflow_value::infinity};
    CAPTURE(int(s));
    CHECK(invalid_reason(f) != nullptr);
    float_format ok = f;
    ok.bias = s == subnormal_mode::no_zero ? 1024 : 1023;  // spacing exactly 2^-1074
    CHECK(invalid_reason(ok) == nullptr);
  }
}

TEST_CASE("a flush format whose largest finite code is a flushed zero is invalid") {
  // Found by fuzz_round: E1M1, unsigned, flush, NaN at 0b11, inf at 0b10: the only finite codes
  // 0b00 and 0b01 both read as 0.
  const float_format f{1, 1, -1, false, subnormal_mode::flush, special_values::nan_max, true,
                       overflow_value::infinity};
  CHECK(invalid_reason(f) != nullptr);
  float_format g = f;
  g.subnormals = subnormal_mode::gradual;  // 0b01 is a subnormal: valid
  CHECK(invalid_reason(g) == nullptr);
}
