// Block and scaled formats: quantize_blocks / encode_blocks against the element-wise quantize /
// encode of the same element format and memcpy, in the same run. Names:
//   blocks/quantize|encode / format / size / threads:T
//   elementwise/quantize|encode / element format / size / threads:T
//   baseline/memcpy / size
// Inputs N(0,1); matrices of 1024 columns (256Ki: 256 rows; 16Mi: 16384 rows). Items are
// elements; bytes count float32 read plus what is written (float32, or codes and scales).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <precsim/blocks/quantize.hpp>
#include <precsim/packing.hpp>

#include "threads_scope.hpp"

namespace {

using namespace precsim;

constexpr std::size_t cols = 1024;

const std::vector<float>& inputs(std::size_t n) {
  static std::vector<float> x;
  if (x.size() < n) {
    x.resize(n);
    std::mt19937_64 g(12345);
    std::normal_distribution<float> normal;
    for (auto& v : x) v = normal(g);
  }
  return x;
}

void counters(benchmark::State& state, std::size_t n, double bytes_per_item) {
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(n));
  state.SetBytesProcessed(std::int64_t(double(state.iterations()) * double(n) * bytes_per_item));
}

void bench_blocks(benchmark::State& state, block_format f, bool encode, std::size_t n, unsigned threads) {
  const auto& x = inputs(n);
  const std::span<const float> in(x.data(), n);
  std::vector<float> y(n);
  block_tensor t;  // reused, as a training loop would
  const threads_scope scope(threads);
  for (auto _ : state) {
    if (encode) {
      encode_blocks(in, n / cols, cols, f, t);
      benchmark::DoNotOptimize(t.elements.data());
    } else {
      quantize_blocks(in, y, n / cols, cols, f);
      benchmark::DoNotOptimize(y.data());
    }
    benchmark::ClobberMemory();
  }
  counters(state, n, 4 + (encode ? bits_per_element(f, n / cols, cols) / 8 : 4));
}

// The element-wise call a block row is measured against: the same element grid, no scales.
void bench_elementwise(benchmark::State& state, float_format f, bool encode, std::size_t n, unsigned threads) {
  const auto& x = inputs(n);
  const std::span<const float> in(x.data(), n);
  std::vector<float> y(n);
  std::vector<std::uint8_t> codes(storage_bits(f) < 8 ? packed_size(n, storage_bits(f)) : 2 * n);
  const threads_scope scope(threads);
  for (auto _ : state) {
    if (!encode) quantize(in, y, f);
    else if (storage_bits(f) < 8) encode_packed(in, codes, f);
    else if (storage_bits(f) == 8) precsim::encode(in, std::span<std::uint8_t>(codes.data(), n), f);
    else precsim::encode(in, std::span<std::uint16_t>(reinterpret_cast<std::uint16_t*>(codes.data()), n), f);
    benchmark::DoNotOptimize(y.data());
    benchmark::DoNotOptimize(codes.data());
    benchmark::ClobberMemory();
  }
  counters(state, n, 4 + (encode ? (storage_bits(f) > 8 ? 2 : storage_bits(f) / 8.0) : 4));
}

void bench_memcpy(benchmark::State& state, std::size_t n) {
  const auto& x = inputs(n);
  std::vector<float> y(n);
  for (auto _ : state) {
    std::memcpy(y.data(), x.data(), n * sizeof(float));
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  counters(state, n, 8);
}

}  // namespace

int main(int argc, char** argv) {
  struct row { const char* name; block_format f; const char* element; };
  const row rows[] = {
      {"int8_per_channel", formats::int_scaled(8, {1, 0}), "int8"},
      {"int4_per_channel", formats::int_scaled(4, {1, 0}), "int4"},
      {"mxfp8_e4m3", formats::mxfp8_e4m3, "float8_e4m3fn"},
      {"mxfp4_e2m1", formats::mxfp4_e2m1, "float4_e2m1fn"},
      {"nvfp4", formats::nvfp4, "float4_e2m1fn"},
      {"fp8_tiles_128x128", formats::fp8_tiles({128, 128}), "float8_e4m3fn"},
  };
  struct element { const char* name; float_format f; };
  const element elements[] = {{"int8", integer_grid({8})}, {"int4", integer_grid({4})},
                              {"float8_e4m3fn", formats::float8_e4m3fn}, {"float4_e2m1fn", formats::float4_e2m1fn}};
  for (std::size_t n : {std::size_t{256} << 10, std::size_t{16} << 20}) {
    const std::string sz = n >= (1u << 20) ? std::to_string(n >> 20) + "Mi" : std::to_string(n >> 10) + "Ki";
    benchmark::RegisterBenchmark(("baseline/memcpy/" + sz).c_str(), bench_memcpy, n)->UseRealTime();
    for (unsigned t : {1u, 2u})
      for (bool enc : {false, true}) {
        const std::string op = enc ? "encode/" : "quantize/", tail = "/" + sz + "/threads:" + std::to_string(t);
        for (const auto& e : elements)
          benchmark::RegisterBenchmark(("elementwise/" + op + e.name + tail).c_str(), bench_elementwise, e.f, enc, n, t)
              ->UseRealTime();
        for (const auto& r : rows)
          benchmark::RegisterBenchmark(("blocks/" + op + r.name + tail).c_str(), bench_blocks, r.f, enc, n, t)
              ->UseRealTime();
      }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
