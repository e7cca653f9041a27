// The value types: floatx's representation, conversions and promotion rules, rounding policies
// and scopes, stochastic rounding streams, numeric_limits, hashing, text, classification,
// nextafter, standard-library use and generic code; intx's rounding and saturation. Arithmetic
// results themselves are checked against the oracle in test_arith.
#include <algorithm>
#include <cfenv>
#include <iomanip>
#include <charconv>
#include <numeric>
#include <random>
#include <thread>
#include <tuple>
#include <unordered_set>

#include "support.hpp"

namespace {

using namespace precsim;

// ---- representation ---------------------------------------------------------------------------

static_assert(sizeof(float8_e4m3fn) == 1 && sizeof(float4_e2m1fn) == 1 && sizeof(float6_e3m2fn) == 1);
static_assert(sizeof(bfloat16) == 2 && sizeof(float16) == 2);
static_assert(sizeof(floatx<formats::float32>) == 4 && sizeof(floatx<float_format{8, 29, 127}>) == 8);
static_assert(std::is_same_v<float8_e8m0fnu::code_type, std::uint8_t>);
static_assert(std::is_trivially_copyable_v<float8_e4m3fn> && std::is_trivially_copyable_v<bfloat16>);
static_assert(std::is_standard_layout_v<float16> && std::is_trivially_default_constructible_v<float16>);
// Constant evaluation: 0.3 is 0x2A in E4M3 (0.3125), and arithmetic folds at compile time.
static_assert(float8_e4m3fn(0.3).bits() == 0x2A);
static_assert(static_cast<double>(float8_e4m3fn(0.3) + float8_e4m3fn(1)) == 1.25);
static_assert(static_cast<double>(sqrt(bfloat16(2.0))) == 1.4140625);
static_assert(static_cast<double>(bfloat16(1) / bfloat16(3)) == 0x1.56p-2);

TEST_CASE("from_bits and bits round-trip every code; bits above the format are ignored") {
  for (unsigned c = 0; c < 256; ++c) {
    CHECK(float8_e5m2::from_bits(std::uint8_t(c)).bits() == c);
    CHECK(float4_e2m1fn::from_bits(std::uint8_t(c)).bits() == (c & 0xF));
    CHECK(static_cast<double>(float6_e2m3fn::from_bits(std::uint8_t(c))) ==
          decode(c & 0x3F, formats::float6_e2m3fn));
  }
}

// Values of formats up to 8 bits come from a table built at compile time (floatx.hpp,
// value_table), normal codes of IEEE-style 16-bit ones from their fields placed in a double's
// (decode_normal_first): every code's double has decode's bits (NaN payloads, -0, subnormals),
// and constant evaluation, which reads no table, agrees.
template <float_format F>
void check_values() {
  using T = floatx<F>;
  for (std::uint64_t c = 0; c < code_count(F); ++c) {
    const double got = static_cast<double>(T::from_bits(typename T::code_type(c)));
    CHECK_MESSAGE(detail::bit_cast<std::uint64_t>(got) == detail::bit_cast<std::uint64_t>(decode(c, F)),
                  "code " << c << " of " << format_name(F));
  }
}
static_assert(static_cast<double>(float8_e4m3fn::from_bits(0xFE)) == -448.0);
static_assert(static_cast<double>(float8_e5m2::from_bits(0x01)) == 0x1p-16);
static_assert(static_cast<double>(float16::from_bits(0x3C01)) == 1 + 0x1p-10);

TEST_CASE("a value of a format up to 16 bits converts to decode's double, bit for bit") {
  check_values<formats::float8_e4m3fn>();
  check_values<formats::float8_e5m2>();
  check_values<formats::float8_e4m3fnuz>();
  check_values<formats::float8_e8m0fnu>();
  check_values<formats::float6_e3m2fn>();
  check_values<formats::float4_e2m1fn>();
  check_values<float_format{3, 4, 3, true, subnormal_mode::flush}>();
  check_values<formats::float16>();
  check_values<formats::bfloat16>();
  check_values<float_format{6, 9, 31, true, subnormal_mode::flush}>();
  check_values<float_format{4, 7, -5}>();   // 12 bits, every value above 1
  check_values<float_format{7, 8, 200}>();  // normal numbers down to 2^-199
}

// ---- conversions -----------------------------------------------------------------------------

TEST_CASE("construction from built-in numbers rounds the exact value once") {
  constexpr float_format wide{8, 29, 127};
  const oracle::extremes ext(wide);
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; ++i) {
    // 64-bit integers are not all doubles: rounding them through double would round twice.
    const std::int64_t v = static_cast<std::int64_t>(rng()) >> (rng() % 40);
    for (round_mode m : {round_mode::nearest_even, round_mode::toward_positive, round_mode::to_odd}) {
      const rounding_scope scope({m});
      oracle::exact e;
      e.neg = v < 0;
      e.zero = v == 0;
      e.mag = boost::multiprecision::abs(oracle::cpp_rational(v));
      const oracle::value want = oracle::round_result(e, wide, ext, {m}, 0);
      CHECK(oracle::decode(floatx<wide>(v).bits(), wide) == want);
    }
  }
  for (int i = -1000; i <= 1000; ++i) CHECK(float8_e5m2(i).bits() == encode(double(i), formats::float8_e5m2));
  for (std::uint32_t b = 0; b < 0xFFFFFFFF - 99991; b += 99991) {
    const float x = detail::bit_cast<float>(b);
    CHECK(bfloat16(x).bits() == encode(x, formats::bfloat16));
    CHECK(float8_e4m3fn(double(x)).bits() == encode(double(x), formats::float8_e4m3fn));
  }
}

// Brute force: every value of `inner` (NaN, infinities, signed zeros included) survives the
// conversion to `outer` unchanged.
bool contains_by_values(const float_format& outer, const float_format& inner) {
  for (std::uint64_t c = 0; c < code_count(inner); ++c) {
    const double v = decode(c, inner);
    const double back = decode(encode(v, outer), outer);
    if (v != v ? back == back : (back != v || std::signbit(back) != std::signbit(v))) return false;
  }
  return true;
}

TEST_CASE("conversion between floatx types is implicit exactly when every value fits") {
  std::vector<test::named> small;
  for (const test::named& nf : test::named_formats())
    if (storage_bits(nf.f) <= 8) small.push_back(nf);
  for (const test::named& nf : test::p3109_formats(6)) small.push_back(nf);
  small.push_back({"float16", formats::float16});
  small.push_back({"bfloat16", formats::bfloat16});
  for (const auto& outer : small)
    for (const auto& inner : small) {
      INFO(inner.name << " in " << outer.name);
      CHECK(detail::contains(outer.f, inner.f) == contains_by_values(outer.f, inner.f));
    }
  static_assert(std::is_convertible_v<float8_e4m3fn, float16>);
  static_assert(std::is_convertible_v<float8_e4m3fn, bfloat16>);
  static_assert(std::is_convertible_v<float4_e2m1fn, float6_e2m3fn>);
  static_assert(!std::is_convertible_v<float16, float8_e4m3fn>);     // lossy: explicit only
  static_assert(!std::is_convertible_v<float8_e5m2, float8_e4m3fn>);
  static_assert(std::is_constructible_v<float8_e4m3fn, float16>);
  CHECK(static_cast<double>(float8_e4m3fn(float16(0.3))) == 0.3125);
}

template <class A, class B>
concept addable = requires(A a, B b) { a + b; };

TEST_CASE("mixed operations follow the promotion rules") {
  // Same type; the containing type; the floatx type with built-in numbers.
  static_assert(std::is_same_v<decltype(float8_e4m3fn() * float8_e4m3fn()), float8_e4m3fn>);
  static_assert(std::is_same_v<decltype(float8_e4m3fn() + float16()), float16>);
  static_assert(std::is_same_v<decltype(bfloat16() - float8_e5m2()), bfloat16>);
  static_assert(std::is_same_v<decltype(float8_e4m3fn() * 0.5), float8_e4m3fn>);
  static_assert(std::is_same_v<decltype(2 * float4_e2m1fn()), float4_e2m1fn>);
  // Neither holds the other: no operator (convert explicitly).
  static_assert(!addable<float8_e5m2, float8_e4m3fn>);
  static_assert(!addable<float16, bfloat16>);
  // Same format, different rounding: ambiguous on purpose.
  static_assert(!addable<float8_e4m3fn, floatx<formats::float8_e4m3fn, rounding{round_mode::toward_zero}>>);
  // The built-in operand is rounded to the type first, like a constant held in that format.
  const float8_e4m3fn x(1.5);
  CHECK((x * 0.3).bits() == (x * float8_e4m3fn(0.3)).bits());
  CHECK((x + 17).bits() == (x + float8_e4m3fn(17)).bits());
  CHECK(static_cast<double>(float8_e4m3fn(0.3) + float16(0.1)) ==
        decode(rounded_add(0.3125, decode(encode(0.1, formats::float16), formats::float16), formats::float16),
               formats::float16));
}

TEST_CASE("comparisons are exact and IEEE: NaN unordered, -0 == +0") {
  for (unsigned a = 0; a < 256; ++a)
    for (unsigned b = 0; b < 256; ++b) {
      const auto x = float8_e5m2::from_bits(std::uint8_t(a)), y = float8_e5m2::from_bits(std::uint8_t(b));
      const oracle::value va = oracle::decode(a, formats::float8_e5m2), vb = oracle::decode(b, formats::float8_e5m2);
      const bool unordered = va.kind == oracle::value::nan || vb.kind == oracle::value::nan;
      // The oracle's order: infinities at the ends, zeros equal whatever their signs.
      auto key = [](const oracle::value& v) {
        const double m = v.kind == oracle::value::inf ? 1e300 : v.mag;
        return v.neg ? -m : m;
      };
      CHECK((x == y) == (!unordered && key(va) == key(vb)));
      CHECK((x < y) == (!unordered && key(va) < key(vb)));
      CHECK((x >= y) == (!unordered && key(va) >= key(vb)));
      CHECK((x != y) == !(x == y));
    }
  const float8_e4m3fn x(0.3);  // 0.3125
  CHECK(x == 0.3125);
  CHECK(x != 0.3);  // not rounded for the comparison
  CHECK(x > 0.3f);
  CHECK(x < 1);
  CHECK(float8_e4m3fn(-0.0) == 0);
  // 64-bit integers compare exactly, not through double.
  using f64 = floatx<formats::float64>;
  constexpr std::int64_t big = (std::int64_t{1} << 53) + 1;
  CHECK(f64(double(std::int64_t{1} << 53)) < big);
  CHECK(f64(double(std::int64_t{1} << 53)) != big);
  CHECK(f64(9.3e18) < std::numeric_limits<std::uint64_t>::max());
  CHECK(f64(-1.0) < std::uint64_t{0});
  // Across floatx types.
  CHECK(float8_e4m3fn(0.3) == float16(0.3125));
  CHECK(float8_e4m3fn(0.3) < float8_e5m2(0.375));
}

// ---- rounding policies -----------------------------------------------------------------------

TEST_CASE("the type's rounding applies, and a rounding_scope overrides it until it ends") {
  using tz = floatx<formats::float8_e4m3fn, rounding{round_mode::toward_zero}>;
  using sat = floatx<formats::float8_e4m3fn, rounding{round_mode::nearest_even, saturation::finite}>;
  const double third = 1.0 / 3;
  CHECK(tz(third).bits() == encode(third, formats::float8_e4m3fn, {round_mode::toward_zero}));
  CHECK((tz(1) / tz(3)).bits() == tz(third).bits());
  CHECK(float8_e4m3fn(1000.0).bits() == 0x7F);  // NaN: E4M3FN overflows to NaN
  CHECK(sat(1000.0).bits() == 0x7E);            // 448
  CHECK((sat(400) + sat(400)).bits() == 0x7E);
  {
    const rounding_scope up({round_mode::toward_positive});
    CHECK(float8_e4m3fn(third).bits() == encode(third, formats::float8_e4m3fn, {round_mode::toward_positive}));
    CHECK(tz(third).bits() == float8_e4m3fn(third).bits());  // the scope wins over the type
    {
      const rounding_scope down({round_mode::toward_negative});
      CHECK((float8_e4m3fn(1) / float8_e4m3fn(3)).bits() ==
            encode(third, formats::float8_e4m3fn, {round_mode::toward_negative}));
    }
    CHECK((float8_e4m3fn(1) / float8_e4m3fn(3)).bits() ==
          encode(third, formats::float8_e4m3fn, {round_mode::toward_positive}));
  }
  CHECK(float8_e4m3fn(third).bits() == encode(third, formats::float8_e4m3fn));
  CHECK(tz(third).bits() == encode(third, formats::float8_e4m3fn, {round_mode::toward_zero}));
}

TEST_CASE("a rounding_scope keeps the type's saturation unless it says from_scope") {
  using sat = floatx<formats::float8_e4m3fn, rounding{round_mode::nearest_even, saturation::finite}>;
  {
    const rounding_scope scope({round_mode::stochastic});  // 400 * 400 overflows: still 448
    CHECK((sat(400) * sat(400)).bits() == 0x7E);
    CHECK((float8_e4m3fn(400) * float8_e4m3fn(400)).bits() == 0x7F);  // the type's none: NaN
  }
  {
    const rounding_scope scope({round_mode::stochastic, saturation::none}, {}, scope_saturation::from_scope);
    CHECK((sat(400) * sat(400)).bits() == 0x7F);
  }
  {
    const rounding_scope scope({round_mode::nearest_even, saturation::finite}, {}, scope_saturation::from_scope);
    CHECK((float8_e4m3fn(400) * float8_e4m3fn(400)).bits() == 0x7E);
  }
}

TEST_CASE("stochastic rounding is reproducible from its stream and unbiased") {
  const rounding sr{round_mode::stochastic};
  auto run = [&](sr_stream s) {
    const rounding_scope scope(sr, s);
    std::vector<std::uint8_t> out;
    for (int i = 0; i < 2000; ++i) out.push_back((float8_e4m3fn(1) / float8_e4m3fn(3)).bits());
    return out;
  };
  CHECK(run({1, 0, 0}) == run({1, 0, 0}));
  CHECK(run({1, 0, 0}) != run({2, 0, 0}));
  CHECK(run({1, 0, 0}) != run({1, 1, 0}));
  // The k-th stochastic rounding in a scope uses word offset + k of the stream (every rounding
  // draws one, exact ones too: conversions inside the scope would count).
  {
    const float8_e4m3fn one(1), three(3);
    const sr_stream s{5, 3, 100};
    const rounding_scope scope(sr, s);
    for (std::uint64_t k = 0; k < 50; ++k)
      CHECK((one / three).bits() == rounded_div(1, 3, formats::float8_e4m3fn, sr, random_u64(s, 100 + k)));
  }
  // Unbiased: 1/3 lies between e4m3 neighbours lo < 1/3 < hi; P(hi) = (1/3 - lo) / (hi - lo).
  const double lo = 0.3125, hi = 0.34375, p = (1.0 / 3 - lo) / (hi - lo);
  const int n = 200000;
  int ups = 0;
  {
    const rounding_scope scope(sr, {77, 0, 0});
    for (int i = 0; i < n; ++i) ups += float8_e4m3fn(1) / float8_e4m3fn(3) == hi;
  }
  CHECK(std::abs(ups - n * p) < 5 * std::sqrt(n * p * (1 - p)));
  // Types whose own rounding is stochastic draw from the thread's stream (set_sr_stream).
  using sr8 = floatx<formats::float8_e4m3fn, rounding{round_mode::stochastic}>;
  auto draw = [] {
    std::vector<std::uint8_t> out;
    for (int i = 0; i < 100; ++i) out.push_back(sr8(0.3).bits());
    return out;
  };
  set_sr_stream({9, 0, 0});
  const auto first = draw();
  set_sr_stream({9, 0, 0});
  CHECK(draw() == first);
  CHECK(std::count(first.begin(), first.end(), 0x2A) > 0);  // 0.3125
  CHECK(std::count(first.begin(), first.end(), 0x29) > 0);  // 0.28125
}

// ---- numeric_limits --------------------------------------------------------------------------

template <class T, class U>
void limits_equal() {
  using L = std::numeric_limits<T>;
  using M = std::numeric_limits<U>;
  static_assert(L::is_specialized && L::is_signed == M::is_signed && L::is_integer == M::is_integer);
  static_assert(L::has_infinity == M::has_infinity && L::has_quiet_NaN == M::has_quiet_NaN);
  static_assert(L::has_signaling_NaN == M::has_signaling_NaN && L::has_denorm == M::has_denorm);
  static_assert(L::is_iec559 == M::is_iec559 && L::round_style == M::round_style);
  static_assert(L::digits == M::digits && L::digits10 == M::digits10 && L::max_digits10 == M::max_digits10);
  static_assert(L::min_exponent == M::min_exponent && L::max_exponent == M::max_exponent);
  static_assert(L::min_exponent10 == M::min_exponent10 && L::max_exponent10 == M::max_exponent10);
  CHECK(static_cast<U>(L::min()) == M::min());
  CHECK(static_cast<U>(L::max()) == M::max());
  CHECK(static_cast<U>(L::lowest()) == M::lowest());
  CHECK(static_cast<U>(L::epsilon()) == M::epsilon());
  CHECK(static_cast<U>(L::round_error()) == M::round_error());
  CHECK(static_cast<U>(L::infinity()) == M::infinity());
  CHECK(static_cast<U>(L::denorm_min()) == M::denorm_min());
  CHECK(std::isnan(static_cast<U>(L::quiet_NaN())));
  CHECK(std::isnan(static_cast<U>(L::signaling_NaN())));
}

TEST_CASE("threads without a stream draw from default streams of their own; a context hands a scope to workers") {
  using sr_e4m3 = floatx<formats::float8_e4m3fn, rounding{round_mode::stochastic}>;
  const rounding sr{round_mode::stochastic};
  auto draws = [] {
    std::vector<std::uint8_t> out;
    for (int i = 0; i < 256; ++i) out.push_back((sr_e4m3(1) / sr_e4m3(3)).bits());
    return out;
  };
  // Two fresh threads: distinct default streams (top bit set), so distinct words; a stream is
  // claimed once, and replaying it on another thread reproduces the thread's draws.
  std::vector<std::uint8_t> seq[2];
  sr_stream used[2];
  for (int t = 0; t < 2; ++t)
    std::thread([&, t] {
      seq[t] = draws();
      used[t] = current_rounding_context().state.stream;
    }).join();
  CHECK(seq[0] != seq[1]);
  CHECK(used[0].stream != used[1].stream);
  CHECK((used[0].stream >> 63) == 1u);
  for (int t = 0; t < 2; ++t)
    std::thread([&, t] {
      set_sr_stream(used[t]);
      CHECK(draws() == seq[t]);
    }).join();
  // A scope does not reach other threads; a captured context does, with disjoint words per worker.
  const float8_e4m3fn one(1), three(3);  // (inside a scope, conversions draw words too)
  const std::uint8_t nearest = (one / three).bits();
  const sr_stream s{8, 9, 10};
  const rounding_scope scope(sr, s);
  (void)(one / three);  // one word drawn here before the capture
  const rounding_context ctx = current_rounding_context();
  std::thread([&] { CHECK((one / three).bits() == nearest); }).join();
  for (std::uint64_t k = 0; k < 3; ++k)
    std::thread([&, k] {
      const rounding_scope worker(ctx, k);
      for (std::uint64_t i = 0; i < 20; ++i)
        CHECK((one / three).bits() ==
              rounded_div(1, 3, formats::float8_e4m3fn, sr, random_u64(s, 10 + 1 + (k + 1) * (std::uint64_t{1} << 40) + i)));
    }).join();
}

TEST_CASE("vectors of floatx are outputs of encode / quantize and inputs of decode, bit for bit") {
  std::vector<float> x = test::dense_inputs<float>(formats::float8_e4m3fn);
  for (float v : {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN}) x.push_back(v);
  test::splitmix64 rng{5};
  for (int i = 0; i < 3000; ++i) x.push_back(float(double(rng() >> 11) * 0x1p-53 * 2000 - 1000));
  std::vector<double> xd(x.begin(), x.end());
  auto check = [&](auto type_tag) {
    using T = decltype(type_tag);
    INFO(format_name(T::format));
    std::vector<T> v(x.size()), vq(x.size()), vd(x.size());
    encode(x, v);
    quantize(x, vq);
    encode(xd, vd);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const T want(x[i]);  // the type's own rounding, element by element
      if (isnan(want)) {
        CHECK(isnan(v[i]));  // (the NaN code may carry another sign)
      } else {
        CHECK(v[i].bits() == want.bits());
      }
      CHECK(vq[i].bits() == v[i].bits());
      CHECK(vd[i].bits() == v[i].bits());
    }
    // codes(): the same memory, no copy; const ranges give const codes.
    auto c = codes(v);
    static_assert(std::is_same_v<decltype(c), std::span<typename T::code_type>>);
    static_assert(std::is_same_v<decltype(codes(std::as_const(v))), std::span<const typename T::code_type>>);
    CHECK(static_cast<const void*>(c.data()) == static_cast<const void*>(v.data()));
    CHECK(c.size() == v.size());
    c[0] = v[1].bits();
    CHECK(v[0].bits() == v[1].bits());
    // decode: y[i] == float(v[i]) (NaN stays NaN), from a const vector and a span.
    const std::vector<T>& cv = v;
    std::vector<float> y(x.size());
    std::vector<double> yd(x.size());
    decode(cv, y);
    decode(std::span<const T>(cv), yd);
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float want = static_cast<float>(v[i]);
      CHECK((std::memcmp(&y[i], &want, 4) == 0 || (std::isnan(y[i]) && std::isnan(want))));
      CHECK((yd[i] == static_cast<double>(v[i]) || (std::isnan(yd[i]) && isnan(v[i]))));
    }
  };
  check(bfloat16{});
  check(float16{});
  check(float8_e4m3fn{});
  check(float8_e5m2{});
  check(float6_e2m3fn{});
  check(floatx<formats::float8_e4m3fn, rounding{round_mode::toward_zero, saturation::finite}>{});
  check(floatx<float_format{8, 29, 127}>{});  // 38-bit storage: 64-bit codes
  // The call's rounding overrides the type's; stochastic rounding takes the span API's words.
  std::vector<float8_e4m3fn> a(x.size()), b(x.size());
  std::vector<std::uint8_t> want(x.size());
  const rounding sr{round_mode::stochastic};
  encode(x, a, sr, sr_stream{3, 4, 5});
  encode(x, std::span<std::uint8_t>(want), formats::float8_e4m3fn, sr, sr_stream{3, 4, 5});
  for (std::size_t i = 0; i < x.size(); ++i) CHECK(a[i].bits() == want[i]);
  encode(x, b, sr);  // a fresh default stream: other bits
  CHECK(!std::equal(a.begin(), a.end(), b.begin(), [](auto p, auto q) { return p.bits() == q.bits(); }));
  // Misuse is the span API's: sizes must match.
  std::vector<bfloat16> short_out(3);
  CHECK_THROWS_AS(encode(x, short_out), std::invalid_argument);
  // A read-only range is not an output.
  static_assert(detail::floatx_range<std::vector<bfloat16>&, false>);
  static_assert(!detail::floatx_range<const std::vector<bfloat16>&, false>);
  static_assert(!detail::floatx_range<std::span<const bfloat16>, false>);
  static_assert(detail::floatx_range<std::span<const bfloat16>, true>);
  static_assert(!detail::floatx_range<std::vector<float>&, true>);
}

TEST_CASE("numeric_limits of floatx<float32> and floatx<float64> equal those of float and double") {
  limits_equal<floatx<formats::float32>, float>();
  limits_equal<floatx<formats::float64>, double>();
}

// Every member against values found by scanning the codes with the oracle's decoder.
template <float_format F>
void limits_match_oracle(const std::string& name) {
  using L = std::numeric_limits<floatx<F>>;
  INFO(name);
  double maxv = 0, minpos = 1e308, minnormal = 1e308, lowest = 1e308, above_one = 1e308;
  bool inf = false, nan = false, has_one = false;
  for (std::uint64_t c = 0; c < code_count(F); ++c) {
    const oracle::value v = oracle::decode(c, F);
    if (v.kind == oracle::value::inf) inf = true;
    if (v.kind == oracle::value::nan) nan = true;
    if (v.kind != oracle::value::finite) continue;
    const double x = v.neg ? -v.mag : v.mag;
    lowest = std::min(lowest, x);
    if (x <= 0) continue;
    maxv = std::max(maxv, x);
    minpos = std::min(minpos, x);
    // Normal: the value keeps full precision (its significand needs the top bit).
    if (x >= std::ldexp(1.0, oracle::emin_of(F))) minnormal = std::min(minnormal, x);
    if (x == 1) has_one = true;
    if (x > 1) above_one = std::min(above_one, x);
  }
  CHECK(L::has_infinity == inf);
  CHECK(L::has_quiet_NaN == nan);
  CHECK(static_cast<double>(L::max()) == maxv);
  CHECK(static_cast<double>(L::lowest()) == lowest);
  CHECK(static_cast<double>(L::min()) == minnormal);
  CHECK(static_cast<double>(L::denorm_min()) == minpos);
  CHECK((L::has_denorm == std::denorm_present) == (minpos < minnormal));
  if (has_one) CHECK(static_cast<double>(L::epsilon()) == above_one - 1);
  CHECK(L::digits == F.mantissa_bits + 1);
  CHECK(L::digits10 == static_cast<int>(std::floor((L::digits - 1) * std::log10(2.0L))));
  CHECK(L::max_digits10 == static_cast<int>(std::ceil(L::digits * std::log10(2.0L))) + 1);
  CHECK(L::max_exponent == std::ilogb(maxv) + 1);
  CHECK(L::min_exponent == std::ilogb(minnormal) + 1);
  CHECK(L::max_exponent10 == static_cast<int>(std::floor(std::log10(maxv))));
  CHECK(L::min_exponent10 == static_cast<int>(std::ceil(std::log10(minnormal))));
  if (inf) CHECK(std::isinf(static_cast<double>(L::infinity())));
  if (nan) CHECK(std::isnan(static_cast<double>(L::quiet_NaN())));
}

TEST_CASE("numeric_limits members match the oracle for the named and P3109 formats") {
  limits_match_oracle<formats::float16>("float16");
  limits_match_oracle<formats::bfloat16>("bfloat16");
  limits_match_oracle<formats::float8_e4m3fn>("float8_e4m3fn");
  limits_match_oracle<formats::float8_e5m2>("float8_e5m2");
  limits_match_oracle<formats::float8_e4m3fnuz>("float8_e4m3fnuz");
  limits_match_oracle<formats::float8_e5m2fnuz>("float8_e5m2fnuz");
  limits_match_oracle<formats::float8_e4m3b11fnuz>("float8_e4m3b11fnuz");
  limits_match_oracle<formats::float8_e3m4>("float8_e3m4");
  limits_match_oracle<formats::float8_e8m0fnu>("float8_e8m0fnu");
  limits_match_oracle<formats::float6_e3m2fn>("float6_e3m2fn");
  limits_match_oracle<formats::float6_e2m3fn>("float6_e2m3fn");
  limits_match_oracle<formats::float4_e2m1fn>("float4_e2m1fn");
  limits_match_oracle<formats::p3109(8, 3, true, true)>("binary8p3se");
  limits_match_oracle<formats::p3109(8, 1, true, false)>("binary8p1sf");
  limits_match_oracle<formats::p3109(8, 5, false, true)>("binary8p5ue");
  limits_match_oracle<formats::p3109(6, 2, true, true)>("binary6p2se");
}

// ---- hashing, text ---------------------------------------------------------------------------

constexpr float_format flush_e4m3{4, 3, 7, true, subnormal_mode::flush};

TEST_CASE("std::hash gives equal values equal hashes") {
  using T = floatx<flush_e4m3>;  // every 0.m code is a zero here
  const std::hash<T> h;
  for (unsigned a = 0; a < 256; ++a)
    for (unsigned b = 0; b < 256; ++b) {
      const T x = T::from_bits(std::uint8_t(a)), y = T::from_bits(std::uint8_t(b));
      if (x == y) CHECK(h(x) == h(y));
    }
  std::unordered_set<float16> set{float16(0.0), float16(-0.0), float16(1.0), float16(1.0)};
  CHECK(set.size() == 2);
}

// Shortest significant-digit count a decimal in the rounding interval of value code c can have,
// from the oracle: the interval is bounded by the midpoints to the neighbouring values (closed
// when ties round to c), and k digits fit when some multiple of 10^(e - k + 1) lies inside.
int shortest_digits(const float_format& f, std::uint64_t c, const std::vector<double>& sorted) {
  using oracle::cpp_int;
  using oracle::cpp_rational;
  const double v = decode(c, f);
  const auto it = std::lower_bound(sorted.begin(), sorted.end(), v);
  const bool even = (encode(v, f) & 1) == 0 || f.mantissa_bits == 0;
  const cpp_rational lo = (cpp_rational(*(it - 1)) + cpp_rational(v)) / 2;  // v is interior
  const cpp_rational hi = (cpp_rational(*(it + 1)) + cpp_rational(v)) / 2;
  const bool lo_in = even, hi_in = even;
  const int e = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  for (int k = 1; k <= 17; ++k) {
    const int p = e - k + 1;  // unit 10^p
    cpp_rational unit = 1;
    for (int i = 0; i < std::abs(p); ++i) unit = p > 0 ? cpp_rational(unit * 10) : cpp_rational(unit / 10);
    const cpp_rational a = lo / unit, b = hi / unit;
    const cpp_int first = oracle::floor_int(a);  // a > 0
    for (cpp_int m = first; m <= first + 20; ++m) {
      const cpp_rational x(m);
      if ((x > a || (lo_in && x == a)) && (x < b || (hi_in && x == b))) return k;
      if (x > b) break;
    }
  }
  return 17;
}

int significant_digits(const std::string& s) {
  int n = 0;
  bool started = false;
  std::string digits;
  for (char ch : s) {
    if (ch == 'e') break;
    if (ch >= '0' && ch <= '9') {
      if (ch != '0') started = true;
      if (started) digits += ch;
    }
  }
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  n = static_cast<int>(digits.size());
  return n;
}

template <float_format F>
void check_text(const std::string& name) {
  using T = floatx<F>;
  std::vector<double> sorted{0.0};  // the positive values and the zero below them
  for (std::uint64_t c = 0; c < code_count(F); ++c) {
    const double v = decode(c, F);
    if (v == v && v - v == 0 && v > 0) sorted.push_back(v);
  }
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (std::uint64_t c = 0; c < code_count(F); ++c) {
    const T x = T::from_bits(static_cast<typename T::code_type>(c));
    const std::string s = to_string(x);
    INFO(name << ' ' << test::hex(c) << " -> " << s);
    std::istringstream in(s);
    T back;
    in >> back;
    REQUIRE(!in.fail());
    CHECK(((isnan(x) && isnan(back)) || (back == x && signbit(back) == signbit(x))));
    const double v = static_cast<double>(x);
    // Shortness where both neighbours are values (above the largest, overflow rules decide).
    if (v > 0 && v < sorted.back()) CHECK(significant_digits(s) == shortest_digits(F, c, sorted));
  }
}

TEST_CASE("to_string round-trips every code and is as short as possible") {
  check_text<formats::float8_e4m3fn>("float8_e4m3fn");
  check_text<formats::float8_e5m2>("float8_e5m2");
  check_text<formats::float8_e4m3fnuz>("float8_e4m3fnuz");
  check_text<formats::float8_e8m0fnu>("float8_e8m0fnu");
  check_text<formats::float4_e2m1fn>("float4_e2m1fn");
  check_text<formats::p3109(8, 1, true, true)>("binary8p1se");
}

TEST_CASE("to_string of floatx<float32> has as many digits as std::to_chars of the float") {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100000; ++i) {
    const float f = detail::bit_cast<float>(std::uint32_t(rng()));
    if (f != f) continue;
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    const std::string ours = to_string(floatx<formats::float32>(f));
    INFO(ours << " vs " << std::string(buf, res.ptr));
    float back = 0;
    std::from_chars(ours.data(), ours.data() + ours.size(), back);
    CHECK(detail::bit_cast<std::uint32_t>(back) == detail::bit_cast<std::uint32_t>(f));
    CHECK(significant_digits(ours) == significant_digits(std::string(buf, res.ptr)));
  }
}

TEST_CASE("streams: shortest by default, the stream's settings with fixed or scientific") {
  std::ostringstream os;
  os << float8_e4m3fn(0.3) << ' ' << std::fixed << std::setprecision(5) << float8_e4m3fn(0.3);
  CHECK(os.str() == "0.3 0.31250");
  std::istringstream in("0.3 +1.5,-inf nan junk");
  float8_e5m2 x, y, z, w, v;
  in >> x >> y;
  CHECK(x == 0.3125);
  CHECK(y == 1.5);
  CHECK(in.get() == ',');
  in >> z >> w;
  CHECK(isinf(z));
  CHECK(z < 0);
  CHECK(isnan(w));
  in >> v;
  CHECK(in.fail());
  CHECK(v == 0);
  CHECK(bits_string(float8_e4m3fn(0.3)) == "0b0|0101|010");
  CHECK(bits_string(float8_e8m0fnu(4.0)) == "0b10000001");
}

// ---- classification, nextafter, min/max ------------------------------------------------------

template <float_format F>
void check_classification_and_nextafter(const std::string& name) {
  using T = floatx<F>;
  INFO(name);
  std::vector<double> values;  // every distinct non-NaN value, infinities included
  for (std::uint64_t c = 0; c < code_count(F); ++c) {
    const T x = T::from_bits(static_cast<typename T::code_type>(c));
    const oracle::value v = oracle::decode(c, F);
    CHECK(isnan(x) == (v.kind == oracle::value::nan));
    CHECK(isinf(x) == (v.kind == oracle::value::inf));
    CHECK(isfinite(x) == (v.kind == oracle::value::finite));
    CHECK(isnormal(x) == (v.kind == oracle::value::finite && v.mag >= std::ldexp(1.0, oracle::emin_of(F))));
    if (v.kind != oracle::value::nan) {
      CHECK(signbit(x) == v.neg);
      values.push_back(static_cast<double>(x));
    }
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  const T top(std::numeric_limits<double>::infinity()), bottom(-std::numeric_limits<double>::infinity());
  const T up_target = has_inf(F) ? top : std::numeric_limits<T>::max();
  for (std::size_t i = 0; i + 1 < values.size(); ++i) {
    const T x(values[i]), y(values[i + 1]);
    INFO(values[i] << " -> " << values[i + 1]);
    CHECK(static_cast<double>(nextafter(x, up_target)) == values[i + 1]);
    CHECK(static_cast<double>(nextafter(y, x)) == values[i]);
  }
  (void)bottom;
  // Past the largest finite value: the format's overflow value.
  const T maxv = std::numeric_limits<T>::max();
  CHECK(nextafter(maxv, maxv) == maxv);
  CHECK(nextafter(T::from_bits(static_cast<typename T::code_type>(max_finite_code(F) - 1)), maxv) == maxv);
}

TEST_CASE("classification matches the oracle and nextafter steps to the adjacent value") {
  check_classification_and_nextafter<formats::float8_e4m3fn>("float8_e4m3fn");
  check_classification_and_nextafter<formats::float8_e5m2>("float8_e5m2");
  check_classification_and_nextafter<formats::float8_e4m3fnuz>("float8_e4m3fnuz");
  check_classification_and_nextafter<formats::float8_e8m0fnu>("float8_e8m0fnu");
  check_classification_and_nextafter<formats::float4_e2m1fn>("float4_e2m1fn");
  check_classification_and_nextafter<flush_e4m3>("e4m3 flush");
  check_classification_and_nextafter<formats::bfloat16>("bfloat16");
  // IEEE: from a zero toward -1 gives -min subnormal; from -min subnormal toward +1 gives -0.
  const float8_e5m2 tiny = std::numeric_limits<float8_e5m2>::denorm_min();
  CHECK(nextafter(float8_e5m2(0), float8_e5m2(-1)) == -tiny);
  CHECK(signbit(nextafter(-tiny, float8_e5m2(1))));
  CHECK(isinf(nextafter(std::numeric_limits<float8_e5m2>::max(), float8_e5m2(INFINITY))));
}

TEST_CASE("abs, min, max and copysign follow IEEE 754-2019") {
  const float8_e5m2 nan = std::numeric_limits<float8_e5m2>::quiet_NaN(), one(1), two(2);
  CHECK(min(nan, one) == one);
  CHECK(max(one, nan) == one);
  CHECK(isnan(min(nan, nan)));
  CHECK(signbit(min(float8_e5m2(0.0), float8_e5m2(-0.0))));
  CHECK(!signbit(max(float8_e5m2(-0.0), float8_e5m2(0.0))));
  CHECK(min(one, two) == one);
  CHECK(max(-one, -two) == -one);
  CHECK(abs(-two) == two);
  CHECK(copysign(two, -one) == -two);
  CHECK(fabs(float8_e5m2(-0.0)) == 0);
  CHECK(!signbit(fabs(float8_e5m2(-0.0))));
  // FNUZ: the one NaN is the would-be -0 code; abs and negation keep NaN NaN and zero +0.
  const float8_e4m3fnuz qnan = std::numeric_limits<float8_e4m3fnuz>::quiet_NaN();
  CHECK(qnan.bits() == 0x80);
  CHECK(isnan(abs(qnan)));
  CHECK(isnan(-qnan));
  CHECK((-float8_e4m3fnuz(0)).bits() == 0x00);
  // Unsigned: negating a positive value has no result (NaN without saturation).
  CHECK(isnan(-float8_e8m0fnu(2)));
  // Integer conversion truncates and saturates instead of being undefined.
  CHECK(static_cast<int>(float8_e4m3fn(-2.75)) == -2);
  CHECK(static_cast<std::int8_t>(float8_e4m3fn(448)) == 127);
  CHECK(static_cast<unsigned>(float8_e4m3fn(-3)) == 0);
  CHECK(static_cast<int>(nan) == 0);
}

#if defined(__FLT16_MANT_DIG__)
TEST_CASE("_Float16 conversions match the compiler's") {
  for (std::uint32_t c = 0; c < 65536; ++c) {
    const _Float16 h = detail::bit_cast<_Float16>(std::uint16_t(c));
    CHECK(float16(h).bits() == c);  // exact
    const bfloat16 b = bfloat16::from_bits(std::uint16_t(c));
    const _Float16 want = static_cast<_Float16>(static_cast<float>(b));  // float -> half, RNE
    const _Float16 got = static_cast<_Float16>(b);
    CHECK((detail::bit_cast<std::uint16_t>(got) == detail::bit_cast<std::uint16_t>(want) ||
           (got != got && want != want)));
  }
}
#endif

// ---- standard library and generic code -------------------------------------------------------

TEST_CASE("floatx works in std::vector, std::sort, std::accumulate and std::max_element") {
  std::vector<bfloat16> v;
  for (int i = 0; i < 100; ++i) v.push_back(bfloat16(std::sin(i * 0.7) * 10));
  std::sort(v.begin(), v.end());
  CHECK(std::is_sorted(v.begin(), v.end()));
  CHECK(*std::max_element(v.begin(), v.end()) == v.back());
  // accumulate adds left to right in bfloat16: the same as an explicit loop of rounded adds.
  double expect = 0;
  for (const bfloat16& x : v) expect = decode(rounded_add(expect, double(x), formats::bfloat16), formats::bfloat16);
  CHECK(static_cast<double>(std::accumulate(v.begin(), v.end(), bfloat16(0))) == expect);
}

// Generic numeric code, written once for any scalar type.
template <class T>
T dot(const std::vector<T>& a, const std::vector<T>& b) {
  T s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}
template <class T>
std::vector<T> matmul(const std::vector<T>& a, const std::vector<T>& b, int n) {
  std::vector<T> c(n * n, T(0));
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      T s = 0;
      for (int k = 0; k < n; ++k) s = s + a[i * n + k] * b[k * n + j];
      c[i * n + j] = s;
    }
  return c;
}
template <class T>
T newton_sqrt(T x) {
  T y = x;
  for (int i = 0; i < 8; ++i) y = (y + x / y) * T(0.5);
  return y;
}

// The same routines with every operation written out as a double operation followed by
// quantize. For precision <= 25 and round to nearest, rounding the double result again equals
// rounding the exact result once (the bound floatx relies on nowhere; it is what makes this
// reference valid).
struct explicit_quantize {
  float_format f;
  double q(double x) const { return quantize(x, f); }
  double dot(const std::vector<double>& a, const std::vector<double>& b) const {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s = q(s + q(a[i] * b[i]));
    return s;
  }
  std::vector<double> matmul(const std::vector<double>& a, const std::vector<double>& b, int n) const {
    std::vector<double> c(n * n, 0);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) {
        double s = 0;
        for (int k = 0; k < n; ++k) s = q(s + q(a[i * n + k] * b[k * n + j]));
        c[i * n + j] = s;
      }
    return c;
  }
  double newton_sqrt(double x) const {
    double y = x;
    for (int i = 0; i < 8; ++i) y = q(q(y + q(x / y)) * q(0.5));
    return y;
  }
};

template <class T>
void generic_equals_explicit(const std::string& name) {
  INFO(name);
  const explicit_quantize ref{T::format};
  std::mt19937_64 rng(17);
  std::normal_distribution<double> normal(0, 1);
  const int n = 6;
  std::vector<T> a, b;
  std::vector<double> ad, bd;
  for (int i = 0; i < n * n; ++i) {
    a.push_back(T(normal(rng)));
    b.push_back(T(normal(rng)));
    ad.push_back(static_cast<double>(a.back()));
    bd.push_back(static_cast<double>(b.back()));
  }
  CHECK(static_cast<double>(dot(a, b)) == ref.dot(ad, bd));
  const std::vector<T> c = matmul(a, b, n);
  const std::vector<double> cd = ref.matmul(ad, bd, n);
  for (int i = 0; i < n * n; ++i) CHECK(static_cast<double>(c[i]) == cd[i]);
  for (double x : {2.0, 0.3, 5.5, 100.0}) {
    const T t(x);
    CHECK(static_cast<double>(newton_sqrt(t)) == ref.newton_sqrt(static_cast<double>(t)));
  }
}

TEST_CASE("generic routines on floatx equal the same routines with quantize after every operation") {
  generic_equals_explicit<bfloat16>("bfloat16");
  generic_equals_explicit<float16>("float16");
  generic_equals_explicit<float8_e4m3fn>("float8_e4m3fn");
  generic_equals_explicit<float8_e5m2>("float8_e5m2");
  generic_equals_explicit<float6_e2m3fn>("float6_e2m3fn");
  generic_equals_explicit<float4_e2m1fn>("float4_e2m1fn");
  generic_equals_explicit<floatx<formats::float32>>("float32 as a format");
  // And float32 as a format is float itself.
  const std::vector<float> a{1.1f, 2.2f, -3.3f}, b{0.7f, -1.9f, 2.8f};
  std::vector<floatx<formats::float32>> ax(a.begin(), a.end()), bx(b.begin(), b.end());
  CHECK(static_cast<float>(dot(ax, bx)) == dot(a, b));
  CHECK(static_cast<float>(newton_sqrt(floatx<formats::float32>(2.0f))) == newton_sqrt(2.0f));
}

// ---- intx ------------------------------------------------------------------------------------

static_assert(sizeof(intx<4>) == 1 && sizeof(intx<8, false>) == 1 && sizeof(intx<12>) == 2 &&
              sizeof(intx<32>) == 4);
static_assert(intx<4>::min_value == -8 && intx<4>::max_value == 7 && intx<4, false>::max_value == 15);
static_assert(intx<8>(2.5).value() == 2 && intx<8>(3.5).value() == 4);  // ties to even

// Rounding to an integer with <cmath> under the matching hardware rounding, written apart from
// the library's grid-format approach.
double round_to_integer(double x, round_mode m) {
  switch (m) {
    case round_mode::nearest_even: return std::nearbyint(x);  // default environment: ties even
    case round_mode::nearest_away: return std::round(x);
    case round_mode::toward_zero: return std::trunc(x);
    case round_mode::toward_positive: return std::ceil(x);
    case round_mode::toward_negative: return std::floor(x);
    case round_mode::to_odd: {
      const double t = std::trunc(x);
      return t != x && std::fmod(t, 2) == 0 ? t + (x > 0 ? 1 : -1) : t;
    }
    case round_mode::stochastic: break;
  }
  return x;
}

template <int Bits, bool Signed>
void check_intx_rounding() {
  using I = intx<Bits, Signed>;
  INFO(Bits << (Signed ? " signed" : " unsigned"));
  std::mt19937_64 rng(Bits);
  const double span = std::ldexp(1.0, Bits + 1);
  for (int i = 0; i < 20000; ++i) {
    double x = (double(rng() >> 11) / 9007199254740992.0 * 2 - 1) * span;
    if (i % 4 == 0) x = std::round(x) + 0.5;  // ties
    if (i % 7 == 0) x = std::ldexp(x, 40);     // far out of range
    for (int m = 0; m < int(round_mode::stochastic); ++m) {
      const rounding_scope scope({round_mode(m)});
      const double want = std::clamp(round_to_integer(x, round_mode(m)), double(I::min_value), double(I::max_value));
      CHECK(static_cast<double>(I(x).value()) == want);
    }
  }
  CHECK(I(std::numeric_limits<double>::quiet_NaN()).value() == 0);
  CHECK(I(std::numeric_limits<double>::infinity()).value() == I::max_value);
  CHECK(I(-std::numeric_limits<double>::infinity()).value() == I::min_value);
}

TEST_CASE("intx rounds floating point to integers in every mode and saturates") {
  check_intx_rounding<2, true>();
  check_intx_rounding<4, true>();
  check_intx_rounding<4, false>();
  check_intx_rounding<8, true>();
  check_intx_rounding<13, false>();
  check_intx_rounding<32, true>();
  check_intx_rounding<32, false>();
  // Stochastic: 2.3 becomes 3 with probability 0.3.
  const rounding_scope scope({round_mode::stochastic}, {3, 0, 0});
  int threes = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) threes += intx<8>(2.3).value() == 3;
  CHECK(std::abs(threes - 0.3 * n) < 5 * std::sqrt(n * 0.3 * 0.7));
  // From floatx values.
  CHECK(intx<4>(float8_e4m3fn(5.5)).value() == 6);
}

TEST_CASE("intx arithmetic saturates and division by zero throws") {
  using i4 = intx<4>;
  using u4 = intx<4, false>;
  CHECK((i4(7) + i4(1)).value() == 7);
  CHECK((i4(-8) - i4(1)).value() == -8);
  CHECK((i4(-8) * i4(-1)).value() == 7);
  CHECK((-i4(-8)).value() == 7);
  CHECK((i4(-8) / i4(-1)).value() == 7);
  CHECK((i4(7) / i4(2)).value() == 3);
  CHECK((i4(-7) % i4(2)).value() == -1);
  CHECK((u4(3) - u4(5)).value() == 0);
  CHECK(u4(100).value() == 15);
  CHECK(i4(-100).value() == -8);
  CHECK(intx<32>(std::int64_t{1} << 40).value() == std::numeric_limits<std::int32_t>::max());
  CHECK_THROWS_AS(i4(1) / i4(0), std::domain_error);
  CHECK_THROWS_AS(i4(1) % i4(0), std::domain_error);
  CHECK(i4(3) < i4(4));
  CHECK(std::numeric_limits<i4>::max().value() == 7);
  CHECK(std::numeric_limits<u4>::digits == 4);
  CHECK(to_string(i4(-3)) == "-3");
  CHECK(intx<8, false>('a').value() == 97);
  CHECK(intx<8>(std::numeric_limits<std::uint64_t>::max()).value() == 127);
  CHECK(intx<8, false>(std::int64_t{-5}).value() == 0);
}

}  // namespace
