#pragma once
// Multi-layer perceptron on flattened inputs. Naming scheme (stable; weights
// files depend on it), the same as this PyTorch module:
//   self.flatten = nn.Flatten()
//   self.layers = nn.Sequential(Linear(in, h0), Act(), Linear(h0, h1), Act(), ..., Linear(hk, classes))
// so parameters are layers.0.weight, layers.0.bias, layers.2.weight, ... and the
// classifier is layers.<2k>.weight. Activations: relu | tanh.
#include <memory>

#include "nn/layers.h"
#include "nn/models/options.h"

namespace basin::nn {

class MLP : public Module {
 public:
  explicit MLP(const ModelOptions& opt);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;

 private:
  ModelOptions opt_;
  std::shared_ptr<Flatten> flatten_;
  std::shared_ptr<Sequential> layers_;
};

std::shared_ptr<MLP> mlp(const ModelOptions& opt);

}  // namespace basin::nn
