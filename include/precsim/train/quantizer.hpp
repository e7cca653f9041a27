// Fake quantization for training with a straight-through estimator (STE).
//   quantizer       what a tensor is rounded to: nothing (fp32), an element format or a block
//                   format, with a rounding; converts implicitly from both formats
//   fake_quantize   forward: out = q(in) over a rows x cols row-major matrix; optionally marks
//                   the elements that were clipped (outside the grid's range)
//   ste_backward    backward: grad_in = grad_out, or 0 where the forward clipped (clipped STE)
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>

#include "../blocks/quantize.hpp"
#include "../bulk.hpp"

namespace precsim {

enum class quant_kind : std::uint8_t { none, element, block };

struct quantizer {
  quant_kind kind = quant_kind::none;
  float_format element{};
  block_format block{};
  rounding round{};

  constexpr quantizer() = default;
  constexpr quantizer(const float_format& f, rounding r = {}) : kind(quant_kind::element), element(f), round(r) {}
  constexpr quantizer(const block_format& f, rounding r = {}) : kind(quant_kind::block), block(f), round(r) {}
  friend constexpr bool operator==(const quantizer&, const quantizer&) = default;
};

PRECSIM_BEGIN_CONFIG

namespace detail {
inline void check_matrix(const char* fn, std::size_t size, std::size_t rows, std::size_t cols, const char* what) {
  if (cols != 0 && rows > std::size_t(-1) / cols) bulk_error(fn, std::string(what) + ": rows * cols overflows");
  if (size != rows * cols)
    bulk_error(fn, std::string(what) + " has " + std::to_string(size) + " values, rows * cols = " +
                        std::to_string(rows * cols));
}

// Where a grid stops: values beyond `hi + half_step` (below `lo - half_step`) in the grid's own
// units are clipped; values up to there round onto the grid's end and keep their gradient.
struct clip_range {
  double lo, hi, half_step;
};
inline clip_range element_clip(const float_format& f) {
  const double hi = max_finite(f), half = pow2(max_exponent(f) - f.mantissa_bits - 1);
  if (f.is_signed) return {-hi, hi, half};
  return {0.0, hi, 0.5 * decode(1, f)};  // unsigned: below half the smallest value is clipped
}

inline void mark_clipped(std::span<const float> x, std::span<std::uint8_t> clipped, const float_format& f) {
  const clip_range c = element_clip(f);
  const bulk_fp_scope env;  // NaN compares raise invalid: never in the caller's environment
  for (std::size_t i = 0; i < x.size(); ++i)  // (NaN on bits: -ffast-math may take a NaN as out of range)
    clipped[i] = std::uint8_t(!is_nan(x[i]) && (double(x[i]) > c.hi + c.half_step || double(x[i]) < c.lo - c.half_step));
}

// Block formats: the tile's scaled value x / e (as the quantizer computes it) against the element
// grid's range; asymmetric tiles shift the range by their zero point.
inline void mark_clipped(std::span<const float> x, std::span<std::uint8_t> clipped, std::size_t rows,
                         std::size_t cols, const block_format& f, const block_tensor& bt) {
  const std::size_t th = f.shape.rows ? f.shape.rows : rows, tw = f.shape.cols ? f.shape.cols : cols;
  const std::size_t tiles_per_row = tw ? (cols + tw - 1) / tw : 0;
  const bool integer = f.kind == element_kind::integer;
  const bool asym = integer && f.integer.range == int_range::asymmetric;
  clip_range c = integer ? clip_range{double(int_min(f.integer)) * pow2(-f.integer.fraction_bits), element_max(f),
                                      0.5 * pow2(-f.integer.fraction_bits)}
                         : element_clip(f.element);
  const bulk_fp_scope env;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t col = 0; col < cols; ++col) {
      const std::size_t t = (r / th) * tiles_per_row + col / tw;
      float e = to_float(decode(bt.scales[t], f.scale));
      if (f.tensor_scale) e = is_nan(e * bt.tensor_scale) || e * bt.tensor_scale > 0.0f ? e * bt.tensor_scale : pow2f(-149);
      const double z = asym ? double(bt.zero_points[t]) : 0.0;
      const float q = x[r * cols + col] / e;
      const double v = double(q);
      clipped[r * cols + col] = std::uint8_t(!is_nan(q) && (v > c.hi - z + c.half_step || v < c.lo - z - c.half_step));
    }
}
}  // namespace detail

// out = q(in) for a rows x cols row-major matrix (rows and cols matter to block formats only;
// element formats and none see a flat span). In place allowed. Stochastic rounding takes element
// i's random word from s as the bulk API does (index s.offset + i).
inline void fake_quantize(std::span<const float> in, std::span<float> out, std::size_t rows, std::size_t cols,
                          const quantizer& q, sr_source s = {}) {
  const char* fn = "fake_quantize";
  detail::check_matrix(fn, in.size(), rows, cols, "in");
  detail::check_matrix(fn, out.size(), rows, cols, "out");
  switch (q.kind) {
    case quant_kind::none:
      if (out.data() != in.data()) std::copy(in.begin(), in.end(), out.begin());
      return;
    case quant_kind::element: return quantize(in, out, q.element, q.round, s);
    case quant_kind::block: return quantize_blocks(in, out, rows, cols, q.block, q.round, s);
  }
  detail::bulk_error(fn, "quantizer.kind is not a quant_kind (none, element, block)");
}

// The same, also marking in `clipped` (one byte per element) the elements that the quantizer
// clipped: those beyond the end of the grid by more than half the grid's last step (element
// formats: beyond the overflow threshold; block formats: the scaled value beyond the element
// range). Values that merely round onto the grid's end are not clipped; NaN is not clipped; with
// absmax scales (exact rule, int_scaled) nothing is. in and out must not overlap here.
inline void fake_quantize(std::span<const float> in, std::span<float> out, std::size_t rows, std::size_t cols,
                          const quantizer& q, sr_source s, std::span<std::uint8_t> clipped) {
  const char* fn = "fake_quantize";
  detail::check_matrix(fn, clipped.size(), rows, cols, "clipped");
  detail::check_matrix(fn, in.size(), rows, cols, "in");
  if (in.data() == out.data() && !in.empty()) detail::bulk_error(fn, "in and out must differ when clipped is asked for");
  if (q.kind == quant_kind::block) {
    const block_tensor bt = encode_blocks(in, rows, cols, q.block, q.round, s);
    detail::check_matrix(fn, out.size(), rows, cols, "out");
    decode_blocks(bt, out);  // == quantize_blocks(in) bit for bit
    detail::mark_clipped(in, clipped, rows, cols, q.block, bt);
    return;
  }
  fake_quantize(in, out, rows, cols, q, s);
  if (q.kind == quant_kind::element) detail::mark_clipped(in, clipped, q.element);
  else std::fill(clipped.begin(), clipped.end(), std::uint8_t{0});
}

// Straight-through backward: grad_in = grad_out (in place allowed); with a clipped mask from the
// forward, 0 where it is set (the clipped STE).
inline void ste_backward(std::span<const float> grad_out, std::span<float> grad_in,
                         std::span<const std::uint8_t> clipped = {}) {
  const char* fn = "ste_backward";
  detail::check_spans(fn, grad_out, grad_in);
  if (!clipped.empty() && clipped.size() != grad_out.size())
    detail::bulk_error(fn, "clipped has " + std::to_string(clipped.size()) + " values, grad_out " +
                                std::to_string(grad_out.size()));
  if (clipped.empty()) {
    if (grad_in.data() != grad_out.data()) std::copy(grad_out.begin(), grad_out.end(), grad_in.begin());
    return;
  }
  for (std::size_t i = 0; i < grad_out.size(); ++i) grad_in[i] = clipped[i] ? 0.0f : grad_out[i];
}

PRECSIM_END_CONFIG
}  // namespace precsim
