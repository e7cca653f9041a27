// block_format: the one descriptor of a scaled format (formats.md, "Integer formats and scaling",
// "Block-scaled formats"): an element grid, the tile shape that shares one scale, the scale's
// encoding and the rule that picks it, and optionally a second-level fp32 tensor scale. Covers
// INT-b with absmax scales per tensor / channel / group, OCP MX, NVFP4 and 2-D FP8 tiles.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "../format.hpp"

namespace precsim {

// Tile extent over a row-major rows x cols matrix; 0 means the whole extent.
// {1, 0}: per row (output channel); {0, 0}: per tensor; {1, 32}: OCP MX; {128, 128}: weight tiles.
struct block_shape {
  std::size_t rows = 1;
  std::size_t cols = 32;
  friend constexpr bool operator==(const block_shape&, const block_shape&) = default;
};

// How a tile's scale is chosen from its range (amax, or max - min for asymmetric integers).
enum class scale_rule : std::uint8_t {
  floor_pow2,    // OCP MX v1.0: 2^(floor(log2 amax) - emax_elem); may clip the block max
  ceil_pow2,     // amax / elem_max rounded up to a power of two: the block max never clips
  nearest_pow2,  // amax / elem_max rounded to the nearest power of two (RNE into E8M0)
  exact,         // amax / elem_max rounded to nearest in the scale encoding
};

// Integer element grids: q * 2^-fraction_bits with q an integer of `bits` bits.
enum class int_range : std::uint8_t {
  symmetric,   // q in +-(2^(bits-1) - 1) (narrow range; the paper's absmax INT-b)
  full,        // two's complement: q in [-2^(bits-1), 2^(bits-1) - 1]
  unsigned_,   // q in [0, 2^bits - 1]; negative inputs saturate to 0
  asymmetric,  // unsigned code c in [0, 2^bits - 1] with a per-tile zero point z: q = c - z
};

struct int_element {
  int bits = 8;                // 2..16
  int_range range = int_range::symmetric;
  int fraction_bits = 0;       // implied 2^-fraction_bits (MXINT8: 6, values in [-2, 2))
  friend constexpr bool operator==(const int_element&, const int_element&) = default;
};

enum class element_kind : std::uint8_t { floating, integer };

struct block_format {
  element_kind kind = element_kind::floating;
  float_format element = formats::float8_e4m3fn;  // when kind == floating (at most 16 bits)
  int_element integer{};                           // when kind == integer
  block_shape shape{};
  float_format scale = formats::float8_e8m0fnu;    // encoding of the tile scales (positive values)
  scale_rule rule = scale_rule::floor_pow2;
  // NVFP4: an fp32 tensor scale t = amax(tensor) / (max(scale) * elem_max) below the tile scales.
  bool tensor_scale = false;
  friend constexpr bool operator==(const block_format&, const block_format&) = default;
};

PRECSIM_BEGIN_CONFIG

// ---- derived properties -----------------------------------------------------------------------

constexpr int element_bits(const block_format& f) noexcept {
  return f.kind == element_kind::integer ? f.integer.bits : storage_bits(f.element);
}

// The integer grid as a float_format with one exponent bit, so that both binades have spacing
// 2^-fraction_bits: rounding to it is rounding to integers. Symmetric grids end at 2^(bits-1)-1
// and unsigned ones at 2^bits - 1 (negative inputs saturate to 0), so rounding with saturation
// stays in range; full-range and asymmetric grids (0 .. 2^bits - 1 either sign) are clamped to
// their range after rounding (rounding commutes with clamping to grid points).
constexpr float_format integer_grid(const int_element& e) noexcept {
  const int m = e.range == int_range::symmetric ? e.bits - 2 : e.bits - 1;
  return {1, m, 1 - m + e.fraction_bits, e.range != int_range::unsigned_, subnormal_mode::gradual,
          special_values::none, false, overflow_value::max_finite};
}
constexpr bool needs_clamp(const int_element& e) noexcept {
  return e.range == int_range::full || e.range == int_range::asymmetric;
}

// Lowest and highest integer q of the grid (asymmetric: of the code c).
constexpr std::int32_t int_min(const int_element& e) noexcept {
  const std::int32_t half = std::int32_t{1} << (e.bits - 1);
  switch (e.range) {
    case int_range::symmetric: return 1 - half;
    case int_range::full: return -half;
    default: return 0;
  }
}
constexpr std::int32_t int_max(const int_element& e) noexcept {
  const std::int32_t half = std::int32_t{1} << (e.bits - 1);
  return e.range == int_range::symmetric || e.range == int_range::full ? half - 1 : 2 * half - 1;
}

// Largest element magnitude, the elem_max of the scale rules (asymmetric: the code span 2^bits - 1).
constexpr double element_max(const block_format& f) noexcept {
  if (f.kind == element_kind::floating) return max_finite(f.element);
  return double(int_max(f.integer)) * detail::pow2(-f.integer.fraction_bits);
}

// emax_elem of OCP MX: the exponent of the largest element's binade.
constexpr int element_emax(const block_format& f) noexcept {
  if (f.kind == element_kind::floating) return max_exponent(f.element);
  int e = -1;
  for (std::int32_t m = int_max(f.integer); m; m >>= 1) ++e;
  return e - f.integer.fraction_bits;
}

// Storage per element including the scales' share (for a full tile of a matrix with `cols`
// columns; whole-extent tiles count as one tile per matrix).
constexpr double bits_per_element(const block_format& f, std::size_t rows, std::size_t cols) noexcept {
  const double tr = double(f.shape.rows ? f.shape.rows : rows);
  const double tc = double(f.shape.cols ? f.shape.cols : cols);
  const double zero_point = f.kind == element_kind::integer && f.integer.range == int_range::asymmetric
                                ? f.integer.bits : 0;
  return element_bits(f) + (storage_bits(f.scale) + zero_point) / (tr * tc) +
         (f.tensor_scale ? 32.0 / (double(rows) * double(cols)) : 0.0);
}

// ---- validation -------------------------------------------------------------------------------

constexpr const char* invalid_reason(const block_format& f) noexcept {
  if (static_cast<unsigned>(f.kind) > static_cast<unsigned>(element_kind::integer))
    return "block_format.kind is not an element_kind (floating, integer)";
  if (static_cast<unsigned>(f.rule) > static_cast<unsigned>(scale_rule::exact))
    return "block_format.rule is not a scale_rule (floor_pow2, ceil_pow2, nearest_pow2, exact)";
  if (f.kind == element_kind::floating) {
    if (const char* why = invalid_reason(f.element)) return why;
    if (storage_bits(f.element) > 16) return "block_format.element must have at most 16 bits";
    if (max_exponent(f.element) > 127 || min_positive_exponent(f.element) < -149)
      return "block_format.element must have float-representable values";
  } else {
    if (static_cast<unsigned>(f.integer.range) > static_cast<unsigned>(int_range::asymmetric))
      return "block_format.integer.range is not an int_range (symmetric, full, unsigned_, asymmetric)";
    if (f.integer.bits < 2 || f.integer.bits > 16) return "block_format.integer.bits must be in 2..16";
    if (f.integer.fraction_bits < -32 || f.integer.fraction_bits > 32)
      return "block_format.integer.fraction_bits must be in -32..32";
    if (f.integer.range == int_range::asymmetric && f.integer.fraction_bits != 0)
      return "block_format.integer.fraction_bits must be 0 for asymmetric elements";
  }
  if (const char* why = invalid_reason(f.scale)) return why;
  if (storage_bits(f.scale) > 32) return "block_format.scale must have at most 32 bits";
  if (max_exponent(f.scale) > 127 || min_positive_exponent(f.scale) < -149)
    return "block_format.scale must have float-representable values";
  if (!has_nan(f.scale)) return "block_format.scale needs a NaN code (a NaN or Inf input makes its tile NaN)";
  return nullptr;
}

constexpr void validate(const block_format& f) {
  if (const char* why = invalid_reason(f)) throw std::invalid_argument(why);
}

// ---- named formats ----------------------------------------------------------------------------

namespace formats {

// OCP MX v1.0: blocks of 32 along a row, E8M0 scale by floor_pow2, elements RNE and saturated.
constexpr block_format mx(const float_format& element) {
  block_format f{element_kind::floating, element, {}, {1, 32}, float8_e8m0fnu, scale_rule::floor_pow2, false};
  validate(f);
  return f;
}
PRECSIM_CONSTANT block_format mxfp8_e4m3 = mx(float8_e4m3fn);
PRECSIM_CONSTANT block_format mxfp8_e5m2 = mx(float8_e5m2);
PRECSIM_CONSTANT block_format mxfp6_e3m2 = mx(float6_e3m2fn);
PRECSIM_CONSTANT block_format mxfp6_e2m3 = mx(float6_e2m3fn);
PRECSIM_CONSTANT block_format mxfp4_e2m1 = mx(float4_e2m1fn);
// MXINT8: 8-bit integers with an implied 2^-6, symmetric as in OCP's microxcaling reference.
PRECSIM_CONSTANT block_format mxint8{element_kind::integer, float8_e4m3fn, {8, int_range::symmetric, 6},
                                     {1, 32}, float8_e8m0fnu, scale_rule::floor_pow2, false};
// NVFP4: e2m1 in blocks of 16, positive e4m3 block scales rounded to nearest, fp32 tensor scale.
PRECSIM_CONSTANT block_format nvfp4{element_kind::floating, float4_e2m1fn, {}, {1, 16}, float8_e4m3fn,
                                    scale_rule::exact, true};

// Symmetric INT-b with an fp32 absmax scale per tile (the precision scaling-law paper):
// {1, 0} per output channel, {0, 0} per tensor, {1, G} groups of G.
constexpr block_format int_scaled(int bits, block_shape shape) {
  block_format f{element_kind::integer, float8_e4m3fn, {bits, int_range::symmetric, 0}, shape,
                 float32, scale_rule::exact, false};
  validate(f);
  return f;
}

// DeepSeek-V3-style FP8 tiles: e4m3 elements, fp32 scale amax / 448 per tile ({1, 128}
// activations, {128, 128} weights).
constexpr block_format fp8_tiles(block_shape shape, const float_format& element = float8_e4m3fn) {
  block_format f{element_kind::floating, element, {}, shape, float32, scale_rule::exact, false};
  validate(f);
  return f;
}

}  // namespace formats
PRECSIM_END_CONFIG
}  // namespace precsim
