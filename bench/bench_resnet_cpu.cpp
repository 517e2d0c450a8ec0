// Forward + backward time of a model on the CPU (or CUDA with a 5th argument).
//   bench_resnet_cpu [model=resnet34] [batch=8] [size=224] [iters=5] [device=cpu]
// Prints seconds per iteration (one warm-up iteration not counted); compare with
// bench/torch_resnet_cpu.py, which runs the same thing in PyTorch.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "autograd/ops.h"
#include "nn/models/factory.h"

using namespace basin;

int main(int argc, char** argv) {
  std::string model = argc > 1 ? argv[1] : "resnet34";
  int batch = argc > 2 ? std::atoi(argv[2]) : 8;
  int size = argc > 3 ? std::atoi(argv[3]) : 224;
  int iters = argc > 4 ? std::atoi(argv[4]) : 5;
  Device dev = argc > 5 ? Device::parse(argv[5]) : Device::cpu();
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
    for (int it = 0; it <= iters; ++it) {
      auto t0 = std::chrono::steady_clock::now();
      arena.zero_grad();
      Tensor loss = cross_entropy((*m)(x), y);
      loss.backward();
      float l = loss.item();  // synchronizes
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (it > 0) total += s;
      std::printf("iter %d: %.3f s (loss %.4f)%s\n", it, s, l, it == 0 ? " warm-up" : "");
    }
    std::printf("%s batch %d %dx%d on %s: %.3f s/iter forward+backward (%d iters)\n", model.c_str(), batch, size, size,
                dev.str().c_str(), total / iters, iters);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_resnet_cpu: %s\n", e.what());
    return 1;
  }
}
