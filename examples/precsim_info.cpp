// precsim-info: what a format is and what values become in it (usage: precsim-info --help).
//   FORMAT [VALUE...]     the format's properties; for each value its code (hex and
//                         sign|exponent|mantissa), the decoded value, its neighbours, and the
//                         result under every rounding mode and saturation
//   FORMAT --table [--csv|--markdown]   every code: hex, bits, value (decimal and hex), class
//   FORMAT --compare FORMAT2            the properties of two formats side by side
//   --list                              every named format
// Exit code 2 with a one-line message on bad input.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <precsim/io.hpp>
#include <precsim/precsim.hpp>

using namespace precsim;

namespace {

std::string show(double v) {
  if (std::isnan(v)) return "NaN";
  std::string s = to_string(v);
  int e = 0;
  if (v != 0 && std::isfinite(v) && std::fabs(std::frexp(v, &e)) == 0.5)  // a power of two
    s += " (" + std::string(v < 0 ? "-" : "") + "2^" + std::to_string(e - 1) + ")";
  return s;
}

std::string code_str(std::uint64_t code, const float_format& f) {
  char hex[40];
  const int digits = std::clamp((storage_bits(f) + 3) / 4, 1, 16);
  std::snprintf(hex, sizeof hex, "0x%0*llx", digits, (unsigned long long)code);
  return std::string(hex);
}

// The properties of f as (label, text) rows, printed alone or next to another format's.
std::vector<std::pair<std::string, std::string>> properties(const float_format& f) {
  static const char* subs[] = {"gradual", "flush to zero", "none, and no zero"};
  static const char* specials[] = {"IEEE (exponent all ones)", "NaN at the all-ones magnitude",
                                   "NaN at the -0 code", "none (every code is a number)"};
  static const char* overflow[] = {"infinity", "NaN", "max finite"};
  auto text = [](const char* fmt, auto... args) {
    char buf[160];
    std::snprintf(buf, sizeof buf, fmt, args...);
    return std::string(buf);
  };
  return {
      {"name", format_name(f)},
      {"layout", text("%d bits: %s%d exponent, %d mantissa; bias %d; precision %d", storage_bits(f),
                      f.is_signed ? "1 sign, " : "unsigned, ", f.exponent_bits, f.mantissa_bits, f.bias,
                      precision(f))},
      {"subnormals", subs[int(f.subnormals)]},
      {"specials", std::string(specials[int(f.specials)]) + (has_inf(f) ? ", +-inf" : ", no inf")},
      {"overflow", std::string("without saturation gives ") + overflow[int(f.overflow)]},
      {"max finite", show(max_finite(f))},
      {"min normal", show(min_normal(f))},
      {"min positive", show(min_subnormal(f))},
      {"epsilon", show(epsilon(f))},
      {"values", text("%llu finite, %llu NaN codes%s", (unsigned long long)finite_value_count(f),
                      (unsigned long long)nan_code_count(f), has_negative_zero(f) ? ", -0 distinct from +0" : "")},
  };
}

void print_format(const std::string& name, const float_format& f) {
  const auto rows = properties(f);
  std::printf("%s = %s\n", name.c_str(), rows[0].second.c_str());
  for (std::size_t i = 1; i < rows.size(); ++i) std::printf("  %-12s %s\n", rows[i].first.c_str(), rows[i].second.c_str());
}

void print_compare(const std::string& a_name, const float_format& a, const std::string& b_name, const float_format& b) {
  const auto ra = properties(a), rb = properties(b);
  std::printf("| | %s | %s |\n|---|---|---|\n", a_name.c_str(), b_name.c_str());
  for (std::size_t i = 0; i < ra.size(); ++i)
    std::printf("| %s | %s | %s |\n", ra[i].first.c_str(), ra[i].second.c_str(), rb[i].second.c_str());
}

const char* code_class(std::uint64_t c, const float_format& f) {
  const double v = decode(c, f);
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return "inf";
  if (v == 0) return "zero";
  return std::fabs(v) < min_normal(f) ? "subnormal" : "normal";
}

// Every code of f (up to 16 bits): code, sign|exponent|mantissa, value, value in hex, class.
int print_table(const float_format& f, bool csv) {
  if (storage_bits(f) > 16) {
    std::fprintf(stderr, "precsim-info: --table lists formats of at most 16 bits, this one has %d\n", storage_bits(f));
    return 2;
  }
  if (csv) std::printf("code,bits,value,hex,class\n");
  else std::printf("| code | bits | value | hex | class |\n|---|---|---|---|---|\n");
  for (std::uint64_t c = 0; c < code_count(f); ++c) {
    const double v = decode(c, f);
    char hex[48];
    std::snprintf(hex, sizeof hex, "%a", v);
    const std::string value = std::isnan(v) ? "NaN" : to_string(v);
    std::printf(csv ? "%s,%s,%s,%s,%s\n" : "| %s | %s | %s | %s | %s |\n", code_str(c, f).c_str(),
                bits_string(c, f).c_str(), value.c_str(), std::isnan(v) ? "NaN" : hex, code_class(c, f));
  }
  return 0;
}

void print_list() {
  std::printf("%-20s %4s %3s %3s %5s  %s\n", "name", "bits", "E", "M", "bias", "max finite");
  for (const auto& nf : named_formats) {
    const float_format& f = nf.format;
    std::printf("%-20s %4d %3d %3d %5d  %s\n", std::string(nf.name).c_str(), storage_bits(f), f.exponent_bits,
                f.mantissa_bits, f.bias, show(max_finite(f)).c_str());
  }
  std::printf("\nAlso: P3109 names binary<K>p<P><s|u><e|f> (binary8p3se), eXmY (IEEE-like), eXmYfn, eXmYfnuz.\n");
}

const char* usage =
    "usage: precsim-info FORMAT [VALUE...]              properties; what each value becomes\n"
    "       precsim-info FORMAT --table [--csv|--markdown]  every code (formats up to 16 bits)\n"
    "       precsim-info FORMAT --compare FORMAT2        two formats side by side\n"
    "       precsim-info --list                          the named formats\n"
    "FORMAT: a named format (float8_e4m3fn), a P3109 name (binary8p3se), eXmY, eXmYfn or eXmYfnuz.\n"
    "e.g. precsim-info float8_e4m3fn 0.3\n";

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
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fprintf(stderr, "precsim-info: no format given (precsim-info --help)\n");
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h") {
    std::printf("%s", usage);
    return 0;
  }
  if (args[0] == "--list") {
    print_list();
    return 0;
  }
  auto parse = [](const std::string& name, float_format& out) {
    try {
      out = parse_format(name);
      return true;
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "precsim-info: %s\n", e.what());
      return false;
    }
  };
  float_format f;
  if (!parse(args[0], f)) return 2;
  if (args.size() >= 2 && args[1] == "--table") {
    const std::string style = args.size() >= 3 ? args[2] : "--markdown";
    if (args.size() > 3 || (style != "--csv" && style != "--markdown")) {
      std::fprintf(stderr, "precsim-info: --table takes --csv or --markdown\n");
      return 2;
    }
    return print_table(f, style == "--csv");
  }
  if (args.size() >= 2 && args[1] == "--compare") {
    float_format g;
    if (args.size() != 3) {
      std::fprintf(stderr, "precsim-info: --compare takes one other format\n");
      return 2;
    }
    if (!parse(args[2], g)) return 2;
    print_compare(args[0], f, args[2], g);
    return 0;
  }
  std::vector<double> values;
  for (std::size_t i = 1; i < args.size(); ++i) {
    char* end = nullptr;
    const double x = std::strtod(args[i].c_str(), &end);
    if (end == args[i].c_str() || *end != '\0') {
      std::fprintf(stderr, "precsim-info: '%s' is not a number (precsim-info --help)\n", args[i].c_str());
      return 2;
    }
    values.push_back(x);
  }
  print_format(args[0], f);
  for (std::size_t i = 1; i < args.size(); ++i) print_value(values[i - 1], args[i], f);
  return 0;
}
