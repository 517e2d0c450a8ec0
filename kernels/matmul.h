#pragma once
// out = alpha * op(a) @ op(b) + beta * out, op = transpose when the flag is set.
// a: [M, K] (or [K, M] with trans_a), b: [K, N] (or [N, K]); a leading batch axis
// on a, b and out is allowed (batched GEMM; a batch of 1 on a or b broadcasts).
// Inputs contiguous. CPU: BLAS sgemm; CUDA: cuBLAS (strided batched).
#include "kernels/dispatch.h"

namespace basin::kernels {

void matmul(const Tensor& a, const Tensor& b, Tensor& out, bool trans_a = false, bool trans_b = false,
            float alpha = 1.0f, float beta = 0.0f);

BASIN_DECLARE_BACKENDS(void matmul(const Tensor& a, const Tensor& b, Tensor& out, bool trans_a, bool trans_b,
                                   float alpha, float beta))

}  // namespace basin::kernels
