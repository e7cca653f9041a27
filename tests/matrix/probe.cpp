// One probe: compiled once per cell of the configuration matrix (see CMakeLists.txt) with the
// cell's flags and PRECSIM_PROBE_NAME set, and once with plain flags as the reference. Every
// result goes into probe_out::words; matrix_main.cpp compares them word for word.
#include <chrono>
#include <cstring>
#include <vector>

#include <precsim/precsim.hpp>

#include "probe.hpp"

#ifndef PRECSIM_PROBE_NAME
#error "define PRECSIM_PROBE_NAME"
#endif

namespace ps = precsim;
namespace fmt = precsim::formats;

namespace {

constexpr std::size_t n = 2048;

// SplitMix64 on integers: the inputs cannot depend on the TU's floating-point flags. (Its own
// copy with internal linkage, not tests/inputs.hpp's: inline code shared by the probes would be
// merged across their flags.)
struct rng {
  std::uint64_t s;
  std::uint64_t operator()() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// NaN payloads of gemm and the optimizer steps are unspecified (float arithmetic; tested on bits:
// -ffast-math).
std::uint32_t canonical_nan(float v) {
  const std::uint32_t u = ps::detail::bit_cast<std::uint32_t>(v);
  return (u & 0x7FFFFFFFu) > 0x7F800000u ? 0x7FC00000u : u;
}

float from_bits(std::uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
double from_bits64(std::uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}
std::uint32_t bits_of(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Floats of every kind: any bit pattern (NaNs, signaling ones too), values near 1 and near the
// small formats' ranges, float subnormals, zeros and infinities.
void make_inputs(float* in) {
  rng r{20261201};
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t w = r();
    std::uint32_t b;
    switch (i % 8) {
      case 0: b = std::uint32_t(w); break;
      case 1: b = std::uint32_t(w & 0x807FFFFFu); break;                            // subnormal
      case 2: b = std::uint32_t((w & 0x807FFFFFu) | ((100 + (w >> 40) % 56) << 23)); break;  // 2^-27..2^28
      case 3: b = std::uint32_t((w & 0x807FFFFFu) | ((120 + (w >> 40) % 12) << 23)); break;  // 2^-7..2^4
      case 4: b = std::uint32_t((w & 0x80000000u) | 0x7F800000u | ((w >> 33) % 3 == 0 ? 0 : (w >> 41))); break;
      case 5: b = std::uint32_t(w & 0x80000000u); break;                            // +-0
      default: b = std::uint32_t((w & 0x807FFFFFu) | ((60 + (w >> 40) % 140) << 23)); break;
    }
    in[i] = from_bits(b);
  }
}

struct writer {
  matrix::probe_out& o;
  void mark(const char* label) {
    if (o.mark_count < matrix::max_marks) o.marks[o.mark_count++] = {label, o.count};
  }
  void put(std::uint32_t w) {
    if (o.count < matrix::max_words) o.words[o.count++] = w;
  }
  void put64(std::uint64_t w) {
    put(std::uint32_t(w));
    put(std::uint32_t(w >> 32));
  }
  void put(float f) { put(bits_of(f)); }
  void put(double d) {
    std::uint64_t b;
    std::memcpy(&b, &d, 8);
    put64(b);
  }
};

struct bulk_case {
  const char* label;
  ps::float_format f;
  ps::rounding r;
};

float in[n], outf[n];
double ind[n], outd[n];
std::uint16_t codes[n];
float big_in[1 << 20], big_out[1 << 20];

}  // namespace

void PRECSIM_PROBE_NAME(matrix::probe_out& o) {
  o.config = PRECSIM_CFG_STR(PRECSIM_CONFIG_NS);
  using quantize_fn = void (*)(std::span<const float>, std::span<float>, const ps::float_format&,
                               const ps::rounding&, ps::sr_source);
  o.quantize_fn = reinterpret_cast<std::uintptr_t>(static_cast<quantize_fn>(&ps::quantize));
  o.isnan_fn = reinterpret_cast<std::uintptr_t>(&ps::isnan<fmt::float8_e4m3fn, ps::rounding{}>);
  o.count = 0;
  o.mark_count = 0;
  writer w{o};
  make_inputs(in);
  for (std::size_t i = 0; i < n; ++i) ind[i] = ps::detail::to_double(in[i]);

  using rm = ps::round_mode;
  const ps::rounding sr{rm::stochastic}, sr8a{rm::stochastic, ps::saturation::none, 8, ps::sr_variant::a};
  const bulk_case cases[] = {
      {"e4m3fn nearest", fmt::float8_e4m3fn, {}},
      {"e4m3fn toward_zero", fmt::float8_e4m3fn, {rm::toward_zero}},
      {"e4m3fn nearest_away", fmt::float8_e4m3fn, {rm::nearest_away}},
      {"e3m2fn to_odd", fmt::float6_e3m2fn, {rm::to_odd}},
      {"e4m3fn stochastic", fmt::float8_e4m3fn, sr},
      {"e4m3fn stochastic 8 bits A", fmt::float8_e4m3fn, sr8a},
      {"bfloat16 nearest", fmt::bfloat16, {}},
      {"bfloat16 toward_positive", fmt::bfloat16, {rm::toward_positive}},
      {"bfloat16 stochastic", fmt::bfloat16, sr},
      {"float16 nearest", fmt::float16, {}},
      {"float16 to_odd", fmt::float16, {rm::to_odd}},
      {"float16 toward_negative", fmt::float16, {rm::toward_negative}},
      {"e5m2 nearest satfinite", fmt::float8_e5m2, {rm::nearest_even, ps::saturation::finite}},
      {"e2m1fn nearest", fmt::float4_e2m1fn, {}},
      {"e3m2fn stochastic", fmt::float6_e3m2fn, sr},
      {"binary8p3ue nearest", fmt::p3109(8, 3, false, true), {}},
      {"binary8p3ue toward_zero", fmt::p3109(8, 3, false, true), {rm::toward_zero}},
      {"binary8p4se to_odd", fmt::p3109(8, 4, true, true), {rm::to_odd}},
      {"e8m0fnu nearest", fmt::float8_e8m0fnu, {}},
  };
  const ps::sr_stream stream{11, 22, 33};
  for (const bulk_case& c : cases) {
    w.mark(c.label);
    ps::quantize(in, outf, c.f, c.r, stream);
    for (float v : outf) w.put(v);
    ps::encode(in, std::span<std::uint16_t>(codes), c.f, c.r, stream);
    for (std::uint16_t v : codes) w.put(std::uint32_t(v));
    ps::decode(std::span<const std::uint16_t>(codes), std::span<float>(outf), c.f);
    for (float v : outf) w.put(v);
    ps::decode(std::span<const std::uint16_t>(codes), std::span<double>(outd), c.f);
    for (double v : outd) w.put(v);
    ps::quantize(ind, outd, c.f, c.r, stream);
    for (double v : outd) w.put(v);
    for (std::size_t i = 0; i < n; ++i)  // the scalar core, one call per element
      w.put(ps::quantize(in[i], c.f, c.r, ps::random_u32(stream, i)));
  }

  // Value types: E4M3 on pairs of codes, every operation; bfloat16 / float16 on random codes.
  w.mark("float8_e4m3fn operators");
  for (std::uint32_t i = 0; i < 4096; ++i) {
    const auto a = ps::float8_e4m3fn::from_bits(std::uint8_t(i)), b = ps::float8_e4m3fn::from_bits(std::uint8_t(i * 37 + 11));
    w.put(std::uint32_t((a * b + a).bits() | (a / b).bits() << 8 | sqrt(a).bits() << 16 | fma(a, b, a).bits() << 24));
    w.put(std::uint32_t((a < b) | (a == b) << 1 | isnan(a) << 2 | isinf(a) << 3 | (a >= b) << 4 | isfinite(b) << 5));
    w.put(static_cast<float>(a));
  }
  w.mark("bfloat16 / float16 operators");
  rng r{7};
  for (int i = 0; i < 4096; ++i) {
    const auto a = ps::bfloat16::from_bits(std::uint16_t(r())), b = ps::bfloat16::from_bits(std::uint16_t(r()));
    const auto h = ps::float16::from_bits(std::uint16_t(r())), g = ps::float16::from_bits(std::uint16_t(r()));
    w.put(std::uint32_t((a + b).bits() | (a * b).bits() << 16));
    w.put(std::uint32_t((h - g).bits() | (h / g).bits() << 16));
    w.put(std::uint32_t((a < b) | (h == g) << 1 | isnan(h) << 2 | (h != g) << 3));
    w.put(static_cast<float>(a));
  }
  w.mark("stochastic value types in a scope");
  {
    const ps::rounding_scope scope({rm::stochastic}, {5, 6, 7});
    ps::float8_e4m3fn acc = 0;
    for (int i = 0; i < 512; ++i) {
      acc += ps::float8_e4m3fn(0.1);
      w.put(std::uint32_t(acc.bits()));
    }
  }
  // rounded_* on random doubles (through their fast paths) in every deterministic mode.
  w.mark("rounded_* on doubles");
  for (int i = 0; i < 2048; ++i) {
    const double a = from_bits64((r() & 0x800FFFFFFFFFFFFFull) | ((1023 - 60 + r() % 120) << 52));
    const double b = from_bits64((r() & 0x800FFFFFFFFFFFFFull) | ((1023 - 60 + r() % 120) << 52));
    for (rm m : {rm::nearest_even, rm::toward_zero, rm::toward_positive, rm::to_odd})
      for (const ps::float_format& f : {fmt::float32, fmt::bfloat16, ps::formats::ieee_like(8, 40)}) {
        w.put64(ps::rounded_add(a, b, f, {m}));
        w.put64(ps::rounded_mul(a, b, f, {m}));
        w.put64(ps::rounded_div(a, b, f, {m}));
        w.put64(ps::rounded_sqrt(a < 0 ? -a : a, f, {m}));
      }
  }
  w.mark("TwoSum with literal operands");  // -fassociative-math once folded the error to 0
  w.put64(ps::rounded_add(1.0, 0x1p-24 + 0x1p-76, fmt::float32));
  w.put64(ps::rounded_add(1.0, -0x1p-25 - 0x1p-80, fmt::float32, {rm::toward_zero}));
  w.put64(ps::rounded_sub(0x1p30, 0x1p-40, fmt::bfloat16, {rm::toward_negative}));
  // The training layer: the quantized GEMM on float and double lanes (Fast2Sum under any flags),
  // fake quantization with its clip mask, a stochastic optimizer step.
  w.mark("gemm");
  {
    const std::size_t M = 8, N = 40, K = 48;
    std::vector<float> A(in, in + M * K), B(in + 128, in + 128 + K * N), C(M * N);
    for (const ps::accumulator& acc : {ps::accumulator{}, ps::accumulator{fmt::bfloat16},
                                       ps::accumulator{fmt::float16, {rm::toward_zero}, 8},
                                       ps::accumulator{ps::float_format{8, 13, 127}, {rm::toward_zero}, 16}})
      for (const ps::quantizer& q : {ps::quantizer{}, ps::quantizer{fmt::mxfp8_e4m3}}) {
        ps::gemm_options opt;
        opt.a = opt.b = q;
        opt.acc = acc;
        ps::gemm(A, B, C, M, N, K, opt);
        for (float v : C) w.put(canonical_nan(v));
      }
    std::vector<float> y(M * K);
    std::vector<std::uint8_t> clipped(M * K);
    ps::fake_quantize(A, y, M, K, fmt::mxfp4_e2m1, {}, clipped);
    for (std::size_t i = 0; i < y.size(); ++i) w.put(y[i]), w.put(std::uint32_t(clipped[i]));
    std::vector<float> wt(B.begin(), B.begin() + 256), g(A.begin(), A.begin() + 256), buf(256);
    ps::sgd_step(wt, g, buf, {0.01f, 0.9f}, {{fmt::bfloat16, {rm::stochastic}}, 0, 0, 3}, 2, 1);
    for (float v : wt) w.put(canonical_nan(v));
  }
  w.mark("intx");
  for (int i = 0; i < 1024; ++i) {
    const float x = from_bits(std::uint32_t((r() & 0x807FFFFFu) | ((110 + r() % 40) << 23)));
    w.put(std::uint32_t(ps::intx<8>(x).value()) & 0xFF);
    w.put(std::uint32_t(ps::intx<4, true, ps::rounding{rm::toward_positive}>(x).value()) & 0xF);
    const ps::intx<32, false> u{static_cast<std::uint32_t>(r())};
    w.put(std::uint32_t((u * u).value()));
  }

  // Speed of this TU's quantize (reported, not checked).
  for (std::size_t i = 0; i < (1 << 20); ++i) big_in[i] = in[i % n];
  const auto t0 = std::chrono::steady_clock::now();
  ps::quantize(big_in, big_out, fmt::float8_e4m3fn);
  const auto t1 = std::chrono::steady_clock::now();
  o.ns_per_element = std::chrono::duration<double, std::nano>(t1 - t0).count() / (1 << 20);
}
