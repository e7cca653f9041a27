// The quantized GEMM of the training layer against the same blocked GEMM without quantization
// (float32 operands, float32 accumulation: the "plain" baseline), in the same run. Names:
//   gemm/<case>/<M>x<N>x<K>/threads:T
// Inputs N(0,1), row-major, no transposes. The FLOP/s counter counts 2 M N K per call
// (quantizing the operands is part of the call).
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include <precsim/train/gemm.hpp>

#include "threads_scope.hpp"

namespace {

using namespace precsim;

std::vector<float> inputs(std::size_t n, unsigned seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> normal;
  std::vector<float> x(n);
  for (auto& v : x) v = normal(g);
  return x;
}

void bench_gemm(benchmark::State& state, gemm_options o, std::size_t n, unsigned threads) {
  const auto A = inputs(n * n, 1), B = inputs(n * n, 2);
  std::vector<float> C(n * n);
  const threads_scope scope(threads);
  for (auto _ : state) {
    gemm(A, B, C, n, n, n, o);
    benchmark::DoNotOptimize(C.data());
    benchmark::ClobberMemory();
  }
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * double(n) * double(n) * double(n), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

int main(int argc, char** argv) {
  const float_format e8m13{8, 13, 127};  // ~14-bit tensor-core accumulator
  const auto with = [](quantizer q, accumulator acc = {}) {
    gemm_options o;
    o.a = o.b = q;
    o.acc = acc;
    return o;
  };
  struct row { const char* name; gemm_options o; };
  const row rows[] = {
      {"plain", {}},
      {"e4m3", with(formats::float8_e4m3fn)},
      {"mxfp8_e4m3", with(formats::mxfp8_e4m3)},
      {"int8_per_channel", with(formats::int_scaled(8, {1, 0}))},
      {"mxfp8_e4m3+acc_bf16", with(formats::mxfp8_e4m3, {formats::bfloat16})},
      {"mxfp8_e4m3+acc_e8m13_rz_promote128", with(formats::mxfp8_e4m3, {e8m13, {round_mode::toward_zero}, 128})},
      {"int8_per_channel+acc_bf16", with(formats::int_scaled(8, {1, 0}), {formats::bfloat16})},
      {"fp32+acc_fp16", with({}, {formats::float16})},
  };
  for (std::size_t n : {256, 1024})
    for (unsigned t : {1u, 2u})
      for (const auto& r : rows) {
        const std::string name = std::string("gemm/") + r.name + "/" + std::to_string(n) + "x" + std::to_string(n) +
                                 "x" + std::to_string(n) + "/threads:" + std::to_string(t);
        benchmark::RegisterBenchmark(name.c_str(), bench_gemm, r.o, n, t)->UseRealTime()->Unit(benchmark::kMillisecond);
      }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
