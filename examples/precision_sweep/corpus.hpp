// A synthetic character stream with a known entropy rate: pseudo-words over 26 letters with
// Zipf-distributed frequencies, joined by spaces, the next word drawn from a sparse word-bigram
// chain. Everything is generated from a seed: no downloads, no data files, and an unlimited
// stream (no epoch ever repeats).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace sweep {

// splitmix64: small, seedable, and identical everywhere.
struct rng {
  std::uint64_t s;
  explicit rng(std::uint64_t seed) : s(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return double(next() >> 11) * 0x1p-53; }  // [0, 1)
  double normal() {
    const double u = 1.0 - uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
  }
};

inline constexpr int alphabet = 27;  // 'a'..'z' = 0..25, space = 26

struct corpus {
  std::vector<std::vector<std::uint8_t>> words;     // letters of each word
  std::vector<std::vector<int>> next;               // successors of each word
  std::vector<std::vector<double>> cum;             // their cumulative probabilities
  std::vector<std::vector<double>> prob;
  double entropy_per_char = 0;                      // nats, of the stationary stream

  // vocab words; each has `fanout` successors, picked by Zipf(1.1) popularity, with Zipf(1)
  // weights among themselves.
  explicit corpus(std::uint64_t seed, int vocab = 600, int fanout = 8) {
    rng g(seed);
    while (int(words.size()) < vocab) {  // distinct spellings: the text determines the words
      std::vector<std::uint8_t> word(2 + g.next() % 6);
      for (auto& c : word) c = std::uint8_t(g.next() % 26);
      if (std::find(words.begin(), words.end(), word) == words.end()) words.push_back(word);
    }
    std::vector<double> pop(vocab), popcum(vocab);
    double tot = 0;
    for (int w = 0; w < vocab; ++w) tot += pop[w] = 1.0 / std::pow(w + 1.0, 1.1);
    double acc = 0;
    for (int w = 0; w < vocab; ++w) popcum[w] = (acc += pop[w] / tot);
    next.resize(vocab), cum.resize(vocab), prob.resize(vocab);
    for (int w = 0; w < vocab; ++w) {
      std::vector<int> succ;
      while (int(succ.size()) < fanout) {
        const int v = int(std::lower_bound(popcum.begin(), popcum.end(), g.uniform()) - popcum.begin());
        if (v < vocab && std::find(succ.begin(), succ.end(), v) == succ.end()) succ.push_back(v);
      }
      double z = 0;
      for (int i = 0; i < fanout; ++i) z += 1.0 / (i + 1);
      double c = 0;
      for (int i = 0; i < fanout; ++i) {
        prob[w].push_back(1.0 / (i + 1) / z);
        cum[w].push_back(c += prob[w].back());
      }
      next[w] = succ;
    }
    // Entropy rate: the character stream determines the word sequence (spaces delimit words),
    // so H(chars) per char = H(next word | word) / E[chars per word + space] under the chain's
    // stationary distribution (power iteration).
    std::vector<double> pi(vocab, 1.0 / vocab), nxt(vocab);
    for (int it = 0; it < 2000; ++it) {
      std::fill(nxt.begin(), nxt.end(), 0.0);
      for (int w = 0; w < vocab; ++w)
        for (int i = 0; i < fanout; ++i) nxt[next[w][i]] += pi[w] * prob[w][i];
      for (int w = 0; w < vocab; ++w) pi[w] = 0.5 * pi[w] + 0.5 * nxt[w];  // lazy: always converges
    }
    double h = 0, len = 0;
    for (int w = 0; w < vocab; ++w) {
      for (double p : prob[w]) h -= pi[w] * p * std::log(p);
      len += pi[w] * double(words[w].size() + 1);
    }
    entropy_per_char = h / len;
  }

  // Appends whole words (and their spaces) from word w (updated) until out has chars_wanted.
  void generate(rng& g, int& w, std::size_t chars_wanted, std::vector<std::uint8_t>& out) const {
    while (out.size() < chars_wanted) {
      const auto& c = cum[w];
      const double u = g.uniform() * c.back();
      w = next[w][std::size_t(std::lower_bound(c.begin(), c.end(), u) - c.begin()) % c.size()];
      out.insert(out.end(), words[w].begin(), words[w].end());
      out.push_back(26);
    }
  }
};

// An unlimited stream of characters of one corpus, from its own seed.
struct char_stream {
  const corpus* c;
  rng g;
  int w = 0;
  std::vector<std::uint8_t> buf;
  std::size_t pos = 0;
  char_stream(const corpus& cp, std::uint64_t seed) : c(&cp), g(seed) {
    for (int i = 0; i < 50; ++i) c->generate(g, w, 1, buf), buf.clear();  // leave the start word
  }
  std::uint8_t get() {
    if (pos == buf.size()) {
      buf.clear(), pos = 0;
      c->generate(g, w, 4096, buf);
    }
    return buf[pos++];
  }
};

}  // namespace sweep
