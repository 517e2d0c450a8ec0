#include "nn/activation_pattern.h"

#include "autograd/grad_mode.h"
#include "autograd/ops.h"

namespace basin::nn {

ActivationPattern*& active_activation_pattern() {
  thread_local ActivationPattern* current = nullptr;
  return current;
}

Tensor ActivationPattern::relu(const Tensor& x) {
  if (mode == Mode::Record) {
    {
      NoGradGuard no_grad;
      masks.push_back(gt(x.detach(), Tensor::zeros({}, DType::Float32, x.device())));
    }
    return basin::relu(x);
  }
  BASIN_CHECK(next < masks.size(), "ReLU pattern replay: call " << next << " but only " << masks.size()
                                                                << " ReLU calls were recorded");
  const Tensor& m = masks[next++];
  BASIN_CHECK(m.shape() == x.shape(), "ReLU pattern replay: call " << next - 1 << " has input "
                                                                   << shape_str(x.shape()) << ", recorded "
                                                                   << shape_str(m.shape()));
  return mul(x, m);
}

}  // namespace basin::nn
