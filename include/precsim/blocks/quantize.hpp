// Scaled and block quantization of row-major float matrices (docs/blocks.md):
//
//   quantize_blocks  fake quantization: every value becomes its scaled, rounded, rescaled self
//   encode_blocks    element codes + tile scale codes (+ zero points, tensor scale): block_tensor
//   decode_blocks    block_tensor -> floats;  decode_blocks(encode_blocks(x)) == quantize_blocks(x)
//
// Per tile: range = max|v| (asymmetric: max(v, 0) - min(v, 0)); scale s from the rule, in the
// scale encoding; e = s (times the tensor scale t); element q = round(fl32(v / e)) on the element
// grid, saturated to its range; value fl32(q * e). The element rounding runs on the bulk API's
// vector kernels (simd/), tiles are processed while in cache, rows on several threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "../bulk.hpp"
#include "../packing.hpp"
#include "format.hpp"
#include "lanes.hpp"
#include "scale.hpp"

namespace precsim {

// The encoded form of a matrix. Element codes are row-major: packed back to back (packing.hpp
// layout) when element_bits <= 8, else two bytes per code, least significant byte first. Integer
// elements are two's complement (asymmetric: the unsigned code c). Tiles are numbered row-major
// over the grid of tiles; scales holds their codes in the scale encoding.
struct block_tensor {
  block_format format{};
  std::size_t rows = 0, cols = 0;
  std::vector<std::uint8_t> elements;
  std::vector<std::uint32_t> scales;
  std::vector<std::uint16_t> zero_points;  // asymmetric integers only: z per tile
  float tensor_scale = 1.0f;               // format.tensor_scale only
};

#if defined(PRECSIM_SEPARATE_KERNELS)  // compiled kernels (bulk.hpp)
namespace compiled {
void quantize_blocks_impl(std::span<const float> in, std::span<float> out, std::size_t rows, std::size_t cols,
                          const block_format& f, const rounding& r, const sr_stream& s, std::span<const float> user);
void encode_blocks_impl(std::span<const float> in, std::size_t rows, std::size_t cols, const block_format& f,
                        const rounding& r, const sr_stream& s, std::span<const float> user, block_tensor& bt);
void decode_blocks_impl(const block_tensor& bt, std::span<float> out);
}  // namespace compiled
#endif

PRECSIM_BEGIN_CONFIG
namespace detail {
#if PRECSIM_KERNELS_EXTERN
using compiled::quantize_blocks_impl;
using compiled::encode_blocks_impl;
using compiled::decode_blocks_impl;
#else

// Tile statistics: amax as the bits of max|v| (NaN above 0x7F800000), and min/max for asymmetric.
struct tile_stat {  // value-initialize: tile_stat{} is the empty tile
  std::uint32_t amax;
  float lo, hi;
  void merge(const tile_stat& o) noexcept {
    amax = std::max(amax, o.amax);
    lo = std::min(lo, o.lo);
    hi = std::max(hi, o.hi);
  }
};

// Adds the values v[0, n) to st: amax always, min/max where asked.
inline void add_stats(const block_ops& ops, const float* v, std::size_t n, tile_stat& st, bool minmax) noexcept {
  st.amax = std::max(st.amax, ops.amax(v, n));
  if (!minmax) return;
  float lo = st.lo, hi = st.hi;
  for (std::size_t i = 0; i < n; ++i) {
    lo = v[i] < lo ? v[i] : lo;
    hi = v[i] > hi ? v[i] : hi;
  }
  st.lo = lo;
  st.hi = hi;
}

// Per-call constants (those of the tile scales in the base).
struct block_plan : tile_rule {
  const char* fn = "";  // the public call, for error messages
  std::size_t rows = 0, cols = 0, th = 0, tw = 0, tile_rows = 0, tile_cols = 0;
  float_format grid;     // the element grid the kernel rounds to
  rounding er;           // the element rounding: the caller's, saturating
  bool integer = false;
  float ulp = 1;         // integers: 2^-fraction_bits
  std::size_t seg = 0;  // row segment length of every pass (segment_length)
  simd_level level = simd_level::scalar;
  block_ops ops{};
  kernel_params scale_kp{};  // rounding to the scale encoding (scale_rule::exact)

  std::size_t tiles() const noexcept { return tile_rows * tile_cols; }
};

// Segment length for element passes: whole tiles, 4096 values or so, a multiple of 8 values
// where tiles allow (so that packed sub-byte codes of a chunk start and end on byte boundaries).
inline std::size_t segment_length(std::size_t tw) noexcept {
  if (tw >= 512) return tw;
  const std::size_t unit = tw * 8;
  return (4096 / unit) * unit;
}

inline block_plan make_plan(const char* fn, std::size_t in_size, std::size_t rows, std::size_t cols,
                            const block_format& f, const rounding& r) {
  validate(f);
  validate(r);
  if (rows != 0 && cols > SIZE_MAX / rows) bulk_error(fn, "rows * cols overflows size_t");
  if (in_size != rows * cols)
    bulk_error(fn, "the span has " + std::to_string(in_size) + " elements, rows * cols = " +
                       std::to_string(rows) + " * " + std::to_string(cols));
  block_plan p;
  static_cast<tile_rule&>(p) = make_tile_rule(f);
  p.fn = fn;
  p.rows = rows;
  p.cols = cols;
  p.th = std::max<std::size_t>(1, f.shape.rows ? std::min(f.shape.rows, rows) : rows);
  p.tw = std::max<std::size_t>(1, f.shape.cols ? std::min(f.shape.cols, cols) : cols);
  p.tile_rows = (rows + p.th - 1) / p.th;
  p.tile_cols = (cols + p.tw - 1) / p.tw;
  p.seg = segment_length(p.tw);
  p.integer = f.kind == element_kind::integer;
  p.grid = p.integer ? integer_grid(f.integer) : f.element;
  p.er = r;
  p.er.saturate = saturation::finite;
  p.ulp = p.integer ? pow2f(-f.integer.fraction_bits) : 1.0f;
  p.level = active_simd_level();
  p.ops = block_ops_for(p.level);
  if (p.level != simd_level::scalar && f.rule == scale_rule::exact) p.scale_kp = make_kernel_params(f.scale, scale_rounding);
  return p;
}

// The bits a tile's scale is computed from (scale.hpp).
inline std::uint32_t range_bits(const block_plan& p, const tile_stat& st) noexcept {
  return range_bits(p, st.amax, st.lo, st.hi);
}

// Tile scales s[i] from ratios x[i] (scale_from_ratio); the exact rule on the rounding kernel.
inline void scales_from_ratios(const block_plan& p, const float* x, float* s, std::size_t n) noexcept {
#if PRECSIM_VECTOR_KERNELS
  if (p.f.rule == scale_rule::exact && p.scale_kp.eligible && n >= 16) {
    static constexpr float one[1] = {1.0f};  // (the scaled kernel, unscaled: one variant fewer to compile)
    vector_round<true>(p.level, p.scale_kp, sr_stream{}, 0, x, s, n, lane_scales{one, nullptr, 0, 63, false, false});
    for (std::size_t i = 0; i < n; ++i) s[i] = bit_cast<std::uint32_t>(s[i]) << 1 == 0 ? p.scale_min : s[i];
    return;
  }
#endif
  for (std::size_t i = 0; i < n; ++i) s[i] = scale_from_ratio(p, x[i]);
}

// Runs unit(r, c0, c1) over row segments: each row in pieces of p.seg columns (whole tiles of
// the row), on the bulk API's threads.
template <class Unit>
void for_row_segments(const block_plan& p, Unit&& unit) {
  const std::size_t seg = p.seg;
  const std::size_t cols = p.cols;
  if (p.rows == 0 || cols == 0) return;
  parallel_for(p.rows * cols, [&](std::size_t b, std::size_t e) {
    const bulk_fp_scope env;
    // the segments whose first element lies in [b, e)
    for (std::size_t r = b / cols; r < p.rows && r * cols < e; ++r) {
      const std::size_t row0 = r * cols;
      std::size_t c = row0 >= b ? 0 : (b - row0 + seg - 1) / seg * seg;
      for (; c < cols && row0 + c < e; c += seg) unit(r, c, std::min(cols, c + seg));
    }
  });
}

// Statistics of the tiles of row r in columns [c0, c1) (c0 on a tile boundary), merged into
// st[0], st[1], ... (one per tile).
inline void row_stats(const block_plan& p, const float* in, std::size_t r, std::size_t c0,
                      std::size_t c1, tile_stat* st) noexcept {
  for (std::size_t c = c0; c < c1; c += p.tw)
    add_stats(p.ops, in + r * p.cols + c, std::min(c1, c + p.tw) - c, st[(c - c0) / p.tw], p.asymmetric);
}

// Scales and zero points of every tile. Row tiles (th == 1) are left to the element pass, which
// computes them while the row is in cache; taller tiles need a pass over the data first.
struct tile_scales {
  std::vector<float> s;          // tile scale (decoded), before the tensor scale
  std::vector<std::uint16_t> z;  // asymmetric zero points
  float t = 1.0f;
  bool user = false;
};

// Scales of tiles from the bits of their ranges (range_bits). OCP MX's rule reads the exponent
// field straight; zero, subnormal, infinite and NaN ranges take the general path.
inline void scales_from_ranges(const block_plan& p, const std::uint32_t* range, std::size_t n, float* s,
                               float t) noexcept {
  if (p.f.rule == scale_rule::floor_pow2 && !p.f.tensor_scale) {
    bool general = false;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t E = range[i] >> 23;
      s[i] = pow2f(std::clamp(int(E) - 127 - p.emax, p.pow2_min_e, p.pow2_max_e));
      general |= E - 1 >= 254;
    }
    if (!general) return;
  }
  float x[256];
  for (std::size_t b = 0; b < n; b += 256) {
    const std::size_t m = std::min<std::size_t>(256, n - b);
    for (std::size_t i = 0; i < m; ++i) x[i] = amax_ratio(p, range[b + i], t);
    scales_from_ratios(p, x, s + b, m);
  }
}

// Scales (unless given) and zero points of the tiles first .. first + n - 1 from their statistics.
inline void set_tiles(const block_plan& p, tile_scales& ts, std::size_t first, const tile_stat* st,
                      std::size_t n) noexcept {
  if (!ts.user) {
    std::uint32_t range[256];
    for (std::size_t b = 0; b < n; b += 256) {
      const std::size_t m = std::min<std::size_t>(256, n - b);
      for (std::size_t i = 0; i < m; ++i) range[i] = range_bits(p, st[b + i]);
      scales_from_ranges(p, range, m, ts.s.data() + first + b, ts.t);
    }
  }
  if (p.asymmetric)
    for (std::size_t i = 0; i < n; ++i)
      ts.z[first + i] = zero_point(p, st[i].lo, effective_scale(p, ts.s[first + i], ts.t));
}

inline tile_scales prepare_scales(const block_plan& p, const float* in, std::span<const float> user) {
  tile_scales ts;
  ts.s.assign(p.tiles(), 0.0f);
  if (p.asymmetric) ts.z.assign(p.tiles(), 0);
  ts.user = !user.empty();
  if (ts.user) {
    if (user.size() != p.tiles())
      bulk_error(p.fn, "scales has " + std::to_string(user.size()) + " values, the matrix has " +
                           std::to_string(p.tiles()) + " tiles");
    for (std::size_t i = 0; i < user.size(); ++i) {
      if (!(user[i] > 0.0f && user[i] <= 3.4028235e38f))
        bulk_error(p.fn, "scales[" + std::to_string(i) + "] is not positive and finite");
      const float s = quantize(user[i], p.f.scale, scale_rounding);
      ts.s[i] = s > 0.0f ? s : p.scale_min;
    }
  } else if (p.f.tensor_scale) {  // NVFP4 level 2: the tensor's amax first
    std::atomic<std::uint32_t> amax{0};
    for_row_segments(p, [&](std::size_t r, std::size_t c0, std::size_t c1) {
      std::uint32_t a = p.ops.amax(in + r * p.cols + c0, c1 - c0), cur = amax.load(std::memory_order_relaxed);
      while (a > cur && !amax.compare_exchange_weak(cur, a)) {}
    });
    ts.t = tensor_scale_of(p, amax.load());
  }
  if (p.th == 1 || p.rows * p.cols == 0) return ts;  // row tiles: computed in the element pass
  // Taller tiles: statistics per (row, tile column), then merged over each tile's rows.
  std::vector<tile_stat> per_row(p.rows * p.tile_cols);
  for_row_segments(p, [&](std::size_t r, std::size_t c0, std::size_t c1) {
    row_stats(p, in, r, c0, c1, per_row.data() + r * p.tile_cols + c0 / p.tw);
  });
  for (std::size_t tr = 0; tr < p.tile_rows; ++tr) {  // merged into the tile row's first row
    tile_stat* st = per_row.data() + tr * p.th * p.tile_cols;
    for (std::size_t r = tr * p.th + 1; r < std::min(p.rows, (tr + 1) * p.th); ++r)
      for (std::size_t tc = 0; tc < p.tile_cols; ++tc) st[tc].merge(per_row[r * p.tile_cols + tc]);
    set_tiles(p, ts, tr * p.tile_cols, st, p.tile_cols);
  }
  return ts;
}

// A chunk of at most 1024 values of one row: where it starts and the effective scales of the
// tiles it touches (tile t of the chunk is tile first + t of the matrix).
struct chunk_view {
  std::size_t c = 0, n = 0, off = 0, first = 0, tiles = 0;
  float e[1025];
  // For each tile run [k, k + m): f(k, m, t).
  template <class F>
  void for_each_tile(std::size_t tw, F&& f) const { for_tiles(n, off, tw, f); }
};

// The scales of the chunk [c, c + n) of row r into v; m = 1 / e where every reciprocal is exact
// (then v * m == fl32(v / e)), else e (divide).
inline bool chunk_scales(const block_plan& p, const tile_scales& ts, std::size_t r, std::size_t c, std::size_t n,
                       chunk_view& v, float* m) noexcept {
  v.c = c;
  v.n = n;
  v.off = c % p.tw;
  v.first = (r / p.th) * p.tile_cols + c / p.tw;
  v.tiles = (v.off + n + p.tw - 1) / p.tw;
  bool exact = true;
  for (std::size_t t = 0; t < v.tiles; ++t) {
    const float e = effective_scale(p, ts.s[v.first + t], ts.t);
    const std::uint32_t u = bit_cast<std::uint32_t>(e), E = u >> 23;
    v.e[t] = e;
    m[t] = float_of_bits((254 - E) << 23);
    exact = exact && (u & 0x7FFFFFu) == 0 && E - 1 < 253;  // normal 2^k, 1/2^k normal too
  }
  return exact;
}

// The element pass over row segments.
struct element_pass {
  const block_plan& p;
  const float* in;
  tile_scales& ts;
  const sr_stream& s;
  kernel_params kp{};

  element_pass(const block_plan& plan, const float* input, tile_scales& scales, const sr_stream& stream)
      : p(plan), in(input), ts(scales), s(stream) {
    if (p.level != simd_level::scalar) kp = make_kernel_params(p.grid, p.er);
  }

  // Integer grids: clamp to the tile's range (and +0 for -0: integers have no signed zero).
  void clamp_integers(float* y, const chunk_view& v) const noexcept {
    const float lo = float(int_min(p.f.integer)) * p.ulp, hi = float(int_max(p.f.integer)) * p.ulp;
    if (!p.asymmetric) return p.ops.clamp(y, v.n, lo, hi);
    v.for_each_tile(p.tw, [&](std::size_t k, std::size_t m, std::size_t t) {
      const float z = float(ts.z[v.first + t]);
      p.ops.clamp(y + k, m, -z, p.elem_range - z);
    });
  }

  // Scales (unless given) and zero points of the row tiles of row r in [c0, c1) (c0 on a tile
  // boundary), from the data.
  void row_tile_scales(std::size_t r, std::size_t c0, std::size_t c1) const {
    tile_stat st[256];
    std::uint32_t amax[256];
    for (std::size_t c = c0; c < c1;) {
      const std::size_t count = std::min<std::size_t>(256, (c1 - c + p.tw - 1) / p.tw);
      const std::size_t end = std::min(c1, c + count * p.tw);
      if (p.asymmetric) {
        std::fill_n(st, count, tile_stat{});
        row_stats(p, in, r, c, end, st);
        set_tiles(p, ts, r * p.tile_cols + c / p.tw, st, count);
      } else {
        p.ops.tile_amax(in + r * p.cols + c, end - c, 0, p.tw, amax);
        scales_from_ranges(p, amax, count, ts.s.data() + r * p.tile_cols + c / p.tw, ts.t);
      }
      c = end;
    }
  }

  // For the segment [c0, c1) of row r, in chunks of at most 1024: the values v scaled to
  // fl32(v / e), rounded onto the element grid with the random words of index
  // s.offset + r * cols + c, then
  //   Code = float, dst given (fake quantization): dst[c ..] = fl32(q * e)
  //   Code = float, else: chunk(view, q) with the grid values q (integer grids in range)
  //   Code = a code type: the codes of floating elements into dst[c ..] (or a buffer when dst
  //   is null), then chunk(view, codes).
  // Where the kernel takes the format, the scaling runs inside it (lane_scales); else in passes.
  template <class Code, class Chunk>
  void run(std::size_t r, std::size_t c0, std::size_t c1, Code* dst, Chunk&& chunk) const {
    if (p.th == 1 && (!ts.user || p.asymmetric)) row_tile_scales(r, c0, c1);  // while the row is in cache
    alignas(64) float y[1024];
    alignas(64) Code codes[std::is_same_v<Code, float> ? 1 : 1024];
    chunk_view v;
    float m[1025];
    // Full-range and asymmetric integer grids are clamped before the values are scaled back.
    const bool clamp = p.integer && needs_clamp(p.f.integer);
    for (std::size_t c = c0; c < c1; c += 1024) {
      const std::size_t n = std::min<std::size_t>(1024, c1 - c);
      const bool by_reciprocal = chunk_scales(p, ts, r, c, n, v, m);
      const float* x = in + r * p.cols + c;
      const float* mul = by_reciprocal ? m : v.e;
      const bool scale_out = std::is_same_v<Code, float> && dst && !clamp;
      Code* out = nullptr;
      if constexpr (std::is_same_v<Code, float>) out = scale_out ? dst + r * p.cols + c : y;
      else out = dst ? dst + r * p.cols + c : codes;
      const std::uint64_t j = s.offset + r * p.cols + c;
#if PRECSIM_VECTOR_KERNELS
      if (kp.eligible) {  // the scaling runs inside the kernel
        alignas(64) float pre[1024], post[1024];  // per-element scales, where tiles need them
        lane_scales sc{mul, scale_out ? v.e : nullptr, v.off, 63, !by_reciprocal, p.integer};
        if (v.tiles > 1 && p.tw >= 16 && (p.tw & (p.tw - 1)) == 0 && v.off % 16 == 0 && j % 16 == 0) {
          sc.shift = unsigned(std::countr_zero(p.tw));  // one scale per tile of 2^shift
        } else if (v.tiles > 1) {  // one per element
          p.ops.fill(pre, n, v.off, p.tw, mul);
          if (scale_out) p.ops.fill(post, n, v.off, p.tw, v.e);
          sc = {pre, scale_out ? post : nullptr, 0, 0, !by_reciprocal, p.integer};
        }
        vector_round<true>(p.level, kp, s, j, x, out, n, sc);
      } else
#endif
      {
        p.ops.scale(x, y, n, v.off, p.tw, mul, !by_reciprocal);
        scalar_round(p.grid, p.er, s, j, y, out, n);
        if constexpr (std::is_same_v<Code, float>) {
          if (p.integer && !clamp) clamp_integers(out, v);  // -0 -> +0
          if (scale_out) p.ops.scale(out, out, n, v.off, p.tw, v.e, false);
        }
      }
      if constexpr (std::is_same_v<Code, float>) {
        if (clamp) clamp_integers(y, v);
        if (clamp && dst) p.ops.scale(y, dst + r * p.cols + c, n, v.off, p.tw, v.e, false);  // NaN scale: NaN
      }
      if (!std::is_same_v<Code, float> || !dst) chunk(v, out);
    }
  }
};

inline void quantize_blocks_impl(std::span<const float> in, std::span<float> out, std::size_t rows,
                                 std::size_t cols, const block_format& f, const rounding& r,
                                 const sr_stream& s, std::span<const float> user) {
  const block_plan p = make_plan("quantize_blocks", in.size(), rows, cols, f, r);
  check_spans("quantize_blocks", in, out);
  const bulk_fp_scope env;  // the scale arithmetic below runs here too
  tile_scales ts = prepare_scales(p, in.data(), user);
  const element_pass pass(p, in.data(), ts, s);
  for_row_segments(p, [&](std::size_t row, std::size_t c0, std::size_t c1) {
    pass.run<float>(row, c0, c1, out.data(), [](const chunk_view&, float*) {});
  });
}

// Element codes of a chunk into the block_tensor's layout (see block_tensor).
template <class Code>
void store_codes(std::uint8_t* elements, std::uint8_t* staging, int bits, std::size_t idx,
                 const Code* codes, std::size_t n) {
  if (bits > 8) {
    for (std::size_t i = 0; i < n; ++i) {
      elements[2 * (idx + i)] = std::uint8_t(codes[i]);
      elements[2 * (idx + i) + 1] = std::uint8_t(codes[i] >> 8);
    }
  } else if (staging) {
    for (std::size_t i = 0; i < n; ++i) staging[idx + i] = std::uint8_t(codes[i]);
  } else if (bits == 8) {
    for (std::size_t i = 0; i < n; ++i) elements[idx + i] = std::uint8_t(codes[i]);
  } else {
    std::uint8_t c8[1024];
    for (std::size_t i = 0; i < n; ++i) c8[i] = std::uint8_t(codes[i]);
    const std::size_t b0 = idx * std::size_t(bits) / 8;
    pack(std::span<const std::uint8_t>(c8, n), std::span<std::uint8_t>(elements + b0, packed_size(n, bits)), bits);
  }
}

// Sub-byte codes are packed chunk by chunk where every chunk starts and ends on a byte boundary;
// otherwise through a staging copy of one byte per code.
inline bool chunks_byte_aligned(const block_plan& p, int bits) noexcept {
  return bits >= 8 || ((p.cols * std::size_t(bits)) % 8 == 0 && (p.seg % 8 == 0 || p.seg >= p.cols));
}

// Fills bt (reusing its storage: every byte of it is written).
inline void encode_blocks_impl(std::span<const float> in, std::size_t rows, std::size_t cols,
                               const block_format& f, const rounding& r, const sr_stream& s,
                               std::span<const float> user, block_tensor& bt) {
  const block_plan p = make_plan("encode_blocks", in.size(), rows, cols, f, r);
  const int bits = element_bits(f);
  const std::size_t total = rows * cols;
  const bulk_fp_scope env;  // the scale arithmetic below runs here too
  bt.format = f;
  bt.rows = rows;
  bt.cols = cols;
  bt.elements.resize(bits <= 8 ? packed_size(total, bits) : 2 * total);
  std::vector<std::uint8_t> staging(chunks_byte_aligned(p, bits) ? 0 : total);
  tile_scales ts = prepare_scales(p, in.data(), user);
  const element_pass pass(p, in.data(), ts, s);
  const auto segment = [&](auto code_type, std::size_t row, std::size_t c0, std::size_t c1) {
    using Code = decltype(code_type);
    Code* direct = nullptr;  // 8-bit codes go straight into the tensor
    if constexpr (std::is_same_v<Code, std::uint8_t>)
      if (bits == 8) direct = bt.elements.data();
    pass.run<Code>(row, c0, c1, direct, [&](const chunk_view& v, Code* q) {
      if constexpr (std::is_same_v<Code, float>) {  // integers: two's complement / c
        std::uint16_t codes[1024];
        v.for_each_tile(p.tw, [&](std::size_t k, std::size_t m, std::size_t t) {
          const std::int32_t z = p.asymmetric ? ts.z[v.first + t] : 0;
          const std::uint32_t mask = (1u << bits) - 1;
          for (std::size_t i = k; i < k + m; ++i)
            codes[i] = v.e[t] != v.e[t] ? 0 : std::uint16_t(std::uint32_t(std::int32_t(q[i] / p.ulp) + z) & mask);
        });
        store_codes(bt.elements.data(), staging.empty() ? nullptr : staging.data(), bits, row * cols + v.c, codes, v.n);
      } else {
        v.for_each_tile(p.tw, [&](std::size_t k, std::size_t m, std::size_t t) {
          if (v.e[t] != v.e[t]) std::fill(q + k, q + k + m, Code{0});  // NaN tile: the scale says it all
        });
        if (!direct)
          store_codes(bt.elements.data(), staging.empty() ? nullptr : staging.data(), bits, row * cols + v.c, q, v.n);
      }
    });
  };
  for_row_segments(p, [&](std::size_t row, std::size_t c0, std::size_t c1) {
    if (p.integer) segment(float{}, row, c0, c1);
    else if (bits > 8) segment(std::uint16_t{}, row, c0, c1);
    else segment(std::uint8_t{}, row, c0, c1);
  });
  if (!staging.empty()) pack(staging, bt.elements, bits);
  bt.scales.resize(p.tiles());
  encode(std::span<const float>(ts.s), std::span<std::uint32_t>(bt.scales), f.scale, scale_rounding);
  bt.zero_points = std::move(ts.z);
  bt.tensor_scale = f.tensor_scale ? ts.t : 1.0f;
}

inline void decode_blocks_impl(const block_tensor& bt, std::span<float> out) {
  const char* fn = "decode_blocks";
  const block_format& f = bt.format;
  const block_plan p = make_plan(fn, out.size(), bt.rows, bt.cols, f, {});
  const int bits = element_bits(f);
  const std::size_t total = bt.rows * bt.cols;
  const bulk_fp_scope env;
  if (bt.elements.size() != (bits <= 8 ? packed_size(total, bits) : 2 * total))
    bulk_error(fn, "block_tensor.elements has " + std::to_string(bt.elements.size()) +
                       " bytes, the format and shape need " +
                       std::to_string(bits <= 8 ? packed_size(total, bits) : 2 * total));
  if (bt.scales.size() != p.tiles())
    bulk_error(fn, "block_tensor.scales has " + std::to_string(bt.scales.size()) + " codes, the shape has " +
                       std::to_string(p.tiles()) + " tiles");
  if (bt.zero_points.size() != (p.asymmetric ? p.tiles() : 0))
    bulk_error(fn, "block_tensor.zero_points must hold one value per tile for asymmetric elements, else none");
  tile_scales ts;
  ts.user = true;
  ts.t = f.tensor_scale ? bt.tensor_scale : 1.0f;
  if (f.tensor_scale && !is_nan(ts.t) && !(ts.t > 0.0f))
    bulk_error(fn, "block_tensor.tensor_scale must be positive or NaN");
  ts.s.resize(p.tiles());
  for (std::size_t i = 0; i < p.tiles(); ++i) {
    if (bt.scales[i] > low_mask(storage_bits(f.scale)))
      bulk_error(fn, "block_tensor.scales[" + std::to_string(i) + "] is not a code of the scale encoding");
    ts.s[i] = to_float(decode(bt.scales[i], f.scale));
    if (!is_nan(ts.s[i]) && !(ts.s[i] > 0.0f))
      bulk_error(fn, "block_tensor.scales[" + std::to_string(i) + "] is not a positive scale");
  }
  ts.z = bt.zero_points;
  for (std::uint16_t z : ts.z)
    if (z > std::uint32_t(int_max(f.integer))) bulk_error(fn, "block_tensor.zero_points holds a value above 2^bits - 1");
  std::vector<std::uint8_t> staging;
  if (bits < 8 && !chunks_byte_aligned(p, bits)) {
    staging.resize(total);
    unpack(bt.elements, staging, bits);
  }
  [[maybe_unused]] const kernel_params kp = !p.integer && p.level != simd_level::scalar ? make_kernel_params(f.element, {}) : kernel_params{};
  for_row_segments(p, [&](std::size_t row, std::size_t c0, std::size_t c1) {
    for (std::size_t c = c0; c < c1; c += 1024) {
      const std::size_t n = std::min<std::size_t>(1024, c1 - c), idx = row * bt.cols + c;
      std::uint16_t codes[1024];
      if (bits > 8) {
        for (std::size_t i = 0; i < n; ++i)
          codes[i] = std::uint16_t(bt.elements[2 * (idx + i)] | bt.elements[2 * (idx + i) + 1] << 8);
      } else {
        std::uint8_t c8[1024];
        if (!staging.empty()) std::copy_n(staging.data() + idx, n, c8);
        else if (bits == 8) std::copy_n(bt.elements.data() + idx, n, c8);
        else unpack(std::span<const std::uint8_t>(bt.elements.data() + idx * std::size_t(bits) / 8, packed_size(n, bits)),
                    std::span<std::uint8_t>(c8, n), bits);
        std::copy_n(c8, n, codes);
      }
      float y[1024];
      if (p.integer) {
        const std::uint32_t sign = 1u << (bits - 1);
        for (std::size_t i = 0; i < n; ++i) {
          const std::int32_t q = p.asymmetric || f.integer.range == int_range::unsigned_
                                     ? std::int32_t(codes[i])
                                     : std::int32_t(codes[i] ^ sign) - std::int32_t(sign);
          y[i] = float(q) * p.ulp;
        }
      } else {
#if PRECSIM_VECTOR_KERNELS
        if (kp.eligible) vector_decode(p.level, kp, codes, y, n); else
#endif
        for (std::size_t i = 0; i < n; ++i) y[i] = to_float(decode(codes[i], f.element));
      }
      chunk_view v;
      float m[1025];
      chunk_scales(p, ts, row, c, n, v, m);
      if (p.asymmetric)
        v.for_each_tile(p.tw, [&](std::size_t k, std::size_t len, std::size_t t) {
          for (std::size_t i = k; i < k + len; ++i) y[i] -= float(ts.z[v.first + t]);
        });
      p.ops.scale(y, out.data() + idx, n, v.off, p.tw, v.e, false);
    }
  });
}

#endif  // PRECSIM_KERNELS_EXTERN
}  // namespace detail

// ---- the calls --------------------------------------------------------------------------------
// in has rows * cols values, row-major. Element i = r * cols + c of the matrix uses the random
// word of index s.offset + i for stochastic rounding (as the bulk API). The rounding's saturate
// field is not used: elements always saturate to the grid's range.

// Fake quantization; in and out are the same span (in place) or do not overlap.
inline void quantize_blocks(std::span<const float> in, std::span<float> out, std::size_t rows,
                            std::size_t cols, const block_format& f, rounding r = {}, sr_source s = {}) {
  detail::quantize_blocks_impl(in, out, rows, cols, f, r, detail::resolve_stream(s, r), {});
}
// With given tile scales (decoded values, one per tile, tiles row-major; each rounded to nearest
// in the scale encoding; the tensor scale is 1).
inline void quantize_blocks(std::span<const float> in, std::span<float> out, std::size_t rows,
                            std::size_t cols, const block_format& f, std::span<const float> scales,
                            rounding r = {}, sr_source s = {}) {
  if (scales.empty()) detail::bulk_error("quantize_blocks", "scales is empty");
  detail::quantize_blocks_impl(in, out, rows, cols, f, r, detail::resolve_stream(s, r), scales);
}

inline block_tensor encode_blocks(std::span<const float> in, std::size_t rows, std::size_t cols,
                                  const block_format& f, rounding r = {}, sr_source s = {}) {
  block_tensor t;
  detail::encode_blocks_impl(in, rows, cols, f, r, detail::resolve_stream(s, r), {}, t);
  return t;
}
inline block_tensor encode_blocks(std::span<const float> in, std::size_t rows, std::size_t cols,
                                  const block_format& f, std::span<const float> scales,
                                  rounding r = {}, sr_source s = {}) {
  if (scales.empty()) detail::bulk_error("encode_blocks", "scales is empty");
  block_tensor t;
  detail::encode_blocks_impl(in, rows, cols, f, r, detail::resolve_stream(s, r), scales, t);
  return t;
}
// Into an existing block_tensor, reusing its storage (no allocation once it has the size).
inline void encode_blocks(std::span<const float> in, std::size_t rows, std::size_t cols,
                          const block_format& f, block_tensor& out, rounding r = {}, sr_source s = {}) {
  detail::encode_blocks_impl(in, rows, cols, f, r, detail::resolve_stream(s, r), {}, out);
}

// out has rows * cols values.
inline void decode_blocks(const block_tensor& t, std::span<float> out) { detail::decode_blocks_impl(t, out); }
inline std::vector<float> decode_blocks(const block_tensor& t) {
  std::vector<float> out(t.rows * t.cols);
  decode_blocks(t, out);
  return out;
}

PRECSIM_END_CONFIG
}  // namespace precsim
