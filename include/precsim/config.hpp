// Portability layer: host/device annotation and the few bit utilities the rounding core needs,
// written so that nvcc can compile them for the device (no std::bit_cast / std::countl_zero,
// which nvcc flags as host-only when called from device code).
#pragma once

#include <cstdint>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define PRECSIM_HD __host__ __device__
#else
#define PRECSIM_HD
#endif

// Inlined even where the optimizer would not: value types call the core with a constant format,
// which only pays off once the format's fields fold into the code.
#if defined(__GNUC__) || defined(__clang__)
#define PRECSIM_INLINE __attribute__((always_inline)) inline
#else
#define PRECSIM_INLINE inline
#endif

#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
#define PRECSIM_DEVICE_PASS 1
#else
#define PRECSIM_DEVICE_PASS 0
#endif

namespace precsim::detail {

template <class To, class From>
PRECSIM_HD constexpr To bit_cast(const From& from) noexcept {
  static_assert(sizeof(To) == sizeof(From), "bit_cast needs equal sizes");
  return __builtin_bit_cast(To, from);
}

// Number of leading zero bits of a 64-bit word; 64 for zero.
PRECSIM_HD constexpr int countl_zero(std::uint64_t x) noexcept {
  if (x == 0) return 64;
#if (defined(__GNUC__) || defined(__clang__)) && !PRECSIM_DEVICE_PASS
  return __builtin_clzll(x);
#else
  int n = 0;
  if (!(x >> 32)) { n += 32; x <<= 32; }
  if (!(x >> 48)) { n += 16; x <<= 16; }
  if (!(x >> 56)) { n += 8; x <<= 8; }
  if (!(x >> 60)) { n += 4; x <<= 4; }
  if (!(x >> 62)) { n += 2; x <<= 2; }
  if (!(x >> 63)) { n += 1; }
  return n;
#endif
}

// Mask of the low n bits, valid for 0 <= n <= 64.
PRECSIM_HD constexpr std::uint64_t low_mask(int n) noexcept {
  return n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
}

}  // namespace precsim::detail
