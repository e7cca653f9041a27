// Bulk rounding over contiguous spans: fake quantization (round, keep the type), encode to codes,
// decode codes. Float inputs run the vector kernel of the best instruction set (simd/), large
// spans run on several threads (parallel.hpp); every path gives the scalar core's bits:
//
//   out[i] == quantize(in[i], f, r', w)   resp. encode(in[i], f, r', w)
//
// where for stochastic rounding w is the random word of absolute index stream.offset + i
// (random.hpp) and r' is r with random_bits = r.random_bits, or when that is 0: 32 for float
// inputs (one Philox word per element) and 64 for double (two words).
#pragma once

#include <algorithm>
#include <bit>
#include <cfenv>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include "core/round.hpp"
#include "format.hpp"
#include "parallel.hpp"
#include "random.hpp"
#include "rounding.hpp"
#include "simd/dispatch.hpp"

#if PRECSIM_X86 && defined(__CUDACC__)
#include <xmmintrin.h>
#endif

// Compiled kernels (opt-in, docs/build.md): defining PRECSIM_SEPARATE_KERNELS in every
// translation unit turns the span entry points into declarations of the functions below, compiled
// once by src/precsim_kernels.cpp or its parts, src/kernels/*.cpp (CMake:
// precsim::precsim_kernels). They take only types that mean the same under every compiler flag,
// so they sit outside the per-configuration namespace: a -O0 or -ffast-math program links the
// kernels built with the library's own flags.
#if defined(PRECSIM_SEPARATE_KERNELS) && !defined(PRECSIM_KERNELS_SOURCE)
#define PRECSIM_KERNELS_EXTERN 1
#else
#define PRECSIM_KERNELS_EXTERN 0
#endif
// (input, output) element types of the span calls.
#define PRECSIM_BULK_ROUND_FLOAT_TYPES(X) \
  X(float, float) X(float, std::uint8_t) X(float, std::uint16_t) X(float, std::uint32_t) X(float, std::uint64_t)
#define PRECSIM_BULK_ROUND_DOUBLE_TYPES(X)                                                \
  X(double, double) X(double, std::uint8_t) X(double, std::uint16_t) X(double, std::uint32_t) \
  X(double, std::uint64_t)
#define PRECSIM_BULK_ROUND_TYPES(X) PRECSIM_BULK_ROUND_FLOAT_TYPES(X) PRECSIM_BULK_ROUND_DOUBLE_TYPES(X)
#define PRECSIM_BULK_DECODE_TYPES(X)                                                              \
  X(std::uint8_t, float) X(std::uint16_t, float) X(std::uint32_t, float) X(std::uint64_t, float) \
  X(std::uint8_t, double) X(std::uint16_t, double) X(std::uint32_t, double) X(std::uint64_t, double)

#if defined(PRECSIM_SEPARATE_KERNELS)
namespace precsim::compiled {
#define PRECSIM_DECLARE_ROUND(T, Out)                                                             \
  void bulk_round(const char* fn, std::span<const T> in, std::span<Out> out, const float_format& f, \
                  const rounding& r, const sr_stream& s);
#define PRECSIM_DECLARE_DECODE(Code, T) void bulk_decode(std::span<const Code> in, std::span<T> out, const float_format& f);
PRECSIM_BULK_ROUND_TYPES(PRECSIM_DECLARE_ROUND)
PRECSIM_BULK_DECODE_TYPES(PRECSIM_DECLARE_DECODE)
#undef PRECSIM_DECLARE_ROUND
#undef PRECSIM_DECLARE_DECODE
}  // namespace precsim::compiled
#endif

namespace precsim {
PRECSIM_BEGIN_CONFIG
namespace detail {

// Every bulk call runs in a floating-point environment of its own and restores the caller's,
// exception flags included: round to nearest, exceptions masked (no trap, even with
// feenableexcept), and on x86 no FTZ / DAZ. So neither the caller's settings nor the kernels'
// internal conversions show.
// (nvcc's front end knows the SSE intrinsics, not GCC's MXCSR builtins.)
inline constexpr std::size_t stream_out_bytes = std::size_t{32} << 20;

// Runs of 1024 elements and more start with those before out's first 64-byte boundary, so that
// the kernels' whole-vector stores do not straddle two cache lines: a split store costs an Intel
// CPU two, and a 16-byte aligned buffer (std::vector's) splits every AVX-512 store. On an Intel
// Xeon that made decode of 8-bit codes 1.8x slower, quantize 1.1-1.25x (docs/bulk.md).
// Stochastic rounding keeps one call: its groups follow the absolute index, not the address.
template <class Out, class Run>
void line_aligned(const Out* out, std::size_t b, std::size_t e, bool split, Run&& run) {
  const std::size_t head = (64 - reinterpret_cast<std::uintptr_t>(out + b) % 64) % 64 / sizeof(Out);
  if (split && e - b >= 1024 && head != 0) {
    run(b, b + head);
    b += head;
  }
  run(b, e);
}

class bulk_fp_scope {
#if PRECSIM_X86 && defined(__CUDACC__) && !defined(__CUDA_ARCH__)
  unsigned saved_ = _mm_getcsr();

 public:
  bulk_fp_scope() noexcept { _mm_setcsr(0x1F80u); }
  ~bulk_fp_scope() { _mm_setcsr(saved_); }
#elif PRECSIM_X86 && !defined(__CUDACC__) && !defined(__HIPCC__)
  unsigned saved_ = __builtin_ia32_stmxcsr();

 public:
  bulk_fp_scope() noexcept { __builtin_ia32_ldmxcsr(0x1F80u); }
  ~bulk_fp_scope() { __builtin_ia32_ldmxcsr(saved_); }
#else
  std::fenv_t saved_;

 public:
  bulk_fp_scope() noexcept {
    std::feholdexcept(&saved_);
    std::fesetround(FE_TONEAREST);
  }
  ~bulk_fp_scope() { std::fesetenv(&saved_); }
#endif
  bulk_fp_scope(const bulk_fp_scope&) = delete;
  bulk_fp_scope& operator=(const bulk_fp_scope&) = delete;
};

[[noreturn]] inline void bulk_error(const char* fn, const std::string& what) {
  std::string msg = "precsim::";
  msg += fn;
  msg += ": ";
  msg += what;
  throw std::invalid_argument(msg);
}

// Only the identical buffer may be used in place (also the CUDA launchers' check).
template <class In, class Out>
void check_overlap(const char* fn, std::span<In> in, std::span<Out> out) {
  const auto* ib = reinterpret_cast<const unsigned char*>(in.data());
  const auto* ob = reinterpret_cast<const unsigned char*>(out.data());
  const bool same = static_cast<const void*>(ib) == static_cast<const void*>(ob) &&
                    sizeof(In) == sizeof(Out);
  if (!same && in.size() && out.size() && ib < ob + out.size_bytes() && ob < ib + in.size_bytes())
    bulk_error(fn, "in and out overlap (only the identical span may be used in place)");
}

template <class In, class Out>
void check_spans(const char* fn, std::span<In> in, std::span<Out> out) {
  if (in.size() != out.size())
    bulk_error(fn, "out has " + std::to_string(out.size()) + " elements, in has " +
                       std::to_string(in.size()));
  check_overlap(fn, in, out);
}

template <class Code>
void check_code_width(const char* fn, const float_format& f) {
  if (storage_bits(f) > int(sizeof(Code)) * 8)
    bulk_error(fn, "codes of " + std::to_string(storage_bits(f)) + " bits do not fit a " +
                       std::to_string(sizeof(Code) * 8) + "-bit integer");
}

// Element j's random word (bulk_random_word), 16 Philox blocks at a time (philox_batch): for
// consecutive j, one batch per 32 (more than 32 bits) or 64 (at most 32 bits) random-word
// indices instead of one block per element.
class bulk_words {
 public:
  bulk_words(const sr_stream& s, int bits) noexcept : s_(s), bits_(bits) {}
  std::uint64_t operator()(std::uint64_t j) noexcept {
    if (bits_ > 32) {
      if (j >> 5 != batch_) fill(random_u64_domain | (j >> 5) << 4, j >> 5);
      return batch_u64(words_, int(j & 31));
    }
    const unsigned per = unsigned(bulk_indices_per_word(bits_));
    const std::uint64_t i = j / (64 * per) * 64 + j % 64;  // the random_u32 index
    if (i >> 6 != batch_) fill(i >> 6 << 4, i >> 6);
    return words_[i & 63] >> (32 / per * ((j / 64) % per));
  }

 private:
  void fill(std::uint64_t first, std::uint64_t batch) noexcept {
    philox_batch(s_, first, words_);
    batch_ = batch;
  }
  sr_stream s_;
  int bits_;
  std::uint64_t batch_ = ~std::uint64_t{0};
  std::uint32_t words_[64];
};

// One element through the scalar core: a value (Out = T) or a code.
template <class Out, class T>
Out scalar_one(T x, const float_format& f, const rounding& r, std::uint64_t w) noexcept {
  if constexpr (std::is_same_v<Out, T>)
    return quantize(x, f, r, w);
  else
    return static_cast<Out>(encode(x, f, r, w));
}
// Element-by-element through the scalar core: the reference, and the path for the double inputs
// and formats the kernels do not cover, and for the scalar level.
template <class T, class Out>
void scalar_round(const float_format& f, const rounding& r, const sr_stream& s, std::uint64_t j,
                  const T* in, Out* out, std::size_t n) noexcept {
  rounding rr = r;
  rr.random_bits = bulk_random_bits<T>(r);
  const bool sr = r.mode == round_mode::stochastic;
  bulk_words words(s, rr.random_bits);
  for (std::size_t i = 0; i < n; ++i) out[i] = scalar_one<Out>(in[i], f, rr, sr ? words(j + i) : 0);
}

#if PRECSIM_VECTOR_KERNELS
// Stochastic rounding of doubles by sr_double_block (simd/kernel_f64.hpp), 32 indices from a multiple
// of 32 at a time (one batch of random_u64 words); the lanes it leaves, the head and the tail by
// the scalar core.
template <class Out>
void sr_double_span(simd_level level, const sr_double_params& p, const float_format& f, const rounding& r,
                    const sr_stream& s, std::uint64_t j, const double* in, Out* out, std::size_t n) noexcept {
  rounding rr = r;
  rr.random_bits = bulk_random_bits<double>(r);
  std::size_t i = std::min<std::size_t>(n, (32 - j % 32) % 32);
  scalar_round(f, r, s, j, in, out, i);
  std::uint32_t words[64];
  for (; i + 32 <= n; i += 32) {
    philox_batch(s, random_u64_domain | (j + i) >> 5 << 4, words);
    for (std::uint32_t left = vector_sr_double(level, p, in + i, out + i, words); left != 0; left &= left - 1) {
      const int k = std::countr_zero(left);
      out[i + std::size_t(k)] = scalar_one<Out>(in[i + std::size_t(k)], f, rr, batch_u64(words, k));
    }
  }
  scalar_round(f, r, s, j + i, in + i, out + i, n - i);
}
#endif

// The checks every span call makes, in this order: the format, the rounding, the code width,
// the spans.
template <class In, class Out>
void check_call(const char* fn, std::span<const In> in, std::span<Out> out, const float_format& f,
                const rounding& r = {}) {
  validate(f);
  validate(r);
  if constexpr (std::is_integral_v<In>) check_code_width<In>(fn, f);
  if constexpr (std::is_integral_v<Out>) check_code_width<Out>(fn, f);
  check_spans(fn, in, out);
}

// Double spans of float-valued formats: narrowed to float by round-to-odd (the float nearest x
// toward zero, its last bit set when x is not a float; simd/kernel_f64.hpp, narrow_span), then the
// float kernel. Rounding that float gives the rounding of x itself where the format's quantum
// is at least 2^(g + 1) float quanta at every magnitude below FLT_MAX, g being the bits below
// the quantum the rounding looks at: 1 for every mode but stochastic (the midpoint), N + 1 for
// stochastic rounding with N random bits (the reduction of the discarded fraction to N bits
// looks at its multiples of 2^-(N + 1), and whether it is one). Round-to-odd keeps x in the
// same open interval between multiples of 2 float quanta, or exact (Boldo and Melquiond,
// "Emulation of FMA and correctly rounded sums: proved algorithms using rounding to odd",
// 2008). So: m + g <= 22 and 2^(emin - m) >= 2^(g - 148). Chunks with NaNs (payloads),
// infinities or |x| >= FLT_MAX (above which float has no grid) go to the scalar core. Stochastic
// rounding with N = 0 (64 random bits for doubles) never qualifies: sr_double_span where the
// format allows, else the scalar core.
inline bool narrow_to_odd_exact(const float_format& f, const rounding& r) noexcept {
  const bool sr = r.mode == round_mode::stochastic;
  if (sr && r.random_bits == 0) return false;
  const int g = sr ? r.random_bits + 1 : 1;
  return f.mantissa_bits + g <= 22 && min_exponent(f) - f.mantissa_bits >= g - 148;
}

#if PRECSIM_KERNELS_EXTERN
using compiled::bulk_round;
using compiled::bulk_decode;
#else
template <class T, class Out>
void bulk_round(const char* fn, std::span<const T> ins, std::span<Out> outs, const float_format& f,
                const rounding& r, const sr_stream& s) {
  check_call(fn, ins, outs, f, r);
  const T* in = ins.data();
  Out* out = outs.data();
  const std::size_t n = ins.size();
  [[maybe_unused]] const simd_level level = active_simd_level();
  constexpr bool vector = std::is_same_v<T, float> && sizeof(Out) <= 4;
  // double spans with float-valued formats: narrowed to float by round-to-odd, then the kernel
  constexpr bool narrowed = std::is_same_v<T, double> && (std::is_same_v<Out, double> || sizeof(Out) <= 4);
  [[maybe_unused]] kernel_params p;
  if constexpr (vector || narrowed)
    if (level != simd_level::scalar && (vector || narrow_to_odd_exact(f, r))) p = make_kernel_params(f, r);
#if PRECSIM_VECTOR_KERNELS
  // other stochastic roundings of doubles: in their bit pattern where the format allows
  [[maybe_unused]] sr_double_params sp;
  [[maybe_unused]] bool sr_double = false;
  if constexpr (narrowed) sr_double = level != simd_level::scalar && !p.eligible && make_sr_double_params(f, r, sp);
  // the deterministic modes of the fast path's formats: in their bit pattern too
  [[maybe_unused]] f64_params fp;
  [[maybe_unused]] bool by_bits = false;
  if constexpr (narrowed) by_bits = p.eligible && make_f64_params(f, p, fp);
#endif
  // Float outputs of 32 MiB and more: streaming stores (no read of the lines they overwrite, no
  // eviction of the inputs; the output is not in cache afterwards, which at that size it could
  // not be anyway). (memcpy does the same at sizes like these.) AVX-512's, a whole cache line
  // each; AVX2's 32-byte ones (also two per line back to back) on Intel only: on Zen 5 they
  // measured slower than plain stores for every format but bfloat16, on an Intel Xeon faster
  // for every format (1.2-1.5x; docs/bulk.md).
  if constexpr (vector && std::is_same_v<Out, float>)
    p.stream_out = (level == simd_level::avx512 || (level == simd_level::avx2 && cpu().intel)) &&
                   n * sizeof(Out) >= stream_out_bytes;
  const auto run = [&](std::size_t b, std::size_t e) {
#if PRECSIM_VECTOR_KERNELS
    if constexpr (vector)
      if (p.eligible) return vector_round(level, p, s, s.offset + b, in + b, out + b, e - b);
    if constexpr (narrowed)
      if (p.eligible) {
        constexpr std::size_t chunk = 2048;  // (512 measured 10% slower: the three passes' fixed costs)
        float x[chunk], y[chunk];
        // elements [i, i + c), c <= chunk: narrowed to float by round-to-odd, the float kernel, widened
        const auto three_passes = [&](std::size_t i, std::size_t c) {
          if (vector_narrow(level, in + i, x, c))  // NaN, inf, |x| >= FLT_MAX
            return scalar_round(f, r, s, s.offset + i, in + i, out + i, c);
          if constexpr (std::is_same_v<Out, double>) {
            vector_round(level, p, s, s.offset + i, x, y, c);
            vector_widen(level, y, out + i, c);
          } else {
            vector_round(level, p, s, s.offset + i, x, out + i, c);
          }
        };
#if PRECSIM_X86
        // one pass where the level has one (dispatch.hpp, one_pass_f64); vectors with specials
        // by the scalar core, 8 elements, then on; chunks it leaves (busy) by the three passes
        if (one_pass_f64_ok<Out>(level, p, by_bits)) {
          for (std::size_t i = b; i < e;) {
            bool busy;
            i += one_pass_f64(level, p, fp, in + i, out + i, e - i, busy);
            const std::size_t c = std::min<std::size_t>(busy ? chunk : 8, e - i);
            if (busy) three_passes(i, c);
            else scalar_round(f, r, s, s.offset + i, in + i, out + i, c);
            i += c;
          }
          return;
        }
#endif
        for (std::size_t i = b; i < e; i += chunk) three_passes(i, std::min(chunk, e - i));
        return;
      }
    if constexpr (narrowed)
      if (sr_double) return sr_double_span(level, sp, f, r, s, s.offset + b, in + b, out + b, e - b);
#endif
    scalar_round(f, r, s, s.offset + b, in + b, out + b, e - b);
  };
  parallel_for(n, [&](std::size_t b, std::size_t e) {
    const bulk_fp_scope env;
    line_aligned(out, b, e, r.mode != round_mode::stochastic, run);
  });
}

template <class Code, class T>
void bulk_decode(std::span<const Code> ins, std::span<T> outs, const float_format& f) {
  check_call("decode", ins, outs, f);
  const Code* in = ins.data();
  T* out = outs.data();
  const std::size_t n = ins.size();
  [[maybe_unused]] const simd_level level = active_simd_level();
  const bool vector = sizeof(Code) <= 4 && level != simd_level::scalar;
  [[maybe_unused]] const kernel_params p = vector ? make_kernel_params(f, {}) : kernel_params{};
#if PRECSIM_VECTOR_KERNELS
  // Codes of up to 8 bits on longer spans: a table of the 256 values, built by the kernel, and
  // the level's fastest way to them (dispatch.hpp, table_decoder).
  table_decoder table;
  const bool by_table = p.eligible && storage_bits(f) <= 8 && n >= 1024;
  if (by_table) {
    const bulk_fp_scope env;
    prepare_table_decoder(level, p, storage_bits(f), table);
  }
#endif
  const auto run = [&](std::size_t b, std::size_t e) {
#if PRECSIM_VECTOR_KERNELS
    if constexpr (sizeof(Code) <= 4) if (p.eligible) {
      if constexpr (std::is_same_v<T, float>) {
        if (by_table) return vector_table_decode(table, in + b, out + b, e - b);
        return vector_decode(level, p, in + b, out + b, e - b);
      } else {  // every value of an eligible format is a float: decode to float, widen
        float tmp[1024];
        for (std::size_t i = b; i < e; i += 1024) {
          const std::size_t c = std::min<std::size_t>(1024, e - i);
          vector_decode(level, p, in + i, tmp, c);
          for (std::size_t k = 0; k < c; ++k) out[i + k] = to_double(tmp[k]);  // DAZ-proof
        }
        return;
      }
    }
#endif
    for (std::size_t i = b; i < e; ++i) {
      const double v = decode(in[i], f);
      if constexpr (std::is_same_v<T, float>)
        out[i] = to_float(v);
      else
        out[i] = v;
    }
  };
  parallel_for(n, [&](std::size_t b, std::size_t e) {
    const bulk_fp_scope env;
    line_aligned(out, b, e, true, run);
  });
}
#endif  // PRECSIM_KERNELS_EXTERN

}  // namespace detail

// ---- fake quantization: round to f, keep the input type ----------------------------------------
// NaN passes through; float results beyond float's range become +-inf (as scalar quantize()).
// in and out have equal sizes and are the same span or do not overlap.

inline void quantize(std::span<const float> in, std::span<float> out, const float_format& f,
                     const rounding& r = {}, sr_source s = {}) {
  detail::bulk_round("quantize", in, out, f, r, detail::resolve_stream(s, r));
}
inline void quantize(std::span<const double> in, std::span<double> out, const float_format& f,
                     const rounding& r = {}, sr_source s = {}) {
  detail::bulk_round("quantize", in, out, f, r, detail::resolve_stream(s, r));
}
// In place.
inline void quantize(std::span<float> data, const float_format& f, const rounding& r = {},
                     sr_source s = {}) {
  quantize(std::span<const float>(data), data, f, r, s);
}
inline void quantize(std::span<double> data, const float_format& f, const rounding& r = {},
                     sr_source s = {}) {
  quantize(std::span<const double>(data), data, f, r, s);
}

// Compile-time format: the same kernels and bits; an invalid F does not compile.
template <float_format F>
void quantize(std::span<const float> in, std::span<float> out, const rounding& r = {},
              sr_source s = {}) {
  static_assert(format_check<F>::valid);
  quantize(in, out, F, r, s);
}
template <float_format F>
void quantize(std::span<const double> in, std::span<double> out, const rounding& r = {},
              sr_source s = {}) {
  static_assert(format_check<F>::valid);
  quantize(in, out, F, r, s);
}

// ---- codes ------------------------------------------------------------------------------------
// encode: the code of each input in the low storage_bits(f) bits; the code type must hold
// storage_bits(f) bits. decode: the value of each code (higher bits ignored).

#define PRECSIM_BULK_CODES(Code)                                                                   \
  inline void encode(std::span<const float> in, std::span<Code> out, const float_format& f,        \
                     const rounding& r = {}, sr_source s = {}) {                                   \
    detail::bulk_round("encode", in, out, f, r, detail::resolve_stream(s, r));                     \
  }                                                                                                \
  inline void encode(std::span<const double> in, std::span<Code> out, const float_format& f,       \
                     const rounding& r = {}, sr_source s = {}) {                                   \
    detail::bulk_round("encode", in, out, f, r, detail::resolve_stream(s, r));                     \
  }                                                                                                \
  inline void decode(std::span<const Code> in, std::span<float> out, const float_format& f) {      \
    detail::bulk_decode(in, out, f);                                                               \
  }                                                                                                \
  inline void decode(std::span<const Code> in, std::span<double> out, const float_format& f) {     \
    detail::bulk_decode(in, out, f);                                                               \
  }

PRECSIM_BULK_CODES(std::uint8_t)
PRECSIM_BULK_CODES(std::uint16_t)
PRECSIM_BULK_CODES(std::uint32_t)
PRECSIM_BULK_CODES(std::uint64_t)
#undef PRECSIM_BULK_CODES

PRECSIM_END_CONFIG
}  // namespace precsim
