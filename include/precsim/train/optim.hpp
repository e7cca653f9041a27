// Optimizer steps whose weights live in a low-precision format, with no float32 master copy:
// the update is computed in float32 from the stored weights, and the new weight is rounded
// straight back into the storage format (round to nearest, or stochastically, so that updates
// smaller than half a step survive in expectation). Optimizer state (momentum, Adam moments)
// stays float32.
//   sgd_step     SGD with momentum, L2 weight decay added to the gradient, optional Nesterov (as PyTorch)
//   adamw_step   AdamW (Loshchilov & Hutter; PyTorch's update order)
// Stochastic rounding is reproducible: the weights of tensor `tensor` at step `step` take their
// random words from sr_stream{seed, step * 2^20 + tensor} (element i: index i), so every
// (step, tensor) has its own stream whatever the order of the calls or the thread count.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "quantizer.hpp"

namespace precsim {

struct weight_storage {
  quantizer format{};                // none: float32 weights
  std::size_t rows = 0, cols = 0;    // the tensor's shape for block formats (0 x 0: one row)
  std::uint64_t seed = 0;            // of the stochastic-rounding streams
};

struct sgd {
  float lr = 0.01f, momentum = 0.0f, weight_decay = 0.0f;
  bool nesterov = false;
};

struct adamw {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.01f;
};

PRECSIM_BEGIN_CONFIG
namespace detail {
inline constexpr int tensor_bits = 20;

inline sr_stream update_stream(const weight_storage& ws, std::uint64_t step, std::uint32_t tensor) {
  return {ws.seed, (step << tensor_bits) | tensor, 0};
}

inline void check_step(const char* fn, std::size_t n, std::span<const float> grad, std::span<float> state,
                       const char* state_name, const weight_storage& ws, std::uint64_t step, std::uint32_t tensor) {
  if (grad.size() != n)
    bulk_error(fn, "grad has " + std::to_string(grad.size()) + " values, the weights " + std::to_string(n));
  if (state.size() != n)
    bulk_error(fn, std::string(state_name) + " has " + std::to_string(state.size()) + " values, the weights " +
                        std::to_string(n));
  if (tensor >> tensor_bits) bulk_error(fn, "tensor must be below 2^20");
  if (step >> (64 - tensor_bits)) bulk_error(fn, "step must be below 2^44");
  if ((ws.rows || ws.cols) && ws.rows * ws.cols != n)
    bulk_error(fn, "weight_storage rows * cols = " + std::to_string(ws.rows * ws.cols) + ", the weights have " +
                        std::to_string(n));
}

// w = q(next) where next holds the float32 updated weights.
inline void store_weights(std::span<float> w, std::span<const float> next, const weight_storage& ws,
                          std::uint64_t step, std::uint32_t tensor) {
  const std::size_t rows = ws.rows || ws.cols ? ws.rows : 1, cols = ws.rows || ws.cols ? ws.cols : w.size();
  fake_quantize(next, w, rows, cols, ws.format, update_stream(ws, step, tensor));
}
}  // namespace detail

// One SGD step (step counts from 0). buf is the momentum buffer (zeros before step 0).
inline void sgd_step(std::span<float> w, std::span<const float> grad, std::span<float> buf, const sgd& o,
                     const weight_storage& ws, std::uint64_t step, std::uint32_t tensor) {
  detail::check_step("sgd_step", w.size(), grad, buf, "buf", ws, step, tensor);
  std::vector<float> next(w.size());
  const detail::bulk_fp_scope env;  // as every bulk call: not the caller's FP environment
  for (std::size_t i = 0; i < w.size(); ++i) {
    float d = grad[i] + o.weight_decay * w[i];
    if (o.momentum != 0.0f) {
      buf[i] = step == 0 ? d : o.momentum * buf[i] + d;
      d = o.nesterov ? d + o.momentum * buf[i] : buf[i];
    }
    next[i] = w[i] - o.lr * d;
  }
  detail::store_weights(w, next, ws, step, tensor);
}

// One AdamW step (step counts from 0; bias corrections use step + 1). m, v: zeros before step 0.
inline void adamw_step(std::span<float> w, std::span<const float> grad, std::span<float> m, std::span<float> v,
                       const adamw& o, const weight_storage& ws, std::uint64_t step, std::uint32_t tensor) {
  detail::check_step("adamw_step", w.size(), grad, m, "m", ws, step, tensor);
  detail::check_step("adamw_step", w.size(), grad, v, "v", ws, step, tensor);
  const detail::bulk_fp_scope env;  // as every bulk call: not the caller's FP environment
  const double t = double(step) + 1.0;
  const float c1 = float(1.0 - std::pow(double(o.beta1), t)), c2 = float(1.0 - std::pow(double(o.beta2), t));
  std::vector<float> next(w.size());
  for (std::size_t i = 0; i < w.size(); ++i) {
    const float g = grad[i];
    m[i] = o.beta1 * m[i] + (1.0f - o.beta1) * g;
    v[i] = o.beta2 * v[i] + (1.0f - o.beta2) * g * g;
    const float update = (m[i] / c1) / (std::sqrt(v[i] / c2) + o.eps);
    next[i] = w[i] - o.lr * (update + o.weight_decay * w[i]);
  }
  detail::store_weights(w, next, ws, step, tensor);
}

PRECSIM_END_CONFIG
}  // namespace precsim
