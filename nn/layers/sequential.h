#pragma once
// Children applied in order, named "0", "1", ... as torch.nn.Sequential, so
// state names read "layer1.0.conv1.weight" or "layers.2.bias".
#include <string>

#include "nn/module.h"

namespace basin::nn {

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  template <typename M>
  std::shared_ptr<M> push_back(std::shared_ptr<M> m) {
    register_module(std::to_string(size_), m);
    ++size_;
    return m;
  }
  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (auto& [name, m] : named_children()) y = (*m)(y);
    return y;
  }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_ = 0;
};

}  // namespace basin::nn
