// The block pass's elementwise loops (tile amax, scaling, clamping), written once on W lanes
// with GCC/Clang vector extensions and compiled per instruction set like the rounding kernel
// (simd/dispatch.hpp), so that they vectorize at any optimization level. A plain loop serves
// the scalar level and compilers without vector extensions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../simd/dispatch.hpp"

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

// One set of loops over a run of values that starts `off` values into a tile of width tw:
//   amax        the bits of max |v| (NaN above 0x7F800000) of the whole run
//   tile_amax   out[t] = the same per tile t of the run
//   scale       y = v * m[t] (by_division: v / m[t]) with t the tile of each value
//   clamp       y = min(max(y, lo), hi) + 0 (no -0)
//   fill        y = m[t] with t the tile of each value
struct block_ops {
  std::uint32_t (*amax)(const float* v, std::size_t n);
  void (*tile_amax)(const float* v, std::size_t n, std::size_t off, std::size_t tw, std::uint32_t* out);
  void (*scale)(const float* v, float* y, std::size_t n, std::size_t off, std::size_t tw, const float* m,
                bool by_division);
  void (*clamp)(float* y, std::size_t n, float lo, float hi);
  void (*fill)(float* y, std::size_t n, std::size_t off, std::size_t tw, const float* m);
};

// Calls f(k, m, t) for the runs [k, k + m) of the tiles t = 0, 1, ... of a run of n values
// that starts off values into a tile of width tw.
template <class F>
PRECSIM_INLINE void for_tiles(std::size_t n, std::size_t off, std::size_t tw, F&& f) {
  std::size_t m = tw - off, t = 0;
  for (std::size_t k = 0; k < n; k += m, m = tw, ++t) f(k, m < n - k ? m : n - k, t);
}

inline std::uint32_t amax_scalar(const float* v, std::size_t n) {
  std::uint32_t m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint32_t u;
    std::memcpy(&u, v + i, 4);
    u &= 0x7FFFFFFFu;
    m = u > m ? u : m;
  }
  return m;
}
inline void tile_amax_scalar(const float* v, std::size_t n, std::size_t off, std::size_t tw, std::uint32_t* out) {
  for_tiles(n, off, tw, [&](std::size_t k, std::size_t m, std::size_t t) { out[t] = amax_scalar(v + k, m); });
}
inline void scale_run(const float* v, float* y, std::size_t n, float m, bool by_division) {
  if (by_division)
    for (std::size_t i = 0; i < n; ++i) y[i] = v[i] / m;
  else
    for (std::size_t i = 0; i < n; ++i) y[i] = v[i] * m;
}
inline void scale_scalar(const float* v, float* y, std::size_t n, std::size_t off, std::size_t tw, const float* m,
                         bool by_division) {
  for_tiles(n, off, tw, [&](std::size_t k, std::size_t len, std::size_t t) { scale_run(v + k, y + k, len, m[t], by_division); });
}
inline void fill_scalar(float* y, std::size_t n, std::size_t off, std::size_t tw, const float* m) {
  for_tiles(n, off, tw, [&](std::size_t k, std::size_t len, std::size_t t) {
    for (std::size_t i = k; i < k + len; ++i) y[i] = m[t];
  });
}
inline void clamp_scalar(float* y, std::size_t n, float lo, float hi) {
  for (std::size_t i = 0; i < n; ++i) y[i] = (y[i] < lo ? lo : y[i] > hi ? hi : y[i]) + 0.0f;
}

#if PRECSIM_VECTOR_KERNELS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"

template <int W>
struct block_lanes {
  using u32 = typename vec<W>::u32;
  using f32 = typename vec<W>::f32;
  using half = typename vec<(W > 4 ? W / 2 : 4)>::u32;

  // max over the lanes, halving the vector
  PRECSIM_LANES static std::uint32_t hmax(const u32& a) {
    if constexpr (W > 4) {
      half lo, hi;
      std::memcpy(&lo, &a, sizeof lo);
      std::memcpy(&hi, reinterpret_cast<const char*>(&a) + sizeof lo, sizeof hi);
      lo = lo > hi ? lo : hi;
      return block_lanes<W / 2>::hmax(lo);
    } else {
      const std::uint32_t x = a[0] > a[1] ? a[0] : a[1], y = a[2] > a[3] ? a[2] : a[3];
      return x > y ? x : y;
    }
  }
  PRECSIM_LANES static std::uint32_t amax(const float* v, std::size_t n) {
    u32 acc{};
    std::size_t i = 0;
    for (; i + W <= n; i += W) {
      u32 u;
      std::memcpy(&u, v + i, sizeof u);
      u &= 0x7FFFFFFFu;
      acc = u > acc ? u : acc;
    }
    const std::uint32_t tail = amax_scalar(v + i, n - i), m = hmax(acc);
    return m > tail ? m : tail;
  }
  PRECSIM_LANES static void tile_amax(const float* v, std::size_t n, std::size_t off, std::size_t tw,
                                      std::uint32_t* out) {
    if (off == 0 && tw % W == 0) {  // whole vectors per tile (MX, NVFP4, 1 x 128 ...)
      std::size_t k = 0, t = 0;
      for (; k + tw <= n; k += tw, ++t) {
        u32 acc, u;
        std::memcpy(&acc, v + k, sizeof acc);
        acc &= 0x7FFFFFFFu;
        for (std::size_t i = W; i < tw; i += W) {
          std::memcpy(&u, v + k + i, sizeof u);
          u &= 0x7FFFFFFFu;
          acc = u > acc ? u : acc;
        }
        out[t] = hmax(acc);
      }
      if (k < n) out[t] = amax(v + k, n - k);
      return;
    }
    for_tiles(n, off, tw, [&](std::size_t k, std::size_t m, std::size_t t) { out[t] = amax(v + k, m); });
  }
  PRECSIM_LANES static void scale(const float* v, float* y, std::size_t n, std::size_t off, std::size_t tw,
                                  const float* ms, bool by_division) {
    for_tiles(n, off, tw, [&](std::size_t k, std::size_t len, std::size_t t) {
      const float m = ms[t];
      std::size_t i = k;
      if (by_division) {
        for (; i + W <= k + len; i += W) {
          f32 x;
          std::memcpy(&x, v + i, sizeof x);
          x = x / m;
          std::memcpy(y + i, &x, sizeof x);
        }
      } else {
        for (; i + W <= k + len; i += W) {
          f32 x;
          std::memcpy(&x, v + i, sizeof x);
          x = x * m;
          std::memcpy(y + i, &x, sizeof x);
        }
      }
      scale_run(v + i, y + i, k + len - i, m, by_division);
    });
  }
  PRECSIM_LANES static void fill(float* y, std::size_t n, std::size_t off, std::size_t tw, const float* ms) {
    for_tiles(n, off, tw, [&](std::size_t k, std::size_t len, std::size_t t) {
      const f32 x = f32{} + ms[t];
      std::size_t i = k;
      for (; i + W <= k + len; i += W) std::memcpy(y + i, &x, sizeof x);
      for (; i < k + len; ++i) y[i] = ms[t];
    });
  }
  PRECSIM_LANES static void clamp(float* y, std::size_t n, float lo, float hi) {
    std::size_t i = 0;
    for (; i + W <= n; i += W) {
      f32 x;
      std::memcpy(&x, y + i, sizeof x);
      x = x < lo ? lo : x;
      x = (x > hi ? hi : x) + 0.0f;
      std::memcpy(y + i, &x, sizeof x);
    }
    clamp_scalar(y + i, n - i, lo, hi);
  }
};

#define PRECSIM_BLOCK_LANES(name, W, ...)                                                          \
  __VA_ARGS__ inline std::uint32_t name##_amax(const float* v, std::size_t n) {                   \
    return block_lanes<W>::amax(v, n);                                                            \
  }                                                                                               \
  __VA_ARGS__ inline void name##_tile_amax(const float* v, std::size_t n, std::size_t off,        \
                                           std::size_t tw, std::uint32_t* out) {                  \
    block_lanes<W>::tile_amax(v, n, off, tw, out);                                                \
  }                                                                                               \
  __VA_ARGS__ inline void name##_scale(const float* v, float* y, std::size_t n, std::size_t off,  \
                                       std::size_t tw, const float* m, bool d) {                  \
    block_lanes<W>::scale(v, y, n, off, tw, m, d);                                                \
  }                                                                                               \
  __VA_ARGS__ inline void name##_clamp(float* y, std::size_t n, float lo, float hi) {             \
    block_lanes<W>::clamp(y, n, lo, hi);                                                          \
  }                                                                                               \
  __VA_ARGS__ inline void name##_fill(float* y, std::size_t n, std::size_t off, std::size_t tw,   \
                                      const float* m) {                                           \
    block_lanes<W>::fill(y, n, off, tw, m);                                                       \
  }
PRECSIM_BLOCK_LANES(portable, 4)
#if PRECSIM_X86
PRECSIM_BLOCK_LANES(avx2, 8, __attribute__((target("avx2"))))
PRECSIM_BLOCK_LANES(avx512, 16, __attribute__((target("avx512f,avx512bw,avx512vl"))))
#endif
#undef PRECSIM_BLOCK_LANES
#pragma GCC diagnostic pop
#endif  // PRECSIM_VECTOR_KERNELS

inline block_ops block_ops_for(simd_level l) noexcept {
#if PRECSIM_VECTOR_KERNELS
#if PRECSIM_X86
  if (l == simd_level::avx512) return {avx512_amax, avx512_tile_amax, avx512_scale, avx512_clamp, avx512_fill};
  if (l == simd_level::avx2) return {avx2_amax, avx2_tile_amax, avx2_scale, avx2_clamp, avx2_fill};
#endif
  if (l != simd_level::scalar) return {portable_amax, portable_tile_amax, portable_scale, portable_clamp, portable_fill};
#else
  (void)l;
#endif
  return {amax_scalar, tile_amax_scalar, scale_scalar, clamp_scalar, fill_scalar};
}

}  // namespace detail
PRECSIM_END_CONFIG
}  // namespace precsim
