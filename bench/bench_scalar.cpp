// Scalar rounding core throughput: quantize() over a float array, one element at a time, next to
// memcpy of the same bytes and the hardware float -> half -> float round trip (F16C) measured in
// the same run. The bulk SIMD kernels are measured separately; this is the baseline they
// improve on.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <precsim/cpu.hpp>
#include <precsim/precsim.hpp>

#if PRECSIM_X86
#include <immintrin.h>
#define PRECSIM_BENCH_X86 1
#endif

namespace {

using namespace precsim;

std::vector<float> normal_inputs(std::size_t n) {
  std::mt19937_64 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

void set_counters(benchmark::State& state, std::size_t n) {
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(n));
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(n) * 2 * 4);  // read + write
}

void bm_memcpy(benchmark::State& state) {
  const std::size_t n = std::size_t(state.range(0));
  const auto in = normal_inputs(n);
  std::vector<float> out(n);
  for (auto _ : state) {
    std::memcpy(out.data(), in.data(), n * sizeof(float));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n);
}

#ifdef PRECSIM_BENCH_X86
[[gnu::target("avx2,f16c")]] void f16c_round_trip(const float* in, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) out[i] = _cvtsh_ss(_cvtss_sh(in[i], _MM_FROUND_TO_NEAREST_INT));
}

void bm_f16c_round_trip(benchmark::State& state) {
  if (!precsim::cpu().f16c || !precsim::cpu().avx2) {
    state.SkipWithError("CPU lacks F16C/AVX2");
    return;
  }
  const std::size_t n = std::size_t(state.range(0));
  const auto in = normal_inputs(n);
  std::vector<float> out(n);
  for (auto _ : state) {
    f16c_round_trip(in.data(), out.data(), n);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n);
}
#endif

template <const float_format& F, round_mode Mode>
void bm_scalar_quantize(benchmark::State& state) {
  const std::size_t n = std::size_t(state.range(0));
  const auto in = normal_inputs(n);
  std::vector<float> out(n);
  const rounding r{Mode};
  std::uint64_t word = 0x9E3779B97F4A7C15ull;
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      word = word * 6364136223846793005ull + 1442695040888963407ull;  // cheap LCG: not the cost under test
      out[i] = quantize(in[i], F, r, word);
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n);
}

constexpr std::int64_t kSize = 256 * 1024;

}  // namespace

BENCHMARK(bm_memcpy)->Arg(kSize);
#ifdef PRECSIM_BENCH_X86
BENCHMARK(bm_f16c_round_trip)->Arg(kSize);
#endif
BENCHMARK(bm_scalar_quantize<formats::float16, round_mode::nearest_even>)->Arg(kSize);
BENCHMARK(bm_scalar_quantize<formats::bfloat16, round_mode::nearest_even>)->Arg(kSize);
BENCHMARK(bm_scalar_quantize<formats::float8_e4m3fn, round_mode::nearest_even>)->Arg(kSize);
BENCHMARK(bm_scalar_quantize<formats::float8_e5m2, round_mode::nearest_even>)->Arg(kSize);
BENCHMARK(bm_scalar_quantize<formats::float4_e2m1fn, round_mode::nearest_even>)->Arg(kSize);
BENCHMARK(bm_scalar_quantize<formats::float8_e4m3fn, round_mode::stochastic>)->Arg(kSize);
BENCHMARK(bm_scalar_quantize<formats::bfloat16, round_mode::stochastic>)->Arg(kSize);

BENCHMARK_MAIN();
