// precsim-info FORMAT [VALUE...]: what a format is and what values become in it.
// Prints the format's properties; for each value its code (hex and sign|exponent|mantissa),
// the decoded value, its neighbours in the format, and the result under every rounding mode and
// saturation. Exit code 2 with a one-line message on bad input.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <precsim/io.hpp>
#include <precsim/precsim.hpp>

using namespace precsim;

namespace {

std::string show(double v) {
  if (std::isnan(v)) return "NaN";
  std::string s = to_string(v);
  if (v != 0 && std::isfinite(v)) {
    const double l = std::log2(std::fabs(v));
    if (l == std::floor(l)) s += " (" + std::string(v < 0 ? "-" : "") + "2^" + std::to_string(int(l)) + ")";
  }
  return s;
}

std::string code_str(std::uint64_t code, const float_format& f) {
  char hex[32];
  std::snprintf(hex, sizeof hex, "0x%0*llx", (storage_bits(f) + 3) / 4, (unsigned long long)code);
  return std::string(hex);
}

void print_format(const std::string& name, const float_format& f) {
  static const char* subs[] = {"gradual", "flush to zero", "none, and no zero"};
  static const char* specials[] = {"IEEE (exponent all ones)", "NaN at the all-ones magnitude",
                                   "NaN at the -0 code", "none (every code is a number)"};
  static const char* overflow[] = {"infinity", "NaN", "max finite"};
  std::printf("%s = %s\n", name.c_str(), format_name(f).c_str());
  std::printf("  layout       %d bits: %s%d exponent, %d mantissa; bias %d; precision %d\n",
              storage_bits(f), f.is_signed ? "1 sign, " : "unsigned, ", f.exponent_bits,
              f.mantissa_bits, f.bias, precision(f));
  std::printf("  subnormals   %s\n  specials     %s%s\n", subs[int(f.subnormals)],
              specials[int(f.specials)], has_inf(f) ? ", +-inf" : ", no inf");
  std::printf("  overflow     without saturation gives %s\n", overflow[int(f.overflow)]);
  std::printf("  max finite   %s\n  min normal   %s\n  min positive %s\n  epsilon      %s\n",
              show(max_finite(f)).c_str(), show(min_normal(f)).c_str(),
              show(min_subnormal(f)).c_str(), show(epsilon(f)).c_str());
  std::printf("  values       %llu finite, %llu NaN codes%s\n",
              (unsigned long long)finite_value_count(f), (unsigned long long)nan_code_count(f),
              has_negative_zero(f) ? ", -0 distinct from +0" : "");
}

// The next code up (by value) from a finite code: round the next double up.
std::uint64_t step(double v, const float_format& f, bool up) {
  const double next = std::nextafter(v, up ? INFINITY : -INFINITY);
  return encode(next, f, {up ? round_mode::toward_positive : round_mode::toward_negative});
}

void print_value(double x, const std::string& text, const float_format& f) {
  std::printf("\n%s  (as double: %a)\n", text.c_str(), x);
  const std::uint64_t c = encode(x, f);
  const double v = decode(c, f);
  std::printf("  nearest_even %s  %s  = %s\n", code_str(c, f).c_str(), bits_string(c, f).c_str(),
              show(v).c_str());
  if (std::isfinite(x)) {
    const std::uint64_t lo = encode(x, f, {round_mode::toward_negative});
    const std::uint64_t hi = encode(x, f, {round_mode::toward_positive});
    const double dlo = decode(lo, f), dhi = decode(hi, f);
    if (dlo == x && std::isfinite(dlo)) {
      const std::uint64_t below = step(dlo, f, false), above = step(dlo, f, true);
      std::printf("  exact; neighbours %s = %s and %s = %s\n", code_str(below, f).c_str(),
                  show(decode(below, f)).c_str(), code_str(above, f).c_str(), show(decode(above, f)).c_str());
    } else {
      std::printf("  between %s = %s and %s = %s\n", code_str(lo, f).c_str(), show(dlo).c_str(),
                  code_str(hi, f).c_str(), show(dhi).c_str());
      if (std::isfinite(dlo) && std::isfinite(dhi) && dhi != dlo)
        std::printf("  stochastic rounds up with probability %.6g\n", (x - dlo) / (dhi - dlo));
    }
  }
  std::printf("  %-16s %-20s %-20s %s\n", "mode \\ saturation", "none", "finite", "propagate");
  for (int m = 0; m < 6; ++m) {
    std::printf("  %-16s", to_string(round_mode(m)));
    for (int s = 0; s < 3; ++s) {
      const std::uint64_t r = encode(x, f, {round_mode(m), saturation(s)});
      std::printf(" %-20s", (code_str(r, f) + " " + show(decode(r, f))).c_str());
    }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: precsim-info FORMAT [VALUE...]  (e.g. precsim-info float8_e4m3fn 0.3)\n");
    return 2;
  }
  float_format f;
  try {
    f = parse_format(argv[1]);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "precsim-info: %s\n", e.what());
    return 2;
  }
  std::vector<double> values;
  for (int i = 2; i < argc; ++i) {
    char* end = nullptr;
    const double x = std::strtod(argv[i], &end);
    if (end == argv[i] || *end != '\0') {
      std::fprintf(stderr, "precsim-info: '%s' is not a number\n", argv[i]);
      return 2;
    }
    values.push_back(x);
  }
  print_format(argv[1], f);
  for (int i = 2; i < argc; ++i) print_value(values[i - 2], argv[i], f);
  return 0;
}
