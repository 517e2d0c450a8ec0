// Times the core CUDA kernels with CUDA events and prints one table row per op:
// milliseconds per call and the rate that matters for it (GB/s of memory traffic
// for bandwidth-bound ops, GFLOP/s for matmul). Usage: bench_cuda_ops [iters]
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "tensor/device.h"

#ifdef BASIN_WITH_CUDA
#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/elementwise.h"
#include "kernels/matmul.h"
#include "kernels/random.h"
#include "kernels/reduce.h"
#include "kernels/softmax.h"
#include "tensor/tensor.h"

using namespace basin;
namespace kg = basin::kernels::cuda;

namespace {

// Mean milliseconds per call of fn over `iters` calls after 3 warm-up calls.
double time_ms(int iters, const std::function<void()>& fn) {
  for (int i = 0; i < 3; ++i) fn();
  cudaEvent_t start, stop;
  BASIN_CUDA_CHECK(cudaEventCreate(&start));
  BASIN_CUDA_CHECK(cudaEventCreate(&stop));
  BASIN_CUDA_CHECK(cudaEventRecord(start, kg::stream()));
  for (int i = 0; i < iters; ++i) fn();
  BASIN_CUDA_CHECK(cudaEventRecord(stop, kg::stream()));
  BASIN_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0.0f;
  BASIN_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  BASIN_CUDA_CHECK(cudaEventDestroy(start));
  BASIN_CUDA_CHECK(cudaEventDestroy(stop));
  return ms / iters;
}

void row(const std::string& op, const std::string& size, double ms, double amount, const char* unit) {
  // amount: bytes moved (GB/s) or flops (GFLOP/s) per call
  std::printf("%-22s %-22s %10.4f %12.1f %s\n", op.c_str(), size.c_str(), ms, amount / (ms * 1e-3) / 1e9, unit);
}

Tensor rand_gpu(const Shape& s, std::uint64_t stream, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = Tensor::empty(s, DType::Float32, Device::cuda(0));
  kg::random_fill(t, kernels::Distribution::Uniform, {1234, stream}, lo, hi);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (!cuda_available()) {
    std::fprintf(stderr, "bench_cuda_ops: no CUDA device found (driver missing or no GPU); nothing to time.\n");
    return 1;
  }
  const int iters = argc > 1 ? std::atoi(argv[1]) : 20;
  cudaDeviceProp prop{};
  BASIN_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s, %d iterations per op\n\n", prop.name, iters);
  std::printf("%-22s %-22s %10s %12s\n", "op", "size", "ms", "rate");
  const Device gpu = Device::cuda(0);

  for (std::int64_t n : {std::int64_t{1} << 20, std::int64_t{1} << 24, std::int64_t{1} << 26}) {
    Tensor a = rand_gpu({n}, 1), b = rand_gpu({n}, 2), out = Tensor::empty({n}, DType::Float32, gpu);
    double ms = time_ms(iters, [&] { kg::binary(kernels::BinaryOp::Add, a, b, out); });
    row("add", std::to_string(n), ms, 12.0 * n, "GB/s");
    Tensor s = Tensor::empty({1}, DType::Float32, gpu);
    ms = time_ms(iters, [&] { kg::reduce(kernels::ReduceOp::Sum, a, {0}, s); });
    row("reduce sum (all)", std::to_string(n), ms, 4.0 * n, "GB/s");
    ms = time_ms(iters, [&] { kg::random_fill(out, kernels::Distribution::Normal, {7, 3}, 0.0f, 1.0f); });
    row("random_fill normal", std::to_string(n), ms, 4.0 * n, "GB/s");
    ms = time_ms(iters, [&] { kg::random_fill(out, kernels::Distribution::Uniform, {7, 3}, 0.0f, 1.0f); });
    row("random_fill uniform", std::to_string(n), ms, 4.0 * n, "GB/s");
  }
  {
    Tensor x = rand_gpu({4096, 4096}, 3), rows = Tensor::empty({4096, 1}, DType::Float32, gpu);
    double ms = time_ms(iters, [&] { kg::reduce(kernels::ReduceOp::Sum, x, {1}, rows); });
    row("reduce sum (rows)", "4096x4096", ms, 4.0 * 4096 * 4096, "GB/s");
    Tensor cols = Tensor::empty({1, 4096}, DType::Float32, gpu);
    ms = time_ms(iters, [&] { kg::reduce(kernels::ReduceOp::Sum, x, {0}, cols); });
    row("reduce sum (cols)", "4096x4096", ms, 4.0 * 4096 * 4096, "GB/s");
  }
  for (std::int64_t m : {128, 512, 1024, 2048, 4096}) {
    Tensor a = rand_gpu({m, m}, 4), b = rand_gpu({m, m}, 5), c = Tensor::empty({m, m}, DType::Float32, gpu);
    double ms = time_ms(iters, [&] { kg::matmul(a, b, c, false, false, 1.0f, 0.0f); });
    row("matmul", std::to_string(m) + "^3", ms, 2.0 * m * m * m, "GFLOP/s");
  }
  {
    Tensor a = rand_gpu({256, 784}, 6), w = rand_gpu({512, 784}, 7), c = Tensor::empty({256, 512}, DType::Float32, gpu);
    double ms = time_ms(iters, [&] { kg::matmul(a, w, c, false, true, 1.0f, 0.0f); });
    row("matmul (x W^T)", "256x784 * 784x512", ms, 2.0 * 256 * 784 * 512, "GFLOP/s");
    Tensor ab = rand_gpu({64, 128, 64}, 8), bb = rand_gpu({64, 64, 128}, 9),
           cb = Tensor::empty({64, 128, 128}, DType::Float32, gpu);
    ms = time_ms(iters, [&] { kg::matmul(ab, bb, cb, false, false, 1.0f, 0.0f); });
    row("matmul batched", "64 x 128x64x128", ms, 2.0 * 64 * 128 * 64 * 128, "GFLOP/s");
  }
  for (std::int64_t c : {10, 1000}) {
    const std::int64_t n = 8192;
    Tensor x = rand_gpu({n, c}, 10, -5.0f, 5.0f), y = Tensor::empty({n, c}, DType::Float32, gpu);
    const std::string size = std::to_string(n) + "x" + std::to_string(c);
    double ms = time_ms(iters, [&] { kg::softmax(x, y, false); });
    row("softmax", size, ms, 8.0 * n * c, "GB/s");
    ms = time_ms(iters, [&] { kg::softmax(x, y, true); });
    row("log_softmax", size, ms, 8.0 * n * c, "GB/s");
    std::vector<std::int64_t> lab(static_cast<size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) lab[static_cast<size_t>(i)] = (i * 7) % c;
    Tensor labels = Tensor::from_vector(lab, {n}, gpu), loss = Tensor::empty({1}, DType::Float32, gpu);
    // Includes the host sync that checks the labels.
    ms = time_ms(iters, [&] { kg::cross_entropy(x, labels, 0.1f, loss, y); });
    row("cross_entropy (+sync)", size, ms, 8.0 * n * c, "GB/s");
    Tensor g = Tensor::full({1}, 1.0, DType::Float32, gpu), d = Tensor::empty({n, c}, DType::Float32, gpu);
    ms = time_ms(iters, [&] { kg::cross_entropy_backward(y, labels, 0.1f, g, d); });
    row("cross_entropy_bwd", size, ms, 8.0 * n * c, "GB/s");
  }
  return 0;
}

#else

int main() {
  std::fprintf(stderr, "bench_cuda_ops: this build of basin has no CUDA backend (configure with BASIN_CUDA=ON).\n");
  return 1;
}

#endif
