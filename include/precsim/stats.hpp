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

// One block, element by element. (A 4-lane vector-extension version, with an AVX2 entry, measured
// no faster on this machine: the pass is bound by its double divisions and sums.)
template <class T>
quantization_stats measure_block(const T* in, const T* out, std::size_t n, double max_finite) noexcept {
  quantization_stats st;
  st.count = n;
  measure_scalar(in, out, n, max_finite, st);
  return st;
}

// Blocks of a fixed size, summed in order: the same result for any thread count.
template <class T>
quantization_stats measure_spans(std::span<const T> in, std::span<const T> out, double max_finite) {
  if (in.size() != out.size())
    bulk_error("measure", "out has " + std::to_string(out.size()) + " elements, in has " + std::to_string(in.size()));
  constexpr std::size_t block = 4096;  // (parallel_for's chunks start on multiples of it)
  const std::size_t blocks = (in.size() + block - 1) / block;
  std::vector<quantization_stats> parts(blocks);
  parallel_for(in.size(), [&](std::size_t b, std::size_t e) {
    for (std::size_t first = b; first < e; first += block) {
      const std::size_t n = std::min(block, e - first);
      parts[first / block] = measure_block(in.data() + first, out.data() + first, n, max_finite);
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
