// basin as a library, the pieces one at a time (no data files needed):
// tensors, autograd, a Module of your own, a loss, backward, an optimizer step,
// and a DataLoader over a Dataset of your own. Fits y = 3x - 1 with one Linear.
//   ./tensor_basics
#include <cstdio>
#include <memory>

#include "autograd/ops.h"        // add, mul, sum, cross_entropy, ... (differentiable)
#include "data/loader.h"         // DataLoader, Batch
#include "nn/layers.h"           // Linear, ReLU, Sequential, CrossEntropyLoss, ...
#include "optim/sgd.h"           // SGD over the model's parameter arena

using namespace basin;

// A model is a Module that registers its parameters and children by name
// (state_dict keys "fc.weight", "fc.bias", as in PyTorch).
struct Line : nn::Module {
  std::shared_ptr<nn::Linear> fc;
  explicit Line(nn::InitRng& rng) : Module("Line") {
    fc = register_module("fc", std::make_shared<nn::Linear>(1, 1, /*bias=*/true, rng));
  }
  Tensor forward(const Tensor& x) override { return (*fc)(x); }
};

// A Dataset hands out 8-bit images; the loader turns a batch into float32 [N,C,H,W]
// scaled to [0, 1]. Here sample i is one pixel of value i, labelled by its index.
struct Ramp : data::Dataset {
  std::vector<std::string> names{"ramp"};
  std::int64_t size() const override { return 64; }
  data::Sample get(std::int64_t i) const override {
    data::Sample s;
    s.image = data::Image::hwc_u8(1, 1, 1, {static_cast<std::uint8_t>(i * 4)});
    s.label = 0;
    return s;
  }
  const std::vector<std::string>& class_names() const override { return names; }
  int channels() const override { return 1; }
  std::string description() const override { return "ramp"; }
};

int main() {
  // 1. Tensors and autograd: d/dx sum(x*x + 2x) = 2x + 2.
  Tensor x = Tensor::from_vector(std::vector<float>{1.0f, -2.0f, 0.5f}, {3});
  x.set_requires_grad(true);
  Tensor y = sum(add(mul(x, x), mul(x, 2.0f)));
  y.backward();
  std::vector<float> g = x.grad().to_vector();
  std::printf("y = %.3f, dy/dx = [%.1f, %.1f, %.1f]  (expected [4, -2, 3])\n", y.item(), g[0], g[1], g[2]);

  // 2. A module, its parameters gathered in one arena, and SGD on that arena.
  nn::InitRng rng(0);
  auto model = std::make_shared<Line>(rng);
  optim::SgdOptions sgd;
  sgd.lr = 0.5;
  sgd.momentum = 0.9;
  optim::SGD opt(optim::arena_ref(model->finalize_arena(Device::cpu())), sgd);

  // 3. A data loader over the dataset: shuffled batches of 16, two worker threads.
  data::LoaderOptions lo;
  lo.batch_size = 16;
  data::DataLoader loader(std::make_shared<Ramp>(), nullptr, lo);

  float loss_value = 0;
  for (std::int64_t epoch = 0; epoch < 60; ++epoch) {
    loader.start_epoch(epoch);
    data::Batch b;
    while (loader.next(b)) {
      Tensor in = b.images.flatten(1);              // [N, 1] in [0, 1]
      Tensor target = add(mul(in, 3.0f), -1.0f);    // y = 3x - 1
      // The optimizer zeroes the gradients, calls the closure (forward + backward)
      // and updates the weights.
      loss_value = opt.step([&](bool) {
        Tensor diff = sub((*model)(in), target);
        Tensor loss = mean(mul(diff, diff));        // mean squared error
        loss.backward();
        return loss.item();
      });
    }
  }
  float w = model->fc->weight().item(), bias = model->fc->bias().item();
  std::printf("fitted y = %.3f x + %.3f (expected 3x - 1), final loss %.2e, %lld steps\n", w, bias,
              static_cast<double>(loss_value), static_cast<long long>(opt.steps()));
  return (w > 2.9f && w < 3.1f && bias > -1.1f && bias < -0.9f) ? 0 : 1;
}
