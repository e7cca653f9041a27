// The training layer: fake quantization with a straight-through estimator, quantized GEMM with
// a simulated accumulator, and optimizer steps on low-precision weights (docs/training.md).
#pragma once

#include "train/gemm.hpp"
#include "train/optim.hpp"
#include "train/quantizer.hpp"
