#pragma once
// Parameter initialization exactly as torch.nn / torchvision do it, drawn from
// the counter-based generator (kernels/random.h) so that a model built twice
// with the same seed has bit-identical weights on any backend.
//
// Every tensor initialized through an InitRng takes the next stream of that
// generator; model constructors create tensors in a fixed order, so the
// (seed, stream) of each parameter is fixed by the architecture.
#include <cstdint>

#include "kernels/random.h"
#include "tensor/tensor.h"

namespace basin::nn {

struct InitRng {
  std::uint64_t seed = 0;
  std::uint64_t stream = 0;
  explicit InitRng(std::uint64_t s = 0) : seed(s) {}
  kernels::RandomKey next() { return {seed, stream++}; }
};

// PyTorch's fans: fan_in = size(1) * receptive field, fan_out = size(0) * receptive field.
std::int64_t fan_in(const Tensor& w);
std::int64_t fan_out(const Tensor& w);

void uniform_(Tensor& t, float lo, float hi, InitRng& rng);
void normal_(Tensor& t, float mean, float std, InitRng& rng);
// kaiming_normal_(w, mode="fan_out", nonlinearity="relu"): N(0, 2 / fan_out)
// (torchvision's ResNet convolutions).
void kaiming_normal_fan_out_relu_(Tensor& w, InitRng& rng);
// kaiming_uniform_(w, a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (the
// default of nn.Linear and nn.Conv2d weights).
void kaiming_uniform_default_(Tensor& w, InitRng& rng);
// The default bias of nn.Linear / nn.Conv2d: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void default_bias_(Tensor& b, std::int64_t fan_in, InitRng& rng);

}  // namespace basin::nn
