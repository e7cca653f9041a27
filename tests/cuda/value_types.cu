// A user's kernel with value types, as reported: compiled with --expt-relaxed-constexpr, it must
// keep both stores (check_ptx.cmake). It once compiled to a trap after the first precsim call:
// the rounding policy lookup read a host thread_local, which device code cannot.
#include <precsim/precsim.hpp>

using bf16x = precsim::floatx<precsim::formats::bfloat16>;

__global__ void scale_kernel(const float* x, float* y, float* z, int n) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i + 1 >= n) return;
  const bf16x a(x[i]), b(x[i + 1]);
  y[i] = static_cast<float>(a * b + a);
  z[i] = static_cast<float>(precsim::quantize(x[i], precsim::formats::float8_e4m3fn));
}
