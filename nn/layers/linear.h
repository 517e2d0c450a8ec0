#pragma once
// y = x W^T + b, as torch.nn.Linear: weight [out, in], bias [out]; input [N, in]
// (or [..., in] as far as autograd's linear supports it).
#include "nn/init.h"
#include "nn/module.h"

namespace basin::nn {

class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias, InitRng& rng);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  std::int64_t macs(const Shape& in, const Shape& out) const override;

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }  // undefined without bias
  std::int64_t in_features() const { return in_; }
  std::int64_t out_features() const { return out_; }

 private:
  std::int64_t in_, out_;
  Tensor weight_, bias_;
};

}  // namespace basin::nn
