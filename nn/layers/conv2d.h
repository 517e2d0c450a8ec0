#pragma once
// 2-D convolution as torch.nn.Conv2d: weight [out, in/groups, kh, kw], optional
// bias [out]; default init kaiming_uniform(a=sqrt(5)) (ResNets re-initialize
// with kaiming_normal fan_out, see nn/models/resnet.cpp).
#include "autograd/nn_ops.h"
#include "nn/init.h"
#include "nn/module.h"

namespace basin::nn {

class Conv2d : public Module {
 public:
  // Square kernel/stride/padding, the common case.
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, int kernel, int stride, int padding, bool bias,
         InitRng& rng, int groups = 1, int dilation = 1);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  std::int64_t macs(const Shape& in, const Shape& out) const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  const Conv2dParams& params() const { return p_; }

 private:
  std::int64_t in_, out_;
  int kernel_;
  Conv2dParams p_;
  Tensor weight_, bias_;
};

}  // namespace basin::nn
