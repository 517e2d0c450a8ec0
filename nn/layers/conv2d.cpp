#include "nn/layers/conv2d.h"

#include <sstream>

namespace basin::nn {

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, int kernel, int stride, int padding, bool bias,
               InitRng& rng, int groups, int dilation)
    : Module("Conv2d"), in_(in_channels), out_(out_channels), kernel_(kernel),
      p_(Conv2dParams::square(stride, padding, dilation, groups)) {
  BASIN_CHECK(in_channels > 0 && out_channels > 0 && kernel > 0 && stride > 0 && padding >= 0 && groups > 0,
              "Conv2d: bad configuration in=" << in_channels << " out=" << out_channels << " kernel=" << kernel
                                              << " stride=" << stride << " padding=" << padding << " groups=" << groups);
  BASIN_CHECK(in_channels % groups == 0 && out_channels % groups == 0,
              "Conv2d: channels in=" << in_channels << " out=" << out_channels << " not divisible by groups=" << groups);
  Tensor w = Tensor::empty({out_, in_ / groups, kernel, kernel});
  kaiming_uniform_default_(w, rng);
  weight_ = register_parameter("weight", w);
  if (bias) {
    Tensor b = Tensor::empty({out_});
    default_bias_(b, fan_in(w), rng);
    bias_ = register_parameter("bias", b);
  }
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight_, bias_, p_); }

std::string Conv2d::extra_repr() const {
  std::ostringstream os;
  os << in_ << ", " << out_ << ", kernel=" << kernel_ << ", stride=" << p_.stride_h << ", padding=" << p_.pad_h;
  if (p_.groups != 1) os << ", groups=" << p_.groups;
  if (p_.dilation_h != 1) os << ", dilation=" << p_.dilation_h;
  if (!bias_.defined()) os << ", bias=False";
  return os.str();
}

std::int64_t Conv2d::macs(const Shape&, const Shape& out) const {
  return numel_of(out) * (in_ / p_.groups) * kernel_ * kernel_;
}

}  // namespace basin::nn
