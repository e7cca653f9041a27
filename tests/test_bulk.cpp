// The bulk span API against the scalar core, bit for bit: every instruction-set level this CPU
// runs (plus the 16-lane AVX-512 layout emulated at the portable level), 1 and 2 threads, every
// named / custom / random format and many P3109 ones, every mode and saturation, stochastic
// variants and bit counts, on dense edge inputs and random bit patterns. Then the span
// mechanics: offsets, chunking, in place, unaligned pointers, tails, errors.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include <precsim/bulk.hpp>
#include <precsim/packing.hpp>

#include "inputs.hpp"
#include "levels.hpp"
#include "support.hpp"

using namespace precsim;
using test::level_config;
using test::levels;
using test::scoped_config;
namespace fmt = precsim::formats;

namespace {

std::vector<rounding> all_roundings() {
  std::vector<rounding> out;
  for (auto m : test::deterministic_modes)
    for (auto s : test::all_saturations) out.push_back({m, s});
  using sv = sr_variant;
  const auto sr = round_mode::stochastic;
  for (int bits : {0, 1, 7, 8, 9, 12, 16, 23, 32}) out.push_back({sr, saturation::none, bits, sv::c});
  for (auto v : {sv::a, sv::b})
    for (int bits : {0, 3, 13, 24}) out.push_back({sr, saturation::none, bits, v});
  out.push_back({sr, saturation::finite, 0, sv::c});
  out.push_back({sr, saturation::propagate, 0, sv::c});
  out.push_back({sr, saturation::propagate, 40, sv::c});  // 64-bit words: the scalar path
  return out;
}

std::string describe(const rounding& r) {
  return std::string(to_string(r.mode)) + "/" + to_string(r.saturate) + "/bits " +
         std::to_string(r.random_bits) + "/variant " + std::to_string(int(r.variant));
}

// The documented contract, computed element by element from the public scalar API: the
// rounding with its effective random-bit count, and element i's random word.
template <class T>
std::pair<rounding, std::uint64_t> contract(const rounding& r, const sr_stream& s, std::uint64_t i) {
  rounding rr = r;
  rr.random_bits = r.random_bits ? r.random_bits : int(sizeof(T)) * 8;
  std::uint64_t w = 0;
  if (r.mode == round_mode::stochastic)
    w = test::span_random_word(s, s.offset + i, rr.random_bits);
  return {rr, w};
}
template <class T>
std::uint64_t expected_code(T x, const float_format& f, const rounding& r, const sr_stream& s,
                            std::uint64_t i) {
  const auto [rr, w] = contract<T>(r, s, i);
  return encode(x, f, rr, w);
}
template <class T>
T expected_value(T x, const float_format& f, const rounding& r, const sr_stream& s, std::uint64_t i) {
  const auto [rr, w] = contract<T>(r, s, i);
  return quantize(x, f, rr, w);
}

template <class T>
auto bits_of(T x) {
  if constexpr (sizeof(T) == 4) return detail::bit_cast<std::uint32_t>(x);
  else return detail::bit_cast<std::uint64_t>(x);
}

std::vector<float> float_inputs(const float_format& f) {
  std::vector<float> xs = test::dense_inputs<float>(f);
  test::splitmix64 rng{7};
  for (int i = 0; i < 4096; ++i) xs.push_back(detail::bit_cast<float>(std::uint32_t(rng())));
  return xs;
}

// Bulk quantize and encode of xs under r at every level x thread count == the contract.
template <class Code>
void check_rounding(const test::named& nf, const std::vector<float>& xs, const rounding& r, const sr_stream& stream,
                    std::size_t& cases) {
  const float_format& f = nf.f;
  std::vector<float> want_v(xs.size()), got_v(xs.size());
  std::vector<Code> want_c(xs.size()), got_c(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    want_v[i] = expected_value(xs[i], f, r, stream, i);
    want_c[i] = Code(expected_code(xs[i], f, r, stream, i));
  }
  for (const level_config& lc : levels())
    for (unsigned threads : {1u, 2u}) {
      const scoped_config scope(lc, threads);
      quantize(xs, got_v, f, r, stream);
      encode(xs, std::span<Code>(got_c), f, r, stream);
      for (std::size_t i = 0; i < xs.size(); ++i) {
        if (bits_of(got_v[i]) == bits_of(want_v[i]) && got_c[i] == want_c[i]) continue;
        FAIL_CHECK(nf.name << " " << describe(r) << " level " << lc.name << " threads " << threads
                           << " x=" << test::hex(bits_of(xs[i])) << " value "
                           << test::hex(bits_of(got_v[i])) << " want " << test::hex(bits_of(want_v[i]))
                           << " code " << test::hex(std::uint64_t(got_c[i])) << " want "
                           << test::hex(std::uint64_t(want_c[i])));
        return;
      }
      ++cases;
    }
}
// ... under every rounding of all_roundings.
template <class Code>
void check_format(const test::named& nf, const std::vector<float>& xs, std::size_t& cases) {
  for (const rounding& r : all_roundings()) check_rounding<Code>(nf, xs, r, sr_stream{0x5EED, 3, 1000}, cases);
}

// Stochastic inputs built from the random words: with room = 2^n - R, the k-th of six
// significands (times 2^-t in units of R's last bit) that put V at room (away) or one less, with
// the next and sticky bits below that make the variants' reductions differ.
std::uint64_t decisive_significand(std::uint64_t room, int t, std::size_t k) {
  const std::uint64_t half = std::uint64_t{1} << (t - 1);
  const std::uint64_t sig[] = {room << t, (room << t) | 1, ((room - 1) << t) | half,
                               ((room - 1) << t) | half | 1, ((room - 1) << t) | (half - 1), (room - 1) << t};
  return sig[k % 6];
}

void check_format(const test::named& nf, std::size_t& cases) {
  const std::vector<float> xs = float_inputs(nf.f);
  const int k = storage_bits(nf.f);
  if (k <= 8) check_format<std::uint8_t>(nf, xs, cases);
  else if (k <= 16) check_format<std::uint16_t>(nf, xs, cases);
  else check_format<std::uint32_t>(nf, xs, cases);
}

// quantize (out of place and in place) and encode (32-bit codes) of the double span xs at every
// level, 1 thread, against the scalar contract element by element.
void check_double_span(const std::string& name, const std::vector<double>& xs, const float_format& f,
                       const rounding& r, const sr_stream& stream) {
  std::vector<double> got(xs.size()), want(xs.size());
  std::vector<std::uint32_t> codes(xs.size()), want_codes(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    want[i] = expected_value(xs[i], f, r, stream, i);
    want_codes[i] = std::uint32_t(expected_code(xs[i], f, r, stream, i));
  }
  for (const level_config& lc : levels()) {
    const scoped_config scope(lc, 1);
    quantize(xs, got, f, r, stream);
    std::vector<double> inplace = xs;
    quantize(std::span<double>(inplace), f, r, stream);
    encode(xs, std::span<std::uint32_t>(codes), f, r, stream);
    std::size_t bad = 0;
    for (std::size_t i = 0; i < xs.size(); ++i)
      if (bits_of(got[i]) != bits_of(want[i]) || bits_of(inplace[i]) != bits_of(want[i]) || codes[i] != want_codes[i])
        ++bad;
    CHECK_MESSAGE(bad == 0, name << " " << describe(r) << " level " << lc.name << ": " << bad << " of " << xs.size()
                                 << " differ");
  }
}

}  // namespace

TEST_CASE("bulk quantize and encode of floats equal the scalar core at every level and thread count") {
  std::vector<test::named> formats = test::named_formats();
  for (auto& nf : test::custom_formats()) formats.push_back(nf);
  for (auto& nf : test::random_formats(16, 16, 0xB01C)) formats.push_back(nf);
  for (auto& nf : test::p3109_formats(8))
    if (nf.f.exponent_bits + nf.f.mantissa_bits + nf.f.is_signed == 8 || storage_bits(nf.f) <= 4)
      formats.push_back(nf);
  std::size_t cases = 0;
  for (const auto& nf : formats) {
    if (storage_bits(nf.f) > 32) continue;  // float64 codes: uint64 spans, checked below
    check_format(nf, cases);
  }
  MESSAGE(cases << " (format, rounding, level, threads) sweeps over " << formats.size() << " formats");
  CHECK(cases > 0);
}

// To nearest, a binade's top floats round up to the next power of two where m = 22: each lane's
// own constant C (kernel.hpp, lanes_by_magic) then meets a sum of 2 C, whose masked exponent is
// not C (fast_lanes takes such formats to nearest only up to m = 21).
TEST_CASE("to nearest with 21 and 22 fraction bits: a binade's top floats reach the next binade at every level") {
  std::vector<test::named> formats = {{"e7m22", float_format{7, 22, 63}}, {"e7m21", float_format{7, 21, 63}}};
  std::size_t cases = 0;
  for (const auto& nf : formats) {
    std::vector<float> xs;
    for (int e = -20; e <= 20; ++e)
      for (int k = 1; k <= 4; ++k) {
        const float x = float(std::ldexp(1.0, e + 1) - std::ldexp(double(k), e - 23));
        xs.push_back(x);
        xs.push_back(-x);
      }
    check_format<std::uint32_t>(nf, xs, cases);
  }
  CHECK(cases > 0);
}

// Below the min normal, stochastic rounding in variant c takes one addition that rounds |x| to
// even at R's last bit 2^(q - n): a float's with few random bits (kernel_params::sr_magic), a
// double's with more (sr_scale). Inputs on and beside the odd multiples of half that unit are
// where either could differ from the core.
TEST_CASE("stochastic rounding below the min normal: ties at the random bits' last unit, every bit count") {
  const float_format e7m3_bias125{7, 3, 125};  // quanta 2^-127: units among float's subnormals
  std::vector<test::named> formats = {{"float16", fmt::float16},       {"float8_e4m3fn", fmt::float8_e4m3fn},
                                      {"float8_e5m2", fmt::float8_e5m2}, {"float4_e2m1fn", fmt::float4_e2m1fn},
                                      {"binary8p3se", fmt::p3109(8, 3, true, true)},
                                      {"e7m3 bias 125", e7m3_bias125}};
  for (auto& nf : test::custom_formats())
    if (nf.name == "e5m10 flush" || nf.name == "e4m3fn flush") formats.push_back(nf);
  std::size_t cases = 0;
  test::splitmix64 rng{0x71E5};
  for (const auto& nf : formats) {
    const float_format& f = nf.f;
    const int m = f.mantissa_bits, emin = 1 - f.bias;
    const int q = f.subnormals == subnormal_mode::flush ? emin : emin - m;
    std::vector<float> xs;
    for (int n : {1, 7, 8, 9, 12, 16, 23, 32}) {  // the variant-c bit counts of all_roundings
      const int half_unit = q - n - 1, units = 1 << std::min(m + n + 1, 12);
      for (int i = 0; i < 96; ++i) {
        const std::uint64_t k = i < 48 ? std::uint64_t(i) : rng() % std::uint64_t(units) | 1;
        const float x = float(std::ldexp(double(k), half_unit));
        if (x == 0 || !(std::fabs(x) < std::ldexp(1.0, emin))) continue;
        for (float y : {x, std::nextafter(x, 0.0f), std::nextafter(x, 1.0f)}) {
          xs.push_back(y);
          xs.push_back(-y);
        }
      }
    }
    REQUIRE(xs.size() > 100);
    if (storage_bits(f) <= 8) check_format<std::uint8_t>(nf, xs, cases);
    else check_format<std::uint16_t>(nf, xs, cases);
  }
  MESSAGE(cases << " (format, rounding, level, threads) sweeps");
  CHECK(cases > 0);
}

// With 32 random bits an off-by-one V decides one element in 2^32: random inputs never show
// it. So, as for doubles below, the inputs are built from the random words: where element i's R
// lies within 2^20 of 2^n, x sits so that V (the reduction of its fraction in units of the
// quantum 2^q) is 2^n - R (away) or one less, with the next and sticky bits that make the
// variants' reductions differ (ties to even among them: an odd R must not turn them). Formats
// whose inputs there are float normals, and one whose are float subnormals.
TEST_CASE("stochastic rounding below the min normal with many random bits: inputs where the element's R decides") {
  const sr_stream stream{0xD1CE, 5, 77};
  const float_format e7m3_bias113{7, 3, 113};  // q = -115
  for (const test::named& nf : std::vector<test::named>{{"float8_e4m3fn", fmt::float8_e4m3fn},
                                                        {"float16", fmt::float16},
                                                        {"float4_e2m1fn", fmt::float4_e2m1fn},
                                                        {"binary8p3se", fmt::p3109(8, 3, true, true)},
                                                        {"e7m3 bias 113", e7m3_bias113}}) {
    const float_format& f = nf.f;
    const int q = min_exponent(f) - f.mantissa_bits;
    for (int n : {24, 32}) {
      std::vector<float> xs(1 << 16);
      std::vector<std::size_t> built;
      test::splitmix64 rng{13};
      for (std::size_t i = 0; i < xs.size(); ++i) {
        const std::uint64_t one = std::uint64_t{1} << n;  // (R: the word's low n bits)
        const std::uint64_t room = one - (test::span_random_word(stream, stream.offset + i, n) & (one - 1));
        // room << t: up to 24 bits, its last one no finer than 2^-149 in x
        const int t = std::min(23 - int(std::bit_width(room)) + 1, q - n + 149);
        if (room >= (std::uint64_t{1} << 20) || t < 2) {
          xs[i] = std::ldexp(float(rng() >> 40), q - 24);  // below the min normal
          continue;
        }
        xs[i] = (i % 2 ? -1.0f : 1.0f) * std::ldexp(float(decisive_significand(room, t, built.size())), q - n - t);
        built.push_back(i);
      }
      REQUIRE(built.size() >= 12);
      for (auto v : {sr_variant::a, sr_variant::b, sr_variant::c}) {
        const rounding r{round_mode::stochastic, saturation::none, n == 32 ? 0 : n, v};
        std::size_t away = 0, cases = 0;
        for (std::size_t i : built) away += expected_value(xs[i], f, r, stream, i) != 0;
        CHECK(away > 0);
        CHECK(away < built.size());
        const auto check = [&] {
          if (storage_bits(f) <= 8) check_rounding<std::uint8_t>(nf, xs, r, stream, cases);
          else check_rounding<std::uint16_t>(nf, xs, r, stream, cases);
        };
        check();
#if PRECSIM_X86
        test::with_mxcsr(test::ftz_daz_toward_zero, check);  // a caller's environment the call replaces
#endif
        CHECK(cases > 0);
      }
    }
  }
}

// The stochastic kernels run their low lanes' steps past a branch, or in every vector of a group
// where a third or more of the last group's vectors had such lanes (simd/kernel.hpp, low_lanes).
// Runs of inputs with none, with only low lanes and with them in every third 16-lane stripe make
// each group's choice change along the span, at every bit count's group size.
TEST_CASE("stochastic rounding gives the same bits where groups change between branching on low lanes and not") {
  std::size_t cases = 0;
  for (const test::named& nf : std::vector<test::named>{{"float16", fmt::float16},
                                                        {"float8_e4m3fn", fmt::float8_e4m3fn},
                                                        {"float6_e3m2fn", fmt::float6_e3m2fn},
                                                        {"float4_e2m1fn", fmt::float4_e2m1fn}}) {
    const float_format& f = nf.f;
    const double min_normal = std::ldexp(1.0, min_exponent(f));
    test::splitmix64 rng{0x10A5};
    const auto normal = [&] { return float(min_normal * (1.0 + double(rng() >> 11) * 0x1p-53 * 7)); };
    const auto low = [&] { return float(min_normal * double(rng() >> 11) * 0x1p-53); };
    std::vector<float> xs;
    for (int run = 0; run < 12; ++run)
      for (int i = 0; i < 2048 + 16 * run; ++i) {  // (runs that do not end on a group's edge)
        const bool is_low = run % 3 == 0 ? false : run % 3 == 1 ? true : i / 16 % 3 == 0;
        const float x = is_low ? low() : normal();
        xs.push_back(rng() & 1 ? -x : x);
      }
    for (int n : {0, 16, 8, 1})
      for (auto v : {sr_variant::a, sr_variant::c}) {
        const rounding r{round_mode::stochastic, saturation::none, n, v};
        if (storage_bits(f) <= 8) check_rounding<std::uint8_t>(nf, xs, r, sr_stream{0x5EED, 9, 33}, cases);
        else check_rounding<std::uint16_t>(nf, xs, r, sr_stream{0x5EED, 9, 33}, cases);
      }
  }
  MESSAGE(cases << " (format, rounding, level, threads) sweeps");
  CHECK(cases > 0);
}

TEST_CASE("every code of every format up to 16 bits decodes like the scalar core, float and double") {
  std::vector<test::named> formats = test::named_formats();
  for (auto& nf : test::custom_formats()) formats.push_back(nf);
  for (auto& nf : test::p3109_formats(10)) formats.push_back(nf);
  for (auto& nf : test::random_formats(24, 16, 0xDEC0)) formats.push_back(nf);
  for (const auto& nf : formats) {
    const int k = storage_bits(nf.f);
    if (k > 16) continue;
    std::vector<std::uint16_t> codes(std::size_t{1} << k);
    for (std::size_t c = 0; c < codes.size(); ++c) codes[c] = std::uint16_t(c);
    std::vector<float> want_f(codes.size()), got_f(codes.size());
    std::vector<double> want_d(codes.size()), got_d(codes.size());
    for (std::size_t c = 0; c < codes.size(); ++c) {
      want_d[c] = decode(c, nf.f);
      want_f[c] = detail::to_float(want_d[c]);
    }
    for (const level_config& lc : levels())
      for (unsigned threads : {1u, 2u}) {
        const scoped_config scope(lc, threads);
        decode(codes, got_f, nf.f);
        decode(codes, got_d, nf.f);
        for (std::size_t c = 0; c < codes.size(); ++c) {
          if (bits_of(got_f[c]) == bits_of(want_f[c]) && bits_of(got_d[c]) == bits_of(want_d[c])) continue;
          FAIL_CHECK(nf.name << " level " << lc.name << " code " << test::hex(c) << " float "
                             << test::hex(bits_of(got_f[c])) << " want " << test::hex(bits_of(want_f[c]))
                             << " double " << test::hex(bits_of(got_d[c])) << " want "
                             << test::hex(bits_of(want_d[c])));
          break;
        }
        if (k > 8) continue;
        // long spans of codes up to 8 bits take a table: every byte, in 8- and 16-bit codes
        // whose bits above the format's are set (ignored)
        std::vector<std::uint8_t> c8(4099);
        std::vector<std::uint16_t> c16(c8.size());
        std::vector<float> got8(c8.size()), got16(c8.size());
        for (std::size_t i = 0; i < c8.size(); ++i) {
          c8[i] = std::uint8_t(i * 37 + i / 256);
          c16[i] = std::uint16_t(c8[i] | 0xA500u);
        }
        decode(std::span<const std::uint8_t>(c8), std::span<float>(got8), nf.f);
        decode(std::span<const std::uint16_t>(c16), std::span<float>(got16), nf.f);
        for (std::size_t i = 0; i < c8.size(); ++i) {
          const std::uint32_t want = bits_of(want_f[c8[i] & ((1u << k) - 1)]);
          if (bits_of(got8[i]) == want && bits_of(got16[i]) == want) continue;
          FAIL_CHECK(nf.name << " level " << lc.name << " long span, code " << test::hex(std::uint64_t{c8[i]}) << " got "
                             << test::hex(bits_of(got8[i])) << " / " << test::hex(bits_of(got16[i]))
                             << " want " << test::hex(want));
          break;
        }
      }
  }
}

// The float-span sweep above checks e5m2's codes at every level; this pins down that they come
// from binary16's top byte (kernel_params::code_half_top: a refused route only costs speed)
// wherever the values take per-lane constants, and that formats whose codes are not a half's
// top byte, or whose NaN codes differ from the conversion's, stay off it.
TEST_CASE("e5m2 codes come from its values' binary16 top byte; other formats and stochastic rounding do not") {
  using detail::make_kernel_params;
  for (auto m : {round_mode::nearest_even, round_mode::nearest_away, round_mode::toward_zero, round_mode::to_odd})
    for (auto s : test::all_saturations) {
      CAPTURE(std::string(to_string(m)));
      CAPTURE(to_string(s));
      CHECK(make_kernel_params(fmt::float8_e5m2, {m, s}).code_half_top);
    }
  CHECK_FALSE(make_kernel_params(fmt::float8_e5m2, {round_mode::stochastic}).code_half_top);
  for (const auto& f : {fmt::float8_e5m2fnuz, fmt::float8_e4m3fn, fmt::float16, fmt::p3109(8, 3, true, true),
                        fmt::float6_e3m2fn})
    CHECK_FALSE(make_kernel_params(f, {}).code_half_top);
}

// AVX512-BF16's conversion reads float subnormal inputs as zero: a vector holding one, and the
// block from it on, go to the kernels. Inputs: a long run without them, then a run of them, then
// one every ~300, one last, among ties, values beyond max, infinities, zeros and NaN payloads.
TEST_CASE("bfloat16 codes to nearest even by the hardware conversion follow the scalar core around subnormal inputs") {
  using detail::make_kernel_params;
  CHECK(make_kernel_params(fmt::bfloat16, {}).bf16_hw);
  for (auto s : test::all_saturations)
    if (s != saturation::none) CHECK_FALSE(make_kernel_params(fmt::bfloat16, {round_mode::nearest_even, s}).bf16_hw);
  for (auto m : {round_mode::nearest_away, round_mode::toward_zero, round_mode::to_odd, round_mode::stochastic})
    CHECK_FALSE(make_kernel_params(fmt::bfloat16, {m}).bf16_hw);
  CHECK_FALSE(make_kernel_params(fmt::float16, {}).bf16_hw);
  test::splitmix64 rng{11};
  std::vector<float> xs(4099);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const std::uint32_t r = std::uint32_t(rng()), sign = r & 0x80000000u, kind = std::uint32_t(rng() % 16);
    std::uint32_t b = sign | ((r & 0x7FFFFFFFu) % 0x7F000000u + 0x00800000u);  // a normal float
    if (kind == 0) b = (b & 0xFFFF0000u) | 0x8000u;                              // a tie
    if (kind == 1) b = sign | (0x7F7F8000u + (r >> 17));                         // at and beyond max's tie
    if (kind == 2) b = sign | 0x7F800000u | (r & 0x007FFFFFu);                   // inf or a NaN payload
    if (kind == 3) b = sign;                                                     // +-0
    const bool sub = (i >= 1100 && i < 1140) || (i > 1140 && rng() % 300 == 0) || i + 1 == xs.size();
    if (sub) b = sign | (r & 0x007FFFFFu) | 1u;
    xs[i] = detail::bit_cast<float>(b);
  }
  std::size_t cases = 0;
  check_rounding<std::uint16_t>({"bfloat16", fmt::bfloat16}, xs, {}, {}, cases);
  CHECK(cases == 2 * levels().size());
}

#if PRECSIM_X86 && PRECSIM_VECTOR_KERNELS
// The long-span decode above checks the results; this pins down which formats take the binary16
// route (a refused plan only costs speed) and that its check refuses what the route cannot give.
TEST_CASE("8-bit codes whose fields fit a half's decode by the hardware conversion; other tables are refused") {
  using namespace detail;
  // the plan for the table bulk decode prepares: true where the route takes the format (CPUs
  // with AVX-512 VBMI take byte tables first at that level: the plan is asked for directly)
  table_decoder d;
  const half_plan& h = d.half;
  const auto plan = [&](simd_level l, const float_format& f) {
    const kernel_params p = make_kernel_params(f, {});
    prepare_table_decoder(l, p, storage_bits(f), d);
    return make_half_plan(l, p, storage_bits(f), d.table, d.half);
  };
  for (simd_level l : {simd_level::avx2, simd_level::avx512}) {
    if (!simd_level_supported(l) || !cpu().f16c) {
      MESSAGE(to_string(l) << " (with F16C) not on this CPU: not checked");
      continue;
    }
    const std::string level = to_string(l);
    CAPTURE(level);
    // <= 5 exponent bits whose top field, if any, holds only inf and NaN (or nothing special), or
    // bias 16 (field 31 finite: one binade down)
    for (const auto& f : {fmt::float8_e5m2, fmt::float8_e4m3fnuz, fmt::float8_e4m3b11fnuz, fmt::float6_e3m2fn,
                          fmt::float6_e2m3fn, fmt::float4_e2m1fn, fmt::p3109(8, 4, true, true), fmt::p3109(8, 6, false, false),
                          fmt::p3109(8, 3, true, false), fmt::float8_e5m2fnuz}) {
      CAPTURE(format_name(f));
      CHECK(plan(l, f));
    }
    // exceptions: e4m3fn's two NaN codes, one entry for both signs; P3109 signed: +-inf (one
    // entry) and NaN where -0 would be. The placement: a shift alone for a sign and 5 exponent
    // bits, else by the sign-copying widening for 8-bit codes, else two shifts
    REQUIRE(plan(l, fmt::float8_e4m3fn));
    CHECK((h.exceptions == 1 && h.pairs == 1 && h.place == place_byte));
    REQUIRE(plan(l, fmt::p3109(8, 5, true, true)));
    CHECK((h.exceptions == 2 && h.pairs == 1 && h.place == place_byte));
    REQUIRE(plan(l, fmt::float8_e5m2));
    CHECK((h.exceptions == 0 && !h.down_binade && h.place == place_shift));
    REQUIRE(plan(l, fmt::p3109(8, 3, true, true)));
    CHECK((h.exceptions == 2 && h.pairs == 1 && h.down_binade && h.place == place_shift));
    REQUIRE(plan(l, fmt::float4_e2m1fn));
    CHECK((h.exceptions == 0 && h.place == place_fields));
    // finite values in exponent field 31 without bias 16, more than 5 exponent bits, more than 3
    // special codes
    float_format e5_bias17 = fmt::float8_e5m2fnuz;
    e5_bias17.bias = 17;
    for (const auto& f : {e5_bias17, fmt::float8_e8m0fnu, fmt::p3109(8, 1, true, true), fmt::p3109(8, 2, true, true),
                          fmt::float8_e3m4}) {
      CAPTURE(format_name(f));
      CHECK_FALSE(plan(l, f));
    }
    // a table the route cannot give: a finite value changed; a NaN payload below a half's 10 bits
    const kernel_params p = make_kernel_params(fmt::float8_e4m3fn, {});
    half_plan other;
    REQUIRE(plan(l, fmt::float8_e4m3fn));
    d.table[0x35] ^= 1;
    CHECK_FALSE(make_half_plan(l, p, 8, d.table, other));
    REQUIRE(plan(l, fmt::float8_e4m3fn));
    d.table[0x7F] |= 1;
    CHECK_FALSE(make_half_plan(l, p, 8, d.table, other));
  }
}

// Where the CPU has AVX-512 VBMI, every 8-bit format whose values are bfloat16s takes the byte
// tables (the long-span decode test checks their results at that level).
TEST_CASE("with AVX-512 VBMI, 8-bit codes decode through byte tables; values that are not bfloat16s are refused") {
  using namespace detail;
  if (!simd_level_supported(simd_level::avx512) || !cpu().avx512vbmi) {
    MESSAGE("AVX-512 VBMI not on this CPU: not checked");
    return;
  }
  table_decoder d;
  const auto plan = [&](const float_format& f) {
    prepare_table_decoder(simd_level::avx512, make_kernel_params(f, {}), storage_bits(f), d);
    return d.by_bytes;
  };
  for (const auto& f : {fmt::float8_e4m3fn, fmt::float8_e5m2, fmt::float8_e3m4, fmt::float8_e4m3fnuz,
                        fmt::float8_e5m2fnuz, fmt::float8_e8m0fnu, fmt::float6_e2m3fn, fmt::float4_e2m1fn,
                        fmt::p3109(8, 1, true, true), fmt::p3109(8, 3, true, true), fmt::p3109(8, 7, false, true),
                        fmt::p3109(8, 4, true, false)}) {
    CAPTURE(format_name(f));
    CHECK(plan(f));
  }
  // a finite value with a bit below a bfloat16's; a NaN payload there
  byte_plan b;
  REQUIRE(plan(fmt::float8_e4m3fn));
  d.table[0x35] ^= 1;
  CHECK_FALSE(make_byte_plan(d.table, b));
  REQUIRE(plan(fmt::float8_e4m3fn));
  d.table[0x7F] |= 1;
  CHECK_FALSE(make_byte_plan(d.table, b));
}
#endif

TEST_CASE("double spans and 64-bit codes follow the scalar core (two Philox words per element)") {
  std::vector<test::named> formats = test::named_formats();
  for (auto& nf : test::custom_formats()) formats.push_back(nf);
  const sr_stream stream{99, 1, 5};
  for (const auto& nf : formats) {
    std::vector<double> xs = test::dense_inputs<double>(nf.f);
    xs.resize(std::min<std::size_t>(xs.size(), 20000));
    std::vector<double> got(xs.size());
    std::vector<std::uint64_t> codes(xs.size());
    for (const rounding& r : {rounding{}, rounding{round_mode::toward_negative, saturation::finite},
                              rounding{round_mode::stochastic}, rounding{round_mode::stochastic, saturation::none, 9}})
      for (unsigned threads : {1u, 2u}) {
        const scoped_config scope({"default", best_simd_level(), false}, threads);
        quantize(xs, got, nf.f, r, stream);
        encode(xs, std::span<std::uint64_t>(codes), nf.f, r, stream);
        for (std::size_t i = 0; i < xs.size(); ++i) {
          const double want = expected_value(xs[i], nf.f, r, stream, i);
          if (bits_of(got[i]) == bits_of(want) && codes[i] == expected_code(xs[i], nf.f, r, stream, i)) continue;
          FAIL_CHECK(nf.name << " " << describe(r) << " x=" << xs[i] << " got " << got[i] << " want " << want);
          break;
        }
      }
  }
}

// Deterministic double spans of every format (the fast path's formats in the double's own bit
// pattern, simd/kernel.hpp, f64_span; the others through float or the scalar core): dense edge
// inputs (zeros, subnormals of both types, the min normal, max and just beyond, NaN, inf) and
// random bit patterns, every mode and saturation, every level.
TEST_CASE("deterministic double spans of every format, mode and saturation follow the scalar core") {
  std::vector<test::named> formats = test::named_formats();
  for (auto& nf : test::custom_formats()) formats.push_back(nf);
  for (const auto& nf : formats) {
    if (storage_bits(nf.f) > 32) continue;
    std::vector<double> xs = test::dense_inputs<double>(nf.f);  // (all: max and the specials come last)
    test::splitmix64 rng{9};
    for (int i = 0; i < 2000; ++i) xs.push_back(std::bit_cast<double>(rng()));
    for (auto m : test::deterministic_modes)
      for (auto sat : test::all_saturations) check_double_span(nf.name, xs, nf.f, {m, sat}, {});
  }
}

// Double spans in one pass (dispatch.hpp, one_pass_f64: the fast path's formats in their own
// bit pattern at AVX2 and AVX-512, else binary16 by the hardware conversion) stop before vectors
// holding a NaN or an infinity (the hardware conversion's also before a magnitude past
// FLT_MAX), which the scalar core rounds; lanes below the min normal or beyond max take their
// own steps, and the narrowing's inexact test reads the double's low 29 bits, valid only in
// float's normal range: zeros, inputs below 2^-126 (some inexact only above bit 29, some only
// below) and inputs inexact only in those 29 bits sit anywhere too. Every position of spans of
// every length up to 40, in place and not, values and codes, every deterministic mode.
TEST_CASE("double spans in one pass: specials and inputs below float's normals anywhere, in place, every length") {
  // (NaNs with payloads below float's: values pass them through, a conversion would drop them)
  const double specials[] = {std::bit_cast<double>(0x7FF0000000000123ull), std::bit_cast<double>(0xFFF80000ABCDEF01ull),
                             -INFINITY, INFINITY, 1e300, -3.5e38, 65520.0, -0.0, 0x1p-25, 0x1.8p-25};
  const double low[] = {0.0, -0.0, 0x1.8p-140, -0x1.000001p-133, 0x1p-149 + 0x1p-180, 0x1.00000001p-127, -0x1p-160,
                        std::bit_cast<double>(std::uint64_t(1)), 1 + 0x1p-40, -0x1.fffffffffffffp-1};
  test::splitmix64 rng{11};
  std::vector<double> pool(48);
  for (auto& x : pool) x = double(std::int64_t(rng()) >> 11) * 0x1p-40 * (1 + double(rng() >> 60));
  for (std::size_t i = 0; i < pool.size(); i += 5) pool[i] = low[i / 5 % std::size(low)];
  const auto run = [&](const float_format& f, auto code) {
    using Code = decltype(code);
    for (const level_config& lc : levels()) {
      const scoped_config scope(lc, 1);
      for (auto m : test::deterministic_modes)
        for (std::size_t n = 0; n <= 40; ++n)
          for (std::size_t at = 0; at <= n; at += 3) {
            std::vector<double> xs(pool.begin() + std::ptrdiff_t(at % 7), pool.begin() + std::ptrdiff_t(at % 7 + n));
            if (at < n) xs[at] = specials[(n + at) % std::size(specials)];
            std::vector<double> got(n), inplace = xs;
            std::vector<Code> codes(n);
            quantize(std::span<const double>(xs), std::span<double>(got), f, m);
            quantize(std::span<double>(inplace), f, m);
            encode(std::span<const double>(xs), std::span<Code>(codes), f, m);
            for (std::size_t i = 0; i < n; ++i) {
              const double want = expected_value(xs[i], f, rounding{m}, {}, i);
              const auto want_code = expected_code(xs[i], f, rounding{m}, {}, i);
              REQUIRE_MESSAGE((bits_of(got[i]) == bits_of(want) && bits_of(inplace[i]) == bits_of(want) &&
                               codes[i] == want_code),
                              lc.name << " " << format_name(f) << " " << std::string(to_string(m)) << " n=" << n
                                      << " i=" << i << " x=" << xs[i]);
            }
          }
    }
  };
  run(fmt::float16, std::uint16_t{});
  run(fmt::bfloat16, std::uint16_t{});
  run(fmt::float8_e4m3fn, std::uint8_t{});
  run(fmt::float8_e5m2, std::uint8_t{});
  run(fmt::p3109(8, 3, true, true), std::uint8_t{});
  run(fmt::float4_e2m1fn, std::uint8_t{});
}

// Long double spans whose inputs change regime: runs of N(0,1)-like inputs, of wide-range ones
// (mostly below the min normal or beyond max: f64_span rounds such blocks by each lane's own
// magic constant, or hands them off, float16's to_odd to the hardware conversion, the
// directed ones at AVX2 to the three passes; float16's codes all take the conversion, e4m3fn's
// 16-bit ones the bit pattern), of inputs closer to a
// midpoint than a float ulp, and specials now and then, in runs of every length up to 5000,
// so that each route starts and stops at unaligned positions and meets NaN, inf and |x| >=
// FLT_MAX inside a chunk. Values (in place and not) and codes, every deterministic mode.
TEST_CASE("long double spans changing between normal and wide-range inputs follow the scalar core in every route") {
  test::splitmix64 rng{17};
  const auto unit = [&] { return double(rng() >> 11) * 0x1p-53; };
  // (a signaling NaN too: values pass it through as it is, not quieted)
  const double specials[] = {std::bit_cast<double>(0x7FF8000000000123ull), std::bit_cast<double>(0xFFF0000000000321ull),
                             -INFINITY, INFINITY, 1e39, -0.0, 0.0};
  std::vector<double> xs;
  while (xs.size() < 60000) {
    const std::size_t run = 1 + rng() % 5000;
    const int regime = int(rng() % 3);
    for (std::size_t i = 0; i < run; ++i) {
      double x;
      if (regime == 0) x = (unit() + unit() + unit() - 1.5) * 2;  // (|x| < 3, mostly near 0.. 1)
      else if (regime == 1) x = std::ldexp(1 + unit(), int(rng() % 60) - 42);  // 2^-42 .. 2^18
      else x = std::ldexp(1 + (2 * double(rng() % 1024) + 1) * 0x1p-11 + (rng() % 2 ? 0x1p-40 : -0x1p-40), int(rng() % 50) - 34);
      if (rng() % 2) x = -x;
      if (rng() % 1000 == 0) x = specials[rng() % std::size(specials)];
      xs.push_back(x);
    }
  }
  for (const auto& f : {fmt::float16, fmt::float8_e4m3fn}) {
    for (auto m : test::deterministic_modes) {
      std::vector<double> want(xs.size());
      std::vector<std::uint16_t> want_codes(xs.size());
      for (std::size_t i = 0; i < xs.size(); ++i) {
        want[i] = expected_value(xs[i], f, rounding{m}, {}, i);
        want_codes[i] = std::uint16_t(expected_code(xs[i], f, rounding{m}, {}, i));
      }
      for (const level_config& lc : levels()) {
        const scoped_config scope(lc, 1);
        std::vector<double> got(xs.size()), inplace = xs;
        std::vector<std::uint16_t> codes(xs.size());
        quantize(std::span<const double>(xs), std::span<double>(got), f, m);
        quantize(std::span<double>(inplace), f, m);
        encode(std::span<const double>(xs), std::span<std::uint16_t>(codes), f, m);
        std::size_t bad = 0, first = xs.size();
        for (std::size_t i = 0; i < xs.size(); ++i)
          if (bits_of(got[i]) != bits_of(want[i]) || bits_of(inplace[i]) != bits_of(want[i]) || codes[i] != want_codes[i])
            first = std::min(first, i), ++bad;
        CHECK_MESSAGE(bad == 0, lc.name << " " << format_name(f) << " " << std::string(to_string(m)) << ": " << bad
                                        << " differ, first at " << first);
      }
    }
  }
}

// Double spans of float-valued formats go through float (round-to-odd first): inputs a tiny
// distance from a rounding boundary, closer than a float ulp, are where a plain narrowing to
// float would round twice (e.g. 1 + 2^-11 + 2^-40 to float16: up; via float's 1 + 2^-11, a tie:
// even, down).
TEST_CASE("double spans are rounded once: inputs closer to a midpoint than a float ulp") {
  for (const auto& nf : test::named_formats()) {
    if (nf.f.mantissa_bits > 21 || storage_bits(nf.f) > 32) continue;
    std::vector<double> xs;
    const int lo = min_exponent(nf.f) - nf.f.mantissa_bits, hi = max_exponent(nf.f);
    for (int e = lo; e <= hi + 1; ++e)
      for (int k : {0, 1, 3}) {
        // near the midpoint between k and k + 1 quanta above 2^e, offsets of 2^-30 .. 2^-45 quanta
        const int q = (e < min_exponent(nf.f) ? min_exponent(nf.f) : e) - nf.f.mantissa_bits;
        const double mid = std::ldexp(1.0, e) + (k + 0.5) * std::ldexp(1.0, q);
        for (int d : {30, 36, 45})
          for (double x : {mid + std::ldexp(1.0, q - d), mid - std::ldexp(1.0, q - d), mid + std::ldexp(mid, -60)}) {
            xs.push_back(x);
            xs.push_back(-x);
          }
      }
    for (auto m : test::deterministic_modes) check_double_span(nf.name, xs, nf.f, rounding{m}, {});
  }
}

// Stochastic rounding with N random bits looks at the discarded fraction's multiples of
// 2^-(N + 1): double spans go through float (round-to-odd) only where those lie 2 float quanta
// apart or more (bulk.hpp, narrow_to_odd_exact). Element i is placed on, or closer than a float
// ulp to, the point where its own random value R decides: the fraction (2^N - R) / 2^N (a's
// step) or half a step below it (b's and c's), so that a reduction one unit off changes the
// result. For N up to that bound and one bit beyond it (the scalar core's route).
TEST_CASE("double spans with few random bits: inputs on and a float ulp beside the points their random bits decide at") {
  const sr_stream stream{7, 3, 11};
  for (const auto& nf : test::named_formats()) {
    const int m = nf.f.mantissa_bits, emin = min_exponent(nf.f), emax = max_exponent(nf.f);
    if (m > 20 || storage_bits(nf.f) > 32) continue;
    for (int n : {1, 2, 8, 21 - m, 22 - m}) {
      std::vector<double> xs(6000);
      for (std::size_t i = 0; i < xs.size(); ++i) {
        const std::uint64_t random = test::span_random_word(stream, stream.offset + i, n) & ((std::uint64_t{1} << n) - 1);
        int e = emin - m + int(i / 10 % unsigned(emax - emin + m + 2));  // every binade, to just above max
        if (e > 126) e = emin;  // (from FLT_MAX up: the scalar core's, next test case)
        const int q = std::max(e, emin) - m;  // the quantum at 2^e
        const double j = double(2 * ((std::uint64_t{1} << n) - random) - (i / 5 % 2));  // in 2^-(n + 1) quanta
        const double at = std::ldexp(1.0, e) + std::ldexp(double(i % 3), q) + std::ldexp(j, q - n - 1);
        const double d[] = {0, std::ldexp(1.0, q - n - 3), -std::ldexp(1.0, q - n - 3), std::ldexp(at, -40),
                            -std::ldexp(at, -40)};
        xs[i] = (i / 30 % 2 ? -1 : 1) * (at + d[i % 5]);
      }
      for (auto v : {sr_variant::a, sr_variant::b, sr_variant::c})
        check_double_span(nf.name, xs, nf.f, {round_mode::stochastic, saturation::none, n, v}, stream);
    }
  }
}

// Stochastic rounding of doubles with more than 32 random bits (random_u64 words; the default)
// to formats rounded in the double's bit pattern (simd/kernel.hpp, sr_double_block): every
// level, saturation, variant and some bit counts, on the dense edge inputs (NaN, inf, overflow,
// subnormals of both types, zeros) and random bit patterns.
TEST_CASE("stochastic double spans with many random bits follow the scalar core at every level") {
  std::vector<test::named> formats = test::named_formats();
  for (auto& nf : test::custom_formats()) formats.push_back(nf);
  const sr_stream stream{17, 2, 3};
  for (const auto& nf : formats) {
    if (storage_bits(nf.f) > 32) continue;
    std::vector<double> xs = test::dense_inputs<double>(nf.f);
    xs.resize(std::min<std::size_t>(xs.size(), 12000));
    test::splitmix64 rng{5};
    for (int i = 0; i < 2000; ++i) xs.push_back(std::bit_cast<double>(rng()));
    for (auto sat : test::all_saturations)
      for (auto v : {sr_variant::a, sr_variant::b, sr_variant::c})
        for (int bits : {0, 40, 63}) check_double_span(nf.name, xs, nf.f, {round_mode::stochastic, sat, bits, v}, stream);
  }
}

// Far below the min normal, a fraction of d > 62 bits meets n random bits: the first n bits k,
// the next bit and the sticky bit, reduced by the variant to V, round up iff V + R >= 2^n, which
// random inputs almost never reach. So the inputs are built from the random words: where
// element i's R lies within 2^51 of 2^n, x is placed so that V is 2^n - R (away) or one less,
// with the next and sticky bits that make the variants differ; the test counts both outcomes.
TEST_CASE("stochastic double spans far below the min normal: inputs where the element's random value decides") {
  const sr_stream stream{23, 9, 0};
  for (const float_format& f : {fmt::float8_e4m3fn, fmt::float16, fmt::bfloat16}) {
    const int q = min_exponent(f) - f.mantissa_bits;  // the quantum's exponent
    for (int n : {40, 64}) {
      const std::uint64_t mask = n == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
      std::vector<double> xs(1 << 18);
      std::vector<std::size_t> built;
      test::splitmix64 rng{11};
      for (std::size_t i = 0; i < xs.size(); ++i) {
        const std::uint64_t room = (mask - (random_u64(stream, i) & mask)) + 1;  // 2^n - R (0: R = 2^64 - 1 wraps)
        if (room == 0 || room >= (std::uint64_t{1} << (n - 10 < 51 ? n - 10 : 51))) {
          xs[i] = std::ldexp(double(rng() >> 11), q - 60);
          continue;
        }
        const int t = 52 - std::bit_width(room) + 1;  // room << t has 53 bits
        xs[i] = (i % 2 ? -1 : 1) * std::ldexp(double(decisive_significand(room, t, built.size())), q - n - t);
        built.push_back(i);
      }
      REQUIRE(built.size() >= 12);
      for (auto v : {sr_variant::a, sr_variant::b, sr_variant::c}) {
        const rounding r{round_mode::stochastic, saturation::none, n == 64 ? 0 : n, v};
        std::size_t away = 0;
        for (std::size_t i : built) away += expected_value(xs[i], f, r, stream, i) != 0;
        CHECK(away > 0);
        CHECK(away < built.size());
        check_double_span("m = " + std::to_string(f.mantissa_bits), xs, f, r, stream);
      }
    }
  }
}

// Float has no grid above FLT_MAX: a double there, an infinity or a NaN sends its chunk to the
// scalar core (bfloat16's overflow threshold, 2^128, lies above FLT_MAX: through float, 1e300
// would round stochastically to max finite). Each special value among ordinary ones.
TEST_CASE("double spans: values at and above FLT_MAX, infinities and NaNs follow the scalar core") {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  const sr_stream stream{5, 0, 0};
  for (double special : {0x1.fffffep127, std::nextafter(0x1.fffffep127, inf), 0x1p128, 1e300, inf, nan}) {
    std::vector<double> xs(3000);
    test::splitmix64 rng{1};
    for (std::size_t i = 0; i < xs.size(); ++i)
      xs[i] = i % 7 == 3 ? (i % 2 ? -special : special) : std::ldexp(double(rng() >> 11), -52);
    std::vector<double> got(xs.size());
    for (const float_format& f : {fmt::bfloat16, fmt::float8_e4m3fn})
      for (const rounding& r : {rounding{round_mode::stochastic, saturation::none, 4, sr_variant::a}, rounding{},
                                rounding{round_mode::toward_zero}})
        for (const level_config& lc : levels()) {
          const scoped_config scope(lc, 1);
          quantize(xs, got, f, r, stream);
          std::size_t bad = 0;
          for (std::size_t i = 0; i < xs.size(); ++i)
            if (bits_of(got[i]) != bits_of(expected_value(xs[i], f, r, stream, i))) ++bad;
          CHECK_MESSAGE(bad == 0, "x = " << special << " " << describe(r) << " level " << lc.name << ": " << bad
                                         << " of " << xs.size() << " differ");
        }
  }
}

TEST_CASE("stochastic results depend only on (seed, stream, offset + i): chunked calls equal one call") {
  const float_format f = fmt::float8_e4m3fn;
  const rounding r{round_mode::stochastic};
  std::vector<float> xs(5000);
  test::splitmix64 rng{3};
  for (auto& x : xs) x = float(double(rng() >> 11) * 0x1p-53 * 8 - 4);
  std::vector<float> whole(xs.size()), pieces(xs.size());
  for (const level_config& lc : levels()) {
    const scoped_config scope(lc, 1);
    quantize(xs, whole, f, r, {11, 22, 0});
    for (std::size_t b = 0, len = 1; b < xs.size(); b += len, len = len * 3 % 257 + 1) {
      const std::size_t n = std::min(len, xs.size() - b);
      quantize(std::span<const float>(xs).subspan(b, n), std::span<float>(pieces).subspan(b, n), f, r,
               {11, 22, b});
    }
    CHECK_MESSAGE(std::memcmp(whole.data(), pieces.data(), xs.size() * 4) == 0, lc.name);
    // Another stream or seed gives other bits.
    quantize(xs, pieces, f, r, {11, 23, 0});
    CHECK(std::memcmp(whole.data(), pieces.data(), xs.size() * 4) != 0);
    quantize(xs, pieces, f, r, {12, 22, 0});
    CHECK(std::memcmp(whole.data(), pieces.data(), xs.size() * 4) != 0);
  }
}

TEST_CASE("stochastic calls without a stream take a fresh default stream each; explicit ones repeat") {
  const float_format f = fmt::float8_e4m3fn;
  const rounding sr{round_mode::stochastic};
  std::vector<float> xs(3000, 1.0f / 3), a(xs.size()), b(xs.size()), want(xs.size());
  std::vector<std::uint8_t> codes(xs.size()), want_codes(xs.size());
  reset_default_sr_stream(42);
  quantize(xs, a, f);  // deterministic calls claim no stream
  encode(xs, std::span<std::uint8_t>(codes), f, {round_mode::toward_zero});
  quantize(xs, a, f, sr);      // the first default stream: seed 42, id 2^63
  quantize(xs, b, f, sr, {});  // {} is no stream too: the second, id 2^63 + 1
  encode(xs, std::span<std::uint8_t>(codes), f, sr);  // the third
  CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) != 0);
  const std::uint64_t base = std::uint64_t{1} << 63;
  quantize(xs, want, f, sr, sr_stream{42, base, 0});
  CHECK(std::memcmp(a.data(), want.data(), a.size() * 4) == 0);
  quantize(xs, want, f, sr, sr_stream{42, base + 1, 0});
  CHECK(std::memcmp(b.data(), want.data(), b.size() * 4) == 0);
  encode(xs, std::span<std::uint8_t>(want_codes), f, sr, sr_stream{42, base + 2, 0});
  CHECK(codes == want_codes);
  const sr_stream next = next_default_sr_stream();
  CHECK(next.seed == 42);
  CHECK(next.stream == base + 3);
  // An explicit stream, sr_stream{} included, gives the same bits on every call.
  quantize(xs, a, f, sr, sr_stream{});
  quantize(xs, b, f, sr, sr_stream{});
  CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
  // Restarting repeats the sequence of default streams.
  reset_default_sr_stream(42);
  quantize(xs, b, f, sr);
  quantize(xs, want, f, sr, sr_stream{42, base, 0});
  CHECK(std::memcmp(b.data(), want.data(), b.size() * 4) == 0);
  reset_default_sr_stream();
}

TEST_CASE("in place, unaligned pointers and every length up to 200 give the same bits") {
  std::vector<float> xs(260);
  test::splitmix64 rng{5};
  for (auto& x : xs) x = float(double(rng() >> 11) * 0x1p-53 * 1000 - 500);
  for (const level_config& lc : levels()) {
    const scoped_config scope(lc, 1);
    for (const rounding& r : {rounding{}, rounding{round_mode::stochastic}}) {
      for (std::size_t start = 0; start < 3; ++start)
        for (std::size_t n = 0; n <= 200; n += (n < 70 ? 1 : 13)) {
          std::span<const float> in(xs.data() + start, n);
          std::vector<float> out(n), inplace(in.begin(), in.end());
          quantize(in, out, fmt::float16, r, {1, 2, start});
          quantize(std::span<float>(inplace), fmt::float16, r, {1, 2, start});
          for (std::size_t i = 0; i < n; ++i) {
            const float want = expected_value(in[i], fmt::float16, r, {1, 2, start}, i);
            REQUIRE_MESSAGE(bits_of(out[i]) == bits_of(want), lc.name << " n=" << n << " i=" << i);
            REQUIRE(bits_of(inplace[i]) == bits_of(want));
          }
        }
    }
  }
}

// Runs of 1024 and more start with the elements before the output's first 64-byte boundary
// (bulk.hpp, line_aligned): at every placement of input and output relative to a cache line,
// the bits are the scalar core's, in place too, and nothing outside the output is written.
TEST_CASE("long spans give the same bits wherever input and output sit relative to a cache line") {
  constexpr std::size_t n = 1500;
  std::vector<float> xs(n);
  std::vector<double> xd(n);
  test::splitmix64 rng{11};
  const float specials[] = {NAN, -INFINITY, 1e30f, -0.0f, 1e-42f};
  for (std::size_t i = 0; i < n; ++i) {
    xs[i] = i % 97 == 5 ? specials[i / 97 % 5] : float(double(std::int64_t(rng()) >> 11) * 0x1p-50);
    xd[i] = double(xs[i]) * (1 + 0x1p-40);
  }
  // two blocks of `size` bytes from a 64-byte boundary on; a span starts `at` bytes into one
  constexpr std::size_t size = n * 8 + 128;
  std::vector<unsigned char> in_raw(size + 64), out_raw(size + 64);
  const auto line_start = [](std::vector<unsigned char>& raw) {
    return raw.data() + (64 - reinterpret_cast<std::uintptr_t>(raw.data()) % 64) % 64;
  };
  unsigned char* const in_block = line_start(in_raw);
  unsigned char* const out_block = line_start(out_raw);
  for (const float_format& f : {fmt::float16, fmt::bfloat16, fmt::float8_e4m3fn})
    for (const rounding r : {rounding{}, rounding{round_mode::toward_zero}, rounding{round_mode::stochastic}}) {
      const sr_stream stream{3, 4, 5};
      std::vector<float> want(n), want_decoded(n);
      std::vector<double> want_d(n);
      std::vector<std::uint16_t> want_codes(n);
      for (std::size_t i = 0; i < n; ++i) {
        want[i] = expected_value(xs[i], f, r, stream, i);
        want_d[i] = expected_value(xd[i], f, r, stream, i);
        want_codes[i] = std::uint16_t(expected_code(xs[i], f, r, stream, i));
        want_decoded[i] = detail::to_float(decode(want_codes[i], f));
      }
      const bool byte = storage_bits(f) <= 8;
      for (const level_config& lc : levels()) {
        const scoped_config scope(lc, 1);
        for (std::size_t in_at = 0; in_at < 64; in_at += 16)
          for (std::size_t out_at = 0; out_at < 64; out_at += 4) {
            std::size_t bad = 0;
            // call(output) writes `bytes` bytes at out_at; every other byte of the block stays
            const auto guarded = [&](std::size_t bytes, auto call) {
              std::memset(out_block, 0x5A, size);
              call(out_block + out_at);
              for (std::size_t k = 0; k < size; ++k) bad += (k < out_at || k >= out_at + bytes) && out_block[k] != 0x5A;
            };
            auto* x = reinterpret_cast<float*>(in_block + in_at);
            std::copy(xs.begin(), xs.end(), x);
            guarded(n * 4, [&](unsigned char* at) {
              auto* y = reinterpret_cast<float*>(at);
              quantize(std::span<const float>(x, n), std::span<float>(y, n), f, r, stream);
              for (std::size_t i = 0; i < n; ++i) bad += bits_of(y[i]) != bits_of(want[i]);
              std::copy(xs.begin(), xs.end(), y);
              quantize(std::span<float>(y, n), f, r, stream);
              for (std::size_t i = 0; i < n; ++i) bad += bits_of(y[i]) != bits_of(want[i]);
            });
            guarded(n * 2, [&](unsigned char* at) {
              auto* c = reinterpret_cast<std::uint16_t*>(at);
              encode(std::span<const float>(x, n), std::span<std::uint16_t>(c, n), f, r, stream);
              for (std::size_t i = 0; i < n; ++i) bad += c[i] != want_codes[i];
            });
            if (byte)
              guarded(n, [&](unsigned char* c) {
                encode(std::span<const float>(x, n), std::span<std::uint8_t>(c, n), f, r, stream);
                for (std::size_t i = 0; i < n; ++i) bad += c[i] != want_codes[i];
              });
            auto* c16 = reinterpret_cast<std::uint16_t*>(in_block + in_at);
            std::copy(want_codes.begin(), want_codes.end(), c16);
            guarded(n * 4, [&](unsigned char* at) {
              auto* y = reinterpret_cast<float*>(at);
              decode(std::span<const std::uint16_t>(c16, n), std::span<float>(y, n), f);
              for (std::size_t i = 0; i < n; ++i) bad += bits_of(y[i]) != bits_of(want_decoded[i]);
            });
            if (byte) {
              std::uint8_t* c8 = in_block + in_at;
              std::copy(want_codes.begin(), want_codes.end(), c8);
              guarded(n * 4, [&](unsigned char* at) {
                auto* y = reinterpret_cast<float*>(at);
                decode(std::span<const std::uint8_t>(c8, n), std::span<float>(y, n), f);
                for (std::size_t i = 0; i < n; ++i) bad += bits_of(y[i]) != bits_of(want_decoded[i]);
              });
            }
            auto* xin = reinterpret_cast<double*>(in_block + in_at);
            std::copy(xd.begin(), xd.end(), xin);
            if (out_at % alignof(double) == 0)
              guarded(n * 8, [&](unsigned char* at) {
                auto* y = reinterpret_cast<double*>(at);
                quantize(std::span<const double>(xin, n), std::span<double>(y, n), f, r, stream);
                for (std::size_t i = 0; i < n; ++i) bad += bits_of(y[i]) != bits_of(want_d[i]);
              });
            CHECK_MESSAGE(bad == 0, lc.name << " " << f.exponent_bits << "/" << f.mantissa_bits << " " << describe(r)
                                            << " input at +" << in_at << " output at +" << out_at << ": " << bad);
          }
      }
    }
}

TEST_CASE("float outputs past the streaming size (32 MiB) equal the scalar core, aligned or not") {
  // Past detail::stream_out_bytes the fast path stores with streaming stores from the first
  // vector-aligned element on; an output one float off alignment puts a head and a tail around
  // that loop. Inputs: N(0,1) with every 997th element a special value or a value past max.
  const std::size_t n = detail::stream_out_bytes / sizeof(float) + 21;
  std::vector<float> x(n), want(n), got(n + 2);
  std::uint64_t state = 1;
  for (std::size_t i = 0; i < n; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const float specials[] = {NAN, -INFINITY, 1e30f, -0.0f, 1e-42f};
    x[i] = i % 997 == 0 ? specials[(i / 997) % 5] : float(std::ldexp(double(std::int64_t(state) >> 11), -52));
  }
  for (const float_format& f : {fmt::bfloat16, fmt::float16, fmt::float8_e4m3fn})
    for (const round_mode m : {round_mode::nearest_even, round_mode::toward_zero}) {
      {
        const scoped_config scope(levels().front(), 1);  // the scalar level: the reference
        quantize(std::span<const float>(x), std::span<float>(want), f, m);
      }
      for (const level_config& lc : levels())
        for (std::size_t off : {0u, 1u}) {
          const scoped_config scope(lc, 2);
          got.assign(n + 2, 7.0f);
          quantize(std::span<const float>(x), std::span<float>(got.data() + off, n), f, m);
          std::size_t bad = n;
          for (std::size_t i = 0; i < n && bad == n; ++i)
            if (bits_of(got[off + i]) != bits_of(want[i])) bad = i;
          CHECK_MESSAGE(bad == n, f.exponent_bits << "/" << f.mantissa_bits << " " << to_string(m) << " level "
                                               << lc.name << " offset " << off << " element " << bad);
          CHECK(got[off ? 0 : n] == 7.0f);  // nothing written outside
          CHECK(got[off + n] == 7.0f);
        }
    }
}

TEST_CASE("compile-time formats give the runtime bits") {
  std::vector<float> xs(1000), a(1000), b(1000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = float(i) * 0.0137f - 3;
  quantize<fmt::float8_e5m2>(xs, a, {round_mode::stochastic}, {4, 4, 4});
  quantize(xs, b, fmt::float8_e5m2, {round_mode::stochastic}, {4, 4, 4});
  CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
}

TEST_CASE("misuse is rejected with std::invalid_argument naming the problem") {
  std::vector<float> x(10), y(9), z(10);
  std::vector<std::uint8_t> c8(10);
  const auto message = [](auto&& f) { return test::invalid_argument_message(f); };
  CHECK(message([&] { quantize(x, y, fmt::float16); }).find("out has 9 elements, in has 10") != std::string::npos);
  CHECK(message([&] { encode(x, std::span<std::uint8_t>(c8), fmt::float16); }).find("16 bits do not fit") != std::string::npos);
  CHECK(message([&] { decode(std::span<const std::uint8_t>(c8), std::span<float>(z), fmt::bfloat16); }).find("do not fit") != std::string::npos);
  CHECK(message([&] {
          quantize(std::span<const float>(x.data(), 8), std::span<float>(x.data() + 1, 8), fmt::float16);
        }).find("overlap") != std::string::npos);
  CHECK(message([&] {
          encode(std::span<const float>(x.data(), 2), std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(x.data()), 2),
                 fmt::float8_e4m3fn);
        }).find("overlap") != std::string::npos);
  float_format bad = fmt::float16;
  bad.mantissa_bits = 60;
  CHECK(message([&] { quantize(x, z, bad); }).find("mantissa_bits") != std::string::npos);
  CHECK_THROWS_AS(set_simd_level(simd_level(99)), std::invalid_argument);
}

TEST_CASE("packing: 4-bit codes two per byte (low nibble first), 6-bit four per three bytes, any 1..8") {
  const std::uint8_t nib[] = {0x1, 0xA, 0xF, 0x3, 0x7};
  std::uint8_t p4[3];
  pack(nib, p4, 4);
  CHECK(p4[0] == 0xA1);
  CHECK(p4[1] == 0x3F);
  CHECK(p4[2] == 0x07);  // padding bits zero
  const std::uint8_t six[] = {0x3F, 0x00, 0x15, 0x2A};  // bits: 111111 000000 010101 101010
  std::uint8_t p6[3];
  pack(six, p6, 6);
  CHECK(p6[0] == 0x3F);                // 00|111111
  CHECK(p6[1] == 0x50);                // 0101|0000
  CHECK(p6[2] == 0xA9);                // 101010|01
  test::splitmix64 rng{9};
  for (int bits = 1; bits <= 8; ++bits)
    for (std::size_t n : {0, 1, 2, 3, 7, 8, 9, 63, 64, 65, 1001}) {
      std::vector<std::uint8_t> codes(n), back(n), packed(packed_size(n, bits));
      for (auto& c : codes) c = std::uint8_t(rng() & ((1u << bits) - 1));
      pack(codes, packed, bits);
      // Independent bit-stream reading: code i is bits [i*bits, (i+1)*bits) LSB first.
      for (std::size_t i = 0; i < n; ++i) {
        unsigned v = 0;
        for (int k = 0; k < bits; ++k) {
          const std::size_t bit = i * bits + k;
          v |= ((packed[bit / 8] >> (bit % 8)) & 1u) << k;
        }
        REQUIRE(v == codes[i]);
      }
      unpack(packed, back, bits);
      CHECK(back == codes);
    }
  const std::uint8_t too_wide[] = {0x10};
  std::uint8_t one[1];
  CHECK_THROWS_AS(pack(too_wide, one, 4), std::invalid_argument);
  CHECK_THROWS_AS(pack(nib, std::span<std::uint8_t>(p4, 2), 4), std::invalid_argument);
  CHECK_THROWS_AS(pack(nib, p4, 9), std::invalid_argument);
}

TEST_CASE("encode_packed / decode_packed equal encode + pack / unpack + decode") {
  std::vector<float> xs(10007), back(xs.size()), want(xs.size());
  test::splitmix64 rng{10};
  for (auto& x : xs) x = float(double(rng() >> 11) * 0x1p-53 * 16 - 8);
  for (const float_format& f : {fmt::float4_e2m1fn, fmt::float6_e2m3fn, fmt::float6_e3m2fn, fmt::float8_e4m3fn}) {
    const int bits = storage_bits(f);
    const rounding r{round_mode::stochastic};
    const sr_stream s{1, 2, 3};
    std::vector<std::uint8_t> codes(xs.size()), packed(packed_size(xs.size(), bits)), direct(packed.size());
    encode(xs, std::span<std::uint8_t>(codes), f, r, s);
    pack(codes, packed, bits);
    encode_packed(xs, direct, f, r, s);
    CHECK(direct == packed);
    decode(std::span<const std::uint8_t>(codes), std::span<float>(want), f);
    decode_packed(direct, back, f);
    CHECK(std::memcmp(back.data(), want.data(), want.size() * 4) == 0);
  }
  std::vector<std::uint8_t> small(3);
  CHECK_THROWS_AS(encode_packed(xs, small, fmt::float4_e2m1fn), std::invalid_argument);
  CHECK_THROWS_AS(encode_packed(xs, small, fmt::float16), std::invalid_argument);
}

