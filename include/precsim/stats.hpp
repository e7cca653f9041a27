// What a rounding did to a tensor: counts of the special outcomes (overflow to inf or NaN,
// saturation, flush to zero, NaN in and out) and the error it made (signal-to-quantization-noise
// ratio, mean relative error, largest error), from the values before and after:
//
//   precsim::quantize(w, wq, fmt, r);
//   precsim::quantization_stats st = precsim::measure(w, wq, fmt);   // or quantize(..., &st)
//   std::printf("%s\n", precsim::to_string(st).c_str());
//
// Works after any rounding, block formats included (measure(w, quantize_blocks(...) output)).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "bulk.hpp"
#include "format.hpp"
#include "parallel.hpp"

namespace precsim {

struct quantization_stats {
  std::size_t count = 0;           // elements
  std::size_t nan_inputs = 0;      // NaN in
  std::size_t nan_outputs = 0;     // NaN out (NaN in, or overflow to NaN)
  std::size_t nan_to_number = 0;   // NaN in, a number out (FP4 / FP6 codes have no NaN: 0)
  std::size_t overflow_to_inf = 0; // a finite input became +-inf
  std::size_t overflow_to_nan = 0; // a number (finite or inf) became NaN
  std::size_t saturated = 0;       // |in| beyond max finite (inf included) became +-max finite
                                   // (measure with a format only)
  std::size_t flushed = 0;         // a nonzero finite input became 0
  std::size_t changed = 0;         // out != in among inputs and outputs that are both finite
  // Over the elements where in and out are both finite:
  double signal_energy = 0;        // sum in^2
  double noise_energy = 0;         // sum (out - in)^2
  double relative_error_sum = 0;   // sum |out - in| / |in| over in != 0
  std::size_t relative_count = 0;  // how many terms that sum has
  double max_abs_error = 0;        // max |out - in|

  // 10 log10(signal / noise) in dB; +inf when nothing changed, NaN for an all-zero input.
  PRECSIM_CONFIG_FN double sqnr_db() const noexcept {
    if (noise_energy == 0)
      return signal_energy > 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
    return 10 * std::log10(signal_energy / noise_energy);
  }
  PRECSIM_CONFIG_FN double mean_relative_error() const noexcept {
    return relative_count ? relative_error_sum / double(relative_count) : 0.0;
  }
  // Accumulates another part (counts add; the error terms combine).
  PRECSIM_CONFIG_FN quantization_stats& operator+=(const quantization_stats& o) noexcept {
    count += o.count;
    nan_inputs += o.nan_inputs;
    nan_outputs += o.nan_outputs;
    nan_to_number += o.nan_to_number;
    overflow_to_inf += o.overflow_to_inf;
    overflow_to_nan += o.overflow_to_nan;
    saturated += o.saturated;
    flushed += o.flushed;
    changed += o.changed;
    signal_energy += o.signal_energy;
    noise_energy += o.noise_energy;
    relative_error_sum += o.relative_error_sum;
    relative_count += o.relative_count;
    max_abs_error = std::max(max_abs_error, o.max_abs_error);
    return *this;
  }
};

PRECSIM_BEGIN_CONFIG
namespace detail {

// Element by element. NaN and infinity tests on bits: under -ffast-math comparisons could not see
// them. max_finite <= 0: no saturation count.
template <class T>
void measure_scalar(const T* in, const T* out, std::size_t n, double max_finite, quantization_stats& st) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    const double x = double(in[i]), y = double(out[i]);  // (exact)
    const bool xn = is_nan(x), yn = is_nan(y);
    const bool xf = !xn && !is_inf(x), yf = !yn && !is_inf(y), both = xf && yf;
    const double ax = std::fabs(x), ay = std::fabs(y);
    st.nan_inputs += xn;
    st.nan_outputs += yn;
    st.nan_to_number += xn && !yn;
    st.overflow_to_inf += xf && !yf && !yn;
    st.overflow_to_nan += !xn && yn;
    st.saturated += max_finite > 0 && !xn && ax > max_finite && ay == max_finite;
    st.flushed += xf && x != 0 && y == 0;
    if (!both) continue;
    const double e = std::fabs(y - x);
    st.changed += x != y;
    st.signal_energy += x * x;
    st.noise_energy += e * e;
    if (x != 0) {
      st.relative_error_sum += e / ax;
      ++st.relative_count;
    }
    if (e > st.max_abs_error) st.max_abs_error = e;
  }
}

#if PRECSIM_VECTOR_KERNELS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
// Masks (all ones where true) on the input's bits, a and b >= 0, from the sign of a difference:
// GCC 12 turns negations and combinations of AVX-512 comparison masks into scalar code.
#define PRECSIM_ABOVE(a, b) (I(U(I{} + (b)) - U(a)) >> (bits - 1))
#define PRECSIM_EQUAL(a, b) (PRECSIM_ABOVE(a, (b) - 1) & ~PRECSIM_ABOVE(a, b))
#define PRECSIM_NONZERO(v) (I(U(v) | -U(v)) >> (bits - 1))  // (v: any bits)

// The values whose bits are v, as doubles.
template <int W, class I>
PRECSIM_LANES void to_doubles(const I& v, typename vec<W>::f64& d) {
  using F = std::conditional_t<sizeof(I) == 4 * W, typename vec<W>::f32, typename vec<W>::f64>;
  F f;
  std::memcpy(&f, &v, sizeof f);
  d = __builtin_convertvector(f, typename vec<W>::f64);
}

// The same per-element rules on W lanes, branch-free; the flags are computed on the input type's
// bits (float: 16 lanes per AVX-512 register), the sums in double. Element i of a block goes to
// lane i mod W, the lanes are added in order at the end (the sums depend on the lane count, never
// on the thread count). The tail is padded with zeros, which count nothing.
template <int W, class T>
PRECSIM_LANES void measure_lanes(const T* in, const T* out, std::size_t n, double max_finite, bool from_memory,
                                 quantization_stats& st) noexcept {
  constexpr bool is_float = std::is_same_v<T, float>;
  using I = std::conditional_t<is_float, typename vec<W>::i32, typename vec<W>::i64>;  // the input's bits
  using U = std::conditional_t<is_float, typename vec<W>::u32, typename vec<W>::u64>;
  constexpr int K = sizeof(double) / sizeof(T), H = W / K;  // the sums: K vectors of H doubles
  using f64 = typename vec<H>::f64;
  using i64 = typename vec<H>::i64;
  using S = std::conditional_t<is_float, std::int32_t, std::int64_t>;
  constexpr int bits = 8 * sizeof(T);
  constexpr S inf = is_float ? S(0x7F800000) : S(0x7FF0000000000000), abs = is_float ? S(0x7FFFFFFF) : ~(S(1) << 63);
  // Bits of the largest finite value when T holds it exactly; else no T equals it (the largest S:
  // no input is above it, no output equals it, so no saturation count).
  const bool exact = max_finite > 0 && max_finite <= double(std::numeric_limits<T>::max()) &&
                     double(T(max_finite)) == max_finite;
  const S maxb = exact ? bit_cast<S>(T(max_finite)) : std::numeric_limits<S>::max();
  I flushed{}, changed{}, rel_n{}, rare{};
  f64 signal[K] = {}, noise[K] = {}, rel[K] = {};
  f64 emax[K] = {};
  const std::size_t whole = n - n % W;
  T xt[W] = {}, yt[W] = {};  // the tail, padded
  std::memcpy(xt, in + whole, (n - whole) * sizeof(T));
  std::memcpy(yt, out + whole, (n - whole) * sizeof(T));
  // Loops in two passes: the whole vectors, then the tail (no branch inside the loop).
#define PRECSIM_FOR_VECTORS                                                        \
  for (int pass = 0; pass < 2; ++pass)                                             \
    for (std::size_t i = 0, end = pass ? (n > whole ? W : 0) : whole; i < end; i += W)
  // (bits; NaN and infinity tested on them, as -ffast-math could drop the comparisons)
#define PRECSIM_LOAD                                   \
  I x, y;                                              \
  std::memcpy(&x, (pass ? xt : in) + i, sizeof x);     \
  std::memcpy(&y, (pass ? yt : out) + i, sizeof y);    \
  const I ax = x & abs, ay = y & abs;                  \
  const I xs = PRECSIM_ABOVE(ax, inf - 1), ys = PRECSIM_ABOVE(ay, inf - 1);  /* NaN or infinite */

  if (from_memory) {
    // The heavy loop below keeps too few loads in flight to stream from memory (3-4x slower than
    // from the cache, and software prefetches did not help): a light loop loads the block first.
    I touched{};
    PRECSIM_FOR_VECTORS {
      I x, y;
      std::memcpy(&x, (pass ? xt : in) + i, sizeof x);
      std::memcpy(&y, (pass ? yt : out) + i, sizeof y);
      touched |= x ^ y;
    }
    S sink = 0;
    for (int l = 0; l < W; ++l) sink ^= touched[l];
    [[maybe_unused]] volatile S keep = sink;  // (so the loads stay)
  }
  PRECSIM_FOR_VECTORS {
    PRECSIM_LOAD
    rare |= xs | ys | PRECSIM_ABOVE(ax, maxb);
    const I xz = PRECSIM_NONZERO(ax), yz = PRECSIM_NONZERO(ay);
    flushed -= ~xs & xz & ~yz;
    const I both = ~(xs | ys), nonzero = both & xz;
    changed -= both & PRECSIM_NONZERO(x ^ y) & (xz | yz);
    rel_n -= nonzero;
    // x and y where both are finite, else 0; |x| where it is also nonzero, else infinity (so the
    // relative error term is 0)
    const I xb = x & both, yb = y & both, db = (ax & nonzero) | (inf & ~nonzero);
    // As W doubles (converted whole: GCC 12 converts half vectors of floats in two pieces each),
    // then a register's worth at a time.
    typename vec<W>::f64 wx, wy, wden;
    to_doubles<W>(xb, wx);
    to_doubles<W>(yb, wy);
    to_doubles<W>(db, wden);
    _Pragma("GCC unroll 2") for (int k = 0; k < K; ++k) {
      f64 dx, dy, den;
      std::memcpy(&dx, reinterpret_cast<const char*>(&wx) + std::size_t(k) * sizeof dx, sizeof dx);
      std::memcpy(&dy, reinterpret_cast<const char*>(&wy) + std::size_t(k) * sizeof dy, sizeof dy);
      std::memcpy(&den, reinterpret_cast<const char*>(&wden) + std::size_t(k) * sizeof den, sizeof den);
      const f64 d = dy - dx;
      i64 eb;
      std::memcpy(&eb, &d, sizeof eb);
      eb &= ~(std::int64_t(1) << 63);
      f64 e;  // |d|, finite: a max of it is a max instruction
      std::memcpy(&e, &eb, sizeof e);
      signal[k] += dx * dx;
      noise[k] += e * e;
      rel[k] += e / den;
      emax[k] = e > emax[k] ? e : emax[k];
    }
  }
  // The counts of special outcomes, in a second pass over blocks that have NaN, infinity or values
  // beyond max finite in some lane.
  bool any = false;
  for (int l = 0; l < W; ++l) any |= rare[l] != 0;
  I nan_in{}, nan_out{}, nan_num{}, to_inf{}, to_nan{}, sat{};
  if (any) PRECSIM_FOR_VECTORS {
    PRECSIM_LOAD
    const I xn = PRECSIM_ABOVE(ax, inf), yn = PRECSIM_ABOVE(ay, inf);  // NaN
    nan_in -= xn;
    nan_out -= yn;
    nan_num -= xn & ~yn;
    to_inf -= ~xs & ys & ~yn;
    to_nan -= ~xn & yn;
    sat -= ~xn & PRECSIM_ABOVE(ax, maxb) & PRECSIM_EQUAL(ay, maxb);
  }
#undef PRECSIM_FOR_VECTORS
#undef PRECSIM_LOAD
  for (int l = 0; l < W; ++l) {
    st.nan_inputs += std::size_t(nan_in[l]);
    st.nan_outputs += std::size_t(nan_out[l]);
    st.nan_to_number += std::size_t(nan_num[l]);
    st.overflow_to_inf += std::size_t(to_inf[l]);
    st.overflow_to_nan += std::size_t(to_nan[l]);
    st.saturated += std::size_t(sat[l]);
    st.flushed += std::size_t(flushed[l]);
    st.changed += std::size_t(changed[l]);
    st.relative_count += std::size_t(rel_n[l]);
    st.signal_energy += signal[l / H][l % H];
    st.noise_energy += noise[l / H][l % H];
    st.relative_error_sum += rel[l / H][l % H];
    st.max_abs_error = std::max(st.max_abs_error, emax[l / H][l % H]);
  }
}
#undef PRECSIM_ABOVE
#undef PRECSIM_EQUAL
#undef PRECSIM_NONZERO

// One entry point per level, a register's worth of lanes (AVX-512: 16 floats or 8 doubles).
template <class T>
__attribute__((flatten)) void measure_portable(const T* in, const T* out, std::size_t n, double max_finite,
                                               bool from_memory, quantization_stats& st) noexcept {
  measure_lanes<16 / sizeof(T)>(in, out, n, max_finite, from_memory, st);
}
#if PRECSIM_X86
template <class T>
__attribute__((flatten, target("avx2"))) void measure_avx2(const T* in, const T* out, std::size_t n,
                                                           double max_finite, bool from_memory,
                                                           quantization_stats& st) noexcept {
  measure_lanes<32 / sizeof(T)>(in, out, n, max_finite, from_memory, st);
}
template <class T>
__attribute__((flatten, target("avx512f,avx512bw,avx512vl"))) void measure_avx512(
    const T* in, const T* out, std::size_t n, double max_finite, bool from_memory, quantization_stats& st) noexcept {
  measure_lanes<64 / sizeof(T)>(in, out, n, max_finite, from_memory, st);
}
#endif
#pragma GCC diagnostic pop
#endif

// One block at the active SIMD level (the scalar level: element by element, the reference).
// from_memory: the block is likely not in a cache (a pass over more than a few MiB).
template <class T>
quantization_stats measure_block(const T* in, const T* out, std::size_t n, double max_finite,
                                 [[maybe_unused]] bool from_memory = false) noexcept {
  quantization_stats st;
  st.count = n;
#if PRECSIM_VECTOR_KERNELS
  switch (active_simd_level()) {
    case simd_level::scalar: break;
#if PRECSIM_X86
    case simd_level::avx512: measure_avx512(in, out, n, max_finite, from_memory, st); return st;
    case simd_level::avx2: measure_avx2(in, out, n, max_finite, from_memory, st); return st;
#endif
    default: measure_portable(in, out, n, max_finite, from_memory, st); return st;
  }
#endif
  measure_scalar(in, out, n, max_finite, st);
  return st;
}

// Blocks of a fixed size, summed in order: the same result for any thread count.
template <class T>
quantization_stats measure_spans(std::span<const T> in, std::span<const T> out, double max_finite) {
  if (in.size() != out.size())
    bulk_error("measure", "out has " + std::to_string(out.size()) + " elements, in has " + std::to_string(in.size()));
  constexpr std::size_t block = 4096;  // (parallel_for's chunks start on multiples of it)
  const bool from_memory = 2 * sizeof(T) * in.size() > (std::size_t{4} << 20);  // (more than most L2 caches)
  const std::size_t blocks = (in.size() + block - 1) / block;
  std::vector<quantization_stats> parts(blocks);
  parallel_for(in.size(), [&](std::size_t b, std::size_t e) {
    for (std::size_t first = b; first < e; first += block) {
      const std::size_t n = std::min(block, e - first);
      parts[first / block] = measure_block(in.data() + first, out.data() + first, n, max_finite, from_memory);
    }
  });
  quantization_stats total;
  for (const quantization_stats& p : parts) total += p;
  return total;
}

}  // namespace detail

// The statistics of out = some rounding of in (equal sizes). With a format, `saturated` counts
// inputs beyond its max finite (infinities included) that became +-max finite.
inline quantization_stats measure(std::span<const float> in, std::span<const float> out) {
  return detail::measure_spans(in, out, 0.0);
}
inline quantization_stats measure(std::span<const double> in, std::span<const double> out) {
  return detail::measure_spans(in, out, 0.0);
}
inline quantization_stats measure(std::span<const float> in, std::span<const float> out, const float_format& f) {
  validate(f);
  return detail::measure_spans(in, out, max_finite(f));
}
inline quantization_stats measure(std::span<const double> in, std::span<const double> out, const float_format& f) {
  validate(f);
  return detail::measure_spans(in, out, max_finite(f));
}

namespace detail {
template <class T>
void quantize_measured(std::span<const T> in, std::span<T> out, const float_format& f, const rounding& r,
                       sr_source s, quantization_stats* stats) {
  if (!stats || static_cast<const void*>(in.data()) != static_cast<const void*>(out.data()) ||
      in.size() != out.size()) {  // (a size mismatch throws in quantize)
    quantize(in, out, f, r, s);
    if (stats) *stats = measure(in, std::span<const T>(out), f);
    return;
  }
  // In place: each chunk's inputs are kept while it is rounded (chunks of measure's block size,
  // so the result equals the out-of-place one). One stream for the whole call.
  const sr_stream st = resolve_stream(s, r);
  constexpr std::size_t chunk = 4096;
  std::vector<T> keep(std::min(chunk, in.size()));
  quantization_stats total;
  validate(f);
  for (std::size_t b = 0; b < in.size(); b += chunk) {
    const std::size_t n = std::min(chunk, in.size() - b);
    std::copy_n(in.data() + b, n, keep.data());
    quantize(std::span<const T>(keep.data(), n), out.subspan(b, n), f, r, sr_stream{st.seed, st.stream, st.offset + b});
    total += measure_block(keep.data(), out.data() + b, n, max_finite(f));
  }
  *stats = total;
}
}  // namespace detail

// Fake quantization that also reports what it did: quantize(in, out, f, r, s), then
// *stats = measure(in, out, f) (stats may be null). In place (in and out the same span) too.
inline void quantize(std::span<const float> in, std::span<float> out, const float_format& f, const rounding& r,
                     sr_source s, quantization_stats* stats) {
  detail::quantize_measured(in, out, f, r, s, stats);
}
inline void quantize(std::span<const double> in, std::span<double> out, const float_format& f, const rounding& r,
                     sr_source s, quantization_stats* stats) {
  detail::quantize_measured(in, out, f, r, s, stats);
}

// One line: "n=..., sqnr 27.9 dB, mean rel err 1.2e-02, max err ..., overflow->inf 0, ...".
inline std::string to_string(const quantization_stats& st) {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "n=%zu, sqnr %.2f dB, mean rel err %.3e, max abs err %.3e, changed %zu, flushed %zu, "
                "saturated %zu, overflow->inf %zu, overflow->nan %zu, nan in %zu, nan out %zu, nan->number %zu",
                st.count, st.sqnr_db(), st.mean_relative_error(), st.max_abs_error, st.changed, st.flushed,
                st.saturated, st.overflow_to_inf, st.overflow_to_nan, st.nan_inputs, st.nan_outputs,
                st.nan_to_number);
  return buf;
}

PRECSIM_END_CONFIG
}  // namespace precsim
