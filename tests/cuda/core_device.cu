// The rounding core compiled as device code: nvcc must accept it without warnings.
#include <precsim/precsim.hpp>

__global__ void round_kernel(const float* in, float* out, unsigned long long* codes, int n,
                             precsim::float_format f, precsim::rounding r) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  codes[i] = precsim::encode(in[i], f, r, 0x9E3779B97F4A7C15ull * (i + 1));
  out[i] = precsim::quantize(in[i], f, r, i);
  out[i] += static_cast<float>(precsim::decode(codes[i], f));
  out[i] += static_cast<float>(precsim::quantize(static_cast<double>(in[i]), f, r, i));
}

// Correctly rounded arithmetic on device: the exact 128-bit path (the host fast path is off).
__global__ void arith_kernel(const double* a, const double* b, unsigned long long* codes, int n,
                             precsim::float_format f, precsim::rounding r) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  codes[i] = precsim::rounded_add(a[i], b[i], f, r, i) ^ precsim::rounded_mul(a[i], b[i], f, r, i) ^
             precsim::rounded_div(a[i], b[i], f, r, i) ^ precsim::rounded_sqrt(a[i], f, r, i) ^
             precsim::rounded_fma(a[i], b[i], a[i], f, r, i);
}

void launch(const float* in, float* out, unsigned long long* codes, int n) {
  round_kernel<<<(n + 255) / 256, 256>>>(in, out, codes, n, precsim::formats::float8_e4m3fn,
                                         precsim::rounding{});
}

void launch_arith(const double* a, const double* b, unsigned long long* codes, int n) {
  arith_kernel<<<(n + 255) / 256, 256>>>(a, b, codes, n, precsim::formats::bfloat16, precsim::rounding{});
}

// The value types are host code here; they must compile in a .cu translation unit.
double host_value_types() {
  const precsim::bfloat16 x(1.5), y(2.25);
  return static_cast<double>(x * y + precsim::bfloat16(precsim::intx<4>(3.7).value()));
}
