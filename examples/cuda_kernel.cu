// precsim in your own CUDA kernel, and the library's launchers (docs/cuda.md).
//
//   nvcc -std=c++20 -O3 --expt-relaxed-constexpr -arch=sm_90 -Iinclude examples/cuda_kernel.cu
//
// The scalar core (quantize, encode, decode), the named formats and random_u32 are host and
// device functions: a fused kernel can round where it computes. Stochastic rounding takes its
// random word from random_u32(stream, index), the same layout as the launchers and the CPU, so
// the result does not depend on the grid. floatx works in device code with its own rounding
// (needs --expt-relaxed-constexpr); a stochastic floatx stops the kernel there.
#include <precsim/cuda.cuh>

#include <cmath>
#include <cstdio>
#include <vector>

using namespace precsim;

// y = round_e4m3(a * x + y), stochastic, fused: one pass instead of an axpy and a quantize.
// (An explicit fma: nvcc would contract a * x + y anyway, the host would not.)
__global__ void axpy_e4m3(float a, const float* x, float* y, std::size_t n, sr_stream s) {
  constexpr rounding sr{round_mode::stochastic, saturation::finite};
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n; i += std::size_t(gridDim.x) * blockDim.x)
    y[i] = quantize(fmaf(a, x[i], y[i]), formats::float8_e4m3fn, sr, random_u32(s, s.offset + i));
}

// A value type in a kernel: bfloat16 arithmetic, each operation rounded once.
using bf16 = floatx<formats::bfloat16>;
__global__ void dot_bf16(const float* x, const float* y, float* out, std::size_t n) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  bf16 acc(0.0f);
  for (std::size_t i = 0; i < n; ++i) acc = fma(bf16(x[i]), bf16(y[i]), acc);
  *out = static_cast<float>(acc);
}

int main() {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("no CUDA GPU here: nothing to run\n");
    return 0;
  }
  const std::size_t n = 1 << 20;
  std::vector<float> hx(n), hy(n);
  for (std::size_t i = 0; i < n; ++i) {
    hx[i] = float(i % 1000) * 0.01f - 5.0f;
    hy[i] = float(i % 7) * 0.3f;
  }
  float *x, *y, *dot;
  cudaMalloc(&x, n * 4);
  cudaMalloc(&y, n * 4);
  cudaMalloc(&dot, 4);
  cudaMemcpy(x, hx.data(), n * 4, cudaMemcpyHostToDevice);
  cudaMemcpy(y, hy.data(), n * 4, cudaMemcpyHostToDevice);

  // The library's launchers: fake quantization to MXFP8 and packed FP4 codes.
  cuda::quantize_blocks(x, x, n / 1024, 1024, formats::mxfp8_e4m3);
  std::uint8_t* packed;
  cudaMalloc(&packed, packed_size(n, 4));
  cuda::encode_packed(x, packed, n, formats::float4_e2m1fn);

  const sr_stream s{42, 0};  // seed 42, stream 0 (e.g. step * tensors + tensor)
  axpy_e4m3<<<264, 256>>>(0.5f, x, y, n, s);
  dot_bf16<<<1, 1>>>(x, y, dot, 4096);
  std::vector<float> out(n);
  float d = 0;
  cudaMemcpy(out.data(), y, n * 4, cudaMemcpyDeviceToHost);
  cudaMemcpy(&d, dot, 4, cudaMemcpyDeviceToHost);
  if (const cudaError_t e = cudaGetLastError(); e != cudaSuccess) {
    std::printf("CUDA error: %s\n", cudaGetErrorString(e));
    return 1;
  }

  // The same fused step on the host, with the same random words: the same bits.
  std::vector<float> xq(n);
  quantize_blocks(hx, xq, n / 1024, 1024, formats::mxfp8_e4m3);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float want = quantize(std::fma(0.5f, xq[i], hy[i]), formats::float8_e4m3fn,
                                {round_mode::stochastic, saturation::finite}, random_u32(s, i));
    differ += detail::bit_cast<std::uint32_t>(want) != detail::bit_cast<std::uint32_t>(out[i]);
  }
  std::printf("fused SR axpy to e4m3: y[1] = %g, %zu of %zu differ from the host\n", out[1], differ, n);
  std::printf("bf16 dot of 4096 terms: %g\n", d);
  cudaFree(x);
  cudaFree(y);
  cudaFree(dot);
  cudaFree(packed);
  return differ ? 1 : 0;
}
