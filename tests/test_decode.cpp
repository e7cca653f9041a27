// decode: every code of every format up to 20 bits equals the exact value from the definition;
// encode(decode(c)) == c for every non-NaN code; the published IEEE P3109 tables match exactly.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "support.hpp"

using namespace precsim;

namespace {

std::vector<test::named> all_formats() {
  std::vector<test::named> all = test::named_formats();
  for (auto& v : {test::p3109_formats(12), test::custom_formats(), test::random_formats(40, 20, 7)})
    all.insert(all.end(), v.begin(), v.end());
  return all;
}

// Codes to visit: all of them up to 20 bits; else every exponent field with edge mantissas.
std::vector<std::uint64_t> codes_of(const float_format& f) {
  std::vector<std::uint64_t> out;
  const int k = storage_bits(f);
  if (k <= 20) {
    for (std::uint64_t c = 0; c < (std::uint64_t{1} << k); ++c) out.push_back(c);
    return out;
  }
  const int m = f.mantissa_bits;
  const std::uint64_t mmax = detail::low_mask(m);
  const std::uint64_t fracs[] = {0, 1, 2, 3, mmax / 2, mmax / 2 + 1, mmax - 2, mmax - 1, mmax};
  for (std::uint64_t field = 0; field < (std::uint64_t{1} << f.exponent_bits); ++field)
    for (std::uint64_t fr : fracs)
      for (std::uint64_t s = 0; s < (f.is_signed ? 2u : 1u); ++s)
        out.push_back((s << (k - 1)) | (field << m) | (fr & mmax));
  return out;
}

bool is_canonical_nonnan(std::uint64_t c, const float_format& f, const oracle::value& v) {
  if (v.kind == oracle::value::nan) return false;
  if (f.subnormals != subnormal_mode::flush) return true;
  // Flush formats never produce 0.m codes with m != 0.
  const std::uint64_t field = (c >> f.mantissa_bits) & detail::low_mask(f.exponent_bits);
  return field != 0 || (c & detail::low_mask(f.mantissa_bits)) == 0;
}

}  // namespace

TEST_CASE("decode equals the exact value of every code; encode inverts it") {
  std::size_t formats = 0;
  for (const auto& nf : all_formats()) {
    const float_format& f = nf.f;
    ++formats;
    CAPTURE(nf.name);
    std::size_t bad = 0;
    for (std::uint64_t c : codes_of(f)) {
      const double d = decode(c, f);
      const oracle::value want = oracle::decode(c, f);
      const oracle::value got = oracle::from_double(d);
      if (!(got == want)) {
        if (++bad < 5) FAIL_CHECK("decode " << c << " = " << d << " want " << want);
        continue;
      }
      if (!is_canonical_nonnan(c, f, want)) continue;
      for (auto mode : test::deterministic_modes)
        for (auto sat : test::all_saturations) {
          if (want.kind == oracle::value::inf && sat == saturation::finite) continue;  // clamps
          const rounding r{mode, sat};
          std::uint64_t back = encode(d, f, r);
          if (back != c && ++bad < 5)
            FAIL_CHECK("encode(decode(" << c << ")) = " << back << " mode " << precsim::to_string(mode)
                                        << " sat " << int(sat));
          if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) continue;
          const float x = static_cast<float>(d);
          if (static_cast<double>(x) == d && (back = encode(x, f, r)) != c && ++bad < 5)
            FAIL_CHECK("encode(float(decode(" << c << "))) = " << back);
        }
    }
    CHECK(bad == 0);
  }
  CHECK(formats >= 15 + 30);
}

TEST_CASE("NaN codes decode to NaN and re-encode to the format's NaN") {
  for (const auto& nf : all_formats()) {
    const float_format& f = nf.f;
    if (!has_nan(f) || storage_bits(f) > 20) continue;
    CAPTURE(nf.name);
    for (std::uint64_t c : codes_of(f)) {
      if (oracle::decode(c, f).kind != oracle::value::nan) continue;
      const double d = decode(c, f);
      REQUIRE(std::isnan(d));
      const std::uint64_t back = encode(d, f);
      CHECK(oracle::decode(back, f).kind == oracle::value::nan);
      if (f.specials == special_values::ieee && ((c >> (f.mantissa_bits - 1)) & 1))
        CHECK(back == c);  // quiet NaN: sign and payload kept
    }
  }
}

TEST_CASE("IEEE 754 payloads survive float <-> float16 like the hardware conversion") {
  const float qnan_payload = detail::bit_cast<float>(0xFFC12345u);  // -qNaN, payload 0x12345
  // float16 keeps the top 9 of the 22 payload bits: 0x12345 >> 13 = 0x9.
  CHECK(encode(qnan_payload, formats::float16) == (0xFE00u | 0x9u));
  const float snan = detail::bit_cast<float>(0x7F800001u);  // signalling: quieted
  CHECK(encode(snan, formats::float16) == 0x7E00u);
}

TEST_CASE("published IEEE P3109 tables (K = 3..8) match decode exactly") {
  namespace fs = std::filesystem;
  std::size_t files = 0, rows = 0;
  for (const auto& entry : fs::directory_iterator(PRECSIM_P3109_DIR)) {
    const std::string fname = entry.path().filename().string();
    int k = 0, p = 0;
    char sign = 0, domain = 0;
    if (std::sscanf(fname.c_str(), "Binary%dp%d%c%c.csv", &k, &p, &sign, &domain) != 4) continue;
    REQUIRE(fname.substr(1) == test::p3109_name(k, p, sign == 's', domain == 'e').substr(1) + ".csv");
    ++files;
    const float_format f = formats::p3109(k, p, sign == 's', domain == 'e');
    CAPTURE(fname);
    std::ifstream in(entry.path());
    std::string line;
    std::getline(in, line);
    REQUIRE(line == "codepoint,value,subnormal");
    std::uint64_t expect_code = 0;
    while (std::getline(in, line)) {
      const auto c1 = line.find(','), c2 = line.find(',', c1 + 1);
      REQUIRE(c2 != std::string::npos);
      const std::uint64_t code = std::stoull(line.substr(0, c1), nullptr, 16);
      const std::string val = line.substr(c1 + 1, c2 - c1 - 1);
      const bool sub = line.substr(c2 + 1).find('*') != std::string::npos;
      CHECK(code == expect_code++);
      const double want = val == "NaN" ? NAN : val == "Inf" ? INFINITY : val == "-Inf" ? -INFINITY
                                                                                    : std::strtod(val.c_str(), nullptr);
      const double got = decode(code, f);
      if (std::isnan(want)) CHECK(std::isnan(got));
      else CHECK_MESSAGE(got == want, "code " << code << " " << val);
      const bool got_sub = got != 0 && std::fabs(got) < min_normal(f);
      CHECK(got_sub == sub);
      ++rows;
    }
    CHECK(expect_code == code_count(f));
  }
  CHECK(files == 120);
  MESSAGE(files << " P3109 tables, " << rows << " codes checked");
}
