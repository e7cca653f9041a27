// libFuzzer harness: arbitrary bytes -> (format, rounding, random word, operation, operands).
// rounded_add/sub/mul/div/sqrt/fma (public path and the exact 128-bit path) must equal the exact
// oracle's result rounded by the oracle; floatx operators on three fixed formats and intx
// arithmetic on four widths must equal their references. Operands are codes of the format or
// arbitrary double bit patterns. Layout: 4 format bytes (as fuzz_round), 4 rounding bytes, u64
// word, 1 op byte, 1 operand-kind byte, then three u64 operands.
#include <cmath>
#include <cstring>
#include <vector>

#include <precsim/precsim.hpp>

#include "../oracle.hpp"
#include "reader.hpp"

using namespace precsim;

namespace {

float_format read_valid_format(fuzz::reader& in) {
  float_format f;
  f.exponent_bits = in.pick(1, 11);
  f.mantissa_bits = in.pick(0, 52);
  f.bias = (1 << (f.exponent_bits - 1)) - 1 + in.pick(-4, 4);
  const int flags = in.take<std::uint8_t>();
  f.is_signed = (flags & 1) == 0;
  f.subnormals = subnormal_mode((flags >> 1) % 3);
  f.specials = special_values((flags >> 3) & 3);
  f.infinity = f.specials == special_values::ieee || (f.specials != special_values::none && ((flags >> 6) & 1));
  f.overflow = f.infinity ? overflow_value::infinity
               : f.specials != special_values::none && (flags >> 7) ? overflow_value::nan : overflow_value::max_finite;
  return f;
}

enum class op { add, sub, mul, div, sqrt, fma };

std::uint64_t library(op o, double a, double b, double c, const float_format& f, const rounding& r,
                      std::uint64_t w, bool exact_path) {
  switch (o) {
    case op::add: return exact_path ? detail::exact_rounded_add(a, b, f, r, w) : rounded_add(a, b, f, r, w);
    case op::sub: return exact_path ? detail::exact_rounded_add(a, detail::negate(b), f, r, w) : rounded_sub(a, b, f, r, w);
    case op::mul: return exact_path ? detail::exact_rounded_mul(a, b, f, r, w) : rounded_mul(a, b, f, r, w);
    case op::div: return exact_path ? detail::exact_rounded_div(a, b, f, r, w) : rounded_div(a, b, f, r, w);
    case op::sqrt: return exact_path ? detail::exact_rounded_sqrt(a, f, r, w) : rounded_sqrt(a, f, r, w);
    case op::fma: return rounded_fma(a, b, c, f, r, w);
  }
  return 0;
}

oracle::value reference(op o, double a, double b, double c, const float_format& f, const rounding& r,
                        std::uint64_t w) {
  const oracle::value va = oracle::from_double(a), vb = oracle::from_double(b), vc = oracle::from_double(c);
  const bool down = r.mode == round_mode::toward_negative;
  oracle::exact e;
  switch (o) {
    case op::add: e = oracle::add(va, vb, down); break;
    case op::sub: {
      oracle::value nb = vb;
      nb.neg = !nb.neg;
      e = oracle::add(va, nb, down);
      break;
    }
    case op::mul: e = oracle::mul(va, vb); break;
    case op::div: e = oracle::div(va, vb); break;
    case op::sqrt: e = oracle::sqrt(va); break;
    case op::fma: e = oracle::fma(va, vb, vc, down); break;
  }
  return oracle::round_result(e, f, oracle::extremes(f), r, w);
}

// floatx on a fixed format: the operators against rounded_* of the same operands.
template <float_format F>
void check_floatx(std::uint64_t ca, std::uint64_t cb) {
  using T = floatx<F>;
  const T a = T::from_bits(static_cast<typename T::code_type>(ca));
  const T b = T::from_bits(static_cast<typename T::code_type>(cb));
  const double x = double(a), y = double(b);
  const oracle::extremes ext(F);
  auto want = [&](const oracle::exact& e) { return oracle::round_result(e, F, ext, {}, 0); };
  const oracle::value vx = oracle::from_double(x), vy = oracle::from_double(y);
  if (!(oracle::decode((a + b).bits(), F) == want(oracle::add(vx, vy, false)))) fuzz::fail("floatx + differs");
  if (!(oracle::decode((a * b).bits(), F) == want(oracle::mul(vx, vy)))) fuzz::fail("floatx * differs");
  if (!(oracle::decode((a / b).bits(), F) == want(oracle::div(vx, vy)))) fuzz::fail("floatx / differs");
  const bool lt = !std::isnan(x) && !std::isnan(y) && x < y;
  if ((a < b) != lt || (a == b) != (x == y)) fuzz::fail("floatx comparison differs");
}

template <int Bits, bool Signed>
void check_intx(std::int64_t p, std::int64_t q) {
  using I = intx<Bits, Signed>;
  const __int128 lo = I::min_value, hi = I::max_value;
  auto clamp = [&](__int128 v) { return v < lo ? lo : v > hi ? hi : v; };
  const I a(p), b(q);
  const __int128 x = a.value(), y = b.value();
  if (x != clamp(p) || y != clamp(q)) fuzz::fail("intx construction does not saturate");
  if ((a + b).value() != clamp(x + y) || (a - b).value() != clamp(x - y) || (a * b).value() != clamp(x * y))
    fuzz::fail("intx arithmetic does not saturate");
  if (y != 0 && ((a / b).value() != clamp(x / y) || (a % b).value() != clamp(x % y))) fuzz::fail("intx / % differ");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::reader in{data, size};
  const float_format f = read_valid_format(in);
  rounding r;
  r.mode = round_mode(in.pick(0, 6));
  r.saturate = saturation(in.pick(0, 2));
  r.random_bits = in.pick(0, 64);
  r.variant = sr_variant(in.pick(0, 2));
  const std::uint64_t w = in.take<std::uint64_t>();
  const op o = op(in.pick(0, 5));
  const int kinds = in.take<std::uint8_t>();
  std::uint64_t raw[3];
  for (auto& v : raw) v = in.take<std::uint64_t>();
  if (invalid_reason(f) != nullptr) return 0;

  // Operands: a code of the format (bit k of `kinds` clear) or any double.
  double operand[3];
  for (int k = 0; k < 3; ++k) {
    const bool code = ((kinds >> k) & 1) == 0;
    if (code) {
      operand[k] = decode(raw[k] & detail::low_mask(storage_bits(f)), f);
    } else {
      std::memcpy(&operand[k], &raw[k], 8);
    }
  }
  const oracle::value want = reference(o, operand[0], operand[1], operand[2], f, r, w);
  for (bool exact_path : {false, true}) {
    if (o == op::fma && exact_path) continue;
    const std::uint64_t got = library(o, operand[0], operand[1], operand[2], f, r, w, exact_path);
    if (!(oracle::decode(got, f) == want)) fuzz::fail(exact_path ? "exact path differs from the oracle" : "rounded_* differs from the oracle");
  }

  check_floatx<formats::float8_e4m3fn>(raw[0], raw[1]);
  check_floatx<formats::bfloat16>(raw[0], raw[1]);
  check_floatx<formats::p3109(6, 3, false, true)>(raw[0], raw[1]);
  const auto p = static_cast<std::int64_t>(raw[0] >> (raw[2] % 64)), q = static_cast<std::int64_t>(raw[1] >> (raw[2] / 64 % 64));
  check_intx<4, true>(p, q);
  check_intx<8, false>(p, q);
  check_intx<31, true>(p, q);
  check_intx<32, false>(p, q);
  return 0;
}
