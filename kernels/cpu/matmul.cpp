// CPU GEMM through CBLAS (OpenBLAS), the reference: the contract is decoded in
// kernels/cpu/gemm_batch.h; a batch loops over sgemm calls (OpenBLAS threads each
// one internally).
#include <cblas.h>

#include "kernels/cpu/gemm_batch.h"
#include "kernels/matmul.h"

namespace basin::kernels::cpu {

void matmul(const Tensor& a, const Tensor& b, Tensor& out, bool trans_a, bool trans_b, float alpha, float beta) {
  for_each_gemm(a, b, out, trans_a, beta, [&](const GemmCall& g) {
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                static_cast<int>(g.M), static_cast<int>(g.N), static_cast<int>(g.K), alpha, g.a, static_cast<int>(g.lda),
                g.b, static_cast<int>(g.ldb), beta, g.c, static_cast<int>(g.N));
  });
}

}  // namespace basin::kernels::cpu
