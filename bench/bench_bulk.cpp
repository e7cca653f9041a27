// Bulk throughput: float32 fake quantization, encode and decode over spans, and fake quantization
// of float64 spans, against memcpy of the same bytes and the hardware conversions (F16C /
// AVX512-FP16 float->half->float, AVX512-BF16 float->bf16->float, F16C half->float for decode;
// for double spans a copy of the doubles, double->float->double and AVX512-FP16's
// double->half->double) measured in the same run. Names:
//   quantize|encode|decode|quantize_f64 / format / mode / normal|wide / size / threads:T
//   measure|measure_f64 / float8_e4m3fn / normal|wide / size / threads:T  (statistics of a rounding)
//   baseline / memcpy|memcpy_f64|cvt_f64|f16c|f16c_decode|avx512fp16|avx512fp16_f64|avx512bf16 / size
//   offset / quantize|encode|decode / format / in+B / out+B  (256Ki, buffers B bytes off a line)
// normal: N(0,1); wide: magnitudes 2^-30..2^20, log-uniform, random signs. Mode stochastic_8bit:
// stochastic rounding with rounding.random_bits = 8. Decode rows decode the codes of the inputs.
// Items are elements; bytes count what is read plus what is written. Every buffer starts on a
// page (4 KiB) boundary, the offset rows' at their offset from one: the heap's placement varies
// with what ran before, a store across two cache lines costs twice (Intel), and an output one or
// two lines ahead of its input modulo 4 KiB makes each load wait on the store before it (Zen 4:
// doubles 0.75x), baselines included.
// --simd=scalar|portable|avx2|avx512 runs at that level (default: the best one).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstring>
#include <new>
#include <random>
#include <string>
#include <vector>

#include <precsim/io.hpp>
#include <precsim/precsim.hpp>

#include "threads_scope.hpp"

#if PRECSIM_X86
#include <immintrin.h>
#endif

namespace {

using namespace precsim;

template <class T>
struct line_allocator {
  using value_type = T;
  line_allocator() = default;
  template <class U>
  line_allocator(const line_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{4096})); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{4096}); }
  template <class U>
  bool operator==(const line_allocator<U>&) const noexcept { return true; }
};
template <class T>
using buffer = std::vector<T, line_allocator<T>>;

buffer<float> inputs(std::size_t n, bool wide) {
  buffer<float> x(n);
  std::mt19937_64 g(12345);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<double> expo(-30, 20);
  for (auto& v : x) {
    if (!wide) {
      v = normal(g);
    } else {
      const double m = std::exp2(expo(g));
      v = float(g() & 1 ? -m : m);
    }
  }
  return x;
}

const buffer<float>& cached_inputs(std::size_t n, bool wide) {
  static buffer<float> normal, widev;
  auto& v = wide ? widev : normal;
  if (v.size() < n) v = inputs(n, wide);
  return v;
}

void set_counters(benchmark::State& state, std::size_t n, std::size_t bytes_per_item) {
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(n));
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(n * bytes_per_item));
}

// Out = float: fake quantization; double: of float64 spans; an unsigned type: encode to codes.
template <class Out>
void bench_round(benchmark::State& state, float_format f, rounding r, bool wide, std::size_t n,
                 unsigned threads) {
  const auto& xf = cached_inputs(n, wide);
  using In = std::conditional_t<std::is_same_v<Out, double>, double, float>;
  const buffer<In> x(xf.begin(), xf.begin() + std::ptrdiff_t(n));
  buffer<Out> y(n);
  const threads_scope scope(threads);
  std::uint64_t step = 0;
  for (auto _ : state) {
    const std::span<const In> in(x.data(), n);
    if constexpr (std::is_floating_point_v<Out>)
      quantize(in, y, f, r, {1, step++, 0});
    else
      encode(in, std::span<Out>(y), f, r, {1, step++, 0});
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n, sizeof(In) + sizeof(Out));
}

template <class Code>
void bench_decode(benchmark::State& state, float_format f, bool wide, std::size_t n, unsigned threads) {
  const auto& x = cached_inputs(n, wide);
  buffer<Code> c(n);
  encode(std::span<const float>(x.data(), n), std::span<Code>(c), f);
  buffer<float> y(n);
  const threads_scope scope(threads);
  for (auto _ : state) {
    decode(std::span<const Code>(c), std::span<float>(y), f);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n, sizeof(Code) + 4);
}

// 256Ki elements, the input in_off bytes and the output out_off bytes after a page boundary
// (what std::vector, whose blocks are 16-byte aligned, or a tensor's slice hands over). In =
// float: quantize (Out float) or encode (Out a code type); else decode (Out float).
template <class In, class Out>
void bench_offset(benchmark::State& state, float_format f, std::size_t in_off, std::size_t out_off) {
  constexpr std::size_t n = 256u << 10;
  const auto& xf = cached_inputs(n, false);
  buffer<std::byte> in_bytes(n * sizeof(In) + 64), out_bytes(n * sizeof(Out) + 64);
  const std::span<In> x(reinterpret_cast<In*>(in_bytes.data() + in_off), n);
  const std::span<Out> y(reinterpret_cast<Out*>(out_bytes.data() + out_off), n);
  if constexpr (std::is_same_v<In, float>) std::copy(xf.begin(), xf.begin() + std::ptrdiff_t(n), x.begin());
  else encode(std::span<const float>(xf.data(), n), x, f);
  for (auto _ : state) {
    if constexpr (std::is_same_v<In, float> && std::is_same_v<Out, float>) quantize(std::span<const float>(x), y, f);
    else if constexpr (std::is_same_v<In, float>) encode(std::span<const float>(x), y, f);
    else decode(std::span<const In>(x), y, f);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n, sizeof(In) + sizeof(Out));
}

// The statistics pass (stats.hpp) over inputs and their rounding; In: float or double.
template <class In>
void bench_measure(benchmark::State& state, float_format f, bool wide, std::size_t n, unsigned threads) {
  const auto& xf = cached_inputs(n, wide);
  const buffer<In> x(xf.begin(), xf.begin() + std::ptrdiff_t(n));
  buffer<In> y(n);
  quantize(std::span<const In>(x), std::span<In>(y), f);
  const threads_scope scope(threads);
  for (auto _ : state) {
    const quantization_stats st = measure(std::span<const In>(x), std::span<const In>(y), f);
    benchmark::DoNotOptimize(st);
  }
  set_counters(state, n, 2 * sizeof(In));
}

// Per-call cost on a small span with the process's default settings (no set_max_threads): what
// a training loop pays for each small tensor.
void bench_small_call(benchmark::State& state, std::size_t n) {
  const auto& x = cached_inputs(n, false);
  buffer<float> y(n);
  set_max_threads(0);  // the default (PRECSIM_THREADS or the available CPUs)
  for (auto _ : state) {
    quantize(std::span<const float>(x.data(), n), y, formats::float8_e4m3fn);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n, 8);
}

// A copy of n elements: float, and double for the double spans (the bytes quantize_f64 moves).
template <class T>
void bench_memcpy(benchmark::State& state, std::size_t n) {
  const auto& xf = cached_inputs(n, false);
  const buffer<T> x(xf.begin(), xf.begin() + std::ptrdiff_t(n));
  buffer<T> y(n);
  for (auto _ : state) {
    std::memcpy(y.data(), x.data(), n * sizeof(T));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n, 2 * sizeof(T));
}
// The hardware's double -> float -> double (a plain loop; the compiler vectorises it).
void cvt_f64_round_trip(const double* x, double* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = double(float(x[i]));
}
void bench_hw_f64(benchmark::State& state, void (*fn)(const double*, double*, std::size_t), std::size_t n) {
  const auto& xf = cached_inputs(n, false);
  const buffer<double> x(xf.begin(), xf.begin() + std::ptrdiff_t(n));
  buffer<double> y(n);
  for (auto _ : state) {
    fn(x.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n, 16);
}

#if PRECSIM_X86
__attribute__((target("avx2,f16c"))) void f16c_round_trip(const float* x, float* y, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) y[i] = _cvtsh_ss(_cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT));
}
__attribute__((target("avx2,f16c"))) void f16c_decode(const std::uint16_t* h, float* y, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + i))));
  for (; i < n; ++i) y[i] = _cvtsh_ss(h[i]);
}
void bench_f16c_decode(benchmark::State& state, std::size_t n) {
  const auto& x = cached_inputs(n, false);
  buffer<std::uint16_t> h(n);
  encode(std::span<const float>(x.data(), n), std::span<std::uint16_t>(h), formats::float16);
  buffer<float> y(n);
  for (auto _ : state) {
    f16c_decode(h.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n, 6);
}
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((target("avx512f,avx512bf16,avx512vl"))) void bf16_round_trip(const float* x, float* y, std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256bh h = _mm512_cvtneps_pbh(_mm512_loadu_ps(x + i));
    // maskz forms: GCC 12 warns about the undefined pass-through of the plain ones
    const __m512i w = _mm512_maskz_slli_epi32(0xFFFF, _mm512_maskz_cvtepu16_epi32(0xFFFF, (__m256i)h), 16);
    _mm512_storeu_ps(y + i, _mm512_castsi512_ps(w));
  }
  for (; i < n; ++i) y[i] = quantize(x[i], formats::bfloat16);
}
#define PRECSIM_BENCH_BF16 1
#endif
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
__attribute__((target("avx512fp16,avx512vl"))) void fp16_round_trip(const float* x, float* y, std::size_t n) {
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256h h = _mm512_cvtxps_ph(_mm512_loadu_ps(x + i));
    _mm512_storeu_ps(y + i, _mm512_cvtxph_ps(h));
  }
  for (; i < n; ++i) y[i] = quantize(x[i], formats::float16);
}
// doubles -> half -> doubles: the ceiling of quantize_f64 to float16 at AVX-512 with FP16
__attribute__((target("avx512fp16,avx512vl"))) void fp16_round_trip_f64(const double* x, double* y, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm512_storeu_pd(y + i, _mm512_cvtph_pd(_mm512_cvtpd_ph(_mm512_loadu_pd(x + i))));
  for (; i < n; ++i) y[i] = quantize(x[i], formats::float16);
}
#define PRECSIM_BENCH_FP16 1
#endif

void bench_hw(benchmark::State& state, void (*fn)(const float*, float*, std::size_t), std::size_t n) {
  const auto& x = cached_inputs(n, false);
  buffer<float> y(n);
  for (auto _ : state) {
    fn(x.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n, 8);
}
#endif

std::string size_name(std::size_t n) {
  return n >= (1u << 20) ? std::to_string(n >> 20) + "Mi" : std::to_string(n >> 10) + "Ki";
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {  // --simd=LEVEL, taken out before benchmark::Initialize
    const std::string a = argv[i];
    if (a.rfind("--simd=", 0) != 0) continue;
    bool known = false;
    for (auto l : {simd_level::scalar, simd_level::portable, simd_level::avx2, simd_level::avx512})
      if (a.substr(7) == to_string(l)) {
        set_simd_level(l);
        known = true;
      }
    if (!known) {
      std::fprintf(stderr, "unknown level in %s\n", a.c_str());
      return 1;
    }
    for (int k = i; k + 1 < argc; ++k) argv[k] = argv[k + 1];
    --argc;
    --i;
  }
  struct named_format { const char* name; float_format f; };
  const named_format fmts[] = {{"float16", formats::float16},
                               {"bfloat16", formats::bfloat16},
                               {"float8_e4m3fn", formats::float8_e4m3fn},
                               {"float8_e5m2", formats::float8_e5m2},
                               {"float6_e3m2fn", formats::float6_e3m2fn},
                               {"float4_e2m1fn", formats::float4_e2m1fn},
                               {"binary8p3se", formats::p3109(8, 3, true, true)},
                               {"e3m5", formats::ieee_like(3, 5)}};
  struct named_rounding { const char* name; rounding r; };
  const named_rounding modes[] = {{"nearest_even", {round_mode::nearest_even}},
                                  {"nearest_away", {round_mode::nearest_away}},
                                  {"toward_zero", {round_mode::toward_zero}},
                                  {"to_odd", {round_mode::to_odd}},
                                  {"stochastic", {round_mode::stochastic}},
                                  {"stochastic_8bit", {round_mode::stochastic, saturation::none, 8}}};
  const std::size_t sizes[] = {4u << 10, 256u << 10, 16u << 20, 64u << 20};

  for (std::size_t n : {std::size_t{256}, std::size_t{4096}})
    benchmark::RegisterBenchmark(("small_call/quantize/float8_e4m3fn/" + std::to_string(n) + "/default_settings").c_str(),
                                 bench_small_call, n)->UseRealTime();
  for (std::size_t in_off : {0, 16})
    for (std::size_t out_off : {0, 16}) {
      const std::string tail = "/in+" + std::to_string(in_off) + "B/out+" + std::to_string(out_off) + "B";
      const float_format e4m3 = formats::float8_e4m3fn, half = formats::float16;
      benchmark::RegisterBenchmark(("offset/quantize/float8_e4m3fn" + tail).c_str(), bench_offset<float, float>,
                                   e4m3, in_off, out_off)->UseRealTime();
      benchmark::RegisterBenchmark(("offset/quantize/float16" + tail).c_str(), bench_offset<float, float>, half,
                                   in_off, out_off)->UseRealTime();
      benchmark::RegisterBenchmark(("offset/encode/float8_e4m3fn" + tail).c_str(),
                                   bench_offset<float, std::uint8_t>, e4m3, in_off, out_off)->UseRealTime();
      benchmark::RegisterBenchmark(("offset/decode/float8_e4m3fn" + tail).c_str(),
                                   bench_offset<std::uint8_t, float>, e4m3, in_off, out_off)->UseRealTime();
      benchmark::RegisterBenchmark(("offset/decode/float16" + tail).c_str(), bench_offset<std::uint16_t, float>,
                                   half, in_off, out_off)->UseRealTime();
    }
  for (std::size_t n : sizes) {
    const std::string sz = size_name(n);
    benchmark::RegisterBenchmark(("baseline/memcpy/" + sz).c_str(), bench_memcpy<float>, n)->UseRealTime();
    benchmark::RegisterBenchmark(("baseline/memcpy_f64/" + sz).c_str(), bench_memcpy<double>, n)->UseRealTime();
    benchmark::RegisterBenchmark(("baseline/cvt_f64/" + sz).c_str(), bench_hw_f64, cvt_f64_round_trip, n)->UseRealTime();
#if PRECSIM_X86
    if (cpu().f16c && cpu().avx2) {
      benchmark::RegisterBenchmark(("baseline/f16c/" + sz).c_str(), bench_hw, f16c_round_trip, n)->UseRealTime();
      benchmark::RegisterBenchmark(("baseline/f16c_decode/" + sz).c_str(), bench_f16c_decode, n)->UseRealTime();
    }
#ifdef PRECSIM_BENCH_BF16
    if (cpu().avx512bf16)
      benchmark::RegisterBenchmark(("baseline/avx512bf16/" + sz).c_str(), bench_hw, bf16_round_trip, n)->UseRealTime();
#endif
#ifdef PRECSIM_BENCH_FP16
    if (cpu().avx512fp16) {
      benchmark::RegisterBenchmark(("baseline/avx512fp16/" + sz).c_str(), bench_hw, fp16_round_trip, n)->UseRealTime();
      benchmark::RegisterBenchmark(("baseline/avx512fp16_f64/" + sz).c_str(), bench_hw_f64, fp16_round_trip_f64, n)
          ->UseRealTime();
    }
#endif
#endif
    for (bool wide : {false, true})
      for (unsigned t : {1u, 2u}) {
        const std::string tail = std::string("/float8_e4m3fn/") + (wide ? "wide" : "normal") + "/" + sz +
                                 "/threads:" + std::to_string(t);
        benchmark::RegisterBenchmark(("measure" + tail).c_str(), bench_measure<float>, formats::float8_e4m3fn,
                                     wide, n, t)->UseRealTime();
        benchmark::RegisterBenchmark(("measure_f64" + tail).c_str(), bench_measure<double>,
                                     formats::float8_e4m3fn, wide, n, t)->UseRealTime();
      }
    for (const auto& nf : fmts)
      for (const auto& nr : modes)
        for (bool wide : {false, true})
          for (unsigned t : {1u, 2u}) {
            const std::string tail = std::string("/") + nf.name + "/" + nr.name + "/" +
                                     (wide ? "wide" : "normal") + "/" + sz + "/threads:" + std::to_string(t);
            const rounding r = nr.r;
            benchmark::RegisterBenchmark(("quantize" + tail).c_str(), bench_round<float>, nf.f, r, wide, n, t)
                ->UseRealTime();
            benchmark::RegisterBenchmark(("quantize_f64" + tail).c_str(), bench_round<double>, nf.f, r, wide, n, t)
                ->UseRealTime();
            const bool byte = storage_bits(nf.f) <= 8;
            benchmark::RegisterBenchmark(("encode" + tail).c_str(),
                                         byte ? bench_round<std::uint8_t> : bench_round<std::uint16_t>, nf.f, r,
                                         wide, n, t)
                ->UseRealTime();
            if (r.mode == round_mode::nearest_even) {
              const std::string dtail = std::string("/") + nf.name + "/codes/" + (wide ? "wide" : "normal") +
                                        "/" + sz + "/threads:" + std::to_string(t);
              benchmark::RegisterBenchmark(("decode" + dtail).c_str(),
                                           byte ? bench_decode<std::uint8_t> : bench_decode<std::uint16_t>,
                                           nf.f, wide, n, t)
                  ->UseRealTime();
            }
          }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::printf("simd level: %s, threads available: %u\n", to_string(active_simd_level()), max_threads());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
