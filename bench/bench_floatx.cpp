// Value-type arithmetic throughput: out[i] = a[i] op b[i] over 4096-element arrays (operands
// N(0,1) rounded to the type), for floatx types and, as baselines in the same run, float and the
// compiler's _Float16 (hardware on AVX512-FP16 CPUs, libgcc software elsewhere). Also a
// 4096-element dot product; intx + - * next to int8_t (which wraps). Items are operations.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <precsim/precsim.hpp>

namespace {

using namespace precsim;

constexpr std::size_t kSize = 4096;
using wide30 = floatx<float_format{8, 29, 127}>;  // precision 30: the exact 128-bit path

template <class T>
std::vector<T> operands(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(0.0, 1.0);
  std::vector<T> v;
  const float scale = std::is_floating_point_v<T> || requires { T::format; } ? 1.0f : 10.0f;
  for (std::size_t i = 0; i < kSize; ++i) v.push_back(T(static_cast<float>(dist(rng)) * scale));
  return v;
}

template <class T, class Op>
void bm_op(benchmark::State& state, Op op) {
  const auto a = operands<T>(1), b = operands<T>(2);
  std::vector<T> out(kSize);
  for (auto _ : state) {
    for (std::size_t i = 0; i < kSize; ++i) out[i] = op(a[i], b[i]);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(kSize));
}

template <class T>
void bm_dot(benchmark::State& state) {
  const auto a = operands<T>(1), b = operands<T>(2);
  for (auto _ : state) {
    T s = T(0);
    for (std::size_t i = 0; i < kSize; ++i) s += a[i] * b[i];
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(kSize) * 2);
}

// The same with a rounding_scope around the measured loop.
template <class T, class Op>
void bm_op_stochastic(benchmark::State& state, Op op) {
  const rounding_scope scope({round_mode::stochastic}, sr_stream{1, 0, 0});
  bm_op<T>(state, op);
}

using std::fma;
using std::sqrt;
const auto add = [](auto x, auto y) { return x + y; };
const auto mul = [](auto x, auto y) { return x * y; };
const auto div = [](auto x, auto y) { return x / y; };
const auto root = [](auto x, auto) { return sqrt(x < decltype(x)(0) ? -x : x); };
const auto fused = [](auto x, auto y) { return fma(x, y, x); };

// _Float16 has no sqrt/fma overloads in libstdc++ 12: its baseline covers + * / and dot.
template <class T, bool SqrtAndFma = true>
void register_type(const std::string& name) {
  benchmark::RegisterBenchmark((name + "/add").c_str(), bm_op<T, decltype(add)>, add);
  benchmark::RegisterBenchmark((name + "/mul").c_str(), bm_op<T, decltype(mul)>, mul);
  benchmark::RegisterBenchmark((name + "/div").c_str(), bm_op<T, decltype(div)>, div);
  if constexpr (SqrtAndFma) {
    benchmark::RegisterBenchmark((name + "/sqrt").c_str(), bm_op<T, decltype(root)>, root);
    benchmark::RegisterBenchmark((name + "/fma").c_str(), bm_op<T, decltype(fused)>, fused);
  }
  benchmark::RegisterBenchmark((name + "/dot").c_str(), bm_dot<T>);
}

// intx: + - * (saturating); operands N(0,1) x 10 rounded to the type.
template <class T>
void register_int(const std::string& name) {
  const auto sub = [](auto x, auto y) { return x - y; };
  benchmark::RegisterBenchmark((name + "/add").c_str(), bm_op<T, decltype(add)>, add);
  benchmark::RegisterBenchmark((name + "/sub").c_str(), bm_op<T, decltype(sub)>, sub);
  benchmark::RegisterBenchmark((name + "/mul").c_str(), bm_op<T, decltype(mul)>, mul);
}

template <class T>
void register_stochastic(const std::string& name) {
  benchmark::RegisterBenchmark((name + "_stochastic/add").c_str(), bm_op_stochastic<T, decltype(add)>, add);
  benchmark::RegisterBenchmark((name + "_stochastic/mul").c_str(), bm_op_stochastic<T, decltype(mul)>, mul);
  benchmark::RegisterBenchmark((name + "_stochastic/div").c_str(), bm_op_stochastic<T, decltype(div)>, div);
}

}  // namespace

int main(int argc, char** argv) {
  register_type<float>("baseline_float");
#if defined(__FLT16_MANT_DIG__)
  register_type<_Float16, false>("baseline_Float16");
#endif
  register_type<bfloat16>("bfloat16");
  register_type<float16>("float16");
  register_type<float8_e4m3fn>("float8_e4m3fn");
  register_type<float8_e5m2>("float8_e5m2");
  register_type<float4_e2m1fn>("float4_e2m1fn");
  register_type<wide30>("e8m29");
  register_int<int8_t>("baseline_int8_t");
  register_int<intx<8>>("int8");
  register_int<intx<4>>("int4");
  register_int<intx<8, false>>("uint8");
  register_stochastic<bfloat16>("bfloat16");
  register_stochastic<float8_e4m3fn>("float8_e4m3fn");
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
