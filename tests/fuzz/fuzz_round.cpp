// libFuzzer harness: arbitrary bytes -> (format descriptor, rounding options, random word,
// stream, float inputs). Invalid descriptors and options must be rejected cleanly (validate and
// every bulk call throw std::invalid_argument, format_name describes them); for valid ones:
//  - the scalar core equals the exact oracle (tests/oracle.hpp) for float and double inputs,
//  - every bulk SIMD level and the threaded path equal the scalar core (quantize, encode, decode),
//  - decode(encode(x)) == quantize(x), and encode(decode(c)) == c for non-NaN codes.
// Input layout (corpus/README.md): 5 format bytes (+2 for a raw bias), 4 rounding bytes, u64
// random word, u64 seed, u64 stream, u32 offset, then floats.
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <precsim/io.hpp>
#include <precsim/precsim.hpp>

#include "../oracle.hpp"
#include "../random_layout.hpp"
#include "reader.hpp"

using namespace precsim;

namespace {

float_format read_format(fuzz::reader& in) {
  float_format f;
  f.exponent_bits = in.pick(0, 12);            // 0 and 12 are invalid
  f.mantissa_bits = in.pick(-1, 53);           // -1 and 53 are invalid
  const int bias_byte = in.take<std::uint8_t>();
  const int ieee_bias = f.exponent_bits >= 1 && f.exponent_bits <= 12 ? (1 << (f.exponent_bits - 1)) - 1 : 0;
  f.bias = bias_byte < 224 ? ieee_bias + bias_byte % 9 - 4 : int(in.take<std::int16_t>());
  const int flags = in.take<std::uint8_t>();
  f.is_signed = (flags & 1) == 0;
  f.subnormals = subnormal_mode((flags >> 1) & 3);                  // 3 is invalid
  f.specials = special_values(((flags >> 3) & 3) + (flags & 32 ? 4 : 0));  // 4..7 are invalid
  f.infinity = f.specials == special_values::ieee || ((flags >> 6) & 1);
  const int ov = in.take<std::uint8_t>();
  if (ov >= 250) {
    f.overflow = overflow_value(ov - 250);                          // any value, 3..5 invalid
  } else {
    const bool nan = f.specials == special_values::nan_max || f.specials == special_values::nan_negative_zero;
    f.overflow = f.infinity ? overflow_value::infinity
                 : nan && (ov & 1) ? overflow_value::nan : overflow_value::max_finite;
  }
  return f;
}

rounding read_rounding(fuzz::reader& in) {
  rounding r;
  r.mode = round_mode(in.pick(0, 7));        // 7 is invalid
  r.saturate = saturation(in.pick(0, 3));    // 3 is invalid
  r.random_bits = in.pick(-1, 65);           // -1 and 65 are invalid
  r.variant = sr_variant(in.pick(0, 3));     // 3 is invalid
  return r;
}

template <class F>
bool throws_invalid_argument(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument&) {
    return true;
  }
  return false;
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// encode(x) against the oracle, as tests/support.hpp's format_check does.
template <class T>
void check_scalar(T x, const float_format& f, const oracle::extremes& ext, const rounding& r,
                  std::uint64_t w) {
  const std::uint64_t code = encode(x, f, r, w);
  const oracle::value got = oracle::decode(code, f);
  const oracle::value want = oracle::round(x, oracle::analyze(x, f), f, ext, r, w);
  if (!(got == want)) fuzz::fail("encode differs from the oracle");
  const int k = storage_bits(f);
  if (want.kind == oracle::value::finite && want.mag == 0 && code != 0 &&
      !(f.is_signed && code == std::uint64_t{1} << (k - 1)))
    fuzz::fail("a zero result is not a canonical zero code");
}

std::vector<simd_level> levels() {
  std::vector<simd_level> out;
  for (auto l : {simd_level::scalar, simd_level::portable, simd_level::avx2, simd_level::avx512})
    if (simd_level_supported(l)) out.push_back(l);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in{data, size};
  const float_format f = read_format(in);
  const rounding r = read_rounding(in);
  const std::uint64_t word = in.take<std::uint64_t>();
  sr_stream s;
  s.seed = in.take<std::uint64_t>();
  s.stream = in.take<std::uint64_t>();
  s.offset = in.take<std::uint32_t>();
  std::vector<float> xs;
  while (!in.empty() && xs.size() < 256) xs.push_back(in.take<float>());
  std::vector<float> out(xs.size());
  std::vector<std::uint64_t> codes(xs.size());

  const bool format_ok = invalid_reason(f) == nullptr, rounding_ok = invalid_reason(r) == nullptr;
  if (!format_ok || !rounding_ok) {
    if (!format_ok && !throws_invalid_argument([&] { validate(f); })) fuzz::fail("validate accepted an invalid format");
    if (!rounding_ok && !throws_invalid_argument([&] { validate(r); })) fuzz::fail("validate accepted an invalid rounding");
    if (!throws_invalid_argument([&] { quantize(xs, out, f, r, s); })) fuzz::fail("quantize accepted invalid arguments");
    if (!throws_invalid_argument([&] { encode(xs, std::span<std::uint64_t>(codes), f, r, s); }))
      fuzz::fail("encode accepted invalid arguments");
    (void)format_name(f);  // must describe, not read past a table (ASan watches)
    (void)to_string(r.mode);
    (void)to_string(r.saturate);
    return 0;
  }

  // The scalar core against the oracle (a few inputs: the oracle is slow), float and double.
  const oracle::extremes ext(f);
  for (std::size_t i = 0; i < xs.size() && i < 8; ++i) {
    check_scalar(xs[i], f, ext, r, word);
    check_scalar(static_cast<double>(xs[i]) * (1 + 0x1p-40), f, ext, r, word);
  }

  // Every bulk level, and the threaded split, against the scalar core (the documented contract).
  rounding rr = r;
  if (rr.random_bits == 0) rr.random_bits = 32;
  std::vector<float> want(xs.size());
  std::vector<std::uint64_t> want_codes(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const std::uint64_t w = test::span_random_word(s, s.offset + i, rr.random_bits);
    want[i] = quantize(xs[i], f, rr, w);
    want_codes[i] = encode(xs[i], f, rr, w);
    if (!detail::is_nan(xs[i]) && !same_bits(float(detail::to_float(decode(want_codes[i], f))), want[i]))
      fuzz::fail("decode(encode(x)) differs from quantize(x)");
  }
  const simd_level saved = active_simd_level();
  for (simd_level level : levels()) {
    set_simd_level(level);
    for (unsigned threads : {1u, 2u}) {
      set_max_threads(threads);
      set_parallel_threshold(threads > 1 ? 0 : std::size_t{1} << 20);
      quantize(xs, out, f, r, s);
      encode(xs, std::span<std::uint64_t>(codes), f, r, s);
      for (std::size_t i = 0; i < xs.size(); ++i) {
        if (!same_bits(out[i], want[i])) fuzz::fail("bulk quantize differs from the scalar core");
        if (codes[i] != want_codes[i]) fuzz::fail("bulk encode differs from the scalar core");
      }
      if (storage_bits(f) <= 32) {
        std::vector<std::uint32_t> c32(want_codes.begin(), want_codes.end());
        std::vector<float> dec(xs.size());
        decode(std::span<const std::uint32_t>(c32), std::span<float>(dec), f);
        for (std::size_t i = 0; i < xs.size(); ++i)
          if (!same_bits(dec[i], detail::to_float(decode(c32[i], f)))) fuzz::fail("bulk decode differs");
      }
    }
  }
  set_simd_level(saved);
  set_max_threads(0);
  set_parallel_threshold(std::size_t{1} << 20);

  // encode(decode(c)) == c for the codes seen (NaN codes excepted).
  for (std::uint64_t c : want_codes) {
    const double v = decode(c, f);
    if (!std::isnan(v) && encode(v, f) != c) fuzz::fail("encode(decode(c)) != c");
  }
  return 0;
}
