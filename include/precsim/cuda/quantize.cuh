// CUDA launchers over device arrays: fake quantization, encode to codes (one per 8/16/32-bit
// integer, or packed), decode. Every element goes through the scalar rounding core with the
// span API's random-word layout, so the results equal precsim::quantize / encode / decode on the
// host bit for bit, stochastic rounding included, for any grid (docs/cuda.md).
//
//   precsim::cuda::quantize(d_in, d_out, n, formats::float8_e4m3fn);            // runtime format
//   precsim::cuda::quantize<formats::float8_e4m3fn>(d_in, d_out, n, {round_mode::stochastic}, {seed, step});
//
// All launchers are asynchronous on `stream`; arguments are checked on the host first
// (std::invalid_argument, as the span API), CUDA failures throw precsim::cuda::error.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <type_traits>

#include "../floatx.hpp"
#include "../packing.hpp"
#include "launch.cuh"

namespace precsim::cuda {
PRECSIM_BEGIN_CONFIG
namespace detail {

// The format as a kernel sees it: a constant folded into the code, or a kernel argument.
template <float_format F>
struct fixed_format {
  PRECSIM_HD static constexpr float_format get() noexcept { return F; }
};
struct runtime_format {
  float_format f;
  PRECSIM_HD constexpr float_format get() const noexcept { return f; }
};

// Runs launch(format holder) with the named formats most used in training compiled in (those
// of at most MaxBits bits).
template <int MaxBits = 16, class Launch>
void with_format(const float_format& f, Launch&& launch) {
  namespace fm = precsim::formats;
  if constexpr (MaxBits >= 16) {
    if (f == fm::bfloat16) return launch(fixed_format<fm::bfloat16>{});
    if (f == fm::float16) return launch(fixed_format<fm::float16>{});
  }
  if (f == fm::float8_e4m3fn) return launch(fixed_format<fm::float8_e4m3fn>{});
  if (f == fm::float8_e5m2) return launch(fixed_format<fm::float8_e5m2>{});
  if (f == fm::float6_e3m2fn) return launch(fixed_format<fm::float6_e3m2fn>{});
  if (f == fm::float6_e2m3fn) return launch(fixed_format<fm::float6_e2m3fn>{});
  if (f == fm::float4_e2m1fn) return launch(fixed_format<fm::float4_e2m1fn>{});
  launch(runtime_format{f});
}

// Element types: float, and __half / __nv_bfloat16 read and written through their formats.
template <class T>
PRECSIM_HD constexpr float_format format_of() noexcept {
  return std::is_same_v<T, __half> ? formats::float16 : formats::bfloat16;
}
template <class T>
PRECSIM_HD PRECSIM_INLINE float value_of(T x) noexcept {
  if constexpr (std::is_same_v<T, float>) {
    return x;
  } else {
    const std::uint16_t bits = precsim::detail::bit_cast<std::uint16_t>(x);
    if constexpr (std::is_same_v<T, __nv_bfloat16>)  // bfloat16 is float's top half
      return precsim::detail::bit_cast<float>(std::uint32_t{bits} << 16);
    else
      return precsim::detail::to_float(decode(bits, formats::float16));
  }
}
// v must be a value of T (the launchers check that the format's values are).
template <class T>
PRECSIM_HD PRECSIM_INLINE T element_of(float v) noexcept {
  if constexpr (std::is_same_v<T, float>) return v;
  else return precsim::detail::bit_cast<T>(std::uint16_t(encode(v, format_of<T>())));  // (NaN: quiet)
}
template <class T>
const char* type_name() noexcept {
  return std::is_same_v<T, float> ? "float" : std::is_same_v<T, __half> ? "__half" : "__nv_bfloat16";
}
template <class T>
void check_values_fit(const char* fn, const float_format& f) {
  if constexpr (!std::is_same_v<T, float>)
    if (!precsim::detail::contains(format_of<T>(), f))
      precsim::detail::bulk_error(fn, std::string("the format has values that are not ") + type_name<T>() +
                                          " values (round into float buffers instead)");
}

// What one element becomes. The rounding's random_bits are the span API's (bulk_random_bits).
template <class Fmt>
struct rounder {
  Fmt fmt;
  rounding r;
  sr_stream s;
  PRECSIM_HD PRECSIM_INLINE std::uint64_t word(std::size_t i) const noexcept {
    return r.mode == round_mode::stochastic ? precsim::detail::bulk_random_word(s, s.offset + i, r.random_bits) : 0;
  }
  PRECSIM_HD PRECSIM_INLINE std::uint64_t code(float x, std::size_t i) const noexcept { return encode(x, fmt.get(), r, word(i)); }
};

// Ops: op(x, i) for element i; stochastic ones also op.with_word(x, w) for a word drawn outside.
template <class T, class Fmt>
struct quantize_op {
  rounder<Fmt> rd;
  PRECSIM_HD PRECSIM_INLINE T with_word(T x, std::uint64_t w) const noexcept {
    return element_of<T>(quantize(value_of(x), rd.fmt.get(), rd.r, w));
  }
  PRECSIM_HD PRECSIM_INLINE T operator()(T x, std::size_t i) const noexcept { return with_word(x, rd.word(i)); }
};
template <class T, class Code, class Fmt>
struct encode_op {
  rounder<Fmt> rd;
  PRECSIM_HD PRECSIM_INLINE Code with_word(T x, std::uint64_t w) const noexcept {
    return Code(encode(value_of(x), rd.fmt.get(), rd.r, w));
  }
  PRECSIM_HD PRECSIM_INLINE Code operator()(T x, std::size_t i) const noexcept { return with_word(x, rd.word(i)); }
};
template <class Code, class T, class Fmt>
struct decode_op {
  Fmt fmt;
  PRECSIM_HD PRECSIM_INLINE T operator()(Code c, std::size_t) const noexcept {
    return element_of<T>(precsim::detail::to_float(decode(c, fmt.get())));
  }
};

// out[i] = op(in[i], i). Unit u < vectors: V elements, 16-byte accesses of the narrower type
// (several of the wider one); the rest: one element each.
template <class In, class Out, class Op>
struct map_units {
  static constexpr unsigned V = 16 / (sizeof(In) < sizeof(Out) ? sizeof(In) : sizeof(Out));
  const In* in;
  Out* out;
  std::size_t n, vectors;
  Op op;

  PRECSIM_HD void operator()(std::size_t u) const {
    if (u < vectors) {
      In x[V];
      Out y[V];
      load16(in + u * V, x);
      PRECSIM_NO_UNROLL
      for (unsigned k = 0; k < V; ++k) y[k] = op(x[k], u * V + k);
      store16(out + u * V, y);
    } else {
      const std::size_t i = vectors * V + (u - vectors);
      out[i] = op(in[i], i);
    }
  }
  std::size_t units() const noexcept { return vectors + (n - vectors * V); }
};

// Stochastic rounding with 17..32 random bits, one Philox block per 4 elements: the stream layout
// (random.hpp) gives block (g, l) the indices 64 g + l + 16 k, k = 0..3, so a unit that rounds
// those four uses all 128 bits (per element, 3 of every 4 would be thrown away). Units
// [0, 16 groups): the groups, from the first element whose index s.offset + i is a multiple of
// 64; then the elements before and after them, one per unit.
template <class In, class Out, class Op>
struct sr_group_units {
  const In* in;
  Out* out;
  std::size_t n, head, groups;
  Op op;

  PRECSIM_HD void operator()(std::size_t u) const {
    const sr_stream& s = op.rd.s;
    if (u < groups * 16) {
      const std::size_t i0 = head + u / 16 * 64 + u % 16;
      const philox_block b = precsim::detail::philox_at(s, philox_counter_of(s.offset + i0));
      for (unsigned k = 0; k < 4; ++k) out[i0 + 16 * k] = op.with_word(in[i0 + 16 * k], b.v[k]);
    } else {
      const std::size_t r = u - groups * 16, i = r < head ? r : head + groups * 64 + (r - head);
      out[i] = op(in[i], i);
    }
  }
  std::size_t units() const noexcept { return groups * 16 + (n - groups * 64); }
};

template <class In, class Out, class Op>
void launch_map(const char* fn, const In* in, Out* out, std::size_t n, const Op& op, cudaStream_t stream) {
  if constexpr (requires { op.rd; }) {
    // (16 bits or fewer share a word between elements: random.hpp; per element then)
    if (op.rd.r.mode == round_mode::stochastic && op.rd.r.random_bits > 16 && op.rd.r.random_bits <= 32) {
      const std::size_t head = std::min<std::size_t>(n, (64 - op.rd.s.offset % 64) % 64);
      const sr_group_units<In, Out, Op> body{in, out, n, head, (n - head) / 64, op};
      return launch_units(fn, body, body.units(), stream);
    }
  }
  map_units<In, Out, Op> body{in, out, n, 0, op};
  if (aligned<16>(in) && aligned<16>(out)) body.vectors = n / body.V;
  launch_units(fn, body, body.units(), stream);
}

// The checks of every launcher, in the span API's order: format, rounding, code width, buffers.
template <class In, class Out>
void check_call(const char* fn, const In* in, Out* out, std::size_t n, const float_format& f, const rounding& r) {
  validate(f);
  validate(r);
  if constexpr (std::is_integral_v<In>) precsim::detail::check_code_width<In>(fn, f);
  if constexpr (std::is_integral_v<Out>) precsim::detail::check_code_width<Out>(fn, f);
  if constexpr (!std::is_integral_v<In>) check_values_fit<In>(fn, f);
  if constexpr (!std::is_integral_v<Out>) check_values_fit<Out>(fn, f);
  check_buffers(fn, in, n, out, n);
}

inline rounding bulk_rounding(rounding r) noexcept {
  r.random_bits = precsim::detail::bulk_random_bits<float>(r);
  return r;
}

template <class T, class Fmt>
void run_quantize(const T* in, T* out, std::size_t n, Fmt fmt, const rounding& r, const sr_source& s,
                  cudaStream_t stream) {
  check_call("quantize", in, out, n, fmt.get(), r);
  const sr_stream st = precsim::detail::resolve_stream(s, r);
  launch_map("quantize", in, out, n, quantize_op<T, Fmt>{{fmt, bulk_rounding(r), st}}, stream);
}
template <class T, class Code, class Fmt>
void run_encode(const T* in, Code* out, std::size_t n, Fmt fmt, const rounding& r, const sr_source& s,
                cudaStream_t stream) {
  check_call("encode", in, out, n, fmt.get(), r);
  const sr_stream st = precsim::detail::resolve_stream(s, r);
  launch_map("encode", in, out, n, encode_op<T, Code, Fmt>{{fmt, bulk_rounding(r), st}}, stream);
}
template <class Code, class T, class Fmt>
void run_decode(const Code* in, T* out, std::size_t n, Fmt fmt, cudaStream_t stream) {
  check_call("decode", in, out, n, fmt.get(), rounding{});
  launch_map("decode", in, out, n, decode_op<Code, T, Fmt>{fmt}, stream);
}

// ---- packed codes: groups of 32 codes of b bits = 4b bytes (packing.hpp layout) ------------------

template <class Fmt>
struct encode_packed_units {
  const float* in;
  std::uint8_t* packed;
  std::size_t n;
  int bits;
  bool vector_in, word_out;  // 16-byte loads; 4-byte stores
  rounder<Fmt> rd;

  PRECSIM_HD void operator()(std::size_t u) const {
    const std::size_t first = u * 32, count = n - first < 32 ? n - first : 32;
    float x[32];
    if (count == 32 && vector_in) {
      load16(in + first, x);
    } else {
      for (std::size_t k = 0; k < 32; ++k) x[k] = k < count ? in[first + k] : 0.0f;
    }
    std::uint32_t w[8] = {};
    PRECSIM_NO_UNROLL
    for (unsigned k = 0; k < 32; ++k) {
      const std::uint32_t c = k < count ? std::uint32_t(rd.code(x[k], first + k)) : 0u;
      const unsigned pos = k * unsigned(bits), word = pos / 32, at = pos % 32;
      w[word] |= c << at;
      if (at + unsigned(bits) > 32) w[word + 1] |= c >> (32 - at);
    }
    std::uint8_t* dst = packed + u * 4 * std::size_t(bits);
    if (count == 32 && word_out) {
      for (int k = 0; k < bits; ++k) reinterpret_cast<std::uint32_t*>(dst)[k] = w[k];
    } else {
      const std::size_t bytes = (count * std::size_t(bits) + 7) / 8;
      for (std::size_t b = 0; b < bytes; ++b) dst[b] = std::uint8_t(w[b / 4] >> (8 * (b % 4)));
    }
  }
};

template <class Fmt>
struct decode_packed_units {
  const std::uint8_t* packed;
  float* out;
  std::size_t n;
  int bits;
  bool word_in, vector_out;
  Fmt fmt;

  PRECSIM_HD void operator()(std::size_t u) const {
    const std::size_t first = u * 32, count = n - first < 32 ? n - first : 32;
    const std::uint8_t* src = packed + u * 4 * std::size_t(bits);
    std::uint32_t w[9] = {};
    if (count == 32 && word_in) {
      for (int k = 0; k < bits; ++k) w[k] = reinterpret_cast<const std::uint32_t*>(src)[k];
    } else {
      const std::size_t bytes = (count * std::size_t(bits) + 7) / 8;
      for (std::size_t b = 0; b < bytes; ++b) w[b / 4] |= std::uint32_t(src[b]) << (8 * (b % 4));
    }
    float y[32];
    const std::uint32_t mask = (1u << bits) - 1;
    PRECSIM_NO_UNROLL
    for (unsigned k = 0; k < 32; ++k) {
      const unsigned pos = k * unsigned(bits), word = pos / 32, at = pos % 32;
      std::uint32_t c = w[word] >> at;
      if (at + unsigned(bits) > 32) c |= w[word + 1] << (32 - at);
      y[k] = precsim::detail::to_float(decode(c & mask, fmt.get()));
    }
    if (count == 32 && vector_out) {
      store16(out + first, y);
    } else {
      for (std::size_t k = 0; k < count; ++k) out[first + k] = y[k];
    }
  }
};

inline void check_packed(const char* fn, const float_format& f) {
  if (storage_bits(f) > 8)
    precsim::detail::bulk_error(fn, "packed codes need a format of at most 8 bits, this one has " +
                                        std::to_string(storage_bits(f)));
}

template <class Fmt>
void run_encode_packed(const float* in, std::uint8_t* packed, std::size_t n, Fmt fmt, const rounding& r,
                       const sr_source& src, cudaStream_t stream) {
  const float_format f = fmt.get();
  validate(f);
  validate(r);
  const sr_stream s = precsim::detail::resolve_stream(src, r);
  check_packed("encode_packed", f);
  const int bits = storage_bits(f);
  check_buffers("encode_packed", in, n, packed, packed_size(n, bits));
  const encode_packed_units<Fmt> body{in, packed, n, bits, aligned<16>(in), aligned<4>(packed), {fmt, bulk_rounding(r), s}};
  launch_units("encode_packed", body, (n + 31) / 32, stream);
}
template <class Fmt>
void run_decode_packed(const std::uint8_t* packed, float* out, std::size_t n, Fmt fmt, cudaStream_t stream) {
  const float_format f = fmt.get();
  validate(f);
  check_packed("decode_packed", f);
  const int bits = storage_bits(f);
  check_buffers("decode_packed", packed, packed_size(n, bits), out, n);
  const decode_packed_units<Fmt> body{packed, out, n, bits, aligned<4>(packed), aligned<16>(out), fmt};
  launch_units("decode_packed", body, (n + 31) / 32, stream);
}

}  // namespace detail

// ---- fake quantization: out[i] = precsim::quantize(in[i], f, r, word of index s.offset + i) ----
// float, __half and __nv_bfloat16 buffers (the latter two where every value of f is one of the
// type's); in == out allowed, other overlaps rejected.

#define PRECSIM_CUDA_QUANTIZE(T)                                                                  \
  inline void quantize(const T* in, T* out, std::size_t n, const float_format& f, rounding r = {}, \
                       sr_source s = {}, cudaStream_t stream = 0) {                                \
    detail::with_format(f, [&](auto fmt) { detail::run_quantize(in, out, n, fmt, r, s, stream); }); \
  }                                                                                                \
  template <float_format F>                                                                        \
  void quantize(const T* in, T* out, std::size_t n, rounding r = {}, sr_source s = {},             \
                cudaStream_t stream = 0) {                                                         \
    static_assert(format_check<F>::valid);                                                         \
    detail::run_quantize(in, out, n, detail::fixed_format<F>{}, r, s, stream);                     \
  }
PRECSIM_CUDA_QUANTIZE(float)
PRECSIM_CUDA_QUANTIZE(__half)
PRECSIM_CUDA_QUANTIZE(__nv_bfloat16)
#undef PRECSIM_CUDA_QUANTIZE

// ---- codes: encode (float / __half / __nv_bfloat16 in) and decode (float out; __half /
// __nv_bfloat16 out where f's values are the type's), one code per 8-, 16- or 32-bit integer ----

#define PRECSIM_CUDA_ENCODE(T, Code)                                                               \
  inline void encode(const T* in, Code* out, std::size_t n, const float_format& f, rounding r = {}, \
                     sr_source s = {}, cudaStream_t stream = 0) {                                  \
    if constexpr (std::is_same_v<T, float> && sizeof(Code) == 1)                                   \
      detail::with_format<8>(f, [&](auto fmt) { detail::run_encode(in, out, n, fmt, r, s, stream); }); \
    else                                                                                           \
      detail::run_encode(in, out, n, detail::runtime_format{f}, r, s, stream);                     \
  }                                                                                                \
  template <float_format F>                                                                        \
  void encode(const T* in, Code* out, std::size_t n, rounding r = {}, sr_source s = {},            \
              cudaStream_t stream = 0) {                                                           \
    static_assert(format_check<F>::valid);                                                         \
    detail::run_encode(in, out, n, detail::fixed_format<F>{}, r, s, stream);                       \
  }                                                                                                \
  inline void decode(const Code* in, T* out, std::size_t n, const float_format& f, cudaStream_t stream = 0) { \
    if constexpr (std::is_same_v<T, float> && sizeof(Code) == 1)                                   \
      detail::with_format<8>(f, [&](auto fmt) { detail::run_decode(in, out, n, fmt, stream); });      \
    else                                                                                           \
      detail::run_decode(in, out, n, detail::runtime_format{f}, stream);                           \
  }                                                                                                \
  template <float_format F>                                                                        \
  void decode(const Code* in, T* out, std::size_t n, cudaStream_t stream = 0) {                    \
    static_assert(format_check<F>::valid);                                                         \
    detail::run_decode(in, out, n, detail::fixed_format<F>{}, stream);                             \
  }
#define PRECSIM_CUDA_CODES(T)                                                                      \
  PRECSIM_CUDA_ENCODE(T, std::uint8_t)                                                             \
  PRECSIM_CUDA_ENCODE(T, std::uint16_t)                                                            \
  PRECSIM_CUDA_ENCODE(T, std::uint32_t)
PRECSIM_CUDA_CODES(float)
PRECSIM_CUDA_CODES(__half)
PRECSIM_CUDA_CODES(__nv_bfloat16)
#undef PRECSIM_CUDA_CODES
#undef PRECSIM_CUDA_ENCODE

// ---- packed codes (packing.hpp layout: LSB first, 4-bit codes two per byte, 6-bit codes four per
// three bytes); `packed` holds packed_size(n, storage_bits(f)) bytes ----------------------------

inline void encode_packed(const float* in, std::uint8_t* packed, std::size_t n, const float_format& f,
                          rounding r = {}, sr_source s = {}, cudaStream_t stream = 0) {
  detail::with_format<8>(f, [&](auto fmt) { detail::run_encode_packed(in, packed, n, fmt, r, s, stream); });
}
template <float_format F>
void encode_packed(const float* in, std::uint8_t* packed, std::size_t n, rounding r = {}, sr_source s = {},
                   cudaStream_t stream = 0) {
  static_assert(format_check<F>::valid);
  detail::run_encode_packed(in, packed, n, detail::fixed_format<F>{}, r, s, stream);
}
inline void decode_packed(const std::uint8_t* packed, float* out, std::size_t n, const float_format& f,
                          cudaStream_t stream = 0) {
  detail::with_format<8>(f, [&](auto fmt) { detail::run_decode_packed(packed, out, n, fmt, stream); });
}
template <float_format F>
void decode_packed(const std::uint8_t* packed, float* out, std::size_t n, cudaStream_t stream = 0) {
  static_assert(format_check<F>::valid);
  detail::run_decode_packed(packed, out, n, detail::fixed_format<F>{}, stream);
}

PRECSIM_END_CONFIG
}  // namespace precsim::cuda
