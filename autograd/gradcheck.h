#pragma once
// Finite-difference check of autograd gradients (as torch.autograd.gradcheck).
//
// f maps inputs to a float32 tensor of any shape. gradcheck reduces it to the
// scalar L = sum_k w_k * f(x)_k with fixed, distinct weights w_k (so a gradient
// mixed up between output elements is caught), then compares, for every element
// of every input that requires grad, the autograd dL/dx with the central
// difference (L(x + eps) - L(x - eps)) / (2 eps). Inputs are perturbed in float
// (the function is float), L is accumulated in double. An element passes when
// |autograd - numeric| <= atol + rtol * |numeric|.
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace basin {

struct GradcheckResult {
  bool ok = true;
  double max_error = 0.0;  // largest |autograd - numeric| seen
  std::string message;     // first failure: input, element, both values; empty when ok
};

GradcheckResult gradcheck(std::function<Tensor(const std::vector<Tensor>&)> f, std::vector<Tensor> inputs,
                          double eps = 1e-3, double atol = 1e-3, double rtol = 1e-2);

}  // namespace basin
