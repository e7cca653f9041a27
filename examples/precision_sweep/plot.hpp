// Loss versus bits, one panel per quantized tensor kind: measured INT points per width, MX
// floating-point points, the fitted curves, float32 at the right edge. A PNG through gnuplot
// where it is installed, else an SVG written here.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace sweep {

struct plot_curve {
  std::string label;
  std::vector<std::pair<double, double>> points, fp_points, fit;
  double fp32 = 0, fit_fp32 = 0;
};
struct plot_panel {
  std::string title;
  std::vector<plot_curve> curves;
};
struct plot_data {
  std::vector<int> widths;
  std::vector<plot_panel> panels;
};

inline constexpr double plot_fp32_x = 10.0;  // where float32 sits on the bits axis

namespace detail {
// The measured losses' range, padded: fitted curves beyond it are cut off.
inline std::pair<double, double> loss_range(const plot_data& d) {
  double lo = 1e30, hi = -1e30;
  for (const auto& p : d.panels)
    for (const auto& c : p.curves) {
      for (const auto& q : c.points) lo = std::min(lo, q.second), hi = std::max(hi, q.second);
      for (const auto& q : c.fp_points) lo = std::min(lo, q.second), hi = std::max(hi, q.second);
      lo = std::min(lo, c.fp32), hi = std::max(hi, c.fp32);
    }
  if (!(hi > lo)) hi = lo + 1;
  return {lo, hi};
}

inline bool write_gnuplot(const plot_data& d, const std::string& dir, const std::string& png) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) return false;
  const std::pair<double, double> range = loss_range(d);
  const double lo = range.first, hi = range.second;
  const std::string script = dir + "/plot.gp";
  FILE* g = std::fopen(script.c_str(), "w");
  if (!g) return false;
  std::fprintf(g, "set terminal pngcairo size 1400,560 font ',11' noenhanced\nset output '%s'\n", png.c_str());
  std::fprintf(g, "set multiplot layout 1,%zu\nset grid\nset key top right\nset xlabel 'bits'\n"
                  "set ylabel 'held-out loss (nats/char)'\nset xrange [1.5:10.5]\nset logscale y\n"
                  "set yrange [%g:%g]\nset ytics (0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.2, 1.5, 2, 2.5, 3, 4, 5)\n"
                  "set xtics ('2' 2, '3' 3, '4' 4, '5' 5, '6' 6, '7' 7, '8' 8, 'fp32' 10)\n",
               d.panels.size(), lo / 1.08, hi * 1.08);
  const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
  for (std::size_t p = 0; p < d.panels.size(); ++p) {
    const plot_panel& panel = d.panels[p];
    const std::string data = dir + "/plot_" + std::to_string(p) + ".dat";
    FILE* f = std::fopen(data.c_str(), "w");
    if (!f) return std::fclose(g), false;
    for (const auto& c : panel.curves) {  // per curve: INT, MX-FP, fit, fp32 (4 blocks)
      for (const auto& [x, y] : c.points) std::fprintf(f, "%g %g\n", x, y);
      std::fprintf(f, "\n\n");
      for (const auto& [x, y] : c.fp_points) std::fprintf(f, "%g %g\n", x, y);
      std::fprintf(f, "\n\n");
      for (const auto& [x, y] : c.fit) std::fprintf(f, "%g %g\n", x, y);
      std::fprintf(f, "\n\n%g %g\n\n\n", plot_fp32_x, c.fp32);
    }
    std::fclose(f);
    std::fprintf(g, "set title '%s (INT absmax: filled, MX FP: open, fit: dashed)'\nplot ", panel.title.c_str());
    for (std::size_t i = 0; i < panel.curves.size(); ++i) {
      const char* col = colors[i % 6];
      const std::size_t b = 4 * i;
      std::fprintf(g, "%s'%s' index %zu with linespoints pt 7 lc rgb '%s' title '%s', "
                      "'' index %zu with points pt 6 ps 1.5 lc rgb '%s' notitle, "
                      "'' index %zu with lines dt 2 lc rgb '%s' notitle, "
                      "'' index %zu with points pt 5 lc rgb '%s' notitle",
                   i ? ", " : "", data.c_str(), b, col, panel.curves[i].label.c_str(), b + 1, col, b + 2, col, b + 3, col);
    }
    std::fprintf(g, "\n");
  }
  std::fprintf(g, "unset multiplot\n");
  std::fclose(g);
  const std::string cmd = "gnuplot '" + script + "' 2>/dev/null";
  return std::system(cmd.c_str()) == 0;
}

inline void write_svg(const plot_data& d, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return;
  const double W = 560, H = 420, ml = 60, mr = 20, mt = 40, mb = 50;
  const std::pair<double, double> range = loss_range(d);  // (no structured binding: lambdas use it)
  double lo = range.first, hi = range.second;
  const double pad = 0.05 * (hi - lo);
  lo -= pad, hi += pad;
  std::fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%g' height='%g' font-family='sans-serif' "
                  "font-size='12'>\n<rect width='100%%' height='100%%' fill='white'/>\n", W * double(d.panels.size()), H);
  const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
  for (std::size_t p = 0; p < d.panels.size(); ++p) {
    const double ox = W * double(p);
    const auto X = [&](double b) { return ox + ml + (b - 1.5) / 9.0 * (W - ml - mr); };
    const auto Y = [&](double l) { return mt + (hi - l) / (hi - lo) * (H - mt - mb); };
    std::fprintf(f, "<text x='%g' y='22' text-anchor='middle' font-size='14'>%s</text>\n", ox + W / 2,
                 d.panels[p].title.c_str());
    std::fprintf(f, "<rect x='%g' y='%g' width='%g' height='%g' fill='none' stroke='black'/>\n", ox + ml, mt,
                 W - ml - mr, H - mt - mb);
    for (int b = 2; b <= 10; ++b) {
      if (b == 9) continue;
      std::fprintf(f, "<text x='%g' y='%g' text-anchor='middle'>%s</text>\n", X(b), H - mb + 16,
                   b == 10 ? "fp32" : std::to_string(b).c_str());
    }
    std::fprintf(f, "<text x='%g' y='%g' text-anchor='middle'>bits</text>\n", ox + W / 2, H - 10);
    for (int t = 0; t <= 4; ++t) {
      const double l = lo + (hi - lo) * t / 4;
      std::fprintf(f, "<text x='%g' y='%g' text-anchor='end'>%.3f</text>\n", ox + ml - 4, Y(l) + 4, l);
    }
    for (std::size_t i = 0; i < d.panels[p].curves.size(); ++i) {
      const plot_curve& c = d.panels[p].curves[i];
      const char* col = colors[i % 6];
      std::string line;
      for (const auto& [x, y] : c.points) line += std::to_string(X(x)) + "," + std::to_string(Y(y)) + " ";
      std::fprintf(f, "<polyline points='%s' fill='none' stroke='%s' stroke-width='1.5'/>\n", line.c_str(), col);
      for (const auto& [x, y] : c.points) std::fprintf(f, "<circle cx='%g' cy='%g' r='3.5' fill='%s'/>\n", X(x), Y(y), col);
      for (const auto& [x, y] : c.fp_points)
        std::fprintf(f, "<circle cx='%g' cy='%g' r='5' fill='none' stroke='%s'/>\n", X(x), Y(y), col);
      std::fprintf(f, "<rect x='%g' y='%g' width='7' height='7' fill='%s'/>\n", X(plot_fp32_x) - 3.5, Y(c.fp32) - 3.5, col);
      line.clear();
      for (const auto& [x, y] : c.fit)
        if (y >= lo && y <= hi) line += std::to_string(X(x)) + "," + std::to_string(Y(y)) + " ";
      std::fprintf(f, "<polyline points='%s' fill='none' stroke='%s' stroke-dasharray='5,4'/>\n", line.c_str(), col);
      std::fprintf(f, "<text x='%g' y='%g' fill='%s'>%s</text>\n", ox + W - mr - 60, mt + 16 + 15 * double(i), col,
                   c.label.c_str());
    }
  }
  std::fprintf(f, "</svg>\n");
  std::fclose(f);
}
}  // namespace detail

// Writes dir/loss_vs_bits.png (gnuplot) or dir/loss_vs_bits.svg; returns the path written.
inline std::string write_plot(const plot_data& d, const std::string& dir) {
  const std::string png = dir + "/loss_vs_bits.png";
  if (detail::write_gnuplot(d, dir, png)) return png;
  const std::string svg = dir + "/loss_vs_bits.svg";
  detail::write_svg(d, svg);
  return svg;
}

}  // namespace sweep
