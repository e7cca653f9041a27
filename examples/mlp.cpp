// A templated MLP forward pass (3 layers, ReLU), written once and run with float and with
// precsim value types: every multiply, add and activation then happens in the type's format.
// Prints the error of each run's outputs against the same network in double.
//
//   forward<T>       everything in T
//   forward<T, Acc>  operands stored in T, dot products accumulated in Acc with fma (exact
//                    products, one rounding per step: what FP8/FP4 tensor cores do with FP32)
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <precsim/precsim.hpp>

namespace ps = precsim;

struct layer {
  int in, out;
  std::vector<double> w, b;  // w: out x in, row-major
};

struct network {
  std::vector<layer> layers;
};

network make_network(const std::vector<int>& sizes, std::mt19937_64& rng) {
  network net;
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    layer l{sizes[i], sizes[i + 1], {}, {}};
    std::normal_distribution<double> w(0, 1 / std::sqrt(double(l.in)));  // He-like scale
    std::normal_distribution<double> b(0, 0.1);
    for (int k = 0; k < l.in * l.out; ++k) l.w.push_back(w(rng));
    for (int k = 0; k < l.out; ++k) l.b.push_back(b(rng));
    net.layers.push_back(std::move(l));
  }
  return net;
}

// The forward pass for one input vector, generic in the storage type T and accumulator Acc.
template <class T, class Acc = T>
std::vector<double> forward(const network& net, const std::vector<double>& input) {
  using std::fma;  // std::fma for float/double, precsim's fma for floatx (argument-dependent)
  std::vector<T> x(input.begin(), input.end());  // rounded to T once, like a cast tensor
  for (std::size_t li = 0; li < net.layers.size(); ++li) {
    const layer& l = net.layers[li];
    std::vector<T> y(l.out);
    for (int o = 0; o < l.out; ++o) {
      Acc acc = Acc(T(l.b[o]));
      for (int i = 0; i < l.in; ++i) acc = fma(Acc(T(l.w[o * l.in + i])), Acc(x[i]), acc);
      T v = T(acc);
      if (li + 1 < net.layers.size()) v = v > T(0) ? v : T(0);  // ReLU
      y[o] = v;
    }
    x = std::move(y);
  }
  return std::vector<double>(x.begin(), x.end());
}

struct error {
  double relative_l2 = 0, max_abs = 0;
};

template <class T, class Acc = T>
error run(const network& net, const std::vector<std::vector<double>>& batch,
          const std::vector<std::vector<double>>& reference) {
  double num = 0, den = 0;
  error e;
  for (std::size_t s = 0; s < batch.size(); ++s) {
    const std::vector<double> out = forward<T, Acc>(net, batch[s]);
    for (std::size_t k = 0; k < out.size(); ++k) {
      const double d = out[k] - reference[s][k];
      num += d * d;
      den += reference[s][k] * reference[s][k];
      e.max_abs = std::max(e.max_abs, std::fabs(d));
    }
  }
  e.relative_l2 = std::sqrt(num / den);
  return e;
}

void print(const char* name, int bits, const error& e) {
  std::printf("%-42s %4d   %12.3e   %11.3e\n", name, bits, e.relative_l2, e.max_abs);
}

int main() {
  std::mt19937_64 rng(2024);
  const network net = make_network({64, 128, 128, 10}, rng);
  std::normal_distribution<double> normal(0, 1);
  std::vector<std::vector<double>> batch(32, std::vector<double>(64));
  for (auto& v : batch)
    for (double& x : v) x = normal(rng);
  std::vector<std::vector<double>> reference;
  for (const auto& v : batch) reference.push_back(forward<double>(net, v));

  std::printf("MLP 64-128-128-10, ReLU, 32 inputs ~ N(0,1); error of the 10 outputs vs double\n\n");
  std::printf("%-42s %4s   %12s   %11s\n", "scalar type", "bits", "rel. L2 err", "max |err|");
  print("float", 32, run<float>(net, batch, reference));
  print("precsim::bfloat16", 16, run<ps::bfloat16>(net, batch, reference));
  print("precsim::float16", 16, run<ps::float16>(net, batch, reference));
  print("precsim::float8_e4m3fn", 8, run<ps::float8_e4m3fn>(net, batch, reference));
  print("precsim::float8_e5m2", 8, run<ps::float8_e5m2>(net, batch, reference));
  print("precsim::float4_e2m1fn", 4, run<ps::float4_e2m1fn>(net, batch, reference));
  std::printf("\nstorage in the low-precision type, fma accumulation in float:\n");
  print("precsim::float8_e4m3fn, float accumulate", 8, run<ps::float8_e4m3fn, float>(net, batch, reference));
  print("precsim::float4_e2m1fn, float accumulate", 4, run<ps::float4_e2m1fn, float>(net, batch, reference));
  std::printf("\nthe same with stochastic rounding (rounding_scope, seeded stream):\n");
  {
    const ps::rounding_scope sr({ps::round_mode::stochastic}, ps::sr_stream{1, 0, 0});
    print("precsim::bfloat16, stochastic", 16, run<ps::bfloat16>(net, batch, reference));
    print("precsim::float8_e4m3fn, stochastic", 8, run<ps::float8_e4m3fn>(net, batch, reference));
  }
  std::printf("\nStochastic rounding is unbiased but noisier per value; it pays off where many small\n"
              "updates accumulate (training), not in one forward pass.\n");
  std::printf("FP4 without a scale factor loses most weights (|w| ~ 0.1 < 0.25, half its smallest\n"
              "subnormal): FP4 needs the block scales of the MX formats.\n");
}
