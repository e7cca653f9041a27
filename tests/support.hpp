// Shared test fixtures: the format lists every suite sweeps, the mode lists, and the comparison
// of a library code against an oracle value with a readable failure message.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <precsim/io.hpp>
#include <precsim/precsim.hpp>

#include "inputs.hpp"
#include "oracle.hpp"
#include "random_layout.hpp"

#if PRECSIM_X86
#include <immintrin.h>
#endif

namespace test {

using precsim::float_format;
namespace fmt = precsim::formats;

struct named { std::string name; float_format f; };

inline std::vector<named> named_formats() {
  return {{"float64", fmt::float64},
          {"float32", fmt::float32},
          {"tf32", fmt::tf32},
          {"float16", fmt::float16},
          {"bfloat16", fmt::bfloat16},
          {"float8_e5m2", fmt::float8_e5m2},
          {"float8_e4m3fn", fmt::float8_e4m3fn},
          {"float8_e4m3fnuz", fmt::float8_e4m3fnuz},
          {"float8_e5m2fnuz", fmt::float8_e5m2fnuz},
          {"float8_e4m3b11fnuz", fmt::float8_e4m3b11fnuz},
          {"float8_e3m4", fmt::float8_e3m4},
          {"float6_e3m2fn", fmt::float6_e3m2fn},
          {"float6_e2m3fn", fmt::float6_e2m3fn},
          {"float4_e2m1fn", fmt::float4_e2m1fn},
          {"float8_e8m0fnu", fmt::float8_e8m0fnu}};
}

inline std::string p3109_name(int k, int p, bool s, bool e) {
  return "binary" + std::to_string(k) + "p" + std::to_string(p) + (s ? "s" : "u") + (e ? "e" : "f");
}

// Every P3109 format with K <= kmax whose values are doubles (all of them for K <= 11).
inline std::vector<named> p3109_formats(int kmax) {
  std::vector<named> out;
  for (int k = 3; k <= kmax; ++k)
    for (int s = 0; s < 2; ++s)
      for (int p = 1; p <= (s ? k - 1 : k); ++p)
        for (int e = 0; e < 2; ++e) {
          const int ebits = s ? k - p : k - p + 1;
          if (ebits > 11) continue;  // range beyond double: rejected by validate (tested)
          out.push_back({p3109_name(k, p, s, e), fmt::p3109(k, p, s, e)});
        }
  return out;
}

// Odd splits and policies beyond the named ones.
inline std::vector<named> custom_formats() {
  using precsim::overflow_value;
  using precsim::special_values;
  using precsim::subnormal_mode;
  auto flush = [](float_format f) { f.subnormals = subnormal_mode::flush; return f; };
  auto finite = [](float_format f) {
    f.specials = special_values::none; f.infinity = false; f.overflow = overflow_value::max_finite;
    return f;
  };
  return {
      {"e2m0 (no specials)", finite(float_format{2, 0, 1})},
      {"e3m1", fmt::ieee_like(3, 1)},
      {"e3m0 finite", finite(float_format{3, 0, 3})},
      {"e3m5", fmt::ieee_like(3, 5)},
      {"e6m9", fmt::ieee_like(6, 9)},
      {"e8m10", fmt::ieee_like(8, 10)},
      {"e5m10 flush", flush(fmt::float16)},
      {"e4m3fn flush", flush(fmt::float8_e4m3fn)},
      {"e8m7 flush", flush(fmt::bfloat16)},
      {"e3m2 flush finite", flush(fmt::float6_e3m2fn)},
      {"e4m3 bias 3", float_format{4, 3, 3}},
      {"e4m3 bias -2", float_format{4, 3, -2}},
      {"e2m3 unsigned finite", finite(float_format{2, 3, 1, false})},
      {"e5m3 unsigned nan_max",
       float_format{5, 3, 15, false, subnormal_mode::gradual, special_values::nan_max, false,
                    overflow_value::nan}},
      {"e4m2 signed no_zero",
       float_format{4, 2, 7, true, subnormal_mode::no_zero, special_values::nan_max, true,
                    overflow_value::infinity}},
      {"e6m0 unsigned no_zero finite", finite(float_format{6, 0, 31, false, subnormal_mode::no_zero})},
      {"e11m4 wide range", fmt::ieee_like(11, 4)},
      // Values near 2^120: below the min normal the fast path adds 2^(q + 23) and 2^(q + 24) (2^q
      // the quantum there), beyond float's range for these two.
      {"e2m1 bias -110", float_format{2, 1, -110}},
      {"e4m3 flush bias -112", flush(float_format{4, 3, -112})},
      // Found by fuzz_round: the one normal binade holds only NaN and inf, so max finite (2 here) is
      // subnormal and inputs below the min normal overflow (nearest: 3 and up; 2.8 is 2). Bias 0:
      // also the double kernels' formats (nearest_in_bits).
      {"e1m1 nan_max inf bias -1",
       float_format{1, 1, -1, true, subnormal_mode::gradual, special_values::nan_max, true,
                    overflow_value::infinity}},
      {"e1m1 nan_max inf bias 0",
       float_format{1, 1, 0, true, subnormal_mode::gradual, special_values::nan_max, true,
                    overflow_value::infinity}},
      // Found by fuzz_round: -1 rounds to 0 here, so "the code of -1" is no code for all negatives.
      {"e2m1 unsigned flush bias -2",
       float_format{2, 1, -2, false, subnormal_mode::flush, special_values::ieee, true,
                    overflow_value::infinity}},
  };
}

// Random valid descriptors: any split, bias, signedness, subnormal mode and special values
// (invalid draws are skipped), at most max_bits wide. Printed names carry every field.
inline std::vector<named> random_formats(std::size_t count, int max_bits, std::uint64_t seed) {
  using namespace precsim;
  std::vector<named> out;
  splitmix64 rng{seed};
  auto next = [&rng](std::uint64_t n) { return rng() % n; };
  while (out.size() < count) {
    float_format f;
    f.exponent_bits = 1 + int(next(11));
    f.mantissa_bits = int(next(std::uint64_t(std::min(52, max_bits - f.exponent_bits) + 1)));
    const int ieee_bias = (1 << (f.exponent_bits - 1)) - 1;
    f.bias = ieee_bias + int(next(9)) - 4;
    f.is_signed = next(4) != 0;
    f.subnormals = subnormal_mode(next(3));
    f.specials = special_values(next(4));
    f.infinity = f.specials == special_values::ieee || (f.specials != special_values::none && next(2));
    f.overflow = f.infinity ? overflow_value::infinity
                            : (f.specials != special_values::none && next(2)) ? overflow_value::nan
                                                                              : overflow_value::max_finite;
    if (invalid_reason(f) != nullptr || storage_bits(f) > max_bits) continue;
    out.push_back({"random " + precsim::format_name(f), f});
  }
  return out;
}

inline constexpr precsim::round_mode deterministic_modes[] = {
    precsim::round_mode::nearest_even,    precsim::round_mode::nearest_away,
    precsim::round_mode::toward_zero,     precsim::round_mode::toward_positive,
    precsim::round_mode::toward_negative, precsim::round_mode::to_odd};
inline constexpr precsim::saturation all_saturations[] = {
    precsim::saturation::none, precsim::saturation::finite, precsim::saturation::propagate};

// The message of the std::invalid_argument that f throws, or "no exception".
template <class F>
std::string invalid_argument_message(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no exception";
}

template <class T>
std::string hex(T x) {
  std::ostringstream os;
  os << std::hexfloat << x;
  return os.str();
}

// One format under test: its oracle decode table (formats up to 20 bits) and the comparison of
// encode() against oracle::round with a readable message.
struct format_check {
  named nf;
  std::vector<oracle::value> table;
  oracle::extremes ext;

  explicit format_check(named n) : nf(std::move(n)), ext(nf.f) {
    const int k = precsim::storage_bits(nf.f);
    if (k <= 20)
      for (std::uint64_t c = 0; c < (std::uint64_t{1} << k); ++c)
        table.push_back(oracle::decode(c, nf.f));
  }
  oracle::value value_of(std::uint64_t code) const {
    return table.empty() ? oracle::decode(code, nf.f) : table[code];
  }

  // Empty when encode(x) matches; zero results must use the canonical zero codes (never a
  // flushed 0.m code).
  template <class T>
  std::string mismatch(T x, const oracle::analysis& a, const precsim::rounding& r,
                       std::uint64_t random) const {
    const std::uint64_t code = precsim::encode(x, nf.f, r, random);
    const oracle::value got = value_of(code);
    const oracle::value want = oracle::round(x, a, nf.f, ext, r, random);
    bool ok = got == want;
    const int k = precsim::storage_bits(nf.f);
    if (ok && want.kind == oracle::value::finite && want.mag == 0)
      ok = code == 0 || (nf.f.is_signed && code == std::uint64_t{1} << (k - 1));
    // quantize(): the same value in T (+-inf beyond T's range); a NaN input passes through.
    const T q = precsim::quantize(x, nf.f, r, random);
    T want_q = std::numeric_limits<T>::quiet_NaN();
    if (want.kind == oracle::value::inf || (want.kind == oracle::value::finite &&
                                            want.mag > double(std::numeric_limits<T>::max())))
      want_q = std::numeric_limits<T>::infinity();
    else if (want.kind == oracle::value::finite)
      want_q = static_cast<T>(want.mag);
    if (want.neg) want_q = -want_q;
    const bool q_ok = (std::isnan(q) && (std::isnan(x) || std::isnan(want_q))) ||
                      (!std::isnan(x) && std::memcmp(&q, &want_q, sizeof q) == 0);
    if (!q_ok) {
      std::ostringstream os;
      os << nf.name << " x=" << hex(x) << " mode=" << precsim::to_string(r.mode) << ": quantize "
         << hex(q) << " want " << hex(want_q);
      return os.str();
    }
    if (ok) return {};
    std::ostringstream os;
    os << nf.name << " x=" << hex(x) << " mode=" << precsim::to_string(r.mode) << " sat=" << int(r.saturate)
       << " N=" << r.random_bits << " var=" << int(r.variant) << " rnd=" << random << ": code=0x"
       << std::hex << code << std::dec << " (" << got << ") want " << want;
    return os.str();
  }

  // Checks x in every deterministic mode and, with `sr`, for each random word, under every
  // saturation. Returns how many roundings were checked; failures count in `bad` (10 shown).
  template <class T>
  std::size_t check_every_mode(T x, precsim::rounding sr, std::initializer_list<std::uint64_t> words,
                               std::size_t& bad) const {
    const oracle::analysis a = oracle::analyze(x, nf.f);
    std::size_t n = 0;
    auto one = [&](const precsim::rounding& r, std::uint64_t w) {
      ++n;
      const std::string msg = mismatch(x, a, r, w);
      if (!msg.empty() && ++bad <= 10) FAIL_CHECK(msg);
    };
    for (auto sat : all_saturations) {
      for (auto mode : deterministic_modes) one({mode, sat}, 0);
      sr.saturate = sat;
      for (std::uint64_t w : words) one(sr, w);
    }
    return n;
  }
};

#if PRECSIM_X86
// Runs f with MXCSR = csr, restores MXCSR after; returns MXCSR as f left it.
inline unsigned with_mxcsr(unsigned csr, const std::function<void()>& f) {
  const unsigned saved = _mm_getcsr();
  _mm_setcsr(csr);
  f();
  const unsigned after = _mm_getcsr();
  _mm_setcsr(saved);
  return after;
}
// A caller's environment the library must not see: round toward zero, FTZ, DAZ.
inline constexpr unsigned ftz_daz_toward_zero = 0x1F80u | 0x8040u | 0x6000u;
#endif

}  // namespace test
