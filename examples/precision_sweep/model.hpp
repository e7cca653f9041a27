// A character-level MLP language model (Bengio et al. 2003 style) trained with precsim's
// training layer: context of `context` characters -> embeddings (fp32) -> linear + ReLU ->
// linear + ReLU -> linear -> softmax cross-entropy (fp32). The three linear layers run with
// fake-quantized weights (per output channel) and fake-quantized inputs (per tensor), as in
// Kumar et al. 2024; the backward pass is float32 with straight-through gradients.
#pragma once

#include <precsim/precsim.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "corpus.hpp"

namespace sweep {

struct run_config {
  int hidden = 64, context = 8, embed = 8, batch = 64;
  precsim::quantizer weights{}, acts{};  // of the linear layers; none: float32
  double tokens_per_param = 20;
  float lr = 4e-3f;
  std::uint64_t seed = 1;                // initialisation and data order
  // The stored-weights experiment: the linear layers' weights live in this format (no float32
  // master copy), updated with its rounding; none: float32 weights.
  precsim::quantizer storage{};
};

// Shapes of the three layers' weights: in x out, row-major (output channel = column).
struct linear {
  int in = 0, out = 0;
  std::vector<float> w, b, gw, gb, mw, vw, mb, vb, wq;
  linear(int i, int o, rng& g, float gain) : in(i), out(o), w(std::size_t(i) * o), b(o), gw(w.size()), gb(o),
      mw(w.size()), vw(w.size()), mb(o), vb(o), wq(w.size()) {
    const float sd = gain / std::sqrt(float(i));
    for (auto& x : w) x = float(g.normal()) * sd;
  }
};

// The quantizer of a layer's weights (in x out): INT per output channel becomes per column;
// MX-style row blocks (1 x 32 along the input) become column blocks (32 x 1).
inline precsim::quantizer weight_quantizer(precsim::quantizer q) {
  if (q.kind == precsim::quant_kind::block) std::swap(q.block.shape.rows, q.block.shape.cols);
  return q;
}

struct mlp {
  run_config cfg;
  std::vector<float> emb, gemb, memb, vemb;
  std::vector<linear> layers;
  precsim::quantizer weight_quant;  // cfg.weights, oriented for in x out weights
  // activations of the last forward pass (batch rows)
  std::vector<float> x0, a[3], aq[3], z[2], logits;
  std::size_t rows = 0;
  std::uint64_t quant_calls = 0;  // explicit streams for stochastic quantizers: one per call

  // The run's own stream for the next fake quantization (a call without one would take the
  // process's next default stream, which depends on what ran before: runs must not).
  precsim::sr_stream next_stream() { return {0x51A7E000u + cfg.seed, quant_calls++, 0}; }

  explicit mlp(const run_config& c) : cfg(c), weight_quant(weight_quantizer(c.weights)) {
    rng g(0x5EED0000 + c.seed);
    emb.resize(std::size_t(alphabet) * c.embed);
    for (auto& x : emb) x = float(g.normal());
    gemb.assign(emb.size(), 0), memb.assign(emb.size(), 0), vemb.assign(emb.size(), 0);
    layers.emplace_back(c.context * c.embed, c.hidden, g, std::sqrt(2.0f));
    layers.emplace_back(c.hidden, c.hidden, g, std::sqrt(2.0f));
    layers.emplace_back(c.hidden, alphabet, g, 1.0f);
    if (c.storage.kind != precsim::quant_kind::none)  // start from stored values
      for (auto& l : layers) precsim::fake_quantize(l.w, l.w, l.in, l.out, c.storage, next_stream());
  }

  std::size_t non_embedding_params() const {
    std::size_t n = 0;
    for (const auto& l : layers) n += l.w.size() + l.b.size();
    return n;
  }
  // The same from the configuration alone (weights and biases of the three layers).
  static std::size_t non_embedding_params(const run_config& c) {
    const std::size_t in = std::size_t(c.context) * c.embed, H = std::size_t(c.hidden);
    return (in + 1) * H + (H + 1) * H + (H + 1) * alphabet;
  }

  // Mean cross-entropy (nats) of predicting next[r] from ctx[r * context ...]; keeps what the
  // backward pass needs; with grad, also the gradients.
  double forward(const std::uint8_t* ctx, const std::uint8_t* next, std::size_t B, bool grad) {
    using precsim::gemm;
    rows = B;
    const int C = cfg.context, E = cfg.embed;
    x0.resize(B * std::size_t(C * E));
    for (std::size_t r = 0; r < B; ++r)
      for (int t = 0; t < C; ++t)
        std::copy_n(emb.data() + std::size_t(ctx[r * C + t]) * E, E, x0.data() + (r * C + t) * E);
    const std::vector<float>* in = &x0;
    for (int l = 0; l < 3; ++l) {
      linear& L = layers[l];
      precsim::fake_quantize(L.w, L.wq, L.in, L.out, weight_quant, next_stream());
      aq[l].resize(in->size());
      precsim::fake_quantize(*in, aq[l], B, L.in, cfg.acts, next_stream());
      std::vector<float>& y = l < 2 ? z[l] : logits;
      y.resize(B * std::size_t(L.out));
      gemm(aq[l], L.wq, y, B, L.out, L.in);
      for (std::size_t r = 0; r < B; ++r)
        for (int j = 0; j < L.out; ++j) y[r * L.out + j] += L.b[j];
      if (l < 2) {
        a[l + 1].resize(y.size());
        for (std::size_t i = 0; i < y.size(); ++i) a[l + 1][i] = y[i] > 0 ? y[i] : 0.0f;
        in = &a[l + 1];
      }
    }
    // softmax cross-entropy; logits becomes d loss / d logits
    double loss = 0;
    for (std::size_t r = 0; r < B; ++r) {
      float* lg = logits.data() + r * alphabet;
      const float mx = *std::max_element(lg, lg + alphabet);
      double sum = 0;
      for (int j = 0; j < alphabet; ++j) sum += std::exp(double(lg[j] - mx));
      loss += std::log(sum) - double(lg[next[r]] - mx);
      if (grad)
        for (int j = 0; j < alphabet; ++j)
          lg[j] = float((std::exp(double(lg[j] - mx)) / sum - (j == next[r])) / double(B));
    }
    if (grad) backward(ctx);
    return loss / double(B);
  }

  void backward(const std::uint8_t* ctx) {
    using precsim::gemm;
    const std::size_t B = rows;
    std::vector<float> dy = logits, dx;
    for (int l = 2; l >= 0; --l) {
      linear& L = layers[l];
      // straight-through: the gradients of the quantized weights and inputs pass unchanged
      precsim::gemm_options ta;
      ta.trans_a = true;
      gemm(aq[l], dy, L.gw, L.in, L.out, B, ta);  // dW = Xq^T dY
      std::fill(L.gb.begin(), L.gb.end(), 0.0f);
      for (std::size_t r = 0; r < B; ++r)
        for (int j = 0; j < L.out; ++j) L.gb[j] += dy[r * L.out + j];
      precsim::gemm_options tb;
      tb.trans_b = true;
      dx.resize(B * std::size_t(L.in));
      gemm(dy, L.wq, dx, B, L.in, L.out, tb);  // dX = dY Wq^T
      if (l > 0)
        for (std::size_t i = 0; i < dx.size(); ++i) dx[i] = z[l - 1][i] > 0 ? dx[i] : 0.0f;
      dy.swap(dx);
    }
    std::fill(gemb.begin(), gemb.end(), 0.0f);
    const int C = cfg.context, E = cfg.embed;
    for (std::size_t r = 0; r < B; ++r)
      for (int t = 0; t < C; ++t)
        for (int e = 0; e < E; ++e) gemb[std::size_t(ctx[r * C + t]) * E + e] += dy[(r * C + t) * E + e];
  }

  // AdamW on every tensor; the linear weights in cfg.storage (float32 when none). Returns the
  // share of the linear weights that changed.
  double update(std::uint64_t step, float lr) {
    precsim::adamw o;
    o.lr = lr;
    o.weight_decay = 0.0f;
    const precsim::weight_storage fp32{};
    std::uint32_t id = 0;
    precsim::adamw_step(emb, gemb, memb, vemb, o, fp32, step, id++);
    std::size_t moved = 0, total = 0;
    for (auto& L : layers) {
      const precsim::weight_storage ws{cfg.storage, std::size_t(L.in), std::size_t(L.out), cfg.seed};
      L.wq = L.w;  // (the forward recomputes wq: here it keeps the weights before the step)
      precsim::adamw_step(L.w, L.gw, L.mw, L.vw, o, ws, step, id++);
      precsim::adamw_step(L.b, L.gb, L.mb, L.vb, o, fp32, step, id++);
      for (std::size_t i = 0; i < L.w.size(); ++i) moved += L.w[i] != L.wq[i];
      total += L.w.size();
    }
    return double(moved) / double(total);
  }
};

// Batches of next-character examples: row r of every batch reads its own stream (seeded from the
// run seed), so batches are independent of each other's size and of the thread that runs them.
struct batches {
  std::vector<char_stream> streams;
  std::vector<std::uint8_t> window, ctx, next;
  int C;
  batches(const corpus& c, std::uint64_t seed, int B, int context) : C(context) {
    for (int r = 0; r < B; ++r) streams.emplace_back(c, 0xDA7A000000ull + seed * 4096 + std::uint64_t(r));
    window.resize(std::size_t(B) * context);
    for (int r = 0; r < B; ++r)
      for (int t = 0; t < context; ++t) window[std::size_t(r) * context + t] = streams[r].get();
    ctx.resize(window.size()), next.resize(std::size_t(B));
  }
  void advance() {
    const std::size_t B = streams.size();
    for (std::size_t r = 0; r < B; ++r) {
      std::uint8_t* w = window.data() + r * C;
      std::copy_n(w, C, ctx.data() + r * C);
      next[r] = streams[r].get();
      std::copy(w + 1, w + C, w);
      w[C - 1] = next[r];
    }
  }
};

// A fixed held-out stream: contexts and next characters of `positions` consecutive positions.
struct heldout {
  std::vector<std::uint8_t> ctx, next;
  heldout(const corpus& c, std::size_t positions, int context) {
    char_stream s(c, 0x4E1D0007u);
    std::vector<std::uint8_t> text(positions + context);
    for (auto& ch : text) ch = s.get();
    ctx.resize(positions * context), next.resize(positions);
    for (std::size_t i = 0; i < positions; ++i) {
      std::copy_n(text.data() + i, context, ctx.data() + i * context);
      next[i] = text[i + context];
    }
  }
};

inline double evaluate(mlp& m, const heldout& h) {
  const std::size_t B = std::size_t(m.cfg.batch), n = h.next.size() / B * B;
  double loss = 0;
  for (std::size_t i = 0; i < n; i += B)
    loss += m.forward(h.ctx.data() + i * m.cfg.context, h.next.data() + i, B, false) * double(B);
  return loss / double(n);
}

struct run_result {
  double loss = 0;          // held-out, nats per character
  double train_loss = 0;    // mean over the last 5% of steps
  double moved = 0;         // share of the linear weights changed per step, last 10% of steps
  std::size_t params = 0, tokens = 0, steps = 0;
};

// Trains one run to tokens_per_param tokens per non-embedding parameter with warmup + cosine
// decay to 10 %; progress(step, steps, smoothed loss) is called every 64 steps.
inline run_result train(const corpus& c, const heldout& h, const run_config& cfg,
                        const std::function<void(std::size_t, std::size_t, double)>& progress = {}) {
  mlp m(cfg);
  run_result res;
  res.params = m.non_embedding_params();
  res.steps = std::size_t(std::ceil(cfg.tokens_per_param * double(res.params) / cfg.batch));
  res.tokens = res.steps * std::size_t(cfg.batch);
  batches data(c, cfg.seed, cfg.batch, cfg.context);
  const std::size_t warm = std::max<std::size_t>(1, res.steps / 50), tail = std::max<std::size_t>(1, res.steps / 20);
  double smooth = 0, tail_sum = 0;
  for (std::size_t s = 0; s < res.steps; ++s) {
    data.advance();
    const double loss = m.forward(data.ctx.data(), data.next.data(), std::size_t(cfg.batch), true);
    const double t = double(s) / double(res.steps);
    const double lr = cfg.lr * (s < warm ? double(s + 1) / double(warm) : 0.1 + 0.45 * (1 + std::cos(3.141592653589793 * t)));
    const double moved = m.update(s, float(lr));
    if (s >= res.steps - std::max<std::size_t>(1, res.steps / 10)) res.moved += moved / double(std::max<std::size_t>(1, res.steps / 10));
    smooth = s == 0 ? loss : 0.98 * smooth + 0.02 * loss;
    if (s >= res.steps - tail) tail_sum += loss;
    if (progress && (s % 64 == 0 || s + 1 == res.steps)) progress(s + 1, res.steps, smooth);
  }
  res.train_loss = tail_sum / double(tail);
  res.loss = evaluate(m, h);
  return res;
}

}  // namespace sweep
