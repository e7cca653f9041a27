// precision_sweep: how does a language model's loss depend on the precision it is trained in?
// A tiny, honest reproduction of the experiment of Kumar et al., "Scaling Laws for Precision"
// (2024) with precsim's training layer: a character-level MLP LM on a synthetic corpus of known
// entropy, widths H, trained with weights or activations fake-quantized to INT-b (absmax,
// formats::int_scaled) or to MX floating-point formats, several seeds, paired; then the fit of
// f(P) = 1 - exp(-P/g + n), the held-out prediction, the pre-registered checks, and the
// stored-weights experiment (bfloat16 / FP8 weights without a master copy, RN vs SR).
//
//   precsim-precision-sweep [--quick | --full] [--out DIR] [--workers N] [--seeds K]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unistd.h>

#include "fit.hpp"
#include "model.hpp"
#include "plot.hpp"

namespace fmt = precsim::formats;
using sweep::run_config;

namespace {

struct job {
  std::string kind;    // "fp32", "weights", "acts", "storage"
  std::string format;  // "int4", "mxfp8_e4m3", "fp32", "bf16-rn" ...
  double bits = 0;     // 0: float32
  bool fp = false;     // MX floating-point (reported, not fitted)
  run_config cfg;
  sweep::run_result res;
  double seconds = 0;
};

struct options {
  std::vector<int> widths{32, 64, 128};
  std::vector<int> int_bits{2, 3, 4, 5, 6, 8};
  std::vector<std::pair<std::string, precsim::float_format>> fp{{"mxfp4_e2m1", fmt::float4_e2m1fn},
                                                                {"mxfp6_e3m2", fmt::float6_e3m2fn},
                                                                {"mxfp8_e4m3", fmt::float8_e4m3fn},
                                                                {"mxfp8_e5m2", fmt::float8_e5m2}};
  int seeds = 3, storage_width = 64, workers = 0;
  std::size_t heldout = std::size_t(1) << 17;
  std::string out = "precision_sweep_out";
  bool quick = false;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return std::string(argv[++i]);
    };
    if (a == "--quick") {
      o.quick = true;
      o.widths = {16, 32, 64};
      o.int_bits = {2, 3, 4, 6, 8};
      o.fp = {{"mxfp4_e2m1", fmt::float4_e2m1fn}, {"mxfp8_e4m3", fmt::float8_e4m3fn}};
      o.storage_width = 32;
      o.seeds = 2;
      o.heldout = std::size_t(1) << 14;
    } else if (a == "--full") {
      o.widths = {32, 48, 64, 96, 128};
      o.seeds = 4;
    } else if (a == "--out") {
      o.out = value();
    } else if (a == "--workers") {
      o.workers = std::atoi(value().c_str());
    } else if (a == "--seeds") {
      o.seeds = std::atoi(value().c_str());
    } else {
      std::fprintf(stderr, "usage: %s [--quick | --full] [--out DIR] [--workers N] [--seeds K]\n", argv[0]);
      std::exit(a == "--help" || a == "-h" ? 0 : 2);
    }
  }
  if (o.seeds < 2) {
    std::fprintf(stderr, "--seeds must be at least 2 (the seed noise is measured)\n");
    std::exit(2);
  }
  return o;
}

std::vector<job> make_jobs(const options& o) {
  std::vector<job> jobs;
  const auto add = [&](const std::string& kind, const std::string& name, double bits, bool fp, int H, int seed,
                       precsim::quantizer w, precsim::quantizer a, precsim::quantizer storage = {}) {
    job j{kind, name, bits, fp, {}, {}, 0};
    j.cfg.hidden = H;
    j.cfg.seed = std::uint64_t(seed);
    j.cfg.lr = 0.64f / float(H);  // tuned at float32 for these widths, as 1 / H
    j.cfg.weights = w, j.cfg.acts = a, j.cfg.storage = storage;
    jobs.push_back(j);
  };
  for (int seed = 1; seed <= o.seeds; ++seed)
    for (int H : o.widths) {
      add("fp32", "fp32", 0, false, H, seed, {}, {});
      for (int b : o.int_bits) {
        add("weights", "int" + std::to_string(b), b, false, H, seed, fmt::int_scaled(b, {1, 0}), {});
        add("acts", "int" + std::to_string(b), b, false, H, seed, {}, fmt::int_scaled(b, {0, 0}));
      }
      for (const auto& [name, f] : o.fp) {
        add("weights", name, precsim::storage_bits(f), true, H, seed, fmt::mx(f), {});
        add("acts", name, precsim::storage_bits(f), true, H, seed, {}, fmt::mx(f));
      }
    }
  // Stored weights: the linear layers' weights kept in a low-precision format, no master copy.
  const precsim::rounding rn{}, sr{precsim::round_mode::stochastic};
  for (int seed = 1; seed <= o.seeds; ++seed) {
    const int H = o.storage_width;
    add("storage", "fp32", 0, false, H, seed, {}, {});
    add("storage", "bf16-rn", 16, false, H, seed, {}, {}, {fmt::bfloat16, rn});
    add("storage", "bf16-sr", 16, false, H, seed, {}, {}, {fmt::bfloat16, sr});
    add("storage", "e4m3-rn", 8, false, H, seed, {}, {}, {fmt::float8_e4m3fn, rn});
    add("storage", "e4m3-sr", 8, false, H, seed, {}, {}, {fmt::float8_e4m3fn, sr});
  }
  return jobs;
}

std::string duration(double s) {
  char buf[32];
  if (s >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%.0fs", s);
  return buf;
}

// Runs the jobs on `workers` threads with a live status line (a terminal) or a line per run.
void run_all(std::vector<job>& jobs, const sweep::corpus& c, const sweep::heldout& h, int workers) {
  // cost of a run ~ steps * params ~ params^2 (steps = 20 params / batch)
  const auto cost_of = [](const run_config& cfg) {
    const double n = double(sweep::mlp::non_embedding_params(cfg));
    return n * n;
  };
  double total = 0;
  for (const auto& j : jobs) total += cost_of(j.cfg);
  const bool tty = isatty(fileno(stderr));
  std::atomic<std::size_t> next{0}, finished{0};
  std::mutex mu;
  double done_cost = 0;
  std::map<std::size_t, double> live;  // job -> cost done so far
  std::string status;
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const auto work = [&] {
    for (std::size_t i; (i = next++) < jobs.size();) {
      job& j = jobs[i];
      const auto t0 = std::chrono::steady_clock::now();
      const double cost = cost_of(j.cfg);
      j.res = sweep::train(c, h, j.cfg, [&](std::size_t s, std::size_t steps, double loss) {
        std::lock_guard<std::mutex> lock(mu);
        live[i] = cost * double(s) / double(steps);
        double d = done_cost;
        for (const auto& [k, v] : live) d += v;
        const double t = elapsed(), eta = d > 0 ? t * (total - d) / d : 0;
        char buf[200];
        std::snprintf(buf, sizeof buf, "run %zu/%zu  H=%-3d %-7s %-11s seed %llu  step %zu/%zu  loss %.3f  ETA %s",
                      finished.load() + 1, jobs.size(), j.cfg.hidden, j.kind.c_str(), j.format.c_str(),
                      (unsigned long long)j.cfg.seed, s, steps, loss, duration(eta).c_str());
        status = buf;
        if (tty) std::fprintf(stderr, "\r\033[K%s", status.c_str());
      });
      j.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::lock_guard<std::mutex> lock(mu);
      live.erase(i);
      done_cost += cost;
      ++finished;
      if (!tty)
        std::fprintf(stderr, "[%zu/%zu] H=%d %s %s seed %llu: held-out loss %.4f (%.1fs)\n", finished.load(),
                     jobs.size(), j.cfg.hidden, j.kind.c_str(), j.format.c_str(), (unsigned long long)j.cfg.seed,
                     j.res.loss, j.seconds);
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (tty) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%zu runs in %s on %d worker%s\n", jobs.size(), duration(elapsed()).c_str(), workers,
               workers == 1 ? "" : "s");
}

struct stats {
  double mean = 0, sd = 0;
  int n = 0;
};
stats summarize(const std::vector<double>& v) {
  stats s;
  s.n = int(v.size());
  for (double x : v) s.mean += x / double(v.size());
  for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(s.sd / double(v.size() - 1)) : 0;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  const int workers = o.workers > 0 ? o.workers : int(std::max(1u, std::thread::hardware_concurrency()));
  precsim::set_max_threads(1);  // runs are the parallel unit; each GEMM stays on its thread

  const sweep::corpus corpus(20241104);
  const sweep::heldout held(corpus, o.heldout, 8);
  std::vector<job> jobs = make_jobs(o);
  std::printf("precision_sweep%s: char-level MLP LM (context 8, embedding 8, two hidden layers of width %s),\n",
              o.quick ? " --quick" : "", [&] {
                std::string s;
                for (int H : o.widths) s += (s.empty() ? "" : "/") + std::to_string(H);
                return s;
              }().c_str());
  std::printf("synthetic corpus with entropy rate %.4f nats/char, %zu held-out positions, 20 tokens per parameter,\n"
              "%d seeds (paired), AdamW + warmup/cosine; %zu runs on %d workers\n\n",
              corpus.entropy_per_char, held.next.size(), o.seeds, jobs.size(), workers);
  std::fflush(stdout);
  run_all(jobs, corpus, held, workers);

  // ---- CSV of every run ----------------------------------------------------------------------
  std::string mk = "mkdir -p '" + o.out + "'";
  if (std::system(mk.c_str()) != 0) {
    std::fprintf(stderr, "cannot create %s\n", o.out.c_str());
    return 1;
  }
  if (FILE* f = std::fopen((o.out + "/runs.csv").c_str(), "w")) {
    std::fprintf(f, "kind,format,bits,hidden,seed,params,tokens,steps,heldout_loss,train_loss,seconds\n");
    for (const auto& j : jobs)
      std::fprintf(f, "%s,%s,%g,%d,%llu,%zu,%zu,%zu,%.6f,%.6f,%.2f\n", j.kind.c_str(), j.format.c_str(), j.bits,
                   j.cfg.hidden, (unsigned long long)j.cfg.seed, j.res.params, j.res.tokens, j.res.steps, j.res.loss,
                   j.res.train_loss, j.seconds);
    std::fclose(f);
  }

  // ---- tables --------------------------------------------------------------------------------
  // loss[kind][format][H] = losses over seeds
  std::map<std::string, std::map<std::string, std::map<int, std::vector<double>>>> L;
  std::map<std::string, double> bits_of;
  std::map<std::string, bool> fp_of;
  std::map<int, double> params_of;
  for (const auto& j : jobs) {
    L[j.kind][j.format][j.cfg.hidden].push_back(j.res.loss);
    bits_of[j.format] = j.bits, fp_of[j.format] = j.fp;
    params_of[j.cfg.hidden] = double(j.res.params);
  }
  // A run diverged when it predicts worse than uniform guessing (ln 27 nats); such cells show as
  // "diverged" and are left out of the fits (decided before running, as the paper's diverged runs).
  const double uniform = std::log(double(sweep::alphabet));
  const auto mean_loss = [&](const std::string& kind, const std::string& name, int H) {
    const stats s = summarize(L[kind][name][H]);
    for (double x : L[kind][name][H])
      if (!(x <= uniform)) return std::nan("");
    return s.mean;
  };
  // seed noise: pooled standard deviation of the float32 losses over the widths
  double var = 0;
  for (int H : o.widths) var += std::pow(summarize(L["fp32"]["fp32"][H]).sd, 2) / double(o.widths.size());
  const double noise = std::sqrt(var);

  std::vector<std::string> format_order;  // table rows: INT, then MX floating point
  for (int b : o.int_bits) format_order.push_back("int" + std::to_string(b));
  for (const auto& f : o.fp) format_order.push_back(f.first);
  std::printf("Held-out loss (nats/char, mean over %d seeds; Δ = vs float32 of the same seeds)\n", o.seeds);
  std::printf("%-9s %-11s", "quantized", "format");
  for (int H : o.widths) std::printf("  H=%-3d (N=%-6.0f)   ", H, params_of[H]);
  std::printf("\n%-9s %-11s", "-", "fp32");
  for (int H : o.widths) std::printf("  %.4f ± %.4f     ", summarize(L["fp32"]["fp32"][H]).mean, summarize(L["fp32"]["fp32"][H]).sd);
  std::printf("\n");
  for (const std::string kind : {"weights", "acts"})
    for (const auto& name : format_order) {
      std::printf("%-9s %-11s", kind.c_str(), name.c_str());
      for (int H : o.widths) {
        const double m = mean_loss(kind, name, H);
        if (std::isnan(m)) std::printf("  %-20s", "diverged");
        else std::printf("  %.4f (Δ %+.4f)    ", m, m - summarize(L["fp32"]["fp32"][H]).mean);
      }
      std::printf("\n");
    }
  std::printf("\nSeed noise s (pooled sd of float32 losses): %.4f nats/char\n", noise);

  // ---- fits ----------------------------------------------------------------------------------
  const int Hmax = o.widths.back();
  std::map<std::string, sweep::fit_result> fits;
  std::printf("\nFit of L = N^-alpha (A f(P)^-alpha + B) + E, f(P) = 1 - exp(-P/g + n), INT runs + float32,\n"
              "grid over (alpha, g, n), least squares for (A, B, E):\n");
  std::vector<std::pair<std::string, bool>> checks;
  for (const std::string kind : {"weights", "acts"}) {
    std::vector<sweep::fit_point> all, train_pts, test_pts;
    for (int H : o.widths) {
      const auto add = [&](double bits, double loss) {
        if (std::isnan(loss)) return;
        const sweep::fit_point p{params_of[H], bits, loss};
        all.push_back(p);
        (H == Hmax ? test_pts : train_pts).push_back(p);
      };
      add(0, summarize(L["fp32"]["fp32"][H]).mean);
      for (int b : o.int_bits) add(b, mean_loss(kind, "int" + std::to_string(b), H));
    }
    const sweep::fit_result f = sweep::fit_precision_law(all), fh = sweep::fit_precision_law(train_pts);
    double se = 0;
    for (const auto& p : test_pts) se += std::pow(fh.predict(p.N, p.bits) - p.loss, 2);
    const double heldout_rms = std::sqrt(se / double(test_pts.size()));
    fits[kind] = f;
    std::printf("  %-7s g = %.3f  n = %+.3f  alpha = %.3f  A = %.4g  B = %.4g  E = %.4f  | f(4) = %.2f  rms %.4f%s\n",
                kind.c_str(), f.g, f.n, f.alpha, f.A, f.B, f.E, f.f(4), f.rms, f.ok ? "" : "  (no valid fit)");
    std::printf("          held-out: fit without H=%d (g = %.3f, n = %+.3f), predicts its %zu losses with rms %.4f\n",
                Hmax, fh.g, fh.n, test_pts.size(), heldout_rms);
    // pre-registered checks (docs/precision-scaling.md, "Judge it honestly")
    double d2 = 0, d8 = 0;
    for (int H : o.widths) {
      const double base = summarize(L["fp32"]["fp32"][H]).mean;
      const double l2 = mean_loss(kind, "int2", H);  // diverged: far worse
      d2 += ((std::isnan(l2) ? uniform : l2) - base) / double(o.widths.size());
      d8 += (summarize(L[kind]["int8"][H]).mean - base) / double(o.widths.size());
    }
    char buf[200];
    std::snprintf(buf, sizeof buf, "%s: L(2 bits) - L(fp32) = %.4f > 3 s = %.4f", kind.c_str(), d2, 3 * noise);
    checks.push_back({buf, d2 > 3 * noise});
    std::snprintf(buf, sizeof buf, "%s: |L(8 bits) - L(fp32)| = %.4f < 2 s = %.4f", kind.c_str(), std::fabs(d8), 2 * noise);
    checks.push_back({buf, std::fabs(d8) < 2 * noise});
    std::snprintf(buf, sizeof buf, "%s: fit rms %.4f <= 1.5 s = %.4f", kind.c_str(), f.rms, 1.5 * noise);
    checks.push_back({buf, f.ok && f.rms <= 1.5 * noise});
    std::snprintf(buf, sizeof buf, "%s: held-out rms %.4f <= 2 s = %.4f", kind.c_str(), heldout_rms, 2 * noise);
    checks.push_back({buf, fh.ok && heldout_rms <= 2 * noise});
    std::snprintf(buf, sizeof buf, "%s: no fitted parameter at a grid edge", kind.c_str());
    checks.push_back({buf, f.ok && !f.at_edge && !fh.at_edge});
  }
  int failed = 0;
  std::printf("\nPre-registered checks (decided before running; a FAIL means this sweep cannot support the claim):\n");
  for (const auto& [what, ok] : checks) {
    std::printf("  %s  %s\n", ok ? "PASS" : "FAIL", what.c_str());
    failed += !ok;
  }
  std::printf("  %d of %zu checks fail.\n", failed, checks.size());
  std::printf("\nThis is a curve fit at toy scale (N = %.0f..%.0f parameters, one data ratio): it shows that the\n"
              "functional form describes these runs and how weights and activations differ here; it does not\n"
              "confirm or measure the paper's constants (g_w = 2.67, g_a = 2.21 for 30M-220M transformers).\n",
              params_of[o.widths.front()], params_of[Hmax]);

  // ---- stored weights ------------------------------------------------------------------------
  std::printf("\nWeights stored in low precision, no float32 master copy (H=%d, AdamW, the update rounded into\n"
              "the format to nearest (rn) or stochastically (sr)); held-out loss and share of the weights that\n"
              "changed per step over the last 10%% of training:\n", o.storage_width);
  for (const std::string name : {"fp32", "bf16-rn", "bf16-sr", "e4m3-rn", "e4m3-sr"}) {
    std::vector<double> loss, moved;
    for (const auto& j : jobs)
      if (j.kind == "storage" && j.format == name) loss.push_back(j.res.loss), moved.push_back(j.res.moved);
    const stats s = summarize(loss), m = summarize(moved);
    std::printf("  %-8s loss %.4f ± %.4f   weights moved per step %5.1f%%\n", name.c_str(), s.mean, s.sd, 100 * m.mean);
  }

  // ---- plot ----------------------------------------------------------------------------------
  sweep::plot_data pd;
  pd.widths = o.widths;
  for (const std::string kind : {"weights", "acts"}) {
    auto& panel = pd.panels.emplace_back();
    panel.title = kind == "weights" ? "weights quantized" : "activations quantized";
    for (int H : o.widths) {
      auto& curve = panel.curves.emplace_back();
      curve.label = "H=" + std::to_string(H);
      curve.fp32 = summarize(L["fp32"]["fp32"][H]).mean;
      for (int b : o.int_bits)
        if (const double m = mean_loss(kind, "int" + std::to_string(b), H); !std::isnan(m)) curve.points.push_back({double(b), m});
      for (const auto& f : o.fp)
        if (const double m = mean_loss(kind, f.first, H); !std::isnan(m)) curve.fp_points.push_back({bits_of[f.first], m});
      const auto& fit = fits[kind];
      if (fit.ok)
        for (double b = 1.5; b <= 9.0001; b += 0.1)
          if (fit.f(b) > 0) curve.fit.push_back({b, fit.predict(params_of[H], b)});
      curve.fit_fp32 = fit.ok ? fit.predict(params_of[H], 0) : 0;
    }
  }
  const std::string image = sweep::write_plot(pd, o.out);
  std::printf("\nWrote %s/runs.csv and %s\n", o.out.c_str(), image.c_str());

  // The outputs' structure (what CI checks with --quick): a CSV line per run, both fits found,
  // the plot written. A failed pre-registered check is a result, not an error.
  std::size_t lines = 0;
  if (FILE* f = std::fopen((o.out + "/runs.csv").c_str(), "r")) {
    for (int ch; (ch = std::fgetc(f)) != EOF;) lines += ch == '\n';
    std::fclose(f);
  }
  FILE* img = std::fopen(image.c_str(), "r");
  const bool plotted = img && std::fgetc(img) != EOF;
  if (img) std::fclose(img);
  const bool ok = lines == jobs.size() + 1 && fits["weights"].ok && fits["acts"].ok && plotted;
  if (!ok) std::fprintf(stderr, "precision_sweep: incomplete output (CSV lines %zu of %zu, fits %d %d, plot %d)\n",
                        lines, jobs.size() + 1, fits["weights"].ok, fits["acts"].ok, plotted);
  return ok ? 0 : 1;
}
