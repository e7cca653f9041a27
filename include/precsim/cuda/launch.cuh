// How the CUDA launchers run: errors as exceptions, grid-stride kernels over independent units
// of work, 16-byte vector memory access, and a host emulation of every kernel for the tests.
//
// A kernel's work is split into units (16 bytes of elements, a group of packed codes, a tile)
// whose results depend only on the unit's index, never on which thread or in which order it
// runs: so any grid gives the same bits, and the host emulation (which runs the same unit code
// over host memory in a scrambled order) shows on a machine without a GPU what the GPU computes.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "../bulk.hpp"

namespace precsim::cuda {

// A CUDA call made by a precsim launcher failed: what() names the launcher, the CUDA call and the
// CUDA error, e.g. "precsim::cuda::quantize: cudaGetDevice failed: no CUDA-capable device is
// detected (cudaErrorNoDevice)". Errors of a kernel that already runs surface at the next
// synchronizing CUDA call, as for any asynchronous launch.
class error : public std::runtime_error {
 public:
  error(const char* fn, const char* call, cudaError_t e)
      : std::runtime_error(std::string("precsim::cuda::") + fn + ": " + call + " failed: " +
                           cudaGetErrorString(e) + " (" + cudaGetErrorName(e) + ")"),
        code_(e) {}
  cudaError_t code() const noexcept { return code_; }

 private:
  cudaError_t code_;
};

PRECSIM_BEGIN_CONFIG
namespace detail {

inline void check(cudaError_t e, const char* fn, const char* call) {
  if (e != cudaSuccess) throw error(fn, call, e);
}

// Test hook (tests/cuda/test_cuda.cu): launchers run their kernels' units on the host over host
// pointers instead of launching them.
inline bool& host_emulation() noexcept {
  static bool on = false;
  return on;
}

inline constexpr unsigned block_threads = 256;

// Loops around the rounding core stay loops: unrolled, the core inlined 16 or 32 times makes
// nvcc run for minutes.
#if PRECSIM_DEVICE_PASS
#define PRECSIM_NO_UNROLL _Pragma("unroll 1")
#else
#define PRECSIM_NO_UNROLL
#endif

// One thread per unit, grid-stride.
template <class Body>
__global__ void __launch_bounds__(block_threads) unit_kernel(Body body, std::size_t units) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  for (std::size_t u = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; u < units; u += stride) body(u);
}

// One warp per unit (tiles): body(u, lane, 32), lanes cooperating through warp_* below.
template <class Body>
__global__ void __launch_bounds__(block_threads) warp_kernel(Body body, std::size_t units) {
  const std::size_t stride = std::size_t(gridDim.x) * (blockDim.x / 32);
  const unsigned lane = threadIdx.x % 32;
  for (std::size_t u = (std::size_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32; u < units; u += stride)
    body(u, lane, 32u);
}

// Warp reductions (the host emulation runs a unit on one lane: nothing to combine).
PRECSIM_HD inline std::uint32_t warp_max(std::uint32_t v, unsigned lanes) noexcept {
#if PRECSIM_DEVICE_PASS
  for (unsigned d = lanes / 2; d; d /= 2) {
    const std::uint32_t o = __shfl_xor_sync(0xFFFFFFFFu, v, d);
    v = o > v ? o : v;
  }
#else
  (void)lanes;
#endif
  return v;
}
// min (Min) or max of floats, NaN-blind as the CPU's `v < lo ? v : lo`.
template <bool Min>
PRECSIM_HD inline float warp_extreme(float v, unsigned lanes) noexcept {
#if PRECSIM_DEVICE_PASS
  for (unsigned d = lanes / 2; d; d /= 2) {
    const float o = __shfl_xor_sync(0xFFFFFFFFu, v, d);
    v = Min ? (o < v ? o : v) : (o > v ? o : v);
  }
#else
  (void)lanes;
#endif
  return v;
}
PRECSIM_HD inline void atomic_max(std::uint32_t* p, std::uint32_t v) noexcept {
#if PRECSIM_DEVICE_PASS
  atomicMax(reinterpret_cast<unsigned*>(p), unsigned(v));
#else
  *p = v > *p ? v : *p;
#endif
}

// Copies of N elements between memory and registers, as 16-byte accesses on the device (the
// caller guarantees 16-byte alignment and a multiple of 16 bytes).
template <class T, unsigned N>
PRECSIM_HD PRECSIM_INLINE void load16(const T* p, T (&x)[N]) noexcept {
  static_assert(sizeof(x) % 16 == 0);
#if PRECSIM_DEVICE_PASS
  for (unsigned k = 0; k < sizeof(x) / 16; ++k)
    reinterpret_cast<uint4*>(x)[k] = reinterpret_cast<const uint4*>(p)[k];
#else
  std::memcpy(x, p, sizeof(x));
#endif
}
template <class T, unsigned N>
PRECSIM_HD PRECSIM_INLINE void store16(T* p, const T (&x)[N]) noexcept {
  static_assert(sizeof(x) % 16 == 0);
#if PRECSIM_DEVICE_PASS
  for (unsigned k = 0; k < sizeof(x) / 16; ++k)
    reinterpret_cast<uint4*>(p)[k] = reinterpret_cast<const uint4*>(x)[k];
#else
  std::memcpy(p, x, sizeof(x));
#endif
}

template <std::size_t Bytes>
bool aligned(const void* p) noexcept { return reinterpret_cast<std::uintptr_t>(p) % Bytes == 0; }

// Blocks for a grid-stride launch: enough to fill every SM (8 blocks of 256 threads each), no
// more than the work needs.
inline unsigned grid_blocks(const char* fn, std::size_t threads_wanted) {
  int dev = 0, sms = 0;
  check(cudaGetDevice(&dev), fn, "cudaGetDevice");
  check(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev), fn, "cudaDeviceGetAttribute");
  const std::size_t want = (threads_wanted + block_threads - 1) / block_threads;
  const std::size_t cap = std::size_t(sms) * 8;
  return unsigned(want < cap ? want : cap);
}

// The host emulation's order: a grid of 7 threads, the last thread first.
template <class Run>
void emulate(std::size_t units, Run&& run) {
  constexpr std::size_t threads = 7;
  for (std::size_t t = threads; t-- > 0;)
    for (std::size_t u = t; u < units; u += threads) run(u);
}

template <class Body>
void launch_units(const char* fn, const Body& body, std::size_t units, cudaStream_t stream) {
  if (units == 0) return;
  if (host_emulation()) return emulate(units, [&](std::size_t u) { body(u); });
  unit_kernel<<<grid_blocks(fn, units), block_threads, 0, stream>>>(body, units);
  check(cudaGetLastError(), fn, "the kernel launch");
}

template <class Body>
void launch_warps(const char* fn, const Body& body, std::size_t units, cudaStream_t stream) {
  if (units == 0) return;
  if (host_emulation()) return emulate(units, [&](std::size_t u) { body(u, 0u, 1u); });
  warp_kernel<<<grid_blocks(fn, units * 32), block_threads, 0, stream>>>(body, units);
  check(cudaGetLastError(), fn, "the kernel launch");
}

// Device scratch memory of one call, stream-ordered (host memory under the emulation).
template <class T>
class scratch {
 public:
  scratch(const char* fn, std::size_t n, cudaStream_t stream) : stream_(stream) {
    if (host_emulation()) {
      p_ = new T[n]();
      return;
    }
    check(cudaMallocAsync(reinterpret_cast<void**>(&p_), n * sizeof(T), stream), fn, "cudaMallocAsync");
    check(cudaMemsetAsync(p_, 0, n * sizeof(T), stream), fn, "cudaMemsetAsync");
  }
  ~scratch() {
    if (host_emulation()) delete[] p_;
    else cudaFreeAsync(p_, stream_);  // (a destructor does not throw; a failure here shows at the next call)
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  T* get() const noexcept { return p_; }

 private:
  cudaStream_t stream_;
  T* p_ = nullptr;
};

// Argument checks shared by the launchers (same messages as the span API's).
inline void check_pointer(const char* fn, const char* name, const void* p, std::size_t n) {
  if (n && !p) precsim::detail::bulk_error(fn, std::string(name) + " is null");
}
template <class In, class Out>
void check_buffers(const char* fn, const In* in, std::size_t in_n, Out* out, std::size_t out_n) {
  check_pointer(fn, "in", in, in_n);
  check_pointer(fn, "out", out, out_n);
  precsim::detail::check_overlap(fn, std::span<const In>(in, in_n), std::span<Out>(out, out_n));
}

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim::cuda
