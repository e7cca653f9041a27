// The training layer: quantized GEMM against a scalar loop of exact steps, accumulator error vs
// K and promotion, straight-through / clipped gradients, low-precision optimizer steps (SR
// unbiased and reproducible), and the precision_sweep demo's pieces (gradients, 16-bit runs,
// determinism, the scaling-law fitter).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <thread>

#include <precsim/precsim.hpp>

#include "../examples/precision_sweep/fit.hpp"
#include "../examples/precision_sweep/model.hpp"
#include "levels.hpp"

namespace fmt = precsim::formats;
using namespace precsim;

namespace {

std::uint32_t bits_of(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}
bool same(float a, float b) { return (a != a && b != b) || bits_of(a) == bits_of(b); }

std::vector<float> normal(std::size_t n, std::uint32_t seed, float sd = 1.0f) {
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

// The semantics of gemm.hpp written out: quantize op(A) (M x K) and op(B)^T (N x K) built by
// index arithmetic, then for each output the chain of exact steps part = round(part + a * b)
// (arith.hpp's rounded_fma, one rounding), partial sums promoted in float32.
std::vector<float> reference_gemm(const std::vector<float>& A, const std::vector<float>& B, std::size_t M,
                                  std::size_t N, std::size_t K, const gemm_options& o) {
  std::vector<float> a(M * K), b(N * K), C(M * N);
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t k = 0; k < K; ++k) a[i * K + k] = o.trans_a ? A[k * M + i] : A[i * K + k];
  for (std::size_t j = 0; j < N; ++j)
    for (std::size_t k = 0; k < K; ++k) b[j * K + k] = o.trans_b ? B[j * K + k] : B[k * N + j];
  fake_quantize(a, a, M, K, o.a, o.a_stream);
  fake_quantize(b, b, N, K, o.b, o.b_stream);
  const std::size_t P = o.acc.promote_every ? o.acc.promote_every : std::max<std::size_t>(K, 1);
  for (std::size_t i = 0; i < M; ++i)
    for (std::size_t j = 0; j < N; ++j) {
      float total = 0.0f;
      for (std::size_t k0 = 0; k0 < K; k0 += P) {
        float part = 0.0f;
        for (std::size_t k = k0; k < std::min(K, k0 + P); ++k)
          part = float(decode(rounded_fma(a[i * K + k], b[j * K + k], part, o.acc.format, o.acc.round), o.acc.format));
        total = k0 == 0 ? part : total + part;
      }
      C[i * N + j] = total;
    }
  return C;
}

std::size_t mismatches(const std::vector<float>& got, const std::vector<float>& want) {
  std::size_t bad = 0;
  for (std::size_t i = 0; i < got.size(); ++i) bad += !same(got[i], want[i]);
  return bad;
}

const float_format e8m13{8, 13, 127};  // a ~14-bit accumulator (FP8 tensor cores)

std::vector<accumulator> accumulators() {
  std::vector<accumulator> out;
  for (const float_format& f : {fmt::float32, fmt::bfloat16, fmt::float16, e8m13, fmt::tf32})
    for (round_mode m : {round_mode::nearest_even, round_mode::toward_zero}) out.push_back({f, {m}});
  out.push_back({fmt::bfloat16, {round_mode::nearest_away}});                    // the exact path
  out.push_back({fmt::float16, {round_mode::nearest_even, saturation::finite}});  // the exact path
  out.push_back({fmt::float8_e5m2, {}});                                          // overflows
  return out;
}

}  // namespace

TEST_CASE("gemm equals the scalar loop of exact steps for every accumulator, promotion and transpose") {
  const std::size_t M = 6, N = 37, K = 150;
  const auto A = normal(M * K, 1), B = normal(K * N, 2);
  for (const accumulator& acc0 : accumulators())
    for (std::size_t P : {0, 1, 7, 128})
      for (int t = 0; t < 4; ++t) {
        gemm_options o;
        o.acc = acc0;
        o.acc.promote_every = P;
        o.trans_a = t & 1, o.trans_b = t & 2;
        o.a = fmt::float8_e4m3fn;  // narrow lanes: products exact in float
        o.b = fmt::mxfp8_e4m3;
        std::vector<float> C(M * N);
        gemm(A, B, C, M, N, K, o);
        CAPTURE(format_name(acc0.format));
        CAPTURE(int(acc0.round.mode));
        CAPTURE(P);
        CAPTURE(t);
        CHECK(mismatches(C, reference_gemm(A, B, M, N, K, o)) == 0);
        o.a = o.b = {};  // float operands: wide lanes
        gemm(A, B, C, M, N, K, o);
        CHECK(mismatches(C, reference_gemm(A, B, M, N, K, o)) == 0);
      }
}

TEST_CASE("gemm is the same on every SIMD level and thread count, ragged shapes included") {
  const std::size_t shapes[][3] = {{1, 1, 1}, {5, 33, 17}, {9, 65, 130}, {3, 2, 0}, {0, 4, 4}, {64, 96, 64}};
  for (const auto& s : shapes) {
    const std::size_t M = s[0], N = s[1], K = s[2];
    auto A = normal(M * K, 3, 4.0f), B = normal(K * N, 4, 4.0f);
    if (!A.empty()) A[0] = 1e-30f;  // subnormal products and partial sums
    for (const accumulator& acc : accumulators()) {
      gemm_options o;
      o.acc = acc;
      o.acc.promote_every = 16;
      o.b = fmt::int_scaled(4, {1, 0});
      const auto want = reference_gemm(A, B, M, N, K, o);
      for (const auto& l : test::levels())
        for (unsigned threads : {1u, 2u}) {
          const test::scoped_config scope(l, threads);
          std::vector<float> C(M * N, -1.0f);
          gemm(A, B, C, M, N, K, o);
          CAPTURE(l.name);
          CAPTURE(threads);
          CAPTURE(format_name(acc.format));
          CHECK(mismatches(C, want) == 0);
        }
    }
  }
}

TEST_CASE("gemm edge values: zeros of both signs, NaN, infinity, overflow and underflow of the accumulator") {
  const std::size_t M = 4, N = 32, K = 8;
  std::vector<float> A(M * K), B(K * N);
  const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, 3e38f, -3e38f, 1e-40f, 65504.0f, 70000.0f, 6e-8f,
                            std::numeric_limits<float>::infinity(), std::nanf("")};
  std::mt19937 g(5);
  for (auto& x : A) x = specials[g() % 12];
  for (auto& x : B) x = specials[g() % 12];
  for (int r = 0; r < 4; ++r) A[r * K] = -0.0f, B[r] = 0.0f;  // -0 * +0 sums
  for (const accumulator& acc : accumulators()) {
    gemm_options o;
    o.acc = acc;
    std::vector<float> C(M * N);
    gemm(A, B, C, M, N, K, o);
    CAPTURE(format_name(acc.format));
    CHECK(mismatches(C, reference_gemm(A, B, M, N, K, o)) == 0);
  }
  // the accumulator starts at +0 (C = 0; C += a * b): products that are all -0 sum to +0
  std::vector<float> Z(M * K, -0.0f), O(K * N, 1.0f), C(M * N);
  gemm(Z, O, C, M, N, K);
  CHECK(bits_of(C[0]) == 0u);
}

TEST_CASE("gemm with few-bit operands of any magnitude: overflow, saturation and subnormals of the accumulator") {
  // powers of two and 1.5 x powers of two: products are exact in float, so the float-lane path
  // runs; magnitudes from 2^-70 to 2^63 overflow bfloat16 / float16 sums and reach their subnormals
  const std::size_t M = 8, N = 48, K = 64;
  std::mt19937 g(21);
  std::vector<float> A(M * K), B(K * N);
  for (auto& x : A) x = std::ldexp(g() % 2 ? 1.0f : -1.0f, int(g() % 134) - 70);
  for (auto& x : B) x = std::ldexp(g() % 2 ? 1.5f : -1.5f, int(g() % 133) - 71);
  for (std::size_t i = 0; i < K; ++i) A[i] = std::ldexp(1.0f, int(g() % 30) - 40);  // a row of small ones
  for (const accumulator& acc0 : accumulators())
    for (std::size_t P : {0, 5}) {
      gemm_options o;
      o.acc = acc0;
      o.acc.promote_every = P;
      std::vector<float> C(M * N);
      gemm(A, B, C, M, N, K, o);
      CAPTURE(format_name(acc0.format));
      CAPTURE(int(acc0.round.mode));
      CHECK(mismatches(C, reference_gemm(A, B, M, N, K, o)) == 0);
    }
}

TEST_CASE("a 14-bit accumulator's error grows with K; promotion every 128 products bounds it") {
  // positive inputs, truncating accumulator: the tensor-core failure mode DeepSeek-V3 reports
  double last = 0, err_256 = 0, err_promoted_max = 0;
  for (std::size_t K : {256, 1024, 4096, 16384}) {
    std::mt19937 g{unsigned(K)};
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> A(K), B(K);
    for (auto& x : A) x = u(g);
    for (auto& x : B) x = u(g);
    gemm_options o;
    o.a = o.b = fmt::float8_e4m3fn;
    std::vector<float> aq(A), bq(B);
    quantize(std::span<float>(aq), fmt::float8_e4m3fn);
    quantize(std::span<float>(bq), fmt::float8_e4m3fn);
    double exact = 0;
    for (std::size_t k = 0; k < K; ++k) exact += double(aq[k]) * double(bq[k]);
    float c;
    o.acc = {e8m13, {round_mode::toward_zero}, 0};
    gemm(A, B, std::span<float>(&c, 1), 1, 1, K, o);
    const double err = std::fabs(c - exact) / exact;
    o.acc.promote_every = 128;
    gemm(A, B, std::span<float>(&c, 1), 1, 1, K, o);
    const double err_p = std::fabs(c - exact) / exact;
    MESSAGE("K = " << K << ": relative error " << err << ", promoted every 128: " << err_p);
    CHECK(err > last);
    if (K == 256) err_256 = err;
    last = err;
    err_promoted_max = std::max(err_promoted_max, err_p);
  }
  CHECK(last > 8 * err_256);              // 64x the products, errors pile up
  CHECK(err_promoted_max < 2 * err_256);  // promoted: as if K were 128 each time
}

TEST_CASE("gemm rejects bad shapes and accumulators, naming them") {
  std::vector<float> A(6), B(6), B5(5), C(4);
  CHECK_THROWS_WITH_AS(gemm(A, B, C, 2, 2, 2), doctest::Contains("A has 6 values, rows * cols = 4"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(gemm(A, B5, C, 2, 2, 3), doctest::Contains("B has 5 values"), std::invalid_argument);
  gemm_options o;
  o.acc.format = fmt::float64;
  CHECK_THROWS_WITH_AS(gemm(A, B, C, 2, 2, 3, o), doctest::Contains("accumulator.format must fit in float32"),
                       std::invalid_argument);
  o.acc = {fmt::bfloat16, {round_mode::stochastic}};
  CHECK_THROWS_WITH_AS(gemm(A, B, C, 2, 2, 3, o), doctest::Contains("accumulator.round.mode stochastic"),
                       std::invalid_argument);
  std::vector<float> C3(3);
  CHECK_THROWS_WITH_AS(gemm(A, B, C3, 2, 2, 3), doctest::Contains("C has 3 values"), std::invalid_argument);
}

TEST_CASE("fake_quantize dispatches to quantize and quantize_blocks; none copies") {
  const auto x = normal(4 * 64, 7, 3.0f);
  std::vector<float> y(x.size()), want(x.size());
  fake_quantize(x, y, 4, 64, {});
  CHECK(y == x);
  fake_quantize(x, y, 4, 64, {fmt::float8_e5m2, {round_mode::toward_zero}});
  quantize(x, want, fmt::float8_e5m2, {round_mode::toward_zero});
  CHECK(mismatches(y, want) == 0);
  fake_quantize(x, y, 4, 64, fmt::mxfp4_e2m1, {1, 2, 3});
  quantize_blocks(x, want, 4, 64, fmt::mxfp4_e2m1, {}, {1, 2, 3});
  CHECK(mismatches(y, want) == 0);
  quantizer bad;
  bad.kind = static_cast<quant_kind>(7);
  CHECK_THROWS_WITH_AS(fake_quantize(x, y, 4, 64, bad), doctest::Contains("quantizer.kind"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(fake_quantize(x, y, 4, 63, {}), doctest::Contains("in has 256 values"), std::invalid_argument);
}

TEST_CASE("clipped STE: the gradient stops exactly where the quantizer clips") {
  SUBCASE("element format: float8_e4m3fn clips beyond 448 + 16 (half its last step)") {
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> x{0.0f, 1.0f, 448.0f, 463.9f, 464.0f, 464.1f, -464.1f, 1e9f, -inf, std::nanf("")};
    const std::vector<std::uint8_t> want{0, 0, 0, 0, 0, 1, 1, 1, 1, 0};
    std::vector<float> y(x.size());
    std::vector<std::uint8_t> clipped(x.size());
    fake_quantize(x, y, 1, x.size(), fmt::float8_e4m3fn, {}, clipped);
    CHECK(clipped == want);
    std::vector<float> g(x.size(), 1.0f), gi(x.size());
    ste_backward(g, gi, clipped);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(gi[i] == (want[i] ? 0.0f : 1.0f));
    ste_backward(g, gi);  // plain STE
    CHECK(gi == g);
  }
  SUBCASE("MXFP4: floor_pow2 scales clip the top of a block; absmax scales never clip") {
    std::vector<float> x(32, 0.5f);
    x[0] = 7.5f;   // amax 7.5: scale 2^(2 - 2) = 1, grid up to 6, last step 2: clipped beyond 7
    x[1] = 7.0f;   // rounds onto 6: not clipped
    x[2] = -7.25f; // clipped
    std::vector<float> y(32);
    std::vector<std::uint8_t> clipped(32);
    fake_quantize(x, y, 1, 32, fmt::mxfp4_e2m1, {}, clipped);
    CHECK(clipped[0] == 1);
    CHECK(clipped[1] == 0);
    CHECK(clipped[2] == 1);
    for (std::size_t i = 3; i < 32; ++i) CHECK(clipped[i] == 0);
    CHECK(y[0] == 6.0f);
    const auto r = normal(16 * 64, 8, 10.0f);
    std::vector<float> ry(r.size()), want(r.size());
    std::vector<std::uint8_t> rc(r.size());
    for (int bits : {2, 4, 8}) {
      fake_quantize(r, ry, 16, 64, fmt::int_scaled(bits, {1, 0}), {}, rc);
      CHECK(std::count(rc.begin(), rc.end(), 1) == 0);
      quantize_blocks(r, want, 16, 64, fmt::int_scaled(bits, {1, 0}));
      CHECK(mismatches(ry, want) == 0);
    }
  }
}

TEST_CASE("sgd_step and adamw_step with float32 storage follow PyTorch's update rules") {
  std::vector<float> w{0.5f, -1.0f, 2.0f}, g{0.1f, -0.2f, 0.3f}, buf(3), m(3), v(3);
  std::vector<double> wd(w.begin(), w.end()), bd(3), md(3), vd(3);
  const sgd s{0.1f, 0.9f, 0.01f, true};
  const adamw a{0.01f, 0.9f, 0.99f, 1e-8f, 0.1f};
  for (std::uint64_t step = 0; step < 3; ++step) {
    sgd_step(w, g, buf, s, {}, step, 0);
    for (int i = 0; i < 3; ++i) {
      double d = g[i] + 0.01 * wd[i];
      bd[i] = step == 0 ? d : 0.9 * bd[i] + d;
      d = d + 0.9 * bd[i];
      wd[i] -= 0.1 * d;
      CHECK(w[i] == doctest::Approx(wd[i]).epsilon(1e-6));
    }
  }
  std::vector<float> w2{0.5f, -1.0f, 2.0f};
  std::vector<double> w2d(w2.begin(), w2.end());
  for (std::uint64_t step = 0; step < 3; ++step) {
    adamw_step(w2, g, m, v, a, {}, step, 1);
    for (int i = 0; i < 3; ++i) {
      md[i] = 0.9 * md[i] + 0.1 * g[i];
      vd[i] = 0.99 * vd[i] + 0.01 * double(g[i]) * g[i];
      const double mh = md[i] / (1 - std::pow(0.9, step + 1)), vh = vd[i] / (1 - std::pow(0.99, step + 1));
      w2d[i] -= 0.01 * (mh / (std::sqrt(vh) + 1e-8) + 0.1 * w2d[i]);
      CHECK(w2[i] == doctest::Approx(w2d[i]).epsilon(1e-5));
    }
  }
}

TEST_CASE("low-precision weights: RN loses updates below half a step, SR keeps them unbiased (5 sigma)") {
  // w = 1; an update of -0.001 is below half the step under 1 (e4m3: 0.0625, bfloat16: 2^-8)
  const std::size_t n = 200000;
  const sgd o{0.001f};
  for (const float_format& f : {fmt::float8_e4m3fn, fmt::bfloat16}) {
    std::vector<float> w(n, 1.0f), g(n, 1.0f), buf(n);
    sgd_step(w, g, buf, o, {{f, {}}, 0, 0, 9}, 0, 3);
    CHECK(std::count(w.begin(), w.end(), 1.0f) == std::ptrdiff_t(n));  // RN: stalled
    const double next = double(1.0f - 0.001f);  // the float32 update SR rounds
    const double lo = decode(encode(next, f, {round_mode::toward_zero}), f), hi = 1.0;
    sgd_step(w, g, buf, o, {{f, {round_mode::stochastic}}, 0, 0, 9}, 0, 3);
    double sum = 0;
    for (float x : w) {
      REQUIRE((x == lo || x == hi));
      sum += x;
    }
    const double p = (next - lo) / (hi - lo), sigma = (hi - lo) * std::sqrt(p * (1 - p) / double(n));
    CAPTURE(format_name(f));
    CHECK(std::fabs(sum / double(n) - next) < 5 * sigma);
    // reproducible per (seed, step, tensor); another step draws other bits
    std::vector<float> w1(n, 1.0f), w2(n, 1.0f), w3(n, 1.0f);
    sgd_step(w1, g, buf, o, {{f, {round_mode::stochastic}}, 0, 0, 9}, 5, 3);
    sgd_step(w2, g, buf, o, {{f, {round_mode::stochastic}}, 0, 0, 9}, 5, 3);
    sgd_step(w3, g, buf, o, {{f, {round_mode::stochastic}}, 0, 0, 9}, 6, 3);
    CHECK(w1 == w2);
    CHECK(w1 != w3);
  }
}

TEST_CASE("optimizer steps reject bad sizes and keys") {
  std::vector<float> w(4), g(3), b(4), m(4), v(4);
  CHECK_THROWS_WITH_AS(sgd_step(w, g, b, {}, {}, 0, 0), doctest::Contains("grad has 3 values"), std::invalid_argument);
  g.resize(4);
  CHECK_THROWS_WITH_AS(adamw_step(w, g, m, v, {}, {}, 0, 1u << 20), doctest::Contains("tensor must be below 2^20"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(adamw_step(w, g, m, v, {}, {{}, 3, 3, 0}, 0, 0), doctest::Contains("rows * cols = 9"),
                       std::invalid_argument);
}

// ---- the precision_sweep demo's pieces --------------------------------------------------------

namespace {
sweep::run_config tiny(int H = 8) {
  sweep::run_config c;
  c.hidden = H;
  c.batch = 16;
  c.tokens_per_param = 2;
  c.lr = 0.02f;
  return c;
}
}  // namespace

TEST_CASE("STE gradients with quantization off equal the float32 gradient (finite differences)") {
  const sweep::corpus corpus(3, 50, 4);
  sweep::batches data(corpus, 1, 16, 8);
  data.advance();
  sweep::run_config cfg = tiny();
  sweep::mlp m(cfg);
  m.forward(data.ctx.data(), data.next.data(), 16, true);
  // quantization "on" with a grid holding every float: the same gradients, bit for bit
  sweep::run_config c32 = cfg;
  c32.weights = fmt::float32, c32.acts = fmt::float32;
  sweep::mlp m32(c32);
  m32.forward(data.ctx.data(), data.next.data(), 16, true);
  for (int l = 0; l < 3; ++l) CHECK(m32.layers[l].gw == m.layers[l].gw);
  CHECK(m32.gemb == m.gemb);
  // central differences of the float32 loss
  for (int l = 0; l < 3; ++l)
    for (std::size_t i : {std::size_t(0), std::size_t(5), m.layers[l].w.size() - 1}) {
      sweep::mlp p = m;
      const float w0 = p.layers[l].w[i], h = 1e-2f;
      p.layers[l].w[i] = w0 + h;
      const double up = p.forward(data.ctx.data(), data.next.data(), 16, false);
      p.layers[l].w[i] = w0 - h;
      const double down = p.forward(data.ctx.data(), data.next.data(), 16, false);
      CAPTURE(l);
      CAPTURE(i);
      CHECK(m.layers[l].gw[i] == doctest::Approx((up - down) / (2 * h)).epsilon(2e-2).scale(1e-3));
    }
}

TEST_CASE("16-bit fake quantization changes a training run's loss by < 1e-3 relative") {
  // Training amplifies any perturbation over the steps (two float32 runs whose data differ in
  // one bit drift apart too); a short, stable run at a moderate learning rate keeps that below
  // the effect measured here.
  const sweep::corpus corpus(4, 100, 4);
  const sweep::heldout held(corpus, 4096, 8);
  sweep::run_config c = tiny(16);
  c.batch = 256, c.tokens_per_param = 10, c.lr = 0.01f;
  const double base = sweep::train(corpus, held, c).loss;
  c.weights = fmt::int_scaled(16, {1, 0});
  c.acts = fmt::int_scaled(16, {0, 0});
  const double q16 = sweep::train(corpus, held, c).loss;
  c.weights = c.acts = fmt::float16;
  const double f16 = sweep::train(corpus, held, c).loss;
  MESSAGE("float32 " << base << ", INT16 " << q16 << ", float16 " << f16);
  CHECK(std::fabs(q16 - base) < 1e-3 * base);
  CHECK(std::fabs(f16 - base) < 1e-3 * base);
  c.weights = c.acts = fmt::int_scaled(2, {1, 0});
  CHECK(sweep::train(corpus, held, c).loss > base * 1.05);  // and 2 bits do change it
}

TEST_CASE("a training run is deterministic for a seed and independent of threads") {
  const sweep::corpus corpus(5, 100, 4);
  const sweep::heldout held(corpus, 2048, 8);
  sweep::run_config c = tiny(16);
  c.weights = fmt::mxfp4_e2m1;
  c.storage = {fmt::bfloat16, {round_mode::stochastic}};
  const sweep::run_result a = sweep::train(corpus, held, c);
  sweep::run_result b, other;
  {
    const test::scoped_config scope(test::levels().back(), 2);  // 2 threads, threshold 0
    std::thread t([&] { b = sweep::train(corpus, held, c); });
    sweep::run_config c2 = c;
    c2.seed = 2;
    other = sweep::train(corpus, held, c2);
    t.join();
  }
  CHECK(bits_of(float(a.loss)) == bits_of(float(b.loss)));
  CHECK(a.loss == b.loss);
  CHECK(a.train_loss == b.train_loss);
  CHECK(other.loss != a.loss);  // another seed is another run
}

TEST_CASE("the fitter recovers known (g, n) from noisy synthetic losses") {
  const sweep::fit_result truth{0.35, 2.0, 0.5, 30.0, 4.0, 0.6, 0, true, false};
  std::mt19937 gen(11);
  std::normal_distribution<double> noise(0.0, 0.002);
  std::vector<sweep::fit_point> pts;
  for (double N : {2000.0, 5000.0, 12000.0, 30000.0})
    for (double b : {0.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0}) pts.push_back({N, b, truth.predict(N, b) + noise(gen)});
  const sweep::fit_result f = sweep::fit_precision_law(pts);
  REQUIRE(f.ok);
  CHECK(f.g == doctest::Approx(2.0).epsilon(0.1));
  CHECK(f.n == doctest::Approx(0.5).epsilon(0.15).scale(1));
  CHECK(f.alpha == doctest::Approx(0.35).epsilon(0.15));
  CHECK(f.rms < 0.004);
  CHECK_FALSE(f.at_edge);
  // and a truth outside the grid is reported as pinned to its edge
  sweep::fit_result far = truth;
  far.g = 12.0, far.n = -2.0;
  for (auto& p : pts) p.loss = far.predict(p.N, p.bits);
  CHECK(sweep::fit_precision_law(pts).at_edge);
}

TEST_CASE("the corpus is reproducible and its entropy rate is that of its chain") {
  const sweep::corpus a(9), b(9);
  CHECK(a.words == b.words);
  CHECK(a.entropy_per_char == b.entropy_per_char);
  // the empirical per-character log-loss of the true chain over a long stream
  sweep::rng g(1);
  int w = 0;
  std::vector<std::uint8_t> text;
  double nll = 0;
  std::size_t chars = 0;
  for (int step = 0; step < 200000; ++step) {
    const int prev = w;
    text.clear();
    a.generate(g, w, 1, text);
    const auto& nx = a.next[prev];
    const std::size_t k = std::size_t(std::find(nx.begin(), nx.end(), w) - nx.begin());
    nll -= std::log(a.prob[prev][k]);
    chars += text.size();
  }
  CHECK(nll / double(chars) == doctest::Approx(a.entropy_per_char).epsilon(0.02));
}

TEST_CASE("the parameter count from a configuration equals the model's") {
  for (int H : {16, 32, 64, 128}) {
    sweep::run_config c = tiny(H);
    CHECK(sweep::mlp::non_embedding_params(c) == sweep::mlp(c).non_embedding_params());
  }
}
