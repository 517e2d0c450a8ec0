#include "nn/layers/linear.h"

#include <sstream>

#include "autograd/ops.h"

namespace basin::nn {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, bool bias, InitRng& rng)
    : Module("Linear"), in_(in_features), out_(out_features) {
  BASIN_CHECK(in_features > 0 && out_features > 0,
              "Linear: features must be positive, got in=" << in_features << " out=" << out_features);
  Tensor w = Tensor::empty({out_, in_});
  kaiming_uniform_default_(w, rng);
  weight_ = register_parameter("weight", w);
  if (bias) {
    Tensor b = Tensor::empty({out_});
    default_bias_(b, in_, rng);
    bias_ = register_parameter("bias", b);
  }
}

Tensor Linear::forward(const Tensor& x) {
  BASIN_CHECK(x.dim() >= 1 && x.shape().back() == in_,
              "Linear(" << in_ << ", " << out_ << "): input " << shape_str(x.shape()) << " must end in " << in_);
  return linear(x, weight_, bias_);
}

std::string Linear::extra_repr() const {
  std::ostringstream os;
  os << "in=" << in_ << ", out=" << out_ << (bias_.defined() ? "" : ", bias=False");
  return os.str();
}

std::int64_t Linear::macs(const Shape&, const Shape& out) const { return numel_of(out) * in_; }

}  // namespace basin::nn
