#pragma once
// record(): the one place where forward ops attach themselves to the graph.
//
//   Tensor mul(const Tensor& a, const Tensor& b) {
//     Tensor out = ...raw forward...;
//     Tensor sa = a.detach(), sb = b.detach();
//     return record("mul", out, {a, b}, [sa, sb](const Tensor& g) {
//       return std::vector<Tensor>{raw_mul(g, sb), raw_mul(g, sa)};
//     });
//   }
//
// Nothing is recorded when grad mode is off or no input requires grad; then
// `out` is returned as is. The backward function runs under NoGradGuard.
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/node.h"

namespace basin {

bool needs_grad(const std::vector<Tensor>& inputs);
Tensor record(const char* name, Tensor out, const std::vector<Tensor>& inputs, LambdaNode::Fn backward);

}  // namespace basin
