// Host-only text I/O: format names (named formats, IEEE P3109 "binary8p3se", "eXmY[fn|fnuz]"),
// block format names ("mxfp8_e4m3", "int4_channel"), enumerator names both ways, descriptions,
// sign|exponent|mantissa bit strings and shortest round-trip value printing.
// Used by the precsim-info tool; never included by the core.
#pragma once

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "blocks/format.hpp"
#include "format.hpp"
#include "rounding.hpp"

namespace precsim {

struct named_format {
  std::string_view name;
  float_format format;
};

// The named formats, in the ecosystem's (ml_dtypes / PyTorch / LLVM) spelling.
inline constexpr std::array<named_format, 15> named_formats{{
    {"float64", formats::float64},
    {"float32", formats::float32},
    {"tf32", formats::tf32},
    {"float16", formats::float16},
    {"bfloat16", formats::bfloat16},
    {"float8_e5m2", formats::float8_e5m2},
    {"float8_e4m3fn", formats::float8_e4m3fn},
    {"float8_e4m3fnuz", formats::float8_e4m3fnuz},
    {"float8_e5m2fnuz", formats::float8_e5m2fnuz},
    {"float8_e4m3b11fnuz", formats::float8_e4m3b11fnuz},
    {"float8_e3m4", formats::float8_e3m4},
    {"float6_e3m2fn", formats::float6_e3m2fn},
    {"float6_e2m3fn", formats::float6_e2m3fn},
    {"float4_e2m1fn", formats::float4_e2m1fn},
    {"float8_e8m0fnu", formats::float8_e8m0fnu},
}};

PRECSIM_BEGIN_CONFIG
namespace detail {

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reads a decimal integer at s[pos..], advancing pos; -1 when there is none.
inline int read_int(std::string_view s, std::size_t& pos) {
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data() + pos, s.data() + s.size(), v);
  if (ec != std::errc{} || v < 0) return -1;
  pos = static_cast<std::size_t>(end - s.data());
  return v;
}

}  // namespace detail

// Parses a format name: a named format ("float8_e4m3fn"), a P3109 name ("binary8p3se",
// case-insensitive), or "eXmY" (IEEE-style: bias 2^(X-1)-1, inf and NaN), "eXmYfn" (no inf, NaN
// at the all-ones magnitude) or "eXmYfnuz" (bias 2^(X-1), NaN at the -0 code). Throws
// std::invalid_argument with a one-line reason.
inline float_format parse_format(std::string_view text) {
  const std::string s = detail::lower(text);
  for (const auto& nf : named_formats)
    if (s == nf.name) return nf.format;
  std::size_t pos = 0;
  if (s.rfind("binary", 0) == 0) {
    pos = 6;
    const int k = detail::read_int(s, pos);
    if (k >= 0 && pos < s.size() && s[pos] == 'p') {
      ++pos;
      const int p = detail::read_int(s, pos);
      if (p >= 0 && pos + 2 == s.size() && (s[pos] == 's' || s[pos] == 'u') &&
          (s[pos + 1] == 'e' || s[pos + 1] == 'f'))
        return formats::p3109(k, p, s[pos] == 's', s[pos + 1] == 'e');
    }
    throw std::invalid_argument("bad P3109 name '" + std::string(text) +
                                "' (expected binaryKpP{s|u}{e|f}, e.g. binary8p3se)");
  }
  if (!s.empty() && s[0] == 'e') {
    pos = 1;
    const int e = detail::read_int(s, pos);
    if (e >= 0 && pos < s.size() && s[pos] == 'm') {
      ++pos;
      const int m = detail::read_int(s, pos);
      const std::string_view suffix = std::string_view(s).substr(pos);
      if (m >= 0 && (suffix.empty() || suffix == "fn" || suffix == "fnuz")) {
        if (e < 1 || e > 11) throw std::invalid_argument("float_format.exponent_bits must be in 1..11");
        const int bias = (1 << (e - 1)) - 1;
        float_format f{e, m, bias};
        if (suffix == "fn") f = formats::no_inf(e, m, bias, special_values::nan_max);
        if (suffix == "fnuz") f = formats::no_inf(e, m, bias + 1, special_values::nan_negative_zero);
        validate(f);
        return f;
      }
    }
  }
  throw std::invalid_argument("unknown format '" + std::string(text) +
                              "' (try float8_e4m3fn, binary8p3se, e3m4 or e4m3fn)");
}

// Enumerator names (the spelling of the enumerators; int_range::unsigned_ is "unsigned").
namespace detail {
template <class E, std::size_t N>
const char* enum_name(E e, const char* const (&names)[N], const char* invalid) noexcept {
  return unsigned(e) < N ? names[unsigned(e)] : invalid;
}
}  // namespace detail
inline const char* to_string(subnormal_mode m) {
  return detail::enum_name(m, {"gradual", "flush", "no_zero"}, "invalid subnormal_mode");
}
inline const char* to_string(special_values v) {
  return detail::enum_name(v, {"ieee", "nan_max", "nan_negative_zero", "none"}, "invalid special_values");
}
inline const char* to_string(overflow_value v) {
  return detail::enum_name(v, {"infinity", "nan", "max_finite"}, "invalid overflow_value");
}
inline const char* to_string(round_mode m) {
  return detail::enum_name(m, {"nearest_even", "nearest_away", "toward_zero", "toward_positive", "toward_negative",
                               "to_odd", "stochastic"}, "invalid round_mode");
}
inline const char* to_string(saturation s) {
  return detail::enum_name(s, {"none", "finite", "propagate"}, "invalid saturation");
}
inline const char* to_string(sr_variant v) { return detail::enum_name(v, {"a", "b", "c"}, "invalid sr_variant"); }
inline const char* to_string(scale_rule r) {
  return detail::enum_name(r, {"floor_pow2", "ceil_pow2", "nearest_pow2", "exact"}, "invalid scale_rule");
}
inline const char* to_string(int_range r) {
  return detail::enum_name(r, {"symmetric", "full", "unsigned", "asymmetric"}, "invalid int_range");
}

// The enumerator of E named text (to_string's spelling); else std::invalid_argument listing the
// names: "unknown <what> '<text>' (a, b, c)".
template <class E>
E parse_enum(std::string_view text, const char* what) {
  std::string names;
  for (unsigned i = 0; std::string_view(to_string(E(i))).rfind("invalid ", 0) != 0; ++i) {
    if (text == to_string(E(i))) return E(i);
    names += (i ? ", " : "") + std::string(to_string(E(i)));
  }
  throw std::invalid_argument("unknown " + std::string(what) + " '" + std::string(text) + "' (" + names + ")");
}

// A name that parse_format() reads back as f: the named format, the P3109 name, or eXmY[fn|fnuz]
// where one fits; otherwise a field list.
inline std::string format_name(const float_format& f) {
  if (const char* why = invalid_reason(f)) return std::string("invalid float_format: ") + why;
  for (const auto& nf : named_formats)
    if (nf.format == f) return std::string(nf.name);
  const int k = storage_bits(f), p = precision(f);
  if (k >= 3 && k <= 16 && p <= (f.is_signed ? k - 1 : k)) {
    const bool ext = has_inf(f);
    if (f.exponent_bits <= 11 && formats::p3109(k, p, f.is_signed, ext) == f) {
      std::string name = "Binary";  // appended piecewise: g++ 12 warns falsely on "lit" + string
      name += std::to_string(k);
      name += 'p';
      name += std::to_string(p);
      name += f.is_signed ? 's' : 'u';
      name += ext ? 'e' : 'f';
      return name;
    }
  }
  std::string exmy = "e";
  exmy += std::to_string(f.exponent_bits);
  exmy += 'm';
  exmy += std::to_string(f.mantissa_bits);
  for (const char* suffix : {"", "fn", "fnuz"}) {
    try {
      if (parse_format(exmy + suffix) == f) return exmy + suffix;
    } catch (const std::invalid_argument&) {
    }
  }
  std::string out = exmy;
  out += "{bias ";
  out += std::to_string(f.bias);
  if (!f.is_signed) out += ", unsigned";
  out += ", subnormals ";
  out += to_string(f.subnormals);
  out += ", specials ";
  out += to_string(f.specials);
  if (has_inf(f) && f.specials != special_values::ieee) out += ", inf";
  if (f.overflow == overflow_value::nan) out += ", overflow nan";
  if (f.overflow == overflow_value::max_finite && has_nan(f)) out += ", overflow max_finite";
  out += '}';
  return out;
}

// Shortest decimal that reads back as the same double.
inline std::string to_string(double x) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

// "0b0|0101|010": sign | exponent field | mantissa (no sign part for unsigned formats).
inline std::string bits_string(std::uint64_t code, const float_format& f) {
  std::string out = "0b";
  const int k = storage_bits(f);
  for (int i = k - 1; i >= 0; --i) {
    out += ((code >> i) & 1) ? '1' : '0';
    if ((f.is_signed && i == k - 1) || (i == f.mantissa_bits && f.mantissa_bits > 0)) out += '|';
  }
  return out;
}

// The named block formats (OCP MX, NVFP4).
struct named_block_format {
  std::string_view name;
  block_format format;
};
inline constexpr std::array<named_block_format, 7> named_block_formats{{
    {"mxfp8_e4m3", formats::mxfp8_e4m3},
    {"mxfp8_e5m2", formats::mxfp8_e5m2},
    {"mxfp6_e3m2", formats::mxfp6_e3m2},
    {"mxfp6_e2m3", formats::mxfp6_e2m3},
    {"mxfp4_e2m1", formats::mxfp4_e2m1},
    {"mxint8", formats::mxint8},
    {"nvfp4", formats::nvfp4},
}};

// Parses a block format name: a named one ("mxfp8_e4m3", "nvfp4"), symmetric absmax integers
// "intB_tensor", "intB_channel" (per row) or "intB_gG" (groups of G along a row), and FP8 tiles
// "fp8_tiles_RxC" (e4m3, fp32 scale per R x C tile). Throws std::invalid_argument.
inline block_format parse_block_format(std::string_view text) {
  const std::string s = detail::lower(text);
  for (const auto& nf : named_block_formats)
    if (s == nf.name) return nf.format;
  const auto bad = [&] {
    return std::invalid_argument("unknown block format '" + std::string(text) +
                                 "' (try mxfp8_e4m3, nvfp4, int4_channel, int8_g128, int8_tensor or fp8_tiles_1x128)");
  };
  std::size_t pos = 0;
  if (s.rfind("int", 0) == 0) {
    pos = 3;
    const int bits = detail::read_int(s, pos);
    const std::string_view rest = std::string_view(s).substr(pos);
    if (bits < 0) throw bad();
    if (rest == "_tensor") return formats::int_scaled(bits, {0, 0});
    if (rest == "_channel") return formats::int_scaled(bits, {1, 0});
    if (rest.rfind("_g", 0) == 0) {
      pos += 2;
      const int g = detail::read_int(s, pos);
      if (g > 0 && pos == s.size()) return formats::int_scaled(bits, {1, std::size_t(g)});
    }
    throw bad();
  }
  if (s.rfind("fp8_tiles_", 0) == 0) {
    pos = 10;
    const int r = detail::read_int(s, pos);
    if (r >= 0 && pos < s.size() && s[pos] == 'x') {
      ++pos;
      const int c = detail::read_int(s, pos);
      if (c >= 0 && pos == s.size()) return formats::fp8_tiles({std::size_t(r), std::size_t(c)});
    }
  }
  throw bad();
}

// Rounding options by name (to_string's spelling).
inline round_mode parse_round_mode(std::string_view text) { return parse_enum<round_mode>(text, "rounding mode"); }
inline saturation parse_saturation(std::string_view text) { return parse_enum<saturation>(text, "saturation"); }
inline sr_variant parse_sr_variant(std::string_view text) {
  return parse_enum<sr_variant>(text, "stochastic rounding variant");
}

PRECSIM_END_CONFIG
}  // namespace precsim
