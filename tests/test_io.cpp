// Format names parse and print back; bad names throw one-line std::invalid_argument; bit
// strings split sign|exponent|mantissa; values print as shortest round-trip decimals.
#include <doctest/doctest.h>

#include <precsim/io.hpp>

#include "support.hpp"

using namespace precsim;
namespace fmt = precsim::formats;

TEST_CASE("every named, P3109 and eXmY format prints a name that parses back to it") {
  std::vector<test::named> all = test::named_formats();
  const auto p3109 = test::p3109_formats(16);
  all.insert(all.end(), p3109.begin(), p3109.end());
  for (const auto& nf : all) {
    const std::string name = format_name(nf.f);
    CAPTURE(name);
    REQUIRE(name.find('{') == std::string::npos);
    CHECK(parse_format(name) == nf.f);
  }
  // Custom formats: a short name where one exists, else a field list (not parseable by design).
  for (const auto& nf : test::custom_formats()) {
    const std::string name = format_name(nf.f);
    CAPTURE(name);
    if (name.find('{') == std::string::npos) CHECK(parse_format(name) == nf.f);
  }
  CHECK(format_name(test::custom_formats()[3].f) == "e3m5");
  for (const auto& nf : test::named_formats()) CHECK(format_name(nf.f) == nf.name);
}

TEST_CASE("format names: P3109 spelling, eXmY conventions, case-insensitive") {
  CHECK(parse_format("Binary8p3se") == fmt::p3109(8, 3, true, true));
  CHECK(parse_format("binary8p4sf") == fmt::p3109(8, 4, true, false));
  CHECK(parse_format("BINARY16P11UE") == fmt::p3109(16, 11, false, true));
  CHECK(parse_format("e5m2") == fmt::float8_e5m2);
  CHECK(parse_format("e4m3fn") == fmt::float8_e4m3fn);
  CHECK(parse_format("e4m3fnuz") == fmt::float8_e4m3fnuz);
  CHECK(parse_format("e5m2fnuz") == fmt::float8_e5m2fnuz);
  CHECK(parse_format("e8m7") == fmt::bfloat16);
  CHECK(parse_format("e3m5") == float_format{3, 5, 3});
  CHECK(format_name(fmt::p3109(8, 3, true, true)) == "Binary8p3se");
}

TEST_CASE("bad format names throw invalid_argument with one line naming the problem") {
  for (const char* bad : {"float7", "", "e0m3", "e12m3", "e3m60", "binary8p9se", "binary8p3sx",
                          "binary2p1se", "e4m3xyz", "binary20p8se"}) {
    CAPTURE(bad);
    try {
      parse_format(bad);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      CHECK(!what.empty());
      CHECK(what.find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("bits_string splits sign|exponent|mantissa") {
  CHECK(bits_string(0x2A, fmt::float8_e4m3fn) == "0b0|0101|010");
  CHECK(bits_string(0x3C00, fmt::float16) == "0b0|01111|0000000000");
  CHECK(bits_string(0x7F, fmt::float8_e8m0fnu) == "0b01111111");
  CHECK(bits_string(0x5, fmt::float4_e2m1fn) == "0b0|10|1");
}

TEST_CASE("values print as the shortest decimal that reads back") {
  CHECK(precsim::to_string(0.3125) == "0.3125");
  CHECK(precsim::to_string(0.1) == "0.1");
  CHECK(std::stod(precsim::to_string(max_finite(fmt::bfloat16))) == max_finite(fmt::bfloat16));
}

TEST_CASE("enumerator names parse back, and an unknown name lists the known ones") {
  const auto round_trip = [](auto e, int count) {
    using E = decltype(e);
    for (int i = 0; i < count; ++i) CHECK(parse_enum<E>(to_string(E(i)), "x") == E(i));
    CHECK(std::string(to_string(E(count))).rfind("invalid ", 0) == 0);
  };
  round_trip(subnormal_mode{}, 3);
  round_trip(special_values{}, 4);
  round_trip(overflow_value{}, 3);
  round_trip(round_mode{}, 7);
  round_trip(saturation{}, 3);
  round_trip(sr_variant{}, 3);
  round_trip(scale_rule{}, 4);
  round_trip(int_range{}, 4);
  CHECK(parse_round_mode("to_odd") == round_mode::to_odd);
  try {
    parse_saturation("clamp");
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "unknown saturation 'clamp' (none, finite, propagate)");
  }
  CHECK_THROWS_AS(parse_sr_variant("d"), std::invalid_argument);
}

TEST_CASE("block format names") {
  for (const auto& nb : named_block_formats) CHECK(parse_block_format(nb.name) == nb.format);
  CHECK(parse_block_format("INT4_channel") == fmt::int_scaled(4, {1, 0}));
  CHECK(parse_block_format("int8_tensor") == fmt::int_scaled(8, {0, 0}));
  CHECK(parse_block_format("int4_g128") == fmt::int_scaled(4, {1, 128}));
  CHECK(parse_block_format("fp8_tiles_128x128") == fmt::fp8_tiles({128, 128}));
  for (const char* bad : {"mxfp9", "int4", "int4_g", "int4_g0", "int4_gx", "int_channel", "fp8_tiles_1x", "fp8_tiles_1y2"})
    CHECK_THROWS_AS(parse_block_format(bad), std::invalid_argument);
  CHECK_THROWS_AS(parse_block_format("int1_channel"), std::invalid_argument);  // validate: bits 2..16
}
