// precsim::cuda against the host API, bit for bit: every named format x every rounding mode x
// every saturation (and stochastic rounding with 32, 8, 12 and 40 random bits, nonzero stream and
// offset), fake quantization of float / __half / __nv_bfloat16, encode / decode with 8-, 16- and
// 32-bit codes and packed codes, and the block formats; misaligned and in-place buffers; the
// argument checks and CUDA errors.
//
//   test_cuda             the launchers' kernels emulated on the host (any machine; ctest)
//   test_cuda --device    the same on the GPU, with --random N random inputs per case on top of
//                         the edge values (scripts/gpu-check.sh: N = 2^24)
//
// Prints one line per group and exits 1 on any mismatch.
#include <precsim/cuda.cuh>
#include <precsim/io.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "../inputs.hpp"

using namespace precsim;

namespace {

bool on_device = false;
std::size_t random_count = 1 << 12;
int failures = 0;

void fail(const std::string& what) {
  if (++failures <= 20) std::printf("  FAIL %s\n", what.c_str());
}

// A buffer the launchers read or write: host memory under the emulation, else device memory
// (copied in before the call, out after it). `shift` offsets the pointer by elements (alignment).
template <class T>
struct buffer {
  std::vector<T> host;
  T* dev = nullptr;
  std::size_t shift = 0;
  // (copied behind s default elements; an insert at the front made GCC 13 warn of an overflow)
  buffer(const std::vector<T>& v, std::size_t s = 0) : host(s + v.size()), shift(s) {
    std::copy(v.begin(), v.end(), host.begin() + std::ptrdiff_t(s));
    if (on_device) {
      cuda::detail::check(cudaMalloc(&dev, host.size() * sizeof(T) + 16), "test", "cudaMalloc");
      cuda::detail::check(cudaMemcpy(dev, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "test", "cudaMemcpy");
    }
  }
  ~buffer() { if (dev) cudaFree(dev); }
  buffer(const buffer&) = delete;
  T* ptr() { return (on_device ? dev : host.data()) + shift; }
  std::vector<T> result() {
    if (on_device) {
      cuda::detail::check(cudaDeviceSynchronize(), "test", "cudaDeviceSynchronize");
      cuda::detail::check(cudaMemcpy(host.data(), dev, host.size() * sizeof(T), cudaMemcpyDeviceToHost), "test", "cudaMemcpy");
    }
    return {host.begin() + std::ptrdiff_t(shift), host.end()};
  }
};

template <class T>
std::uint64_t bits_of(T x) {
  if constexpr (sizeof(T) == 4) return detail::bit_cast<std::uint32_t>(x);
  else if constexpr (sizeof(T) == 2) return detail::bit_cast<std::uint16_t>(x);
  else return std::uint64_t(x);
}

template <class T>
std::size_t mismatches(const std::vector<T>& got, const std::vector<T>& want, bool nan_any = false) {
  std::size_t bad = 0, first = SIZE_MAX;
  if (got.size() != want.size()) return 1;
  for (std::size_t i = 0; i < got.size(); ++i) {
    bool same = bits_of(got[i]) == bits_of(want[i]);
    if constexpr (std::is_same_v<T, float>)
      if (nan_any && !same) same = detail::is_nan(got[i]) && detail::is_nan(want[i]);
    if (!same && bad++ == 0) first = i;
  }
  if (bad) std::printf("    %zu mismatches, first at %zu: got %#llx want %#llx\n", bad, first,
                       (unsigned long long)bits_of(got[first]), (unsigned long long)bits_of(want[first]));
  return bad;
}

// Edge values of f, then `count` random ones (default: --random; other groups take fewer, their
// host references being slower).
std::vector<float> inputs_for(const float_format& f, std::uint64_t seed, std::size_t count = random_count) {
  std::vector<float> x = test::dense_inputs<float>(f, seed);
  test::splitmix64 g{seed};
  for (std::size_t i = 0; i < count; ++i) {  // normal-ish values at the format's scale, and any bits
    const double scale = max_finite(f) > 1e30 ? 1.0 : max_finite(f);
    x.push_back(i % 4 == 3 ? detail::bit_cast<float>(std::uint32_t(g()))
                           : float((double(g() >> 11) * 0x1p-53 - 0.5) * 2.2 * scale));
  }
  return x;
}

std::vector<rounding> roundings() {
  std::vector<rounding> rs;
  for (int m = 0; m < 7; ++m)
    for (int s = 0; s < 3; ++s) rs.push_back({round_mode(m), saturation(s)});
  rs.push_back({round_mode::stochastic, saturation::none, 8});   // 4 elements per word
  rs.push_back({round_mode::stochastic, saturation::none, 12, sr_variant::b});  // 2 per word
  rs.push_back({round_mode::stochastic, saturation::finite, 40, sr_variant::a});
  return rs;
}
std::string label(const char* what, std::string_view fmt, const rounding& r) {
  return std::string(what) + " " + std::string(fmt) + " mode " + std::to_string(int(r.mode)) + " sat " +
         std::to_string(int(r.saturate)) + " bits " + std::to_string(r.random_bits);
}

const sr_stream stream{0x5EEDull, 7, 1000003};

void check_quantize_float() {
  std::size_t cases = 0;
  for (const auto& nf : named_formats) {
    const float_format f = nf.format;
    if (storage_bits(f) > 32) continue;
    const std::vector<float> x = inputs_for(f, 11);
    for (const rounding& r : roundings()) {
      std::vector<float> want(x.size());
      quantize(std::span<const float>(x), std::span<float>(want), f, r, stream);
      for (std::size_t shift : {0, 1}) {  // aligned (vector units) and misaligned (elements)
        buffer<float> in(x, shift), out(std::vector<float>(x.size()), shift);
        cuda::quantize(in.ptr(), out.ptr(), x.size(), f, r, stream);
        if (mismatches(out.result(), want)) fail(label("quantize", nf.name, r) + " shift " + std::to_string(shift));
        ++cases;
      }
      buffer<float> inplace(x);  // in place
      cuda::quantize(inplace.ptr(), inplace.ptr(), x.size(), f, r, stream);
      if (mismatches(inplace.result(), want)) fail(label("quantize in place", nf.name, r));
    }
  }
  // The compile-time format: the same bits.
  const std::vector<float> x = inputs_for(formats::float8_e4m3fn, 3);
  std::vector<float> want(x.size());
  const rounding sr{round_mode::stochastic};
  quantize(std::span<const float>(x), std::span<float>(want), formats::float8_e4m3fn, sr, stream);
  buffer<float> in(x), out(std::vector<float>(x.size()));
  cuda::quantize<formats::float8_e4m3fn>(in.ptr(), out.ptr(), x.size(), sr, stream);
  if (mismatches(out.result(), want)) fail("quantize<float8_e4m3fn> stochastic");
  std::printf("quantize float: %zu cases x ~%zu inputs\n", cases, x.size());
}

// __half / __nv_bfloat16 buffers: the value of quantize(float(x)) in the type (read and written
// here through the scalar core's decode / encode).
template <class T>
void check_quantize_16(const float_format& type_format) {
  std::size_t cases = 0;
  for (const auto& nf : named_formats) {
    const float_format f = nf.format;
    if (!detail::contains(type_format, f)) continue;
    std::vector<T> x;  // every code of the type (signaling NaNs too), then its edge and random values
    for (std::uint32_t c = 0; c < 0x10000; ++c) x.push_back(detail::bit_cast<T>(std::uint16_t(c)));
    for (float v : inputs_for(type_format, 5, std::min<std::size_t>(random_count, 1 << 16)))
      x.push_back(detail::bit_cast<T>(std::uint16_t(encode(v, type_format))));
    for (const rounding& r : roundings()) {
      std::vector<float> xf(x.size()), q(x.size());
      for (std::size_t i = 0; i < x.size(); ++i)
        xf[i] = detail::to_float(decode(detail::bit_cast<std::uint16_t>(x[i]), type_format));
      quantize(std::span<const float>(xf), std::span<float>(q), f, r, stream);
      std::vector<T> want(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) want[i] = detail::bit_cast<T>(std::uint16_t(encode(q[i], type_format)));
      buffer<T> in(x), out(std::vector<T>(x.size()));
      cuda::quantize(in.ptr(), out.ptr(), x.size(), f, r, stream);
      if (mismatches(out.result(), want)) fail(label("quantize 16-bit", nf.name, r));
      ++cases;
    }
  }
  std::printf("quantize %s: %zu cases\n", format_name(type_format).c_str(), cases);
}

template <class Code>
void check_codes() {
  std::size_t cases = 0;
  for (const auto& nf : named_formats) {
    const float_format f = nf.format;
    if (storage_bits(f) > int(sizeof(Code)) * 8) continue;
    const std::vector<float> x = inputs_for(f, 21, std::min<std::size_t>(random_count, 1 << 20));
    for (const rounding& r : roundings()) {
      std::vector<Code> want(x.size());
      encode(std::span<const float>(x), std::span<Code>(want), f, r, stream);
      buffer<float> in(x, 3);
      buffer<Code> out(std::vector<Code>(x.size()), 1);
      cuda::encode(in.ptr(), out.ptr(), x.size(), f, r, stream);
      if (mismatches(out.result(), want)) fail(label("encode", nf.name, r) + " code bits " + std::to_string(sizeof(Code) * 8));
      ++cases;
    }
    // decode every code (all of them up to 16 bits), with junk above storage_bits where it fits
    std::vector<Code> codes;
    const std::uint64_t count = storage_bits(f) <= 16 ? code_count(f) : 1u << 16;
    test::splitmix64 g{9};
    for (std::uint64_t c = 0; c < count; ++c)
      codes.push_back(Code(storage_bits(f) <= 16 ? c : g()));
    std::vector<float> want(codes.size());
    decode(std::span<const Code>(codes), std::span<float>(want), f);
    for (std::size_t shift : {0, 1}) {
      buffer<Code> in(codes, shift);
      buffer<float> out(std::vector<float>(codes.size()), shift);
      cuda::decode(in.ptr(), out.ptr(), codes.size(), f);
      if (mismatches(out.result(), want)) fail("decode " + std::string(nf.name));
    }
  }
  std::printf("encode/decode %zu-bit codes: %zu cases\n", sizeof(Code) * 8, cases);
}

void check_packed() {
  std::size_t cases = 0;
  std::vector<float_format> fs;
  for (const auto& nf : named_formats)
    if (storage_bits(nf.format) <= 8) fs.push_back(nf.format);
  fs.push_back(formats::p3109(5, 2, true, false));  // 5-bit codes
  fs.push_back(formats::p3109(3, 1, true, true));   // 3-bit
  for (const float_format& f : fs) {
    const int bits = storage_bits(f);
    std::vector<float> all = inputs_for(f, 31, std::min<std::size_t>(random_count, 1 << 20));
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{31}, std::size_t{32}, std::size_t{33}, all.size()}) {
      const std::vector<float> x(all.begin(), all.begin() + std::ptrdiff_t(n));
      for (const rounding& r : {rounding{}, rounding{round_mode::stochastic}}) {
        std::vector<std::uint8_t> codes(n), want(packed_size(n, bits));
        encode(std::span<const float>(x), std::span<std::uint8_t>(codes), f, r, stream);
        pack(codes, want, bits);
        for (std::size_t shift : {0, 1}) {
          buffer<float> in(x, shift);
          buffer<std::uint8_t> out(std::vector<std::uint8_t>(want.size()), shift);
          cuda::encode_packed(in.ptr(), out.ptr(), n, f, r, stream);
          if (mismatches(out.result(), want)) fail("encode_packed " + format_name(f) + " n " + std::to_string(n));
          // and back: decode_packed == decode(unpack(packed))
          std::vector<float> back(n);
          decode(std::span<const std::uint8_t>(codes), std::span<float>(back), f);
          buffer<std::uint8_t> pin(want, shift);
          buffer<float> pout(std::vector<float>(n), shift);
          cuda::decode_packed(pin.ptr(), pout.ptr(), n, f);
          if (mismatches(pout.result(), back)) fail("decode_packed " + format_name(f) + " n " + std::to_string(n));
        }
        ++cases;
      }
    }
  }
  std::printf("packed codes: %zu cases\n", cases);
}

// Matrices with the block code's edge cases: zero tiles, a NaN, an infinity, subnormals, huge
// and tiny rows, negative-only tiles.
std::vector<float> matrix(std::size_t rows, std::size_t cols, std::uint64_t seed) {
  test::splitmix64 g{seed};
  std::vector<float> m(rows * cols);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const double u = double(g() >> 11) * 0x1p-53 - 0.5;
      const int e = int(r % 7) * 9 - 30;
      float v = float(u * std::ldexp(1.0, e));
      if (r == 1) v = 0.0f;
      if (r == 2 && c < 40) v = -std::fabs(v);
      if (r == 3) v = detail::bit_cast<float>(std::uint32_t(g() % 0x7FFFFF));  // subnormals
      m[r * cols + c] = v;
    }
  if (rows > 5 && cols > 70) {
    m[5 * cols + 3] = detail::bit_cast<float>(0x7FC00001u);
    m[4 * cols + 65] = -INFINITY;
  }
  return m;
}

void check_blocks() {
  std::vector<std::pair<std::string, block_format>> fs = {
      {"mxfp8_e4m3", formats::mxfp8_e4m3}, {"mxfp8_e5m2", formats::mxfp8_e5m2},
      {"mxfp6_e3m2", formats::mxfp6_e3m2}, {"mxfp6_e2m3", formats::mxfp6_e2m3},
      {"mxfp4_e2m1", formats::mxfp4_e2m1}, {"mxint8", formats::mxint8}, {"nvfp4", formats::nvfp4},
      {"int4 per row", formats::int_scaled(4, {1, 0})}, {"int8 per tensor", formats::int_scaled(8, {0, 0})},
      {"int3 g64", formats::int_scaled(3, {1, 64})}, {"fp8 128x128", formats::fp8_tiles({128, 128})},
      {"fp8 1x128", formats::fp8_tiles({1, 128})}};
  block_format asym = formats::int_scaled(4, {1, 32});
  asym.integer.range = int_range::asymmetric;
  fs.push_back({"uint4 asymmetric", asym});
  block_format full = formats::int_scaled(8, {16, 16});
  full.integer.range = int_range::full;
  fs.push_back({"int8 full 16x16", full});
  block_format ceil = formats::mxfp8_e4m3;
  ceil.rule = scale_rule::ceil_pow2;
  fs.push_back({"mxfp8 ceil", ceil});
  ceil.rule = scale_rule::nearest_pow2;
  fs.push_back({"mxfp8 nearest", ceil});
  std::size_t cases = 0;
  for (const auto& [name, f] : fs)
    for (auto [rows, cols] : {std::pair<std::size_t, std::size_t>{37, 70}, {130, 129}, {1, 1000}, {0, 5}})
      for (const rounding& r : {rounding{}, rounding{round_mode::stochastic}, rounding{round_mode::toward_zero}}) {
        const std::vector<float> x = matrix(rows, cols, rows * 131 + cols);
        std::vector<float> want(x.size());
        quantize_blocks(x, want, rows, cols, f, r, stream);
        buffer<float> in(x), out(std::vector<float>(x.size()));
        cuda::quantize_blocks(in.ptr(), out.ptr(), rows, cols, f, r, stream);
        if (mismatches(out.result(), want, true))
          fail("quantize_blocks " + name + " " + std::to_string(rows) + "x" + std::to_string(cols) + " mode " +
               std::to_string(int(r.mode)));
        buffer<float> inplace(x);
        cuda::quantize_blocks(inplace.ptr(), inplace.ptr(), rows, cols, f, r, stream);
        if (mismatches(inplace.result(), want, true)) fail("quantize_blocks in place " + name);
        ++cases;
      }
  std::printf("quantize_blocks: %zu cases\n", cases);
}

// Value types and the scalar core in a user's kernel (compiled with --expt-relaxed-constexpr):
// the type's own rounding, the same codes as on the host.
using bf16x = floatx<formats::bfloat16>;
using e4m3x = floatx<formats::float8_e4m3fn, rounding{round_mode::nearest_even, saturation::finite}>;
__host__ __device__ std::uint32_t value_type_ops(float a, float b) {
  const bf16x x(a), y(b);
  const bf16x s = fma(x, y, x) + sqrt(abs(y)) - x / y;
  const float t = static_cast<float>(s);
  const e4m3x e(t == t ? t * 3.0f : t);  // (NaN as it is: a GPU's float arithmetic drops a NaN's sign)
  return std::uint32_t(s.bits()) << 16 | std::uint32_t(e.bits()) << 8 | (x < y) << 1 | (e == e4m3x(static_cast<float>(x)));
}
__global__ void value_type_kernel(const float* in, std::uint32_t* out, std::size_t n) {
  for (std::size_t i = blockIdx.x * std::size_t(blockDim.x) + threadIdx.x; i < n; i += std::size_t(gridDim.x) * blockDim.x)
    out[i] = value_type_ops(in[2 * i], in[2 * i + 1]);
}

void check_value_types_on_device() {
  const std::vector<float> x = inputs_for(formats::bfloat16, 41, std::min<std::size_t>(random_count, 1 << 20));
  const std::size_t n = x.size() / 2;
  std::vector<std::uint32_t> want(n);
  for (std::size_t i = 0; i < n; ++i) want[i] = value_type_ops(x[2 * i], x[2 * i + 1]);
  buffer<float> in(x);
  buffer<std::uint32_t> out{std::vector<std::uint32_t>(n)};
  value_type_kernel<<<64, 256>>>(in.ptr(), out.ptr(), n);
  cuda::detail::check(cudaGetLastError(), "test", "value_type_kernel");
  if (mismatches(out.result(), want)) fail("floatx in a kernel");
  std::printf("floatx in a kernel: %zu inputs\n", n);
}

// Bad arguments: std::invalid_argument with the span API's message, before any CUDA call.
void expect_invalid(const char* what, const std::function<void()>& call, const char* needle) {
  try {
    call();
    fail(std::string(what) + ": no exception");
  } catch (const std::invalid_argument& e) {
    if (!std::strstr(e.what(), needle)) fail(std::string(what) + ": message '" + e.what() + "' lacks '" + needle + "'");
  } catch (const std::exception& e) {
    fail(std::string(what) + ": wrong exception " + e.what());
  }
}

void check_arguments() {
  float x[64] = {}, y[64] = {};
  std::uint8_t c[64] = {};
  float_format bad = formats::float8_e4m3fn;
  bad.mantissa_bits = -1;
  expect_invalid("invalid format", [&] { cuda::quantize(x, y, 64, bad); }, "mantissa");
  expect_invalid("invalid rounding", [&] { cuda::quantize(x, y, 64, formats::bfloat16, {round_mode(9)}); }, "mode");
  expect_invalid("null in", [&] { cuda::quantize(static_cast<const float*>(nullptr), y, 64, formats::bfloat16); }, "in is null");
  expect_invalid("null out", [&] { cuda::encode(x, static_cast<std::uint8_t*>(nullptr), 64, formats::float8_e4m3fn); }, "out is null");
  expect_invalid("overlap", [&] { cuda::quantize(x, x + 1, 32, formats::bfloat16); }, "overlap");
  expect_invalid("code width", [&] { cuda::encode(x, c, 64, formats::bfloat16); }, "do not fit");
  expect_invalid("packed width", [&] { cuda::encode_packed(x, c, 64, formats::bfloat16); }, "at most 8 bits");
  expect_invalid("half values", [&] {
    cuda::quantize(reinterpret_cast<const __half*>(x), reinterpret_cast<__half*>(y), 8, formats::bfloat16);
  }, "not __half values");
  expect_invalid("blocks size", [&] { cuda::quantize_blocks(x, y, SIZE_MAX, 2, formats::mxfp8_e4m3); }, "overflows");
  block_format bf = formats::mxfp8_e4m3;
  bf.shape.rows = 0;
  bf.element.exponent_bits = 0;
  expect_invalid("invalid block format", [&] { cuda::quantize_blocks(x, y, 8, 8, bf); }, "exponent_bits");
  std::printf("argument checks: done\n");
}

// Without a usable GPU, a launcher throws precsim::cuda::error naming itself, the CUDA call and
// the CUDA error.
void check_cuda_error() {
  float x[4] = {}, y[4] = {};
  try {
    cuda::quantize(x, y, 4, formats::bfloat16);
    fail("no precsim::cuda::error without a GPU");
  } catch (const cuda::error& e) {
    const std::string w = e.what();
    if (w.find("precsim::cuda::quantize: cudaGetDevice failed: ") != 0 || w.find("(cuda") == std::string::npos)
      fail("error message: " + w);
    std::printf("CUDA error without a GPU: %s\n", e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--device")) on_device = true;
    else if (!std::strcmp(argv[i], "--random") && i + 1 < argc) random_count = std::strtoull(argv[++i], nullptr, 0);
  }
  int devices = 0;
  const bool gpu = cudaGetDeviceCount(&devices) == cudaSuccess && devices > 0;
  if (on_device && !gpu) {
    std::printf("--device: no GPU\n");
    return 1;
  }
  cuda::detail::host_emulation() = !on_device;
  std::printf("%s, %zu random inputs per case\n", on_device ? "on the GPU" : "host emulation of the kernels", random_count);
  check_arguments();
  check_quantize_float();
  check_quantize_16<__half>(formats::float16);
  check_quantize_16<__nv_bfloat16>(formats::bfloat16);
  check_codes<std::uint8_t>();
  check_codes<std::uint16_t>();
  check_codes<std::uint32_t>();
  check_packed();
  check_blocks();
  if (on_device) check_value_types_on_device();
  if (!gpu) {
    cuda::detail::host_emulation() = false;
    check_cuda_error();
  }
  std::printf(failures ? "FAILED: %d\n" : "all passed\n", failures);
  return failures ? 1 : 0;
}
