#pragma once
// Options shared by the model constructors and make_model (nn/models/factory.h).
#include <cstdint>
#include <string>
#include <vector>

namespace basin::nn {

struct ModelOptions {
  std::int64_t num_classes = 1000;
  // Image channels (1 for grayscale such as Fashion-MNIST, 3 for RGB).
  std::int64_t in_channels = 3;
  // ResNets: a 3x3 stride-1 first convolution and no max-pool, for 32x32-ish
  // inputs (CIFAR); false gives torchvision's ImageNet stem (7x7/2 + max-pool 3/2).
  bool cifar_stem = false;
  // ResNets: torchvision's zero_init_residual (last BN of each block starts at 0).
  bool zero_init_residual = false;
  // ResNets: channels of the first stage; the stages have W, 2W, 4W, 8W (times the
  // block's expansion). 64 is torchvision's; narrower nets (16, 8) train on a CPU.
  std::int64_t base_width = 64;
  // MLP: flattened input size (e.g. 1*28*28), hidden widths and activation.
  std::int64_t input_features = 0;
  std::vector<std::int64_t> hidden = {512, 256};
  std::string activation = "relu";  // relu | tanh
  // Seed of the initialization generator (nn/init.h).
  std::uint64_t seed = 0;
};

}  // namespace basin::nn
