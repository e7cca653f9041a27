// precsim._precsim: the Python extension (pybind11 + LibTorch). Format descriptors, the tensor calls
// of precsim/torch.hpp, and the torch.ops.precsim custom ops. The Python package (precsim/) checks
// argument types and wraps NumPy arrays; everything here takes torch tensors.
#include <torch/extension.h>

#include <precsim/torch.hpp>

#include <optional>
#include <string>

namespace py = pybind11;
using namespace precsim;

TORCH_LIBRARY(precsim, m) { define_torch_ops(m); }

namespace {

float_format make_format(int e, int m, std::optional<int> bias, bool is_signed, const std::string& subnormals,
                         const std::string& specials, std::optional<bool> infinity,
                         std::optional<std::string> overflow) {
  float_format f;
  f.exponent_bits = e;
  f.mantissa_bits = m;
  f.bias = bias ? *bias : (e >= 1 && e <= 31 ? (1 << (e - 1)) - 1 : 0);
  f.is_signed = is_signed;
  f.subnormals = parse_enum<subnormal_mode>(subnormals, "subnormals");
  f.specials = parse_enum<special_values>(specials, "specials");
  f.infinity = infinity ? *infinity : f.specials == special_values::ieee;
  f.overflow = overflow ? parse_enum<overflow_value>(*overflow, "overflow")
               : f.infinity ? overflow_value::infinity
               : f.specials == special_values::none ? overflow_value::max_finite
                                                     : overflow_value::nan;
  validate(f);
  return f;
}

block_format make_block_format(const py::object& element, std::pair<std::size_t, std::size_t> shape,
                               const float_format& scale, const std::string& rule, bool tensor_scale,
                               const std::string& int_range_name, int fraction_bits) {
  block_format f;
  if (py::isinstance<float_format>(element)) {
    f.kind = element_kind::floating;
    f.element = element.cast<float_format>();
  } else if (py::isinstance<py::int_>(element)) {
    f.kind = element_kind::integer;
    f.integer = {element.cast<int>(), parse_enum<int_range>(int_range_name, "int_range"), fraction_bits};
  } else {
    throw py::type_error("BlockFormat element must be a precsim.Format or a number of integer bits");
  }
  f.shape = {shape.first, shape.second};
  f.scale = scale;
  f.rule = parse_enum<scale_rule>(rule, "rule");
  f.tensor_scale = tensor_scale;
  validate(f);
  return f;
}

std::string block_name(const block_format& f) {
  for (const auto& nf : named_block_formats)
    if (nf.format == f) return std::string(nf.name);
  std::string s = "BlockFormat(element=";
  s += f.kind == element_kind::floating ? "'" + format_name(f.element) + "'"
                                        : std::to_string(f.integer.bits) + ", int_range='" +
                                              to_string(f.integer.range) + "'";
  s += ", shape=(" + std::to_string(f.shape.rows) + ", " + std::to_string(f.shape.cols) + "), scale='" +
       format_name(f.scale) + "', rule='" + to_string(f.rule) + "'";
  if (f.tensor_scale) s += ", tensor_scale=True";
  return s + ")";
}

quantizer quantizer_of(const py::object& fmt, const rounding& r) {
  if (fmt.is_none()) return {};
  if (py::isinstance<float_format>(fmt)) return {fmt.cast<float_format>(), r};
  if (py::isinstance<block_format>(fmt)) return {fmt.cast<block_format>(), r};
  throw py::type_error("format must be a precsim.Format, a precsim.BlockFormat or None");
}

// The scalar core element by element (bulk.hpp's reference path): for the tests.
at::Tensor reference_round(const at::Tensor& x, const float_format& f, const rounding& r, const sr_source& s,
                           bool codes) {
  const at::Tensor in = precsim::detail::cpu_tensor("reference", x, "the input");
  validate(f);
  validate(r);
  const sr_stream st = s.stream;
  const auto n = std::size_t(in.numel());
  if (codes) {
    at::Tensor out = at::empty(in.sizes(), in.options().dtype(at::kLong));
    auto* o = reinterpret_cast<std::uint64_t*>(out.data_ptr<std::int64_t>());
    if (in.scalar_type() == at::kDouble) precsim::detail::scalar_round(f, r, st, st.offset, in.data_ptr<double>(), o, n);
    else precsim::detail::scalar_round(f, r, st, st.offset, in.data_ptr<float>(), o, n);
    return out;
  }
  at::Tensor out = at::empty_like(in);
  if (in.scalar_type() == at::kDouble)
    precsim::detail::scalar_round(f, r, st, st.offset, in.data_ptr<double>(), out.data_ptr<double>(), n);
  else
    precsim::detail::scalar_round(f, r, st, st.offset, in.data_ptr<float>(), out.data_ptr<float>(), n);
  return out;
}

}  // namespace

#define ROUNDING_ARGS                                                                              \
  py::arg("mode") = "nearest_even", py::arg("saturate") = "none", py::arg("random_bits") = 0,      \
      py::arg("variant") = "c", py::arg("seed") = py::none(), py::arg("stream") = py::none(),      \
      py::arg("offset") = 0
using seed_t = std::optional<std::uint64_t>;

PYBIND11_MODULE(_precsim, m) {
  m.doc() = "precsim: bit-exact simulation of any floating-point format (C++ core)";

  py::class_<float_format>(m, "Format")
      .def(py::init(&make_format), py::arg("exponent_bits"), py::arg("mantissa_bits"), py::arg("bias") = py::none(),
           py::arg("signed") = true, py::arg("subnormals") = "gradual", py::arg("specials") = "ieee",
           py::arg("infinity") = py::none(), py::arg("overflow") = py::none())
      .def_readonly("exponent_bits", &float_format::exponent_bits)
      .def_readonly("mantissa_bits", &float_format::mantissa_bits)
      .def_readonly("bias", &float_format::bias)
      .def_readonly("signed", &float_format::is_signed)
      .def_property_readonly("subnormals", [](const float_format& f) { return to_string(f.subnormals); })
      .def_property_readonly("specials", [](const float_format& f) { return to_string(f.specials); })
      .def_readonly("infinity", &float_format::infinity)
      .def_property_readonly("overflow", [](const float_format& f) { return to_string(f.overflow); })
      .def_property_readonly("name", &format_name)
      .def_property_readonly("storage_bits", &storage_bits)
      .def_property_readonly("precision", &precision)
      .def_property_readonly("max", &max_finite)
      .def_property_readonly("min_normal", &min_normal)
      .def_property_readonly("min_subnormal", &min_subnormal)
      .def_property_readonly("epsilon", &epsilon)
      .def("__eq__", [](const float_format& a, const float_format& b) { return a == b; }, py::is_operator())
      .def("__hash__", [](const float_format& f) { return py::hash(py::str(format_name(f))); })
      .def("__repr__", [](const float_format& f) { return "precsim.Format('" + format_name(f) + "')"; });

  py::class_<block_format>(m, "BlockFormat")
      .def(py::init(&make_block_format), py::arg("element"), py::arg("shape") = std::pair<std::size_t, std::size_t>{1, 32},
           py::arg("scale") = formats::float8_e8m0fnu, py::arg("rule") = "floor_pow2", py::arg("tensor_scale") = false,
           py::arg("int_range") = "symmetric", py::arg("fraction_bits") = 0)
      .def_property_readonly("element", [](const block_format& f) -> py::object {
        if (f.kind == element_kind::floating) return py::cast(f.element);
        return py::int_(f.integer.bits);
      })
      .def_property_readonly("int_range", [](const block_format& f) { return to_string(f.integer.range); })
      .def_property_readonly("fraction_bits", [](const block_format& f) { return f.integer.fraction_bits; })
      .def_property_readonly("shape", [](const block_format& f) { return std::pair{f.shape.rows, f.shape.cols}; })
      .def_readonly("scale", &block_format::scale)
      .def_property_readonly("rule", [](const block_format& f) { return to_string(f.rule); })
      .def_readonly("tensor_scale", &block_format::tensor_scale)
      .def_property_readonly("name", &block_name)
      .def("__eq__", [](const block_format& a, const block_format& b) { return a == b; }, py::is_operator())
      .def("__hash__", [](const block_format& f) { return py::hash(py::str(block_name(f))); })
      .def("__repr__", [](const block_format& f) {
        const std::string n = block_name(f);
        return n.rfind("BlockFormat(", 0) == 0 ? "precsim." + n : "precsim.BlockFormat('" + n + "')";
      });

  m.def("parse_format", [](const std::string& s) { return parse_format(s); });
  m.def("parse_block_format", [](const std::string& s) { return parse_block_format(s); });
  m.def("named_formats", [] {
    py::dict d;
    for (const auto& nf : named_formats) d[py::str(std::string(nf.name))] = nf.format;
    return d;
  });
  m.def("named_block_formats", [] {
    py::dict d;
    for (const auto& nf : named_block_formats) d[py::str(std::string(nf.name))] = nf.format;
    return d;
  });
  m.def("p3109", &formats::p3109, py::arg("k"), py::arg("p"), py::arg("signed") = true, py::arg("extended") = true);
  m.def("mx", &formats::mx, py::arg("element"));
  m.def("int_scaled", [](int bits, std::pair<std::size_t, std::size_t> shape) {
    return formats::int_scaled(bits, {shape.first, shape.second});
  }, py::arg("bits"), py::arg("shape"));
  m.def("fp8_tiles", [](std::pair<std::size_t, std::size_t> shape, const float_format& e) {
    return formats::fp8_tiles({shape.first, shape.second}, e);
  }, py::arg("shape"), py::arg("element") = formats::float8_e4m3fn);

  m.def("quantize", [](const at::Tensor& x, const float_format& f, const std::string& mode, const std::string& sat,
                       int bits, const std::string& var, seed_t seed, seed_t stream, std::uint64_t offset,
                       c10::optional<at::Tensor> out) {
    const rounding r = precsim::detail::op_rounding(mode, sat, bits, var);
    if (!out) return quantize(x, f, r, precsim::detail::op_stream(seed, stream, offset));
    return quantize_out(x, *out, f, r, precsim::detail::op_stream(seed, stream, offset));
  }, py::arg("x"), py::arg("format"), ROUNDING_ARGS, py::arg("out") = py::none());
  m.def("encode", [](const at::Tensor& x, const float_format& f, const std::string& mode, const std::string& sat,
                     int bits, const std::string& var, seed_t seed, seed_t stream, std::uint64_t offset) {
    return encode(x, f, precsim::detail::op_rounding(mode, sat, bits, var), precsim::detail::op_stream(seed, stream, offset));
  }, py::arg("x"), py::arg("format"), ROUNDING_ARGS);
  m.def("decode", [](const at::Tensor& codes, const float_format& f, py::object dtype) {
    return decode(codes, f, dtype.is_none() ? at::kFloat : torch::python::detail::py_object_to_dtype(dtype));
  }, py::arg("codes"), py::arg("format"), py::arg("dtype") = py::none());
  m.def("quantize_blocks", [](const at::Tensor& x, const block_format& f, const std::string& mode,
                              const std::string& sat, int bits, const std::string& var, seed_t seed, seed_t stream,
                              std::uint64_t offset, c10::optional<at::Tensor> out) {
    const rounding r = precsim::detail::op_rounding(mode, sat, bits, var);
    if (!out) return quantize_blocks(x, f, r, precsim::detail::op_stream(seed, stream, offset));
    return quantize_blocks_out(x, *out, f, r, precsim::detail::op_stream(seed, stream, offset));
  }, py::arg("x"), py::arg("format"), ROUNDING_ARGS, py::arg("out") = py::none());
  m.def("fake_quantize", [](const at::Tensor& x, const py::object& f, const std::string& mode, const std::string& sat,
                            int bits, const std::string& var, seed_t seed, seed_t stream, std::uint64_t offset,
                            bool clip) {
    return fake_quantize(x, quantizer_of(f, precsim::detail::op_rounding(mode, sat, bits, var)), precsim::detail::op_stream(seed, stream, offset), clip);
  }, py::arg("x"), py::arg("format"), ROUNDING_ARGS, py::arg("clip") = false);

  m.def("set_max_threads", &set_max_threads, py::arg("n"),
        "Most threads one call uses (default: PRECSIM_THREADS, else the CPUs this process may use); 0: the default");
  m.def("max_threads", &max_threads);

  // The optimizer steps' stream of (step, tensor) (train/optim.hpp): (seed, stream id).
  m.def("update_stream", [](std::uint64_t seed, std::uint64_t step, std::uint32_t tensor) {
    const sr_stream s = precsim::detail::update_stream(weight_storage{{}, 0, 0, seed}, step, tensor);
    return std::pair{s.seed, s.stream};
  }, py::arg("seed"), py::arg("step"), py::arg("tensor"));

  m.def("_reference", [](const at::Tensor& x, const float_format& f, const std::string& mode, const std::string& sat,
                         int bits, const std::string& var, std::uint64_t seed, std::uint64_t stream,
                         std::uint64_t offset, bool codes) {
    return reference_round(x, f, precsim::detail::op_rounding(mode, sat, bits, var), sr_source{seed, stream, offset}, codes);
  }, py::arg("x"), py::arg("format"), py::arg("mode"), py::arg("saturate"), py::arg("random_bits"),
     py::arg("variant"), py::arg("seed"), py::arg("stream"), py::arg("offset"), py::arg("codes"));
}
