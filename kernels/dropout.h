#pragma once
// Inverted dropout: mask = Bernoulli(1 - p) / (1 - p), out = x * mask. The mask
// comes from kernels::random_fill keyed by `key`, so the same key gives the same
// mask on CPU and CUDA. It is composed from random_fill and the elementwise
// kernels, so it has no backend of its own.
#include "kernels/random.h"

namespace basin::kernels {

// x any layout; out and mask contiguous with x's shape and device (mask is the
// scaled mask the backward multiplies by). p in [0, 1]; p == 1 gives zeros.
void dropout_forward(const Tensor& x, float p, RandomKey key, Tensor& out, Tensor& mask);

}  // namespace basin::kernels
