// The README's first steps as a program: round, encode, decode, saturate, stochastic rounding,
// P3109 and custom formats.
#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>
#include <cmath>

#include <precsim/io.hpp>
#include <precsim/precsim.hpp>

namespace ps = precsim;

int main() {
  const auto e4m3 = ps::formats::float8_e4m3fn;
  std::printf("quantize(0.3f, e4m3fn) = %g\n", ps::quantize(0.3f, e4m3));
  std::printf("encode(0.3f, e4m3fn)   = 0x%02llx  %s\n", (unsigned long long)ps::encode(0.3f, e4m3),
              ps::bits_string(ps::encode(0.3f, e4m3), e4m3).c_str());
  std::printf("decode(0x2A, e4m3fn)   = %g\n", ps::decode(0x2A, e4m3));

  const ps::rounding sat{ps::round_mode::nearest_even, ps::saturation::finite};
  std::printf("1e6 -> e4m3fn: 0x%02llx without saturation (NaN), 0x%02llx saturating (448)\n",
              (unsigned long long)ps::encode(1e6f, e4m3), (unsigned long long)ps::encode(1e6f, e4m3, sat));

  // Stochastic rounding: the mean of many roundings of 0.3 approaches 0.3.
  std::mt19937_64 rng(42);
  const ps::rounding sr{ps::round_mode::stochastic};
  double sum = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) sum += ps::quantize(0.3f, e4m3, sr, rng());
  std::printf("mean of %d stochastic roundings of 0.3 = %.5f (round-to-nearest gives 0.3125)\n", n, sum / n);

  constexpr auto p = ps::formats::p3109(8, 3, true, true);  // Binary8p3se
  constexpr ps::float_format e3m5{.exponent_bits = 3, .mantissa_bits = 5, .bias = 3};
  static_assert((ps::validate(e3m5), true) && ps::max_finite(e3m5) == 15.75);
  std::printf("%s: max %g, min subnormal %g\n", ps::format_name(p).c_str(), ps::max_finite(p),
              ps::min_subnormal(p));
  std::printf("%s: pi -> %g\n", ps::format_name(e3m5).c_str(), ps::quantize(3.14159265358979, e3m5));

  // The bulk span API (README "Tensors"): a tensor with reproducible stochastic rounding.
  std::vector<float> w(1000), wq(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(float(i));
  const std::uint64_t step = 7, n_tensors = 3, tensor_id = 1;
  ps::sr_stream noise{.seed = 1234, .stream = step * n_tensors + tensor_id, .offset = 0};
  ps::quantize(w, wq, ps::formats::float8_e5m2, {ps::round_mode::stochastic}, noise);
  std::vector<std::uint8_t> fp4(ps::packed_size(w.size(), 4));
  ps::encode_packed(w, fp4, ps::formats::float4_e2m1fn);
  std::printf("bulk: sin(1) -> e5m2 stochastic %g; fp4 first byte 0x%02x (level %s)\n", wq[1], fp4[0],
              ps::to_string(ps::active_simd_level()));

  // Training at P bits (README "Training at P bits"): a 40 x 25 by 25 x 40 product.
  const std::size_t rows = 40, cols = 25, M = 40, N = 40, K = 25;
  std::vector<float> x(w.begin(), w.begin() + rows * cols), xq(x.size()), grad_xq(x.size(), 1.0f), grad_x(x.size());
  std::vector<std::uint8_t> clipped(x.size());
  ps::fake_quantize(x, xq, rows, cols, ps::formats::int_scaled(4, {0, 0}));
  ps::fake_quantize(x, xq, rows, cols, ps::formats::mxfp4_e2m1, {}, clipped);
  ps::ste_backward(grad_xq, grad_x, clipped);
  const std::vector<float> A(x), B(x);
  std::vector<float> C(M * N), C32(M * N);
  ps::gemm_options o{.a = ps::formats::mxfp8_e4m3, .b = ps::formats::mxfp8_e4m3,
                     .acc = {ps::float_format{8, 13, 127}, {ps::round_mode::toward_zero}, 128}};
  ps::gemm(A, B, C, M, N, K, o);
  ps::gemm(A, B, C32, M, N, K);
  const float c0 = C[0];
  std::vector<float> g(C.size(), 0.01f), m(C.size()), v(C.size());
  const std::uint64_t seed = 5, id = 0;
  ps::adamw_step(C, g, m, v, {.lr = 1e-3f},
                 {{ps::formats::bfloat16, {ps::round_mode::stochastic}}, M, N, seed}, step, id);
  std::printf("training: %zu of %zu values clipped by MXFP4; C[0][0] = %g (float32: %g), after a bfloat16 "
              "AdamW step %g\n", std::size_t(std::count(clipped.begin(), clipped.end(), 1)), clipped.size(),
              double(c0), double(C32[0]), double(C[0]));
  return 0;
}
