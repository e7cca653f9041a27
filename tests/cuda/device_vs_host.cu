// The rounding core on the GPU gives the same codes as on the host: every named format up to
// 16 bits x every rounding mode x every saturation, on 2^26 binary32 inputs (every 64th bit
// pattern, low bits varied) and 2^24 random doubles; stochastic modes use a per-element random
// word. Run on a machine with a CUDA GPU: nvcc -O3 -std=c++20 -arch=sm_90 -Iinclude ...
// Prints one line per configuration and exits non-zero on any mismatch.
#include <precsim/io.hpp>
#include <precsim/precsim.hpp>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

using namespace precsim;

namespace {

__host__ __device__ inline std::uint64_t mix(std::uint64_t z) {  // SplitMix64 finalizer
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

__host__ __device__ inline std::uint32_t float_bits(std::uint64_t i) {
  return std::uint32_t(i * 64 + (i % 64));
}

template <class T>
__host__ __device__ inline T input(std::uint64_t i, const T*) ;
template <>
__host__ __device__ inline float input<float>(std::uint64_t i, const float*) {
  return detail::bit_cast<float>(float_bits(i));
}
template <>
__host__ __device__ inline double input<double>(std::uint64_t i, const double*) {
  return detail::bit_cast<double>(mix(i));
}

template <class T>
__global__ void encode_kernel(std::uint16_t* out, std::uint64_t n, float_format f, rounding r) {
  for (std::uint64_t i = blockIdx.x * std::uint64_t(blockDim.x) + threadIdx.x; i < n;
       i += std::uint64_t(gridDim.x) * blockDim.x)
    out[i] = std::uint16_t(encode(input<T>(i, nullptr), f, r, mix(i ^ 0xABCDEF)));
}

template <class T>
std::uint64_t host_mismatches(const std::vector<std::uint16_t>& dev, float_format f, rounding r) {
  const unsigned threads = std::thread::hardware_concurrency();
  std::vector<std::uint64_t> bad(threads, 0);
  std::vector<std::thread> pool;
  const std::uint64_t n = dev.size();
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (std::uint64_t i = t; i < n; i += threads)
        bad[t] += dev[i] != std::uint16_t(encode(input<T>(i, nullptr), f, r, mix(i ^ 0xABCDEF)));
    });
  for (auto& th : pool) th.join();
  std::uint64_t total = 0;
  for (auto b : bad) total += b;
  return total;
}

template <class T>
std::uint64_t run(const char* type, std::uint64_t n) {
  std::uint16_t* d_out = nullptr;
  cudaMalloc(&d_out, n * sizeof(std::uint16_t));
  std::vector<std::uint16_t> host(n);
  std::uint64_t total_bad = 0;
  for (const auto& nf : named_formats) {
    if (storage_bits(nf.format) > 16) continue;
    for (int m = 0; m < 7; ++m)
      for (int s = 0; s < 3; ++s) {
        const rounding r{round_mode(m), saturation(s)};
        cudaEvent_t a, b;
        cudaEventCreate(&a);
        cudaEventCreate(&b);
        cudaEventRecord(a);
        encode_kernel<T><<<132 * 8, 256>>>(d_out, n, nf.format, r);
        cudaEventRecord(b);
        cudaEventSynchronize(b);
        float ms = 0;
        cudaEventElapsedTime(&ms, a, b);
        const cudaError_t err = cudaGetLastError();
        if (err != cudaSuccess) { std::printf("CUDA error %s\n", cudaGetErrorString(err)); return 1; }
        cudaMemcpy(host.data(), d_out, n * sizeof(std::uint16_t), cudaMemcpyDeviceToHost);
        const std::uint64_t bad = host_mismatches<T>(host, nf.format, r);
        total_bad += bad;
        std::printf("%-7s %-18s %-16s %-9s n=%llu mismatches=%llu  device %.2f G/s\n", type,
                    std::string(nf.name).c_str(), to_string(r.mode), to_string(r.saturate),
                    (unsigned long long)n, (unsigned long long)bad, n / (ms * 1e6));
      }
  }
  cudaFree(d_out);
  return total_bad;
}

}  // namespace

int main() {
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device: %s, host threads: %u\n", prop.name, std::thread::hardware_concurrency());
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t bad = run<float>("float", std::uint64_t{1} << 26);
  bad += run<double>("double", std::uint64_t{1} << 24);
  std::printf("total mismatches: %llu (%.0f s)\n", (unsigned long long)bad,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return bad == 0 ? 0 : 1;
}
