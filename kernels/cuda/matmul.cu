// CUDA matmul through cuBLAS (kernels/matmul.h).
//
// cuBLAS is column-major. A row-major [R, C] matrix is, byte for byte, the
// column-major [C, R] matrix of its transpose. So row-major C = op(A) op(B) is
// computed as column-major C^T = op(B)^T op(A)^T: swap the operands, pass
// (N, M, K), and use the row lengths as leading dimensions.
// Shapes, dtypes and layout were checked by the entry point (kernels/matmul.cpp).
#include <algorithm>
#include <cstdint>

#include "kernels/cuda/indexer.cuh"
#include "kernels/matmul.h"

namespace basin::kernels::cuda {

namespace {

__global__ void scale_kernel(float* out, std::int64_t n, float beta) {
  // beta == 0 overwrites (as BLAS does) so NaNs in the old contents vanish.
  BASIN_CUDA_KERNEL_LOOP(i, n) { out[i] = beta == 0.0f ? 0.0f : beta * out[i]; }
}

struct MatDims {
  std::int64_t batch, rows, cols;
};

MatDims dims_of(const Tensor& t) {
  if (t.dim() == 2) return {1, t.shape()[0], t.shape()[1]};
  return {t.shape()[0], t.shape()[1], t.shape()[2]};
}

}  // namespace

void matmul(const Tensor& a, const Tensor& b, Tensor& out, bool trans_a, bool trans_b, float alpha, float beta) {
  const char* name = "matmul";
  const MatDims da = dims_of(a), db = dims_of(b), dc = dims_of(out);
  const std::int64_t M = trans_a ? da.cols : da.rows;
  const std::int64_t K = trans_a ? da.rows : da.cols;
  const std::int64_t N = trans_b ? db.rows : db.cols;
  const std::int64_t batch = dc.batch;
  // Not an argument check: a limit of cuBLAS's int-sized API.
  const std::int64_t int_max = 2147483647;
  BASIN_CHECK(M <= int_max && N <= int_max && K <= int_max && batch <= int_max,
              name << ": sizes exceed cuBLAS's 32-bit limits: a " << shape_str(a.shape()) << ", b "
                   << shape_str(b.shape()));
  DeviceGuard guard(out.device().index);
  float* c = out.data<float>();
  if (K == 0) {  // empty inner product: out = beta * out (cuBLAS may reject lda == 0)
    scale_kernel<<<grid_for(out.numel(), kThreads), kThreads, 0, stream()>>>(c, out.numel(), beta);
    BASIN_CUDA_CHECK_LAUNCH();
    return;
  }
  // Leading dimension = length of a stored row (row-major), at least 1.
  const int lda = static_cast<int>(std::max<std::int64_t>(1, da.cols));
  const int ldb = static_cast<int>(std::max<std::int64_t>(1, db.cols));
  const int ldc = static_cast<int>(std::max<std::int64_t>(1, N));
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasHandle_t h = cublas_handle();
  if (batch == 1) {
    BASIN_CUBLAS_CHECK(cublasSgemm(h, op_b, op_a, static_cast<int>(N), static_cast<int>(M), static_cast<int>(K),
                                   &alpha, b.data<float>(), ldb, a.data<float>(), lda, &beta, c, ldc));
  } else {
    // A batch of 1 on a or b broadcasts: stride 0 reuses the same matrix.
    const long long stride_a = da.batch == 1 ? 0 : da.rows * da.cols;
    const long long stride_b = db.batch == 1 ? 0 : db.rows * db.cols;
    const long long stride_c = M * N;
    BASIN_CUBLAS_CHECK(cublasSgemmStridedBatched(h, op_b, op_a, static_cast<int>(N), static_cast<int>(M),
                                                 static_cast<int>(K), &alpha, b.data<float>(), ldb, stride_b,
                                                 a.data<float>(), lda, stride_a, &beta, c, ldc, stride_c,
                                                 static_cast<int>(batch)));
  }
}

}  // namespace basin::kernels::cuda
