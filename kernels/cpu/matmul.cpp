// CPU GEMM through CBLAS (OpenBLAS). Row-major throughout: a [M,K] or, with
// trans_a, [K,M]; the leading dimension of each matrix is its last axis. A batch
// loops over sgemm calls (OpenBLAS threads each one internally).
#include <cblas.h>

#include "kernels/matmul.h"

namespace basin::kernels::cpu {

void matmul(const Tensor& a, const Tensor& b, Tensor& out, bool trans_a, bool trans_b, float alpha, float beta) {
  const bool batched = out.dim() == 3;
  const int da = a.dim(), db = b.dim();
  const std::int64_t M = out.shape()[out.dim() - 2], N = out.shape()[out.dim() - 1];
  const std::int64_t K = trans_a ? a.shape()[da - 2] : a.shape()[da - 1];
  const std::int64_t lda = a.shape()[da - 1], ldb = b.shape()[db - 1];
  const std::int64_t batch = batched ? out.shape()[0] : 1;
  // A batch of 1 (or a 2-D operand) is reused for every output matrix.
  const std::int64_t step_a = (da == 3 && a.shape()[0] > 1) ? M * K : 0;
  const std::int64_t step_b = (db == 3 && b.shape()[0] > 1) ? K * N : 0;
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* op = out.data<float>();
  for (std::int64_t i = 0; i < batch; ++i) {
    float* c = op + i * M * N;
    if (K == 0) {
      // BLAS rejects lda = 0; the product is empty, so out = beta * out.
      for (std::int64_t j = 0; j < M * N; ++j) c[j] = beta == 0.0f ? 0.0f : beta * c[j];
      continue;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), alpha, ap + i * step_a,
                static_cast<int>(lda), bp + i * step_b, static_cast<int>(ldb), beta, c, static_cast<int>(N));
  }
}

}  // namespace basin::kernels::cpu
