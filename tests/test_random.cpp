// The counter-based generator behind stochastic rounding: Philox4x32-10 known answers
// (Random123's kat_vectors), the documented index -> (counter, word) layout, and statistics of
// its output with bounds derived from the distributions an ideal generator would give.
#include <doctest/doctest.h>

#include <algorithm>

#include <cmath>
#include <vector>

#include <precsim/policy.hpp>
#include <precsim/random.hpp>

using namespace precsim;

TEST_CASE("philox4x32_10 reproduces the Random123 known-answer vectors") {
  struct kat { philox_block ctr; std::uint32_t k0, k1; philox_block want; };
  const kat kats[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
      {{{~0u, ~0u, ~0u, ~0u}}, ~0u, ~0u, {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
      {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}}, 0xa4093822, 0x299f31d0,
       {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
  };
  for (const kat& k : kats) {
    const philox_block got = philox4x32_10(k.ctr, k.k0, k.k1);
    for (int i = 0; i < 4; ++i) CHECK(got.v[i] == k.want.v[i]);
  }
  static_assert(philox4x32_10({{0, 0, 0, 0}}, 0, 0).v[0] == 0x6627e8d5, "usable in constant expressions");
}

TEST_CASE("index j takes word (j/16)%4 of block 16*(j/64) + j%16 (64-bit: words 2k, 2k+1 of block 2^63 + 16*(j/32) + j%16)") {
  const sr_stream s{0x0123456789ABCDEFull, 0xFEDCBA9876543210ull, 0};
  for (std::uint64_t j : {0ull, 1ull, 15ull, 16ull, 17ull, 63ull, 64ull, 1000003ull, (1ull << 40) + 77}) {
    const std::uint64_t block = (j / 64) * 16 + j % 16;
    const philox_block b = philox4x32_10(
        {{std::uint32_t(block), std::uint32_t(block >> 32), 0x76543210u, 0xFEDCBA98u}}, 0x89ABCDEFu, 0x01234567u);
    CHECK(random_u32(s, j) == b.v[(j / 16) % 4]);
    const std::uint64_t block64 = (1ull << 63) + (j / 32) * 16 + j % 16;
    const philox_block b64 = philox4x32_10(
        {{std::uint32_t(block64), std::uint32_t(block64 >> 32), 0x76543210u, 0xFEDCBA98u}}, 0x89ABCDEFu, 0x01234567u);
    const std::uint64_t k = (j / 16) % 2;
    CHECK(random_u64(s, j) == (b64.v[2 * k] | std::uint64_t{b64.v[2 * k + 1]} << 32));
  }
}

TEST_CASE("batches of 16 blocks equal random_u32 and random_u64 word by word") {
  // Every width this CPU runs (16 and 8: the AVX-512 and AVX2 generators), and the default.
  std::vector<int> widths = {0, 4};
  if (cpu().avx2) widths.push_back(8);
  if (cpu().avx512f && cpu().avx512bw && cpu().avx512vl) widths.push_back(16);
  for (const int lanes : widths) {
    CAPTURE(lanes);
    for (const sr_stream s : {sr_stream{0, 0, 0}, sr_stream{0x0123456789ABCDEFull, 0xFEDCBA9876543210ull, 0},
                              sr_stream{~0ull, 1ull << 63, 0}}) {
      for (std::uint64_t t : {0ull, 1ull, 31ull, 1000003ull, (1ull << 58) - 1}) {
        std::uint64_t batch[32];
        detail::random_u64_batch(s, t, batch, lanes);
        for (std::uint64_t i = 0; i < 32; ++i) CHECK(batch[i] == random_u64(s, 32 * t + i));
        std::uint32_t words[64];  // (the bulk scalar path's random_u32 groups)
        detail::philox_batch(s, t << 4, words, lanes);
        for (std::uint64_t i = 0; i < 64; ++i) CHECK(words[i] == random_u32(s, 64 * t + i));
      }
    }
  }
  // Through the cache: draws that jump between streams and batches get each stream's own words.
  const sr_stream a{1, 2, 0}, b{1, 3, 0}, c{2, 2, 0};
  for (std::uint64_t j : {0ull, 5ull, 31ull, 32ull, 33ull, 7ull, 1ull << 40, 64ull})
    for (const sr_stream& s : {a, b, c, a}) CHECK(detail::cached_random_u64(s, j) == random_u64(s, j));
}

namespace {
// Words mapped to [0, 1).
double unit(std::uint32_t w) { return (w + 0.5) * 0x1p-32; }

// Pearson correlation of a[i] and b[i]; for independent uniforms it is ~N(0, 1/n).
double correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = double(a.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}
}  // namespace

TEST_CASE("every output bit is 1 half the time (binomial, 5 sigma)") {
  constexpr std::size_t n = 1 << 20;
  for (const sr_stream s : {sr_stream{0, 0, 0}, sr_stream{42, 7, 0}}) {
    std::size_t ones[32] = {};
    for (std::size_t j = 0; j < n; ++j) {
      const std::uint32_t w = random_u32(s, j);
      for (int b = 0; b < 32; ++b) ones[b] += (w >> b) & 1;
    }
    const double bound = 5 * std::sqrt(n * 0.25);  // count ~ Binomial(n, 1/2)
    for (int b = 0; b < 32; ++b) CHECK_MESSAGE(std::fabs(double(ones[b]) - n / 2.0) < bound, "bit " << b);
  }
}

TEST_CASE("neighbouring indices, words of one block, streams and seeds are uncorrelated (5 sigma)") {
  constexpr std::size_t n = 1 << 18;
  const double bound = 5 / std::sqrt(double(n));  // correlation of independent uniforms ~N(0, 1/n)
  const sr_stream s{2024, 1, 0};
  auto series = [&](const sr_stream& st, std::uint64_t lag, std::uint64_t stride) {
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = unit(random_u32(st, i * stride + lag));
    return v;
  };
  const auto base = series(s, 0, 64);
  CHECK(std::fabs(correlation(base, series(s, 1, 64))) < bound);    // neighbours: next block
  CHECK(std::fabs(correlation(base, series(s, 16, 64))) < bound);   // same block, next word
  CHECK(std::fabs(correlation(base, series(s, 64, 64))) < bound);   // next group
  CHECK(std::fabs(correlation(base, series({2024, 2, 0}, 0, 64))) < bound);  // next stream
  CHECK(std::fabs(correlation(base, series({2025, 1, 0}, 0, 64))) < bound);  // next seed
  // The mean of n uniforms is 1/2 within 5 sigma (sigma^2 = 1/(12 n)).
  double mean = 0;
  for (double x : base) mean += x;
  CHECK(std::fabs(mean / n - 0.5) < 5 * std::sqrt(1.0 / (12.0 * n)));
}

TEST_CASE("random_u32 and random_u64 on one stream share no Philox block") {
  // The 64-bit sequence lives in blocks >= 2^63; the 32-bit one below 2^62. Before they were
  // separated, random_u32(s, 0) was the low half of random_u64(s, 0) (2,048 equal pairs in a
  // 4096 x 4096 comparison).
  const sr_stream s{7, 3, 0};
  std::vector<std::uint32_t> w32(4096);
  for (std::size_t j = 0; j < w32.size(); ++j) w32[j] = random_u32(s, j);
  std::sort(w32.begin(), w32.end());
  std::size_t equal_halves = 0;
  for (std::uint64_t j = 0; j < 4096; ++j) {
    const std::uint64_t w = random_u64(s, j);
    equal_halves += std::binary_search(w32.begin(), w32.end(), std::uint32_t(w));
    equal_halves += std::binary_search(w32.begin(), w32.end(), std::uint32_t(w >> 32));
  }
  CHECK(equal_halves <= 2);  // chance matches among 8192 x 4096 random 32-bit words: ~0.008
  // And the two sequences are uncorrelated.
  constexpr std::size_t n = 1 << 16;
  std::vector<double> a(n), b(n);
  for (std::size_t j = 0; j < n; ++j) {
    a[j] = unit(random_u32(s, j));
    b[j] = unit(std::uint32_t(random_u64(s, j)));
  }
  CHECK(std::fabs(correlation(a, b)) < 5 / std::sqrt(double(n)));
}
