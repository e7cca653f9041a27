// Fitting the precision scaling law of Kumar et al. 2024 to a sweep at one tokens-per-parameter
// ratio: L(N, P) = N^-alpha * (A * f(P)^-alpha + B) + E with f(P) = 1 - exp(-P / g + n), f = 1
// for float32 (their L = A N_eff^-alpha + B D^-alpha + E with D = const * N folded into B).
// A grid over (alpha, g, n) with linear least squares for (A, B, E), as in the paper's recipe.
#pragma once

#include <array>
#include <cmath>
#include <limits>
#include <vector>

namespace sweep {

struct fit_point {
  double N;     // non-embedding parameters
  double bits;  // 0: float32 (f = 1)
  double loss;
};

struct fit_grid {
  double a0 = 0.05, a1 = 1.5;    // alpha
  double g0 = 0.25, g1 = 8.0;    // g (log-spaced)
  double n0 = -3.0, n1 = 4.0;    // n
  int na = 146, ng = 80, nn = 141;
};

struct fit_result {
  double alpha = 0, g = 0, n = 0, A = 0, B = 0, E = 0;
  double rms = std::numeric_limits<double>::infinity();
  bool ok = false;
  bool at_edge = false;  // some parameter on the grid's boundary
  double f(double bits) const { return bits <= 0 ? 1.0 : 1.0 - std::exp(-bits / g + n); }
  double predict(double N, double bits) const { return std::pow(N, -alpha) * (A * std::pow(f(bits), -alpha) + B) + E; }
};

namespace detail {
// Least squares for y ~ X c with 3 columns (normal equations, Cramer's rule); false if singular.
inline bool solve3(const std::vector<std::array<double, 3>>& X, const std::vector<double>& y, double c[3]) {
  double M[3][3] = {}, v[3] = {};
  for (std::size_t i = 0; i < y.size(); ++i)
    for (int r = 0; r < 3; ++r) {
      v[r] += X[i][r] * y[i];
      for (int k = 0; k < 3; ++k) M[r][k] += X[i][r] * X[i][k];
    }
  const auto det = [](double m[3][3]) {
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  };
  const double d = det(M);
  const double scale = M[0][0] * M[1][1] * M[2][2];
  if (!(std::fabs(d) > 1e-12 * std::fabs(scale))) return false;
  for (int k = 0; k < 3; ++k) {
    double T[3][3];
    for (int r = 0; r < 3; ++r)
      for (int q = 0; q < 3; ++q) T[r][q] = q == k ? v[r] : M[r][q];
    c[k] = det(T) / d;
  }
  return true;
}
}  // namespace detail

namespace detail {
// The best fit over the grid cells [lo, hi] (inclusive, per dimension: alpha, g, n) every `stride`.
inline void search(const std::vector<fit_point>& pts, const fit_grid& G, const int lo[3], const int hi[3], int stride,
                   fit_result& best, int at[3]) {
  std::vector<std::array<double, 3>> X(pts.size());
  std::vector<double> y(pts.size()), logf(pts.size()), logN(pts.size());
  for (std::size_t i = 0; i < pts.size(); ++i) y[i] = pts[i].loss, logN[i] = std::log(pts[i].N);
  for (int ig = lo[1]; ig <= hi[1]; ig += stride) {
    const double g = G.g0 * std::pow(G.g1 / G.g0, double(ig) / (G.ng - 1));
    for (int in = lo[2]; in <= hi[2]; in += stride) {
      const double n = G.n0 + (G.n1 - G.n0) * in / (G.nn - 1);
      bool valid = true;
      for (std::size_t i = 0; i < pts.size() && valid; ++i) {
        const double f = pts[i].bits <= 0 ? 1.0 : 1.0 - std::exp(-pts[i].bits / g + n);
        valid = f > 1e-6;
        logf[i] = valid ? std::log(f) : 0.0;
      }
      if (!valid) continue;
      for (int ia = lo[0]; ia <= hi[0]; ia += stride) {
        const double a = G.a0 + (G.a1 - G.a0) * ia / (G.na - 1);
        for (std::size_t i = 0; i < pts.size(); ++i) {
          const double Na = std::exp(-a * logN[i]);
          X[i] = {Na * std::exp(-a * logf[i]), Na, 1.0};
        }
        double c[3];
        if (!solve3(X, y, c) || c[0] < 0 || c[1] < 0 || c[2] < 0) continue;
        double ss = 0;
        for (std::size_t i = 0; i < pts.size(); ++i) {
          const double r = X[i][0] * c[0] + X[i][1] * c[1] + c[2] - y[i];
          ss += r * r;
        }
        const double rms = std::sqrt(ss / double(pts.size()));
        if (rms < best.rms) {
          best = {a, g, n, c[0], c[1], c[2], rms, true, false};
          at[0] = ia, at[1] = ig, at[2] = in;
        }
      }
    }
  }
}
}  // namespace detail

// Best fit over the grid (A, B, E >= 0 required: losses fall with N and with precision, and a
// loss floor is not negative): every 4th grid point first, then the full grid around the best.
inline fit_result fit_precision_law(const std::vector<fit_point>& pts, const fit_grid& G = {}) {
  fit_result best;
  int at[3] = {0, 0, 0};
  const int size[3] = {G.na, G.ng, G.nn}, zero[3] = {0, 0, 0}, last[3] = {G.na - 1, G.ng - 1, G.nn - 1};
  detail::search(pts, G, zero, last, 4, best, at);
  if (!best.ok) return best;
  int lo[3], hi[3];
  for (int d = 0; d < 3; ++d) lo[d] = std::max(0, at[d] - 4), hi[d] = std::min(size[d] - 1, at[d] + 4);
  detail::search(pts, G, lo, hi, 1, best, at);
  best.at_edge = at[0] == 0 || at[0] == G.na - 1 || at[1] == 0 || at[1] == G.ng - 1 || at[2] == 0 || at[2] == G.nn - 1;
  return best;
}

}  // namespace sweep
