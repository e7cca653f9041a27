// GPU throughput of precsim::cuda next to a device-to-device copy measured in the same run, on
// 2^28 float32 elements by default (argument: log2 of the count). CUDA events, one warm-up, then
// the median of 10 launches. Bytes are those read plus written (the copy: 8 per element).
// A plain program rather than Google Benchmark: GPU machines may lack libbenchmark, and a CUDA
// event brackets the work better than a host timer (scripts/gpu-check.sh runs it).
#include <precsim/cuda.cuh>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

using namespace precsim;

namespace {

void ok(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}

double median_ms(const std::function<void()>& launch) {
  cudaEvent_t a, b;
  ok(cudaEventCreate(&a), "cudaEventCreate");
  ok(cudaEventCreate(&b), "cudaEventCreate");
  launch();
  ok(cudaDeviceSynchronize(), "warm-up");
  std::vector<float> ms;
  for (int i = 0; i < 10; ++i) {
    ok(cudaEventRecord(a), "cudaEventRecord");
    launch();
    ok(cudaEventRecord(b), "cudaEventRecord");
    ok(cudaEventSynchronize(b), "cudaEventSynchronize");
    float t = 0;
    ok(cudaEventElapsedTime(&t, a, b), "cudaEventElapsedTime");
    ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms[ms.size() / 2];
}

__global__ void fill(float* x, std::size_t n) {  // N(0,1)-ish values from a hash
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n; i += std::size_t(gridDim.x) * blockDim.x) {
    const std::uint32_t h = random_u32({1, 2, 0}, i);
    x[i] = (float(h & 0xFFFF) + float(h >> 16) - 65535.0f) * (1.0f / 26754.0f);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int log2n = argc > 1 ? std::atoi(argv[1]) : 28;
  const std::size_t n = std::size_t{1} << log2n;
  cudaDeviceProp prop{};
  ok(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  float *in, *out;
  std::uint8_t* codes;
  __nv_bfloat16* h16;
  ok(cudaMalloc(&in, n * 4), "cudaMalloc");
  ok(cudaMalloc(&out, n * 4), "cudaMalloc");
  ok(cudaMalloc(&codes, n), "cudaMalloc");
  ok(cudaMalloc(&h16, n * 2), "cudaMalloc");
  fill<<<prop.multiProcessorCount * 8, 256>>>(in, n);
  ok(cudaDeviceSynchronize(), "fill");
  cuda::encode(in, reinterpret_cast<std::uint16_t*>(h16), n, formats::bfloat16);  // the bf16 copy of in

  std::printf("%s, %d SMs, %zu elements (2^%d)\n", prop.name, prop.multiProcessorCount, n, log2n);
  const double copy_ms = median_ms([&] { ok(cudaMemcpyAsync(out, in, n * 4, cudaMemcpyDeviceToDevice), "copy"); });
  const double copy_gbs = 8.0 * double(n) / copy_ms / 1e6;
  std::printf("%-44s %9s %9s %9s %7s\n", "case", "ms", "G elem/s", "GB/s", "of copy");
  const auto row = [&](const char* name, double bytes_per_element, const std::function<void()>& launch) {
    const double ms = median_ms(launch);
    const double gbs = bytes_per_element * double(n) / ms / 1e6;
    std::printf("%-44s %9.3f %9.1f %9.0f %6.0f%%\n", name, ms, double(n) / ms / 1e6, gbs, 100.0 * gbs / copy_gbs);
  };
  row("device-to-device copy (baseline)", 8, [&] { ok(cudaMemcpyAsync(out, in, n * 4, cudaMemcpyDeviceToDevice), "copy"); });
  const rounding sr{round_mode::stochastic};
  const sr_stream st{7, 1};
  row("quantize float8_e4m3fn nearest", 8, [&] { cuda::quantize(in, out, n, formats::float8_e4m3fn); });
  row("quantize bfloat16 nearest", 8, [&] { cuda::quantize(in, out, n, formats::bfloat16); });
  row("quantize float4_e2m1fn nearest", 8, [&] { cuda::quantize(in, out, n, formats::float4_e2m1fn); });
  row("quantize float8_e4m3fn stochastic", 8, [&] { cuda::quantize(in, out, n, formats::float8_e4m3fn, sr, st); });
  row("quantize bfloat16 stochastic", 8, [&] { cuda::quantize(in, out, n, formats::bfloat16, sr, st); });
  row("quantize e3m4 (runtime format) nearest", 8, [&] { cuda::quantize(in, out, n, formats::float8_e3m4); });
  row("quantize bf16 buffer to float8_e4m3fn", 4, [&] { cuda::quantize(h16, h16, n, formats::float8_e4m3fn); });
  row("encode float8_e4m3fn to uint8", 5, [&] { cuda::encode(in, codes, n, formats::float8_e4m3fn); });
  row("encode_packed float4_e2m1fn", 4.5, [&] { cuda::encode_packed(in, codes, n, formats::float4_e2m1fn); });
  row("decode float8_e4m3fn from uint8", 5, [&] { cuda::decode(codes, out, n, formats::float8_e4m3fn); });
  const std::size_t cols = 4096, rows = n / cols;
  row("quantize_blocks mxfp8_e4m3", 8, [&] { cuda::quantize_blocks(in, out, rows, cols, formats::mxfp8_e4m3); });
  row("quantize_blocks mxfp4_e2m1", 8, [&] { cuda::quantize_blocks(in, out, rows, cols, formats::mxfp4_e2m1); });
  row("quantize_blocks nvfp4 (tensor amax pass)", 12, [&] { cuda::quantize_blocks(in, out, rows, cols, formats::nvfp4); });
  row("quantize_blocks int8 per row", 8, [&] { cuda::quantize_blocks(in, out, rows, cols, formats::int_scaled(8, {1, 0})); });
  row("quantize_blocks fp8 128x128 tiles", 8, [&] { cuda::quantize_blocks(in, out, rows, cols, formats::fp8_tiles({128, 128})); });
  ok(cudaDeviceSynchronize(), "sync");
  std::printf("copy: %.0f GB/s (read + write)\n", copy_gbs);
}
