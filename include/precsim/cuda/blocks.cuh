// Block and scaled formats on the GPU: precsim::cuda::quantize_blocks, the fake quantization of
// a row-major float matrix in device memory, equal to precsim::quantize_blocks on the host bit
// for bit (NaN payloads aside). One warp per tile: the tile's statistics by warp reductions, its
// scale by the shared tile arithmetic (blocks/scale.hpp), then its elements through the rounding
// core with the span API's random words (element r * cols + c: index s.offset + r * cols + c).
// NVFP4's tensor scale takes one more pass (the tensor's amax) first.
#pragma once

#include "../blocks/quantize.hpp"
#include "../blocks/scale.hpp"
#include "launch.cuh"

namespace precsim::cuda {
PRECSIM_BEGIN_CONFIG
namespace detail {

struct tile_units {
  const float* in;
  float* out;
  std::size_t rows, cols, th, tw, tile_cols;
  precsim::detail::tile_rule rule;
  float_format grid;  // the element grid
  rounding er;        // the element rounding (saturating, span API random bits)
  sr_stream s;
  bool integer;
  float int_lo, int_hi;               // integer grids: the element range (times 2^-fraction_bits)
  const std::uint32_t* tensor_amax;   // the bits of the tensor's amax (tensor scale formats)

  PRECSIM_HD void operator()(std::size_t t, unsigned lane, unsigned lanes) const {
    namespace pd = precsim::detail;
    const std::size_t r0 = t / tile_cols * th, c0 = t % tile_cols * tw;
    const std::size_t h = rows - r0 < th ? rows - r0 : th, w = cols - c0 < tw ? cols - c0 : tw;
    std::uint32_t amax = 0;
    float lo = 0.0f, hi = 0.0f;
    for (std::size_t r = r0; r < r0 + h; ++r)
      for (std::size_t c = c0 + lane; c < c0 + w; c += lanes) {
        const float v = in[r * cols + c];
        const std::uint32_t a = pd::bits_of_float(v) & 0x7FFFFFFFu;
        amax = a > amax ? a : amax;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
    amax = warp_max(amax, lanes);
    if (rule.asymmetric) {
      lo = warp_extreme<true>(lo, lanes);
      hi = warp_extreme<false>(hi, lanes);
    }
    const float ts = rule.f.tensor_scale ? pd::tensor_scale_of(rule, *tensor_amax) : 1.0f;
    const float scale = pd::scale_from_ratio(rule, pd::amax_ratio(rule, pd::range_bits(rule, amax, lo, hi), ts));
    const float e = pd::effective_scale(rule, scale, ts);
    float qlo = int_lo, qhi = int_hi;
    if (rule.asymmetric) {
      const float z = float(pd::zero_point(rule, lo, e));
      qlo = -z;
      qhi = rule.elem_range - z;
    }
    for (std::size_t r = r0; r < r0 + h; ++r) {
      PRECSIM_NO_UNROLL
      for (std::size_t c = c0 + lane; c < c0 + w; c += lanes) {
        const std::size_t i = r * cols + c;
        const std::uint64_t word = er.mode == round_mode::stochastic ? pd::bulk_random_word(s, s.offset + i, er.random_bits) : 0;
        float q = quantize(pd::div_rn(in[i], e), grid, er, word);
        if (integer) q = (q < qlo ? qlo : q > qhi ? qhi : q) + 0.0f;  // +0.0f: no -0
        out[i] = pd::mul_rn(q, e);
      }
    }
  }
};

// The tensor's amax (bits of max |v|; NaN above infinity's), one chunk of 8192 values per warp.
struct amax_units {
  static constexpr std::size_t chunk = 8192;
  const float* in;
  std::size_t n;
  std::uint32_t* amax;

  PRECSIM_HD void operator()(std::size_t u, unsigned lane, unsigned lanes) const {
    std::uint32_t a = 0;
    const std::size_t end = n - u * chunk < chunk ? n : u * chunk + chunk;
    for (std::size_t i = u * chunk + lane; i < end; i += lanes) {
      const std::uint32_t b = precsim::detail::bits_of_float(in[i]) & 0x7FFFFFFFu;
      a = b > a ? b : a;
    }
    a = warp_max(a, lanes);
    if (lane == 0) atomic_max(amax, a);
  }
};

inline void run_quantize_blocks(const float* in, float* out, std::size_t rows, std::size_t cols,
                                const block_format& f, const rounding& r, const sr_source& src,
                                cudaStream_t stream) {
  const char* fn = "quantize_blocks";
  const sr_stream s = precsim::detail::resolve_stream(src, r);
  // The host's plan: validation, tile geometry, element grid and rounding, integer range.
  const precsim::detail::block_plan p = precsim::detail::make_plan(fn, rows * cols, rows, cols, f, r);
  const std::size_t n = rows * cols;
  check_buffers(fn, in, n, out, n);
  if (n == 0) return;
  tile_units body{in, out, rows, cols, p.th, p.tw, p.tile_cols, p, p.grid, p.er, s, p.integer, 0, 0, nullptr};
  if (p.integer) {
    body.int_lo = float(int_min(f.integer)) * p.ulp;
    body.int_hi = float(int_max(f.integer)) * p.ulp;
  }
  body.er.random_bits = precsim::detail::bulk_random_bits<float>(r);
  if (!f.tensor_scale) return launch_warps(fn, body, p.tiles(), stream);
  const scratch<std::uint32_t> amax(fn, 1, stream);
  launch_warps(fn, amax_units{in, n, amax.get()}, (n + amax_units::chunk - 1) / amax_units::chunk, stream);
  body.tensor_amax = amax.get();
  launch_warps(fn, body, p.tiles(), stream);
}

}  // namespace detail

// Fake quantization of the rows x cols row-major float matrix `in` (device memory) to the block
// format f: out = precsim::quantize_blocks(in, rows, cols, f, r, s) of the host, bit for bit
// (NaN payloads aside). in == out allowed.
inline void quantize_blocks(const float* in, float* out, std::size_t rows, std::size_t cols, const block_format& f,
                            rounding r = {}, sr_source s = {}, cudaStream_t stream = 0) {
  detail::run_quantize_blocks(in, out, rows, cols, f, r, s, stream);
}

PRECSIM_END_CONFIG
}  // namespace precsim::cuda
