// Compiled by the install.add_subdirectory test against basin::basin from
// add_subdirectory(basin): the headers resolve by their source-tree paths.
#include <cstdio>

#include "nn/layers.h"
#include "nn/models/resnet.h"
#include "optim/sgd.h"

int main() {
  basin::nn::InitRng rng(0);
  basin::nn::Linear fc(4, 2, true, rng);
  std::printf("%lld parameters\n", static_cast<long long>(fc.num_parameters()));
  return fc.num_parameters() == 10 ? 0 : 1;
}
