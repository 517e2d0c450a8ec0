// Forward + backward time of a model on the CPU (or CUDA with a 5th argument).
//   bench_resnet_cpu [model=resnet34] [batch=8] [size=224] [iters=5] [device=cpu] [profile]
// With `profile`, the timed iterations also fill basin's per-op table
// (autograd/profiler.h, as `basin train --profile`), printed at the end. The CPU
// kernels are basin's default (oneDNN when built in); BASIN_CPU_KERNELS=reference
// selects the reference ones.
// Prints seconds per iteration (one warm-up iteration not counted); compare with
// bench/torch_resnet_cpu.py, which runs the same thing in PyTorch.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "autograd/ops.h"
#include "autograd/profiler.h"
#include "kernels/cpu_kernels.h"
#include "nn/models/factory.h"

using namespace basin;

int main(int argc, char** argv) {
  std::string model = argc > 1 ? argv[1] : "resnet34";
  int batch = argc > 2 ? std::atoi(argv[2]) : 8;
  int size = argc > 3 ? std::atoi(argv[3]) : 224;
  int iters = argc > 4 ? std::atoi(argv[4]) : 5;
  Device dev = argc > 5 ? Device::parse(argv[5]) : Device::cpu();
  const bool profile = argc > 6 && std::string(argv[6]) == "profile";
  try {
    nn::ModelOptions o;
    o.num_classes = 1000;
    o.input_features = 3 * size * size;
    auto m = nn::make_model(model, o);
    m->to(dev);
    auto& arena = m->finalize_arena(dev);
    std::vector<std::int64_t> labels(batch);
    for (int i = 0; i < batch; ++i) labels[i] = i % 1000;
    Tensor x = Tensor::ones({batch, 3, size, size}, DType::Float32, dev);
    Tensor y = Tensor::from_vector(labels, {batch}, dev);
    double total = 0;
    Profiler profiler;
    std::unique_ptr<ProfileScope> scope;
    for (int it = 0; it <= iters; ++it) {
      if (it == 1 && profile) scope = std::make_unique<ProfileScope>(profiler);
      auto t0 = std::chrono::steady_clock::now();
      arena.zero_grad();
      Tensor loss = cross_entropy((*m)(x), y);
      loss.backward();
      float l = loss.item();  // synchronizes
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (it > 0) total += s;
      std::printf("iter %d: %.3f s (loss %.4f)%s\n", it, s, l, it == 0 ? " warm-up" : "");
    }
    scope.reset();
    std::printf("%s batch %d %dx%d on %s (cpu kernels %s): %.3f s/iter forward+backward (%d iters)\n", model.c_str(),
                batch, size, size, dev.str().c_str(), kernels::cpu_kernels_name(kernels::cpu_kernels()), total / iters,
                iters);
    if (profile) std::printf("\n%s", profiler.table(host_peak_rss_bytes(), "host RSS").c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_resnet_cpu: %s\n", e.what());
    return 1;
  }
}
