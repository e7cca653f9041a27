// Correctly rounded arithmetic against the exact oracle (Boost rationals, IEEE special cases
// written out in oracle.hpp): every pair of values of the small named formats (through floatx
// operators under a rounding_scope) and of P3109 8-bit formats (through rounded_*), random and
// edge pairs of 16-bit formats and of a 30-bit-precision format where computing in double and
// rounding again goes wrong; every rounding mode. The exact 128-bit path is checked on its own
// as well, since the host fast path answers most deterministic cases before it.
#include <random>

#include "support.hpp"

namespace {

using namespace precsim;
using test::named;

enum class op { add, sub, mul, div, sqrt };
constexpr const char* op_names[] = {"+", "-", "*", "/", "sqrt"};

// The roundings every case is checked under: all modes, stochastic with 64 (exact proportional)
// and with 4 random bits in each P3109 variant, and the saturating policies.
std::vector<rounding> all_roundings() {
  std::vector<rounding> out;
  for (int m = 0; m <= int(round_mode::stochastic); ++m) out.push_back({round_mode(m)});
  for (sr_variant v : {sr_variant::a, sr_variant::b, sr_variant::c})
    out.push_back({round_mode::stochastic, saturation::none, 4, v});
  out.push_back({round_mode::nearest_even, saturation::finite});
  out.push_back({round_mode::toward_positive, saturation::propagate});
  return out;
}

oracle::value negated(oracle::value v) {
  v.neg = !v.neg;
  return v;
}

oracle::exact exact_result(op o, const oracle::value& a, const oracle::value& b, bool toward_neg) {
  switch (o) {
    case op::add: return oracle::add(a, b, toward_neg);
    case op::sub: return oracle::add(a, negated(b), toward_neg);
    case op::mul: return oracle::mul(a, b);
    case op::div: return oracle::div(a, b);
    case op::sqrt: break;
  }
  return oracle::sqrt(a);
}

std::uint64_t exact_path(op o, double a, double b, const float_format& f, const rounding& r,
                         std::uint64_t w) {
  switch (o) {
    case op::add: return detail::exact_rounded_add(a, b, f, r, w);
    case op::sub: return detail::exact_rounded_add(a, -b, f, r, w);
    case op::mul: return detail::exact_rounded_mul(a, b, f, r, w);
    case op::div: return detail::exact_rounded_div(a, b, f, r, w);
    case op::sqrt: break;
  }
  return detail::exact_rounded_sqrt(a, f, r, w);
}

std::uint64_t public_path(op o, double a, double b, const float_format& f, const rounding& r,
                          std::uint64_t w) {
  switch (o) {
    case op::add: return rounded_add(a, b, f, r, w);
    case op::sub: return rounded_sub(a, b, f, r, w);
    case op::mul: return rounded_mul(a, b, f, r, w);
    case op::div: return rounded_div(a, b, f, r, w);
    case op::sqrt: break;
  }
  return rounded_sqrt(a, f, r, w);
}

// The random word case `index` draws: what a rounding_scope with stream `index` hands its first
// stochastic rounding.
std::uint64_t word_for(std::uint64_t index) { return random_u64(sr_stream{7, index, 0}, 0); }

struct mismatches {
  long count = 0;
  std::string first;
  void add(const std::string& what) {
    if (count++ == 0) first = what;
  }
};

// Checks one operation on one pair of codes under every rounding. `typed` is the result of the
// path under test (floatx operators or rounded_*), given the rounding and the case index.
template <class Typed>
void check_case(const named& nf, const oracle::extremes& ext, op o, std::uint64_t ca,
                std::uint64_t cb, const std::vector<rounding>& roundings, std::uint64_t index,
                Typed typed, mismatches& bad) {
  const float_format& f = nf.f;
  const oracle::value va = oracle::decode(ca, f), vb = oracle::decode(cb, f);
  const double a = precsim::decode(ca, f), b = precsim::decode(cb, f);
  const oracle::exact e = exact_result(o, va, vb, false);
  const bool finite_nonzero = e.kind == oracle::value::finite && !e.zero;
  const oracle::analysis an =
      finite_nonzero ? oracle::analyze_exact(numerator(e.mag), denominator(e.mag), oracle::exact_input_ulp, f)
                     : oracle::analysis{};
  for (std::size_t k = 0; k < roundings.size(); ++k) {
    const rounding& r = roundings[k];
    const std::uint64_t w = word_for(index * 16 + k);
    // The sign of an exact zero sum depends on the direction (toward_negative gives -0).
    const bool zero_sum = e.kind == oracle::value::finite && e.zero;
    const oracle::value want =
        zero_sum && r.mode == round_mode::toward_negative
            ? oracle::round_result(exact_result(o, va, vb, true), f, ext, r, w)
            : oracle::round_exact(e, an, f, ext, r, w);
    const std::uint64_t got_typed = typed(o, ca, cb, r, index * 16 + k);
    const std::uint64_t got_exact = exact_path(o, a, b, f, r, w);
    for (const std::uint64_t got : {got_typed, got_exact}) {
      if (oracle::decode(got, f) == want) continue;
      std::ostringstream msg;
      msg << nf.name << ": " << test::hex(ca) << ' ' << op_names[int(o)] << ' ' << test::hex(cb)
          << " (" << va << ' ' << op_names[int(o)] << ' ' << vb << ") mode "
          << to_string(r.mode) << " sat " << to_string(r.saturate) << " bits " << r.random_bits
          << ": got " << oracle::decode(got, f) << (got == got_exact ? " (exact path)" : " (typed)")
          << ", want " << want;
      bad.add(msg.str());
    }
  }
}

// Every pair of codes (and every code for sqrt) of nf, through `typed`.
template <class Typed>
void check_all_pairs(const named& nf, Typed typed) {
  const oracle::extremes ext(nf.f);
  const std::vector<rounding> roundings = all_roundings();
  const std::uint64_t n = code_count(nf.f);
  mismatches bad;
  std::uint64_t index = 0;
  for (std::uint64_t a = 0; a < n; ++a) {
    check_case(nf, ext, op::sqrt, a, 0, roundings, index++, typed, bad);
    for (std::uint64_t b = 0; b < n; ++b)
      for (op o : {op::add, op::sub, op::mul, op::div})
        check_case(nf, ext, o, a, b, roundings, index++, typed, bad);
  }
  INFO(bad.first);
  CHECK(bad.count == 0);
}

// floatx<F> operators, the rounding chosen by a rounding_scope whose stream hands the case's
// random word to the one stochastic rounding of the operation.
template <float_format F>
std::uint64_t via_floatx(op o, std::uint64_t ca, std::uint64_t cb, const rounding& r,
                         std::uint64_t index) {
  using T = floatx<F>;
  const T a = T::from_bits(static_cast<typename T::code_type>(ca));
  const T b = T::from_bits(static_cast<typename T::code_type>(cb));
  const rounding_scope scope(r, sr_stream{7, index, 0}, scope_saturation::from_scope);
  switch (o) {
    case op::add: return (a + b).bits();
    case op::sub: return (a - b).bits();
    case op::mul: return (a * b).bits();
    case op::div: return (a / b).bits();
    case op::sqrt: break;
  }
  return sqrt(a).bits();
}

// rounded_* with a run-time format.
auto via_functions(const float_format& f) {
  return [f](op o, std::uint64_t ca, std::uint64_t cb, const rounding& r, std::uint64_t index) {
    return public_path(o, decode(ca, f), decode(cb, f), f, r, word_for(index));
  };
}

template <float_format F>
void all_pairs_named(const char* name) {
  SUBCASE(name) { check_all_pairs({name, F}, via_floatx<F>); }
}

TEST_CASE("every pair of values of the small named formats rounds like the exact oracle") {
  all_pairs_named<formats::float8_e4m3fn>("float8_e4m3fn");
  all_pairs_named<formats::float8_e5m2>("float8_e5m2");
  all_pairs_named<formats::float8_e4m3fnuz>("float8_e4m3fnuz");
  all_pairs_named<formats::float8_e5m2fnuz>("float8_e5m2fnuz");
  all_pairs_named<formats::float8_e4m3b11fnuz>("float8_e4m3b11fnuz");
  all_pairs_named<formats::float8_e3m4>("float8_e3m4");
  all_pairs_named<formats::float8_e8m0fnu>("float8_e8m0fnu");
  all_pairs_named<formats::float6_e3m2fn>("float6_e3m2fn");
  all_pairs_named<formats::float6_e2m3fn>("float6_e2m3fn");
  all_pairs_named<formats::float4_e2m1fn>("float4_e2m1fn");
}

TEST_CASE("every pair of values of P3109 8-bit formats rounds like the exact oracle") {
  // Signed and unsigned, extended and finite, precision 1 (no mantissa) up to 7.
  for (const auto& [p, s, e] : std::vector<std::tuple<int, bool, bool>>{
           {1, true, true}, {3, true, true}, {4, true, false}, {7, true, true}, {3, false, true},
           {5, false, false}}) {
    const named nf{test::p3109_name(8, p, s, e), formats::p3109(8, p, s, e)};
    SUBCASE(nf.name.c_str()) { check_all_pairs(nf, via_functions(nf.f)); }
  }
}

// Values worth pairing in a wide format: zeros, the extremes and their neighbours, powers of
// two, values one spacing either side of them, and the specials.
std::vector<std::uint64_t> edge_codes(const float_format& f) {
  const int m = f.mantissa_bits;
  const std::uint64_t maxc = max_finite_code(f);
  std::vector<std::uint64_t> mags = {0, 1, 2, 3, maxc, maxc - 1, maxc - 2};
  for (std::uint64_t field = 1; field <= (maxc >> m); field += std::max<std::uint64_t>(1, (maxc >> m) / 7))
    for (std::uint64_t low : {std::uint64_t{0}, std::uint64_t{1}, detail::low_mask(m),
                              detail::low_mask(m) - 1, std::uint64_t{1} << (m - 1)})
      mags.push_back((field << m) | (low & detail::low_mask(m)));
  for (std::uint64_t c = maxc + 1; c <= detail::low_mask(f.exponent_bits + m) && c < maxc + 4; ++c)
    mags.push_back(c);  // infinities and NaNs
  mags.push_back(detail::low_mask(f.exponent_bits + m));
  std::vector<std::uint64_t> out;
  for (std::uint64_t c : mags) {
    out.push_back(c);
    if (f.is_signed) out.push_back(c | detail::sign_code(f, true));
  }
  return out;
}

// Random codes: uniform over all codes, and pairs with close exponents (where sums cancel).
void check_random_and_edges(const named& nf, int random_pairs) {
  const oracle::extremes ext(nf.f);
  const std::vector<rounding> roundings = all_roundings();
  const std::vector<std::uint64_t> edges = edge_codes(nf.f);
  const int k = storage_bits(nf.f);
  auto typed = via_functions(nf.f);
  mismatches bad;
  std::uint64_t index = 0;
  for (std::uint64_t a : edges)
    for (std::uint64_t b : edges)
      for (op o : {op::add, op::sub, op::mul, op::div, op::sqrt})
        check_case(nf, ext, o, a, b, roundings, index++, typed, bad);
  std::mt19937_64 rng(k * 1000 + nf.f.mantissa_bits);
  for (int i = 0; i < random_pairs; ++i) {
    const std::uint64_t a = rng() & detail::low_mask(k);
    std::uint64_t b = rng() & detail::low_mask(k);
    if (i % 2) b = (a ^ (rng() & detail::low_mask(nf.f.mantissa_bits))) ^ (rng() & 1 ? detail::sign_code(nf.f, true) : 0);
    for (op o : {op::add, op::sub, op::mul, op::div, op::sqrt})
      check_case(nf, ext, o, a, b, roundings, index++, typed, bad);
  }
  INFO(bad.first);
  CHECK(bad.count == 0);
}

TEST_CASE("16-bit formats: random and edge pairs round like the exact oracle") {
  for (const named& nf : {named{"float16", formats::float16}, named{"bfloat16", formats::bfloat16},
                          named{"binary16p11se", formats::p3109(16, 11, true, true)}}) {
    SUBCASE(nf.name.c_str()) { check_random_and_edges(nf, 3000); }
  }
}

// 8 exponent bits, precision 30: past the 25 bits where double rounding is innocuous.
constexpr float_format wide30{8, 29, 127};

TEST_CASE("a 30-bit-precision format: random and edge pairs round like the exact oracle") {
  check_random_and_edges({"e8m29", wide30}, 3000);
}

TEST_CASE("30-bit precision: results that computing in double then rounding gets wrong") {
  // Each exact result lies just beside a midpoint of the format; the double nearest to it is
  // the midpoint itself, so rounding the double result again ties the wrong way.
  const double u = 0x1p-29;  // spacing at 1
  struct crafted { op o; double a, b; };
  const crafted cases[] = {
      {op::add, 1.0, 0x1p-30 * (1 + u)},                  // 1 + half spacing + 2^-59
      {op::sub, 1.0 + 2 * u, 0x1p-30 * (1 + u)},          // just below a midpoint
      {op::mul, 1 + u, 1 + 0x1p-1 + u},                   // 60-bit product
      {op::div, 1.0, 1 + u},                              // 1 - u + u^2 - ...
      {op::sqrt, 1 + 2 * u, 0},                           // 1 + u - u^2/2 + ...
  };
  const oracle::extremes ext(wide30);
  mismatches bad;
  int double_rounding_wrong = 0;
  std::uint64_t index = 0;
  for (const crafted& c : cases) {
    const std::uint64_t ca = encode(c.a, wide30), cb = encode(c.b, wide30);
    REQUIRE(decode(ca, wide30) == c.a);  // operands are format values
    check_case({"e8m29", wide30}, ext, c.o, ca, cb, {rounding{}}, index++, via_functions(wide30), bad);
    // The naive way: operate in double, quantize the double result.
    const double naive = c.o == op::add ? c.a + c.b : c.o == op::sub ? c.a - c.b
                         : c.o == op::mul ? c.a * c.b : c.o == op::div ? c.a / c.b : std::sqrt(c.a);
    const oracle::value want =
        oracle::round_result(exact_result(c.o, oracle::decode(ca, wide30), oracle::decode(cb, wide30), false),
                             wide30, ext, {}, 0);
    if (!(oracle::decode(encode(naive, wide30), wide30) == want)) ++double_rounding_wrong;
  }
  INFO(bad.first);
  CHECK(bad.count == 0);
  // The cases do catch double rounding: the naive way fails on most of them.
  CHECK(double_rounding_wrong >= 3);
}

// The value types' own nearest-even rounding without a scope takes the inline fast path
// (arith.hpp, finish_fast<true>); the exact path, checked against the oracle above, is its
// reference, for + - * / sqrt and fma (c = a second operand's neighbour code).
template <float_format F>
void check_inline_path(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& pairs) {
  using T = floatx<F>;
  using code = typename T::code_type;
  mismatches bad;
  for (const auto& [ca, cb] : pairs) {
    const T a = T::from_bits(code(ca)), b = T::from_bits(code(cb)), c = T::from_bits(code(cb ^ 1));
    const double x = double(a), y = double(b), z = double(c);
    const std::pair<std::uint64_t, std::uint64_t> got_want[] = {
        {(a + b).bits(), detail::exact_rounded_add(x, y, F)},
        {(a - b).bits(), detail::exact_rounded_add(x, -y, F)},
        {(a * b).bits(), detail::exact_rounded_mul(x, y, F)},
        {(a / b).bits(), detail::exact_rounded_div(x, y, F)},
        {sqrt(a).bits(), detail::exact_rounded_sqrt(x, F)},
        {fma(a, b, c).bits(), detail::exact_rounded_fma(x, y, z, F)}};
    for (std::size_t k = 0; k < std::size(got_want); ++k)
      if (got_want[k].first != got_want[k].second)
        bad.add("op " + std::to_string(k) + " on " + test::hex(ca) + ", " + test::hex(cb) + ": got " +
                test::hex(got_want[k].first) + ", want " + test::hex(got_want[k].second));
  }
  INFO(bad.first);
  CHECK(bad.count == 0);
}

template <float_format F>
void inline_all_pairs() {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
  for (std::uint64_t a = 0; a < code_count(F); ++a)
    for (std::uint64_t b = 0; b < code_count(F); ++b) pairs.emplace_back(a, b);
  check_inline_path<F>(pairs);
}

template <float_format F>
void inline_random_pairs(int n) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
  const std::vector<std::uint64_t> edges = edge_codes(F);
  for (std::uint64_t a : edges)
    for (std::uint64_t b : edges) pairs.emplace_back(a, b);
  std::mt19937_64 rng(F.mantissa_bits);
  const std::uint64_t mask = detail::low_mask(storage_bits(F));
  for (int i = 0; i < n; ++i) {
    const std::uint64_t a = rng() & mask;
    pairs.emplace_back(a, i % 2 ? rng() & mask : a ^ (rng() & detail::low_mask(F.mantissa_bits)));
  }
  check_inline_path<F>(pairs);
}

TEST_CASE("value types outside a scope (the inline fast path) round like the exact path") {
  SUBCASE("float8_e4m3fn") { inline_all_pairs<formats::float8_e4m3fn>(); }
  SUBCASE("float8_e5m2") { inline_all_pairs<formats::float8_e5m2>(); }
  SUBCASE("float6_e3m2fn") { inline_all_pairs<formats::float6_e3m2fn>(); }
  SUBCASE("float4_e2m1fn") { inline_all_pairs<formats::float4_e2m1fn>(); }
  SUBCASE("float16") { inline_random_pairs<formats::float16>(100000); }
  SUBCASE("bfloat16") { inline_random_pairs<formats::bfloat16>(100000); }
  SUBCASE("e8m22") { inline_random_pairs<float_format{8, 22, 127}>(100000); }
}

TEST_CASE("division and square root take the double result as it is only for short operands") {
  // Rounding a double quotient or root again to nearest is exact for operands of <= 26 bits and
  // precision <= 23 (arith.hpp, innocuous_nearest). Longer operands can put the exact result
  // just beside a midpoint M of bfloat16's grid, whose double is M itself: the shortcut would
  // tie to even, the exact result rounds away from it.
  const double M = 1 + 0x1p-8;  // midpoint of 1 and 1 + 2^-7
  std::mt19937_64 rng(3);
  int beside = 0;
  mismatches bad;
  for (int i = 0; i < 2000; ++i) {
    const double b = 1 + double(rng() >> 12) * 0x1p-52;  // 53-bit divisor
    const double a = M * b;                              // rounded: a / b = M + tiny
    if (a / b != M) continue;
    ++beside;
    const std::uint64_t got = rounded_div(a, b, formats::bfloat16), want = detail::exact_rounded_div(a, b, formats::bfloat16);
    if (got != want) bad.add("bfloat16 " + std::to_string(a) + " / " + std::to_string(b));
  }
  const double s = M * M + 0x1p-52;  // sqrt(s) = M + 2^-53 / M: the double is M, the exact is above
  CHECK(std::sqrt(s) == M);
  CHECK(decode(rounded_sqrt(s, formats::bfloat16), formats::bfloat16) == 1 + 0x1p-7);
  CHECK(beside > 500);
  INFO(bad.first);
  CHECK(bad.count == 0);
  // Operands of 26 bits at precision 23: random pairs and roots equal the exact path.
  constexpr float_format e8m22{8, 22, 127};
  for (int i = 0; i < 200000; ++i) {
    const double a = std::ldexp(double((rng() >> 38) | 1ull << 25), int(rng() % 40) - 45);
    const double b = std::ldexp(double((rng() >> 38) | 1ull << 25), int(rng() % 40) - 45);
    if (rounded_div(a, b, e8m22) != detail::exact_rounded_div(a, b, e8m22)) bad.add("e8m22 div " + std::to_string(a));
    if (rounded_sqrt(a, e8m22) != detail::exact_rounded_sqrt(a, e8m22)) bad.add("e8m22 sqrt " + std::to_string(a));
  }
  INFO(bad.first);
  CHECK(bad.count == 0);
}

TEST_CASE("stochastic division rounds away from exactly the exact path's random words") {
  // Away iff R >= 2^n - k, k being the quotient's n bits below the format's last place (reduced
  // by the variant's rule): the threshold word, found by bisection on the exact 128-bit path,
  // pins all n bits of k and the variant's use of the bits below them (with 64 random bits a
  // sticky bit that decides is one in 2^64 at a random word: only the threshold shows it).
  constexpr float_format e8m22{8, 22, 127};
  struct fmt { const char* name; float_format f; int operand_bits; };
  const fmt formats_checked[] = {{"bfloat16", formats::bfloat16, 8}, {"float16", formats::float16, 11},
                                 {"float8_e4m3fn", formats::float8_e4m3fn, 4}, {"e8m22", e8m22, 26}};
  std::mt19937_64 rng(17);
  mismatches bad;
  long thresholds = 0;
  for (const fmt& ff : formats_checked) {
    const float_format& f = ff.f;
    for (int i = 0; i < 400; ++i) {
      // Operands of operand_bits significant bits (format values, or 26-bit ones for e8m22),
      // exponents anywhere from overflow down to the subnormal results.
      auto operand = [&] {
        const double sig = double((rng() >> (64 - ff.operand_bits)) | 1ull << (ff.operand_bits - 1));
        return std::ldexp(rng() & 1 ? -sig : sig, int(rng() % 24) - 12 - ff.operand_bits);
      };
      const double a = operand(), b = operand();
      for (const int n : {64, 63, 40, 8, 1})
        for (const sr_variant v : {sr_variant::a, sr_variant::b, sr_variant::c}) {
          const rounding r{round_mode::stochastic, saturation::none, n, v};
          const std::uint64_t top = detail::low_mask(n);
          auto exact = [&](std::uint64_t w) { return detail::exact_rounded_div(a, b, f, r, w); };
          std::vector<std::uint64_t> words = {0, top, rng() & top};
          if (exact(top) != exact(0)) {  // bisect: exact(lo) == exact(0) != exact(hi)
            std::uint64_t lo = 0, hi = top;
            while (hi - lo > 1) (exact(lo + (hi - lo) / 2) == exact(0) ? lo : hi) = lo + (hi - lo) / 2;
            words.insert(words.end(), {lo, hi});
            ++thresholds;
          }
          for (const std::uint64_t w : words) {
            if (rounded_div(a, b, f, r, w) != detail::exact_rounded_div(a, b, f, r, w))
              bad.add(std::string(ff.name) + " " + std::to_string(a) + " / " + std::to_string(b) +
                      " bits " + std::to_string(n) + " variant " + std::to_string(int(v)) + " word " +
                      test::hex(w));
          }
        }
    }
  }
  CHECK(thresholds > 15000);  // most cases are inexact and in range
  INFO(bad.first);
  CHECK(bad.count == 0);
}

TEST_CASE("fma rounds a*b+c once, like the exact oracle") {
  const std::vector<rounding> roundings = all_roundings();
  for (const named& nf : {named{"float8_e4m3fn", formats::float8_e4m3fn},
                          named{"float8_e5m2", formats::float8_e5m2}, named{"bfloat16", formats::bfloat16},
                          named{"e8m29", wide30}}) {
    const oracle::extremes ext(nf.f);
    const int k = storage_bits(nf.f);
    std::mt19937_64 rng(99 + k);
    mismatches bad;
    for (int i = 0; i < 20000; ++i) {
      const std::uint64_t ca = rng() & detail::low_mask(k), cb = rng() & detail::low_mask(k);
      std::uint64_t cc = rng() & detail::low_mask(k);
      const double a = decode(ca, nf.f), b = decode(cb, nf.f);
      double c = decode(cc, nf.f);
      if (i % 3 == 0) {  // c close to -a*b: cancellation decides the result
        cc = encode(-a * b, nf.f, {round_mode::toward_zero});
        c = decode(cc, nf.f);
      }
      const oracle::value va = oracle::decode(ca, nf.f), vb = oracle::decode(cb, nf.f),
                          vc = oracle::decode(cc, nf.f);
      for (std::size_t j = 0; j < roundings.size(); ++j) {
        const rounding& r = roundings[j];
        const std::uint64_t w = word_for(i * 16 + j);
        const oracle::value want = oracle::round_result(
            oracle::fma(va, vb, vc, r.mode == round_mode::toward_negative), nf.f, ext, r, w);
        const oracle::value got = oracle::decode(rounded_fma(a, b, c, nf.f, r, w), nf.f);
        if (!(got == want)) {
          std::ostringstream msg;
          msg << nf.name << " fma(" << va << ", " << vb << ", " << vc << ") mode "
              << to_string(r.mode) << ": got " << got << ", want " << want;
          bad.add(msg.str());
        }
      }
    }
    INFO(bad.first);
    CHECK(bad.count == 0);
  }
}

TEST_CASE("float32 and float64 as formats: rounded_* equal the hardware's IEEE operations") {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200000; ++i) {
    const double a = detail::bit_cast<double>(rng()), b = detail::bit_cast<double>(rng()),
                 c = detail::bit_cast<double>(rng());
    const float fa = detail::bit_cast<float>(std::uint32_t(rng())),
                fb = i % 2 ? -fa * 1.0000001f : detail::bit_cast<float>(std::uint32_t(rng()));
    auto same = [](double x, double y) {
      return (x != x && y != y) || detail::bit_cast<std::uint64_t>(x) == detail::bit_cast<std::uint64_t>(y);
    };
    const float_format d = formats::float64, s = formats::float32;
    CHECK(same(decode(rounded_add(a, b, d), d), a + b));
    CHECK(same(decode(rounded_mul(a, b, d), d), a * b));
    CHECK(same(decode(rounded_div(a, b, d), d), a / b));
    CHECK(same(decode(rounded_sqrt(a, d), d), std::sqrt(a)));
    CHECK(same(decode(rounded_fma(a, b, c, d), d), std::fma(a, b, c)));
    CHECK(same(decode(rounded_add(fa, fb, s), s), double(fa + fb)));
    CHECK(same(decode(rounded_div(fa, fb, s), s), double(fa / fb)));
    CHECK(same(decode(rounded_sqrt(fa, s), s), double(std::sqrt(fa))));
  }
}

}  // namespace
