// precsim-bench: rounding throughput of one format and mode, next to memcpy and the hardware
// float -> half -> float conversion measured in the same run (usage: precsim-bench --help).
//   precsim-bench float8_e4m3fn stochastic --n 16M --threads 2 --input wide
// Exit code 2 with a one-line message on bad input.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <precsim/io.hpp>
#include <precsim/precsim.hpp>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BENCH_F16C 1
#endif

using namespace precsim;

namespace {

const char* usage =
    "usage: precsim-bench FORMAT [MODE] [options]\n"
    "  MODE             nearest_even (default), nearest_away, toward_zero, toward_positive,\n"
    "                   toward_negative, to_odd, stochastic\n"
    "  --n N            elements (suffix K, M, G: 2^10, 2^20, 2^30; default 16M)\n"
    "  --threads T      threads (default 1)\n"
    "  --input KIND     normal (N(0,1), default), wide (|x| = 2^U(-30,20), random signs), uniform (U(-1,1))\n"
    "  --random-bits B  stochastic rounding's random bits (default 0: 32 per float element)\n"
    "  --simd LEVEL     scalar, portable, avx2, avx512 (default: the best this CPU runs)\n"
    "  --repeat R       timed runs per operation, the median is reported (default 5)\n"
    "Prints G elements/s and GB/s (bytes read + written) of quantize, encode and decode next to\n"
    "memcpy of the same floats and the F16C float->half->float round trip, same threads.\n";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "precsim-bench: %s (precsim-bench --help)\n", what.c_str());
  std::exit(2);
}

std::size_t parse_count(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  double scale = 1;
  if (end && *end) {
    const std::string suffix = end;
    if (suffix == "K" || suffix == "Ki" || suffix == "k") scale = 1 << 10;
    else if (suffix == "M" || suffix == "Mi") scale = 1 << 20;
    else if (suffix == "G" || suffix == "Gi") scale = double(1 << 30);
    else fail("'" + s + "' is not a count (e.g. 65536, 64K, 16M)");
  }
  if (end == s.c_str() || !(v > 0) || v * scale > 1e11) fail("'" + s + "' is not a count (e.g. 65536, 64K, 16M)");
  return std::size_t(v * scale);
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

// Median seconds of `repeat` timed runs (after one untimed), with a progress line on stderr
// when the runs take more than a second in all.
double time_it(const char* name, int repeat, const std::function<void()>& run) {
  run();
  std::vector<double> t;
  const auto start = std::chrono::steady_clock::now();
  bool progress = false;
  for (int k = 0; k < repeat; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    run();
    const auto t1 = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double>(t1 - t0).count());
    if (std::chrono::duration<double>(t1 - start).count() > 1.0) {
      std::fprintf(stderr, "\r  %-28s run %d of %d ", name, k + 1, repeat);
      progress = true;
    }
  }
  if (progress) std::fprintf(stderr, "\r%60s\r", "");
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

#if BENCH_F16C
__attribute__((target("f16c,avx"))) void f16c_round_trip(const float* in, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT);
    _mm256_storeu_ps(out + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) out[i] = _cvtsh_ss(_cvtss_sh(in[i], _MM_FROUND_TO_NEAREST_INT));
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) fail("no format given");
  if (args[0] == "--help" || args[0] == "-h") {
    std::printf("%s", usage);
    return 0;
  }
  float_format f;
  try {
    f = parse_format(args[0]);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  rounding r;
  std::size_t n = std::size_t{16} << 20;
  unsigned threads = 1;
  int repeat = 5;
  std::string input = "normal";
  simd_level level = active_simd_level();
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) fail(a + " needs a value");
      return args[++i];
    };
    if (a == "--n") n = parse_count(value());
    else if (a == "--threads") threads = unsigned(parse_count(value()));
    else if (a == "--repeat") repeat = int(std::min<std::size_t>(parse_count(value()), 1000));
    else if (a == "--input") {
      input = value();
      if (input != "normal" && input != "wide" && input != "uniform") fail("--input takes normal, wide or uniform");
    } else if (a == "--random-bits") {
      r.random_bits = int(std::min<std::size_t>(parse_count(value()), 65));
    } else if (a == "--simd") {
      const std::string l = value();
      bool found = false;
      for (simd_level s : {simd_level::scalar, simd_level::portable, simd_level::avx2, simd_level::avx512})
        if (l == to_string(s)) level = s, found = true;
      if (!found) fail("--simd takes scalar, portable, avx2 or avx512");
      if (!simd_level_supported(level)) fail(l + " is not supported by this CPU or compiler");
    } else if (i == 1 && a.rfind("--", 0) != 0) {
      try {
        r.mode = parse_round_mode(a);
      } catch (const std::invalid_argument& e) {
        fail(e.what());
      }
    } else {
      fail("unknown argument '" + a + "'");
    }
  }
  if (const char* why = invalid_reason(r)) fail(why);
  set_simd_level(level);
  set_max_threads(threads);
  set_parallel_threshold(threads > 1 ? 0 : std::size_t{1} << 20);

  // Inputs (a fixed sequence per kind).
  std::vector<float> x(n), y(n);
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {  // SplitMix64
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  auto unit = [&] { return (double(next() >> 11) + 0.5) * 0x1p-53; };
  for (float& v : x) {
    if (input == "normal") v = float(std::sqrt(-2 * std::log(unit())) * std::cos(6.283185307179586 * unit()));
    else if (input == "wide") v = float(std::exp2(-30 + 50 * unit()) * (next() & 1 ? 1 : -1));
    else v = float(2 * unit() - 1);
  }
  const int bits = storage_bits(f);
  const std::size_t code_bytes = bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 32 ? 4 : 8;
  std::vector<std::uint64_t> code_store((n * code_bytes + 7) / 8);
  void* codes = code_store.data();

  std::printf("precsim-bench: %s %s, %zu elements (float32), input %s, %u thread%s, simd %s\n", format_name(f).c_str(),
              to_string(r.mode), n, input.c_str(), threads, threads == 1 ? "" : "s", to_string(level));
  std::printf("CPU: %s\n\n", cpu_model().c_str());
  std::printf("%-34s %10s %8s %9s\n", "operation", "G elem/s", "GB/s", "x memcpy");
  double memcpy_rate = 0;
  auto report = [&](const char* name, double seconds, double bytes_per_element) {
    const double rate = double(n) / seconds;
    if (memcpy_rate == 0) memcpy_rate = rate;
    std::printf("%-34s %10.3f %8.2f %9.2f\n", name, rate / 1e9, rate * bytes_per_element / 1e9, rate / memcpy_rate);
  };
  auto split = [&](const std::function<void(std::size_t, std::size_t)>& body) {
    precsim::detail::parallel_for(n, body, threads > 1 ? 0 : std::size_t{1} << 62);
  };
  report("memcpy (baseline)", time_it("memcpy", repeat, [&] {
           split([&](std::size_t b, std::size_t e) { std::memcpy(y.data() + b, x.data() + b, (e - b) * 4); });
         }), 8);
#if BENCH_F16C
  if (cpu().f16c)
    report("F16C float->half->float", time_it("F16C", repeat, [&] {
             split([&](std::size_t b, std::size_t e) { f16c_round_trip(x.data() + b, y.data() + b, e - b); });
           }), 8);
  else
    std::printf("%-34s (no F16C on this CPU)\n", "F16C float->half->float");
#endif
  const sr_stream s{1, 2, 0};
  report("quantize", time_it("quantize", repeat, [&] { quantize(x, y, f, r, s); }), 8);
  quantization_stats st;  // (of the rounding just timed)
  report("measure (statistics)", time_it("measure", repeat, [&] { st = measure(x, y, f); }), 8);
  auto with_codes = [&](auto* c) {
    using code = std::remove_pointer_t<decltype(c)>;
    const std::span<code> cs(c, n);
    const std::string enc = "encode (" + std::to_string(code_bytes * 8) + "-bit codes)";
    const std::string dec = "decode (" + std::to_string(code_bytes * 8) + "-bit codes)";
    report(enc.c_str(), time_it("encode", repeat, [&] { encode(x, cs, f, r, s); }), 4.0 + double(code_bytes));
    report(dec.c_str(), time_it("decode", repeat, [&] { decode(std::span<const code>(cs), std::span<float>(y), f); }),
           4.0 + double(code_bytes));
  };
  if (code_bytes == 1) with_codes(static_cast<std::uint8_t*>(codes));
  else if (code_bytes == 2) with_codes(static_cast<std::uint16_t*>(codes));
  else if (code_bytes == 4) with_codes(static_cast<std::uint32_t*>(codes));
  else with_codes(static_cast<std::uint64_t*>(codes));
  std::printf("\nstatistics of quantize: %s\n", to_string(st).c_str());
  return 0;
}
