// Times a ResNet-like 3x3 convolution (stride 1, padding 1, no bias) on the CPU:
// forward, backward-input and backward-weight, best and mean of several runs.
//   bench_conv_cpu [N C H W [reps]]      default 8 64 56 56 5
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "kernels/conv.h"

using namespace basin;

namespace {
double time_ms(const std::function<void()>& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}
void fill(Tensor& t, float scale) {
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = scale * static_cast<float>((i * 7919) % 1000 - 500) / 500.0f;
}
}  // namespace

int main(int argc, char** argv) {
  std::int64_t N = 8, C = 64, H = 56, W = 56;
  int reps = 5;
  if (argc >= 5) {
    N = std::atoll(argv[1]); C = std::atoll(argv[2]); H = std::atoll(argv[3]); W = std::atoll(argv[4]);
  }
  if (argc >= 6) reps = std::atoi(argv[5]);
  kernels::Conv2dParams p = kernels::Conv2dParams::square(1, 1);
  Tensor x = Tensor::empty({N, C, H, W}), w = Tensor::empty({C, C, 3, 3});
  fill(x, 1.0f);
  fill(w, 0.05f);
  Shape ys = kernels::conv2d_output_shape(x.shape(), w.shape(), p);
  Tensor y = Tensor::empty(ys), gy = Tensor::empty(ys), gx = Tensor::empty(x.shape()), gw = Tensor::empty(w.shape());
  fill(gy, 1.0f);
  double flops = 2.0 * N * C * C * 9 * ys[2] * ys[3];  // per pass
  std::printf("conv2d 3x3 s1 p1, x [%lld, %lld, %lld, %lld], w [%lld, %lld, 3, 3], %d reps (after 1 warm-up)\n",
              (long long)N, (long long)C, (long long)H, (long long)W, (long long)C, (long long)C, reps);
  std::printf("%-16s %10s %10s %10s\n", "pass", "best ms", "mean ms", "GFLOP/s");
  struct Pass { const char* name; std::function<void()> run; };
  std::vector<Pass> passes = {
      {"forward", [&] { kernels::conv2d_forward(x, w, Tensor(), y, p); }},
      {"backward_input", [&] { kernels::conv2d_backward_input(gy, w, gx, p); }},
      {"backward_weight", [&] { kernels::conv2d_backward_weight(x, gy, gw, p); }},
  };
  double total_best = 0;
  for (auto& ps : passes) {
    ps.run();  // warm-up: buffers grow, BLAS threads start
    double best = 1e30, sum = 0;
    for (int r = 0; r < reps; ++r) {
      double t = time_ms(ps.run);
      best = std::min(best, t);
      sum += t;
    }
    total_best += best;
    std::printf("%-16s %10.2f %10.2f %10.1f\n", ps.name, best, sum / reps, flops / (best * 1e6));
  }
  std::printf("%-16s %10.2f\n", "fwd+bwd total", total_best);
  return 0;
}
