// GEMM through dnnl_sgemm: oneDNN's JIT GEMM picks its kernels from the CPU's
// instruction set (AVX-512 here, where Debian's OpenBLAS falls back to AVX2
// unless OPENBLAS_CORETYPE is set before it loads) and runs on the OpenMP
// threads that every other CPU kernel uses, so no second thread pool (OpenBLAS's
// pthreads) contends with them. The same contract as kernels/cpu/matmul.cpp.
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include "kernels/cpu/gemm_batch.h"
#include "kernels/cpu/onednn/onednn.h"
#include "kernels/cpu_kernels.h"
#include "kernels/matmul.h"

namespace basin::kernels::onednn {

namespace {
constexpr double kSmallFlops = 64e6;  // below this, one thread
}  // namespace

void matmul(const Tensor& a, const Tensor& b, Tensor& out, bool trans_a, bool trans_b, float alpha, float beta) {
  count_cpu_fast_kernel_call();
  cpu::for_each_gemm(a, b, out, trans_a, beta, [&](const cpu::GemmCall& g) {
    // A small product runs on one thread: dnnl_sgemm splits any size over all
    // OpenMP threads, and below ~64 MFLOP (~0.3 ms on one AVX-512 core) the
    // fork/join and K-split reductions cost about what they save on a quiet
    // machine and milliseconds per call on a loaded one (bench/bench_matmul_cpu.cpp).
    // The default MLP's GEMMs are all below it.
    const bool small = 2.0 * static_cast<double>(g.M) * static_cast<double>(g.N) * static_cast<double>(g.K) < kSmallFlops;
    const int saved_threads = omp_get_max_threads();
    if (small) omp_set_num_threads(1);
    dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', g.M, g.N, g.K, alpha, g.a, g.lda, g.b,
                                  g.ldb, beta, g.c, g.N);
    if (small) omp_set_num_threads(saved_threads);
    BASIN_CHECK(st == dnnl_success, "matmul: dnnl_sgemm failed with status " << static_cast<int>(st));
  });
}

}  // namespace basin::kernels::onednn
