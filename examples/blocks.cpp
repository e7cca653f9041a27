// Scaled and block formats, one worked example per family (docs/blocks.md): INT-b per output
// channel, OCP MX (FP8, FP4, INT8), NVFP4 with its tensor scale, FP8 128x128 tiles; then the
// storage cost of each and the error they leave on a Gaussian matrix with an outlier.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <precsim/blocks/quantize.hpp>
#include <precsim/io.hpp>

namespace ps = precsim;

namespace {

void show(const char* title, const std::vector<float>& x, std::size_t rows, std::size_t cols,
          const ps::block_format& f) {
  std::vector<float> y(x.size());
  ps::quantize_blocks(x, y, rows, cols, f);
  const ps::block_tensor t = ps::encode_blocks(x, rows, cols, f);
  std::printf("%s\n", title);
  int shown = 0;
  for (std::size_t i = 0; i < x.size(); ++i)  // the first of each run of equal inputs
    if (i == 0 || x[i] != x[i - 1])
      std::printf("  [%2zu] %8g -> %-10g%s", i, x[i], y[i], ++shown % 4 == 0 ? "\n" : "");
  std::printf("%s  tile scales:", shown % 4 ? "\n" : "");
  for (std::size_t i = 0; i < t.scales.size(); ++i)
    std::printf(" %g (code 0x%X)", double(ps::decode(t.scales[i], f.scale)), t.scales[i]);
  if (f.tensor_scale) std::printf("; tensor scale %g", double(t.tensor_scale));
  std::printf("\n\n");
}

}  // namespace

int main() {
  // INT8 per output channel (the paper's weights): row 0 amax 12.7 -> s = 12.7 / 127 ~ 0.1.
  show("int_scaled(8, {1, 0}): symmetric INT8, one fp32 absmax scale per row",
       {12.7f, 0.26f, -3.33f, 0.04f, 1.0f, -0.5f, 0.25f, 0.125f}, 2, 4, ps::formats::int_scaled(8, {1, 0}));

  // MXFP8: amax 1000 -> X = 2^(9 - 8) = 2; 1000/2 = 500 saturates to 448.
  std::vector<float> block(32, 0.01f);
  block[0] = 1000.0f;
  block[1] = 0.3f;
  block[2] = -17.0f;
  show("mxfp8_e4m3: 32 elements, one E8M0 scale 2^(floor(log2 amax) - 8)",
       std::vector<float>(block.begin(), block.begin() + 32), 1, 32, ps::formats::mxfp8_e4m3);

  // MXFP4: amax 7 -> X = 2^(2 - 2) = 1; 7 clips to 6 under the OCP rule, not under ceil_pow2.
  std::vector<float> fp4(32, 0.5f);
  fp4[0] = 7.0f;
  fp4[1] = -2.6f;
  show("mxfp4_e2m1 (OCP floor rule): the block max 7 clips to 6", fp4, 1, 32, ps::formats::mxfp4_e2m1);
  ps::block_format ceil = ps::formats::mxfp4_e2m1;
  ceil.rule = ps::scale_rule::ceil_pow2;
  show("mxfp4_e2m1 with ceil_pow2: X = 2, nothing clips", fp4, 1, 32, ceil);

  // NVFP4: t = amax / (448 * 6); per 16: s = RNE_e4m3(amax_block / 6 / t).
  std::vector<float> nv(32, 0.0f);
  nv[0] = 2688.0f;
  nv[1] = 1000.0f;
  nv[16] = 1.0f;
  nv[17] = -0.5f;
  show("nvfp4: E2M1 in blocks of 16, E4M3 block scales, fp32 tensor scale", nv, 1, 32, ps::formats::nvfp4);

  // Storage and error on a 256 x 1024 N(0,1) matrix with one outlier per row.
  const std::size_t rows = 256, cols = 1024;
  std::vector<float> w(rows * cols), q(w.size());
  std::mt19937 g(7);
  std::normal_distribution<float> n01;
  for (auto& v : w) v = n01(g);
  for (std::size_t r = 0; r < rows; ++r) w[r * cols + (r * 37) % cols] = 20.0f;
  struct entry { const char* name; ps::block_format f; };
  const entry all[] = {{"int8 per channel", ps::formats::int_scaled(8, {1, 0})},
                       {"int4 per channel", ps::formats::int_scaled(4, {1, 0})},
                       {"int4 groups of 32", ps::formats::int_scaled(4, {1, 32})},
                       {"int4 per tensor", ps::formats::int_scaled(4, {0, 0})},
                       {"mxfp8_e4m3", ps::formats::mxfp8_e4m3},
                       {"mxfp6_e2m3", ps::formats::mxfp6_e2m3},
                       {"mxfp4_e2m1", ps::formats::mxfp4_e2m1},
                       {"mxint8", ps::formats::mxint8},
                       {"nvfp4", ps::formats::nvfp4},
                       {"fp8 tiles 128x128", ps::formats::fp8_tiles({128, 128})}};
  std::printf("%-20s %14s %16s\n", "format", "bits/element", "relative RMS error");
  for (const auto& e : all) {
    ps::quantize_blocks(w, q, rows, cols, e.f);
    double num = 0, den = 0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      num += double(q[i] - w[i]) * double(q[i] - w[i]);
      den += double(w[i]) * double(w[i]);
    }
    std::printf("%-20s %14.3f %16.5f\n", e.name, ps::bits_per_element(e.f, rows, cols), std::sqrt(num / den));
  }
}
