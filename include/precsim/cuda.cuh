// precsim's CUDA launchers (docs/cuda.md), for .cu translation units: fake quantization,
// encode / decode (incl. packed codes) and block formats over device arrays, bit-identical to the
// host API. The scalar core (quantize, encode, decode, random_u32, ...) and the named formats
// are also callable from users' own kernels (examples/cuda_kernel.cu).
#pragma once

#include "precsim.hpp"
#include "cuda/blocks.cuh"
#include "cuda/quantize.cuh"
