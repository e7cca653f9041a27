// Dense edge-case inputs for a target format: for every binade of the input type, points of the
// target grid, their midpoints, and one input ulp either side; the neighbourhood of max finite
// and of the overflow threshold; zeros, infinities, NaNs; a few random values per binade.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <precsim/format.hpp>

namespace test {

// SplitMix64: a fixed, well-mixed sequence for test inputs and random words.
struct splitmix64 {
  std::uint64_t s;
  std::uint64_t operator()() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

// Every binade of T is visited when T is float; for double, every binade within 64 of the
// format's range and every 16th beyond it.
template <class T>
std::vector<T> dense_inputs(const precsim::float_format& f, std::uint64_t seed = 1) {
  using lim = std::numeric_limits<T>;
  constexpr int digits = lim::digits;
  constexpr int emin_in = lim::min_exponent - 1, emax_in = lim::max_exponent - 1;
  constexpr int etiny = emin_in - (digits - 1);
  std::vector<T> out;
  auto add = [&](double v) {
    if (!std::isfinite(v) || std::fabs(v) > double(lim::max())) return;
    const T t = static_cast<T>(v);
    if (static_cast<double>(t) != v) return;  // keep exactly representable inputs only
    out.push_back(t);
    out.push_back(-t);
  };
  auto ulp_at = [&](double v) {
    const int e = std::ilogb(v);
    return std::ldexp(1.0, (e < emin_in ? emin_in : e) - (digits - 1));
  };
  auto around = [&](double p, double g) {  // grid point p with spacing g
    const double u = ulp_at(p > 0 ? p : g);
    for (double v : {p, p + g / 2, p + g / 4, p + 3 * g / 4}) {
      add(v);
      add(v + u);
      if (v - u > 0) add(v - u);
    }
  };
  const int fmin = precsim::min_exponent(f);
  const int m = f.mantissa_bits;
  const bool flush = f.subnormals == precsim::subnormal_mode::flush;
  splitmix64 rng{seed};
  const int near_lo = precsim::min_positive_exponent(f) - 64, near_hi = precsim::max_exponent(f) + 64;
  for (int e = etiny; e <= emax_in; ++e) {
    if (sizeof(T) > 4 && (e < near_lo || e > near_hi) && e % 16 != 0) continue;
    const int q = e < fmin ? (flush ? fmin : fmin - m) : e - m;
    const double g = std::ldexp(1.0, q), lo = std::ldexp(1.0, e), hi = 2 * lo;
    const double first = std::ceil(lo / g) * g;
    around(lo, g);
    for (double p : {first, first + g, first + 2 * g, hi - g, hi - 2 * g})
      if (p >= lo && p < hi) around(p, g);
    for (int i = 0; i < 2; ++i) {
      const double frac = double(rng() >> 11) * 0x1p-53;
      add(std::ldexp(1.0 + frac, e));
    }
  }
  // Around max finite and the overflow threshold (max + half an ulp of max, etc.).
  const double maxv = precsim::max_finite(f);
  const int emax = std::ilogb(maxv);
  const double gmax = std::ldexp(1.0, emax - m);
  for (double p : {maxv - gmax, maxv, maxv + gmax, maxv + 2 * gmax, 2 * std::ldexp(1.0, emax),
                   4 * std::ldexp(1.0, emax)})
    if (p > 0) around(p, gmax);
  add(0.0);
  for (double v : {double(lim::min()), double(lim::denorm_min()), double(lim::max())}) add(v);
  out.push_back(lim::infinity());
  out.push_back(-lim::infinity());
  out.push_back(lim::quiet_NaN());
  out.push_back(-lim::quiet_NaN());
  return out;
}

}  // namespace test
