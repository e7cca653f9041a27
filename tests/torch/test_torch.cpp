// The LibTorch adapter from C++ alone (no Python): tensor calls give the span API's bits, the
// straight-through function's gradients, and the custom ops registered and run by TorchScript.
#include <precsim/torch.hpp>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/jit.h>

#undef CHECK  // glog's, from torch's headers: doctest's below
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

using namespace precsim;

TORCH_LIBRARY(precsim, m) { define_torch_ops(m); }

namespace {
at::Tensor sample(at::ScalarType t = at::kFloat) {
  at::Tensor x = at::randn({4096}, at::TensorOptions().dtype(at::kDouble)) * 100;
  const double specials[] = {0.0, -0.0, 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0, 448, 464, 465, 1e-9, -0.3};
  for (int i = 0; i < 10; ++i) x[i] = specials[i];
  return x.to(t);
}
template <class T>
bool same_bits(const at::Tensor& a, const std::vector<T>& b) {
  return a.numel() == std::int64_t(b.size()) && std::memcmp(a.data_ptr(), b.data(), b.size() * sizeof(T)) == 0;
}
}  // namespace

TEST_CASE("tensor quantize and encode give the span API's bits for float and double tensors") {
  const sr_stream s{5, 6, 7};
  for (const rounding r : {rounding{}, rounding{round_mode::stochastic}, rounding{round_mode::toward_zero, saturation::finite}}) {
    const at::Tensor x = sample(), xd = sample(at::kDouble);
    std::vector<float> want(4096);
    quantize(std::span<const float>(x.data_ptr<float>(), 4096), want, formats::float8_e4m3fn, r, s);
    CHECK(same_bits(quantize(x, formats::float8_e4m3fn, r, s), want));
    std::vector<double> want_d(4096);
    quantize(std::span<const double>(xd.data_ptr<double>(), 4096), want_d, formats::float8_e5m2, r, s);
    CHECK(same_bits(quantize(xd, formats::float8_e5m2, r, s), want_d));
    std::vector<std::uint8_t> codes(4096);
    encode(std::span<const float>(x.data_ptr<float>(), 4096), std::span<std::uint8_t>(codes), formats::float8_e4m3fn, r, s);
    CHECK(same_bits(encode(x, formats::float8_e4m3fn, r, s), codes));
  }
}

TEST_CASE("bfloat16 tensors keep their dtype and the float32 result's bits") {
  const at::Tensor x = sample(at::kBFloat16);
  const at::Tensor got = quantize(x, formats::float8_e4m3fn);
  CHECK((got.scalar_type() == at::kBFloat16));
  const at::Tensor want = quantize(x.to(at::kFloat), formats::float8_e4m3fn);
  CHECK(at::equal(got.to(at::kFloat).isnan(), want.isnan()));
  CHECK(at::equal(got.to(at::kFloat).nan_to_num(), want.nan_to_num()));
  CHECK_THROWS_AS(quantize(x, formats::float16), std::invalid_argument);
}

TEST_CASE("fake_quantize passes the gradient through, zero where it clipped when asked") {
  const at::Tensor x = at::tensor({0.0f, 100.0f, 464.0f, 464.5f, -1000.0f}).requires_grad_();
  fake_quantize(x, quantizer{formats::float8_e4m3fn}, {}, true).sum().backward();
  CHECK(at::equal(x.grad(), at::tensor({1.0f, 1.0f, 1.0f, 0.0f, 0.0f})));
  x.mutable_grad() = at::Tensor();
  fake_quantize(x, quantizer{formats::mxfp8_e4m3}, {}, false).sum().backward();
  CHECK(at::equal(x.grad(), at::ones({5})));
}

// TorchScript compiled in C++ resolves only `torch`; `precsim.op` names the registered ops.
struct precsim_resolver : torch::jit::Resolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string& name, torch::jit::GraphFunction&,
                                                         const torch::jit::SourceRange&) override {
    if (name == "torch" || name == "precsim") return std::make_shared<torch::jit::BuiltinModule>(name == "torch" ? "aten" : name);
    return nullptr;
  }
  c10::TypePtr resolveType(const std::string&, const torch::jit::SourceRange&) override { return nullptr; }
};

TEST_CASE("the custom ops run from TorchScript compiled in C++") {
  const auto cu = std::make_shared<torch::jit::CompilationUnit>();
  cu->define(c10::nullopt, R"(
def f(x: Tensor) -> Tensor:
    return precsim.quantize(x, "float8_e4m3fn", mode="stochastic", seed=1, stream=2)
def g(x: Tensor) -> Tensor:
    return precsim.decode(precsim.encode(x, "binary8p3se"), "binary8p3se")
)", std::make_shared<precsim_resolver>(), nullptr);
  const at::Tensor x = sample();
  const at::Tensor f = cu->run_method("f", x).toTensor();
  CHECK(at::equal(f.view(at::kInt), quantize(x, formats::float8_e4m3fn, round_mode::stochastic, sr_stream{1, 2}).view(at::kInt)));
  const at::Tensor g = cu->run_method("g", x).toTensor();
  const at::Tensor q = quantize(x, formats::p3109(8, 3, true, true));  // NaN: the one NaN code's value
  CHECK(at::equal(g.isnan(), q.isnan()));
  CHECK(at::equal(g.nan_to_num().view(at::kInt), q.nan_to_num().view(at::kInt)));
}
