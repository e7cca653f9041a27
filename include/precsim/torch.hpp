// LibTorch adapter, for code that links LibTorch (docs/torch.md): the span API on tensors, with the
// same formats, roundings, bits and sr_stream layout.
//   quantize / encode / decode   element formats, any shape (the flattened tensor is the span)
//   quantize_blocks              block formats over the last dimension (rows = the other dims)
//   fake_quantize                autograd: forward rounds to a quantizer, backward passes the
//                                gradient straight through, optionally zero where it clipped
//   define_torch_ops             the calls above as torch custom ops with text arguments, for
//                                TorchScript:  TORCH_LIBRARY(precsim, m) { precsim::define_torch_ops(m); }
// Tensors must live on the CPU; non-contiguous inputs are copied first. Results are new tensors;
// quantize_out and quantize_blocks_out write into a given one instead (the input itself: in place).
#pragma once

#include <ATen/ATen.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/library.h>

#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "io.hpp"
#include "precsim.hpp"

namespace precsim {
namespace detail {

inline at::Tensor cpu_tensor(const char* fn, const at::Tensor& x, const char* what) {
  if (!x.defined()) bulk_error(fn, std::string(what) + " is an undefined tensor");
  if (!x.device().is_cpu())
    bulk_error(fn, std::string(what) + " is on " + x.device().str() +
               ": only CPU tensors are supported (copy it with .cpu())");
  if (x.layout() != at::kStrided) bulk_error(fn, std::string(what) + " is not a dense (strided) tensor");
  return x.contiguous();
}

// The format of a floating tensor dtype; other dtypes are an error.
inline float_format dtype_format(const char* fn, at::ScalarType t, const char* what) {
  switch (t) {
    case at::kFloat: return formats::float32;
    case at::kDouble: return formats::float64;
    case at::kHalf: return formats::float16;
    case at::kBFloat16: return formats::bfloat16;
    default: break;
  }
  bulk_error(fn, std::string(what) + " has dtype " + c10::toString(t) +
                     "; expected float32, float64, float16 or bfloat16");
}

// Every number of f (and its infinities) is a value of t: a result in f needs no second rounding
// to be stored in t. (The quantum of f's smallest binade, 2^(min_exponent - m), bounds all.)
inline bool values_fit(const float_format& f, const float_format& t) noexcept {
  return f.mantissa_bits <= t.mantissa_bits && max_exponent(f) <= max_exponent(t) &&
         min_exponent(f) - f.mantissa_bits >= min_positive_exponent(t) && (!has_inf(f) || has_inf(t));
}

// Results in f can be stored in dtype t: float32 and float64 always, float16 / bfloat16 where
// they hold every value of f.
inline void check_fits(const char* fn, const float_format& f, at::ScalarType t) {
  const float_format tf = dtype_format(fn, t, "the result dtype");
  if (t != at::kFloat && t != at::kDouble && !values_fit(f, tf))
    bulk_error(fn, "the values of " + format_name(f) + " are not all " + c10::toString(t) +
                       " values; use a float32 tensor instead");
}

// Float32 values of x for a rounding to f whose results go back to x's dtype (float16 and
// bfloat16 convert exactly).
inline at::Tensor float_values(const char* fn, const at::Tensor& x, const float_format& f) {
  check_fits(fn, f, x.scalar_type());
  return x.scalar_type() == at::kFloat ? x : x.to(at::kFloat);
}

template <class T>
std::span<T> tensor_span(const at::Tensor& t) {
  return {t.data_ptr<std::remove_const_t<T>>(), std::size_t(t.numel())};  // (LibTorch has no data_ptr<const T>)
}

// Stores float32 values of a format that out's dtype holds into out: encoded by precsim (exact;
// NaN by formats.md's rule, where torch's conversion would change a NaN's sign and payload).
inline void store_values(const at::Tensor& values, at::Tensor& out) {
  if (values.is_same(out)) return;
  if (out.scalar_type() == at::kFloat) {
    out.copy_(values);
    return;
  }
  encode(tensor_span<const float>(values), std::span<std::uint16_t>(static_cast<std::uint16_t*>(out.data_ptr()),
                                                                   std::size_t(out.numel())),
         dtype_format("store", out.scalar_type(), "out"));
}

// A result tensor given by the caller: dense, on the CPU, of x's dtype and size.
inline void check_out(const char* fn, const at::Tensor& out, const at::Tensor& x) {
  if (!out.defined() || !out.device().is_cpu() || out.layout() != at::kStrided || !out.is_contiguous())
    bulk_error(fn, "out must be a contiguous CPU tensor");
  if (out.scalar_type() != x.scalar_type())
    bulk_error(fn, std::string("out has dtype ") + c10::toString(out.scalar_type()) + ", the input " +
                       c10::toString(x.scalar_type()));
  if (out.numel() != x.numel())
    bulk_error(fn, "out has " + std::to_string(out.numel()) + " elements, the input " + std::to_string(x.numel()));
}

// The code dtype for storage_bits bits: uint8, int16, int32, int64 (codes as bit patterns).
inline at::ScalarType code_dtype(int bits) noexcept {
  return bits <= 8 ? at::kByte : bits <= 16 ? at::kShort : bits <= 32 ? at::kInt : at::kLong;
}

// Matrix view for block formats: cols = the last dimension, rows = the product of the others.
inline std::pair<std::size_t, std::size_t> matrix_shape(const at::Tensor& x) {
  if (x.dim() == 0) return {1, 1};
  std::size_t rows = 1;
  for (std::int64_t d = 0; d + 1 < x.dim(); ++d) rows *= static_cast<std::size_t>(x.size(d));
  return {rows, static_cast<std::size_t>(x.size(-1))};
}

}  // namespace detail

// ---- element formats -------------------------------------------------------------------------
// float32 and float64 tensors round as their spans do; float16 and bfloat16 tensors round their
// (exact) float32 values and keep their dtype, for formats whose values they hold.

// Into out (x's dtype and size, contiguous; out may be x itself: in place). Returns out.
inline at::Tensor& quantize_out(const at::Tensor& x, at::Tensor& out, const float_format& f, const rounding& r = {},
                                sr_source s = {}) {
  const char* fn = "quantize";
  const at::Tensor in = detail::cpu_tensor(fn, x, "the input");
  detail::check_out(fn, out, in);
  validate(f);
  if (in.scalar_type() == at::kDouble) {
    quantize(detail::tensor_span<const double>(in), detail::tensor_span<double>(out), f, r, s);
    return out;
  }
  const at::Tensor in32 = detail::float_values(fn, in, f);
  at::Tensor out32 = in.scalar_type() == at::kFloat ? out : at::empty_like(in32);
  quantize(detail::tensor_span<const float>(in32), detail::tensor_span<float>(out32), f, r, s);
  detail::store_values(out32, out);
  return out;
}
inline at::Tensor quantize(const at::Tensor& x, const float_format& f, const rounding& r = {}, sr_source s = {}) {
  const at::Tensor in = detail::cpu_tensor("quantize", x, "the input");  // (contiguous: not copied again)
  at::Tensor out = at::empty_like(in);
  return quantize_out(in, out, f, r, s);
}

// Codes in the low storage_bits(f) bits of uint8 (<= 8 bits), int16 (<= 16), int32 or int64.
inline at::Tensor encode(const at::Tensor& x, const float_format& f, const rounding& r = {}, sr_source s = {}) {
  const char* fn = "encode";
  at::Tensor in = detail::cpu_tensor(fn, x, "the input");
  validate(f);
  const int bits = storage_bits(f);
  detail::dtype_format(fn, in.scalar_type(), "the input");
  if (in.scalar_type() != at::kDouble) in = in.to(at::kFloat);  // float16 / bfloat16: exact
  at::Tensor out = at::empty(in.sizes(), in.options().dtype(detail::code_dtype(bits)));
  const auto run = [&](auto code) {
    using Code = decltype(code);
    const auto codes = std::span<Code>(static_cast<Code*>(out.data_ptr()), std::size_t(out.numel()));
    if (in.scalar_type() == at::kDouble) encode(detail::tensor_span<const double>(in), codes, f, r, s);
    else encode(detail::tensor_span<const float>(in), codes, f, r, s);
  };
  if (bits <= 8) run(std::uint8_t{});
  else if (bits <= 16) run(std::uint16_t{});
  else if (bits <= 32) run(std::uint32_t{});
  else run(std::uint64_t{});
  return out;
}

// Values of codes (an integer tensor as wide as storage_bits(f) or wider; higher bits ignored) in
// dtype: float32, float64, or float16 / bfloat16 where they hold every value of f.
inline at::Tensor decode(const at::Tensor& codes, const float_format& f, at::ScalarType dtype = at::kFloat) {
  const char* fn = "decode";
  const at::Tensor in = detail::cpu_tensor(fn, codes, "codes");
  validate(f);
  if (!at::isIntegralType(in.scalar_type(), /*includeBool=*/false))
    detail::bulk_error(fn, std::string("codes has dtype ") + c10::toString(in.scalar_type()) + "; expected an integer dtype");
  detail::check_fits(fn, f, dtype);
  at::Tensor out = at::empty(in.sizes(), in.options().dtype(dtype == at::kDouble ? at::kDouble : at::kFloat));
  at::Tensor result = dtype == out.scalar_type() ? out : at::empty(in.sizes(), in.options().dtype(dtype));
  const auto run = [&](auto code) {
    using Code = decltype(code);
    const auto c = std::span<const Code>(static_cast<const Code*>(in.data_ptr()), std::size_t(in.numel()));
    if (dtype == at::kDouble) decode(c, detail::tensor_span<double>(out), f);
    else decode(c, detail::tensor_span<float>(out), f);
  };
  switch (in.element_size()) {
    case 1: run(std::uint8_t{}); break;
    case 2: run(std::uint16_t{}); break;
    case 4: run(std::uint32_t{}); break;
    default: run(std::uint64_t{}); break;
  }
  detail::store_values(out, result);
  return result;
}

// ---- block formats ---------------------------------------------------------------------------
// A float32 tensor as a row-major matrix: cols = its last dimension, rows = the others (a
// [batch, seq, hidden] activation is batch * seq rows of hidden values; a Linear weight
// [out, in] is out rows, so {1, 0} tiles are per output channel).

inline at::Tensor& quantize_blocks_out(const at::Tensor& x, at::Tensor& out, const block_format& f,
                                      const rounding& r = {}, sr_source s = {}) {
  const char* fn = "quantize_blocks";
  const at::Tensor in = detail::cpu_tensor(fn, x, "the input");
  if (in.scalar_type() != at::kFloat)
    detail::bulk_error(fn, std::string("the input has dtype ") + c10::toString(in.scalar_type()) + "; expected float32");
  detail::check_out(fn, out, in);
  const auto [rows, cols] = detail::matrix_shape(in);
  quantize_blocks(detail::tensor_span<const float>(in), detail::tensor_span<float>(out), rows, cols, f, r, s);
  return out;
}
inline at::Tensor quantize_blocks(const at::Tensor& x, const block_format& f, const rounding& r = {},
                                  sr_source s = {}) {
  const at::Tensor in = detail::cpu_tensor("quantize_blocks", x, "the input");
  at::Tensor out = at::empty_like(in);
  return quantize_blocks_out(in, out, f, r, s);
}

// ---- straight-through estimator ---------------------------------------------------------------

namespace detail {
struct ste_function : torch::autograd::Function<ste_function> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const quantizer& q,
                            const sr_stream& s, bool clip) {
    const char* fn = "fake_quantize";
    const at::Tensor in = cpu_tensor(fn, x, "the input");
    at::Tensor y, clipped;
    switch (q.kind) {
      case quant_kind::none: y = in.clone(); break;
      case quant_kind::element:
        y = quantize(in, q.element, q.round, s);
        if (clip) {  // compared in double: the thresholds need not be values of x's dtype
          const clip_range c = element_clip(q.element);
          const at::Tensor v = in.to(at::kDouble);
          clipped = v.gt(c.hi + c.half_step).logical_or_(v.lt(c.lo - c.half_step));
        }
        break;
      case quant_kind::block: {
        if (in.scalar_type() != at::kFloat)
          bulk_error(fn, std::string("block formats need a float32 input, not ") + c10::toString(in.scalar_type()));
        const auto [rows, cols] = matrix_shape(in);
        y = at::empty_like(in);
        if (clip) {
          clipped = at::empty(in.sizes(), in.options().dtype(at::kByte));
          fake_quantize(tensor_span<const float>(in), tensor_span<float>(y), rows, cols, q, s,
                        tensor_span<std::uint8_t>(clipped));
          clipped = clipped.to(at::kBool);
        } else {
          quantize_blocks(tensor_span<const float>(in), tensor_span<float>(y), rows, cols, q.block, q.round, s);
        }
        break;
      }
      default: bulk_error(fn, "quantizer.kind is not a quant_kind (none, element, block)");
    }
    if (clipped.defined()) ctx->save_for_backward({clipped.view(x.sizes())});
    return y.view(x.sizes());
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    at::Tensor g = saved.empty() ? grad[0] : grad[0].masked_fill(saved[0], 0);
    return {g, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};
}  // namespace detail

// y = q(x) (element or block quantizer; none: a copy) with gradient dL/dx = dL/dy, or 0 where the
// forward clipped when clip_gradient is set (the clipped STE: values beyond the grid's end by
// more than half its last step, as train/quantizer.hpp's fake_quantize marks them). Element
// formats take any floating dtype as quantize() does; block formats float32.
inline at::Tensor fake_quantize(const at::Tensor& x, const quantizer& q, sr_source s = {}, bool clip_gradient = false) {
  return detail::ste_function::apply(x, q, detail::resolve_stream(s, q.round), clip_gradient);
}

// ---- torch custom ops ------------------------------------------------------------------------
// torch.ops.precsim.{quantize, encode, decode, quantize_blocks, fake_quantize}: formats by name
// (parse_format, parse_block_format; fake_quantize takes either, or "none"), rounding options by
// name, the stochastic-rounding stream as seed / stream / offset (both None: a fresh default
// stream per call). Seeds are int64 in TorchScript; negative values are their uint64 patterns.

namespace detail {
inline rounding op_rounding(const std::string& mode, const std::string& saturate, std::int64_t random_bits,
                            const std::string& variant) {
  if (random_bits < 0 || random_bits > 64) throw std::invalid_argument("random_bits must be in 0..64");
  return {parse_round_mode(mode), parse_saturation(saturate), int(random_bits), parse_sr_variant(variant)};
}
// (Also the Python module's, with unsigned 64-bit values.)
template <class Optional, class Int>
sr_source op_stream(const Optional& seed, const Optional& stream, Int offset) {
  if (!seed && !stream) {
    if (offset != 0) throw std::invalid_argument("offset needs a seed or a stream");
    return {};
  }
  return {std::uint64_t(seed.value_or(0)), std::uint64_t(stream.value_or(0)), std::uint64_t(offset)};
}
inline quantizer op_quantizer(const std::string& format, const rounding& r) {
  if (format == "none") return {};
  try {
    return {parse_format(format), r};
  } catch (const std::invalid_argument&) {
  }
  try {
    return {parse_block_format(format), r};
  } catch (const std::invalid_argument&) {
  }
  throw std::invalid_argument("unknown format '" + format +
                              "' (an element format such as float8_e4m3fn or binary8p3se, a block format "
                              "such as mxfp8_e4m3 or int4_channel, or none)");
}

#define PRECSIM_OP_ROUNDING                                                                         \
  const std::string &mode, const std::string &saturate, std::int64_t random_bits, const std::string &variant, \
      c10::optional<std::int64_t> seed, c10::optional<std::int64_t> stream, std::int64_t offset
#define PRECSIM_OP_ROUNDING_ARGS op_rounding(mode, saturate, random_bits, variant), op_stream(seed, stream, offset)

inline at::Tensor op_quantize(const at::Tensor& x, const std::string& format, PRECSIM_OP_ROUNDING) {
  return quantize(x, parse_format(format), PRECSIM_OP_ROUNDING_ARGS);
}
inline at::Tensor op_encode(const at::Tensor& x, const std::string& format, PRECSIM_OP_ROUNDING) {
  return encode(x, parse_format(format), PRECSIM_OP_ROUNDING_ARGS);
}
inline at::Tensor op_decode(const at::Tensor& codes, const std::string& format, c10::optional<at::ScalarType> dtype) {
  return decode(codes, parse_format(format), dtype.value_or(at::kFloat));
}
inline at::Tensor op_quantize_blocks(const at::Tensor& x, const std::string& format, PRECSIM_OP_ROUNDING) {
  return quantize_blocks(x, parse_block_format(format), PRECSIM_OP_ROUNDING_ARGS);
}
inline at::Tensor op_fake_quantize(const at::Tensor& x, const std::string& format, PRECSIM_OP_ROUNDING, bool clip) {
  const rounding r = op_rounding(mode, saturate, random_bits, variant);
  return fake_quantize(x, op_quantizer(format, r), op_stream(seed, stream, offset), clip);
}
#undef PRECSIM_OP_ROUNDING
#undef PRECSIM_OP_ROUNDING_ARGS
}  // namespace detail

inline void define_torch_ops(torch::Library& m) {
#define PRECSIM_OP_SCHEMA                                                                           \
  "str mode=\"nearest_even\", str saturate=\"none\", int random_bits=0, str variant=\"c\", "        \
  "int? seed=None, int? stream=None, int offset=0"
  m.def("quantize(Tensor x, str format, " PRECSIM_OP_SCHEMA ") -> Tensor", &detail::op_quantize);
  m.def("encode(Tensor x, str format, " PRECSIM_OP_SCHEMA ") -> Tensor", &detail::op_encode);
  m.def("decode(Tensor codes, str format, ScalarType? dtype=None) -> Tensor", &detail::op_decode);
  m.def("quantize_blocks(Tensor x, str format, " PRECSIM_OP_SCHEMA ") -> Tensor", &detail::op_quantize_blocks);
  m.def("fake_quantize(Tensor x, str format, " PRECSIM_OP_SCHEMA ", bool clip=False) -> Tensor",
        &detail::op_fake_quantize);
#undef PRECSIM_OP_SCHEMA
}

}  // namespace precsim
