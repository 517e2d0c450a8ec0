#pragma once
// The row-major GEMM contract of kernels::matmul, decoded once for both CPU
// implementations (the CBLAS reference, kernels/cpu/matmul.cpp, and oneDNN's
// dnnl_sgemm, kernels/cpu/onednn/matmul.cpp): a [M,K] or, with trans_a, [K,M];
// each matrix's leading dimension is its last axis; a batch of 1 (or a 2-D
// operand) is reused for every output matrix; an empty product (K = 0, which
// BLAS rejects through lda = 0) is out = beta * out.
#include <cstdint>

#include "tensor/tensor.h"

namespace basin::kernels::cpu {

struct GemmCall {
  std::int64_t M, N, K, lda, ldb;
  const float* a;
  const float* b;
  float* c;  // ldc = N
};

// Calls gemm(GemmCall) for each output matrix with K > 0.
template <typename Gemm>
void for_each_gemm(const Tensor& a, const Tensor& b, Tensor& out, bool trans_a, float beta, Gemm&& gemm) {
  const int da = a.dim(), db = b.dim();
  const std::int64_t M = out.shape()[out.dim() - 2], N = out.shape()[out.dim() - 1];
  const std::int64_t K = trans_a ? a.shape()[da - 2] : a.shape()[da - 1];
  const std::int64_t lda = a.shape()[da - 1], ldb = b.shape()[db - 1];
  const std::int64_t batch = out.dim() == 3 ? out.shape()[0] : 1;
  const std::int64_t step_a = (da == 3 && a.shape()[0] > 1) ? M * K : 0;
  const std::int64_t step_b = (db == 3 && b.shape()[0] > 1) ? K * N : 0;
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* op = out.data<float>();
  for (std::int64_t i = 0; i < batch; ++i) {
    float* c = op + i * M * N;
    if (K == 0) {
      for (std::int64_t j = 0; j < M * N; ++j) c[j] = beta == 0.0f ? 0.0f : beta * c[j];
      continue;
    }
    gemm(GemmCall{M, N, K, lda, ldb, ap + i * step_a, bp + i * step_b, c});
  }
}

}  // namespace basin::kernels::cpu
