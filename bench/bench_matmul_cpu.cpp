// GEMM on the CPU: the fast path (dnnl_sgemm) beside the reference (OpenBLAS
// cblas_sgemm) on the shapes of the default MLP's training step and of a
// ResNet's last layer, best of `reps` each (robust on a shared machine).
//   bench_matmul_cpu [reps=30]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "kernels/cpu_kernels.h"
#include "kernels/matmul.h"

using namespace basin;

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 30;
  struct Case {
    const char* what;
    std::int64_t M, N, K;
    bool ta, tb;
  };
  const Case cases[] = {
      {"MLP fc1 forward  x[128,784] W^T", 128, 256, 784, false, true},
      {"MLP fc1 grad W   gy^T x", 256, 784, 128, true, false},
      {"MLP fc2 forward", 128, 128, 256, false, true},
      {"MLP fc2 grad x   gy W", 128, 256, 128, false, false},
      {"ResNet fc forward x[8,512] W^T", 8, 1000, 512, false, true},
      {"ResNet fc grad W gy^T x", 1000, 512, 8, true, false},
      {"ResNet fc forward x[32,2048] W^T", 32, 1000, 2048, false, true},
  };
  std::printf("%-34s %12s %12s %8s\n", "GEMM", "fast us", "reference us", "ratio");
  for (const Case& c : cases) {
    Tensor a = Tensor::full(c.ta ? Shape{c.K, c.M} : Shape{c.M, c.K}, 0.5);
    Tensor b = Tensor::full(c.tb ? Shape{c.N, c.K} : Shape{c.K, c.N}, 0.25);
    Tensor out = Tensor::empty({c.M, c.N});
    double best[2] = {1e30, 1e30};
    // Not interleaved: OpenBLAS's pthreads spin for a while after each call and
    // would slow down the OpenMP threads of the call after it (and vice versa).
    for (int k = 0; k < 2; ++k)
      for (int r = 0; r < reps; ++r) {
        kernels::CpuKernelsGuard g(k == 0 ? kernels::CpuKernels::Fast : kernels::CpuKernels::Reference);
        auto t0 = std::chrono::steady_clock::now();
        kernels::matmul(a, b, out, c.ta, c.tb);
        double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
        best[k] = std::min(best[k], us);
      }
    std::printf("%-34s %12.1f %12.1f %7.2fx\n", c.what, best[0], best[1], best[1] / best[0]);
  }
}
