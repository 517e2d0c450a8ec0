// GEMM through dnnl_sgemm: oneDNN's JIT GEMM picks its kernels from the CPU's
// instruction set (AVX-512 here, where Debian's OpenBLAS falls back to AVX2
// unless OPENBLAS_CORETYPE is set before it loads) and runs on the OpenMP
// threads that every other CPU kernel uses, so no second thread pool (OpenBLAS's
// pthreads) contends with them. The same contract as kernels/cpu/matmul.cpp.
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include "kernels/cpu/onednn/onednn.h"
#include "kernels/cpu_kernels.h"
#include "kernels/matmul.h"

namespace basin::kernels::onednn {

namespace {
constexpr double kSmallFlops = 64e6;  // below this, one thread
}  // namespace

void matmul(const Tensor& a, const Tensor& b, Tensor& out, bool trans_a, bool trans_b, float alpha, float beta) {
  count_cpu_fast_kernel_call();
  const bool batched = out.dim() == 3;
  const int da = a.dim(), db = b.dim();
  const std::int64_t M = out.shape()[out.dim() - 2], N = out.shape()[out.dim() - 1];
  const std::int64_t K = trans_a ? a.shape()[da - 2] : a.shape()[da - 1];
  const std::int64_t lda = a.shape()[da - 1], ldb = b.shape()[db - 1];
  const std::int64_t batch = batched ? out.shape()[0] : 1;
  const std::int64_t step_a = (da == 3 && a.shape()[0] > 1) ? M * K : 0;
  const std::int64_t step_b = (db == 3 && b.shape()[0] > 1) ? K * N : 0;
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* op = out.data<float>();
  for (std::int64_t i = 0; i < batch; ++i) {
    float* c = op + i * M * N;
    if (K == 0) {  // an empty product: out = beta * out
      for (std::int64_t j = 0; j < M * N; ++j) c[j] = beta == 0.0f ? 0.0f : beta * c[j];
      continue;
    }
    // Row-major, like the cblas call of the reference.
    // A small product runs on one thread: dnnl_sgemm splits any size over all
    // OpenMP threads, and below ~64 MFLOP (~0.3 ms on one AVX-512 core) the
    // fork/join and K-split reductions cost about what they save on a quiet
    // machine and milliseconds per call on a loaded one (bench/bench_matmul_cpu.cpp).
    // The default MLP's GEMMs are all below it.
    const bool small = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K) < kSmallFlops;
    const int saved_threads = omp_get_max_threads();
    if (small) omp_set_num_threads(1);
    dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, ap + i * step_a, lda,
                                  bp + i * step_b, ldb, beta, c, N);
    if (small) omp_set_num_threads(saved_threads);
    BASIN_CHECK(st == dnnl_success, "matmul: dnnl_sgemm failed with status " << static_cast<int>(st));
  }
}

}  // namespace basin::kernels::onednn
